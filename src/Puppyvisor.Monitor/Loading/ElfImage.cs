// [L:100] Reading a guest image: an ELF32 i386 executable (DESIGN §1).
//
// We check what a loader must trust before it copies anything: the magic, class,
// byte order, type and machine, that the program headers and every segment's bytes
// lie inside the file, and that every PT_LOAD fits in guest RAM. Each problem gets
// its own one-line message naming it, so a user knows what is wrong with the file.
using System.Buffers.Binary;
using System.Text;

namespace Puppyvisor.Monitor.Loading;

/// <summary>A guest image that cannot be loaded; the message is one line for the user.</summary>
public sealed class ImageException(string message) : Exception(message);

public readonly record struct LoadSegment(uint PhysicalAddress, uint VirtualAddress, uint FileOffset, uint FileSize, uint MemorySize, bool Executable);

public readonly record struct ElfSymbol(string Name, uint Address, uint Size, bool IsFunction);

public sealed class ElfImage
{
    public const uint PT_LOAD = 1;
    const int HeaderSize = 52, ProgramHeaderSize = 32, SectionHeaderSize = 40;

    public string Path { get; }
    public byte[] Bytes { get; }
    public uint Entry { get; }
    public IReadOnlyList<LoadSegment> Segments { get; }
    public IReadOnlyList<ElfSymbol> Symbols { get; }

    ElfImage(string path, byte[] bytes, uint entry, List<LoadSegment> segments, List<ElfSymbol> symbols)
    {
        Path = path; Bytes = bytes; Entry = entry; Segments = segments; Symbols = symbols;
    }

