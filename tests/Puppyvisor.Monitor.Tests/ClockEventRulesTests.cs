// The rules of DESIGN §2 for the clockevent device and interrupt injection, each
// checked by a guest on the virtual clock (1 ns per instruction).
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class ClockEventRulesTests
{
    const uint SetClockEvent = 9, HaltCall = 10;

    /// <summary>A handler that stores RDTSC (the injection time) and the interrupted EIP, then shuts down 0.</summary>
    static void RecordAndShutdown(Assembler a)
    {
        a.rdtsc();
        a.mov(__dword_ptr[Scratch], eax);
        a.mov(eax, __dword_ptr[esp]);
        a.mov(__dword_ptr[Scratch + 4], eax);
        Shutdown(a, 0);
    }

    static void Spin(Assembler a, int iterations)
    {
        var loop = a.CreateLabel();
        a.mov(ecx, (uint)iterations);
        a.Label(ref loop);
        a.dec(ecx);
        a.jnz(loop);
    }

    [Fact]
    public void OneNanosecondDelta_IsInjectedAtTheNextInstructionBoundary()
    {
        var m = Run(Build(a =>
        {
            a.sti();
            Hypercall(a, SetClockEvent, 1);
            Spin(a, 1000);
            Shutdown(a, 1);
        }, RecordAndShutdown));
        var g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        Assert.Equal(1, g.Stats.IrqsInjected);
        Assert.Equal(0, g.Stats.LatenessSummary()!.Value.Max);
    }

    [Fact]
    public void UnknownHypercall_ReturnsMinusEnosys()
    {
        var m = Run(Build(a =>
        {
            a.mov(eax, 99u);
            a.vmcall();
            a.mov(ebx, eax);
            a.mov(eax, 2u);
            a.vmcall();
        }));
        Assert.Equal(unchecked((byte)-38), m.Guests[0].ExitStatus);
    }

    [Fact]
    public void ZeroDelta_StopsTheDevice()
    {
        var m = Run(Build(a =>
        {
            a.sti();
            Hypercall(a, SetClockEvent, 1000);
            Hypercall(a, SetClockEvent, 0);
            Spin(a, 5000);
            Shutdown(a, 0);
        }, a => Shutdown(a, 1)));
        var g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        Assert.Equal(1, g.ClockEvent.Cancelled);
        Assert.Equal(0, g.ClockEvent.Fired);
    }

    [Fact]
    public void Rearming_ReplacesThePendingExpiry()
    {
        var m = Run(Build(a =>
        {
            a.sti();
            Hypercall(a, SetClockEvent, 100);
            Hypercall(a, SetClockEvent, 10_000);
            Spin(a, 20_000);
            Shutdown(a, 1);
        }, RecordAndShutdown));
        var g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        Assert.Equal(1, g.ClockEvent.Fired);
        Assert.Equal(1, g.ClockEvent.Rearmed);
        uint injectedAt = ReadScratch(g);
        Assert.InRange(injectedAt, 10_000u, 10_100u);
        Assert.Equal(0, g.Stats.LatenessSummary()!.Value.Max);
    }

    [Fact]
    public void InterruptsDisabled_DefersDeliveryUntilAfterTheStiShadow()
    {
        Label afterShadow = default;
        var m = Run(Build(a =>
        {
            afterShadow = a.CreateLabel();
            Hypercall(a, SetClockEvent, 10);            // IF = 0 from boot
            Spin(a, 100);
            a.sti();
            a.nop();                                      // the shadow: this one still runs
            a.Label(ref afterShadow);
            a.nop();
            Shutdown(a, 1);
        }, RecordAndShutdown));
        var g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        Assert.Equal(1, g.Stats.IrqsInjected);
        Assert.True(g.Stats.LatenessSummary()!.Value.Min > 0);   // it waited for IF
        // The saved EIP is the instruction after the shadowed NOP.
        uint savedEip = ReadScratch(g, 4);
        var disasm = Puppyvisor.Monitor.Diagnostics.CrashReport.DisassembleAt(g, savedEip - 1);
        Assert.Contains("nop", disasm);
    }

    [Fact]
    public void StiHlt_WakesOnTheTimerWithoutARace()
    {
        var m = Run(Build(a =>
        {
            Hypercall(a, SetClockEvent, 50_000);
            a.sti();
            a.hlt();
            Shutdown(a, 1);
        }, RecordAndShutdown));
        var g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        Assert.InRange(ReadScratch(g), 50_000u, 50_300u);
        Assert.Equal(0, g.Stats.LatenessSummary()!.Value.Max);
        Assert.True(g.Stats.HaltedFraction > 0.9);
    }

    [Fact]
    public void HltWithInterruptsDisabled_StopsAsHaltedForever()
    {
        var m = Run(Build(a =>
        {
            Hypercall(a, SetClockEvent, 100);
            a.cli();
            a.hlt();
            Shutdown(a, 0);
        }));
        var g = m.Guests[0];
        Assert.Equal(StopReason.HaltedForever, g.StopReason);
        Assert.Equal(ExitCodes.HaltedForever, g.ExitStatus);
    }

    [Fact]
    public void HltWithNothingArmed_StopsAsHaltedForever()
    {
        var m = Run(Build(a =>
        {
            a.sti();
            a.hlt();
            Shutdown(a, 0);
        }));
        Assert.Equal(StopReason.HaltedForever, m.Guests[0].StopReason);
    }

    [Fact]
    public void HypercallHalt_ReturnsOncePendingEvenWithInterruptsDisabled()
    {
        var m = Run(Build(a =>
        {
            Hypercall(a, SetClockEvent, 5_000);
            Hypercall(a, HaltCall);                       // IF = 0
            a.mov(ebx, eax);                              // 0 on return
            a.rdtsc();
            a.mov(__dword_ptr[Scratch], eax);
            a.mov(eax, 2u);
            a.vmcall();
        }, a => Shutdown(a, 1)));
        var g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        Assert.InRange(ReadScratch(g), 5_000u, 5_100u);
        Assert.Equal(0, g.Stats.IrqsInjected);           // IF stayed 0: pending, never delivered
    }

    [Fact]
    public void SecondExpiryBeforeDelivery_CoalescesIntoOneInterrupt()
    {
        var m = Run(Build(a =>
        {
            Hypercall(a, SetClockEvent, 10);
            Spin(a, 50);
            Hypercall(a, SetClockEvent, 10);
            Spin(a, 50);
            a.sti();
            Spin(a, 100);
            a.mov(ebx, __dword_ptr[Scratch + 8]);
            a.mov(eax, 2u);
            a.vmcall();
        }, a =>
        {
            a.inc(__dword_ptr[Scratch + 8]);
            a.iretd();
        }));
        var g = m.Guests[0];
        Assert.Equal(1, g.ExitStatus);                    // the handler ran once
        Assert.Equal(2, g.ClockEvent.Fired);
        Assert.Equal(1, g.Irqs.Coalesced);
        Assert.Equal(1, g.Stats.IrqsInjected);
    }

    [Fact]
    public void AThousandRearmsFromTheHandler_AllFireOnTimeAndInOrder()
    {
        var m = Run(Build(a =>
        {
            var idle = a.CreateLabel();
            Hypercall(a, SetClockEvent, 1_000);
            a.sti();
            a.Label(ref idle);
            a.hlt();
            a.jmp(idle);
        }, a =>
        {
            var done = a.CreateLabel();
            a.inc(__dword_ptr[Scratch]);
            a.cmp(__dword_ptr[Scratch], 1000);
            a.je(done);
            Hypercall(a, SetClockEvent, 1_000);
            a.iretd();
            a.Label(ref done);
            Shutdown(a, 0);
        }));
        var g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        Assert.Equal(1000, g.ClockEvent.Fired);
        Assert.Equal(1000, g.Stats.IrqsInjected);
        Assert.Equal(0, g.Stats.LatenessSummary()!.Value.Max);
    }

    [Fact]
    public void RearmingDoesNotTakeBackAnInterruptAlreadyPending()
    {
        var m = Run(Build(a =>
        {
            Hypercall(a, SetClockEvent, 10);
            Spin(a, 50);                                  // fired, pending (IF = 0)
            Hypercall(a, SetClockEvent, 0);               // stop the device
            a.sti();
            Spin(a, 10);
            Shutdown(a, 1);
        }, RecordAndShutdown));
        Assert.Equal(0, m.Guests[0].ExitStatus);
    }

    [Fact]
    public void PopfThatSetsIf_DeliversThePendingIrqRightAfterIt()
    {
        Label afterPopf = default;
        var m = Run(Build(a =>
        {
            afterPopf = a.CreateLabel();
            Hypercall(a, SetClockEvent, 10);            // IF = 0: the IRQ waits
            Spin(a, 100);
            a.push(0x202u);                               // EFLAGS with IF
            a.popfd();                                    // no shadow: deliver before the next instruction
            a.Label(ref afterPopf);
            a.nop();
            Shutdown(a, 1);
        }, RecordAndShutdown));
        var g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        uint savedEip = ReadScratch(g, 4);
        string disasm = Puppyvisor.Monitor.Diagnostics.CrashReport.DisassembleAt(g, savedEip);
        Assert.EndsWith("nop", disasm);                   // interrupted before the NOP, right after POPFD
    }
}
