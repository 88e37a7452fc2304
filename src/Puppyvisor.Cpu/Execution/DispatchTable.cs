// [C:500] From Iced's Code to the function that executes it.
//
// One table, indexed by Code (Iced keeps the instruction set as data; so do we). Each
// family file under Instructions/ registers its own handlers; anything left
// unregistered raises #UD in the guest and is reported once with its disassembly.
using Iced.Intel;

namespace Puppyvisor.Cpu;

internal static unsafe class DispatchTable
{
    public static readonly int CodeCount = Enum.GetValues<Code>().Length;

    public static readonly delegate*<Cpu, ref Instruction, void>[] Handlers =
        new delegate*<Cpu, ref Instruction, void>[CodeCount];

    /// <summary>Instructions after which the decoder must not continue the block (they change how code runs).</summary>
    public static readonly bool[] EndsBlock = new bool[CodeCount];

    static DispatchTable()
    {
        for (int i = 0; i < CodeCount; i++) Handlers[i] = &Unimplemented;
        Handlers[(int)Code.INVALID] = &Invalid;
        Instructions.DataMovement.Register();
        Instructions.Arithmetic.Register();
        Instructions.Logic.Register();
        Instructions.ShiftRotate.Register();
        Instructions.MulDiv.Register();
        Instructions.BitOps.Register();
        Instructions.Bcd.Register();
        Instructions.Strings.Register();
        Instructions.Stack.Register();
        Instructions.ControlFlow.Register();
        Instructions.Conditional.Register();
        Instructions.Atomics.Register();
        Instructions.FlagControl.Register();
        Instructions.SystemInstructions.Register();
        Instructions.Segments.Register();
        Instructions.Io.Register();
        Instructions.Misc.Register();
        Instructions.FpuAndSimd.Register();
    }

    static readonly bool[] Implemented = new bool[CodeCount];

    /// <summary>Codes whose mnemonic may take a LOCK prefix (SDM Vol. 2A, LOCK), with a memory destination.</summary>
    static readonly bool[] Lockable = BuildLockable();

    static bool[] BuildLockable()
    {
        ReadOnlySpan<Mnemonic> lockable = [Mnemonic.Add, Mnemonic.Adc, Mnemonic.And, Mnemonic.Btc, Mnemonic.Btr, Mnemonic.Bts,
            Mnemonic.Cmpxchg, Mnemonic.Cmpxchg8b, Mnemonic.Dec, Mnemonic.Inc, Mnemonic.Neg, Mnemonic.Not, Mnemonic.Or,
            Mnemonic.Sbb, Mnemonic.Sub, Mnemonic.Xor, Mnemonic.Xadd, Mnemonic.Xchg];
        var table = new bool[CodeCount];
        for (int i = 0; i < CodeCount; i++) table[i] = lockable.Contains(((Code)i).Mnemonic());
        return table;
    }

    /// <summary>
    /// Whether a LOCK prefix is allowed: a lockable instruction whose destination is memory;
    /// anything else is #UD. Iced's decoder already rejects most misuse; the decode cache
    /// asks this too, so the rule does not depend on a decoder option.
    /// </summary>
    public static bool AllowsLock(ref Instruction insn) => Lockable[(int)insn.Code] && insn.Op0Kind == OpKind.Memory;

    public static void Set(Code code, delegate*<Cpu, ref Instruction, void> handler)
    {
        Handlers[(int)code] = handler;
        Implemented[(int)code] = true;
    }

    public static void Set(delegate*<Cpu, ref Instruction, void> handler, params Code[] codes)
    {
        foreach (Code c in codes) Set(c, handler);
    }

    /// <summary>True when some family registered a handler (or an architectural #UD) for the code.</summary>
    public static bool IsImplemented(Code code) => Implemented[(int)code];

    static void Invalid(Cpu cpu, ref Instruction insn) => cpu.RaiseFault(Vector.InvalidOpcode);

    /// <summary>More than 15 bytes (redundant prefixes): #GP(0), not #UD (SDM Vol. 3A, 6.15).</summary>
    internal static void TooLong(Cpu cpu, ref Instruction insn) => cpu.RaiseFault(Vector.GeneralProtection, 0);

    static void Unimplemented(Cpu cpu, ref Instruction insn)
    {
        cpu.ReportUnimplemented(ref insn);
        cpu.RaiseFault(Vector.InvalidOpcode);
    }
}
