// [C:220] A software TLB in front of the page walk (blink's idea, SDM Vol. 3A, 4.10).
//
// Direct-mapped, 256 entries, indexed by the low bits of the linear page number; a
// 4 MiB page is cached as 4 KiB slices, each marked large so INVLPG can find them all.
// An entry remembers the physical frame and what the walk allowed, so a hit costs a
// compare and a mask. Entries for writes are only made once the walk has set the
// dirty bit, so a hit never skips an A/D update the SDM requires.
namespace Puppyvisor.Cpu.Memory;

internal sealed class Tlb
{
    public const int Entries = 256;

    /// <summary>Linear page number + 1 (0 is "empty"), per entry.</summary>
    public readonly uint[] Tag = new uint[Entries];
    /// <summary>Physical address of the page frame.</summary>
    public readonly uint[] Frame = new uint[Entries];
    /// <summary><see cref="Permission"/> bits granted by the walk.</summary>
    public readonly byte[] Allowed = new byte[Entries];

    /// <summary>The entry is a 4 KiB slice of a 4 MiB page.</summary>
    public readonly bool[] Large = new bool[Entries];
    /// <summary>Some entry may be a slice of a 4 MiB page (so INVLPG must look for its siblings).</summary>
    public bool AnyLarge;

    public ulong Hits, Misses;

    public void FlushAll()
    {
        Array.Clear(Tag);
        AnyLarge = false;
    }

    /// <summary>INVLPG: drops the page holding <paramref name="linear"/>; for a 4 MiB page, every slice of it (SDM INVLPG).</summary>
    public void Flush(uint linear)
    {
        uint vpn = linear >> 12;
        int i = (int)(vpn & (Entries - 1));
        if (Tag[i] == vpn + 1) Tag[i] = 0;
        if (!AnyLarge) return;
        uint region = linear >> 22;
        for (int k = 0; k < Entries; k++)
            if (Large[k] && Tag[k] != 0 && (Tag[k] - 1) >> 10 == region) Tag[k] = 0;
    }
}

/// <summary>What a TLB entry allows: one bit per kind of access.</summary>
[Flags]
internal enum Permission : byte
{
    SupervisorRead = 1, SupervisorWrite = 2, UserRead = 4, UserWrite = 8,
}

/// <summary>The kind of an access, which picks the permission bit it needs.</summary>
public enum AccessKind
{
    Read = 0, Write = 1, Execute = 2,
}
