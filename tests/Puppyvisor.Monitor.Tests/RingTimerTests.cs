// Timer IRQs meet rings: the clockevent IRQ arriving while ring 3 runs switches to the
// TSS's ring-0 stack, and IRET takes the task back to ring 3 where it left off.
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class RingTimerTests
{
    const uint SetClockEvent = 9;
    const uint Tss = 0x3000, Esp0 = 0x9_0000, UserStack = 0x8_0000, UserCode = 0x5000;
    const uint Counter = Scratch, Irqs = Scratch + 4;

    /// <summary>Adds a TSS (GDT entry 5, selector 0x28) with SS0:ESP0 = 0x10:<see cref="Esp0"/> and loads it.</summary>
    static void LoadTss(Assembler a)
    {
        a.mov(__dword_ptr[Tss + 4], Esp0);
        a.mov(__dword_ptr[Tss + 8], 0x10);
        a.mov(__dword_ptr[0x1028], (Tss << 16) | 0x67);          // base 15:0, limit 0x67
        a.mov(__dword_ptr[0x102C], 0x0000_8900);                  // present, DPL 0, available 32-bit TSS
        a.mov(__word_ptr[0x1100], 0x2F);
        a.lgdt(__[0x1100]);
        a.mov(eax, 0x28);
        a.ltr(ax);
    }

    /// <summary>The ring-3 task, written by the guest at <see cref="UserCode"/>: INC DWORD [Counter]; JMP back.</summary>
    static void PlaceUserLoop(Assembler a)
    {
        a.mov(__dword_ptr[UserCode], 0x05FFu | (Counter & 0xFFFF) << 16);       // FF 05 imm32 (low half)
        a.mov(__dword_ptr[UserCode + 4], (Counter >> 16) | 0xF8EBu << 16);      // imm32 (high half), EB F8
    }

    /// <summary>Loads DS/ES with the ring-3 data selector and IRETs to <see cref="UserCode"/> in ring 3 with IF set.</summary>
    static void IretToRing3(Assembler a)
    {
        a.mov(eax, 0x23);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.push(0x23);
        a.push(UserStack);
        a.push(0x202);
        a.push(0x1B);
        a.push(UserCode);
        a.iretd();
    }

    /// <summary>
    /// The handler records, per IRQ n (1 and 2): the ring-3 counter, the saved CS, ESP and SS,
    /// its own ESP and CS, at Scratch + 32 * n; the first IRQ re-arms and returns, the second shuts down 0.
    /// </summary>
    static void RecordFrame(Assembler a)
    {
        var again = a.CreateLabel();
        a.push(eax);
        a.push(ebx);
        a.push(ecx);
        a.push(edx);
        a.inc(__dword_ptr[Irqs]);
        a.mov(edx, __dword_ptr[Irqs]);
        a.shl(edx, 5);
        a.add(edx, Scratch);
        a.mov(eax, __dword_ptr[Counter]);
        a.mov(__dword_ptr[edx], eax);
        a.mov(eax, __dword_ptr[esp + 16 + 4]);                   // CS
        a.mov(__dword_ptr[edx + 4], eax);
        a.mov(eax, __dword_ptr[esp + 16 + 12]);                  // ESP
        a.mov(__dword_ptr[edx + 8], eax);
        a.mov(eax, __dword_ptr[esp + 16 + 16]);                  // SS
        a.mov(__dword_ptr[edx + 12], eax);
        a.lea(eax, __[esp + 16]);
        a.mov(__dword_ptr[edx + 16], eax);                        // ESP on entry
        a.mov(eax, cs);
        a.mov(__dword_ptr[edx + 20], eax);
        a.cmp(__dword_ptr[Irqs], 2);
        a.jb(again);
        Shutdown(a, 0);
        a.Label(ref again);
        Hypercall(a, SetClockEvent, 30_000);
        a.pop(edx);
        a.pop(ecx);
        a.pop(ebx);
        a.pop(eax);
        a.iretd();
    }

    static Guest RunRing3Task()
    {
        var m = Run(Build(a =>
        {
            LoadTss(a);
            PlaceUserLoop(a);
            Hypercall(a, SetClockEvent, 20_000);
            IretToRing3(a);
        }, RecordFrame));
        return m.Guests[0];
    }

    static uint Record(Guest g, int irq, int field) => ReadScratch(g, (uint)(32 * irq + 4 * field));

    [Fact]
    public void TimerIrq_InRing3_SwitchesToTheTssStack_AndPushesTheUserSsAndEsp()
    {
        Guest g = RunRing3Task();
        Assert.Equal(0, g.ExitStatus);
        Assert.Equal(2, g.Stats.IrqsInjected);
        Assert.Equal(0x1Bu, Record(g, 1, 1));                     // interrupted in ring 3
        Assert.Equal(UserStack, Record(g, 1, 2));
        Assert.Equal(0x23u, Record(g, 1, 3));
        Assert.Equal(Esp0 - 20, Record(g, 1, 4));                 // SS, ESP, EFLAGS, CS, EIP on the ring-0 stack
        Assert.Equal(0x08u, Record(g, 1, 5));                     // the handler runs in ring 0
    }

    [Fact]
    public void TimerIrq_IretsBackToTheRing3Task_WhichGoesOn()
    {
        Guest g = RunRing3Task();
        Assert.Equal(0x1Bu, Record(g, 2, 1));                     // the second IRQ found ring 3 running again
        Assert.Equal(Esp0 - 20, Record(g, 2, 4));                 // on a fresh TSS stack
        uint first = Record(g, 1, 0), second = Record(g, 2, 0);
        Assert.True(first > 1000, $"the task counted {first} before the first IRQ");
        Assert.True(second > first + 1000, $"the task counted {first}, then {second}: it did not go on");
    }
}
