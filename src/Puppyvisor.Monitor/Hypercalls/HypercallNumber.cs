// [H:100] The hypercall numbers of ABI version 1 (DESIGN §2).
//
// The C side of this table is firmware/include/puppyvisor.h; a test keeps the two
// in step (lguest kept its asm and C in step with asm-offsets.h).
namespace Puppyvisor.Monitor.Hypercalls;

public enum HypercallNumber : uint
{
    /// <summary>Returns the ABI version.</summary>
    HCALL_VERSION = 0,
    /// <summary>Ends the guest with EBX's low 8 bits as its status; does not return.</summary>
    HCALL_SHUTDOWN = 2,
    /// <summary>Programs the one-shot clockevent: delta in ns in ECX:EBX; 0 stops it.</summary>
    HCALL_SET_CLOCKEVENT = 9,
    /// <summary>lguest's halt: returns 0 once an interrupt is pending, whatever IF is.</summary>
    HCALL_HALT = 10,
    /// <summary>Seconds since 1970 in EDX:EAX.</summary>
    HCALL_GET_WALLCLOCK = 11,
    /// <summary>Writes ECX bytes at linear EBX to the console; returns the count or -EFAULT.</summary>
    HCALL_CONSOLE_WRITE = 17,
}

/// <summary>The Linux errno values hypercalls answer with, negated in EAX.</summary>
public static class Errno
{
    public const int EPERM = 1, EFAULT = 14, ENOSYS = 38, ETIME = 62;
}

public static class Abi
{
    public const uint Version = 1;
    /// <summary>IRQ n arrives at vector IrqBaseVector + n.</summary>
    public const int IrqBaseVector = 0x20;
}

/// <summary>Hypercall names for the stats, the trace and the logs: the enum's name, or "#n" for an unknown number.</summary>
public static class HypercallNames
{
    static readonly string?[] Known = BuildTable();

    static string?[] BuildTable()
    {
        var values = Enum.GetValues<HypercallNumber>();
        var table = new string?[(int)values.Max() + 1];
        foreach (HypercallNumber n in values) table[(int)n] = n.ToString();
        return table;
    }

    /// <summary>Allocates nothing for a known number.</summary>
    public static string Of(uint number) => number < (uint)Known.Length && Known[number] is { } name ? name : $"#{number}";
}
