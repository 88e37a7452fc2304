// Paging (SDM Vol. 3A, 4.3-4.10): the #PF error code bit by bit, CR0.WP, the accessed
// and dirty bits the walk sets, INVLPG and CR3 reloads against the TLB, two address
// spaces, 4 MiB pages, and a REP MOVS that faults half-way and is restarted.
//
// The harness identity-maps the first 4 MiB with user, writable 4 KiB pages (CR0.WP set);
// each test narrows that down.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class PagingTests
{
    const uint Data = CpuTestHarness.DataBase, Code = CpuTestHarness.CodeBase;
    const uint P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;
    const uint PageDirectory = CpuTestHarness.PageDirectory;

    static CpuTestHarness Paged()
    {
        var h = new CpuTestHarness();
        h.EnablePaging();
        return h;
    }

    static void SetPte(CpuTestHarness h, uint linear, uint frame, uint flags)
    {
        h.Write32(CpuTestHarness.PteAddress(linear), frame | flags);
        h.Cpu.FlushTlbEntry(linear);
    }

    /// <summary>Maps linear 0x400000 (PDE 1) through a second page table with the given PDE flags, to <paramref name="frame"/>.</summary>
    static void MapSecondTable(CpuTestHarness h, uint pdeFlags, uint frame, uint pteFlags)
    {
        const uint Table = 0x12000;
        h.Write32(Table, frame | pteFlags);
        h.Write32(PageDirectory + 4, Table | pdeFlags);
        h.Cpu.FlushTlb();
    }

    // --- The #PF error code: P, W, U -------------------------------------------------

    [Fact]
    public void NotPresentRead_FaultsWithErrorCode0_Cr2AndTheFaultingEip()
    {
        var h = Paged();
        h.UnmapPage(Data);
        h.Run(a => a.mov(eax, __dword_ptr[Data + 0x10]));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(0u, h.ErrorCode);
        Assert.Equal(Data + 0x10, h.Cpu.Cr2);
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void NotPresentWrite_SetsTheWriteBit()
    {
        var h = Paged();
        h.UnmapPage(Data);
        h.Run(a => a.mov(__dword_ptr[Data], eax));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfWrite, h.ErrorCode);
    }

    [Fact]
    public void UserReadOfASupervisorPage_SetsThePresentAndUserBits()
    {
        var h = Paged();
        SetPte(h, Data, Data, P | RW);
        h.EnterRing3();
        h.Run(a => a.mov(eax, __dword_ptr[Data]));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfUser, h.ErrorCode);
        Assert.Equal(Data, h.Cpu.Cr2);
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void UserWriteToANotPresentPage_SetsTheWriteAndUserBits()
    {
        var h = Paged();
        h.UnmapPage(Data);
        h.EnterRing3();
        h.Run(a => a.mov(__dword_ptr[Data], eax));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfWrite | PfUser, h.ErrorCode);
    }

    [Fact]
    public void UserWriteToAReadOnlyUserPage_SetsAllThreeBits()
    {
        var h = Paged();
        SetPte(h, Data, Data, P | US);
        h.EnterRing3();
        h.Run(a => a.mov(__dword_ptr[Data], eax));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfWrite | PfUser, h.ErrorCode);
    }

    [Fact]
    public void ReadOnlyPde_MakesEveryPageUnderItReadOnlyForUser()
    {
        var h = Paged();
        MapSecondTable(h, P | US, Data, P | RW | US);      // the PTE allows writes, the PDE does not
        h.EnterRing3();
        h.Run(a => a.mov(__dword_ptr[0x40_0000], eax));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfWrite | PfUser, h.ErrorCode);
        Assert.Equal(0x40_0000u, h.Cpu.Cr2);
    }

    [Fact]
    public void SupervisorPde_HidesEveryPageUnderItFromUser()
    {
        var h = Paged();
        MapSecondTable(h, P | RW, Data, P | RW | US);
        h.EnterRing3();
        h.Run(a => a.mov(eax, __dword_ptr[0x40_0000]));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfUser, h.ErrorCode);
    }

    [Fact]
    public void InstructionFetchFromASupervisorPageAtCpl3_FaultsWithTheCodeAddressInCr2()
    {
        var h = Paged();
        SetPte(h, Code, Code, P | RW);
        h.EnterRing3();
        h.Run(a => a.nop());
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfUser, h.ErrorCode);
        Assert.Equal(Code, h.Cpu.Cr2);
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void FetchFaultAfterACall_SavesTheUnfetchableEip_NotTheCall()
    {
        // A #PF on an instruction fetch is a fault at the instruction that cannot be fetched:
        // the CALL has retired (its return address is pushed), and IRET must not repeat it.
        var h = Paged();
        h.UnmapPage(0x5000);
        h.Run(a => a.call(0x5000));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(0x5000u, h.Cpu.Cr2);
        Assert.Equal(0u, h.ErrorCode);
        Assert.Equal(0x5000u, h.FaultEip);
        Assert.Equal(Code + 5, h.Read32(h.Esp + 16));           // the return address, above the frame
        Assert.Equal(CpuTestHarness.StackTop - 4 - 16, h.Esp);
    }

    // --- CR0.WP ------------------------------------------------------------------------

    [Fact]
    public void SupervisorWriteToAReadOnlyPage_WithWpSet_Faults()
    {
        var h = Paged();
        SetPte(h, Data, Data, P | US);
        h.Run(a => a.mov(__dword_ptr[Data], eax));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfWrite, h.ErrorCode);
    }

    [Fact]
    public void SupervisorWriteToAReadOnlyPage_WithWpClear_WritesAndSetsDirty()
    {
        var h = Paged();
        h.Cpu.Cr0 &= ~CR0_WP;
        h.Cpu.FlushTlb();
        SetPte(h, Data, Data, P | US);
        h.Eax = 0x1234_5678;
        h.Run(a => a.mov(__dword_ptr[Data], eax));
        h.AssertNoFault();
        Assert.Equal(0x1234_5678u, h.Read32(Data));
        Assert.NotEqual(0u, h.Read32(CpuTestHarness.PteAddress(Data)) & D);
    }

    [Fact]
    public void UserWriteToAReadOnlyPage_WithWpClear_StillFaults()
    {
        var h = Paged();
        h.Cpu.Cr0 &= ~CR0_WP;
        SetPte(h, Data, Data, P | US);
        h.EnterRing3();
        h.Run(a => a.mov(__dword_ptr[Data], eax));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfWrite | PfUser, h.ErrorCode);
    }

    [Fact]
    public void ClearingWp_AfterAFaultingWrite_LetsTheSameWriteThrough()
    {
        // CR0 writes that change WP flush the TLB, so a permission cached under WP = 1 does not stick.
        var h = Paged();
        SetPte(h, Data, Data, P | US);
        h.Eax = 7;
        h.Run(a =>
        {
            a.mov(ebx, __dword_ptr[Data]);               // caches a read-only translation
            a.mov(ecx, cr0);
            a.and(ecx, ~(int)CR0_WP);
            a.mov(cr0, ecx);
            a.mov(__dword_ptr[Data], eax);
        });
        h.AssertNoFault();
        Assert.Equal(7u, h.Read32(Data));
    }

    // --- Accessed and dirty ---------------------------------------------------------------

    [Fact]
    public void Read_SetsAccessedInThePdeAndPte_ButNotDirty()
    {
        var h = Paged();
        h.Run(a => a.mov(eax, __dword_ptr[Data]));
        uint pte = h.Read32(CpuTestHarness.PteAddress(Data));
        Assert.Equal(A, pte & (A | D));
        Assert.NotEqual(0u, h.Read32(PageDirectory) & A);
        Assert.Equal(0u, h.Read32(CpuTestHarness.PteAddress(0x5000)) & (A | D));   // an untouched page
    }

    [Fact]
    public void Write_SetsAccessedAndDirtyInThePte()
    {
        var h = Paged();
        h.Run(a => a.mov(__dword_ptr[Data], eax));
        Assert.Equal(A | D, h.Read32(CpuTestHarness.PteAddress(Data)) & (A | D));
    }

    [Fact]
    public void WriteAfterARead_ThatLeftTheTranslationInTheTlb_StillSetsDirty()
    {
        var h = Paged();
        h.Run(a =>
        {
            a.mov(eax, __dword_ptr[Data]);
            a.mov(__dword_ptr[Data + 4], eax);
        });
        Assert.Equal(A | D, h.Read32(CpuTestHarness.PteAddress(Data)) & (A | D));
    }

    [Fact]
    public void Write_AfterTheGuestClearedDirty_AndFlushedTheEntry_SetsItAgain()
    {
        uint pte = CpuTestHarness.PteAddress(Data);
        var h = Paged();
        h.Run(a =>
        {
            a.mov(__dword_ptr[Data], eax);
            a.and(__dword_ptr[pte], ~(int)D);
            a.invlpg(__[Data]);
            a.mov(__dword_ptr[Data], eax);
        });
        Assert.NotEqual(0u, h.Read32(pte) & D);
    }

    // --- The TLB: INVLPG, CR3 ------------------------------------------------------------

    /// <summary>Data maps Data; the code remaps it to the next frame, reads, runs <paramref name="flush"/>, reads again.</summary>
    static CpuTestHarness RemapAndRead(Action<Iced.Intel.Assembler> flush, bool tlb = true)
    {
        var h = Paged();
        h.Cpu.TlbEnabled = tlb;
        h.Write32(Data, 0x1111_1111);
        h.Write32(Data + 0x1000, 0x2222_2222);
        h.Run(a =>
        {
            a.mov(eax, __dword_ptr[Data]);
            a.mov(__dword_ptr[CpuTestHarness.PteAddress(Data)], (Data + 0x1000) | P | RW | US);
            a.mov(ebx, __dword_ptr[Data]);
            flush(a);
            a.mov(ecx, __dword_ptr[Data]);
        });
        h.AssertNoFault();
        return h;
    }

    [Fact]
    public void Invlpg_AfterAPteChange_MakesTheNextAccessUseTheNewFrame()
    {
        var h = RemapAndRead(a => a.invlpg(__[Data]));
        Assert.Equal(0x1111_1111u, h.Eax);
        Assert.Equal(0x1111_1111u, h.Ebx);             // still the TLB's translation, as the SDM allows
        Assert.Equal(0x2222_2222u, h.Ecx);
    }

    [Fact]
    public void Invlpg_OfAnotherPage_LeavesTheTranslationCached()
    {
        var h = RemapAndRead(a => a.invlpg(__[Data + 0x2000]));
        Assert.Equal(0x1111_1111u, h.Ecx);
    }

    [Fact]
    public void MovCr3_FlushesTheTlb()
    {
        var h = RemapAndRead(a => { a.mov(edx, cr3); a.mov(cr3, edx); });
        Assert.Equal(0x1111_1111u, h.Ebx);
        Assert.Equal(0x2222_2222u, h.Ecx);
    }

    [Fact]
    public void WithTheTlbOff_APteChangeIsSeenAtOnce()
    {
        var h = RemapAndRead(a => a.nop(), tlb: false);
        Assert.Equal(0x2222_2222u, h.Ebx);
    }

    [Fact]
    public void TlbHitsAndMisses_AreCounted()
    {
        var h = Paged();
        h.Ecx = 100;
        h.Run(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.mov(eax, __dword_ptr[Data]);
            a.dec(ecx);
            a.jnz(top);
        });
        Assert.True(h.Cpu.TlbHits >= 100, $"hits {h.Cpu.TlbHits}");
        Assert.True(h.Cpu.TlbMisses is > 0 and < 10, $"misses {h.Cpu.TlbMisses}");
    }

    [Fact]
    public void TwoAddressSpaces_MapTheSameLinearAddressToDifferentFrames()
    {
        const uint DirectoryB = 0x12000, TableB = 0x13000;
        var h = Paged();
        for (uint i = 0; i < 1024; i++) h.Write32(TableB + 4 * i, h.Read32(CpuTestHarness.PageTable + 4 * i));
        h.Write32(TableB + 4 * (Data >> 12), (Data + 0x1000) | P | RW | US);   // B: Data -> the next frame
        h.Write32(DirectoryB, TableB | P | RW | US);
        h.Write32(Data, 0xAAAA_AAAA);
        h.Write32(Data + 0x1000, 0xBBBB_BBBB);
        h.Run(a =>
        {
            a.mov(eax, __dword_ptr[Data]);
            a.mov(edx, DirectoryB);
            a.mov(cr3, edx);
            a.mov(ebx, __dword_ptr[Data]);
            a.mov(__dword_ptr[Data + 4], 0xB);          // lands in B's frame
            a.mov(edx, PageDirectory);
            a.mov(cr3, edx);
            a.mov(ecx, __dword_ptr[Data]);
        });
        h.AssertNoFault();
        Assert.Equal((0xAAAA_AAAAu, 0xBBBB_BBBBu, 0xAAAA_AAAAu), (h.Eax, h.Ebx, h.Ecx));
        Assert.Equal(0xBu, h.Read32(Data + 0x1004));
        Assert.Equal(0u, h.Read32(Data + 4));
    }

    // --- 4 MiB pages (CR4.PSE) --------------------------------------------------------------

    static CpuTestHarness WithLargePage(uint pde, bool pse = true)
    {
        var h = Paged();
        if (pse) h.Cpu.Cr4 |= CR4_PSE;
        h.Write32(PageDirectory + 4 * 2, pde);            // linear 0x800000-0xBFFFFF
        h.Cpu.FlushTlb();
        return h;
    }

    [Fact]
    public void LargePage_MapsFourMebibytesThroughThePdeAlone()
    {
        var h = WithLargePage(0x40_0000 | P | RW | US | PS);
        h.Write32(0x40_0123 + 0x3F_0000, 0xCAFE_BABE);
        h.Eax = 0x5A5A_5A5A;
        h.Run(a =>
        {
            a.mov(ebx, __dword_ptr[0x80_0123 + 0x3F_0000]);
            a.mov(__dword_ptr[0x80_0010], eax);
        });
        h.AssertNoFault();
        Assert.Equal(0xCAFE_BABEu, h.Ebx);
        Assert.Equal(0x5A5A_5A5Au, h.Read32(0x40_0010));
    }

    [Fact]
    public void LargePage_SetsAccessedAndDirtyInThePde()
    {
        var h = WithLargePage(0x40_0000 | P | RW | US | PS);
        h.Run(a => a.mov(eax, __dword_ptr[0x80_0000]));
        Assert.Equal(A, h.Read32(PageDirectory + 8) & (A | D));
        h.Run(a => a.mov(__dword_ptr[0x90_0000], eax));
        Assert.Equal(A | D, h.Read32(PageDirectory + 8) & (A | D));
    }

    [Fact]
    public void LargePage_TakesUserAndWriteRightsFromThePde()
    {
        var h = WithLargePage(0x40_0000 | P | US | PS);   // user, read-only
        h.EnterRing3();
        h.Run(a => { a.mov(eax, __dword_ptr[0x80_0000]); a.mov(__dword_ptr[0x80_1000], eax); });
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfWrite | PfUser, h.ErrorCode);
        Assert.Equal(0x80_1000u, h.Cpu.Cr2);
    }

    [Fact]
    public void PsBit_WithCr4PseClear_IsIgnored_AndThePdePointsAtAPageTable()
    {
        var h = WithLargePage(0x40_0000 | P | RW | US | PS, pse: false);
        h.Write32(0x40_0000, 0x60_0000 | P | RW | US);    // the "page table" at 0x400000: entry 0 -> 0x600000
        h.Write32(0x60_0008, 0x6666_6666);
        h.Run(a => a.mov(eax, __dword_ptr[0x80_0008]));
        h.AssertNoFault();
        Assert.Equal(0x6666_6666u, h.Eax);
    }

    [Fact]
    public void Invlpg_OfAnyAddressInALargePage_DropsTheWholeLargePage()
    {
        // SDM INVLPG: for a 4 MiB page every translation of that page is invalidated, not just one 4 KiB slice.
        var h = WithLargePage(0x40_0000 | P | RW | US | PS);
        h.Write32(0x40_5000, 0x1111_1111);
        h.Write32(0xC0_5000, 0x2222_2222);
        h.Run(a =>
        {
            a.mov(eax, __dword_ptr[0x80_5000]);           // caches 0x805000 -> 0x405000
            a.mov(__dword_ptr[PageDirectory + 8], 0xC0_0000 | P | RW | US | PS);
            a.invlpg(__[0x80_0000]);                       // the large page's first byte
            a.mov(ebx, __dword_ptr[0x80_5000]);
        });
        h.AssertNoFault();
        Assert.Equal(0x1111_1111u, h.Eax);
        Assert.Equal(0x2222_2222u, h.Ebx);
    }

    // --- A restartable REP MOVS (SDM Vol. 2B, REP) ---------------------------------------

    [Fact]
    public void RepMovsd_RunningIntoANotPresentPage_FaultsAtThatIteration_AndCompletesAfterTheHandlerMapsIt()
    {
        const uint Src = Data, Dst = 0x4FF0, Handler = 0x3000, Record = 0x7000;
        var h = Paged();
        for (uint i = 0; i < 16; i++) h.Write32(Src + 4 * i, 0x100 + i);
        h.UnmapPage(0x5000);
        // The #PF handler records what it saw, maps the page, drops the error code and returns.
        h.Place(Handler, a =>
        {
            a.inc(__dword_ptr[Record]);
            a.mov(__dword_ptr[Record + 4], ecx);
            a.mov(__dword_ptr[Record + 8], esi);
            a.mov(__dword_ptr[Record + 12], edi);
            a.mov(eax, cr2);
            a.mov(__dword_ptr[Record + 16], eax);
            a.mov(ebx, __dword_ptr[esp + 4]);
            a.mov(__dword_ptr[Record + 20], ebx);        // the saved EIP
            a.mov(__dword_ptr[CpuTestHarness.PteAddress(0x5000)], 0x5000 | P | RW);
            a.invlpg(__[eax]);
            a.add(esp, 4);
            a.iretd();
        });
        h.SetGate((int)Vector.PageFault, Handler);
        h.Esi = Src; h.Edi = Dst; h.Ecx = 16;
        h.Run(a => { a.cld(); a.rep.movsd(); });
        h.AssertNoFault();
        Assert.Equal(1u, h.Read32(Record));
        Assert.Equal(12u, h.Read32(Record + 4));                    // 4 dwords fitted before the page
        Assert.Equal((Src + 16, 0x5000u), (h.Read32(Record + 8), h.Read32(Record + 12)));
        Assert.Equal(0x5000u, h.Read32(Record + 16));
        Assert.Equal(Code + 1, h.Read32(Record + 20));              // the REP MOVSD, after the CLD
        Assert.Equal((0u, Src + 64, Dst + 64), (h.Ecx, h.Esi, h.Edi));
        for (uint i = 0; i < 16; i++) Assert.Equal(0x100 + i, h.Read32(Dst + 4 * i));
    }

    [Fact]
    public void RepMovsb_FromANotPresentSourcePage_FaultsAsARead_AtTheFirstByteThere()
    {
        var h = Paged();
        h.UnmapPage(0x5000);
        h.Esi = 0x4FFE; h.Edi = Data; h.Ecx = 8;
        h.Run(a => a.rep.movsb());
        h.AssertFault(Vector.PageFault);
        Assert.Equal(0u, h.ErrorCode);                              // read, supervisor, not present
        Assert.Equal(0x5000u, h.Cpu.Cr2);
        Assert.Equal((6u, 0x5000u, Data + 2), (h.Ecx, h.Esi, h.Edi));
        Assert.Equal(Code, h.FaultEip);
    }

    [Fact]
    public void RepStosd_Backwards_IntoANotPresentPage_StopsWithEdiAtTheFaultingElement()
    {
        var h = Paged();
        h.UnmapPage(0x4000);
        h.Eax = 0xABCD_EF01; h.Edi = 0x5008; h.Ecx = 5;            // 0x5008, 0x5004, 0x5000, then 0x4FFC
        h.Run(a => { a.std(); a.rep.stosd(); });
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfWrite, h.ErrorCode);
        Assert.Equal(0x4FFCu, h.Cpu.Cr2);
        Assert.Equal((2u, 0x4FFCu), (h.Ecx, h.Edi));
        Assert.Equal(0xABCD_EF01u, h.Read32(0x5000));
        Assert.Equal(Code + 1, h.FaultEip);
    }
}