    public static ElfImage Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"{path}: cannot read: {e.Message}");
        }
        return Parse(path, bytes);
    }

    public static ElfImage Parse(string path, byte[] b)
    {
        string name = System.IO.Path.GetFileName(path);
        if (b.Length < 4 || b[0] != 0x7F || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new ImageException($"{name}: not an ELF file (bad magic)");
        if (b.Length < HeaderSize) throw new ImageException($"{name}: truncated ELF header ({b.Length} bytes)");
        if (b[4] != 1) throw new ImageException($"{name}: not a 32-bit ELF (class {b[4]}{(b[4] == 2 ? ", ELF64" : "")}); Puppyvisor loads ELF32 i386 executables");
        if (b[5] != 1) throw new ImageException($"{name}: not little-endian (data encoding {b[5]})");
        ushort type = U16(b, 16), machine = U16(b, 18);
        if (machine != 3) throw new ImageException($"{name}: wrong machine {machine} (expected EM_386 = 3)");
        if (type != 2) throw new ImageException($"{name}: not an executable (ELF type {type}, expected ET_EXEC = 2)");
        uint entry = U32(b, 24), phoff = U32(b, 28), shoff = U32(b, 32);
        ushort phentsize = U16(b, 42), phnum = U16(b, 44), shentsize = U16(b, 46), shnum = U16(b, 48), shstrndx = U16(b, 50);
        if (phnum == 0) throw new ImageException($"{name}: no program headers");
        if (phentsize != ProgramHeaderSize) throw new ImageException($"{name}: bad program header size {phentsize}");
        if ((ulong)phoff + (ulong)phnum * phentsize > (ulong)b.Length)
            throw new ImageException($"{name}: truncated: program headers end past the file ({b.Length} bytes)");

        var segments = new List<LoadSegment>();
        for (int i = 0; i < phnum; i++)
        {
            int p = (int)phoff + i * phentsize;
            if (U32(b, p) != PT_LOAD) continue;
            uint offset = U32(b, p + 4), vaddr = U32(b, p + 8), paddr = U32(b, p + 12), filesz = U32(b, p + 16), memsz = U32(b, p + 20), flags = U32(b, p + 24);
            if ((ulong)offset + filesz > (ulong)b.Length)
                throw new ImageException($"{name}: truncated: segment {i} needs bytes up to {(ulong)offset + filesz} but the file has {b.Length}");
            if (filesz > memsz) throw new ImageException($"{name}: segment {i} has file size {filesz} larger than memory size {memsz}");
            segments.Add(new LoadSegment(paddr, vaddr, offset, filesz, memsz, (flags & 1) != 0));
        }
        if (segments.Count == 0) throw new ImageException($"{name}: no PT_LOAD segment");
        return new ElfImage(path, b, entry, segments, ReadSymbols(b, shoff, shentsize, shnum));
    }

    /// <summary>Checks that every segment fits in <paramref name="ramSize"/> bytes of RAM.</summary>
    public void CheckFits(uint ramSize)
    {
        for (int i = 0; i < Segments.Count; i++)
        {
            LoadSegment s = Segments[i];
            if ((ulong)s.PhysicalAddress + s.MemorySize > ramSize)
                throw new ImageException($"{System.IO.Path.GetFileName(Path)}: segment at 0x{s.PhysicalAddress:x8} (0x{s.MemorySize:x} bytes) lies outside guest RAM ({ramSize / 1024} KiB)");
        }
        if (Entry >= ramSize)
            throw new ImageException($"{System.IO.Path.GetFileName(Path)}: entry point 0x{Entry:x8} lies outside guest RAM ({ramSize / 1024} KiB)");
    }

    /// <summary>Symbols from .symtab, if the section headers are sound; an image without them still loads.</summary>
    static List<ElfSymbol> ReadSymbols(byte[] b, uint shoff, ushort shentsize, ushort shnum)
    {
        var symbols = new List<ElfSymbol>();
        if (shoff == 0 || shentsize != SectionHeaderSize || (ulong)shoff + (ulong)shnum * shentsize > (ulong)b.Length) return symbols;
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)shoff + i * shentsize;
            if (U32(b, sh + 4) != 2) continue;                  // SHT_SYMTAB
            uint off = U32(b, sh + 16), size = U32(b, sh + 20), link = U32(b, sh + 24), entsize = U32(b, sh + 36);
            if (entsize != 16 || (ulong)off + size > (ulong)b.Length || link >= shnum) continue;
            int strSh = (int)shoff + (int)link * shentsize;
            uint strOff = U32(b, strSh + 16), strSize = U32(b, strSh + 20);
            if ((ulong)strOff + strSize > (ulong)b.Length) continue;
            for (uint s = off + 16; s + 16 <= off + size; s += 16)
            {
                uint nameIdx = U32(b, (int)s), value = U32(b, (int)s + 4), symSize = U32(b, (int)s + 8);
                int kind = b[s + 12] & 0xF;
                if (kind is not (1 or 2) || nameIdx == 0 || nameIdx >= strSize) continue;    // OBJECT or FUNC
                int start = (int)(strOff + nameIdx), end = start;
                while (end < strOff + strSize && b[end] != 0) end++;
                symbols.Add(new ElfSymbol(Encoding.ASCII.GetString(b, start, end - start), value, symSize, kind == 2));
            }
        }
        symbols.Sort((x, y) => x.Address != y.Address ? x.Address.CompareTo(y.Address) : string.CompareOrdinal(x.Name, y.Name));
        return symbols;
    }

    /// <summary>"name+0x12" for an address inside a known symbol, or null.</summary>
    public string? SymbolFor(uint address)
    {
        ElfSymbol? best = null;
        foreach (ElfSymbol s in Symbols)
        {
            if (s.Address > address) break;
            if (address < s.Address + Math.Max(s.Size, 1u) || (s.Size == 0 && s.IsFunction)) best = s;
        }
        if (best is not { } sym) return null;
        uint offset = address - sym.Address;
        return offset == 0 ? sym.Name : $"{sym.Name}+0x{offset:x}";
    }

    public ElfSymbol? FindSymbol(string name) =>
        Symbols.FirstOrDefault(s => s.Name == name) is { Name: not null } s ? s : null;

    static ushort U16(byte[] b, int o) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(o));
    static uint U32(byte[] b, int o) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o));
}
