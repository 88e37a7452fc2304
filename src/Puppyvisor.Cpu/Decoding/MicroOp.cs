// [C:420] The compact form of a decoded instruction: what the hot handlers need, resolved once.
//
// Iced's Instruction is a general description; reading an operand from it costs a few
// switches every time. At decode time each instruction becomes a MicroOp: its handler,
// register numbers, the immediate, and a memory operand reduced to
// disp + Gpr[Base] + (Gpr[Index] << Scale) + SegmentBase[Seg], where a missing base or
// index is register 8, which always holds 0 (no branch). Instructions without a fast
// form run through RunLegacy, which hands the family handler its Iced Instruction.
using System.Runtime.InteropServices;
using Iced.Intel;

namespace Puppyvisor.Cpu.Decoding;

[StructLayout(LayoutKind.Sequential)]
public unsafe struct MicroOp
{
    /// <summary>The register number of an absent base or index: Gpr[8] always holds 0.</summary>
    public const byte NoRegister = 8;

    /// <summary>The handler for this form.</summary>
    public delegate*<Cpu, ref MicroOp, void> Execute;
    /// <summary>The family handler, for instructions that run through RunLegacy.</summary>
    public delegate*<Cpu, ref Instruction, void> Legacy;
    public uint Eip, NextEip;
    /// <summary>The immediate operand, or the branch target.</summary>
    public uint Imm;
    public uint Disp;
    /// <summary>Destination and source register numbers (0-7; for 8-bit operands the ModRM encoding).</summary>
    public byte Dst, Src;
    /// <summary>Base and index register numbers, 8 when absent; Scale is a shift count.</summary>
    public byte Base, Index, Scale;
    /// <summary>The segment whose base is added (SegReg; only FS and GS have a nonzero base).</summary>
    public byte Seg;
    /// <summary>The condition code of Jcc/SETcc/CMOVcc.</summary>
    public byte Cond;
    /// <summary>Which variant of a shared body (INC 0 / DEC 1; IMUL two-operand 0 / three-operand 1).</summary>
    public byte Variant;
    /// <summary>True when the handler leaves EIP right itself (branches, legacy handlers).</summary>
    public bool SetsEip;
    /// <summary>Index of the Iced instruction in the block (RunLegacy, diagnostics).</summary>
    public ushort Slot;
    /// <summary>The block's Iced instructions (RunLegacy hands the family handler Source[Slot]).</summary>
    public Instruction[] Source;
}
