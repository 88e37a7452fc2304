// [L:200] Booting the image as QEMU's -kernel does (multiboot v1, DESIGN §1).
//
// Copy every PT_LOAD to its physical address and zero the rest of its memory size;
// if a multiboot header (0x1BADB002, valid checksum, in the first 8 KiB) is there,
// build a multiboot_info below 640 KiB with the memory sizes, the command line and
// a memory map, and enter with EAX = 0x2BADB002, EBX = its address. The CPU state
// at entry is Cpu.Reset's: flat protected mode, paging off, EFLAGS = 0x2, and
// ESP = 0x9F000.
using System.Buffers.Binary;
using System.Text;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Monitor.Loading;

public static class Multiboot
{
    public const uint HeaderMagic = 0x1BAD_B002, BootMagic = 0x2BAD_B002;
    public const uint InitialEsp = 0x9F000;

    // Where the boot information goes: low memory, below the initial stack.
    const uint InfoAddress = 0x9000, MmapAddress = 0x9100, LoaderNameAddress = 0x9300, CmdlineAddress = 0x9400;
    const int CmdlineMax = 0x9F000 - 0x1000 - 0x9400 - 1;

    // multiboot_info.flags bits.
    const uint InfoMem = 1 << 0, InfoCmdline = 1 << 2, InfoMmap = 1 << 6, InfoLoaderName = 1 << 9;

    /// <summary>Offset of a valid multiboot header in the file, or -1.</summary>
    public static int FindHeader(byte[] image)
    {
        int limit = Math.Min(image.Length - 12, 8192 - 12);
        for (int o = 0; o <= limit; o += 4)
        {
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(o));
            if (magic != HeaderMagic) continue;
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(o + 4));
            uint checksum = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(o + 8));
            if (magic + flags + checksum == 0) return o;
        }
        return -1;
    }

    /// <summary>Loads <paramref name="image"/> into RAM and sets the CPU up for its entry.</summary>
    public static void Boot(ElfImage image, Cpu.Cpu cpu, string cmdline)
    {
        PhysicalMemory ram = cpu.Memory;
        image.CheckFits(ram.Size);
        foreach (LoadSegment s in image.Segments)
        {
            Array.Copy(image.Bytes, s.FileOffset, ram.Ram, s.PhysicalAddress, s.FileSize);
            Array.Clear(ram.Ram, (int)(s.PhysicalAddress + s.FileSize), (int)(s.MemorySize - s.FileSize));
        }
        cpu.Reset();
        cpu.Eip = image.Entry;
        cpu.Esp = InitialEsp;
        if (FindHeader(image.Bytes) < 0) return;        // a plain ELF: no boot information

        byte[] cmd = Encoding.UTF8.GetBytes(cmdline);
        if (cmd.Length > CmdlineMax) throw new ImageException($"command line too long ({cmd.Length} bytes)");
        foreach (LoadSegment s in image.Segments)
            if (s.PhysicalAddress < CmdlineAddress + (uint)cmd.Length + 1 && s.PhysicalAddress + s.MemorySize > InfoAddress)
                throw new ImageException($"{Path.GetFileName(image.Path)}: segment at 0x{s.PhysicalAddress:x8} overlaps the multiboot information at 0x{InfoAddress:x}");

        Span<byte> info = ram.Ram.AsSpan((int)InfoAddress, 88);
        info.Clear();
        uint memUpperKiB = (ram.Size - 0x10_0000) / 1024;
        W(info, 0, InfoMem | InfoCmdline | InfoMmap | InfoLoaderName);
        W(info, 4, 640);                                 // mem_lower: KiB below 640 KiB
        W(info, 8, memUpperKiB);                         // mem_upper: KiB above 1 MiB
        W(info, 16, CmdlineAddress);
        int mmapLength = WriteMemoryMap(ram.Ram.AsSpan((int)MmapAddress), ram.Size);
        W(info, 44, (uint)mmapLength);
        W(info, 48, MmapAddress);
        W(info, 64, LoaderNameAddress);
        cmd.CopyTo(ram.Ram.AsSpan((int)CmdlineAddress));
        ram.Ram[CmdlineAddress + cmd.Length] = 0;
        Encoding.ASCII.GetBytes("Puppyvisor\0").CopyTo(ram.Ram.AsSpan((int)LoaderNameAddress));

        cpu.Gpr[0] = BootMagic;
        cpu.Gpr[3] = InfoAddress;
    }

    /// <summary>The e820-style map QEMU gives: conventional memory, the BIOS hole, RAM above 1 MiB.</summary>
    static int WriteMemoryMap(Span<byte> map, uint ramSize)
    {
        (ulong Base, ulong Length, uint Type)[] entries =
        [
            (0, 0x9FC00, 1),
            (0x9FC00, 0x400, 2),
            (0xF0000, 0x10000, 2),
            (0x100000, ramSize - 0x100000u, 1),
        ];
        int o = 0;
        foreach (var e in entries)
        {
            W(map, o, 20);                                // size of the entry, not counting this field
            BinaryPrimitives.WriteUInt64LittleEndian(map[(o + 4)..], e.Base);
            BinaryPrimitives.WriteUInt64LittleEndian(map[(o + 12)..], e.Length);
            W(map, o + 20, e.Type);
            o += 24;
        }
        return o;
    }

    static void W(Span<byte> s, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(s[offset..], value);
}
