// [C:950] Instruction test vectors (tests/vectors/README.md): one instruction, the state
// before, the state the real CPU left after it. The runner executes a vector on a fresh
// flat machine and reports every difference, register by register.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Iced.Intel;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu.Conformance;

public sealed record MemoryWindow(uint Address, byte[] Bytes);

public sealed record VectorState(Dictionary<string, uint> Registers, uint Eflags, List<MemoryWindow> Memory);

public sealed record TestVector(string Name, string Family, byte[] Bytes, VectorState Init, VectorState Expect,
    uint FlagsMask, string? Exception, string Oracle)
{
    public static readonly string[] RegisterNames = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];

    public static TestVector Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        JsonElement r = doc.RootElement;
        return new TestVector(
            r.GetProperty("name").GetString()!, r.GetProperty("family").GetString()!,
            Convert.FromHexString(r.GetProperty("bytes").GetString()!),
            State(r.GetProperty("init")), State(r.GetProperty("expect")),
            r.GetProperty("flags_mask").GetUInt32(),
            r.GetProperty("exception").ValueKind == JsonValueKind.Null ? null : r.GetProperty("exception").GetString(),
            r.GetProperty("oracle").GetString()!);
    }

    static VectorState State(JsonElement e)
    {
        var regs = new Dictionary<string, uint>();
        foreach (JsonProperty p in e.GetProperty("regs").EnumerateObject()) regs[p.Name] = p.Value.GetUInt32();
        var mem = new List<MemoryWindow>();
        foreach (JsonElement w in e.GetProperty("mem").EnumerateArray())
            mem.Add(new MemoryWindow(w.GetProperty("addr").GetUInt32(), Convert.FromHexString(w.GetProperty("hex").GetString()!)));
        return new VectorState(regs, e.GetProperty("eflags").GetUInt32(), mem);
    }

    public static IEnumerable<TestVector> Load(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(Parse);

    public string Disassembly()
    {
        var decoder = Iced.Intel.Decoder.Create(32, new ByteArrayCodeReader(Bytes), VectorRunner.CodeAddress);
        decoder.Decode(out Instruction insn);
        var output = new StringOutput();
        new NasmFormatter().Format(insn, output);
        return output.ToStringAndReset();
    }
}

/// <summary>Runs vectors on one reusable flat machine (README "How a runner uses a vector").</summary>
public sealed class VectorRunner
{
    public const uint CodeAddress = 0x10_0000;
    const uint GdtAddress = 0x1000, IdtAddress = 0x2000, FaultStub = 0x3000;
    const uint DataArea = 0x20_0000, DataSize = 0x1_0000, StackArea = 0x2F_0000, StackSize = 0x2_0000;

    readonly PhysicalMemory _memory = new(16 * 1024 * 1024);
    readonly Cpu _cpu;

    /// <summary>EFLAGS as the last vector left them, all bits (the undefined-flags analysis reads it).</summary>
    public uint LastEflags { get; private set; }

    public VectorRunner(bool decodeCache = true, bool tlb = true, bool fastForms = true)
    {
        _cpu = new Cpu(_memory, NullCpuHost.Instance);
        _cpu.Decode.Enabled = decodeCache;
        _cpu.Decode.FastForms = fastForms;
        _cpu.TlbEnabled = tlb;
        // Flat GDT (0x08 code, 0x10 data) and an IDT sending vectors 0-31 to a HLT at FaultStub.
        uint[] gdt = [0, 0, 0x0000_FFFF, 0x00CF_9A00, 0x0000_FFFF, 0x00CF_9200];
        for (int i = 0; i < gdt.Length; i++) _memory.Write(GdtAddress + 4 * (uint)i, 4, gdt[i]);
        for (uint v = 0; v < 32; v++)
        {
            _memory.Write(IdtAddress + 8 * v, 4, 0x0008_0000u | (FaultStub & 0xFFFF));
            _memory.Write(IdtAddress + 8 * v + 4, 4, (FaultStub & 0xFFFF_0000u) | 0x8E00);
        }
        _memory.Write8(FaultStub, 0xF4);
    }

