// [H:300] The pending-IRQ bitmap.
//
// Interrupts here are edges: raising an IRQ that is already pending coalesces into
// the one delivery (and is counted); delivery clears the bit. Re-arming or
// stopping the clockevent does not take back an IRQ already pending (DESIGN §2).
// Each bit remembers when it was raised, so injection can measure lateness.
using System.Numerics;

namespace Puppyvisor.Monitor.Interrupts;

public sealed class PendingIrqs
{
    public const int Count = 16;

    int _bits;
    readonly long[] _raisedAt = new long[Count];

    public long Coalesced;

    public bool Any => Volatile.Read(ref _bits) != 0;

    /// <summary>Marks <paramref name="irq"/> pending; <paramref name="atNs"/> is its due time (a timer's expiry).</summary>
    public void Raise(int irq, long atNs)
    {
        int bit = 1 << irq;
        if ((Interlocked.Or(ref _bits, bit) & bit) != 0) { Interlocked.Increment(ref Coalesced); return; }
        _raisedAt[irq] = atNs;
    }

    /// <summary>Takes the lowest pending IRQ (highest priority); false when none.</summary>
    public bool TakeLowest(out int irq, out long raisedAtNs)
    {
        int bits = Volatile.Read(ref _bits);
        if (bits == 0) { irq = -1; raisedAtNs = 0; return false; }
        irq = BitOperations.TrailingZeroCount(bits);
        raisedAtNs = _raisedAt[irq];
        Interlocked.And(ref _bits, ~(1 << irq));
        return true;
    }
}
