// Several guests in one run (DESIGN §4): each with its own RAM and clockevent, stopping
// alone, the run's status the first nonzero one, and virtual-clock runs reproducible.
using Iced.Intel;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class MachineTests
{
    /// <summary>A guest that takes 50 timer ticks of 10 us each, printing one byte per tick, then shuts down.</summary>
    static ElfImage TickingGuest(uint status) => Build(a =>
    {
        var idle = a.CreateLabel();
        Hypercall(a, 9, 10_000);
        a.sti();
        a.Label(ref idle);
        a.hlt();
        a.jmp(idle);
    }, a =>
    {
        var done = a.CreateLabel();
        a.inc(__dword_ptr[Scratch]);
        a.mov(__dword_ptr[Scratch + 8], 0x0A_2Eu);        // ".\n"
        Hypercall(a, 17, Scratch + 8, 2);
        a.cmp(__dword_ptr[Scratch], 50);
        a.je(done);
        Hypercall(a, 9, 10_000);
        a.iretd();
        a.Label(ref done);
        Shutdown(a, status);
    });

    static (Machine Machine, string Output) RunMany(IReadOnlyList<ElfImage> images)
    {
        var output = new StringWriter();
        var options = new MachineOptions { Clock = ClockKind.Virtual, MaxInstructions = 10_000_000 };
        var m = new Machine(options, images, output, Serilog.Core.Logger.None);
        m.Run();
        return (m, output.ToString());
    }

    [Fact]
    public void EachGuest_HasItsOwnClockEventDevice()
    {
        var (m, _) = RunMany([TickingGuest(0), TickingGuest(0), TickingGuest(0)]);
        Assert.All(m.Guests, g =>
        {
            Assert.Equal(50, g.ClockEvent.Fired);
            Assert.Equal(50, g.Stats.IrqsInjected);
            Assert.Equal((0L, 0L), (g.Stats.LatenessSummary()!.Value.Min, g.Stats.LatenessSummary()!.Value.Max));
        });
        Assert.Equal(150, m.Queue.Expirations);
    }

    [Fact]
    public void TimersOfOtherGuestsDueAtTheSameTime_NeverReachAGuestEarly()
    {
        // Ten guests with identical expiries: no guest's turn may fire another's timer before
        // that guest's clock has reached it (the IRQ would arrive early, lateness < 0).
        var (m, _) = RunMany(Enumerable.Repeat(TickingGuest(0), 10).ToList());
        Assert.All(m.Guests, g => Assert.True(g.Stats.LatenessSummary()!.Value.Min >= 0));
        Assert.All(m.Guests, g => Assert.Equal(50, g.Stats.IrqsInjected));
    }

    [Fact]
    public void ConsoleLines_ArePrefixedPerGuest()
    {
        var (_, output) = RunMany([TickingGuest(0), TickingGuest(0)]);
        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal(50, lines.Count(l => l == "[g0] ."));
        Assert.Equal(50, lines.Count(l => l == "[g1] ."));
    }

    [Fact]
    public void VirtualClockRuns_AreReproducible()
    {
        var (m1, out1) = RunMany([TickingGuest(0), TickingGuest(3)]);
        var (m2, out2) = RunMany([TickingGuest(0), TickingGuest(3)]);
        Assert.Equal(out1, out2);
        Assert.Equal(m1.Guests.Select(g => g.Cpu.InstructionsRetired), m2.Guests.Select(g => g.Cpu.InstructionsRetired));
        Assert.Equal(m1.Guests.Select(g => g.Stats.GuestTimeNs), m2.Guests.Select(g => g.Stats.GuestTimeNs));
    }

    [Fact]
    public void AGuestThatHaltsForever_StopsAloneAndTheOthersGoOn()
    {
        var dead = Build(a => { a.cli(); a.hlt(); });
        var (m, _) = RunMany([dead, TickingGuest(0)]);
        Assert.Equal(StopReason.HaltedForever, m.Guests[0].StopReason);
        Assert.Equal(StopReason.Shutdown, m.Guests[1].StopReason);
        Assert.Equal(50, m.Guests[1].ClockEvent.Fired);
    }

    [Fact]
    public void RunStatus_IsTheFirstNonzeroGuestStatus()
    {
        var output = new StringWriter();
        var options = new MachineOptions { Clock = ClockKind.Virtual };
        var m = new Machine(options, [TickingGuest(0), TickingGuest(7), TickingGuest(9)], output, Serilog.Core.Logger.None);
        Assert.Equal(7, m.Run());
    }

    [Fact]
    public void IdleGuests_JumpTimeInsteadOfExecuting()
    {
        var (m, _) = RunMany([TickingGuest(0)]);
        var g = m.Guests[0];
        Assert.True(g.Stats.GuestTimeNs >= 500_000);            // 50 ticks of 10 us
        Assert.True(g.Stats.Instructions < 10_000);             // but almost all of it halted
        Assert.True(g.Stats.HaltedFraction > 0.95);
    }

    [Fact]
    public void AnExceptionStorm_StopsTheGuestWithAClearMessageInsteadOfHanging()
    {
        // #UD's handler is itself a UD2: every delivery faults again, nothing ever retires; the
        // stack is outside RAM, where the pushes are dropped, so nothing ends it by itself.
        var storm = Build(a =>
        {
            a.mov(esp, 0xF000_0000u);
            a.mov(__word_ptr[Scratch], 0x0B0F);                       // ud2 at Scratch
            a.mov(__dword_ptr[0x2000 + 6 * 8], 0x0008_0000u | (Scratch & 0xFFFF));
            a.mov(__dword_ptr[0x2000 + 6 * 8 + 4], (Scratch & 0xFFFF_0000u) | 0x8E00);
            a.ud2();
        });
        var (m, output) = RunMany([storm, TickingGuest(0)]);
        Assert.Equal(StopReason.TripleFault, m.Guests[0].StopReason);
        Assert.Contains("exception storm", output);
        Assert.Equal(StopReason.Shutdown, m.Guests[1].StopReason);     // the other guest is unaffected
    }
}
