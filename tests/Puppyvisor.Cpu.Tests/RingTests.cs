// Rings 0 and 3 (SDM Vol. 3A, 5.5-5.9, 6.12): the frame an interrupt from ring 3 leaves
// on the TSS stack, gate DPL checks for INT n, IRET back out, interrupt versus trap
// gates, the IOPL rules for I/O, CLI, STI and POPF, LTR, and FS/GS bases.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class RingTests
{
    const uint Code = CpuTestHarness.CodeBase, Ring0Top = CpuTestHarness.Ring0StackTop, UserTop = CpuTestHarness.StackTop;
    const uint Handler = 0x3000;
    const ushort UserCode = CpuTestHarness.UserCode, UserData = CpuTestHarness.UserData;

    /// <summary>A harness in ring 3 with a HLT handler at <see cref="Handler"/> behind gate <paramref name="vector"/>.</summary>
    static CpuTestHarness Ring3WithGate(int vector, int dpl, bool trap = false)
    {
        var h = new CpuTestHarness();
        h.Write8(Handler, 0xF4);
        h.SetGate(vector, Handler, dpl, trap);
        h.EnterRing3();
        return h;
    }

    static bool InHandler(CpuTestHarness h) => h.Cpu.Eip == Handler + 1;

    [Fact]
    public void IntN_FromRing3_ThroughADpl3Gate_SwitchesToTheTssStackAndPushesSsEspEflagsCsEip()
    {
        var h = Ring3WithGate(0x80, dpl: 3);
        h.Flags |= CF;
        h.Run(a => a.@int(0x80));
        Assert.True(InHandler(h));
        Assert.Equal(0, h.Cpu.Cpl);
        Assert.Equal((ushort)CpuTestHarness.KernelCode, h.Cpu.Selectors[(int)SegReg.CS]);
        Assert.Equal((ushort)CpuTestHarness.KernelData, h.Cpu.Selectors[(int)SegReg.SS]);
        Assert.Equal(Ring0Top - 20, h.Esp);
        Assert.Equal(Code + 2, h.Read32(h.Esp));                 // EIP: after the INT (a trap)
        Assert.Equal((uint)UserCode, h.Read32(h.Esp + 4));       // CS
        Assert.Equal(0x2u | CF, h.Read32(h.Esp + 8) & ~IF);      // EFLAGS as they were
        Assert.Equal(UserTop, h.Read32(h.Esp + 12));             // ESP
        Assert.Equal((uint)UserData, h.Read32(h.Esp + 16));      // SS
        Assert.Equal((ushort)UserData, h.Cpu.Selectors[(int)SegReg.DS]);   // data segments are left alone
    }

    [Fact]
    public void FaultFromRing3_WithAnErrorCode_PushesItBelowTheEip()
    {
        var h = new CpuTestHarness();
        h.EnterRing3();
        h.Run(a => a.cli());                                      // IOPL 0: #GP(0)
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal(Ring0Top - 24, h.Esp);
        Assert.Equal(0u, h.Read32(h.Esp));                        // error code
        Assert.Equal(Code, h.Read32(h.Esp + 4));                  // EIP: the CLI (a fault)
        Assert.Equal((uint)UserCode, h.Read32(h.Esp + 8));
        Assert.Equal(UserTop, h.Read32(h.Esp + 16));
        Assert.Equal((uint)UserData, h.Read32(h.Esp + 20));
    }

    [Fact]
    public void IntN_FromRing3_ThroughADpl0Gate_RaisesGpWithVectorTimes8Plus2_AtTheInt()
    {
        var h = Ring3WithGate(0x80, dpl: 0);
        h.Run(a => { a.nop(); a.@int(0x80); });
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal(0x80u * 8 + 2, h.ErrorCode);
        Assert.Equal(Code + 1, h.FaultEip);
        Assert.Equal(Ring0Top - 24, h.Esp);
    }

    [Fact]
    public void Int3_FromRing3_ThroughADpl0Gate_RaisesGp()
    {
        var h = new CpuTestHarness();
        h.EnterRing3();
        h.Run(a => a.int3());
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal(3u * 8 + 2, h.ErrorCode);
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void IntN_FromRing0_ThroughADpl0Gate_StaysOnTheSameStack()
    {
        var h = new CpuTestHarness();
        h.Write8(Handler, 0xF4);
        h.SetGate(0x80, Handler);
        h.Run(a => a.@int(0x80));
        Assert.True(InHandler(h));
        Assert.Equal(UserTop - 12, h.Esp);                        // EIP, CS, EFLAGS only
        Assert.Equal(Code + 2, h.Read32(h.Esp));
    }

    [Fact]
    public void ExternalInterrupt_FromRing3_IgnoresTheGateDpl_AndSavesTheNextEip()
    {
        var h = Ring3WithGate(0x40, dpl: 0);
        h.Load(a => { a.nop(); a.nop(); a.nop(); });
        h.Step(2);
        Assert.True(h.Cpu.DeliverExternalInterrupt(0x40));
        Assert.Equal(Handler, h.Cpu.Eip);
        Assert.Equal(0, h.Cpu.Cpl);
        Assert.Equal(Ring0Top - 20, h.Esp);
        Assert.Equal(Code + 2, h.Read32(h.Esp));
        Assert.Equal((uint)UserCode, h.Read32(h.Esp + 4));
    }

    [Fact]
    public void StackSwitch_ReadsEsp0FromTheTssEveryTime()
    {
        var h = Ring3WithGate(0x40, dpl: 0);
        h.Load(a => a.nop());
        Assert.True(h.Cpu.DeliverExternalInterrupt(0x40));
        Assert.Equal(Ring0Top - 20, h.Esp);
        h.EnterRing3();
        h.Esp = UserTop;
        h.Write32(CpuTestHarness.TssBase + 4, 0x7_0000);           // a new ESP0, as a scheduler would set
        Assert.True(h.Cpu.DeliverExternalInterrupt(0x40));
        Assert.Equal(0x7_0000u - 20, h.Esp);
    }

    [Fact]
    public void Iret_FromRing0_ReturnsToRing3_RestoringSsEspAndTheFlags()
    {
        // The handler returns at once; ring 3 goes on and ends in #UD, which shows where it was.
        var h = new CpuTestHarness();
        h.Place(Handler, a => a.iretd());
        h.SetGate(0x80, Handler, dpl: 3);
        h.EnterRing3();
        h.Run(a => { a.mov(eax, 1); a.@int(0x80); a.mov(ebx, esp); a.ud2(); });
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(Code + 5 + 2 + 2, h.FaultEip);
        Assert.Equal((uint)UserCode, h.Read32(h.Esp + 4));           // #UD came from ring 3
        Assert.Equal(UserTop, h.Ebx);                                // ring 3's ESP after the IRET
        Assert.Equal(Ring0Top - 20, h.Esp);                          // the ring-0 stack was left empty
    }

    [Fact]
    public void Iret_ToRing3_WithARing0StackSelector_RaisesGpWithIt_AtTheIret()
    {
        var h = new CpuTestHarness();
        h.Run(a =>
        {
            a.push(CpuTestHarness.KernelData);                  // SS: DPL 0, not ring 3's
            a.push(0x7_0000);
            a.push(0x2);
            a.push(UserCode);
            a.push(Code);
            a.iretd();
        });
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal((uint)CpuTestHarness.KernelData, h.ErrorCode);
        Assert.Equal(Code + 2 + 5 + 2 + 2 + 5, h.FaultEip);      // the IRET, after the five pushes
        Assert.Equal(0, h.Cpu.Cpl);
    }

    [Fact]
    public void Iret_FromRing3_ToRing0_RaisesGpWithTheCodeSelector()
    {
        var h = new CpuTestHarness();
        h.EnterRing3();
        h.Run(a =>
        {
            a.push(0x2);
            a.push(CpuTestHarness.KernelCode);
            a.push(Code);
            a.iretd();
        });
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal((uint)CpuTestHarness.KernelCode, h.ErrorCode);
        Assert.Equal((uint)UserCode, h.Read32(h.Esp + 8));       // raised in ring 3
    }

    [Fact]
    public void InterruptGate_ClearsIf_TrapGate_LeavesIt()
    {
        var interrupt = new CpuTestHarness { Flags = 0x2 | IF };
        interrupt.Write8(Handler, 0xF4);
        interrupt.SetGate(0x80, Handler);
        interrupt.Run(a => a.@int(0x80));
        Assert.False(interrupt.Flag(IF));

        var trap = new CpuTestHarness { Flags = 0x2 | IF };
        trap.Write8(Handler, 0xF4);
        trap.SetGate(0x80, Handler, trap: true);
        trap.Run(a => a.@int(0x80));
        Assert.True(trap.Flag(IF));
    }

    [Fact]
    public void Delivery_ClearsTfAndNt_InTheHandler_ButSavesThem()
    {
        var h = new CpuTestHarness { Flags = 0x2 | NT };
        h.Write8(Handler, 0xF4);
        h.SetGate(0x80, Handler, trap: true);
        h.Run(a => a.@int(0x80));
        Assert.False(h.Flag(NT));
        Assert.NotEqual(0u, h.Read32(h.Esp + 8) & NT);
    }

    // --- IOPL: I/O, CLI, STI, POPF ----------------------------------------------------------

    [Fact]
    public void InAndOut_AtCpl3_WithIopl0_RaiseGp0()
    {
        var h = new CpuTestHarness();
        h.EnterRing3();
        h.Run(a => a.@in(al, 0x80));
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal(0u, h.ErrorCode);
        var o = new CpuTestHarness();
        o.EnterRing3();
        o.Run(a => a.@out(dx, al));
        o.AssertFault(Vector.GeneralProtection);
    }

    [Fact]
    public void InAndOut_AtCpl3_WithIopl3_AreAllowed()
    {
        var h = new CpuTestHarness { Flags = 0x2 | IOPL, Eax = 0 };
        h.EnterRing3();
        h.Run(a => { a.@out(0x80, al); a.@in(al, 0x80); a.ud2(); });
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(0xFFu, h.Eax);                              // a port with nothing behind it
    }

    [Fact]
    public void CliAndSti_AtCpl3_WithIopl3_ChangeIf()
    {
        var h = new CpuTestHarness { Flags = 0x2 | IOPL };
        h.EnterRing3();
        h.Run(a => { a.sti(); a.pushfd(); a.cli(); a.pushfd(); a.ud2(); });
        h.AssertFault(Vector.InvalidOpcode);
        uint userEsp = h.Read32(h.Esp + 12);
        Assert.Equal(0u, h.Read32(userEsp) & IF);                // after CLI
        Assert.NotEqual(0u, h.Read32(userEsp + 4) & IF);         // after STI
    }

    [Fact]
    public void Sti_AtCpl3_WithIopl0_RaisesGp0()
    {
        var h = new CpuTestHarness();
        h.EnterRing3();
        h.Run(a => a.sti());
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal(0u, h.ErrorCode);
    }

    [Fact]
    public void Popf_AtCpl3_WithIopl0_SilentlyKeepsIfAndIopl()
    {
        var h = new CpuTestHarness { Flags = 0x2 | IF };
        h.EnterRing3();
        h.Run(a => { a.push(0x2 | CF | IOPL); a.popfd(); a.pushfd(); a.pop(ebx); a.ud2(); });
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(0x2u | CF | IF, h.Ebx);                     // CF taken; IF kept; IOPL not taken
    }

    [Fact]
    public void Popf_AtCpl0_ChangesIfAndIopl()
    {
        var h = new CpuTestHarness { Flags = 0x2 | IF };
        h.Run(a => { a.push(0x2 | IOPL); a.popfd(); });
        h.AssertNoFault();
        Assert.Equal(0x2u | IOPL, h.Flags);
    }

    // --- The TSS and LTR -----------------------------------------------------------------------

    [Fact]
    public void Ltr_LoadsTheTaskRegister_AndMarksTheDescriptorBusy()
    {
        var h = new CpuTestHarness();
        h.Cpu.TaskRegister = 0;
        h.Eax = CpuTestHarness.TssSelector;
        h.Run(a => { a.ltr(ax); a.str(ebx); });
        h.AssertNoFault();
        Assert.Equal((uint)CpuTestHarness.TssSelector, h.Ebx);
        Assert.Equal(0xBu, (h.Read32(CpuTestHarness.GdtBase + CpuTestHarness.TssSelector + 4) >> 8) & 0xF);
    }

    [Fact]
    public void Ltr_OfABusyTss_RaisesGpWithTheSelector()
    {
        var h = new CpuTestHarness { Eax = CpuTestHarness.TssSelector };
        h.Run(a => { a.ltr(eax); a.ltr(eax); });            // 0F 00 D8: three bytes each
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal((uint)CpuTestHarness.TssSelector, h.ErrorCode);
        Assert.Equal(Code + 3, h.FaultEip);
    }

    // --- Segments at ring 3; FS and GS bases -------------------------------------------------

    [Fact]
    public void MovDs_OfAKernelDataSelectorAtCpl3_RaisesGpWithTheSelector()
    {
        var h = new CpuTestHarness { Eax = CpuTestHarness.KernelData };
        h.EnterRing3();
        h.Run(a => a.mov(ds, ax));
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal((uint)CpuTestHarness.KernelData, h.ErrorCode);
    }

    [Fact]
    public void FsAndGs_TakeTheirBaseFromTheDescriptor()
    {
        // Entry 6 (0x33): a ring-3 data segment based at 0x8000; entry 7 (0x3B): at 0x8100.
        var h = new CpuTestHarness();
        h.SetDescriptor(6, 0x8000_FFFF, 0x00CF_F200);
        h.SetDescriptor(7, 0x8100_FFFF, 0x00CF_F200);
        h.Write32(0x8004, 0x1111);
        h.Write32(0x8104, 0x2222);
        h.EnterRing3();
        h.Run(a =>
        {
            a.mov(eax, 0x33); a.mov(fs, ax);
            a.mov(eax, 0x3B); a.mov(gs, ax);
            a.mov(ebx, __dword_ptr.fs[4]);
            a.mov(ecx, __dword_ptr.gs[4]);
            a.mov(__dword_ptr.gs[8], ebx);
            a.ud2();
        });
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal((0x1111u, 0x2222u), (h.Ebx, h.Ecx));
        Assert.Equal(0x1111u, h.Read32(0x8108));
        Assert.Equal(0x8000u, h.Cpu.SegmentBase[(int)SegReg.FS]);
    }

    [Fact]
    public void IretToRing3_NullsAKernelDataSegmentInFs_AndItsBase()
    {
        var h = new CpuTestHarness();
        h.SetDescriptor(6, 0x8000_FFFF, 0x00CF_9200);             // ring-0 data based at 0x8000
        h.Place(Handler, a => { a.mov(eax, 0x30); a.mov(fs, ax); a.iretd(); });
        h.SetGate(0x80, Handler, dpl: 3);
        h.EnterRing3();
        h.Run(a => { a.@int(0x80); a.ud2(); });
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal((ushort)0, h.Cpu.Selectors[(int)SegReg.FS]);
        Assert.Equal(0u, h.Cpu.SegmentBase[(int)SegReg.FS]);
    }
}
