// The rest of the one-byte map: SALC, BOUND, PAUSE, UD2.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class MiscTests
{
    [Fact]
    public void Salc_SetsAlFromTheCarryAndChangesNoFlag()
    {
        var h = new CpuTestHarness { Eax = 0x1234_5600, Ebx = 0x1234_56AA, Flags = 0x2 | CF };
        h.LoadBytes(0xD6, 0x93, 0xF8, 0xD6);           // SALC; XCHG EBX, EAX; CLC; SALC
        h.Run();
        h.AssertNoFault();
        Assert.Equal(0x1234_56FFu, h.Ebx);
        Assert.Equal(0x1234_5600u, h.Eax);
        Assert.Equal(0x2u, h.Flags);
    }

    [Fact]
    public void Bound_WithinTheBounds_DoesNothing_AndOutside_RaisesBoundRange()
    {
        var h = new CpuTestHarness { Eax = 5 };
        h.Write32(CpuTestHarness.DataBase, unchecked((uint)-3));
        h.Write32(CpuTestHarness.DataBase + 4, 5);
        h.Run(a => a.bound(eax, __qword_ptr[CpuTestHarness.DataBase]));
        h.AssertNoFault();
        h.Eax = 6;
        h.Run(a => a.bound(eax, __qword_ptr[CpuTestHarness.DataBase]));
        h.AssertFault(Vector.BoundRange);
    }

    [Fact]
    public void Pause_IsANop()
    {
        uint flags = 0x2 | ZF;
        var h = new CpuTestHarness { Flags = flags };
        h.Run(a => a.pause());
        h.AssertNoFault();
        Assert.Equal(flags, h.Flags);
    }
}
