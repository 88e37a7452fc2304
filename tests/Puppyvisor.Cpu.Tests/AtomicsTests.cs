// XADD, CMPXCHG, CMPXCHG8B, and which instructions may carry a LOCK prefix.
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class AtomicsTests
{
    const uint Data = CpuTestHarness.DataBase;

    [Fact]
    public void Xadd_ExchangesAndAdds_WithTheFlagsOfAdd()
    {
        var h = new CpuTestHarness { Ecx = 0x0000_0001 };
        h.Write32(Data, 0xFFFF_FFFF);
        h.Run(a => a.@lock.xadd(__dword_ptr[Data], ecx));
        h.AssertNoFault();
        Assert.Equal(0u, h.Read32(Data));
        Assert.Equal(0xFFFF_FFFFu, h.Ecx);
        Assert.Equal(CF | ZF | AF | PF, h.ArithFlags);
    }

    [Fact]
    public void Xadd8_BetweenRegisters()
    {
        var h = new CpuTestHarness { Eax = 0x7F, Ebx = 0x01 };
        h.Run(a => a.xadd(al, bl));
        Assert.Equal(0x80u, h.Eax);
        Assert.Equal(0x7Fu, h.Ebx);
        Assert.Equal(OF | SF | AF, h.ArithFlags);
    }

    [Fact]
    public void Xadd_OfARegisterWithItself_LeavesTheSum()
    {
        var h = new CpuTestHarness { Eax = 21 };
        h.Run(a => a.xadd(eax, eax));
        Assert.Equal(42u, h.Eax);
    }

    [Fact]
    public void Xadd16_KeepsTheUpperHalves()
    {
        var h = new CpuTestHarness { Eax = 0xAAAA_0002, Ebx = 0xBBBB_0003 };
        h.Run(a => a.xadd(ax, bx));
        Assert.Equal(0xAAAA_0005u, h.Eax);
        Assert.Equal(0xBBBB_0002u, h.Ebx);
    }

    [Fact]
    public void Cmpxchg_WhenEqual_StoresTheSourceAndSetsZf()
    {
        var h = new CpuTestHarness { Eax = 5, Ecx = 9 };
        h.Write32(Data, 5);
        h.Run(a => a.@lock.cmpxchg(__dword_ptr[Data], ecx));
        Assert.Equal(9u, h.Read32(Data));
        Assert.Equal(5u, h.Eax);
        Assert.Equal(ZF | PF, h.ArithFlags);            // the flags of CMP 5, 5
    }

    [Fact]
    public void Cmpxchg_WhenDifferent_LoadsTheAccumulatorAndClearsZf()
    {
        var h = new CpuTestHarness { Eax = 3, Ecx = 9 };
        h.Write32(Data, 5);
        h.Run(a => a.cmpxchg(__dword_ptr[Data], ecx));
        Assert.Equal(5u, h.Read32(Data));
        Assert.Equal(5u, h.Eax);
        Assert.Equal(CF | SF | AF, h.ArithFlags);       // CMP 3, 5: 3 - 5 = FFFFFFFEh with a borrow
    }

    [Fact]
    public void Cmpxchg_WhenDifferent_StillWritesTheDestination()
    {
        // The comparison fails, yet the destination is written back (SDM CMPXCHG), so a
        // read-only page faults and nothing changes.
        var h = new CpuTestHarness { Eax = 3, Ecx = 9 };
        h.EnablePaging();
        h.MakeReadOnly(Data);
        h.Write32(Data, 5);
        h.Load(a => a.cmpxchg(__dword_ptr[Data], ecx));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfWrite, h.ErrorCode);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Cmpxchg8_UsesAl()
    {
        var h = new CpuTestHarness { Eax = 0x1234_5611, Ebx = 0x11, Ecx = 0x22 };
        h.Run(a => a.cmpxchg(bl, cl));
        Assert.Equal(0x22u, h.Ebx);
        Assert.True(h.Flag(ZF));
    }

    [Fact]
    public void Cmpxchg16_WhenDifferent_LoadsAxOnly()
    {
        var h = new CpuTestHarness { Eax = 0xAAAA_0001, Ebx = 0xBBBB_0002, Ecx = 0x0003 };
        h.Run(a => a.cmpxchg(bx, cx));
        Assert.Equal(0xAAAA_0002u, h.Eax);
        Assert.Equal(0xBBBB_0002u, h.Ebx);
        Assert.False(h.Flag(ZF));
    }

    [Fact]
    public void Cmpxchg8b_WhenEqual_StoresEcxEbxAndSetsOnlyZf()
    {
        var h = new CpuTestHarness { Edx = 0x1111_1111, Eax = 0x2222_2222, Ecx = 0x3333_3333, Ebx = 0x4444_4444, Flags = 0x2 | CF | SF };
        h.Write32(Data, 0x2222_2222);
        h.Write32(Data + 4, 0x1111_1111);
        h.Run(a => a.@lock.cmpxchg8b(__qword_ptr[Data]));
        Assert.Equal(0x4444_4444u, h.Read32(Data));
        Assert.Equal(0x3333_3333u, h.Read32(Data + 4));
        Assert.Equal(0x2 | CF | SF | ZF, h.Flags);
    }

    [Fact]
    public void Cmpxchg8b_WhenDifferent_LoadsEdxEaxAndClearsZf()
    {
        var h = new CpuTestHarness { Edx = 0, Eax = 0, Ecx = 0x3333_3333, Ebx = 0x4444_4444, Flags = 0x2 | ZF | CF };
        h.Write32(Data, 0x5555_5555);
        h.Write32(Data + 4, 0x6666_6666);
        h.Run(a => a.cmpxchg8b(__qword_ptr[Data]));
        Assert.Equal(0x5555_5555u, h.Eax);
        Assert.Equal(0x6666_6666u, h.Edx);
        Assert.Equal(0x5555_5555u, h.Read32(Data));
        Assert.Equal(0x2 | CF, h.Flags);
    }

    [Fact]
    public void Cmpxchg8b_AcrossIntoAnUnmappedPage_FaultsAndChangesNothing()
    {
        var h = new CpuTestHarness { Edx = 0x1111_1111, Eax = 0x2222_2222, Ecx = 3, Ebx = 4 };
        h.EnablePaging();
        h.UnmapPage(Data + 0x1000);
        h.Write32(Data + 0xFFC, 0x2222_2222);
        h.Load(a => a.cmpxchg8b(__qword_ptr[Data + 0xFFC]));
        var before = h.Take(Data + 0xFC0);
        h.Run();
        h.AssertFault(Vector.PageFault);
        Assert.Equal(Data + 0x1000, h.Cpu.Cr2);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Cmpxchg8b_WithARegisterOperand_RaisesInvalidOpcode()
    {
        var h = new CpuTestHarness();
        h.LoadBytes(0x0F, 0xC7, 0xC8);                 // CMPXCHG8B with ModRM.mod = 11
        h.Run();
        h.AssertFault(Vector.InvalidOpcode);
    }

    // --- LOCK ---------------------------------------------------------------------------

    [Theory]
    [InlineData(new byte[] { 0xF0, 0x01, 0x08 })]               // LOCK ADD [EAX], ECX
    [InlineData(new byte[] { 0xF0, 0x87, 0x08 })]               // LOCK XCHG [EAX], ECX
    [InlineData(new byte[] { 0xF0, 0x0F, 0xAB, 0x08 })]         // LOCK BTS [EAX], ECX
    [InlineData(new byte[] { 0xF0, 0xFE, 0x00 })]               // LOCK INC BYTE [EAX]
    [InlineData(new byte[] { 0xF0, 0xF7, 0x10 })]               // LOCK NOT DWORD [EAX]
    [InlineData(new byte[] { 0xF0, 0x0F, 0xC1, 0x08 })]         // LOCK XADD [EAX], ECX
    [InlineData(new byte[] { 0x66, 0xF0, 0x01, 0x08 })]         // LOCK ADD [EAX], CX, prefixes in either order
    [InlineData(new byte[] { 0xF0, 0x66, 0x01, 0x08 })]
    [InlineData(new byte[] { 0x3E, 0xF0, 0x67, 0x01, 0x08 })]   // with DS: and a 16-bit address ([BX+SI]) too
    [InlineData(new byte[] { 0xF0, 0xF0, 0x01, 0x08 })]         // a redundant second LOCK
    [InlineData(new byte[] { 0xF0, 0x80, 0x30, 0x01 })]         // LOCK XOR BYTE [EAX], 1 (immediate source)
    public void Lock_OnALockableInstructionWithAMemoryDestination_Executes(byte[] code)
    {
        var h = new CpuTestHarness { Eax = Data, Ecx = 1 };
        h.LoadBytes(code);
        h.Run();
        h.AssertNoFault();
    }

    [Theory]
    [InlineData(new byte[] { 0xF0, 0x01, 0xC8 })]               // LOCK ADD EAX, ECX: register destination
    [InlineData(new byte[] { 0xF0, 0x87, 0xC8 })]               // LOCK XCHG EAX, ECX
    [InlineData(new byte[] { 0xF0, 0x89, 0x08 })]               // LOCK MOV [EAX], ECX: MOV is not lockable
    [InlineData(new byte[] { 0xF0, 0x0F, 0xA3, 0x08 })]         // LOCK BT [EAX], ECX: BT only reads
    [InlineData(new byte[] { 0xF0, 0x39, 0x08 })]               // LOCK CMP [EAX], ECX
    [InlineData(new byte[] { 0xF0, 0x90 })]                     // LOCK NOP
    [InlineData(new byte[] { 0xF0, 0x40 })]                     // LOCK INC EAX
    [InlineData(new byte[] { 0xF0, 0x03, 0x08 })]               // LOCK ADD ECX, [EAX]: memory is the source
    [InlineData(new byte[] { 0xF0, 0x8F, 0x00 })]               // LOCK POP [EAX]
    [InlineData(new byte[] { 0xF0, 0x0F, 0xA2 })]               // LOCK CPUID
    [InlineData(new byte[] { 0xF0, 0xA5 })]                     // LOCK MOVSD
    [InlineData(new byte[] { 0x66, 0xF0, 0x01, 0xC8 })]         // LOCK ADD AX, CX behind 66h
    public void Lock_AnywhereElse_RaisesInvalidOpcodeAndChangesNothing(byte[] code)
    {
        var h = new CpuTestHarness { Eax = Data, Ecx = 1 };
        h.LoadBytes(code);
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip);
        h.AssertUnchanged(before);
    }

    [Theory]
    [InlineData(new byte[] { 0xF0, 0x01, 0xC8 }, false)]        // ADD EAX, ECX
    [InlineData(new byte[] { 0xF0, 0x01, 0x08 }, true)]         // ADD [EAX], ECX
    [InlineData(new byte[] { 0xF0, 0x89, 0x08 }, false)]        // MOV [EAX], ECX
    [InlineData(new byte[] { 0xF0, 0x0F, 0xA3, 0x08 }, false)]  // BT [EAX], ECX
    [InlineData(new byte[] { 0xF0, 0x0F, 0xC7, 0x08 }, true)]   // CMPXCHG8B [EAX]
    public void AllowsLock_DecidesWithoutTheDecodersOwnCheck(byte[] code, bool allowed)
    {
        // Decoded with NoInvalidCheck, Iced accepts any LOCK: the table alone decides.
        var decoder = Decoder.Create(32, new ByteArrayCodeReader(code), DecoderOptions.NoInvalidCheck);
        decoder.Decode(out Instruction insn);
        Assert.True(insn.HasLockPrefix);
        Assert.Equal(allowed, DispatchTable.AllowsLock(ref insn));
    }
}
