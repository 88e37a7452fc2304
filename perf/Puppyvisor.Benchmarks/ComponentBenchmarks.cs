// The interpreter's parts one at a time: a decode-cache hit, TLB hits for a load and a
// store, lazy-flag materialisation, a hypercall round trip, booting a guest to its
// first timer interrupt.
using BenchmarkDotNet.Attributes;
using Iced.Intel;
using Puppyvisor.Cpu;
using Puppyvisor.Cpu.Memory;
using Puppyvisor.Monitor;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;
using static Iced.Intel.AssemblerRegisters;

namespace Puppyvisor.Benchmarks;

[MemoryDiagnoser]
public class ComponentBenchmarks
{
    const uint Code = 0x10_0000;
    Cpu.Cpu _cpu = null!;
    Cpu.Cpu _paged = null!;

    [GlobalSetup]
    public void Setup()
    {
        var memory = new PhysicalMemory(16 * 1024 * 1024);
        memory.Ram[Code] = 0x90; memory.Ram[Code + 1] = 0xF4;          // nop; hlt
        _cpu = new Cpu.Cpu(memory, NullCpuHost.Instance);
        _cpu.Decode.Lookup(Code);

        // Paging on: a page directory at 0x1000 identity-mapping the first 4 MiB with one page table.
        var pagedMemory = new PhysicalMemory(16 * 1024 * 1024);
        pagedMemory.Write(0x1000, 4, 0x2000 | 3);
        for (uint i = 0; i < 1024; i++) pagedMemory.Write(0x2000 + 4 * i, 4, (i << 12) | 3);
        _paged = new Cpu.Cpu(pagedMemory, NullCpuHost.Instance) { Cr3 = 0x1000 };
        _paged.Cr0 |= Cpu.Cpu.CR0_PG;
        _paged.ReadMem(0x20_0000, 4);
        _paged.WriteMem(0x20_0000, 4, 1);
    }

    [Benchmark]
    public object? DecodeCacheHit() => _cpu.Decode.Lookup(Code);

    [Benchmark]
    public uint TlbHitLoad() => _paged.ReadMem(0x20_0010, 4);

    [Benchmark]
    public bool TlbHitStore() => _paged.WriteMem(0x20_0010, 4, 7);

    /// <summary>An ADD's lazy flags turned into EFLAGS bits (the cost PUSHF or an interrupt pays).</summary>
    [Benchmark]
    public uint LazyFlagMaterialisation()
    {
        _cpu.SetLazy(FlagOp.Add, 4, 0x7FFF_FFFF, 1, 0x8000_0000);
        return _cpu.Eflags;
    }
}

/// <summary>Whole-guest benchmarks through the monitor on the virtual clock.</summary>
public class MonitorBenchmarks
{
    const int Hypercalls = 100_000;
    ElfImage _hypercallGuest = null!, _tickless = null!;

    [GlobalSetup]
    public void Setup()
    {
        var a = new Assembler(32);
        var loop = a.CreateLabel();
        a.mov(esi, (uint)Hypercalls);
        a.Label(ref loop);
        a.mov(eax, 0u);                   // HCALL_VERSION
        a.vmcall();
        a.dec(esi);
        a.jnz(loop);
        a.mov(eax, 2u); a.mov(ebx, 0u); a.vmcall();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0x10_0000);
        _hypercallGuest = ElfImage.Parse("hcall.elf", MinimalElf(0x10_0000, stream.ToArray()));
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Puppyvisor.sln"))) dir = Path.GetDirectoryName(dir);
        _tickless = ElfImage.Load(Path.Combine(dir!, "guest-images", "tickless", "tickless.elf"));
    }

    static int Run(ElfImage image, string cmdline = "") =>
        new Machine(new MachineOptions { Clock = ClockKind.Virtual, CommandLine = cmdline }, [image], TextWriter.Null, Serilog.Core.Logger.None).Run();

    /// <summary>VMCALL, the exit to the monitor, HCALL_VERSION's dispatch and re-entry (per hypercall).</summary>
    [Benchmark(OperationsPerInvoke = Hypercalls)]
    public int HypercallRoundTrip() => Run(_hypercallGuest);

    /// <summary>Load tickless.elf, boot it, take its first timer interrupt (at 3 ms of guest time) and stop.</summary>
    [Benchmark]
    public int BootTicklessToFirstTimerInterrupt() => Run(_tickless, "duration_ms=3");

    static byte[] MinimalElf(uint address, byte[] code)
    {
        var b = new byte[84 + code.Length];
        b[0] = 0x7F; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = 1; b[5] = 1; b[6] = 1;
        BitConverter.TryWriteBytes(b.AsSpan(16), (ushort)2); BitConverter.TryWriteBytes(b.AsSpan(18), (ushort)3);
        BitConverter.TryWriteBytes(b.AsSpan(24), address); BitConverter.TryWriteBytes(b.AsSpan(28), 52u);
        BitConverter.TryWriteBytes(b.AsSpan(42), (ushort)32); BitConverter.TryWriteBytes(b.AsSpan(44), (ushort)1);
        BitConverter.TryWriteBytes(b.AsSpan(52), 1u); BitConverter.TryWriteBytes(b.AsSpan(56), 84u);
        BitConverter.TryWriteBytes(b.AsSpan(60), address); BitConverter.TryWriteBytes(b.AsSpan(64), address);
        BitConverter.TryWriteBytes(b.AsSpan(68), (uint)code.Length); BitConverter.TryWriteBytes(b.AsSpan(72), (uint)code.Length);
        code.CopyTo(b, 84);
        return b;
    }
}
