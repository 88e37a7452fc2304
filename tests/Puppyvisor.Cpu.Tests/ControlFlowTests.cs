// Jcc (all sixteen conditions, rel8, rel16 and rel32), JMP, CALL, RET, LOOP/LOOPE/LOOPNE,
// JECXZ/JCXZ.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class ControlFlowTests
{
    const uint Code = CpuTestHarness.CodeBase;

    public static IEnumerable<object[]> JccForms()
    {
        for (int cc = 0; cc < 16; cc++)
        {
            yield return ["rel8", cc];
            yield return ["rel16", cc];
            yield return ["rel32", cc];
        }
    }

    [Theory]
    [MemberData(nameof(JccForms))]
    public void Jcc_IsTakenExactlyWhenTheConditionHolds(string form, int cc)
    {
        // Jcc over a two-byte MOV AL, 1 that marks "not taken"; the target is the final HLT.
        byte[] jcc = form switch
        {
            "rel8" => [(byte)(0x70 + cc), 0x02],
            "rel16" => [0x66, 0x0F, (byte)(0x80 + cc), 0x02, 0x00],   // 66h: the target is truncated to 16 bits
            _ => [0x0F, (byte)(0x80 + cc), 0x02, 0x00, 0x00, 0x00],
        };
        var h = new CpuTestHarness();
        h.LoadBytes([.. jcc, 0xB0, 0x01]);
        foreach (uint flags in ConditionalTests.FlagCombinations())
        {
            h.Cpu.Eip = Code;
            h.Eax = 0;
            h.Flags = flags;
            h.Run();
            h.AssertNoFault();
            Assert.True((h.Eax == 0) == ConditionalTests.Expected(cc, flags), $"flags 0x{flags:x}");
        }
    }

    [Fact]
    public void Jcc_AfterCmp_UsesTheLazyFlags()
    {
        var h = new CpuTestHarness { Eax = 0x8000_0000, Ebx = 1 };   // most negative vs 1: signed less, unsigned above
        h.Run(a =>
        {
            var notLess = a.CreateLabel();
            var notAbove = a.CreateLabel();
            a.cmp(eax, ebx);
            a.jge(notLess);
            a.or(ecx, 1);
            a.Label(ref notLess);
            a.cmp(eax, ebx);
            a.jbe(notAbove);
            a.or(ecx, 2);
            a.Label(ref notAbove);
        });
        Assert.Equal(3u, h.Ecx);
    }

    [Fact]
    public void Loop_CountsEcxDownToZero()
    {
        var h = new CpuTestHarness { Ecx = 5 };
        h.Run(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.inc(eax);
            a.loop(top);
        });
        Assert.Equal(5u, h.Eax);
        Assert.Equal(0u, h.Ecx);
    }

    [Fact]
    public void Loop_WithEcxZero_RunsTwoToThe32Times_ButHereJustWraps()
    {
        // LOOP decrements first: ECX = 0 becomes FFFFFFFFh and the branch is taken.
        var h = new CpuTestHarness { Ecx = 0 };
        h.Run(a =>
        {
            var target = a.CreateLabel();
            a.loop(target);
            a.mov(eax, 1);
            a.Label(ref target);
        });
        Assert.Equal(0xFFFF_FFFFu, h.Ecx);
        Assert.Equal(0u, h.Eax);
    }

    [Fact]
    public void Loop_DoesNotChangeFlags()
    {
        uint flags = 0x2 | ZF | CF | OF;
        var h = new CpuTestHarness { Ecx = 3, Flags = flags };
        h.Run(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.loop(top);
        });
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Loope_StopsWhenZfIsClear()
    {
        // Counts equal bytes from the start of two buffers: stops at the first difference.
        var h = new CpuTestHarness { Ecx = 10, Esi = CpuTestHarness.DataBase };
        h.WriteBytes(CpuTestHarness.DataBase, 7, 7, 7, 9, 7, 7);
        h.Run(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.inc(edx);
            a.lodsb();
            a.cmp(al, 7);
            a.loope(top);
        });
        Assert.Equal(4u, h.Edx);                        // the fourth byte differed
        Assert.Equal(6u, h.Ecx);
    }

    [Fact]
    public void Loopne_StopsWhenZfIsSet()
    {
        var h = new CpuTestHarness { Ecx = 10, Esi = CpuTestHarness.DataBase };
        h.WriteBytes(CpuTestHarness.DataBase, 1, 2, 3, 0, 5);
        h.Run(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.lodsb();
            a.test(al, al);
            a.loopne(top);
        });
        Assert.Equal(CpuTestHarness.DataBase + 4, h.Esi);
        Assert.Equal(6u, h.Ecx);
    }

    [Fact]
    public void Jecxz_JumpsOnlyWhenEcxIsZero()
    {
        var h = new CpuTestHarness { Ecx = 0x0001_0000 };   // CX = 0 but ECX is not
        h.Run(a =>
        {
            var skip = a.CreateLabel();
            a.jecxz(skip);
            a.mov(eax, 1);
            a.Label(ref skip);
        });
        Assert.Equal(1u, h.Eax);
    }

    [Fact]
    public void Jcxz_With67Prefix_TestsCxOnly()
    {
        var h = new CpuTestHarness { Ecx = 0x0001_0000 };
        h.LoadBytes(0x67, 0xE3, 0x05, 0xB8, 0x01, 0x00, 0x00, 0x00);   // JCXZ +5; MOV EAX, 1
        h.Run();
        h.AssertNoFault();
        Assert.Equal(0u, h.Eax);
    }

    [Fact]
    public void Call_PushesTheReturnAddress_AndRetPopsIt()
    {
        var h = new CpuTestHarness();
        h.Run(a =>
        {
            var function = a.CreateLabel();
            var end = a.CreateLabel();
            a.call(function);
            a.mov(ebx, __dword_ptr[esp - 4]);           // the return address, still below ESP
            a.jmp(end);
            a.Label(ref function);
            a.mov(eax, 42);
            a.ret();
            a.Label(ref end);
        });
        Assert.Equal(42u, h.Eax);
        Assert.Equal(CpuTestHarness.StackTop, h.Esp);
        Assert.Equal(Code + 5, h.Ebx);                  // CALL rel32 is 5 bytes
    }

    [Fact]
    public void RetImm16_ReleasesTheArguments()
    {
        var h = new CpuTestHarness();
        h.Run(a =>
        {
            var function = a.CreateLabel();
            var end = a.CreateLabel();
            a.push(1);
            a.push(2);
            a.call(function);
            a.jmp(end);
            a.Label(ref function);
            a.mov(eax, __dword_ptr[esp + 4]);
            a.ret(8);
            a.Label(ref end);
        });
        Assert.Equal(2u, h.Eax);
        Assert.Equal(CpuTestHarness.StackTop, h.Esp);
    }

    [Fact]
    public void CallAndJmp_Indirect_ThroughRegisterAndMemory()
    {
        const uint Function = 0x3000, Target = 0x3100;
        var h = new CpuTestHarness();
        h.Place(Function, a => { a.inc(eax); a.ret(); });
        h.Place(Target, a => { a.mov(edx, 7); a.hlt(); });
        h.Write32(CpuTestHarness.DataBase, Target);
        h.Run(a =>
        {
            a.mov(ebx, Function);
            a.call(ebx);
            a.jmp(__dword_ptr[CpuTestHarness.DataBase]);
        });
        Assert.Equal(Target + 6, h.Cpu.Eip);            // past the HLT at the jump's target
        Assert.Equal(1u, h.Eax);
        Assert.Equal(7u, h.Edx);
        Assert.Equal(CpuTestHarness.StackTop, h.Esp);
    }

    [Fact]
    public void Iret_ToRing3_SwitchesCplAndStack_AndNullsTheKernelDataSegments()
    {
        const uint UserCode = 0x3000, UserStack = 0x7000;
        var h = new CpuTestHarness();
        h.Place(UserCode, a => { a.mov(eax, 1); a.hlt(); });     // HLT at CPL 3: #GP(0)
        h.Run(a =>
        {
            a.push(CpuTestHarness.UserData);            // SS
            a.push(UserStack);                          // ESP
            a.push(0x2);                                // EFLAGS
            a.push(CpuTestHarness.UserCode);            // CS
            a.push(UserCode);                           // EIP
            a.iretd();
        });
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal(1u, h.Eax);
        Assert.Equal(CpuTestHarness.Ring0StackTop - 24, h.Esp);   // error code + five dwords
        Assert.Equal(0u, h.ErrorCode);
        Assert.Equal(UserCode + 5, h.Read32(h.Esp + 4));          // the HLT
        Assert.Equal((uint)CpuTestHarness.UserCode, h.Read32(h.Esp + 8));
        Assert.Equal(UserStack, h.Read32(h.Esp + 16));
        Assert.Equal((uint)CpuTestHarness.UserData, h.Read32(h.Esp + 20));
        Assert.Equal(0, h.Cpu.Selectors[(int)SegReg.DS]);          // DPL-0 data is not for ring 3
        Assert.Equal(0, h.Cpu.Selectors[(int)SegReg.ES]);
    }
}
