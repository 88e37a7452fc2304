// The hardware test vectors of tests/vectors/, one theory case per vector, run with the
// decode cache on and off.
using Puppyvisor.Cpu.Conformance;

namespace Puppyvisor.Cpu.Tests;

public class VectorTests
{
    static readonly Dictionary<string, TestVector> Vectors = LoadAll();

    static Dictionary<string, TestVector> LoadAll()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Puppyvisor.sln"))) dir = Path.GetDirectoryName(dir);
        var all = new Dictionary<string, TestVector>();
        foreach (string file in Directory.GetFiles(Path.Combine(dir!, "tests", "vectors"), "*.jsonl").Order())
            foreach (TestVector v in TestVector.Load(file)) all.Add(v.Name, v);
        return all;
    }

    public static IEnumerable<object[]> Names => Vectors.Keys.Select(n => new object[] { n });

    [ThreadStatic] static VectorRunner? _cached, _uncached;

    [Theory]
    [MemberData(nameof(Names))]
    public void Vector_MatchesTheRealCpu(string name)
    {
        TestVector v = Vectors[name];
        var diffs = (_cached ??= new VectorRunner()).Run(v);
        Assert.True(diffs.Count == 0, VectorRunner.FormatFailure(v, diffs));
    }

    [Fact]
    public void AllVectors_PassWithTheDecodeCacheTlbAndFastFormsOff()
    {
        var runner = _uncached ??= new VectorRunner(decodeCache: false, tlb: false, fastForms: false);
        var failures = Vectors.Values.Select(v => (v, d: runner.Run(v))).Where(x => x.d.Count > 0).Take(5).ToList();
        Assert.True(failures.Count == 0, string.Concat(failures.Select(f => VectorRunner.FormatFailure(f.v, f.d))));
    }

    [Fact]
    public void TheVectorSet_IsLarge_AndHasBothOracles()
    {
        Assert.True(Vectors.Count > 5000);
        Assert.Contains(Vectors.Values, v => v.Oracle == "host-x86-64");
        Assert.Contains(Vectors.Values, v => v.Oracle != "host-x86-64");
    }
}
