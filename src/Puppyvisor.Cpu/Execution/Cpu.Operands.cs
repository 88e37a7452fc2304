// [C:510] Operands: registers, memory and immediates as an instruction names them.
//
// Handlers are written once per operation, not once per encoding: they ask for
// "operand 0 at the operation's size" and these helpers read Iced's operand kinds.
// Memory operands go through ReadMem/WriteMem and may fault; a handler checks
// Faulted before it changes anything (so a faulting instruction has no effect).
using System.Runtime.CompilerServices;
using Iced.Intel;

namespace Puppyvisor.Cpu;

public sealed partial class Cpu
{
    /// <summary>GPR number (or 8-bit register encoding, or Sreg number) and size of each Iced register.</summary>
    static readonly byte[] RegNumber = new byte[256];
    static readonly byte[] RegSize = new byte[256];

    static Cpu()
    {
        for (int k = 0; k < 8; k++)
        {
            RegNumber[(int)Register.AL + k] = (byte)k; RegSize[(int)Register.AL + k] = 1;
            RegNumber[(int)Register.AX + k] = (byte)k; RegSize[(int)Register.AX + k] = 2;
            RegNumber[(int)Register.EAX + k] = (byte)k; RegSize[(int)Register.EAX + k] = 4;
        }
        for (int k = 0; k < 6; k++) { RegNumber[(int)Register.ES + k] = (byte)k; RegSize[(int)Register.ES + k] = 2; }
    }

    /// <summary>The GPR or Sreg number of an Iced register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RegisterNumber(Register r) => RegNumber[(int)r];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RegisterSize(Register r) => RegSize[(int)r];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint GetRegister(Register r)
    {
        int n = RegNumber[(int)r];
        return RegSize[(int)r] switch { 4 => Gpr[n], 2 => (ushort)Gpr[n], _ => GetReg8(n) };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetRegister(Register r, uint value)
    {
        int n = RegNumber[(int)r];
        switch (RegSize[(int)r])
        {
            case 4: Gpr[n] = value; break;
            case 2: SetReg16(n, value); break;
            default: SetReg8(n, value); break;
        }
    }

    /// <summary>The size in bytes of operand <paramref name="n"/> (register or memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OperandSize(ref Instruction insn, int n)
    {
        OpKind kind = insn.GetOpKind(n);
        return kind == OpKind.Register ? RegSize[(int)insn.GetOpRegister(n)] : insn.MemorySize.GetSize();
    }

    /// <summary>The linear address of the instruction's memory operand (base + index*scale + disp, FS/GS base).</summary>
    public uint EffectiveAddress(ref Instruction insn)
    {
        uint ea = insn.MemoryDisplacement32;
        Register b = insn.MemoryBase, x = insn.MemoryIndex;
        bool a16 = insn.MemoryDisplSize == 2;
        if (b != Register.None) { ea += GetRegister(b); a16 |= RegSize[(int)b] == 2; }
        if (x != Register.None) { ea += GetRegister(x) * (uint)insn.MemoryIndexScale; a16 |= RegSize[(int)x] == 2; }
        if (a16) ea &= 0xFFFF;
        return ea + SegmentBaseOf(insn.MemorySegment);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint SegmentBaseOf(Register segment) =>
        segment == Register.FS ? SegmentBase[(int)SegReg.FS] : segment == Register.GS ? SegmentBase[(int)SegReg.GS] : 0;

    /// <summary>Reads operand <paramref name="n"/> (register, memory or immediate) at <paramref name="size"/> bytes.</summary>
    public uint ReadOperand(ref Instruction insn, int n, int size)
    {
        switch (insn.GetOpKind(n))
        {
            case OpKind.Register: return GetRegister(insn.GetOpRegister(n));
            case OpKind.Memory: return ReadMem(EffectiveAddress(ref insn), size);
            default: return (uint)insn.GetImmediate(n) & SizeMask(size);
        }
    }

    /// <summary>Reads operand 0 of a read-modify-write instruction, checking that it can be written.</summary>
    public uint ReadOperandForWrite(ref Instruction insn, int n, int size)
    {
        if (insn.GetOpKind(n) == OpKind.Register) return GetRegister(insn.GetOpRegister(n));
        uint ea = EffectiveAddress(ref insn);
        if (!ProbeWrite(ea, size)) return 0;
        return ReadMem(ea, size);
    }

    /// <summary>Writes operand <paramref name="n"/>; false (with a fault raised) if memory faulted.</summary>
    public bool WriteOperand(ref Instruction insn, int n, int size, uint value)
    {
        if (insn.GetOpKind(n) == OpKind.Register)
        {
            SetRegister(insn.GetOpRegister(n), value);
            return true;
        }
        return WriteMem(EffectiveAddress(ref insn), size, value);
    }

    // --- The stack (SS is flat and 32-bit: DESIGN §1) ----------------------------

    /// <summary>Pushes <paramref name="size"/> bytes; on a fault ESP is unchanged.</summary>
    public bool Push(uint value, int size)
    {
        uint esp = Gpr[4] - (uint)size;
        if (!WriteMem(esp, size, value)) return false;
        Gpr[4] = esp;
        return true;
    }

    /// <summary>Reads the value <paramref name="offset"/> bytes above ESP without popping it.</summary>
    public uint PeekStack(int size, uint offset = 0) => ReadMem(Gpr[4] + offset, size);

    /// <summary>Pops <paramref name="size"/> bytes; on a fault ESP is unchanged and 0 returned.</summary>
    public uint Pop(int size)
    {
        uint value = ReadMem(Gpr[4], size);
        if (!_pendingFault) Gpr[4] += (uint)size;
        return value;
    }
}
