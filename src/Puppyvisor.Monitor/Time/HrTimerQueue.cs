// [H:200] The host's high-resolution timer queue.
//
// Like Linux's timerqueue under the hrtimers (lib/timerqueue.c): timers ordered by
// absolute expiry on the machine's clock, the earliest one always at hand. A binary
// min-heap with each timer remembering its slot gives O(log n) arm, re-arm, cancel
// and pop-earliest. Ties go to the timer armed first (a sequence number taken at
// each arm), so a virtual-clock run fires timers in the same order every time.
//
// A timer's callback only marks an IRQ pending and wakes its vCPU (lguest's
// clockdev_fn); it runs after the timer is unlinked, so it may re-arm (QEMU's rule).
namespace Puppyvisor.Monitor.Time;

public sealed class HrTimer
{
    internal long Expiry;
    internal ulong Sequence;
    internal int HeapIndex = -1;

    /// <summary>Runs when the timer expires, with the queue's "now". Must only mark and wake.</summary>
    public Action<HrTimer, long> Callback { get; }

    /// <summary>A label for timelines and the debugger (the guest it belongs to).</summary>
    public string Name { get; }

    public HrTimer(string name, Action<HrTimer, long> callback) { Name = name; Callback = callback; }

    public bool IsArmed => HeapIndex >= 0;

    /// <summary>The absolute expiry on the machine's clock, when armed.</summary>
    public long ExpiryNs => Expiry;
}

public sealed class HrTimerQueue
{
    readonly List<HrTimer> _heap = new();
    ulong _nextSequence;

    public int Count => _heap.Count;

    /// <summary>Expiries handed to callbacks since the queue was made ("host timer expiries").</summary>
    public long Expirations { get; private set; }

    /// <summary>The earliest expiry, or long.MaxValue when nothing is armed (QEMU's -1).</summary>
    public long EarliestExpiry => _heap.Count == 0 ? long.MaxValue : _heap[0].Expiry;

    public HrTimer? Earliest => _heap.Count == 0 ? null : _heap[0];

    /// <summary>Every armed timer in firing order (for the debugger's `monitor timers`).</summary>
    public HrTimer[] Snapshot() => _heap.OrderBy(t => t.Expiry).ThenBy(t => t.Sequence).ToArray();

    /// <summary>Arms (or re-arms) <paramref name="timer"/> at absolute <paramref name="expiry"/>. True if it is now the earliest.</summary>
    public bool Arm(HrTimer timer, long expiry)
    {
        if (timer.IsArmed) Remove(timer);
        timer.Expiry = expiry;
        timer.Sequence = _nextSequence++;
        timer.HeapIndex = _heap.Count;
        _heap.Add(timer);
        SiftUp(timer.HeapIndex);
        return _heap[0] == timer;
    }

    /// <summary>Disarms <paramref name="timer"/>; false if it was not armed.</summary>
    public bool Cancel(HrTimer timer)
    {
        if (!timer.IsArmed) return false;
        Remove(timer);
        return true;
    }

    /// <summary>Unlinks and returns the earliest timer if it expires at or before <paramref name="now"/>.</summary>
    public HrTimer? PopExpired(long now)
    {
        if (_heap.Count == 0 || _heap[0].Expiry > now) return null;
        HrTimer t = _heap[0];
        Remove(t);
        return t;
    }

    /// <summary>Pops and runs every timer due at <paramref name="now"/>, in order; returns how many ran.</summary>
    public int RunExpired(long now)
    {
        int n = 0;
        while (PopExpired(now) is { } t)
        {
            Expirations++;
            n++;
            t.Callback(t, now);
        }
        return n;
    }

    void Remove(HrTimer timer)
    {
        int i = timer.HeapIndex;
        int last = _heap.Count - 1;
        timer.HeapIndex = -1;
        if (i != last)
        {
            _heap[i] = _heap[last];
            _heap[i].HeapIndex = i;
            _heap.RemoveAt(last);
            SiftDown(i);
            SiftUp(i);
        }
        else _heap.RemoveAt(last);
    }

    static bool Before(HrTimer a, HrTimer b) => a.Expiry < b.Expiry || (a.Expiry == b.Expiry && a.Sequence < b.Sequence);

    void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Before(_heap[i], _heap[parent])) break;
            Swap(i, parent);
            i = parent;
        }
    }

    void SiftDown(int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < _heap.Count && Before(_heap[l], _heap[m])) m = l;
            if (r < _heap.Count && Before(_heap[r], _heap[m])) m = r;
            if (m == i) return;
            Swap(i, m);
            i = m;
        }
    }

    void Swap(int a, int b)
    {
        (_heap[a], _heap[b]) = (_heap[b], _heap[a]);
        _heap[a].HeapIndex = a;
        _heap[b].HeapIndex = b;
    }
}
