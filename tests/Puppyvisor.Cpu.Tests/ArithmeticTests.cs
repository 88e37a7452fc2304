// ADD, ADC, SUB, SBB, CMP, INC, DEC, NEG, and the logic group AND, OR, XOR, TEST, NOT.
//
// The matrices compare every result and all six arithmetic flags with a reference that
// works on wide integers the way the SDM defines the flags (Vol. 1, 3.4.3.1 and Appendix
// A): CF is the unsigned carry or borrow, OF the signed overflow, AF the carry or borrow
// out of bit 3, PF the parity of the low byte. The logic group's AF is undefined:
// Puppyvisor clears it.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class ArithmeticTests
{
    // Opcode of "op r/m8, r8"; +1 for r/m16/32 (SDM Vol. 2, one-byte opcode map).
    static readonly Dictionary<string, byte> Opcode = new()
    {
        ["add"] = 0x00, ["or"] = 0x08, ["adc"] = 0x10, ["sbb"] = 0x18, ["and"] = 0x20, ["sub"] = 0x28,
        ["xor"] = 0x30, ["cmp"] = 0x38, ["test"] = 0x84,
    };

    static uint Mask(int bits) => bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1;

    static uint[] Values(int bits)
    {
        uint m = Mask(bits), sign = 1u << (bits - 1);
        return [0, 1, 0x0F, 0x10, sign - 1, sign, sign + 1, m - 1, m, 0x5A5A_5A5A & m];
    }

    static uint Zsp(ulong result, int bits)
    {
        uint r = (uint)result & Mask(bits), f = 0;
        if (r == 0) f |= ZF;
        if ((r >> (bits - 1)) != 0) f |= SF;
        int ones = 0;
        for (int i = 0; i < 8; i++) ones += (int)(r >> i) & 1;
        if (ones % 2 == 0) f |= PF;
        return f;
    }

    static long Signed(uint v, int bits) => (long)((ulong)v << (64 - bits)) >> (64 - bits);

    static bool FitsSigned(long v, int bits) => v >= -(1L << (bits - 1)) && v < (1L << (bits - 1));

    /// <summary>The SDM's flags of dst op src (with carry-in c), computed on wide integers.</summary>
    static (uint Result, uint Flags) Reference(string op, uint a, uint b, bool carry, int bits)
    {
        uint m = Mask(bits);
        uint c = carry ? 1u : 0u;
        switch (op)
        {
            case "add" or "adc":
            {
                uint cin = op == "adc" ? c : 0;
                ulong sum = (ulong)a + b + cin;
                uint f = Zsp(sum, bits);
                if (sum > m) f |= CF;
                if (!FitsSigned(Signed(a, bits) + Signed(b, bits) + cin, bits)) f |= OF;
                if ((a & 0xF) + (b & 0xF) + cin > 0xF) f |= AF;
                return ((uint)sum & m, f);
            }
            case "sub" or "sbb" or "cmp":
            {
                uint bin = op == "sbb" ? c : 0;
                ulong diff = (ulong)a - b - bin;
                uint f = Zsp(diff, bits);
                if ((ulong)a < (ulong)b + bin) f |= CF;
                if (!FitsSigned(Signed(a, bits) - Signed(b, bits) - bin, bits)) f |= OF;
                if ((a & 0xF) < (b & 0xF) + bin) f |= AF;
                return (op == "cmp" ? a : (uint)diff & m, f);
            }
            default:
            {
                uint r = op switch { "and" or "test" => a & b, "or" => a | b, _ => a ^ b };
                return (op == "test" ? a : r, Zsp(r, bits));
            }
        }
    }

    public static IEnumerable<object[]> BinaryCases()
    {
        foreach (string op in Opcode.Keys)
            foreach (int bits in (int[])[8, 16, 32])
                foreach (bool carry in op is "adc" or "sbb" ? [false, true] : (bool[])[true])
                    yield return [op, bits, carry];
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryOperation_SetsResultAndFlagsAsTheSdmDefines(string op, int bits, bool carry)
    {
        // op AL/AX/EAX, BL/BX/EBX: ModRM 11 011 000.
        byte opcode = (byte)(Opcode[op] + (bits == 8 ? 0 : 1));
        var h = new CpuTestHarness();
        h.LoadBytes(bits == 16 ? [0x66, opcode, 0xD8] : [opcode, 0xD8]);
        // Every flag starts set (CF as given) so a flag that should be cleared must be.
        uint before = 0x2 | OF | SF | ZF | AF | PF | (carry ? CF : 0);
        foreach (uint a in Values(bits))
            foreach (uint b in Values(bits))
            {
                h.Cpu.Eip = CpuTestHarness.CodeBase;
                h.Eax = 0xC0DE_0000 & ~Mask(bits) | a;
                h.Ebx = b;
                h.Flags = before;
                h.Run();
                var (result, flags) = Reference(op, a, b, carry, bits);
                string what = $"{op}{bits} {a:x}, {b:x} (CF={carry})";
                Assert.True(result == (h.Eax & Mask(bits)), $"{what}: result {h.Eax & Mask(bits):x}, expected {result:x}");
                Assert.True(flags == h.ArithFlags, $"{what}: flags {h.ArithFlags:x}, expected {flags:x}");
                Assert.Equal(0xC0DE_0000 & ~Mask(bits), h.Eax & ~Mask(bits));
            }
    }

    public static IEnumerable<object[]> UnaryCases()
    {
        foreach (string op in (string[])["inc", "dec", "neg", "not"])
            foreach (int bits in (int[])[8, 16, 32])
                foreach (bool carry in (bool[])[false, true])
                    yield return [op, bits, carry];
    }

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryOperation_SetsResultAndFlagsAsTheSdmDefines(string op, int bits, bool carry)
    {
        // INC FE/FF /0, DEC FE/FF /1, NOT F6/F7 /2, NEG F6/F7 /3 on AL/AX/EAX.
        byte opcode = (byte)((op is "inc" or "dec" ? 0xFE : 0xF6) + (bits == 8 ? 0 : 1));
        byte modrm = (byte)(0xC0 | (op switch { "inc" => 0, "dec" => 1, "not" => 2, _ => 3 } << 3));
        var h = new CpuTestHarness();
        h.LoadBytes(bits == 16 ? [0x66, opcode, modrm] : [opcode, modrm]);
        uint before = 0x2 | OF | SF | ZF | AF | PF | (carry ? CF : 0);
        foreach (uint a in Values(bits))
        {
            h.Cpu.Eip = CpuTestHarness.CodeBase;
            h.Eax = a;
            h.Flags = before;
            h.Run();
            (uint result, uint flags) = op switch
            {
                // INC and DEC are ADD 1 and SUB 1 that keep CF; NEG is 0 - x; NOT changes no flag.
                "inc" => Reference("add", a, 1, false, bits),
                "dec" => Reference("sub", a, 1, false, bits),
                "neg" => Reference("sub", 0, a, false, bits),
                _ => (~a & Mask(bits), before & Cpu.ArithFlags),
            };
            if (op is "inc" or "dec") flags = (flags & ~CF) | (carry ? CF : 0);
            string what = $"{op}{bits} {a:x} (CF={carry})";
            Assert.True(result == (h.Eax & Mask(bits)), $"{what}: result {h.Eax & Mask(bits):x}, expected {result:x}");
            Assert.True(flags == h.ArithFlags, $"{what}: flags {h.ArithFlags:x}, expected {flags:x}");
        }
    }

    [Fact]
    public void Neg_OfZero_ClearsCarry_AndOfAnythingElse_SetsIt()
    {
        var h = new CpuTestHarness { Eax = 0, Ebx = 5, Flags = 0x2 | CF };
        h.Run(a => { a.neg(eax); a.setc(cl); a.neg(ebx); a.setc(ch); });
        Assert.Equal(0x0100u, h.Ecx & 0xFFFF);
        Assert.Equal(unchecked((uint)-5), h.Ebx);
    }

    [Fact]
    public void Inc_AfterAnAddThatCarried_KeepsThatCarry()
    {
        var h = new CpuTestHarness { Eax = 0xFFFF_FFFF, Ebx = 1 };
        h.Run(a => { a.add(eax, ebx); a.inc(ecx); });
        Assert.Equal(CF, h.ArithFlags & (CF | ZF));     // CF from the ADD, ZF from INC (ECX = 1)
    }

    [Fact]
    public void Adc_ChainsACarryThroughA64BitAdd()
    {
        var h = new CpuTestHarness { Eax = 0xFFFF_FFFF, Edx = 0x0000_0001, Ebx = 0x0000_0001, Ecx = 0x0000_0002 };
        h.Run(a => { a.add(eax, ebx); a.adc(edx, ecx); });
        Assert.Equal(0u, h.Eax);
        Assert.Equal(4u, h.Edx);
    }

    [Fact]
    public void Sbb_ChainsABorrowThroughA64BitSubtract()
    {
        var h = new CpuTestHarness { Eax = 0, Edx = 5, Ebx = 1, Ecx = 2 };
        h.Run(a => { a.sub(eax, ebx); a.sbb(edx, ecx); });
        Assert.Equal(0xFFFF_FFFFu, h.Eax);
        Assert.Equal(2u, h.Edx);
    }

    [Fact]
    public void Add_ToMemory_WithAnImmediate()
    {
        var h = new CpuTestHarness();
        h.Write32(CpuTestHarness.DataBase, 0x7FFF_FFFF);
        h.Run(a => a.add(__dword_ptr[CpuTestHarness.DataBase], 1));
        Assert.Equal(0x8000_0000u, h.Read32(CpuTestHarness.DataBase));
        Assert.Equal(OF | SF | AF | PF, h.ArithFlags);
    }

    [Fact]
    public void Sub_WithASignExtendedImm8()
    {
        var h = new CpuTestHarness { Eax = 10 };
        h.Run(a => a.sub(eax, -1));                     // 83 /5 ib: FFh sign-extends to FFFFFFFFh
        Assert.Equal(11u, h.Eax);
        Assert.True(h.Flag(CF));                        // 10 < FFFFFFFFh unsigned: a borrow
    }

    [Fact]
    public void Cmp_LeavesBothOperands()
    {
        var h = new CpuTestHarness { Eax = 3, Ebx = 3 };
        h.Write32(CpuTestHarness.DataBase, 7);
        h.Run(a => { a.cmp(eax, ebx); a.cmp(__dword_ptr[CpuTestHarness.DataBase], eax); });
        Assert.Equal(3u, h.Eax);
        Assert.Equal(7u, h.Read32(CpuTestHarness.DataBase));
        Assert.Equal(0u, h.ArithFlags & (CF | ZF));     // 7 - 3: no borrow, not zero
    }

    [Fact]
    public void Logic_ClearsCarryAndOverflow_AndAuxiliaryByChoice()
    {
        var h = new CpuTestHarness { Eax = 0xF0, Flags = 0x2 | CF | OF | AF };
        h.Run(a => a.and(al, 0x0F));
        Assert.Equal(0u, h.Eax);
        Assert.Equal(ZF | PF, h.ArithFlags);
    }

    [Fact]
    public void Test_WithMemory_ChangesOnlyFlags()
    {
        var h = new CpuTestHarness { Eax = 0x8000_0000 };
        h.Write32(CpuTestHarness.DataBase, 0x8000_0001);
        h.Run(a => a.test(__dword_ptr[CpuTestHarness.DataBase], eax));
        Assert.Equal(0x8000_0001u, h.Read32(CpuTestHarness.DataBase));
        Assert.Equal(SF | PF, h.ArithFlags);
    }

    [Fact]
    public void Not_OfMemory_ChangesNoFlag()
    {
        uint flags = 0x2 | CF | ZF;
        var h = new CpuTestHarness { Flags = flags };
        h.Write16(CpuTestHarness.DataBase, 0x00FF);
        h.Run(a => a.not(__word_ptr[CpuTestHarness.DataBase]));
        Assert.Equal((ushort)0xFF00, h.Read16(CpuTestHarness.DataBase));
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Add_ToAReadOnlyPage_FaultsAndChangesNothing()
    {
        var h = new CpuTestHarness { Eax = 1, Flags = 0x2 | ZF };
        h.EnablePaging();
        h.MakeReadOnly(CpuTestHarness.DataBase);
        h.Load(a => a.add(__dword_ptr[CpuTestHarness.DataBase], eax));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfWrite, h.ErrorCode);
        h.AssertUnchanged(before);
    }
}
