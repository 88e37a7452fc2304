// [C:200] Guest-physical memory: RAM from 0 to its size, and nothing else.
//
// One bounds-checked choke point (blink's idea): every access that the MMU has
// translated ends here. Outside RAM, reads return all-ones and writes are dropped
// (DESIGN §1), and the first such access is reported once, with the guest's EIP.
using System.Runtime.CompilerServices;

namespace Puppyvisor.Cpu.Memory;

public sealed class PhysicalMemory
{
    /// <summary>The guest's RAM. Public so the loader and devices can copy blocks.</summary>
    public readonly byte[] Ram;
    public readonly uint Size;

    /// <summary>
    /// One byte per 4 KiB page, tested by every write: <see cref="PageHasCode"/> when the decode
    /// cache holds code from it, <see cref="PageWatched"/> when a debugger watches bytes in it.
    /// </summary>
    internal readonly byte[] CodePages;
    internal const byte PageHasCode = 1, PageWatched = 2;

    /// <summary>Called for the first access outside RAM (address, is-write).</summary>
    public Action<uint, bool>? OutsideRamAccess;
    bool _reportedOutside;

    public PhysicalMemory(uint size)
    {
        if (size < 0x10_0000 || (size & 0xFFF) != 0)
            throw new ArgumentOutOfRangeException(nameof(size), "guest RAM must be at least 1 MiB and a multiple of 4 KiB");
        Size = size;
        Ram = GC.AllocateUninitializedArray<byte>((int)size, pinned: true);
        Array.Clear(Ram);
        CodePages = GC.AllocateArray<byte>((int)(size >> 12) + 1, pinned: true);     // the CPU's fast path holds a pointer
    }

    public bool Contains(uint address, uint length) =>
        address < Size && length <= Size - address;

    public byte Read8(uint pa)
    {
        if (pa < Size) return Ram[pa];
        ReportOutside(pa, false);
        return 0xFF;
    }

    public void Write8(uint pa, byte value)
    {
        if (pa < Size) { Ram[pa] = value; return; }
        ReportOutside(pa, true);
    }

    /// <summary>A little-endian read of 1, 2 or 4 bytes that may straddle the end of RAM.</summary>
    public uint Read(uint pa, int size)
    {
        if (pa <= Size - 4)
            return size switch
            {
                1 => Ram[pa],
                2 => Unsafe.ReadUnaligned<ushort>(ref Ram[pa]),
                _ => Unsafe.ReadUnaligned<uint>(ref Ram[pa]),
            };
        uint v = 0;
        for (int i = 0; i < size; i++) v |= (uint)Read8(pa + (uint)i) << (8 * i);
        return v;
    }

    public void Write(uint pa, int size, uint value)
    {
        if (pa <= Size - 4)
        {
            switch (size)
            {
                case 1: Ram[pa] = (byte)value; break;
                case 2: Unsafe.WriteUnaligned(ref Ram[pa], (ushort)value); break;
                default: Unsafe.WriteUnaligned(ref Ram[pa], value); break;
            }
            return;
        }
        for (int i = 0; i < size; i++) Write8(pa + (uint)i, (byte)(value >> (8 * i)));
    }

    void ReportOutside(uint pa, bool write)
    {
        if (_reportedOutside) return;
        _reportedOutside = true;
        OutsideRamAccess?.Invoke(pa, write);
    }
}
