// Every exception of DESIGN §3 with its vector, error code and saved EIP (SDM Vol. 3A,
// 6.15: faults save the faulting instruction, traps the next one), the EXT bit, the
// double-fault rules of Table 6-5, and the triple fault that ends the run.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class ExceptionTests
{
    const uint Code = CpuTestHarness.CodeBase, Data = CpuTestHarness.DataBase;

    // --- One test per vector ------------------------------------------------------------

    [Fact]
    public void DivideError_IsAFaultAtTheDiv()
    {
        var h = new CpuTestHarness { Eax = 1, Ecx = 0 };
        h.Run(a => { a.nop(); a.div(ecx); });
        h.AssertFault(Vector.DivideError);
        Assert.Equal(Code + 1, h.FaultEip);
        Assert.Equal(CpuTestHarness.StackTop - 12, h.Esp);         // no error code
    }

    [Fact]
    public void Int1_RaisesDebug_AsATrapAfterTheInstruction()
    {
        var h = new CpuTestHarness();
        h.Run(a => { a.nop(); a.int1(); });
        h.AssertFault(Vector.Debug);
        Assert.Equal(Code + 2, h.FaultEip);
        Assert.Equal(CpuTestHarness.StackTop - 12, h.Esp);
    }

    [Fact]
    public void TrapFlag_RaisesDebugAfterTheFirstInstructionItCovers_WithDr6Bs()
    {
        var h = new CpuTestHarness();
        // PUSHFD; OR dword [esp], TF (7 bytes); POPFD sets TF -- no trap after POPFD itself, which
        // began with TF clear; the NOP at +9 is the first instruction TF covers: the trap follows it.
        h.Run(a => { a.pushfd(); a.or(__dword_ptr[esp], 0x100); a.popfd(); a.nop(); a.nop(); });
        h.AssertFault(Vector.Debug);
        Assert.Equal(Code + 10, h.FaultEip);
        Assert.NotEqual(0u, h.Cpu.Dr[6] & (1u << 14));
        Assert.Equal(0u, h.Cpu.Eflags & Cpu.TF);                    // delivery clears TF
        Assert.Equal(1ul, h.Cpu.ExceptionCounts[1]);
    }

    [Fact]
    public void Int1_FromRing3_IgnoresTheGateDpl()
    {
        // INT1 is delivered like a hardware exception: no DPL check (SDM INT n, "does not apply to INT1").
        var h = new CpuTestHarness();
        h.EnterRing3();
        h.Run(a => a.int1());
        h.AssertFault(Vector.Debug);
        Assert.Equal(Code + 1, h.FaultEip);
    }

    [Fact]
    public void Int3_RaisesBreakpoint_AsATrapAfterTheInstruction()
    {
        var h = new CpuTestHarness();
        h.Run(a => { a.nop(); a.int3(); });
        h.AssertFault(Vector.Breakpoint);
        Assert.Equal(Code + 2, h.FaultEip);
    }

    [Fact]
    public void Into_WithOfSet_RaisesOverflow_AsATrap()
    {
        var h = new CpuTestHarness { Flags = 0x2 | OF };
        h.Run(a => { a.nop(); a.into(); });
        h.AssertFault(Vector.Overflow);
        Assert.Equal(Code + 2, h.FaultEip);
    }

    [Fact]
    public void Into_WithOfClear_DoesNothing()
    {
        var h = new CpuTestHarness();
        h.Run(a => a.into());
        h.AssertNoFault();
    }

    [Fact]
    public void Bound_OutOfRange_IsABoundRangeFaultAtTheInstruction()
    {
        var h = new CpuTestHarness { Eax = 9 };
        h.Write32(Data, 0);
        h.Write32(Data + 4, 5);
        h.Run(a => { a.nop(); a.bound(eax, __qword_ptr[Data]); });
        h.AssertFault(Vector.BoundRange);
        Assert.Equal(Code + 1, h.FaultEip);
    }

    [Fact]
    public void Ud2_IsAnInvalidOpcodeFaultAtTheInstruction()
    {
        var h = new CpuTestHarness();
        h.Run(a => { a.nop(); a.ud2(); });
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(Code + 1, h.FaultEip);
    }

    [Fact]
    public void Wait_WithMpAndTs_IsADeviceNotAvailableFault()
    {
        var h = new CpuTestHarness();
        h.Cpu.Cr0 |= CR0_MP | CR0_TS;
        h.Run(a => { a.nop(); a.wait(); });
        h.AssertFault(Vector.DeviceNotAvailable);
        Assert.Equal(Code + 1, h.FaultEip);
    }

    [Fact]
    public void InvalidTss_ForABadSs0_CarriesTheSelectorAndExt()
    {
        // SS0 = 0x20, a ring-3 data segment: not a ring-0 stack. The #TS handler is reached
        // through a ring-3 code selector so its delivery needs no stack switch.
        const uint TsHandler = 0x3000;
        var h = new CpuTestHarness();
        h.Write32(CpuTestHarness.TssBase + 8, 0x20);
        h.SetGate((int)Vector.InvalidTss, TsHandler, selector: CpuTestHarness.UserCode);
        h.WriteBytes(TsHandler, 0xEB, 0xFE);                         // JMP $: wait there
        h.EnterRing3();
        h.Load(a => { a.nop(); a.ud2(); });
        h.Step(100);
        Assert.Equal(TsHandler, h.Cpu.Eip);
        Assert.Equal(3, h.Cpu.Cpl);
        Assert.Equal(0x21u, h.Read32(h.Esp));                    // 0x20 | EXT: during delivery of #UD
        Assert.Equal(Code + 1, h.Read32(h.Esp + 4));              // the instruction that raised #UD
    }

    [Fact]
    public void SegmentNotPresent_OnADataSegmentLoad_CarriesTheSelector()
    {
        var h = new CpuTestHarness { Eax = 0x30 };
        h.SetDescriptor(6, 0x0000_FFFF, 0x00CF_1200);              // data, DPL 0, not present
        h.Run(a => { a.nop(); a.mov(ds, ax); });
        h.AssertFault(Vector.SegmentNotPresent);
        Assert.Equal(0x30u, h.ErrorCode);
        Assert.Equal(Code + 1, h.FaultEip);
    }

    [Fact]
    public void SegmentNotPresent_ForAGate_CarriesTheIdtEntry()
    {
        var h = new CpuTestHarness();
        h.SetGate(0x50, 0x3000, present: false);
        h.Run(a => a.@int(0x50));
        h.AssertFault(Vector.SegmentNotPresent);
        Assert.Equal(0x50u * 8 + 2, h.ErrorCode);                 // IDT bit set, EXT clear: INT n is software
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void StackFault_OnLoadingANotPresentStackSegment_CarriesTheSelector()
    {
        var h = new CpuTestHarness { Eax = 0x30 };
        h.SetDescriptor(6, 0x0000_FFFF, 0x00CF_1200);
        h.Run(a => a.mov(ss, ax));
        h.AssertFault(Vector.StackFault);
        Assert.Equal(0x30u, h.ErrorCode);
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void GeneralProtection_LoadingATssSelectorIntoDs_CarriesTheSelector()
    {
        var h = new CpuTestHarness { Eax = CpuTestHarness.TssSelector };
        h.Run(a => a.mov(ds, ax));
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal((uint)CpuTestHarness.TssSelector, h.ErrorCode);
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void PageFault_LeavesRegistersAndMemoryAsTheyWere()
    {
        var h = new CpuTestHarness { Eax = 5 };
        h.EnablePaging();
        h.UnmapPage(0x5000);
        h.Load(a => a.add(__dword_ptr[0x5000], eax));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfWrite, h.ErrorCode);                       // a read-modify-write faults as a write
        Assert.Equal(Code, h.FaultEip);
        h.AssertUnchanged(before);
    }

    // --- The EXT bit --------------------------------------------------------------------

    [Fact]
    public void FaultWhileDeliveringAnException_SetsExt()
    {
        // #UD's gate is not present: #NP(6 * 8 + IDT + EXT), delivered serially (#UD is benign).
        var h = new CpuTestHarness();
        h.SetGate((int)Vector.InvalidOpcode, 0x3000, present: false);
        h.Run(a => a.ud2());
        h.AssertFault(Vector.SegmentNotPresent);
        Assert.Equal(6u * 8 + 2 + 1, h.ErrorCode);
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void FaultWhileDeliveringAnExternalInterrupt_SetsExt()
    {
        var h = new CpuTestHarness();
        h.SetGate(0x50, 0x3000, present: false);
        h.Load(a => a.nop());
        Assert.True(h.Cpu.DeliverExternalInterrupt(0x50));
        Assert.Equal(CpuTestHarness.StubBase + 4 * (uint)Vector.SegmentNotPresent, h.Cpu.Eip);
        Assert.Equal(0x50u * 8 + 2 + 1, h.Read32(h.Esp));
    }

    // --- Double faults (SDM Vol. 3A, Table 6-5) --------------------------------------------

    [Fact]
    public void ContributoryWhileDeliveringContributory_IsADoubleFault_WithErrorCode0()
    {
        var h = new CpuTestHarness { Eax = 1, Ecx = 0 };
        h.SetGate((int)Vector.DivideError, 0x3000, present: false);
        h.Run(a => { a.nop(); a.div(ecx); });
        h.AssertFault(Vector.DoubleFault);
        Assert.Equal(0u, h.ErrorCode);
        Assert.Equal(Code + 1, h.FaultEip);
        Assert.Equal(new[] { "#DE", "#NP(0x3)", "#DF(0x0)" }, h.Cpu.FaultChain);
    }

    [Fact]
    public void ContributoryWhileDeliveringAPageFault_IsADoubleFault()
    {
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(0x5000);
        h.SetGate((int)Vector.PageFault, 0x3000, present: false);
        h.Run(a => a.mov(eax, __dword_ptr[0x5000]));
        h.AssertFault(Vector.DoubleFault);
        Assert.Equal(0x5000u, h.Cpu.Cr2);
        Assert.Equal(new[] { "#PF(0x0)", "#NP(0x73)", "#DF(0x0)" }, h.Cpu.FaultChain);
    }

    [Fact]
    public void PageFaultWhileDeliveringAContributoryException_IsHandledSerially()
    {
        // The IDT straddles two pages; #DE's gate is in the unmapped one, #PF's in the mapped one.
        const uint Idt = 0x6F90;
        var h = new CpuTestHarness { Eax = 1, Ecx = 0 };
        for (uint v = 0; v < 32; v++)
        {
            h.Write32(Idt + 8 * v, h.Read32(CpuTestHarness.IdtBase + 8 * v));
            h.Write32(Idt + 8 * v + 4, h.Read32(CpuTestHarness.IdtBase + 8 * v + 4));
        }
        h.Cpu.IdtBase = Idt;
        h.EnablePaging();
        h.UnmapPage(0x6000);
        h.Run(a => a.div(ecx));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(Idt, h.Cpu.Cr2);                              // reading #DE's gate
        Assert.Equal(0u, h.ErrorCode);                             // supervisor read, not present
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void BenignWhileDeliveringAnything_IsHandledSerially()
    {
        var h = new CpuTestHarness();
        h.SetGate(0x50, 0x3000, present: false);
        h.Run(a => a.@int(0x50));
        h.AssertFault(Vector.SegmentNotPresent);
    }

    [Fact]
    public void FaultWhileDeliveringADoubleFault_IsATripleFault_ThatEndsTheRun()
    {
        // Only #DE's gate is inside the IDT: #UD -> #GP (serial) -> #GP -> #DF -> #GP.
        var h = new CpuTestHarness();
        h.Cpu.IdtLimit = 7;
        h.Load(a => a.ud2());
        Assert.Equal(ExitReason.TripleFault, h.Step(100));
        Assert.Equal(new[] { "#UD", "#GP(0x33)", "#GP(0x6b)", "#DF(0x0)", "#GP(0x43)" }, h.Cpu.FaultChain);
        Assert.Equal(Code, h.Cpu.Eip);
    }

    [Fact]
    public void PageFaultOnTheStackWhileDeliveringAPageFault_EndsInATripleFault()
    {
        var h = new CpuTestHarness { Esp = 0x5010 };
        h.EnablePaging();
        h.UnmapPage(0x5000);
        h.Load(a => a.push(eax));
        Assert.Equal(ExitReason.TripleFault, h.Step(100));
        Assert.Equal(new[] { "#PF(0x2)", "#PF(0x2)", "#DF(0x0)", "#PF(0x2)" }, h.Cpu.FaultChain);
        Assert.Equal(Code, h.Cpu.Eip);                             // the faulting instruction, for the report
        Assert.Equal(0x5000u + 0x10 - 4, h.Cpu.Cr2);
    }
}
