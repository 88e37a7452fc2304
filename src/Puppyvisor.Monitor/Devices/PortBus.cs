// [H:520] The I/O port space (DESIGN §1): COM1, the 0xE9 debug console, isa-debug-exit.
//
// Port 0xE9 is Bochs' and QEMU's debug console: a byte written is a console byte
// (reading it returns 0xE9, as Bochs does, so a guest can detect it). Port 0xF4 is
// QEMU's isa-debug-exit: writing v ends the guest with status (v << 1) | 1. Every
// other port reads all-ones and ignores writes, like an empty ISA bus.
namespace Puppyvisor.Monitor.Devices;

public sealed class PortBus(GuestConsole console, Action<int> requestShutdown)
{
    public const ushort DebugConsolePort = 0xE9, DebugExitPort = 0xF4;

    readonly Uart16550 _uart = new(console);

    public long Reads, Writes;

    public uint In(ushort port, int size)
    {
        Reads++;
        if (size == 1 && _uart.Handles(port)) return _uart.Read(port);
        if (size == 1 && port == DebugConsolePort) return 0xE9;
        return size == 1 ? 0xFFu : size == 2 ? 0xFFFFu : 0xFFFF_FFFFu;
    }

    public void Out(ushort port, int size, uint value)
    {
        Writes++;
        if (_uart.Handles(port)) { _uart.Write(port, (byte)value); return; }
        switch (port)
        {
            case DebugConsolePort: console.Write((byte)value); break;
            case DebugExitPort: requestShutdown((int)(((value << 1) | 1) & 0xFF)); break;
        }
    }
}
