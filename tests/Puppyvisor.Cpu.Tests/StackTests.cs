// PUSH, POP, PUSHA/POPA, PUSHF/POPF, ENTER, LEAVE.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class StackTests
{
    const uint Top = CpuTestHarness.StackTop, Data = CpuTestHarness.DataBase;

    [Fact]
    public void PushAndPop_Move4BytesAndEsp()
    {
        var h = new CpuTestHarness { Eax = 0x1122_3344 };
        h.Run(a => { a.push(eax); a.pop(ebx); a.push(eax); });
        Assert.Equal(0x1122_3344u, h.Ebx);
        Assert.Equal(Top - 4, h.Esp);
        Assert.Equal(0x1122_3344u, h.Read32(Top - 4));
    }

    [Fact]
    public void Push16_With66Prefix_Moves2Bytes()
    {
        var h = new CpuTestHarness { Eax = 0x1122_3344, Ebx = 0xAAAA_AAAA };
        h.Run(a => { a.push(ax); a.pop(bx); a.push(ax); });
        Assert.Equal(0xAAAA_3344u, h.Ebx);
        Assert.Equal(Top - 2, h.Esp);
    }

    [Fact]
    public void PushImm8_IsSignExtended()
    {
        var h = new CpuTestHarness();
        h.LoadBytes(0x6A, 0xFE);                       // PUSH -2
        h.Run();
        Assert.Equal(0xFFFF_FFFEu, h.Read32(Top - 4));
        Assert.Equal(Top - 4, h.Esp);
    }

    [Fact]
    public void PushEsp_PushesTheValueBeforeThePush()
    {
        var h = new CpuTestHarness();
        h.Run(a => a.push(esp));
        Assert.Equal(Top, h.Read32(Top - 4));
    }

    [Fact]
    public void PushAndPop_OfMemory()
    {
        var h = new CpuTestHarness();
        h.Write32(Data, 0xCAFE_BABE);
        h.Run(a => { a.push(__dword_ptr[Data]); a.pop(__dword_ptr[Data + 4]); });
        Assert.Equal(0xCAFE_BABEu, h.Read32(Data + 4));
        Assert.Equal(Top, h.Esp);
    }

    [Fact]
    public void PopIntoMemoryThroughEsp_UsesTheIncrementedEsp()
    {
        var h = new CpuTestHarness();
        h.Run(a => { a.push(0x11); a.push(0x22); a.pop(__dword_ptr[esp]); });
        // POP [ESP]: the value 22h is read, ESP goes up by 4, then [ESP] (the 11h slot) is written.
        Assert.Equal(Top - 4, h.Esp);
        Assert.Equal(0x22u, h.Read32(Top - 4));
    }

    [Fact]
    public void Pusha_PushesInOrderWithTheOriginalEsp_AndPopaSkipsIt()
    {
        var h = new CpuTestHarness { Eax = 1, Ecx = 2, Edx = 3, Ebx = 4, Ebp = 6, Esi = 7, Edi = 8 };
        h.Run(a => a.pushad());
        uint[] expected = [8, 7, 6, Top, 4, 3, 2, 1];  // EDI at the lowest address ... EAX at the highest
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i], h.Read32(Top - 32 + 4 * (uint)i));
        Assert.Equal(Top - 32, h.Esp);

        h.Write32(Top - 20, 0xDEAD_BEEF);              // the saved ESP slot: ignored by POPA
        h.Eax = h.Ecx = h.Edx = h.Ebx = h.Ebp = h.Esi = h.Edi = 0;
        h.Run(a => a.popad());
        Assert.Equal((1u, 2u, 3u, 4u, 6u, 7u, 8u), (h.Eax, h.Ecx, h.Edx, h.Ebx, h.Ebp, h.Esi, h.Edi));
        Assert.Equal(Top, h.Esp);
    }

    [Fact]
    public void Pushaw_And_Popaw_Move16BitRegisters()
    {
        var h = new CpuTestHarness { Eax = 0xAAAA_0001, Edi = 0xBBBB_0008 };
        h.Run(a => { a.pusha(); a.mov(eax, 0); a.mov(edi, 0xFFFF_FFFF); a.popa(); });
        Assert.Equal(0x0000_0001u, h.Eax);
        Assert.Equal(0xFFFF_0008u, h.Edi);
        Assert.Equal(Top, h.Esp);
        Assert.Equal(unchecked((ushort)Top), h.Read16(Top - 16 + 6));   // SP as it was
    }

    [Fact]
    public void Pushf_Popf_RoundTripTheArithmeticFlags()
    {
        var h = new CpuTestHarness { Eax = 0xFFFF_FFFF };
        h.Run(a => { a.add(eax, 1); a.pushfd(); a.pop(ebx); a.push(0x8D5); a.popfd(); });
        Assert.Equal(0x2 | CF | ZF | AF | PF, h.Ebx);
        Assert.Equal(0x2u | 0x8D5, h.Flags);           // all six arithmetic flags from the popped image
    }

    [Fact]
    public void EnterLevelZero_BuildsAFrame_AndLeaveTearsItDown()
    {
        var h = new CpuTestHarness { Ebp = 0x1234 };
        h.Run(a => a.enter(16, 0));
        Assert.Equal(Top - 4, h.Ebp);
        Assert.Equal(Top - 4 - 16, h.Esp);
        Assert.Equal(0x1234u, h.Read32(Top - 4));
        h.Run(a => a.leave());
        Assert.Equal(0x1234u, h.Ebp);
        Assert.Equal(Top, h.Esp);
    }

    [Fact]
    public void EnterNested_CopiesTheEnclosingFramePointers()
    {
        var h = new CpuTestHarness { Ebp = Data + 0x100 };
        h.Write32(Data + 0x100 - 4, 0xAAAA_0001);      // the outer frame's display entry
        h.Run(a => a.enter(8, 2));
        uint frame = Top - 4;
        Assert.Equal(frame, h.Ebp);
        Assert.Equal(Data + 0x100, h.Read32(frame));          // saved EBP
        Assert.Equal(0xAAAA_0001u, h.Read32(frame - 4));      // copied from [old EBP - 4]
        Assert.Equal(frame, h.Read32(frame - 8));             // this frame's pointer
        Assert.Equal(frame - 8 - 8, h.Esp);
    }

    [Fact]
    public void Push_ToAnUnmappedStack_FaultsWithoutMovingEsp()
    {
        // At ring 3, so the #PF frame goes to the TSS's ring-0 stack and shows the user ESP.
        var h = new CpuTestHarness { Eax = 1 };
        h.EnablePaging();
        h.EnterRing3();
        h.Esp = Data + 0x1000;                          // the push writes to the page below
        h.UnmapPage(Data + 0xFFC);
        h.Run(a => a.push(eax));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfWrite | PfUser, h.ErrorCode);
        Assert.Equal(Data + 0xFFC, h.Cpu.Cr2);
        Assert.Equal(CpuTestHarness.CodeBase, h.Read32(h.Esp + 4));    // EIP of the PUSH
        Assert.Equal(Data + 0x1000, h.Read32(h.Esp + 16));             // the user ESP, unmoved
    }
}
