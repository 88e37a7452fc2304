// Fetching and decoding: instructions across page boundaries, fetch faults, the TLB as the
// fetch sees it, prefixes in any order, the 15-byte limit. Tests marked "fuzzer" are
// regressions for what `puppyvisor fuzz` found (the seed is in the comment).
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Puppyvisor.Cpu.Tests;

public class DecodingTests
{
    /// <summary>Runs to a HLT, but kicks the CPU after two seconds so a hang fails instead of hanging.</summary>
    static void RunWithWatchdog(CpuTestHarness h)
    {
        using var watchdog = new Timer(_ => h.Cpu.Kick(), null, 2000, Timeout.Infinite);
        h.Run();
    }

    [Fact]
    public void StaleTlbEntryForTheCodePage_IsUsedByTheFetch_AndDoesNotHang()
    {
        // Fuzzer, seed 1167: code cleared its own page's PTE without INVLPG. The fetch of the next
        // block hit the TLB (present) while the decoder's own walk said not present, no fault was
        // raised, and Run looped forever. Hardware fetches through the stale TLB entry.
        var h = new CpuTestHarness();
        h.EnablePaging();
        uint pte = CpuTestHarness.PageTable + 4 * (CpuTestHarness.CodeBase >> 12);
        h.Load(a =>
        {
            var next = a.CreateLabel();
            a.mov(__dword_ptr[pte], 0);             // the code page is not present any more...
            a.jmp(next);                            // ...but its TLB entry is
            a.Label(ref next);
            a.mov(eax, 1);
        });
        RunWithWatchdog(h);
        h.AssertNoFault();
        Assert.Equal(1u, h.Eax);
    }

    // --- Fetch faults: CR2 is the byte that could not be fetched, the saved EIP the instruction --

    const uint SecondPage = 0x2000;

