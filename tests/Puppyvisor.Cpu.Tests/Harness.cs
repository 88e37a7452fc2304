// The test harness: one CPU with 16 MiB of RAM, a flat GDT, a TSS and an IDT whose
// 32 exception gates point at one-byte HLT stubs, so a test can run a few assembled
// instructions and see either the state they left or the exception they raised.
//
// Memory map: GDT 0x500, TSS 0x600, IDT 0x800, exception stubs 0x900 + 4*vector,
// code 0x1000 (the assembled code is followed by a HLT), data 0x8000, stack top
// 0x9F000 (ring 0 stack for ring-3 faults: 0x8F000).
using Iced.Intel;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu.Tests;

internal sealed class CpuTestHarness
{
    public const uint GdtBase = 0x500, TssBase = 0x600, IdtBase = 0x800, StubBase = 0x900;
    public const uint CodeBase = 0x1000, DataBase = 0x8000, StackTop = 0x9F000, Ring0StackTop = 0x8F000;
    public const ushort KernelCode = 0x08, KernelData = 0x10, UserCode = 0x1B, UserData = 0x23, TssSelector = 0x28;

    public readonly PhysicalMemory Memory = new(16 * 1024 * 1024);
    public readonly Cpu Cpu;

    /// <summary>The address just past the assembled code (where the final HLT sits).</summary>
    public uint CodeEnd { get; private set; }

    /// <summary>Why the last <see cref="Run(Action{Assembler})"/> returned.</summary>
    public ExitReason LastExit { get; private set; }

    public CpuTestHarness()
    {
        Cpu = new Cpu(Memory, NullCpuHost.Instance) { Compiler = BlockCompilation.Off };     // BlockCompilerTests turn it on
        BuildGdt();
        BuildIdt();
        Cpu.Esp = StackTop;
    }

    void BuildGdt()
    {
        // Flat 4 GiB segments: limit 0xFFFFF, G = 1, D = 1; access bytes 9A/92 (ring 0), FA/F2 (ring 3).
        Write32(GdtBase + 0x08, 0x0000_FFFF); Write32(GdtBase + 0x0C, 0x00CF_9A00);
        Write32(GdtBase + 0x10, 0x0000_FFFF); Write32(GdtBase + 0x14, 0x00CF_9200);
        Write32(GdtBase + 0x18, 0x0000_FFFF); Write32(GdtBase + 0x1C, 0x00CF_FA00);
        Write32(GdtBase + 0x20, 0x0000_FFFF); Write32(GdtBase + 0x24, 0x00CF_F200);
        // An available 32-bit TSS (type 9) at TssBase, limit 0x67.
        Write32(GdtBase + 0x28, (TssBase << 16) | 0x67); Write32(GdtBase + 0x2C, ((TssBase >> 16) & 0xFF) | 0x8900);
        Cpu.GdtBase = GdtBase;
        Cpu.GdtLimit = 0x2F;
        Write32(TssBase + 4, Ring0StackTop);        // ESP0
        Write32(TssBase + 8, KernelData);           // SS0
        Cpu.TaskRegister = TssSelector;
        Cpu.TssBase = TssBase;
        Cpu.TssLimit = 0x67;
    }

    void BuildIdt()
    {
        for (uint v = 0; v < 32; v++)
        {
            uint handler = StubBase + 4 * v;
            Write32(IdtBase + 8 * v, ((uint)KernelCode << 16) | (handler & 0xFFFF));
            Write32(IdtBase + 8 * v + 4, (handler & 0xFFFF_0000u) | 0x8E00);     // present, DPL 0, 32-bit interrupt gate
            Memory.Ram[handler] = 0xF4;                                           // HLT
        }
        Cpu.IdtBase = IdtBase;
        Cpu.IdtLimit = 32 * 8 - 1;
    }

    // --- Registers and flags ------------------------------------------------------

    public uint Eax { get => Cpu.Gpr[0]; set => Cpu.Gpr[0] = value; }
    public uint Ecx { get => Cpu.Gpr[1]; set => Cpu.Gpr[1] = value; }
    public uint Edx { get => Cpu.Gpr[2]; set => Cpu.Gpr[2] = value; }
    public uint Ebx { get => Cpu.Gpr[3]; set => Cpu.Gpr[3] = value; }
    public uint Esp { get => Cpu.Gpr[4]; set => Cpu.Gpr[4] = value; }
    public uint Ebp { get => Cpu.Gpr[5]; set => Cpu.Gpr[5] = value; }
    public uint Esi { get => Cpu.Gpr[6]; set => Cpu.Gpr[6] = value; }
    public uint Edi { get => Cpu.Gpr[7]; set => Cpu.Gpr[7] = value; }

