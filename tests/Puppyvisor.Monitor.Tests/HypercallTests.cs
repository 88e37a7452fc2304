// The hypercall table of DESIGN §2, one rule per test.
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class HypercallTests
{
    [Fact]
    public void Version_ReturnsAbiVersionOne()
    {
        var m = Run(Build(a =>
        {
            a.mov(eax, 0u);
            a.vmcall();
            a.mov(ebx, eax);
            a.mov(eax, 2u);
            a.vmcall();
        }));
        Assert.Equal(1, m.Guests[0].ExitStatus);
    }

    [Fact]
    public void Shutdown_UsesTheLowEightBitsOfEbx()
    {
        var m = Run(Build(a => Shutdown(a, 0x1234)));
        Assert.Equal(0x34, m.Guests[0].ExitStatus);
        Assert.Equal(StopReason.Shutdown, m.Guests[0].StopReason);
    }

    [Fact]
    public void FromRing3_AnyHypercallReturnsMinusEpermAndDoesNothing()
    {
        var m = Run(Build(a =>
        {
            var toRing3 = a.CreateLabel();
            var denied = a.CreateLabel();
            // IRET to ring 3 with IOPL 3 (so the user code may use isa-debug-exit); the CALL
            // pushes the address of the ring-3 code as the frame's EIP.
            a.push(0x23u); a.push(0x8_0000u); a.push(0x3002u); a.push(0x1Bu);
            a.call(toRing3);
            Hypercall(a, 2, 0);                           // shutdown: refused from ring 3
            a.cmp(eax, -1);
            a.je(denied);
            a.mov(al, 6); a.@out(0xF4, al);               // status 13: not refused
            a.Label(ref denied);
            a.mov(al, 5); a.@out(0xF4, al);               // status 11: refused
            a.Label(ref toRing3);
            a.iretd();
        }));
        var g = m.Guests[0];
        Assert.True(g.ExitStatus == 11, g.StopMessage);
        Assert.Equal(1, g.Stats.HypercallsByNumber[2]);
    }

    [Fact]
    public void ConsoleWrite_OutsideRam_ReturnsMinusEfaultAndWritesNothing()
    {
        var m = Run(Build(a =>
        {
            Hypercall(a, 17, 0xFFFF_F000, 16);
            a.mov(ebx, eax);
            a.mov(eax, 2u);
            a.vmcall();
        }));
        Assert.Equal(unchecked((byte)-14), m.Guests[0].ExitStatus);
        Assert.Equal(0, m.Guests[0].Console.BytesWritten);
    }

    [Fact]
    public void ConsoleWrite_ReturnsTheByteCountAndPrints()
    {
        var m = Run(Build(a =>
        {
            a.mov(__dword_ptr[Scratch], 0x0A_69_68u);    // "hi\n"
            Hypercall(a, 17, Scratch, 3);
            a.mov(ebx, eax);
            a.mov(eax, 2u);
            a.vmcall();
        }));
        Assert.Equal(3, m.Guests[0].ExitStatus);
        Assert.Equal("hi\n", m.Guests[0].Console.Transcript);
    }

    [Fact]
    public void GetWallclock_IsTheFixedEpochOnTheVirtualClock()
    {
        var m = Run(Build(a =>
        {
            Hypercall(a, 11);
            a.mov(__dword_ptr[Scratch], eax);
            a.mov(__dword_ptr[Scratch + 4], edx);
            Shutdown(a, 0);
        }));
        ulong seconds = ReadScratch(m.Guests[0]) | ((ulong)ReadScratch(m.Guests[0], 4) << 32);
        Assert.Equal((ulong)MachineOptions.DefaultVirtualEpoch, seconds);
    }

    [Fact]
    public void Rdtsc_CountsRetiredInstructionsAtOneNanosecondEach()
    {
        var m = Run(Build(a =>
        {
            a.rdtsc();
            a.mov(__dword_ptr[Scratch], eax);
            a.nop(); a.nop(); a.nop();
            a.rdtsc();
            a.mov(__dword_ptr[Scratch + 4], eax);
            Shutdown(a, 0);
        }));
        var g = m.Guests[0];
        Assert.Equal(5u, ReadScratch(g, 4) - ReadScratch(g));   // mov, nop, nop, nop, then rdtsc reads
    }
}
