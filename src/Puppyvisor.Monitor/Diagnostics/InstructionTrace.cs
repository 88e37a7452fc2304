// [H:940] --trace-insns N: the last instructions a guest executed, when it stops.
//
// The CPU keeps the EIPs in a ring only when asked (Cpu.TraceInstructions); here each
// becomes "address <symbol>: bytes  disassembly", read from the guest's memory as it is
// at the end (code the guest rewrote shows its new bytes).
using System.Text;

namespace Puppyvisor.Monitor.Diagnostics;

public static class InstructionTrace
{
    public static string Format(Guest guest)
    {
        IReadOnlyList<uint> eips = guest.Cpu.RecentInstructions();
        var sb = new StringBuilder();
        string why = guest.StopReason == StopReason.None ? "still running" : $"{guest.StopReason}, status {guest.ExitStatus}";
        sb.Append($"puppyvisor: {guest.Name}: last {eips.Count} instructions ({why}), oldest first:\n");
        foreach (uint eip in eips) sb.Append("  ").Append(CrashReport.DisassembleAt(guest, eip)).Append('\n');
        return sb.ToString();
    }
}
