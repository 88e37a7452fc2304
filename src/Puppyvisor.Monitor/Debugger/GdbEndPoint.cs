// [H:961] `--gdb HOST:PORT`: where the stub listens, loopback unless told otherwise.
using System.Globalization;
using System.Net;

namespace Puppyvisor.Monitor.Debugger;

public static class GdbEndPoint
{
    /// <summary>
    /// "127.0.0.1:1234", ":1234" or "1234" (loopback), "[::1]:1234", "localhost:1234". A
    /// non-loopback address needs <paramref name="anyAddress"/> (--gdb-any-address): the stub
    /// lets whoever connects read and write the guest. Port 0 picks a free port.
    /// </summary>
    public static bool TryParse(string text, bool anyAddress, out IPEndPoint endPoint, out string error)
    {
        endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        error = "";
        int colon = text.LastIndexOf(':');
        string host = colon < 0 ? "" : text[..colon];
        string portText = colon < 0 ? text : text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            error = $"--gdb: '{text}' needs a port from 0 to 65535 (HOST:PORT, or :PORT for 127.0.0.1)";
            return false;
        }
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        IPAddress address;
        if (host.Length == 0 || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host, out address!))
        {
            error = $"--gdb: '{host}' is not an IP address (e.g. 127.0.0.1)";
            return false;
        }
        if (!IPAddress.IsLoopback(address) && !anyAddress)
        {
            error = $"--gdb: {address} is not a loopback address; anyone who can connect controls the guest. Add --gdb-any-address to allow it";
            return false;
        }
        endPoint = new IPEndPoint(address, port);
        return true;
    }
}
