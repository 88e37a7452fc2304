// [H:510] COM1, a 16550 UART at 0x3F8: enough of it for a polling console.
//
// Transmit is instant, so the line status always says "transmitter empty"; there
// is no receive side. The divisor latch (LCR.DLAB) and scratch registers hold
// what is written, so a driver that programs the baud rate reads back sane values.
namespace Puppyvisor.Monitor.Devices;

public sealed class Uart16550(GuestConsole console)
{
    public const ushort Base = 0x3F8;
    const byte LsrThrEmpty = 0x20, LsrTransmitterEmpty = 0x40;

    byte _lcr, _ier, _mcr, _scratch, _dll = 0x01, _dlm;

    public bool Handles(ushort port) => port >= Base && port < Base + 8;

    public byte Read(ushort port) => (port - Base) switch
    {
        0 => (_lcr & 0x80) != 0 ? _dll : (byte)0,          // RBR: nothing received
        1 => (_lcr & 0x80) != 0 ? _dlm : _ier,
        2 => 0x01,                                          // IIR: no interrupt pending
        3 => _lcr,
        4 => _mcr,
        5 => LsrThrEmpty | LsrTransmitterEmpty,             // LSR
        6 => 0xB0,                                          // MSR: CTS, DSR, DCD
        _ => _scratch,
    };

    public void Write(ushort port, byte value)
    {
        switch (port - Base)
        {
            case 0: if ((_lcr & 0x80) != 0) _dll = value; else console.Write(value); break;
            case 1: if ((_lcr & 0x80) != 0) _dlm = value; else _ier = (byte)(value & 0x0F); break;
            case 3: _lcr = value; break;
            case 4: _mcr = (byte)(value & 0x1F); break;
            case 7: _scratch = value; break;
        }
    }
}
