// [C:520] The memory fast path for compact operands: 32-bit loads and stores that hit
// the TLB (or run with paging off) and stay inside one page and inside RAM go straight
// to the RAM array; everything else takes the general path of Cpu.MemoryAccess.cs.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Puppyvisor.Cpu.Decoding;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu;

public sealed partial class Cpu
{
    /// <summary>The linear address of a compact memory operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Ea(ref MicroOp op)
    {
        ref uint r = ref MemoryMarshal.GetArrayDataReference(Gpr);
        return op.Disp + Unsafe.Add(ref r, op.Base) + (Unsafe.Add(ref r, op.Index) << op.Scale)
            + Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(SegmentBase), op.Seg);
    }

    /// <summary>A register by number, without a bounds check (numbers come from the decoder).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref uint R(int n) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Gpr), n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Read32(uint linear)
    {
        uint pa = linear;
        if ((linear & 0xFFF) <= 0xFFC && !_watchingReads && ((Cr0 & CR0_PG) == 0 || Translate(linear, AccessKind.Read, out pa)) && pa <= Memory.Size - 4)
            return Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Memory.Ram), pa));
        return _pendingFault ? 0 : ReadMem(linear, 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Write32(uint linear, uint value)
    {
        uint pa = linear;
        if ((linear & 0xFFF) <= 0xFFC && ((Cr0 & CR0_PG) == 0 || Translate(linear, AccessKind.Write, out pa)) && pa <= Memory.Size - 4)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Memory.Ram), pa), value);
            NoteWrite(pa, 4);
            return true;
        }
        return !_pendingFault && WriteMem(linear, 4, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Read16(uint linear)
    {
        uint pa = linear;
        if ((linear & 0xFFF) <= 0xFFE && !_watchingReads && ((Cr0 & CR0_PG) == 0 || Translate(linear, AccessKind.Read, out pa)) && pa <= Memory.Size - 2)
            return Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Memory.Ram), pa));
        return _pendingFault ? 0 : ReadMem(linear, 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Read8(uint linear)
    {
        uint pa = linear;
        if (!_watchingReads && ((Cr0 & CR0_PG) == 0 || Translate(linear, AccessKind.Read, out pa)) && pa < Memory.Size)
            return Memory.Ram[pa];
        return _pendingFault ? 0 : ReadMem(linear, 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Write8(uint linear, uint value)
    {
        uint pa = linear;
        if (((Cr0 & CR0_PG) == 0 || Translate(linear, AccessKind.Write, out pa)) && pa < Memory.Size)
        {
            Memory.Ram[pa] = (byte)value;
            NoteWrite(pa, 1);
            return true;
        }
        return !_pendingFault && WriteMem(linear, 1, value);
    }
}