    public uint Flags { get => Cpu.Eflags; set => Cpu.Eflags = value; }

    /// <summary>The six arithmetic flags (CF PF AF ZF SF OF) of EFLAGS.</summary>
    public uint ArithFlags => Cpu.Eflags & Cpu.ArithFlags;

    public bool Flag(uint bit) => (Cpu.Eflags & bit) != 0;

    /// <summary>Moves to ring 3: CS = 0x1B and the data selectors 0x23 (the GDT holds ring-3 descriptors).</summary>
    public void EnterRing3()
    {
        Cpu.Selectors[(int)SegReg.CS] = UserCode;
        Cpu.Selectors[(int)SegReg.SS] = Cpu.Selectors[(int)SegReg.DS] = Cpu.Selectors[(int)SegReg.ES] = UserData;
        Cpu.Selectors[(int)SegReg.FS] = Cpu.Selectors[(int)SegReg.GS] = UserData;
    }

    // --- Gates and descriptors -----------------------------------------------------------

    /// <summary>Points IDT <paramref name="vector"/> at <paramref name="handler"/> (a 32-bit interrupt or trap gate); grows the IDT limit to cover it.</summary>
    /// <remarks>Vectors 32-47 would overwrite the exception stubs at 0x900: use 48 and up.</remarks>
    public void SetGate(int vector, uint handler, int dpl = 0, bool trap = false, ushort selector = KernelCode, bool present = true)
    {
        if (vector is >= 32 and < 48) throw new ArgumentOutOfRangeException(nameof(vector), "gates 32-47 overlap the exception stubs");
        uint type = (trap ? 0xFu : 0xEu) << 8;
        Write32(IdtBase + 8 * (uint)vector, ((uint)selector << 16) | (handler & 0xFFFF));
        Write32(IdtBase + 8 * (uint)vector + 4, (handler & 0xFFFF_0000u) | (present ? 0x8000u : 0) | ((uint)dpl << 13) | type);
        Cpu.IdtLimit = (ushort)Math.Max(Cpu.IdtLimit, 8 * vector + 7);
    }

    /// <summary>Writes GDT entry <paramref name="index"/> (selector index * 8) and grows the GDT limit to cover it.</summary>
    public void SetDescriptor(int index, uint low, uint high)
    {
        Write32(GdtBase + 8 * (uint)index, low);
        Write32(GdtBase + 8 * (uint)index + 4, high);
        Cpu.GdtLimit = (ushort)Math.Max(Cpu.GdtLimit, 8 * index + 7);
    }

    // --- Paging (identity map of the first 4 MiB, user and writable, CR0.WP set) -------

    public const uint PageDirectory = 0x10000, PageTable = 0x11000;

    public void EnablePaging()
    {
        for (uint i = 0; i < 1024; i++) Write32(PageTable + 4 * i, (i << 12) | 7);
        Write32(PageDirectory, PageTable | 7);
        Cpu.Cr3 = PageDirectory;
        Cpu.Cr0 |= Cpu.CR0_PG | Cpu.CR0_WP;
        Cpu.FlushTlb();
    }

    /// <summary>Where the identity page table keeps the entry for <paramref name="linear"/> (the first 4 MiB).</summary>
    public static uint PteAddress(uint linear) => PageTable + 4 * (linear >> 12);

    public void UnmapPage(uint linear)
    {
        Write32(PageTable + 4 * (linear >> 12), 0);
        Cpu.FlushTlbEntry(linear);
    }

    public void MakeReadOnly(uint linear)
    {
        Write32(PageTable + 4 * (linear >> 12), Read32(PageTable + 4 * (linear >> 12)) & ~2u);
        Cpu.FlushTlbEntry(linear);
    }

    // --- Memory ---------------------------------------------------------------------

    public void Write8(uint address, byte value) => Memory.Ram[address] = value;
    public void Write16(uint address, ushort value) => Memory.Write(address, 2, value);
    public void Write32(uint address, uint value) => Memory.Write(address, 4, value);
    public void WriteBytes(uint address, params byte[] bytes) => bytes.CopyTo(Memory.Ram, (int)address);
    public byte Read8(uint address) => Memory.Ram[address];
    public ushort Read16(uint address) => (ushort)Memory.Read(address, 2);
    public uint Read32(uint address) => Memory.Read(address, 4);
    public byte[] ReadBytes(uint address, int count) => Memory.Ram.AsSpan((int)address, count).ToArray();

    // --- Running --------------------------------------------------------------------

