// [C:210] Linear to physical: the 32-bit two-level page walk (SDM Vol. 3A, 4.3).
//
// With CR0.PG clear, linear is physical. With it set, the walk reads the page
// directory at CR3 and then a page table (or stops at a 4 MiB page when CR4.PSE and
// PDE.PS are set), checks U/S and R/W (CR0.WP for supervisor writes, 4.6), sets the
// accessed and dirty bits, and on failure raises #PF with CR2 and the error code.
using System.Runtime.CompilerServices;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu;

public sealed partial class Cpu
{
    const uint PteP = 1, PteRW = 2, PteUS = 4, PteA = 0x20, PteD = 0x40, PdePS = 0x80;

    // Page-fault error code bits (SDM Vol. 3A, 4.7).
    public const uint PfPresent = 1, PfWrite = 2, PfUser = 4;

    readonly Tlb _tlb;

    /// <summary>Off switch for tests: every access walks the tables.</summary>
    public bool TlbEnabled = true;

    public ulong TlbHits => _tlb.Hits;
    public ulong TlbMisses => _tlb.Misses;

    public bool PagingEnabled => (Cr0 & CR0_PG) != 0;

    /// <summary>Changes whenever a translation may have changed (CR0, CR3, CR4, INVLPG): block chains check it.</summary>
    internal uint TranslationEpoch;

    public void FlushTlb() { _tlb.FlushAll(); TranslationEpoch++; }
    public void FlushTlbEntry(uint linear) { _tlb.Flush(linear); TranslationEpoch++; }

    /// <summary>
    /// Translates <paramref name="linear"/> for an access by the current CPL.
    /// On failure raises #PF and returns false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Translate(uint linear, AccessKind kind, out uint physical) =>
        Translate(linear, kind, Cpl == 3, out physical);

    /// <summary>Translates with an explicit privilege: descriptor-table and TSS accesses are supervisor.</summary>
    /// <remarks>Inlined, so a TLB hit costs its callers (the memory slow paths, block lookup) no call; a miss walks out of line.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Translate(uint linear, AccessKind kind, bool user, out uint physical)
    {
        if ((Cr0 & CR0_PG) == 0) { physical = linear; return true; }

        Permission need = user
            ? (kind == AccessKind.Write ? Permission.UserWrite : Permission.UserRead)
            : (kind == AccessKind.Write ? Permission.SupervisorWrite : Permission.SupervisorRead);
        uint vpn = linear >> 12;
        int slot = (int)(vpn & (Tlb.Entries - 1));
        if (TlbEnabled && _tlb.Tag[slot] == vpn + 1 && (_tlb.Allowed[slot] & (byte)need) != 0)
        {
            _tlb.Hits++;
            physical = _tlb.Frame[slot] | (linear & 0xFFF);
            return true;
        }
        _tlb.Misses++;
        return Walk(linear, kind, user, out physical);
    }

    bool Walk(uint linear, AccessKind kind, bool user, out uint physical)
    {
        physical = 0;
        bool write = kind == AccessKind.Write;
        uint pdeAddr = (Cr3 & 0xFFFF_F000u) | ((linear >> 22) << 2);
        uint pde = Memory.Read(pdeAddr, 4);
        if ((pde & PteP) == 0) return PageFault(linear, write, user, present: false);

        uint frame, rw, us;
        bool large = (pde & PdePS) != 0 && (Cr4 & CR4_PSE) != 0;
        uint pteAddr = 0, pte = 0;
        if (large)
        {
            frame = (pde & 0xFFC0_0000u) | (linear & 0x003F_F000u);
            rw = pde & PteRW; us = pde & PteUS;
        }
        else
        {
            pteAddr = (pde & 0xFFFF_F000u) | (((linear >> 12) & 0x3FF) << 2);
            pte = Memory.Read(pteAddr, 4);
            if ((pte & PteP) == 0) return PageFault(linear, write, user, present: false);
            frame = pte & 0xFFFF_F000u;
            rw = pde & pte & PteRW; us = pde & pte & PteUS;
        }

        // SDM 4.6: user accesses need U/S in both levels, user writes R/W too;
        // supervisor writes need R/W only when CR0.WP is set.
        if (user && us == 0) return PageFault(linear, write, user, present: true);
        if (write && rw == 0 && (user || (Cr0 & CR0_WP) != 0)) return PageFault(linear, write, user, present: true);

        // Accessed on every walk; dirty on a write (the PDE for a 4 MiB page, else the PTE).
        if ((pde & PteA) == 0 || (large && write && (pde & PteD) == 0))
            Memory.Write(pdeAddr, 4, pde | PteA | (large && write ? PteD : 0));
        if (!large && ((pte & PteA) == 0 || (write && (pte & PteD) == 0)))
            Memory.Write(pteAddr, 4, pte | PteA | (write ? PteD : 0));

        bool dirty = write || (large ? (pde & PteD) != 0 : (pte & PteD) != 0);
        Permission allowed = Permission.SupervisorRead;
        if (dirty && (rw != 0 || (Cr0 & CR0_WP) == 0)) allowed |= Permission.SupervisorWrite;
        if (us != 0) allowed |= Permission.UserRead;
        if (us != 0 && rw != 0 && dirty) allowed |= Permission.UserWrite;
        uint vpn = linear >> 12;
        int slot = (int)(vpn & (Tlb.Entries - 1));
        _tlb.Tag[slot] = vpn + 1;
        _tlb.Frame[slot] = frame;
        _tlb.Allowed[slot] = (byte)allowed;
        _tlb.Large[slot] = large;
        _tlb.AnyLarge |= large;

        physical = frame | (linear & 0xFFF);
        return true;
    }

    bool PageFault(uint linear, bool write, bool user, bool present)
    {
        if (_pendingFault) return false;            // a later access of a faulting instruction: CR2 keeps the first
        Cr2 = linear;
        RaiseFault(Vector.PageFault,
            (present ? PfPresent : 0) | (write ? PfWrite : 0) | (user ? PfUser : 0));
        return false;
    }
}
