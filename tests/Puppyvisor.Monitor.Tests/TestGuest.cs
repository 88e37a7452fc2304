// Builds tiny guests in C# with Iced's assembler and runs them on the virtual clock.
//
// Each guest gets a flat GDT (0x08 code, 0x10 data), an IDT whose timer vector 0x20
// points at the handler the test writes (at HandlerAddress), and whose exception
// vectors all go to a stub that shuts down with status 0xEE. Then the test's body.
using Iced.Intel;
using Puppyvisor.Monitor;
using Puppyvisor.Monitor.Diagnostics;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;
using static Iced.Intel.AssemblerRegisters;

namespace Puppyvisor.Monitor.Tests;

internal static class TestGuest
{
    public const uint CodeAddress = 0x10_0000, HandlerAddress = 0x10_1000, FaultStubAddress = 0x10_1800;
    /// <summary>A scratch area the guests use to hand values to the test.</summary>
    public const uint Scratch = 0x20_0000;
    public const int FaultStatus = 0xEE;

    public static void Hypercall(Assembler a, uint number, uint ebx = 0, uint ecx = 0)
    {
        a.mov(eax, number);
        a.mov(AssemblerRegisters.ebx, ebx);
        a.mov(AssemblerRegisters.ecx, ecx);
        a.vmcall();
    }

    public static void Shutdown(Assembler a, uint status) => Hypercall(a, 2, status);

    /// <summary>Assembles a guest: the prologue, then <paramref name="body"/>; <paramref name="handler"/> serves IRQ 0.</summary>
    public static ElfImage Build(Action<Assembler> body, Action<Assembler>? handler = null) => Build(body, handler, out _);

    /// <summary>As Build, and <paramref name="labelAddress"/> gives where a label of the body landed.</summary>
    public static ElfImage Build(Action<Assembler> body, Action<Assembler>? handler, out Func<Label, uint> labelAddress)
    {
        var main = new Assembler(32);
        Prologue(main);
        body(main);
        var irq = new Assembler(32);
        if (handler is not null) handler(irq); else irq.iretd();
        var fault = new Assembler(32);
        Shutdown(fault, FaultStatus);

        var image = new byte[0x2000];
        var (mainBytes, mainResult) = Assemble(main, CodeAddress);
        mainBytes.CopyTo(image, 0);
        Assemble(irq, HandlerAddress).Bytes.CopyTo(image, (int)(HandlerAddress - CodeAddress));
        Assemble(fault, FaultStubAddress).Bytes.CopyTo(image, (int)(FaultStubAddress - CodeAddress));
        labelAddress = label => (uint)mainResult.GetLabelRIP(label);
        return ElfImage.Parse("test.elf", ElfWriter.Executable(CodeAddress, CodeAddress, image, bssSize: 0));
    }

    static (byte[] Bytes, AssemblerResult Result) Assemble(Assembler a, uint address)
    {
        var stream = new MemoryStream();
        var result = a.Assemble(new StreamCodeWriter(stream), address, BlockEncoderOptions.ReturnNewInstructionOffsets);
        return (stream.ToArray(), result);
    }

    static void Prologue(Assembler a)
    {
        // GDT at 0x1000: null, flat ring-0 code (0x08) and data (0x10), flat ring-3 code (0x1B) and data (0x23).
        uint[] gdt = [0, 0, 0x0000_FFFF, 0x00CF_9A00, 0x0000_FFFF, 0x00CF_9200, 0x0000_FFFF, 0x00CF_FA00, 0x0000_FFFF, 0x00CF_F200];
        for (int i = 0; i < gdt.Length; i++) a.mov(__dword_ptr[0x1000 + 4 * i], gdt[i]);
        a.mov(__word_ptr[0x1100], 0x27);
        a.mov(__dword_ptr[0x1102], 0x1000);
        a.lgdt(__[0x1100]);
        // IDT at 0x2000: vectors 0-31 to the fault stub, 0x20 to the handler, all interrupt gates.
        for (int v = 0; v < 0x21; v++)
        {
            uint target = v == 0x20 ? HandlerAddress : FaultStubAddress;
            a.mov(__dword_ptr[0x2000 + 8 * v], 0x0008_0000u | (target & 0xFFFF));
            a.mov(__dword_ptr[0x2000 + 8 * v + 4], (target & 0xFFFF_0000u) | 0x8E00);
        }
        a.mov(__word_ptr[0x1200], 0x21 * 8 - 1);
        a.mov(__dword_ptr[0x1202], 0x2000);
        a.lidt(__[0x1200]);
    }

    /// <summary>Runs the guest (alone, or <paramref name="copies"/> of it) on the virtual clock; returns the machine for inspection.</summary>
    public static Machine Run(ElfImage image, long maxInstructions = 10_000_000, long nsPerInsn = 1, int copies = 1,
        TraceWriter? trace = null, Serilog.ILogger? log = null, ClockKind clock = ClockKind.Virtual)
    {
        var options = new MachineOptions { Clock = clock, MaxInstructions = maxInstructions, NsPerInstruction = nsPerInsn };
        var images = Enumerable.Repeat(image, copies).ToList();
        var machine = new Machine(options, images, TextWriter.Null, log ?? Serilog.Core.Logger.None, trace);
        machine.Run();
        return machine;
    }

    public static uint ReadScratch(Guest g, uint offset = 0) =>
        BitConverter.ToUInt32(g.Memory.Ram, (int)(Scratch + offset));
}

/// <summary>Writes the smallest ELF32 i386 executable: one PT_LOAD.</summary>
internal static class ElfWriter
{
    public static byte[] Executable(uint entry, uint loadAddress, byte[] code, uint bssSize, ushort machine = 3, byte elfClass = 1, ushort type = 2)
    {
        const int headerSize = 52, phSize = 32;
        var b = new byte[headerSize + phSize + code.Length];
        b[0] = 0x7F; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = elfClass; b[5] = 1; b[6] = 1;
        W16(b, 16, type); W16(b, 18, machine); W32(b, 20, 1);
        W32(b, 24, entry); W32(b, 28, headerSize); W32(b, 32, 0);
        W16(b, 40, headerSize); W16(b, 42, phSize); W16(b, 44, 1); W16(b, 46, 40);
        int p = headerSize;
        W32(b, p, 1); W32(b, p + 4, headerSize + phSize); W32(b, p + 8, loadAddress); W32(b, p + 12, loadAddress);
        W32(b, p + 16, (uint)code.Length); W32(b, p + 20, (uint)code.Length + bssSize); W32(b, p + 24, 5); W32(b, p + 28, 0x1000);
        code.CopyTo(b, headerSize + phSize);
        return b;
    }

    static void W16(byte[] b, int o, ushort v) => BitConverter.TryWriteBytes(b.AsSpan(o), v);
    static void W32(byte[] b, int o, uint v) => BitConverter.TryWriteBytes(b.AsSpan(o), v);
}
