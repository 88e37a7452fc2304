// The ABI is written twice, once per language: firmware/include/puppyvisor.h and the C#
// constants. This test keeps them in step, as lguest's asm-offsets.h did for asm and C.
using System.Globalization;
using System.Text.RegularExpressions;
using Puppyvisor.Cpu.Instructions;
using Puppyvisor.Monitor.Devices;
using Puppyvisor.Monitor.Hypercalls;
using Puppyvisor.Monitor.Loading;

namespace Puppyvisor.Monitor.Tests;

public partial class AbiHeaderTests
{
    static readonly Dictionary<string, ulong> Header = ParseHeader();

    static Dictionary<string, ulong> ParseHeader()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Puppyvisor.sln"))) dir = Path.GetDirectoryName(dir);
        string path = Path.Combine(dir!, "firmware", "include", "puppyvisor.h");
        var result = new Dictionary<string, ulong>();
        foreach (Match m in Define().Matches(File.ReadAllText(path)))
        {
            string v = m.Groups[2].Value;
            ulong value = m.Groups[3].Success
                ? 1UL << int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)
                : v.StartsWith("0x") ? ulong.Parse(v[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : ulong.Parse(v, CultureInfo.InvariantCulture);
            result[m.Groups[1].Value] = value;
        }
        return result;
    }

    [GeneratedRegex(@"^#define\s+(\w+)\s+(0x[0-9A-Fa-f]+|\d+|\(1u?<<(\d+)\))\s*$", RegexOptions.Multiline)]
    private static partial Regex Define();

    [Fact]
    public void HypercallNumbers_MatchTheHeader()
    {
        foreach (HypercallNumber n in Enum.GetValues<HypercallNumber>())
            Assert.Equal((ulong)n, Header[n.ToString()]);
        Assert.Equal(Enum.GetValues<HypercallNumber>().Length, Header.Keys.Count(k => k.StartsWith("HCALL_")));
    }

    [Fact]
    public void VersionVectorsAndErrnos_MatchTheHeader()
    {
        Assert.Equal(Abi.Version, Header["PUPPYVISOR_ABI_VERSION"]);
        Assert.Equal((ulong)Abi.IrqBaseVector, Header["IRQ_BASE_VECTOR"]);
        Assert.Equal((ulong)Time.ClockEventDevice.Irq, Header["TIMER_IRQ"]);
        Assert.Equal((ulong)Errno.EPERM, Header["EPERM"]);
        Assert.Equal((ulong)Errno.EFAULT, Header["EFAULT"]);
        Assert.Equal((ulong)Errno.ENOSYS, Header["ENOSYS"]);
        Assert.Equal((ulong)Errno.ETIME, Header["ETIME"]);
    }

    [Fact]
    public void CpuidLeavesAndPorts_MatchTheHeader()
    {
        Assert.Equal(CpuidLeaves.HypervisorBase, Header["PV_CPUID_BASE"]);
        Assert.Equal(CpuidLeaves.HypervisorFeatures, Header["PV_CPUID_FEATURES"]);
        Assert.Equal(CpuidLeaves.HypervisorTscKhz, Header["PV_CPUID_TSC_KHZ"]);
        Assert.Equal(CpuidLeaves.PvFeatures, Header["PV_FEATURE_CLOCKEVENT"] | Header["PV_FEATURE_CONSOLE"] | Header["PV_FEATURE_WALLCLOCK"]);
        Assert.Equal((ulong)Uart16550.Base, Header["COM1_PORT"]);
        Assert.Equal((ulong)PortBus.DebugConsolePort, Header["DEBUGCON_PORT"]);
        Assert.Equal((ulong)PortBus.DebugExitPort, Header["DEBUG_EXIT_PORT"]);
        Assert.Equal(Multiboot.HeaderMagic, Header["MULTIBOOT_HEADER_MAGIC"]);
        Assert.Equal(Multiboot.BootMagic, Header["MULTIBOOT_BOOTLOADER_MAGIC"]);
    }
}