    /// <summary>Assembles <paramref name="build"/> at <see cref="CodeBase"/>, appends a HLT and loads it.</summary>
    public void Load(Action<Assembler> build)
    {
        var a = new Assembler(32);
        build(a);
        a.hlt();                                    // the final HLT, also a target for labels at the end
        var writer = new ByteCollector();
        a.Assemble(writer, CodeBase);
        LoadBytes(writer.Bytes.Take(writer.Bytes.Count - 1).ToArray());
    }

    /// <summary>Assembles extra code (a function, a handler) at <paramref name="address"/>.</summary>
    public void Place(uint address, Action<Assembler> build)
    {
        var a = new Assembler(32);
        build(a);
        var writer = new ByteCollector();
        a.Assemble(writer, address);
        writer.Bytes.ToArray().CopyTo(Memory.Ram, (int)address);
        Cpu.Decode.Clear();
    }

    /// <summary>Loads raw instruction bytes at <see cref="CodeBase"/>, followed by a HLT.</summary>
    public void LoadBytes(params byte[] code)
    {
        code.CopyTo(Memory.Ram, (int)CodeBase);
        CodeEnd = CodeBase + (uint)code.Length;
        Memory.Ram[CodeEnd] = 0xF4;
        Cpu.Eip = CodeBase;
        Cpu.Decode.Clear();                         // the bytes were written behind the CPU's back
    }

    /// <summary>Assembles and runs until a HLT: the final one, or an exception stub's.</summary>
    public CpuTestHarness Run(Action<Assembler> build, long budget = 1_000_000)
    {
        Load(build);
        return Run(budget);
    }

    /// <summary>Runs the loaded code until a HLT (or the budget ends, which fails the test).</summary>
    public CpuTestHarness Run(long budget = 1_000_000)
    {
        LastExit = Cpu.Run(budget);
        Assert.True(LastExit == ExitReason.Halt, $"the run ended with {LastExit} at EIP 0x{Cpu.Eip:x}, not at a HLT");
        return this;
    }

    /// <summary>Runs exactly <paramref name="instructions"/> instructions (for stepping through a sequence).</summary>
    public ExitReason Step(long instructions) => LastExit = Cpu.Run(instructions);

    /// <summary>True when the run ended at the HLT after the assembled code.</summary>
    public bool EndedNormally => Cpu.Eip == CodeEnd + 1;

    /// <summary>The exception vector whose stub the run ended in, or null.</summary>
    public int? Fault =>
        Cpu.Eip > StubBase && Cpu.Eip <= StubBase + 4 * 32 && (Cpu.Eip - 1 - StubBase) % 4 == 0
            ? (int)((Cpu.Eip - 1 - StubBase) / 4)
            : null;

    /// <summary>The error code the fault pushed (valid only for vectors with one).</summary>
    public uint ErrorCode => Read32(Esp);

    /// <summary>The EIP saved by the fault (the faulting instruction's address).</summary>
    public uint FaultEip => Read32(Esp + (VectorInfo.HasErrorCode(Fault ?? 0) ? 4u : 0u));

    /// <summary>Asserts that the run ended normally, with no exception.</summary>
    public void AssertNoFault() =>
        Assert.True(EndedNormally, $"expected a normal end, but EIP = 0x{Cpu.Eip:x} (fault {(Fault is int v ? VectorInfo.Mnemonic(v) : "none")})");

    public void AssertFault(Vector vector)
    {
        Assert.True(Fault == (int)vector,
            $"expected {VectorInfo.Mnemonic((int)vector)}, got {(Fault is int v ? VectorInfo.Mnemonic(v) : $"no fault (EIP 0x{Cpu.Eip:x})")}");
    }

    /// <summary>The registers, flags and a window of memory, to show that a faulting instruction changed nothing.</summary>
    public Snapshot Take(uint memory = DataBase, int length = 64) =>
        new(Cpu.Gpr.ToArray(), Cpu.Eflags, memory, ReadBytes(memory, length));

    /// <summary>Asserts that everything in <paramref name="before"/> is as it was, except ESP (the exception frame).</summary>
    public void AssertUnchanged(Snapshot before)
    {
        for (int r = 0; r < 8; r++)
            if (r != 4) Assert.True(before.Gpr[r] == Cpu.Gpr[r], $"register {(Reg)r} changed: 0x{before.Gpr[r]:x} -> 0x{Cpu.Gpr[r]:x}");
        Assert.Equal(before.Eflags, Cpu.Eflags);
        Assert.Equal(before.Memory, ReadBytes(before.Address, before.Memory.Length));
    }

    internal sealed record Snapshot(uint[] Gpr, uint Eflags, uint Address, byte[] Memory);

    sealed class ByteCollector : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
