// [H:985] `monitor ...` in gdb (qRcmd): the monitor's view of the guest's time and timers.
//
// What gdb cannot see from the guest's memory: the guest's clock, the clockevent device
// and the host hrtimer queue behind it, the run's statistics; and run control in guest
// time: stop at the next timer IRQ, stop at a virtual time, let single steps take IRQs.
// A command that changes run control takes effect when gdb resumes (`continue`): a
// monitor command cannot itself resume the guest, gdb would not know it moved.
using System.Globalization;
using System.Text;
using Puppyvisor.Monitor.Diagnostics;
using Puppyvisor.Monitor.Hypercalls;
using Puppyvisor.Monitor.Time;

namespace Puppyvisor.Monitor.Debugger;

public static class MonitorCommands
{
    const string Help = """
        Puppyvisor monitor commands:
          clock              the guest's clock: now, in ns, and instructions retired
          timers             the clockevent device, the host hrtimer queue, the guest's timer_queue_head list
          stats              the guest's statistics so far (as --stats prints them)
          until-timer        on the next continue, stop when the clockevent IRQ is injected
          break-at TIME      on continue, stop when the guest's clock reaches TIME (ns; or 5ms, 20us, 1s)
          step-irq on|off    let single steps take interrupts (off: IRQs stay pending while stepping)

        """;

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs one command line; returns its output (ending in a newline).</summary>
    public static string Run(Guest guest, GuestDebugger debugger, string line)
    {
        string[] words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return Help;
        return (words[0].ToLowerInvariant(), words.Length) switch
        {
            ("help", _) => Help,
            ("clock", 1) => Clock(guest),
            ("timers", 1) => Timers(guest),
            ("stats", 1) => Stats(guest),
            ("until-timer", 1) => UntilTimer(guest, debugger),
            ("break-at", 2) => BreakAt(guest, debugger, words[1]),
            ("step-irq", 1) => $"step-irq is {(debugger.StepIrqs ? "on" : "off")}\n",
            ("step-irq", 2) when words[1] is "on" or "off" => StepIrq(debugger, words[1] == "on"),
            _ => $"unknown or malformed monitor command '{line.Trim()}'; 'monitor help' lists them\n",
        };
    }

    static string Clock(Guest guest)
    {
        string kind = guest.Clock is VirtualClock v ? $"virtual clock, {v.NsPerInstruction} ns per instruction" : "host clock";
        return string.Create(Inv, $"{guest.Name}: now {guest.Clock.Now} ns ({kind}); {guest.Cpu.InstructionsRetired} instructions retired; {guest.State}\n");
    }

