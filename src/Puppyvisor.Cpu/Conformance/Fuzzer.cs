// [C:960] The fuzzer: random code on a machine whose exception handlers let it go on.
//
// One run is one chunk of code -- random bytes, or random valid instructions from
// FuzzGenerator.cs -- followed by VMCALL, on a freshly built machine: a GDT with ring 0
// and ring 3 segments, a TSS, an IDT whose 256 gates all lead to one-byte HLT stubs,
// sometimes paging (an identity map with some pages not present, read-only or
// supervisor-only, sometimes a 4 MiB alias), sometimes CPL 3, random CR0.TS/EM/MP, IOPL,
// flags, registers (four of them pointing into a data area of random bytes) and a
// pending IRQ now and then. Everything comes from the run's seed: run i of `--seed S`
// is run 0 of `--seed S+i`.
//
// When a handler's HLT is reached, the harness reads what the CPU delivered
// (Cpu.LastDelivery) and resumes the chunk after the faulting instruction, in the
// interrupted ring with the interrupted stack and flags, as a kernel that skips the
// instruction would. When execution reaches the VMCALL, leaves the chunk or spins in
// place, the chunk is entered again at a random instruction on the machine as it is;
// a run ends when its instruction budget is spent or at a triple fault.
//
// Invariants: no host exception (caught, reported with the seed and the bytes); every
// Run(slice) returns, retires no more than its budget and makes progress (instructions
// retired plus exceptions delivered); a watchdog kicks a Run that does not return.
// A quarter of the runs single-step and check each instruction's outcome against
// Iced's decoding: without an exception EIP is the next instruction or (for a branch, a
// REP string) a target; a fault saves the instruction's own EIP, a trap the next one.
using System.Diagnostics;
using System.Text;
using Iced.Intel;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu.Conformance;

public enum FuzzKind { RandomBytes, ValidSequence }

public sealed class FuzzOptions
{
    public ulong Seed;
    /// <summary>Stop after this many retired instructions (whichever limit comes first).</summary>
    public long Instructions = long.MaxValue;
    public long Runs = long.MaxValue;
    public TimeSpan? Duration;
    /// <summary>Only this kind of chunk; null alternates at random.</summary>
    public FuzzKind? Kind;
    /// <summary>A Run(slice) that has not returned after this long is kicked and reported.</summary>
    public TimeSpan HangTimeout = TimeSpan.FromSeconds(10);
    /// <summary>Called from the watchdog thread when even a kick does not bring Run back.</summary>
    public Action<FuzzFailure>? OnStuck;
    /// <summary>Stop at the first failure.</summary>
    public bool StopOnFailure;
}

/// <summary>A broken invariant, with what reproduces it: `puppyvisor fuzz --seed Seed --runs 1`.</summary>
public sealed record FuzzFailure(ulong Seed, FuzzKind Kind, string Mode, string What, uint CodeAddress, byte[] Code)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"FAIL seed {Seed} ({Kind}, {Mode}): {What}\n");
        sb.Append($"  code at 0x{CodeAddress:x8}: {Convert.ToHexString(Code).ToLowerInvariant()}\n");
        sb.Append($"  reproduce: puppyvisor fuzz --seed {Seed} --runs 1\n");
        return sb.ToString();
    }
}

/// <summary>What a fuzzing session did.</summary>
public sealed class FuzzReport
{
    public ulong FirstSeed;
    public long Runs, Instructions, Slices, StepRuns, PagingRuns, Ring3Runs;
    public readonly long[] RunsByKind = new long[2], InstructionsByKind = new long[2];
    /// <summary>Exceptions by vector (0-31) as the CPU counts them, chains included.</summary>
    public readonly ulong[] Exceptions = new ulong[32];
    public long SoftwareInterrupts, Irqs, Resumed, Reentries;
    public long EndedAtVmcall, EndedLeftChunk, EndedBudget, EndedSpinning, EndedTripleFault, EndedClobbered;
    public TimeSpan Elapsed;
    public readonly List<FuzzFailure> Failures = new();
    public readonly SortedSet<string> Warnings = new(StringComparer.Ordinal);

    public double InstructionsPerSecond => Elapsed.TotalSeconds > 0 ? Instructions / Elapsed.TotalSeconds : 0;