    /// <summary>Runs one vector; returns the differences (empty when it passes).</summary>
    public List<string> Run(TestVector v)
    {
        Array.Clear(_memory.Ram, (int)DataArea, (int)DataSize);
        Array.Clear(_memory.Ram, (int)StackArea, (int)StackSize);
        foreach (MemoryWindow w in v.Init.Memory) w.Bytes.CopyTo(_memory.Ram, w.Address);
        Array.Clear(_memory.Ram, (int)CodeAddress, 32);
        v.Bytes.CopyTo(_memory.Ram, CodeAddress);
        _memory.Ram[CodeAddress + v.Bytes.Length] = 0xF4;
        _cpu.Decode.InvalidatePage(CodeAddress >> 12);

        _cpu.Reset();
        _cpu.GdtBase = GdtAddress; _cpu.GdtLimit = 0x17;
        _cpu.IdtBase = IdtAddress; _cpu.IdtLimit = 32 * 8 - 1;
        for (int i = 0; i < 8; i++) _cpu.Gpr[i] = v.Init.Registers[TestVector.RegisterNames[i]];
        _cpu.Eflags = v.Init.Eflags;
        _cpu.Eip = CodeAddress;
        ulong[] before = (ulong[])_cpu.ExceptionCounts.Clone();
        _cpu.Run(1);

        var diffs = new List<string>();
        LastEflags = _cpu.Eflags;
        int raised = -1;
        for (int e = 0; e < 32; e++) if (_cpu.ExceptionCounts[e] != before[e]) raised = e;
        uint eflags = _cpu.Eflags, esp = _cpu.Esp;
        if (raised >= 0)
        {
            // Undo the delivery to see the state the instruction left: the frame holds EIP, CS, EFLAGS.
            uint savedEip = _memory.Read(esp, 4);
            eflags = _memory.Read(esp + 8, 4);
            esp += 12;
            string name = VectorInfo.Mnemonic(raised);
            if (v.Exception != name) diffs.Add($"exception: expected {v.Exception ?? "none"}, actual {name}");
            bool trap = raised is 3 or 4;
            uint wantEip = trap ? CodeAddress + (uint)v.Bytes.Length : CodeAddress;
            if (savedEip != wantEip) diffs.Add($"saved EIP: expected 0x{wantEip:x8}, actual 0x{savedEip:x8}");
        }
        else if (v.Exception is not null) diffs.Add($"exception: expected {v.Exception}, actual none");

        for (int i = 0; i < 8; i++)
        {
            string reg = TestVector.RegisterNames[i];
            if (!v.Expect.Registers.TryGetValue(reg, out uint want)) continue;
            uint got = i == 4 ? esp : _cpu.Gpr[i];
            if (got != want) diffs.Add($"{reg}: expected 0x{want:x8}, actual 0x{got:x8}");
        }
        uint mask = v.FlagsMask;
        if ((eflags & mask) != (v.Expect.Eflags & mask))
            diffs.Add($"eflags: expected 0x{v.Expect.Eflags & mask:x8}, actual 0x{eflags & mask:x8} (mask 0x{mask:x4}; differ: {FlagNames((eflags ^ v.Expect.Eflags) & mask)})");
        foreach (MemoryWindow w in v.Expect.Memory)
        {
            var got = _memory.Ram.AsSpan((int)w.Address, w.Bytes.Length);
            if (!got.SequenceEqual(w.Bytes))
                diffs.Add($"mem 0x{w.Address:x8}: expected {Convert.ToHexString(w.Bytes).ToLowerInvariant()}, actual {Convert.ToHexString(got).ToLowerInvariant()}");
        }
        return diffs;
    }

    static string FlagNames(uint bits)
    {
        var sb = new StringBuilder();
        foreach (var (bit, name) in new[] { (Cpu.CF, "CF"), (Cpu.PF, "PF"), (Cpu.AF, "AF"), (Cpu.ZF, "ZF"), (Cpu.SF, "SF"), (Cpu.DF, "DF"), (Cpu.OF, "OF") })
            if ((bits & bit) != 0) sb.Append(sb.Length > 0 ? " " : "").Append(name);
        return sb.ToString();
    }

    /// <summary>"FAIL name  disasm (bytes)" and one indented line per difference.</summary>
    public static string FormatFailure(TestVector v, List<string> diffs) =>
        $"FAIL {v.Name}  {v.Disassembly()}  ({Convert.ToHexString(v.Bytes).ToLowerInvariant()}, {v.Oracle})\n" +
        string.Concat(diffs.Select(d => "  " + d + "\n"));
}
