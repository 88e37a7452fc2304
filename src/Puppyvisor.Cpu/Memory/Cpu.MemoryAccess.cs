// [C:230] Guest memory as instructions see it: linear addresses, faults as events.
//
// Every access goes Translate -> PhysicalMemory. An access that straddles a page is
// split and both pages are checked before anything is written, so a faulting
// instruction leaves memory as it was. A write into a page that holds decoded code
// drops that code (DESIGN §6: self-modifying code stays correct).
using System.Runtime.CompilerServices;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu;

public sealed partial class Cpu
{
    /// <summary>Reads 1, 2 or 4 bytes at a linear address; on a fault returns 0 with the fault raised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadMem(uint linear, int size) => ReadMem(linear, size, Cpl == 3);

    public uint ReadMem(uint linear, int size, bool user)
    {
        if ((linear & 0xFFF) <= 0x1000 - size)
        {
            if (!Translate(linear, AccessKind.Read, user, out uint pa)) return 0;
            if (_watchingReads) NoteWatchedRead(pa, size);
            return Memory.Read(pa, size);
        }
        return ReadSplit(linear, size, user);
    }

    uint ReadSplit(uint linear, int size, bool user)
    {
        uint value = 0;
        for (int i = 0; i < size; i++)
        {
            if (!Translate(linear + (uint)i, AccessKind.Read, user, out uint pa)) return 0;
            if (_watchingReads) NoteWatchedRead(pa, 1);
            value |= (uint)Memory.Read8(pa) << (8 * i);
        }
        return value;
    }

    /// <summary>Checks that a write would succeed (for read-modify-write and multi-part writes).</summary>
    public bool ProbeWrite(uint linear, int size) => ProbeWrite(linear, size, Cpl == 3);

    public bool ProbeWrite(uint linear, int size, bool user)
    {
        if (!Translate(linear, AccessKind.Write, user, out _)) return false;
        uint last = linear + (uint)size - 1;
        // A fault on the second page reports that page's first byte in CR2, as the CPU does.
        return (last & ~0xFFFu) == (linear & ~0xFFFu) || Translate(last & ~0xFFFu, AccessKind.Write, user, out _);
    }

    /// <summary>Writes 1, 2 or 4 bytes; returns false (fault raised, nothing written) on a fault.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool WriteMem(uint linear, int size, uint value) => WriteMem(linear, size, value, Cpl == 3);

    public bool WriteMem(uint linear, int size, uint value, bool user)
    {
        if ((linear & 0xFFF) <= 0x1000 - size)
        {
            if (!Translate(linear, AccessKind.Write, user, out uint pa)) return false;
            Memory.Write(pa, size, value);
            NoteWrite(pa, size);
            return true;
        }
        if (!ProbeWrite(linear, size, user)) return false;
        for (int i = 0; i < size; i++)
        {
            Translate(linear + (uint)i, AccessKind.Write, user, out uint pa);
            Memory.Write8(pa, (byte)(value >> (8 * i)));
            NoteWrite(pa, 1);
        }
        return true;
    }

    /// <summary>Reads 8 bytes (CMPXCHG8B, descriptors).</summary>
    public ulong ReadMem64(uint linear, bool user)
    {
        uint lo = ReadMem(linear, 4, user);
        uint hi = ReadMem(linear + 4, 4, user);
        return lo | ((ulong)hi << 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void NoteWrite(uint pa, int size)
    {
        uint page = pa >> 12;
        if (page < (uint)Memory.CodePages.Length && Memory.CodePages[page] != 0)
            NoteWriteToFlaggedPage(pa, size);
    }

    /// <summary>A write into a page that holds decoded code or a watchpoint (Cpu.Debug.cs).</summary>
    void NoteWriteToFlaggedPage(uint pa, int size)
    {
        byte flags = Memory.CodePages[pa >> 12];
        if ((flags & PhysicalMemory.PageWatched) != 0) CheckWatch(pa, size, write: true);
        if ((flags & PhysicalMemory.PageHasCode) != 0) Decode.InvalidatePage(pa >> 12);
    }

    /// <summary>A read while read or access watchpoints exist.</summary>
    void NoteWatchedRead(uint pa, int size)
    {
        uint page = pa >> 12;
        if (page < (uint)Memory.CodePages.Length && (Memory.CodePages[page] & PhysicalMemory.PageWatched) != 0)
            CheckWatch(pa, size, write: false);
    }

    /// <summary>Copies guest memory out for the monitor (console writes). False if any byte is unmapped.</summary>
    public bool TryReadLinear(uint linear, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            uint lin = linear + (uint)i;
            if (!TranslateQuiet(lin, out uint pa) || pa >= Memory.Size) return false;
            destination[i] = Memory.Ram[pa];
        }
        return true;
    }

    /// <summary>A translation that raises nothing and sets no A/D bits: for the monitor and debugger.</summary>
    public bool TranslateQuiet(uint linear, out uint physical)
    {
        physical = linear;
        if ((Cr0 & CR0_PG) == 0) return true;
        uint pde = Memory.Read((Cr3 & 0xFFFF_F000u) | ((linear >> 22) << 2), 4);
        if ((pde & PteP) == 0) return false;
        if ((pde & PdePS) != 0 && (Cr4 & CR4_PSE) != 0)
        {
            physical = (pde & 0xFFC0_0000u) | (linear & 0x003F_FFFFu);
            return true;
        }
        uint pte = Memory.Read((pde & 0xFFFF_F000u) | (((linear >> 12) & 0x3FF) << 2), 4);
        if ((pte & PteP) == 0) return false;
        physical = (pte & 0xFFFF_F000u) | (linear & 0xFFF);
        return true;
    }
}
