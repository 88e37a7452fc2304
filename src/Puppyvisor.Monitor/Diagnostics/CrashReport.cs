// [H:900] What a kernel developer needs when a guest dies: the exception chain (a page
// fault's error code in words, with CR2), the registers, and the instruction at EIP
// with its symbol and disassembly.
using System.Globalization;
using System.Text;
using Iced.Intel;

namespace Puppyvisor.Monitor.Diagnostics;

public static class CrashReport
{
    public static string TripleFault(Guest guest)
    {
        var cpu = guest.Cpu;
        var sb = new StringBuilder();
        sb.Append("triple fault: ").Append(string.Join(" -> ", cpu.FaultChain)).AppendLine();
        // Each page fault's error code in words; CR2 holds the address of the last one.
        var pageFaults = cpu.FaultChain.Where(f => f.StartsWith("#PF(0x", StringComparison.Ordinal)).ToList();
        foreach (string fault in pageFaults.Distinct())
        {
            uint code = uint.Parse(fault.AsSpan(6, fault.Length - 7), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            sb.Append("  ").Append(fault).Append(": ").Append(PageFaultErrorText(code));
            if (fault == pageFaults[^1]) sb.Append(CultureInfo.InvariantCulture, $", CR2={cpu.Cr2:x8}");
            sb.AppendLine();
        }
        sb.Append(Registers(cpu)).AppendLine();
        sb.Append("  ").Append(DisassembleAt(guest, cpu.Eip));
        return sb.ToString();
    }

    /// <summary>
    /// A #PF error code in words (SDM Vol. 3A, 4.7): "not-present write from user",
    /// "protection-violation read from supervisor"; the rarer bits are appended.
    /// </summary>
    public static string PageFaultErrorText(uint code)
    {
        var text = new StringBuilder();
        text.Append((code & Cpu.Cpu.PfPresent) != 0 ? "protection-violation" : "not-present");
        text.Append((code & Cpu.Cpu.PfWrite) != 0 ? " write" : " read");
        text.Append((code & Cpu.Cpu.PfUser) != 0 ? " from user" : " from supervisor");
        if ((code & 8) != 0) text.Append(", reserved bit set");
        if ((code & 16) != 0) text.Append(", instruction fetch");
        return text.ToString();
    }

    public static string Registers(Cpu.Cpu cpu) =>
        $"  EAX={cpu.Gpr[0]:x8} EBX={cpu.Gpr[3]:x8} ECX={cpu.Gpr[1]:x8} EDX={cpu.Gpr[2]:x8} ESI={cpu.Gpr[6]:x8} EDI={cpu.Gpr[7]:x8} EBP={cpu.Gpr[5]:x8} ESP={cpu.Gpr[4]:x8}\n" +
        $"  EIP={cpu.Eip:x8} EFLAGS={cpu.Eflags:x8} CS={cpu.Selectors[1]:x4} SS={cpu.Selectors[2]:x4} DS={cpu.Selectors[3]:x4} " +
        $"CR0={cpu.Cr0:x8} CR2={cpu.Cr2:x8} CR3={cpu.Cr3:x8} CR4={cpu.Cr4:x8}";

    /// <summary>"0x00100123 <main+0x13>: 0f 0b  ud2" for the instruction at a linear address.</summary>
    public static string DisassembleAt(Guest guest, uint eip)
    {
        Span<byte> bytes = stackalloc byte[15];
        int n = 0;
        for (; n < 15; n++)
        {
            if (!guest.Cpu.TryReadLinear(eip + (uint)n, bytes.Slice(n, 1))) break;
        }
        string symbol = guest.Image.SymbolFor(eip) is { } s ? $" <{s}>" : "";
        if (n == 0) return $"0x{eip:x8}{symbol}: <not mapped>";
        var decoder = Iced.Intel.Decoder.Create(32, new ByteArrayCodeReader(bytes[..n].ToArray()), eip);
        decoder.Decode(out Instruction insn);
        var output = new StringOutput();
        new NasmFormatter().Format(insn, output);
        string hex = Convert.ToHexString(bytes[..Math.Min(insn.Length == 0 ? n : insn.Length, n)]).ToLowerInvariant();
        return $"0x{eip:x8}{symbol}: {hex}  {output.ToStringAndReset()}";
    }
}