    public string Summary()
    {
        var sb = new StringBuilder();
        sb.Append($"seeds {FirstSeed}..{FirstSeed + (ulong)Math.Max(Runs - 1, 0)}: {Runs} runs ({RunsByKind[0]} random bytes, {RunsByKind[1]} valid sequences; ");
        sb.Append($"{PagingRuns} with paging, {Ring3Runs} at CPL 3, {StepRuns} single-stepped)\n");
        sb.Append($"{Instructions} instructions ({InstructionsByKind[0]} random bytes, {InstructionsByKind[1]} valid) in {Elapsed.TotalSeconds:F1} s: ");
        sb.Append($"{InstructionsPerSecond / 1e6:F2} M instructions/s\n");
        sb.Append("exceptions by vector:");
        for (int v = 0; v < 32; v++) if (Exceptions[v] != 0) sb.Append($" {VectorInfo.Mnemonic(v)} {Exceptions[v]}");
        sb.Append($"\ninterrupts: INT n (n >= 32) {SoftwareInterrupts}, IRQs {Irqs}; handler returns {Resumed}\n");
        sb.Append($"entries into the chunk {Runs + Reentries}, ended at the VMCALL {EndedAtVmcall}, leaving the chunk {EndedLeftChunk}, ");
        sb.Append($"spinning in place {EndedSpinning}; runs ended with the budget spent {EndedBudget}, a triple fault {EndedTripleFault}, ");
        sb.Append($"handlers overwritten {EndedClobbered}\n");
        foreach (string w in Warnings) sb.Append($"warning: {w}\n");
        sb.Append($"failures: {Failures.Count}\n");
        foreach (FuzzFailure f in Failures) sb.Append(f);
        return sb.ToString();
    }
}

public sealed class Fuzzer
{
    // The machine: 1 MiB of RAM (everything above reads as all-ones), laid out as below.
    const uint RamSize = 0x10_0000;
    const uint GdtBase = 0x1000, TssBase = 0x1800, IdtBase = 0x2000, StubBase = 0x3000, PageDirectory = 0x4000, PageTable = 0x5000;
    const uint Ring0StackTop = 0x2_0000, CodeArea = 0x2_0000, CodeAreaEnd = 0x2_4000;
    const uint DataArea = 0x4_0000, DataSize = 0x1_0000, UserStackTop = 0x6_0000;
    const ushort KernelCode = 0x08, KernelData = 0x10, UserCode = 0x1B, UserData = 0x23, TssSelector = 0x28, FsData = 0x33;
    const int MaxChunk = 512;

    /// <summary>Instructions per run, and per Run() call when not single-stepping.</summary>
    public const int RunBudget = 4096, StepBudget = 1024, Slice = 8;

    readonly PhysicalMemory _memory = new(RamSize);
    readonly FuzzHost _host;
    Cpu _cpu;
    readonly FuzzInstructionGenerator _generator = new();
    readonly byte[] _code = new byte[MaxChunk + 16];
    readonly byte[] _stubs = new byte[256 * 4];
    readonly byte[] _idt = new byte[256 * 8];

    // The current run, for reports.
    ulong _seed;
    FuzzKind _kind;
    string _mode = "";
    uint _chunkStart, _chunkEnd;
    /// <summary>Offsets of the instructions of a valid sequence (where a re-entry may start).</summary>
    readonly List<uint> _starts = new();
    int _chunkLength;
    FuzzReport _report = new();

    // Watchdog.
    long _progress;
    volatile bool _running, _kicked;

    /// <summary>Where to describe every slice (EIP, exit, deliveries), for replaying one seed.</summary>
    public TextWriter? Trace;

    public Fuzzer()
    {
        _host = new FuzzHost();
        _cpu = new Cpu(_memory, _host);
    }

    /// <summary>Runs seeds Seed, Seed+1, ... until a limit is reached.</summary>
    public FuzzReport Run(FuzzOptions options)
    {
        var report = new FuzzReport { FirstSeed = options.Seed };
        var clock = Stopwatch.StartNew();
        using var watchdog = StartWatchdog(options);
        for (ulong seed = options.Seed; report.Runs < options.Runs && report.Instructions < options.Instructions; seed++)
        {
            if (options.Duration is { } d && clock.Elapsed >= d) break;
            RunOne(seed, options.Kind, report);
            if (options.StopOnFailure && report.Failures.Count > 0) break;
        }
        report.Elapsed = clock.Elapsed;
        _running = false;
        return report;
    }

