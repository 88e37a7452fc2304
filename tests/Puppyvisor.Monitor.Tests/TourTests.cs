// The reading order (lguest's tools/lguest/extract idea): every source file opens with a
// tag like "// [H:200] The host's high-resolution timer queue." -- C for the CPU, H for the
// monitor, L for the loader and command. Tags are unique, and sorted they are the tour.
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Puppyvisor.Monitor.Tests;

public partial class TourTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"^// \[([A-Z]):([0-9]{3})\] (.*)$", RegexOptions.Multiline)]
    private static partial Regex Tag();

    static string SourceRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Puppyvisor.sln"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir!, "src");
    }

    static IEnumerable<string> Sources() =>
        Directory.EnumerateFiles(SourceRoot(), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    [Fact]
    public void EverySourceFile_OpensWithATourTag()
    {
        var untagged = Sources().Where(f => !Tag().IsMatch(File.ReadAllText(f))).Select(Path.GetFileName).ToList();
        Assert.True(untagged.Count == 0, "no tour tag: " + string.Join(", ", untagged));
    }

    [Fact]
    public void TourTags_AreUnique_AndPrintTheTour()
    {
        var tags = Sources().SelectMany(f => Tag().Matches(File.ReadAllText(f)).Select(m => (Key: $"{m.Groups[1].Value}:{m.Groups[2].Value}", Title: m.Groups[3].Value, File: Path.GetRelativePath(SourceRoot(), f)))).ToList();
        var duplicates = tags.GroupBy(t => t.Key).Where(g => g.Count() > 1).Select(g => $"{g.Key} in {string.Join(" and ", g.Select(t => t.File))}").ToList();
        Assert.True(duplicates.Count == 0, "duplicate tags: " + string.Join("; ", duplicates));
        foreach (var t in tags.OrderBy(t => "LCH".IndexOf(t.Key[0])).ThenBy(t => t.Key, StringComparer.Ordinal))
            output.WriteLine($"[{t.Key}] {t.Title}  ({t.File})");
    }
}