    static string Timers(Guest guest)
    {
        var sb = new StringBuilder();
        long now = guest.Clock.Now;
        ClockEventDevice ce = guest.ClockEvent;
        sb.Append(Inv, $"now {now} ns\n");
        sb.Append(Inv, $"clockevent (IRQ {ClockEventDevice.Irq}, vector 0x{Abi.IrqBaseVector + ClockEventDevice.Irq:x2}): ");
        sb.Append(ce.IsArmed ? string.Create(Inv, $"armed, expiry {ce.Expiry} ns ({In(ce.Expiry, now)})") : "stopped");
        sb.Append(Inv, $"; armed {ce.Armed}, re-armed {ce.Rearmed}, cancelled {ce.Cancelled}, fired {ce.Fired}\n");
        sb.Append(Inv, $"IRQ pending: {(guest.Irqs.Any ? "yes" : "no")}; injected {guest.Stats.IrqsInjected}, coalesced {guest.Irqs.Coalesced}\n");
        HrTimer[] queue = guest.HostTimers();
        sb.Append(Inv, $"host hrtimer queue: {queue.Length} armed, earliest first\n");
        foreach (HrTimer t in queue)
            sb.Append(Inv, $"  {t.Name,-6} expiry {t.ExpiryNs} ns ({In(t.ExpiryNs, now)}){(t == ce.Timer ? "  <- this guest's clockevent" : "")}\n");
        AppendGuestQueue(sb, guest, now);
        return sb.ToString();
    }

    static string In(long expiry, long now) => expiry >= now ? string.Create(Inv, $"in {expiry - now} ns") : string.Create(Inv, $"{now - expiry} ns ago");

    /// <summary>
    /// The firmware's software timers, if the image has them: the list at timer_queue_head,
    /// read with struct hrtimer's i386 layout from firmware/include/fw/hrtimer.h
    /// (u64 expires @0, function @8, next @12, bool queued @16, const char *name @20).
    /// </summary>
    static void AppendGuestQueue(StringBuilder sb, Guest guest, long now)
    {
        if (guest.Image.FindSymbol("timer_queue_head") is not { } head) return;
        Span<byte> word = stackalloc byte[8];
        if (!guest.Cpu.TryReadLinear(head.Address, word[..4])) return;
        uint timer = BitConverter.ToUInt32(word);
        sb.Append(Inv, $"guest timer_queue_head (0x{head.Address:x8}) -> 0x{timer:x8}\n");
        for (int i = 0; timer != 0 && i < 64; i++)
        {
            if (!guest.Cpu.TryReadLinear(timer, word)) { sb.Append(Inv, $"  0x{timer:x8}: not readable\n"); return; }
            long expires = BitConverter.ToInt64(word);
            string name = ReadString(guest, timer + 20);
            if (!guest.Cpu.TryReadLinear(timer + 12, word[..4])) return;
            sb.Append(Inv, $"  0x{timer:x8} {name,-8} expires {expires} ns ({In(expires, now)})\n");
            timer = BitConverter.ToUInt32(word);
        }
    }

    static string ReadString(Guest guest, uint pointerAddress)
    {
        Span<byte> b = stackalloc byte[4];
        if (!guest.Cpu.TryReadLinear(pointerAddress, b)) return "?";
        uint p = BitConverter.ToUInt32(b);
        var text = new StringBuilder();
        Span<byte> c = stackalloc byte[1];
        for (int i = 0; i < 32 && guest.Cpu.TryReadLinear(p + (uint)i, c) && c[0] != 0; i++) text.Append((char)c[0]);
        return text.Length == 0 ? "?" : text.ToString();
    }

    static string Stats(Guest guest)
    {
        var sb = new StringBuilder();
        StatsReport.AppendGuest(sb, guest, Inv);
        return sb.ToString();
    }

    static string UntilTimer(Guest guest, GuestDebugger debugger)
    {
        debugger.StopAtNextTimerIrq = true;
        string armed = guest.Irqs.Any ? "an IRQ is pending now"
            : guest.ClockEvent.IsArmed ? string.Create(Inv, $"the clockevent is armed for {guest.ClockEvent.Expiry} ns ({In(guest.ClockEvent.Expiry, guest.Clock.Now)})")
            : "the clockevent is not armed now";
        return $"will stop when the next clockevent IRQ is injected ({armed}); 'continue' to run to it\n";
    }

    static string BreakAt(Guest guest, GuestDebugger debugger, string text)
    {
        if (!TryParseTime(text, out long ns)) return $"break-at: '{text}' is not a time (ns, or with a unit: 1500us, 5ms, 1s)\n";
        long now = guest.Clock.Now;
        if (ns <= now) return string.Create(Inv, $"break-at: {ns} ns has passed (now {now} ns)\n");
        debugger.BreakAtNs = ns;
        return string.Create(Inv, $"will stop when the clock reaches {ns} ns (now {now} ns); 'continue' to run to it\n");
    }

    static string StepIrq(GuestDebugger debugger, bool on)
    {
        debugger.StepIrqs = on;
        return on ? "step-irq on: single steps may take interrupts (a step can end in a handler)\n"
                  : "step-irq off: IRQs stay pending while single-stepping\n";
    }

    /// <summary>"5000000", "5000000ns", "5000us", "5ms", "0.005s".</summary>
    internal static bool TryParseTime(string text, out long ns)
    {
        ns = 0;
        (string unit, long scale)[] units = [("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)];
        string number = text;
        long multiplier = 1;
        foreach (var (unit, scale) in units)
        {
            if (!text.EndsWith(unit, StringComparison.OrdinalIgnoreCase)) continue;
            number = text[..^unit.Length];
            multiplier = scale;
            break;
        }
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, Inv, out decimal value)) return false;
        if (value > long.MaxValue / 2 / multiplier) return false;
        decimal total = value * multiplier;
        ns = (long)total;
        return true;
    }
}
