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
