// [C:955] Undefined flags: what the real CPU left in them, and whether Puppyvisor leaves the same.
//
// The vectors' expect.eflags carry the hardware's value even for the flags the SDM leaves
// undefined (flags_mask says which are defined). For each mnemonic and undefined flag this
// sorts the hardware's values into a rule -- always 0, always 1, unchanged from before the
// instruction, or something data-dependent -- and counts how often Puppyvisor agrees.
// tests/vectors/UNDEFINED-FLAGS.md is written from its table (`puppyvisor vectors --undefined-flags`).
using System.Text;

namespace Puppyvisor.Cpu.Conformance;

/// <summary>One mnemonic's undefined flag over the vectors where it is undefined.</summary>
public sealed record UndefinedFlagFinding(string Mnemonic, string Flag, int Samples, int HardwareSet, int HardwareUnchanged, int PuppyvisorAgrees)
{
    /// <summary>The simplest rule that explains every hardware value: "0", "1", "unchanged", else "varies".</summary>
    public string HardwareRule =>
        HardwareSet == 0 ? (HardwareUnchanged == Samples ? "0 (= unchanged)" : "0") :
        HardwareSet == Samples ? (HardwareUnchanged == Samples ? "1 (= unchanged)" : "1") :
        HardwareUnchanged == Samples ? "unchanged" : "varies";

    public bool PuppyvisorMatches => PuppyvisorAgrees == Samples;
}

public static class UndefinedFlags
{
    static readonly (uint Bit, string Name)[] Flags =
        [(Cpu.CF, "CF"), (Cpu.PF, "PF"), (Cpu.AF, "AF"), (Cpu.ZF, "ZF"), (Cpu.SF, "SF"), (Cpu.OF, "OF")];

    /// <summary>The mnemonic of a vector: its name up to the first '_' (add_r32_r32_01/0017 -> add).</summary>
    public static string MnemonicOf(TestVector v) => v.Name[..v.Name.IndexOf('_')];

    public static List<UndefinedFlagFinding> Analyze(IEnumerable<TestVector> vectors, VectorRunner runner)
    {
        var tally = new Dictionary<(string, string), int[]>();
        var order = new List<(string, string)>();
        foreach (TestVector v in vectors)
        {
            uint undefined = Cpu.ArithFlags & ~v.FlagsMask;
            if (undefined == 0 || v.Exception is not null) continue;
            runner.Run(v);
            uint ours = runner.LastEflags;
            foreach (var (bit, name) in Flags)
            {
                if ((undefined & bit) == 0) continue;
                var key = (MnemonicOf(v), name);
                if (!tally.TryGetValue(key, out int[]? t)) { tally[key] = t = new int[4]; order.Add(key); }
                uint hardware = v.Expect.Eflags & bit;
                t[0]++;
                if (hardware != 0) t[1]++;
                if (hardware == (v.Init.Eflags & bit)) t[2]++;
                if ((ours & bit) == hardware) t[3]++;
            }
        }
        return order.Select(k => new UndefinedFlagFinding(k.Item1, k.Item2, tally[k][0], tally[k][1], tally[k][2], tally[k][3])).ToList();
    }

    /// <summary>A Markdown table: mnemonic, flag, samples, the hardware's rule, Puppyvisor's agreement.</summary>
    public static string Table(IEnumerable<UndefinedFlagFinding> findings)
    {
        var sb = new StringBuilder();
        sb.Append("| mnemonic | flag | vectors | hardware | Puppyvisor agrees |\n| --- | --- | ---: | --- | ---: |\n");
        foreach (var f in findings)
            sb.Append($"| {f.Mnemonic} | {f.Flag} | {f.Samples} | {f.HardwareRule}{(f.HardwareRule == "varies" ? $" ({f.HardwareSet} set)" : "")} | " +
                $"{(f.PuppyvisorMatches ? "all" : $"{f.PuppyvisorAgrees}")} |\n");
        return sb.ToString();
    }
}
