// [L:030] `puppyvisor vectors FILE...`: run instruction test vectors, print each failure as a diff.
using System.CommandLine;
using Puppyvisor.Cpu.Conformance;
using Puppyvisor.Monitor;

namespace Puppyvisor.Cli;

internal static class VectorsCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = "JSONL vector files (tests/vectors/*.jsonl)" };
        var noDecodeCache = new Option<bool>("--no-decode-cache") { Description = "decode every instruction at every execution" };
        var undefinedFlags = new Option<bool>("--undefined-flags") { Description = "instead, tabulate the flags the SDM leaves undefined: the hardware's values and Puppyvisor's" };
        var command = new Command("vectors", "Run instruction test vectors and report the differences") { files, noDecodeCache, undefinedFlags };
        command.SetAction(parse =>
        {
            var runner = new VectorRunner(decodeCache: !parse.GetValue(noDecodeCache));
            if (parse.GetValue(undefinedFlags))
            {
                string? missing = parse.GetValue(files)!.FirstOrDefault(f => !File.Exists(f));
                if (missing is not null) { Console.Error.WriteLine($"puppyvisor: {missing}: no such file"); return ExitCodes.NoInput; }
                var all = parse.GetValue(files)!.SelectMany(TestVector.Load);
                Console.Write(UndefinedFlags.Table(UndefinedFlags.Analyze(all, runner)));
                return 0;
            }
            int passed = 0, failed = 0;
            foreach (string file in parse.GetValue(files)!)
            {
                if (!File.Exists(file)) { Console.Error.WriteLine($"puppyvisor: {file}: no such file"); return ExitCodes.NoInput; }
                int lineNumber = 0;
                foreach (string line in File.ReadLines(file))
                {
                    lineNumber++;
                    if (line.Length == 0) continue;
                    TestVector v;
                    try { v = TestVector.Parse(line); }
                    catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
                    {
                        Console.Error.WriteLine($"puppyvisor: {file}:{lineNumber}: not a test vector: {e.Message}");
                        return ExitCodes.BadImage;
                    }
                    var diffs = runner.Run(v);
                    if (diffs.Count == 0) passed++;
                    else { failed++; Console.Write(VectorRunner.FormatFailure(v, diffs)); }
                }
            }
            Console.WriteLine($"{passed} passed, {failed} failed");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