    [Fact]
    public void JumpIntoANotPresentPage_SavesTheTargetAsEip_AndReportsItInCr2()
    {
        // Fuzzer, seed 405: a fetch fault saved the EIP of the instruction before (here the JMP).
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(SecondPage);
        h.Run(a => a.jmp(SecondPage + 0x10));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(SecondPage + 0x10, h.FaultEip);
        Assert.Equal(SecondPage + 0x10, h.Cpu.Cr2);
        Assert.Equal(0u, h.ErrorCode);                      // not present, read (a fetch), supervisor
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void InstructionCrossingIntoANotPresentPage_FaultsAtItsStart_WithCr2TheSecondPage(bool reachedByJump)
    {
        // MOV EAX, imm32 (5 bytes) at 0x1FFE: two bytes on the code page, three on the next.
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(SecondPage);
        h.Place(SecondPage - 4, a => { a.nop(); a.nop(); a.mov(eax, 0x1234_5678); });
        var before = h.Take();
        h.Run(a => a.jmp(reachedByJump ? SecondPage - 2 : SecondPage - 4));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(SecondPage - 2, h.FaultEip);
        Assert.Equal(SecondPage, h.Cpu.Cr2);
        Assert.Equal(0u, h.ErrorCode);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void InstructionCrossingIntoANotPresentPage_AtCpl3_HasTheUserBitInTheErrorCode()
    {
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(SecondPage);
        h.Place(SecondPage - 2, a => a.mov(eax, 0x1234_5678));
        h.EnterRing3();
        h.Run(a => a.jmp(SecondPage - 2));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(SecondPage - 2, h.FaultEip);
        Assert.Equal(SecondPage, h.Cpu.Cr2);
        Assert.Equal(Cpu.PfUser, h.ErrorCode);
    }

    // --- Run always returns ------------------------------------------------------------------

    [Fact]
    public void AnExceptionStorm_DoesNotKeepRunFromReturning()
    {
        // Fuzzer, seeds 52720 and 82131: a handler that faults at its first instruction (here the
        // #UD handler is itself UD2) delivers exception after exception and retires nothing, on a
        // stack that never faults. Each delivery now counts against the budget, so Run returns.
        var h = new CpuTestHarness { Esp = 0xFFFF_FF00 };      // outside RAM: pushes are dropped, never fault
        h.WriteBytes(CpuTestHarness.StubBase + 4 * (uint)Vector.InvalidOpcode, 0x0F, 0x0B);
        h.Load(a => a.ud2());
        ulong before = h.Cpu.ExceptionCounts[(int)Vector.InvalidOpcode];
        using var watchdog = new Timer(_ => h.Cpu.Kick(), null, 2000, Timeout.Infinite);
        ExitReason exit = h.Step(1000);
        Assert.Equal(ExitReason.BudgetExhausted, exit);
        Assert.Equal(1000ul, h.Cpu.ExceptionCounts[(int)Vector.InvalidOpcode] - before);
        Assert.Equal(0ul, h.Cpu.InstructionsRetired);
    }

    // --- Self-modifying code across a page boundary ------------------------------------------

    [Fact]
    public void RewritingTheSecondPageOfACrossingInstruction_IsSeenNextTime()
    {
        // MOV EBX, imm32 at 0x1FFE has its immediate's last three bytes on the next page. The loop
        // runs it (its decoded block is cached), rewrites the top byte of the immediate (on the second
        // page) and runs it again: the new value must come out.
        var h = new CpuTestHarness { Ecx = 2 };
        h.EnablePaging();
        h.Place(SecondPage - 2, a => { a.mov(ebx, 0x1111_1111); a.ret(); });
        h.Run(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.call(SecondPage - 2);
            a.add(eax, ebx);
            a.mov(__byte_ptr[SecondPage + 2], 0x77);   // the immediate's top byte
            a.dec(ecx);
            a.jnz(top);
        });
        h.AssertNoFault();
        Assert.Equal(0x1111_1111u + 0x7711_1111u, h.Eax);
    }

    // --- Invalid opcodes ---------------------------------------------------------------------

    public static IEnumerable<object[]> InvalidEncodings() =>
    [
        [new byte[] { 0x0F, 0x04 }],                 // unassigned two-byte opcodes
        [new byte[] { 0x0F, 0x0A }],
        [new byte[] { 0x0F, 0x36 }],
        [new byte[] { 0x0F, 0x3F }],
        [new byte[] { 0x0F, 0xA6, 0xC0 }],           // XBTS on the 386 B-step only
        [new byte[] { 0xFF, 0xF8 }],                 // FF /7
        [new byte[] { 0xFE, 0xD0 }],                 // FE /2: byte CALL does not exist
        [new byte[] { 0xC6, 0xC8, 0x00 }],           // C6 /1
        [new byte[] { 0x8D, 0xC0 }],                 // LEA with a register source
        [new byte[] { 0x8E, 0xC8 }],                 // MOV CS, AX
        [new byte[] { 0x0F, 0xC7, 0xC8 }],           // CMPXCHG8B with a register operand
        [new byte[] { 0x62, 0xC0 }],                 // BOUND with a register operand (no EVEX in this form)
        [new byte[] { 0x0F, 0x0B }],                 // UD2, the official one
        [new byte[] { 0x0F, 0xFF, 0xC0 }],           // UD0
        [new byte[] { 0x0F, 0xB9, 0xC0 }],           // UD1
    ];

    [Theory]
    [MemberData(nameof(InvalidEncodings))]
    public void InvalidEncoding_RaisesInvalidOpcode_AtItsFirstByte_ChangingNothing(byte[] code)
    {
        foreach (bool ring3 in (bool[])[false, true])
        {
            var h = new CpuTestHarness();
            if (ring3) h.EnterRing3();
            h.LoadBytes(code);
            var before = h.Take();
            h.Run();
            h.AssertFault(Vector.InvalidOpcode);
            Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip);
            h.AssertUnchanged(before);
        }
    }

    [Fact]
    public void MovFromAReservedControlRegister_RaisesInvalidOpcode()
    {
        // MOV EAX, CR1 and CR5-CR7 decode, but the registers do not exist.
        foreach (byte modrm in (byte[])[0xC8, 0xE8, 0xF0, 0xF8])
        {
            var h = new CpuTestHarness();
            h.LoadBytes(0x0F, 0x20, modrm);
            h.Run();
            h.AssertFault(Vector.InvalidOpcode);
        }
    }

    // --- Prefixes in any order ---------------------------------------------------------------

