// [C:520] The memory fast path for compact operands.
//
// With paging off (a flat kernel such as bench) a linear address is a physical one,
// and an access that lies inside RAM needs nothing else: one compare against the end
// of RAM and a load through a pointer to the pinned array. That test is all the fast
// forms and compiled blocks inline (it keeps the JIT's work per op small). A write
// checks one more thing, the CodePages byte of the page or pages it touches (decoded
// code or a watchpoint, Cpu.MemoryAccess.cs). Everything else -- paging and its TLB,
// read watchpoints, an access that leaves RAM, a fault -- takes the out-of-line path,
// which is the general one of Cpu.MemoryAccess.cs.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Puppyvisor.Cpu.Decoding;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu;

public sealed unsafe partial class Cpu
{
    readonly uint* _regs;           // Gpr, pinned
    readonly byte* _ram;            // Memory.Ram, pinned
    readonly byte* _codePages;      // Memory.CodePages, pinned

    /// <summary>RAM's size while reads may go straight to RAM (paging off, no read watchpoint); else 0.</summary>
    ulong _directReadEnd;
    /// <summary>RAM's size while writes may go straight to RAM (paging off); else 0.</summary>
    ulong _directWriteEnd;

    /// <summary>Re-decides the direct paths; called when CR0 or the read watchpoints change.</summary>
    void UpdateDirectAccess()
    {
        bool paging = (_cr0 & CR0_PG) != 0;
        _directWriteEnd = paging ? 0 : Memory.Size;
        _directReadEnd = paging || _watchingReads ? 0 : Memory.Size;
    }

    /// <summary>The linear address of a compact memory operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Ea(ref MicroOp op)
    {
        ref uint r = ref MemoryMarshal.GetArrayDataReference(Gpr);
        return op.Disp + Unsafe.Add(ref r, op.Base) + (Unsafe.Add(ref r, op.Index) << op.Scale)
            + Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(SegmentBase), op.Seg);
    }

    /// <summary>
    /// The same address from the operand's fields as arguments: what the block compiler calls,
    /// with the fields as constants, so that an absent base or index and the zero base of every
    /// segment but FS and GS (Cpu.Segmentation.cs) fold away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Ea(uint disp, int @base, int index, int scale, int seg)
    {
        uint ea = disp;
        if (@base != MicroOp.NoRegister) ea += _regs[@base];
        if (index != MicroOp.NoRegister) ea += _regs[index] << scale;
        if (seg is (int)SegReg.FS or (int)SegReg.GS) ea += SegmentBase[seg];
        return ea;
    }

    /// <summary>A register by number, without a bounds check (numbers come from the decoder).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref uint R(int n) => ref _regs[n];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Read32(uint linear) =>
        linear + 4ul <= _directReadEnd ? Unsafe.ReadUnaligned<uint>(_ram + linear) : ReadSlow(linear, 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Read16(uint linear) =>
        linear + 2ul <= _directReadEnd ? Unsafe.ReadUnaligned<ushort>(_ram + linear) : ReadSlow(linear, 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Read8(uint linear) =>
        linear + 1ul <= _directReadEnd ? _ram[linear] : ReadSlow(linear, 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Write32(uint linear, uint value)
    {
        if (linear + 4ul <= _directWriteEnd && (_codePages[linear >> 12] | _codePages[(linear + 3) >> 12]) == 0)
        {
            Unsafe.WriteUnaligned(_ram + linear, value);
            return true;
        }
        return WriteSlow(linear, 4, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Write16(uint linear, uint value)
    {
        if (linear + 2ul <= _directWriteEnd && (_codePages[linear >> 12] | _codePages[(linear + 1) >> 12]) == 0)
        {
            Unsafe.WriteUnaligned(_ram + linear, (ushort)value);
            return true;
        }
        return WriteSlow(linear, 2, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Write8(uint linear, uint value)
    {
        if (linear + 1ul <= _directWriteEnd && _codePages[linear >> 12] == 0)
        {
            _ram[linear] = (byte)value;
            return true;
        }
        return WriteSlow(linear, 1, value);
    }

    /// <summary>Any read: through the TLB when it hits and the access stays in one page and in RAM, else the general path.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    uint ReadSlow(uint linear, int size)
    {
        uint pa = linear;
        if ((linear & 0xFFF) <= 0x1000 - size && !_watchingReads && ((_cr0 & CR0_PG) == 0 || Translate(linear, AccessKind.Read, out pa)) && pa <= Memory.Size - size)
            return size switch
            {
                4 => Unsafe.ReadUnaligned<uint>(_ram + pa),
                2 => Unsafe.ReadUnaligned<ushort>(_ram + pa),
                _ => _ram[pa],
            };
        return _pendingFault ? 0 : ReadMem(linear, size);
    }

    /// <summary>Any write: through the TLB when it hits and the access stays in one page and in RAM, else the general path.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    bool WriteSlow(uint linear, int size, uint value)
    {
        uint pa = linear;
        if ((linear & 0xFFF) <= 0x1000 - size && ((_cr0 & CR0_PG) == 0 || Translate(linear, AccessKind.Write, out pa)) && pa <= Memory.Size - size)
        {
            if (size == 4) Unsafe.WriteUnaligned(_ram + pa, value);
            else if (size == 2) Unsafe.WriteUnaligned(_ram + pa, (ushort)value);
            else _ram[pa] = (byte)value;
            NoteWrite(pa, size);
            return true;
        }
        return !_pendingFault && WriteMem(linear, size, value);
    }
}
