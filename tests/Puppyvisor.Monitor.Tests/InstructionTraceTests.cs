// --trace-insns: the CPU's ring of the last instructions, printed when a guest dies.
using Puppyvisor.Monitor.Diagnostics;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class InstructionTraceTests
{
    [Fact]
    public void ATripleFault_EndsTheTraceWithTheFaultingInstruction()
    {
        var image = Build(a =>
        {
            a.mov(__word_ptr[Scratch], 0);                     // an empty IDT: #UD -> #GP -> #DF -> triple fault
            a.mov(__dword_ptr[Scratch + 2], 0);
            a.lidt(__[Scratch]);
            a.nop();
            a.ud2();
        });
        var options = new MachineOptions { Clock = Time.ClockKind.Virtual, MaxInstructions = 100_000 };
        var machine = new Machine(options, [image], TextWriter.Null, Serilog.Core.Logger.None);
        machine.Guests[0].Cpu.TraceInstructions(3);
        machine.Run();
        string[] lines = InstructionTrace.Format(machine.Guests[0]).TrimEnd('\n').Split('\n');
        Assert.Equal("puppyvisor: g0: last 3 instructions (TripleFault, status 70), oldest first:", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^  0x[0-9a-f]{8}: 0f011d[0-9a-f]{8}  lidt \[", lines[1]);
        Assert.Matches(@"^  0x[0-9a-f]{8}: 90  nop$", lines[2]);
        Assert.Matches(@"^  0x[0-9a-f]{8}: 0f0b  ud2$", lines[3]);
    }

    [Fact]
    public void WithoutTheFlag_NothingIsKept()
    {
        var machine = Run(Build(a => Shutdown(a, 0)));
        Assert.Empty(machine.Guests[0].Cpu.RecentInstructions());
    }
}