    /// <summary>One run, from its seed; adds to <paramref name="report"/>.</summary>
    public void RunOne(ulong seed, FuzzKind? onlyKind, FuzzReport report)
    {
        _report = report;
        _seed = seed;
        var rng = new FuzzRng(seed);
        _kind = onlyKind ?? (rng.Chance(50) ? FuzzKind.RandomBytes : FuzzKind.ValidSequence);
        ulong retiredBefore = _cpu.InstructionsRetired;
        ulong[] exceptionsBefore = (ulong[])_cpu.ExceptionCounts.Clone();
        try
        {
            Setup(ref rng);
            Execute(ref rng);
        }
        catch (Exception e)
        {
            Fail($"host exception {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            // The CPU stopped in the middle of an instruction: the next run gets a new one.
            var fresh = new Cpu(_memory, _host);
            Array.Copy(_cpu.ExceptionCounts, fresh.ExceptionCounts, 32);
            fresh.InstructionsRetired = _cpu.InstructionsRetired;
            _cpu = fresh;
        }
        long retired = (long)(_cpu.InstructionsRetired - retiredBefore);
        report.Runs++;
        report.RunsByKind[(int)_kind]++;
        report.Instructions += retired;
        report.InstructionsByKind[(int)_kind] += retired;
        for (int v = 0; v < 32; v++) report.Exceptions[v] += _cpu.ExceptionCounts[v] - exceptionsBefore[v];
        foreach (string w in _host.TakeWarnings()) report.Warnings.Add(w);
    }

    // --- Building the machine -----------------------------------------------------------

    bool _paging, _ring3, _step;

    void Setup(ref FuzzRng rng)
    {
        Array.Clear(_memory.Ram);
        _cpu.Reset();
        _cpu.Decode.Clear();
        _cpu.IrqLine = false;
        _cpu.TscOffset = 0;
        _host.Start(_cpu.InstructionsRetired, rng.Next());
        _paging = rng.Chance(60);
        _ring3 = rng.Chance(40);
        _step = rng.Chance(25);
        // Single steps run one instruction of each block: with the decode cache on, each step would
        // decode a whole block from the next EIP and use one instruction of it.
        _cpu.Decode.Enabled = _step ? rng.Chance(10) : !rng.Chance(10);
        _cpu.TlbEnabled = !rng.Chance(10);
        if (_paging) _report.PagingRuns++;
        if (_ring3) _report.Ring3Runs++;
        if (_step) _report.StepRuns++;

        BuildGdtAndTss();
        BuildIdt(ref rng);
        // Random bytes in the data area (one random page, repeated with a different offset on each
        // page), with some selectors and pointers sprinkled in.
        for (uint a = DataArea; a < DataArea + 0x1000; a += 8)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(_memory.Ram.AsSpan((int)a), rng.Next());
        for (uint page = 1; page < DataSize / 0x1000; page++)
        {
            int rotate = rng.Below(0x1000);
            _memory.Ram.AsSpan((int)DataArea + rotate, 0x1000 - rotate).CopyTo(_memory.Ram.AsSpan((int)(DataArea + 0x1000 * page)));
            _memory.Ram.AsSpan((int)DataArea, rotate).CopyTo(_memory.Ram.AsSpan((int)(DataArea + 0x1000 * page) + 0x1000 - rotate));
        }
        for (int i = 0; i < 64; i++)
        {
            uint at = DataArea + (uint)rng.Below((int)DataSize / 4) * 4;
            uint value = rng.Chance(50) ? rng.Pick<uint>([KernelCode, KernelData, UserCode, UserData, FsData, TssSelector, 0x38])
                : DataArea + (uint)rng.Below((int)DataSize);
            _memory.Write(at, 4, value);
        }

        PlaceCode(ref rng);
        if (_paging) BuildPageTables(ref rng);

        // Control registers: TS, EM and MP at random (x87 and WAIT), WP usually.
        if (rng.Chance(25)) _cpu.Cr0 |= Cpu.CR0_TS;
        if (rng.Chance(25)) _cpu.Cr0 |= Cpu.CR0_EM;
        if (rng.Chance(25)) _cpu.Cr0 |= Cpu.CR0_MP;
        if (rng.Chance(50)) _cpu.Cr0 |= Cpu.CR0_NE;

        // Segments: flat; FS/GS sometimes the descriptor based at the data area.
        ushort code = _ring3 ? UserCode : KernelCode, data = _ring3 ? UserData : KernelData;
        _cpu.Selectors[(int)SegReg.CS] = code;
        _cpu.Selectors[(int)SegReg.SS] = _cpu.Selectors[(int)SegReg.DS] = _cpu.Selectors[(int)SegReg.ES] = data;
        foreach (SegReg s in (ReadOnlySpan<SegReg>)[SegReg.FS, SegReg.GS])
        {
            bool based = rng.Chance(50);
            _cpu.Selectors[(int)s] = based ? FsData : data;
            _cpu.SegmentBase[(int)s] = based ? DataArea : 0;
        }

        // Registers: EBX, ESI, EDI, EBP usually point into the data area; ECX is small, huge or random.
        for (int r = 0; r < 8; r++) _cpu.Gpr[r] = rng.Interesting();
        foreach (int r in (ReadOnlySpan<int>)[3, 5, 6, 7])
            if (rng.Chance(80)) _cpu.Gpr[r] = DataArea + (uint)rng.Below((int)DataSize);
        int ecx = rng.Below(100);
        _cpu.Gpr[1] = ecx < 75 ? (uint)rng.Below(64) : ecx < 95 ? (uint)rng.Below(0x200) : rng.Chance(50) ? 0xFFFF_FFFFu : rng.U32();
        _cpu.Esp = UserStackTop - 4 * (uint)rng.Below(0x400);
        _cpu.Eflags = RandomFlags(ref rng);
        _cpu.Eip = _chunkStart;
        if (rng.Chance(15)) _cpu.IrqLine = true;

        _mode = $"{(_paging ? "paging" : "no paging")}, CPL {(_ring3 ? 3 : 0)}, {(_step ? "single-step" : "slices")}" +
            $"{(_cpu.Decode.Enabled ? "" : ", no decode cache")}{(_cpu.TlbEnabled ? "" : ", no TLB")}";
    }

    /// <summary>Random arithmetic flags, DF, IF, IOPL 0 or 3, AC.</summary>
    static uint RandomFlags(ref FuzzRng rng)
    {
        uint flags = 2 | (rng.U32() & Cpu.ArithFlags);
        if (rng.Chance(30)) flags |= Cpu.DF;
        if (rng.Chance(50)) flags |= Cpu.IF;
        if (rng.Chance(30)) flags |= Cpu.IOPL;
        if (rng.Chance(10)) flags |= Cpu.AC;
        return flags;
    }

    void BuildGdtAndTss()
    {
        // null, ring 0 code/data, ring 3 code/data, TSS, ring 3 data based at DataArea, a not-present data segment.
        Span<uint> gdt = [0, 0, 0x0000_FFFF, 0x00CF_9A00, 0x0000_FFFF, 0x00CF_9200, 0x0000_FFFF, 0x00CF_FA00, 0x0000_FFFF, 0x00CF_F200,
            (TssBase << 16) | 0x67, ((TssBase >> 16) & 0xFF) | 0x8900,
            (DataArea << 16) | 0xFFFF, ((DataArea >> 16) & 0xFF) | 0x00CF_F200 | (DataArea & 0xFF00_0000u),
            0x0000_FFFF, 0x00CF_1200];
        for (int i = 0; i < gdt.Length; i++) _memory.Write(GdtBase + 4 * (uint)i, 4, gdt[i]);
        _cpu.GdtBase = GdtBase;
        _cpu.GdtLimit = (ushort)(gdt.Length * 4 - 1);
        _memory.Write(TssBase + 4, 4, Ring0StackTop);
        _memory.Write(TssBase + 8, 4, KernelData);
        _cpu.TaskRegister = TssSelector;
        _cpu.TssBase = TssBase;
        _cpu.TssLimit = 0x67;
    }

    void BuildIdt(ref FuzzRng rng)
    {
        // Every vector leads to a HLT at StubBase + 4 * vector: interrupt gates, or trap gates
        // for the whole run; DPL 3 for INT3, INTO and the vectors from 32 (INT n from ring 3).
        uint type = rng.Chance(70) ? 0x8E00u : 0x8F00u;
        for (uint v = 0; v < 256; v++)
        {
            uint handler = StubBase + 4 * v;
            uint dpl = v is 3 or 4 or >= 32 ? 0x6000u : 0;
            _memory.Write(IdtBase + 8 * v, 4, ((uint)KernelCode << 16) | (handler & 0xFFFF));
            _memory.Write(IdtBase + 8 * v + 4, 4, (handler & 0xFFFF_0000u) | type | dpl);
            _memory.Ram[handler] = 0xF4;
        }
        _cpu.IdtBase = IdtBase;
        _cpu.IdtLimit = 256 * 8 - 1;
        _memory.Ram.AsSpan((int)StubBase, _stubs.Length).CopyTo(_stubs);
        _memory.Ram.AsSpan((int)IdtBase, _idt.Length).CopyTo(_idt);
    }

    /// <summary>Writes the chunk (and the VMCALL after it) somewhere in the code area, often across a page boundary.</summary>
    void PlaceCode(ref FuzzRng rng)
    {
        int length = 16 + rng.Below((_kind == FuzzKind.RandomBytes ? MaxChunk : MaxChunk / 2) - 16);
        uint start = rng.Chance(30)
            ? CodeArea + 0x1000 * (uint)(1 + rng.Below(2)) - (uint)rng.Below(24)      // straddles a page boundary early on
            : CodeArea + (uint)rng.Below(0x2000);
        var span = _code.AsSpan(0, length);
        if (_kind == FuzzKind.RandomBytes)
        {
            // Uniform bytes, with prefixes and the 0F escape overrepresented.
            for (int i = 0; i < length; i++)
                span[i] = rng.Chance(20) ? rng.Pick<byte>([0x0F, 0x0F, 0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0xCD, 0x9B])
                    : (byte)rng.Next();
        }
        else
        {
            var context = new FuzzInstructionGenerator.Context
            {
                DataStart = DataArea, DataSize = DataSize, ChunkStart = start, ChunkEnd = start + (uint)length,
            };
            int at = 0;
            _starts.Clear();
            while (at < length - 15)
            {
                int n = _generator.Generate(ref rng, context, start + (uint)at, span[at..]);
                if (n == 0) break;
                _starts.Add((uint)at);
                at += n;
            }
            length = at;
        }
        span = _code.AsSpan(0, length + 3);
        span[length] = 0x0F; span[length + 1] = 0x01; span[length + 2] = 0xC1;    // VMCALL
        span.CopyTo(_memory.Ram.AsSpan((int)start));
        _chunkStart = start;
        _chunkLength = length;
        _chunkEnd = start + (uint)length + 3;
    }

    void BuildPageTables(ref FuzzRng rng)
    {
        const uint P = 1, RW = 2, US = 4, PS = 0x80;
        _memory.Write(PageDirectory, 4, PageTable | P | RW | US);
        for (uint page = 0; page < 1024; page++)
        {
            uint address = page << 12;
            uint pte = address | P | RW | US;
            if (page == 0) pte = 0;                                                 // the null page
            else if (address < Ring0StackTop) pte = address | P | RW;               // system structures and the ring 0 stack
            else if (address >= CodeArea && address < CodeAreaEnd)
            {
                if (rng.Chance(10)) pte = 0;                                        // code running into a missing page
                else if (rng.Chance(10)) pte &= ~RW;
            }
            else if (address >= DataArea && address < DataArea + DataSize)
            {
                int roll = rng.Below(100);
                if (roll < 10) pte = 0;
                else if (roll < 20) pte &= ~RW;
                else if (roll < 30) pte &= ~US;
            }
            else if (address >= RamSize && !rng.Chance(2)) pte = 0;                // beyond RAM: mostly not present
            _memory.Write(PageTable + 4 * page, 4, pte);
        }
        // The chunk's first page must be there, or nothing runs.
        _memory.Write(PageTable + 4 * (_chunkStart >> 12), 4, (_chunkStart & ~0xFFFu) | P | RW | US);
        if (rng.Chance(30))
        {
            // A 4 MiB page aliasing physical 0 at 4 MiB (writes through it must still drop cached code).
            _cpu.Cr4 |= Cpu.CR4_PSE;
            _memory.Write(PageDirectory + 4, 4, P | RW | US | PS);
        }
        if (rng.Chance(20)) _memory.Write(PageDirectory + 4 * 1023, 4, PageTable | P | RW | US);   // the top 4 MiB alias the bottom
        _cpu.Cr3 = PageDirectory;
        _cpu.Cr0 |= Cpu.CR0_PG;
        if (rng.Chance(70)) _cpu.Cr0 |= Cpu.CR0_WP;
        _cpu.FlushTlb();
    }

    // --- Running ----------------------------------------------------------------------

    enum Outcome { Running, AtVmcall, LeftChunk, Spinning, BudgetSpent, TripleFault, Clobbered, Failed }

    /// <summary>
    /// Runs the chunk; when execution reaches the VMCALL or leaves the chunk, enters it again at a
    /// random instruction (the machine as the code left it, a fresh stack and flags) until the
    /// run's budget is spent. Many entries per machine: building one costs more than running it.
    /// </summary>
    void Execute(ref FuzzRng rng)
    {
        long budget = _step ? StepBudget : RunBudget;
        for (int entry = 0; ; entry++)
        {
            Outcome outcome = RunEntry(ref rng, ref budget);
            switch (outcome)
            {
                case Outcome.AtVmcall: _report.EndedAtVmcall++; break;
                case Outcome.LeftChunk: _report.EndedLeftChunk++; break;
                case Outcome.Spinning: _report.EndedSpinning++; break;
                case Outcome.BudgetSpent: _report.EndedBudget++; return;
                case Outcome.TripleFault: _report.EndedTripleFault++; return;
                case Outcome.Clobbered: _report.EndedClobbered++; return;
                default: return;
            }
            if (budget <= 0 || entry == MaxEntries - 1) return;
            Reenter(ref rng);
        }
    }

    const int MaxEntries = 16;

    void Reenter(ref FuzzRng rng)
    {
        _report.Reentries++;
        _cpu.Halted = false;
        _cpu.Selectors[(int)SegReg.CS] = _ring3 ? UserCode : KernelCode;
        _cpu.Selectors[(int)SegReg.SS] = _ring3 ? UserData : KernelData;
        _cpu.Esp = UserStackTop - 4 * (uint)rng.Below(0x400);
        _cpu.Eflags = RandomFlags(ref rng);
        _cpu.Eip = _chunkStart + (_kind == FuzzKind.RandomBytes || _starts.Count == 0
            ? (uint)rng.Below(_chunkLength + 1) : _starts[rng.Below(_starts.Count)]);
    }

    Outcome RunEntry(ref FuzzRng rng, ref long budget)
    {
        _handled = _cpu.Deliveries;             // a delivery left behind by the last entry is not this entry's
        Trace?.WriteLine($"entry at 0x{_cpu.Eip:x8} ({_mode}), chunk 0x{_chunkStart:x8}-0x{_chunkEnd:x8}");
        int idle = 0;
        uint lastEnd = 0;
        while (budget > 0)
        {
            int slice = _step ? 1 : (int)Math.Min(budget, Slice);
            var expect = _step ? Predict() : default;
            if (Trace is not null && _step) Trace.WriteLine($"step {Describe(expect)}");
            ulong retired0 = _cpu.InstructionsRetired, deliveries0 = _cpu.Deliveries, exceptions0 = ExceptionTotal();
            ExitReason exit = _cpu.Run(slice);
            Interlocked.Increment(ref _progress);
            _report.Slices++;
            long retired = (long)(_cpu.InstructionsRetired - retired0);
            long deliveries = (long)(_cpu.Deliveries - deliveries0);
            long exceptions = (long)(ExceptionTotal() - exceptions0);

            if (_kicked) { _kicked = false; return Fail($"Run({slice}) did not return within the hang timeout (kicked at EIP 0x{_cpu.Eip:x8})"); }
            if (exit == ExitReason.Kick) return Fail("Run returned Kick, but nobody kicked");
            if (retired > slice) return Fail($"Run({slice}) retired {retired} instructions");
            if (retired + deliveries + exceptions == 0 && exit != ExitReason.InterruptWindow)
            {
                if (++idle > 2) return Fail($"no progress: Run({slice}) returned {exit} at EIP 0x{_cpu.Eip:x8} having retired nothing and delivered nothing");
            }
            else idle = 0;
            budget -= Math.Max(retired, 1);

            Trace?.WriteLine($"  {exit,-16} EIP 0x{_cpu.Eip:x8} CS {_cpu.Selectors[(int)SegReg.CS]:x2} ESP 0x{_cpu.Esp:x8} retired {retired} delivered {deliveries}" +
                (deliveries > 0 ? $" (last: vector {_cpu.LastDelivery.Vector} {_cpu.LastDelivery.Source}, saved EIP 0x{_cpu.LastDelivery.SavedEip:x8})" : ""));
            bool atStub = exit == ExitReason.Halt && _cpu.Eip - 1 - StubBase < 256 * 4 && (_cpu.Eip - 1 - StubBase) % 4 == 0;
            if (_step && !CheckStep(expect, exit, retired, deliveries, atStub)) return Outcome.Failed;

            switch (exit)
            {
                case ExitReason.TripleFault:
                    return Outcome.TripleFault;
                case ExitReason.InterruptWindow:
                    // The monitor's job: deliver the IRQ now (vector 0x20-0x2F) and lower the line. Not
                    // inside a handler (a trap gate leaves IF set): the harness resumes one delivery at a time.
                    _cpu.IrqLine = false;
                    if (InStubs(_cpu.Eip)) continue;
                    _report.Irqs++;
                    if (!_cpu.DeliverExternalInterrupt(0x20 + rng.Below(16))) return Outcome.TripleFault;
                    continue;
                case ExitReason.Halt when atStub:
                    Outcome resumed = Resume();
                    if (resumed != Outcome.Running) return resumed;
                    continue;
                case ExitReason.Halt:
                    _cpu.Halted = false;                    // the guest's own HLT at CPL 0: go on
                    break;
                case ExitReason.Hypercall when _cpu.Eip == _chunkEnd:
                    return Outcome.AtVmcall;
            }
            if (!InChunk(_cpu.Eip) && !InStubs(_cpu.Eip)) return Outcome.LeftChunk;
            // Two slices in a row ending at the same EIP (a tight loop), or a slice ending inside a long
            // REP string (each chunk of 4096 iterations counts as one instruction: it has yielded and
            // resumed): move on rather than spend the run on millions of iterations of one thing.
            if (exit == ExitReason.BudgetExhausted && (_cpu.Eip == lastEnd || InLongRepString())) return Outcome.Spinning;
            lastEnd = exit == ExitReason.BudgetExhausted ? _cpu.Eip : 0;
        }
        return Outcome.BudgetSpent;
    }

    bool InLongRepString()
    {
        if (!TryDecodeAt(_cpu.Eip, out Instruction insn) || !insn.IsStringInstruction || !(insn.HasRepPrefix || insn.HasRepnePrefix)) return false;
        uint count = Strings16(ref insn) ? (ushort)_cpu.Gpr[1] : _cpu.Gpr[1];
        return count >= Instructions.Strings.RepChunk;
    }

    static bool Strings16(ref Instruction insn)
    {
        for (int n = 0; n < insn.OpCount; n++)
            if (insn.GetOpKind(n) is OpKind.MemorySegSI or OpKind.MemoryESDI or OpKind.MemorySegDI) return true;
        return false;
    }

    ulong ExceptionTotal()
    {
        ulong sum = 0;
        foreach (ulong c in _cpu.ExceptionCounts) sum += c;
        return sum;
    }

    /// <summary>Cpu.Deliveries when the harness last resumed from a handler.</summary>
    ulong _handled;

    bool InChunk(uint eip) => eip - _chunkStart <= _chunkEnd - _chunkStart;
    static bool InStubs(uint eip) => eip - StubBase < 256 * 4;

    /// <summary>
    /// A handler's HLT was reached: check what was delivered, then return to the interrupted
    /// ring after the faulting instruction (or at the saved EIP for traps and IRQs).
    /// </summary>
    Outcome Resume()
    {
        _cpu.Halted = false;
        int vector = (int)(_cpu.Eip - 1 - StubBase) / 4;
        Delivery d = _cpu.LastDelivery;
        bool delivered = _cpu.Deliveries != _handled;
        _handled = _cpu.Deliveries;
        if (!delivered || d.Vector != vector)
        {
            // Not a delivery: the code jumped into the stubs, or overwrote the IDT (CPL 0, or no paging).
            if (!StubsAndIdtIntact()) return Outcome.Clobbered;
            if (!delivered) return Outcome.LeftChunk;
            return Fail($"delivered vector {d.Vector}, but the handler of vector {vector} ran");
        }
        _report.Resumed++;
        if (d.Source == InterruptSource.Software && vector >= 32) _report.SoftwareInterrupts++;
        uint resume = d.SavedEip;
        if (d.Source == InterruptSource.Exception)
        {
            // A fault: skip the instruction, as a handler that emulated it would.
            if (!TryDecodeAt(d.SavedEip, out Instruction insn)) return Outcome.LeftChunk;
            resume = (uint)insn.NextIP;
        }
        _cpu.Selectors[(int)SegReg.CS] = d.SavedCs;
        _cpu.Selectors[(int)SegReg.SS] = d.SavedSs;
        _cpu.Esp = d.SavedEsp;
        _cpu.Eflags = d.SavedEflags;
        _cpu.Eip = resume;
        return InChunk(resume) ? Outcome.Running : Outcome.LeftChunk;
    }

    bool StubsAndIdtIntact() =>
        _memory.Ram.AsSpan((int)StubBase, _stubs.Length).SequenceEqual(_stubs) &&
        _memory.Ram.AsSpan((int)IdtBase, _idt.Length).SequenceEqual(_idt) &&
        _cpu.IdtBase == IdtBase && _cpu.IdtLimit == 256 * 8 - 1;

    /// <summary>Decodes the instruction at a linear address without side effects; false if its bytes cannot be read.</summary>
    bool TryDecodeAt(uint linear, out Instruction insn)
    {
        int n = 0;
        while (n < 15 && _cpu.TranslateQuiet(linear + (uint)n, out uint pa)) _peek.Bytes[n++] = _memory.Read8(pa);
        _peek.Reset(n);
        _peekDecoder.IP = linear;
        _peekDecoder.Decode(out insn);
        return n > 0 && _peekDecoder.LastError != DecoderError.NoMoreBytes;
    }

    readonly PeekReader _peek = new();
    Iced.Intel.Decoder? _peekDecoderInstance;
    Iced.Intel.Decoder _peekDecoder => _peekDecoderInstance ??= Iced.Intel.Decoder.Create(32, _peek);

    sealed class PeekReader : CodeReader
    {
        public readonly byte[] Bytes = new byte[15];
        int _count, _at;
        public void Reset(int count) { _count = count; _at = 0; }
        public override int ReadByte() => _at < _count ? Bytes[_at++] : -1;
    }

    // --- Single-step checks -------------------------------------------------------------

    readonly struct Prediction(uint start, bool known, Instruction insn)
    {
        public readonly uint Start = start;
        public readonly bool Known = known;
        public readonly Instruction Insn = insn;
    }

    Prediction Predict()
    {
        // The TLB may hold translations the page tables no longer have (code that writes a PTE and
        // does not INVLPG); the CPU fetches through them. The architecture lets a TLB drop entries at
        // any time, so drop them all: then the CPU sees the bytes this quiet walk sees.
        _cpu.FlushTlb();
        uint start = _cpu.Eip;
        bool known = TryDecodeAt(start, out Instruction insn);
        return new Prediction(start, known, insn);
    }

    /// <summary>One instruction's outcome against its decoding: where EIP went, what was saved.</summary>
    bool CheckStep(Prediction p, ExitReason exit, long retired, long deliveries, bool atStub)
    {
        if (exit is ExitReason.InterruptWindow or ExitReason.TripleFault) return true;
        Instruction insn = p.Insn;
        if (deliveries == 0)
        {
            if (retired != 1) return FailStep($"single step at 0x{p.Start:x8} retired {retired} instructions and delivered nothing ({exit})");
            if (!p.Known || insn.Code == Code.INVALID) return FailStep($"the instruction at 0x{p.Start:x8} does not decode, yet it retired ({Describe(p)})");
            uint next = (uint)insn.NextIP, eip = _cpu.Eip;
            bool ok = insn.FlowControl switch
            {
                FlowControl.Next => eip == next || (insn.IsStringInstruction && (insn.HasRepPrefix || insn.HasRepnePrefix) && eip == p.Start),
                FlowControl.UnconditionalBranch when insn.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 => eip == (uint)insn.NearBranchTarget,
                FlowControl.ConditionalBranch => eip == next || eip == (uint)insn.NearBranchTarget,
                FlowControl.Call when insn.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 => eip == (uint)insn.NearBranchTarget,
                FlowControl.Interrupt => true,           // INT n etc. to a stub, counted as a delivery
                _ => true,                              // indirect branches, returns, far transfers: anywhere
            };
            if (!ok) return FailStep($"after {Describe(p)} EIP is 0x{eip:x8} (next 0x{next:x8})");
            return true;
        }
        if (!StubsAndIdtIntact()) return true;       // the code overwrote a handler: anything may run
        if (deliveries > 1) return FailStep($"{deliveries} deliveries in one step from {Describe(p)}");
        Delivery d = _cpu.LastDelivery;
        if (d.Source == InterruptSource.External) return true;
        // INT n, INT3 and INTO are traps; so is #DB from INT1 or from EFLAGS.TF (after a branch the
        // single-step trap saves the branch's target).
        bool debugTrap = d.Source == InterruptSource.Exception && d.Vector == (int)Vector.Debug;
        bool trap = d.Source == InterruptSource.Software || debugTrap;
        uint want = !trap ? p.Start
            : !p.Known ? d.SavedEip
            : debugTrap && insn.Code != Code.Int1 && insn.FlowControl != FlowControl.Next ? d.SavedEip
            : (uint)insn.NextIP;
        if (d.Source == InterruptSource.Exception && d.Vector == (int)Vector.DoubleFault) want = p.Start;
        // The single-step trap in the middle of a REP string instruction (it yields every
        // RepChunk iterations) saves the instruction itself, as the SDM's per-iteration trap does.
        if (debugTrap && p.Known && insn.IsStringInstruction && (insn.HasRepPrefix || insn.HasRepnePrefix) && d.SavedEip == p.Start) want = p.Start;
        if (d.SavedEip != want)
            return FailStep($"{(trap ? "trap" : "fault")} {VectorInfo.Mnemonic(d.Vector)} from {Describe(p)} saved EIP 0x{d.SavedEip:x8}, expected 0x{want:x8}");
        // The stub's HLT retires after a delivery; a trap (INT n) retires itself too.
        long expectedRetired = (atStub ? 1 : 0) + (trap ? 1 : 0);
        if (retired != expectedRetired)
            return FailStep($"{VectorInfo.Mnemonic(d.Vector)} from {Describe(p)}: {retired} instructions retired, expected {expectedRetired}");
        return true;
    }

    static string Describe(Prediction p)
    {
        if (!p.Known) return $"unreadable code at 0x{p.Start:x8}";
        var output = new StringOutput();
        new NasmFormatter().Format(p.Insn, output);
        return $"'{output.ToStringAndReset()}' at 0x{p.Start:x8}";
    }

    Outcome Fail(string what)
    {
        _report.Failures.Add(new FuzzFailure(_seed, _kind, _mode, what, _chunkStart, _code.AsSpan(0, Math.Min(_chunkLength + 3, _code.Length)).ToArray()));
        return Outcome.Failed;
    }

    bool FailStep(string what)
    {
        Fail(what);
        return false;
    }

    // --- Watchdog ---------------------------------------------------------------------

    IDisposable StartWatchdog(FuzzOptions options)
    {
        _running = true;
        var cts = new CancellationTokenSource();
        var thread = new Thread(() =>
        {
            long last = Interlocked.Read(ref _progress);
            int strikes = 0;
            while (!cts.Token.WaitHandle.WaitOne(options.HangTimeout))
            {
                if (!_running) return;
                long now = Interlocked.Read(ref _progress);
                if (now != last) { last = now; strikes = 0; continue; }
                if (++strikes == 1) { _kicked = true; _cpu.Kick(); }
                else
                {
                    options.OnStuck?.Invoke(new FuzzFailure(_seed, _kind, _mode,
                        $"Run() did not return even after a kick (EIP 0x{_cpu.Eip:x8})", _chunkStart,
                        _code.AsSpan(0, Math.Min(_chunkLength + 3, _code.Length)).ToArray()));
                    return;
                }
            }
        }) { IsBackground = true, Name = "fuzz watchdog" };
        thread.Start();
        return new Stopper(cts, thread);
    }

    sealed class Stopper(CancellationTokenSource cts, Thread thread) : IDisposable
    {
        public void Dispose() { cts.Cancel(); thread.Join(); cts.Dispose(); }
    }

    /// <summary>Ports read pseudo-random values, the TSC counts the run's instructions, warnings are kept.</summary>
    sealed class FuzzHost : ICpuHost
    {
        ulong _retiredAtStart, _portState;
        readonly List<string> _warnings = new();

        public void Start(ulong retired, ulong seed) { _retiredAtStart = retired; _portState = seed; }
        public uint PortIn(ushort port, int size)
        {
            _portState = _portState * 6364136223846793005UL + 1442695040888963407UL;
            return (uint)(_portState >> 32);
        }
        public void PortOut(ushort port, int size, uint value) { }
        public ulong ReadTsc(Cpu cpu) => cpu.InstructionsRetired - _retiredAtStart;
        public uint TscKhz => 1_000_000;
        public void Warn(string message) => _warnings.Add(message);

        public List<string> TakeWarnings()
        {
            var copy = new List<string>(_warnings);
            _warnings.Clear();
            return copy;
        }
    }
}