    [Fact]
    public void OperandSizeAndRep_InEitherOrder_AreTheSameRepMovsw()
    {
        foreach (byte[] code in (byte[][])[[0x66, 0xF3, 0xA5], [0xF3, 0x66, 0xA5]])
        {
            var h = new CpuTestHarness { Esi = CpuTestHarness.DataBase, Edi = CpuTestHarness.DataBase + 0x100, Ecx = 3 };
            h.WriteBytes(CpuTestHarness.DataBase, 1, 2, 3, 4, 5, 6, 7, 8);
            h.LoadBytes(code);
            h.Run();
            h.AssertNoFault();
            Assert.Equal(0u, h.Ecx);
            Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 0 }, h.ReadBytes(CpuTestHarness.DataBase + 0x100, 7));
            Assert.Equal(CpuTestHarness.DataBase + 6, h.Esi);
        }
    }

    [Fact]
    public void SegmentOperandSizeAndAddressSizePrefixes_InAllSixOrders_GiveTheSameLoad()
    {
        // FS (base 0x8000 from the descriptor), 66h (16-bit MOV) and 67h ([BX+SI] addressing) before
        // 8B 00 = MOV AX, FS:[BX+SI]. EAX's top half stays, AX gets the word at 0x8000 + 0x10 + 0x20.
        byte[][] orders =
        [
            [0x64, 0x66, 0x67], [0x64, 0x67, 0x66], [0x66, 0x64, 0x67],
            [0x66, 0x67, 0x64], [0x67, 0x64, 0x66], [0x67, 0x66, 0x64],
        ];
        foreach (byte[] prefixes in orders)
        {
            var h = new CpuTestHarness { Eax = 0xAAAA_0000, Ebx = 0xFFFF_0010, Esi = 0x0020 };
            h.Cpu.Selectors[(int)SegReg.FS] = CpuTestHarness.KernelData;
            h.Cpu.SegmentBase[(int)SegReg.FS] = CpuTestHarness.DataBase;
            h.Write16(CpuTestHarness.DataBase + 0x30, 0xBEEF);
            h.LoadBytes([.. prefixes, 0x8B, 0x00]);
            h.Run();
            h.AssertNoFault();
            Assert.True(h.Eax == 0xAAAA_BEEF, $"prefixes {Convert.ToHexString(prefixes)}: EAX = 0x{h.Eax:x8}");
        }
    }

    // --- The 15-byte limit -------------------------------------------------------------------

    [Fact]
    public void AnInstructionOfExactly15Bytes_Executes()
    {
        // Twelve redundant 66h prefixes and ADD AX, imm16 (66 05 iw): 15 bytes.
        var h = new CpuTestHarness { Eax = 0x1_0001 };
        h.LoadBytes([.. Enumerable.Repeat((byte)0x66, 12), 0x05, 0x34, 0x12]);
        h.Run();
        h.AssertNoFault();
        Assert.Equal(0x1_1235u, h.Eax);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(20)]
    public void AnInstructionLongerThan15Bytes_RaisesGeneralProtection0_AtItsStart(int prefixes)
    {
        // SDM Vol. 3A, 6.15 (#GP): "exceeding the instruction length limit of 15 bytes (this only can
        // occur when redundant prefixes are placed before an instruction)". Not #UD.
        var h = new CpuTestHarness { Eax = 0x1_0001 };
        h.LoadBytes([.. Enumerable.Repeat((byte)0x66, prefixes), 0x05, 0x34, 0x12]);
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal(0u, h.ErrorCode);
        Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void AFifteenByteInvalidOpcode_IsStillInvalidOpcode()
    {
        // Thirteen prefixes and 0F 04 fit in 15 bytes: the opcode is what is wrong, not the length.
        var h = new CpuTestHarness();
        h.LoadBytes([.. Enumerable.Repeat((byte)0x66, 13), 0x0F, 0x04]);
        h.Run();
        h.AssertFault(Vector.InvalidOpcode);
    }

    [Fact]
    public void AnInstructionLongerThan15Bytes_FaultsEvenWhenItsTailIsOnAMissingPage()
    {
        // The length limit is reached within the first page: #GP, not #PF for the bytes beyond it.
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(SecondPage);
        h.Place(SecondPage - 16, a => { });
        h.WriteBytes(SecondPage - 16, [.. Enumerable.Repeat((byte)0x66, 16)]);
        h.Run(a => a.jmp(SecondPage - 16));
        h.AssertFault(Vector.GeneralProtection);
        Assert.Equal(SecondPage - 16, h.FaultEip);
    }
}
