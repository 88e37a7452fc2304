// Every kind of bad image is refused with one line that names the problem.
using Puppyvisor.Monitor.Loading;

namespace Puppyvisor.Monitor.Tests;

public class ElfImageTests
{
    static readonly byte[] Code = [0xF4];

    static string Refusal(byte[] bytes) => Assert.Throws<ImageException>(() => ElfImage.Parse("bad.elf", bytes)).Message;

    [Fact]
    public void NotElf_IsRefusedForItsMagic() => Assert.Contains("not an ELF file", Refusal("#!/bin/sh\n"u8.ToArray()));

    [Fact]
    public void Elf64_IsRefusedForItsClass() =>
        Assert.Contains("not a 32-bit ELF", Refusal(ElfWriter.Executable(0x100000, 0x100000, Code, 0, elfClass: 2)));

    [Fact]
    public void WrongMachine_IsRefused() =>
        Assert.Contains("wrong machine 62", Refusal(ElfWriter.Executable(0x100000, 0x100000, Code, 0, machine: 62)));

    [Fact]
    public void SharedObject_IsRefusedAsNotAnExecutable() =>
        Assert.Contains("not an executable", Refusal(ElfWriter.Executable(0x100000, 0x100000, Code, 0, type: 3)));

    [Fact]
    public void TruncatedHeader_IsRefused() =>
        Assert.Contains("truncated ELF header", Refusal(ElfWriter.Executable(0x100000, 0x100000, Code, 0)[..30]));

    [Fact]
    public void TruncatedSegment_IsRefused()
    {
        byte[] full = ElfWriter.Executable(0x100000, 0x100000, new byte[64], 0);
        Assert.Contains("truncated: segment 0", Refusal(full[..(full.Length - 10)]));
    }

    [Fact]
    public void SegmentOutsideRam_IsRefused()
    {
        var image = ElfImage.Parse("big.elf", ElfWriter.Executable(0x100000, 0xFF0000, Code, bssSize: 0x100000));
        var e = Assert.Throws<ImageException>(() => image.CheckFits(16 * 1024 * 1024));
        Assert.Contains("outside guest RAM", e.Message);
    }

    [Fact]
    public void Refusals_AreOneLine()
    {
        foreach (byte[] bad in new[] { "x"u8.ToArray(), ElfWriter.Executable(1, 1, Code, 0, machine: 40) })
            Assert.DoesNotContain('\n', Refusal(bad));
    }

    [Fact]
    public void ValidImage_LoadsItsSegmentAndEntry()
    {
        var image = ElfImage.Parse("ok.elf", ElfWriter.Executable(0x100004, 0x100000, new byte[16], 16));
        Assert.Equal(0x100004u, image.Entry);
        var s = Assert.Single(image.Segments);
        Assert.Equal(32u, s.MemorySize);
    }
}
