// [H:991] The guest's side of the gdb stub: where the debugger hangs, and what it may ask.
using Puppyvisor.Monitor.Debugger;
using Puppyvisor.Monitor.Time;

namespace Puppyvisor.Monitor;

public sealed partial class Guest
{
    /// <summary>The gdb stub attached to this guest (--gdb), or null: the run loop's hooks test this.</summary>
    public GuestDebugger? Debugger { get; internal set; }

    /// <summary>gdb's `kill`: the guest stops here (exit status 70).</summary>
    internal void Kill(string message) => Stop(StopReason.Killed, message);

    /// <summary>The machine's hrtimer queue, earliest first (under the queue's lock on the host clock).</summary>
    internal HrTimer[] HostTimers()
    {
        lock (_queueLock ?? this) return ClockEvent.Queue.Snapshot();
    }
}
