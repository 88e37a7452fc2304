// [C:100] The exceptions of the SDM (Vol. 3A, 6.15) as the guest sees them.
//
// A guest fault is an architectural event, never a .NET exception: an instruction
// that faults calls Cpu.RaiseFault and returns; the interpreter then delivers the
// vector through the guest's IDT (ExceptionDelivery.cs).
namespace Puppyvisor.Cpu;

/// <summary>Exception vectors of the IA-32 architecture (SDM Vol. 3A, Table 6-1).</summary>
public enum Vector : byte
{
    /// <summary>#DE divide error.</summary>
    DivideError = 0,
    /// <summary>#DB debug.</summary>
    Debug = 1,
    /// <summary>NMI.</summary>
    Nmi = 2,
    /// <summary>#BP breakpoint (INT3), a trap.</summary>
    Breakpoint = 3,
    /// <summary>#OF overflow (INTO), a trap.</summary>
    Overflow = 4,
    /// <summary>#BR BOUND range exceeded.</summary>
    BoundRange = 5,
    /// <summary>#UD invalid opcode.</summary>
    InvalidOpcode = 6,
    /// <summary>#NM device not available.</summary>
    DeviceNotAvailable = 7,
    /// <summary>#DF double fault (error code 0).</summary>
    DoubleFault = 8,
    /// <summary>#TS invalid TSS.</summary>
    InvalidTss = 10,
    /// <summary>#NP segment not present.</summary>
    SegmentNotPresent = 11,
    /// <summary>#SS stack fault.</summary>
    StackFault = 12,
    /// <summary>#GP general protection.</summary>
    GeneralProtection = 13,
    /// <summary>#PF page fault (CR2 holds the address).</summary>
    PageFault = 14,
}

public static class VectorInfo
{
    /// <summary>Vectors that push an error code (SDM Vol. 3A, 6.13).</summary>
    public static bool HasErrorCode(int vector) =>
        vector is 8 or 10 or 11 or 12 or 13 or 14 or 17;

    /// <summary>The SDM's short name, "#PF" and so on.</summary>
    public static string Mnemonic(int vector) => vector switch
    {
        0 => "#DE", 1 => "#DB", 2 => "NMI", 3 => "#BP", 4 => "#OF", 5 => "#BR", 6 => "#UD",
        7 => "#NM", 8 => "#DF", 10 => "#TS", 11 => "#NP", 12 => "#SS", 13 => "#GP", 14 => "#PF",
        16 => "#MF", 17 => "#AC", 18 => "#MC", 19 => "#XM",
        _ => $"vector {vector}",
    };

    /// <summary>Benign, contributory or page fault: the double-fault table (SDM Vol. 3A, Table 6-5).</summary>
    internal static bool IsContributory(int vector) => vector is 0 or 10 or 11 or 12 or 13;
}
