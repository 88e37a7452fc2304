// The interpreter on a hot guest loop: decode-cache hits, dispatch, lazy flags, memory.
using BenchmarkDotNet.Attributes;
using Iced.Intel;
using Puppyvisor.Cpu;
using Puppyvisor.Cpu.Memory;
using Puppyvisor.Monitor.Time;
using static Iced.Intel.AssemblerRegisters;

namespace Puppyvisor.Benchmarks;

[MemoryDiagnoser]
public class InterpreterBenchmarks
{
    const uint CodeAddress = 0x10_0000;
    const int Iterations = 1_000_000;
    Cpu.Cpu _cpu = null!, _compiled = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A loop that looks like compiled C: loads, ALU, a store, a compare and a branch.
        var a = new Assembler(32);
        var loop = a.CreateLabel();
        a.mov(ecx, (uint)Iterations);
        a.mov(esi, 0x20_0000u);
        a.xor(eax, eax);
        a.Label(ref loop);
        a.add(eax, __dword_ptr[esi]);
        a.mov(edx, eax);
        a.shr(edx, 3);
        a.xor(eax, edx);
        a.mov(__dword_ptr[esi + 4], eax);
        a.dec(ecx);
        a.jnz(loop);
        a.hlt();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), CodeAddress);
        var memory = new PhysicalMemory(16 * 1024 * 1024);
        stream.ToArray().CopyTo(memory.Ram, CodeAddress);
        _cpu = new Cpu.Cpu(memory, NullCpuHost.Instance) { Compiler = BlockCompilation.Off };
        var compiledMemory = new PhysicalMemory(16 * 1024 * 1024);
        stream.ToArray().CopyTo(compiledMemory.Ram, CodeAddress);
        _compiled = new Cpu.Cpu(compiledMemory, NullCpuHost.Instance) { Compiler = BlockCompilation.Immediate };
    }

    /// <summary>7 million guest instructions of a hot block, interpreted; divide the time by 7e6 for ns per instruction.</summary>
    [Benchmark(OperationsPerInvoke = 7 * Iterations)]
    public ExitReason HotLoop() => RunLoop(_cpu);

    /// <summary>The same with the block compiler: after 64 rounds the loop runs as one compiled method.</summary>
    [Benchmark(OperationsPerInvoke = 7 * Iterations)]
    public ExitReason HotLoopCompiled() => RunLoop(_compiled);

    static ExitReason RunLoop(Cpu.Cpu cpu)
    {
        cpu.Eip = CodeAddress;
        cpu.Eflags = 2;
        return cpu.Run(long.MaxValue);
    }

    HrTimerQueue _queue = null!;
    HrTimer[] _timers = null!;

    [GlobalSetup(Target = nameof(HrTimerQueueRearm))]
    public void SetupQueue()
    {
        _queue = new HrTimerQueue();
        _timers = Enumerable.Range(0, 1024).Select(i => new HrTimer($"t{i}", (_, _) => { })).ToArray();
        for (int i = 0; i < _timers.Length; i++) _queue.Arm(_timers[i], i * 1000L);
    }

    /// <summary>Re-arming one timer of 1024 armed ones (the hot operation of a tickless guest).</summary>
    [Benchmark(OperationsPerInvoke = 1024)]
    public void HrTimerQueueRearm()
    {
        for (int i = 0; i < _timers.Length; i++) _queue.Arm(_timers[i], (i * 7919L) % 1_000_000);
    }
}
