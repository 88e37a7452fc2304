// [H:210] The paravirtual clockevent device: one one-shot timer per vCPU.
//
// lguest's guest_set_clockevent(): the guest hands over a delta in nanoseconds; we
// know the guest's "now" (we are in its hypercall), so the delta becomes an
// absolute expiry and a host hrtimer is armed for it. Programming again replaces
// the expiry; 0 stops the device. Any nonzero delta arms, however small: an expiry
// already due fires at the next guest entry -- a deadline never fails (DESIGN §2).
// When the hrtimer fires, its callback does what lguest's clockdev_fn does: mark
// the timer interrupt pending and wake the vCPU. Nothing else.
using Puppyvisor.Monitor.Interrupts;

namespace Puppyvisor.Monitor.Time;

public sealed class ClockEventDevice
{
    /// <summary>The clockevent is IRQ 0 (vector 0x20).</summary>
    public const int Irq = 0;

    readonly HrTimer _timer;
    readonly HrTimerQueue _queue;
    readonly PendingIrqs _irqs;
    readonly Action _wake;

    public long Armed, Rearmed, Cancelled, Fired;

    /// <summary>
    /// Called with (change, now, delta, expiry) on every programming; a stop has delta 0 and
    /// expiry -1. For the timeline and the logs.
    /// </summary>
    public Action<ClockEventChange, long, ulong, long>? OnProgram;
    /// <summary>Called with the expiry when the timer fires. For the timeline.</summary>
    public Action<long>? OnFire;

    public ClockEventDevice(string name, HrTimerQueue queue, PendingIrqs irqs, Action wake)
    {
        _queue = queue;
        _irqs = irqs;
        _wake = wake;
        _timer = new HrTimer(name, Expired);
    }

    public bool IsArmed => _timer.IsArmed;
    public long Expiry => _timer.IsArmed ? _timer.ExpiryNs : long.MaxValue;
    public HrTimer Timer => _timer;
    /// <summary>The host hrtimer queue the device arms its timer in.</summary>
    public HrTimerQueue Queue => _queue;

    /// <summary>HCALL_SET_CLOCKEVENT: arm for <paramref name="deltaNs"/> after <paramref name="nowNs"/>, or stop on 0.</summary>
    public void Program(long nowNs, ulong deltaNs)
    {
        if (deltaNs == 0)
        {
            if (_queue.Cancel(_timer)) Cancelled++;
            OnProgram?.Invoke(ClockEventChange.Stopped, nowNs, 0, -1);
            return;
        }
        long expiry = deltaNs >= (ulong)(long.MaxValue - nowNs) ? long.MaxValue - 1 : nowNs + (long)deltaNs;
        bool rearm = _timer.IsArmed;
        if (rearm) Rearmed++; else Armed++;
        _queue.Arm(_timer, expiry);
        OnProgram?.Invoke(rearm ? ClockEventChange.Rearmed : ClockEventChange.Armed, nowNs, deltaNs, expiry);
    }

    /// <summary>The hrtimer callback (lguest's clockdev_fn): mark IRQ 0 pending, wake the vCPU.</summary>
    void Expired(HrTimer timer, long now)
    {
        Fired++;
        _irqs.Raise(Irq, timer.ExpiryNs);
        OnFire?.Invoke(timer.ExpiryNs);
        _wake();
    }
}

/// <summary>What a programming of the clockevent device did: arm it, replace a pending expiry, or stop it.</summary>
public enum ClockEventChange { Armed, Rearmed, Stopped }
