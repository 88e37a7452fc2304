// CPUID (the P6 leaves and the hypervisor leaves of DESIGN §2), what this CPU lacks
// (#UD for later extensions, #UD/#NM for x87), privileged instructions at CPL 3, and
// self-modifying code.
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class SystemTests
{
    static string Ascii(params uint[] registers) =>
        string.Concat(registers.Select(r => new string([(char)(r & 0xFF), (char)((r >> 8) & 0xFF), (char)((r >> 16) & 0xFF), (char)(r >> 24)])));

    [Fact]
    public void Cpuid0x40000000_ReturnsTheHighestLeafAndPuppyvisorSignature()
    {
        var h = new CpuTestHarness { Eax = 0x4000_0000 };
        h.Run(a => a.cpuid());
        Assert.Equal("PuppyvisorPV", Ascii(h.Ebx, h.Ecx, h.Edx));
        Assert.Equal(0x4000_0010u, h.Eax);              // the TSC-frequency leaf is the highest
    }

    [Fact]
    public void Cpuid0x40000001_ReportsClockeventConsoleAndWallclock()
    {
        var h = new CpuTestHarness { Eax = 0x4000_0001 };
        h.Run(a => a.cpuid());
        Assert.Equal(7u, h.Eax);
    }

    [Fact]
    public void Cpuid0x40000010_ReportsTheTscFrequencyInKhz()
    {
        var h = new CpuTestHarness { Eax = 0x4000_0010 };
        h.Run(a => a.cpuid());
        Assert.Equal(1_000_000u, h.Eax);
    }

    [Fact]
    public void Cpuid1_SaysHypervisorPresent_NoFpu_AndCx8AndCmov()
    {
        var h = new CpuTestHarness { Eax = 1 };
        h.Run(a => a.cpuid());
        Assert.Equal(6u, (h.Eax >> 8) & 0xF);           // family 6
        Assert.NotEqual(0u, h.Ecx & (1u << 31));        // hypervisor present
        Assert.Equal(0u, h.Edx & 1);                    // no x87 FPU
        Assert.NotEqual(0u, h.Edx & (1u << 8));         // CX8: CMPXCHG8B
        Assert.NotEqual(0u, h.Edx & (1u << 15));        // CMOV
        Assert.Equal(0u, h.Edx & (1u << 25));           // no SSE
    }

    [Fact]
    public void Popcnt_IsBeyondP6_AndRaisesInvalidOpcode()
    {
        var h = new CpuTestHarness { Ecx = 0xFF, Eax = 5 };
        h.Run(a => a.popcnt(eax, ecx));
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(5u, h.Eax);
    }

    [Fact]
    public void SseInstruction_RaisesInvalidOpcode()
    {
        var h = new CpuTestHarness();
        h.Run(a => a.addps(xmm0, xmm1));
        h.AssertFault(Vector.InvalidOpcode);
    }

    [Fact]
    public void X87Instruction_WithEmAndTsClear_RaisesInvalidOpcode()
    {
        var h = new CpuTestHarness();
        h.Run(a => a.fld1());
        h.AssertFault(Vector.InvalidOpcode);
    }

    [Fact]
    public void X87Instruction_WithTsSet_RaisesDeviceNotAvailable()
    {
        var h = new CpuTestHarness();
        h.Cpu.Cr0 |= CR0_TS;
        h.Run(a => a.fld1());
        h.AssertFault(Vector.DeviceNotAvailable);
    }

    [Fact]
    public void X87Instruction_WithEmSet_RaisesDeviceNotAvailable()
    {
        var h = new CpuTestHarness();
        h.Cpu.Cr0 |= CR0_EM;
        h.Run(a => a.fld1());
        h.AssertFault(Vector.DeviceNotAvailable);
    }

    [Theory]
    [InlineData(false, false, Vector.InvalidOpcode)]
    [InlineData(true, false, Vector.DeviceNotAvailable)]
    [InlineData(false, true, Vector.DeviceNotAvailable)]
    [InlineData(true, true, Vector.DeviceNotAvailable)]
    public void X87Instructions_RaiseNmWhenEmOrTsIsSet_ElseUd(bool em, bool ts, Vector expected)
    {
        // Every x87 form, not only FLD1: loads, stores, control, FNINIT/FNSTSW, with memory operands.
        Action<Assembler>[] forms =
        [
            a => a.fld1(), a => a.fadd(st0, st1), a => a.fld(__dword_ptr[CpuTestHarness.DataBase]),
            a => a.fistp(__qword_ptr[CpuTestHarness.DataBase]), a => a.fnstsw(ax), a => a.fninit(),
            a => a.fnstcw(__word_ptr[CpuTestHarness.DataBase]), a => a.fsin(), a => a.fxch(st0, st3),
        ];
        foreach (var form in forms)
        {
            var h = new CpuTestHarness();
            if (em) h.Cpu.Cr0 |= CR0_EM;
            if (ts) h.Cpu.Cr0 |= CR0_TS;
            h.Load(form);
            var before = h.Take();
            h.Run();
            h.AssertFault(expected);
            Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip);
            h.AssertUnchanged(before);
        }
    }

    [Theory]
    [InlineData(false, false, false, null)]
    [InlineData(true, false, false, null)]          // EM does not matter to WAIT
    [InlineData(false, true, false, null)]
    [InlineData(false, false, true, null)]          // TS alone does not either
    [InlineData(false, true, true, Vector.DeviceNotAvailable)]
    [InlineData(true, true, true, Vector.DeviceNotAvailable)]
    public void Wait_RaisesNmOnlyWhenMpAndTsAreBothSet(bool em, bool mp, bool ts, Vector? expected)
    {
        // SDM Vol. 3A, Table 2-2: WAIT/FWAIT faults only when MP = 1 and TS = 1; with no FPU there
        // is nothing to wait for, so otherwise it is a no-op.
        var h = new CpuTestHarness();
        if (em) h.Cpu.Cr0 |= CR0_EM;
        if (mp) h.Cpu.Cr0 |= CR0_MP;
        if (ts) h.Cpu.Cr0 |= CR0_TS;
        h.Run(a => a.wait());
        if (expected is Vector v) { h.AssertFault(v); Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip); }
        else h.AssertNoFault();
    }

    [Fact]
    public void WaitPrefixedX87Instruction_IsTwoInstructions_TheWaitFirst()
    {
        // FSTSW AX is 9B DF E0: WAIT, then FNSTSW AX. With EM set (and MP clear) the WAIT passes and
        // the x87 part raises #NM at its own address, one byte in.
        var h = new CpuTestHarness();
        h.Cpu.Cr0 |= CR0_EM;
        h.Run(a => a.fstsw(ax));
        h.AssertFault(Vector.DeviceNotAvailable);
        Assert.Equal(CpuTestHarness.CodeBase + 1, h.FaultEip);
        // With MP and TS set, the WAIT itself faults, at the instruction's first byte.
        var h2 = new CpuTestHarness();
        h2.Cpu.Cr0 |= CR0_MP | CR0_TS;
        h2.Run(a => a.fstsw(ax));
        h2.AssertFault(Vector.DeviceNotAvailable);
        Assert.Equal(CpuTestHarness.CodeBase, h2.FaultEip);
    }

    public static IEnumerable<object[]> SimdInstructions() =>
    [
        ["emms (MMX)", new byte[] { 0x0F, 0x77 }],
        ["movq mm0, mm1 (MMX)", new byte[] { 0x0F, 0x6F, 0xC1 }],
        ["paddb mm0, [eax] (MMX)", new byte[] { 0x0F, 0xFC, 0x00 }],
        ["addps xmm0, xmm1 (SSE)", new byte[] { 0x0F, 0x58, 0xC1 }],
        ["addss xmm0, xmm1 (SSE)", new byte[] { 0xF3, 0x0F, 0x58, 0xC1 }],
        ["sfence (SSE)", new byte[] { 0x0F, 0xAE, 0xF8 }],
        ["ldmxcsr [eax] (SSE)", new byte[] { 0x0F, 0xAE, 0x10 }],
        ["fxsave [eax] (FXSR)", new byte[] { 0x0F, 0xAE, 0x00 }],
        ["addpd xmm0, xmm1 (SSE2)", new byte[] { 0x66, 0x0F, 0x58, 0xC1 }],
        ["movdqa xmm0, [eax] (SSE2)", new byte[] { 0x66, 0x0F, 0x6F, 0x00 }],
        ["pshufb mm0, mm1 (SSSE3)", new byte[] { 0x0F, 0x38, 0x00, 0xC1 }],
        ["vaddps xmm0, xmm1, xmm2 (AVX)", new byte[] { 0xC5, 0xF0, 0x58, 0xC2 }],
        ["prefetchnta [eax] (SSE)", new byte[] { 0x0F, 0x18, 0x00 }],
    ];

    [Theory]
    [MemberData(nameof(SimdInstructions))]
    public void SimdInstruction_RaisesInvalidOpcode_EvenWithTsOrEmSet(string name, byte[] code)
    {
        // CPUID lists no MMX, SSE or later: #UD comes before any #NM (SDM: "#UD if CPUID.01H:EDX.SSE = 0").
        foreach (uint cr0Bits in (uint[])[0, CR0_TS, CR0_EM, CR0_TS | CR0_MP])
        {
            var h = new CpuTestHarness { Eax = CpuTestHarness.DataBase };
            h.Cpu.Cr0 |= cr0Bits;
            h.LoadBytes(code);
            var before = h.Take();
            h.Run();
            Assert.True(h.Fault == (int)Vector.InvalidOpcode, $"{name} with CR0 0x{h.Cpu.Cr0:x}: expected #UD, got {(h.Fault is int v ? VectorInfo.Mnemonic(v) : "nothing")}");
            Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip);
            h.AssertUnchanged(before);
        }
    }

    public static IEnumerable<object[]> PrivilegedInstructions() =>
    [
        ["hlt", (Action<Assembler>)(a => a.hlt())],
        ["mov cr0, eax", (Action<Assembler>)(a => a.mov(cr0, eax))],
        ["mov eax, cr3", (Action<Assembler>)(a => a.mov(eax, cr3))],
        ["lgdt", (Action<Assembler>)(a => a.lgdt(__[CpuTestHarness.DataBase]))],
        ["invlpg", (Action<Assembler>)(a => a.invlpg(__[CpuTestHarness.DataBase]))],
        ["clts", (Action<Assembler>)(a => a.clts())],
        ["wrmsr", (Action<Assembler>)(a => a.wrmsr())],
        ["cli (IOPL 0)", (Action<Assembler>)(a => a.cli())],
        ["lidt", (Action<Assembler>)(a => a.lidt(__[CpuTestHarness.DataBase]))],
        ["ltr", (Action<Assembler>)(a => a.ltr(ax))],
        ["lldt", (Action<Assembler>)(a => a.lldt(ax))],
        ["lmsw", (Action<Assembler>)(a => a.lmsw(ax))],
        ["mov cr4, eax", (Action<Assembler>)(a => a.mov(cr4, eax))],
        ["mov eax, cr2", (Action<Assembler>)(a => a.mov(eax, cr2))],
        ["mov dr7, eax", (Action<Assembler>)(a => a.mov(dr7, eax))],
        ["mov eax, dr6", (Action<Assembler>)(a => a.mov(eax, dr6))],
        ["mov eax, dr0", (Action<Assembler>)(a => a.mov(eax, dr0))],
        ["rdmsr", (Action<Assembler>)(a => a.rdmsr())],
        ["wbinvd", (Action<Assembler>)(a => a.wbinvd())],
        ["invd", (Action<Assembler>)(a => a.invd())],
        ["sti (IOPL 0)", (Action<Assembler>)(a => a.sti())],
        ["in al, dx (IOPL 0)", (Action<Assembler>)(a => a.@in(al, dx))],
        ["in eax, 0x60 (IOPL 0)", (Action<Assembler>)(a => a.@in(eax, 0x60))],
        ["out dx, al (IOPL 0)", (Action<Assembler>)(a => a.@out(dx, al))],
        ["out 0xe9, ax (IOPL 0)", (Action<Assembler>)(a => a.@out(0xE9, ax))],
        ["insb (IOPL 0)", (Action<Assembler>)(a => a.insb())],
        ["rep outsd (IOPL 0)", (Action<Assembler>)(a => a.rep.outsd())],
    ];

    [Theory]
    [MemberData(nameof(PrivilegedInstructions))]
    public void PrivilegedInstruction_AtCpl3_RaisesGeneralProtectionWithErrorCode0(string name, Action<Assembler> code)
    {
        var h = new CpuTestHarness { Eax = Cpu.CR0_PE };
        h.EnterRing3();
        h.Load(code);
        var before = h.Take();
        h.Run();
        Assert.True(h.Fault == (int)Vector.GeneralProtection, $"{name}: expected #GP");
        Assert.Equal(0u, h.ErrorCode);
        Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip);
        Assert.Equal((uint)CpuTestHarness.UserCode, h.Read32(h.Esp + 8));  // the saved CS: ring 3
        h.AssertUnchanged(before);
    }

    public static IEnumerable<object[]> IoplSensitiveInstructions() =>
    [
        ["cli", (Action<Assembler>)(a => a.cli())],
        ["sti", (Action<Assembler>)(a => a.sti())],
        ["in al, dx", (Action<Assembler>)(a => a.@in(al, dx))],
        ["out 0xe9, al", (Action<Assembler>)(a => a.@out(0xE9, al))],
        ["outsb", (Action<Assembler>)(a => a.outsb())],
    ];

    [Theory]
    [MemberData(nameof(IoplSensitiveInstructions))]
    public void IoplSensitiveInstruction_AtCpl3_WithIopl3_IsAllowed(string name, Action<Assembler> code)
    {
        var h = new CpuTestHarness { Edi = CpuTestHarness.DataBase, Esi = CpuTestHarness.DataBase, Flags = 0x2 | Cpu.IOPL };
        h.EnterRing3();
        h.Load(a => { code(a); a.ud2(); });             // ends in #UD, the way out of ring 3
        h.Run();
        Assert.True(h.Fault == (int)Vector.InvalidOpcode, $"{name}: expected no #GP, got {(h.Fault is int v ? VectorInfo.Mnemonic(v) : "nothing")}");
        Assert.NotEqual(CpuTestHarness.CodeBase, h.FaultEip);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    public void IoplSensitiveInstruction_AtCpl3_WithIoplBelow3_RaisesGeneralProtection(uint iopl)
    {
        // The rule is CPL <= IOPL: IOPL 1 and 2 are still below ring 3.
        foreach (var (name, code) in IoplSensitiveInstructions().Select(o => ((string)o[0], (Action<Assembler>)o[1])))
        {
            var h = new CpuTestHarness { Edi = CpuTestHarness.DataBase, Esi = CpuTestHarness.DataBase, Flags = 0x2 | (iopl << 12) };
            h.EnterRing3();
            h.Run(code);
            Assert.True(h.Fault == (int)Vector.GeneralProtection, $"{name} with IOPL {iopl}: expected #GP");
            Assert.Equal(0u, h.ErrorCode);
        }
    }

    [Fact]
    public void Cpuid_AtCpl3_IsAllowed()
    {
        var h = new CpuTestHarness { Eax = 0x4000_0001 };
        h.EnterRing3();
        h.Load(a => { a.cpuid(); a.ud2(); });           // ends in #UD, the way out of ring 3
        h.Run();
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(7u, h.Eax);
    }

    // --- Self-modifying code ---------------------------------------------------------

    [Fact]
    public void SelfModifyingCode_AStoreIntoTheNextInstruction_TakesEffect()
    {
        // MOV BYTE [next], 40h (7 bytes) rewrites the NOP that follows into INC EAX.
        uint next = CpuTestHarness.CodeBase + 7;
        var h = new CpuTestHarness();
        h.Run(a => { a.mov(__byte_ptr[next], 0x40); a.nop(); });
        h.AssertNoFault();
        Assert.Equal(1u, h.Eax);
    }

    [Fact]
    public void SelfModifyingCode_AStoreFurtherDownTheSameBlock_TakesEffect()
    {
        // The target is the immediate of a MOV EBX, imm32 three instructions ahead.
        var h = new CpuTestHarness();
        h.Load(a =>
        {
            a.mov(__dword_ptr[CpuTestHarness.CodeBase + 10 + 1 + 1 + 1], 0x1234_5678);   // 10 bytes
            a.nop();
            a.nop();
            a.mov(ebx, 0);                              // at +12: B8+3, imm32 at +13
        });
        h.Run();
        h.AssertNoFault();
        Assert.Equal(0x1234_5678u, h.Ebx);
    }

    [Fact]
    public void SelfModifyingCode_RewritingAnAlreadyExecutedLoopBody_TakesEffectNextTime()
    {
        // The loop body ADD EAX, 1 runs once, then is patched to ADD EAX, 100 (83 C0 ib).
        const uint Body = 0x3000;
        var h = new CpuTestHarness { Ecx = 2 };
        h.WriteBytes(Body, 0x83, 0xC0, 0x01, 0xC3);    // ADD EAX, 1; RET
        h.Run(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.call(Body);                               // the body is a cached block after the first call
            a.mov(__byte_ptr[Body + 2], 100);
            a.dec(ecx);
            a.jnz(top);
        });
        Assert.Equal(101u, h.Eax);
    }

    [Fact]
    public void SelfModifyingCode_WorksWithTheDecodeCacheOff()
    {
        uint next = CpuTestHarness.CodeBase + 7;
        var h = new CpuTestHarness();
        h.Cpu.Decode.Enabled = false;
        h.Run(a => { a.mov(__byte_ptr[next], 0x40); a.nop(); });
        Assert.Equal(1u, h.Eax);
    }
}
