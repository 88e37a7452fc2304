// [L:040] `puppyvisor fuzz`: run the CPU fuzzer (Cpu/Conformance/Fuzzer.cs) for a time or a count.
using System.CommandLine;
using Puppyvisor.Cpu.Conformance;
using Puppyvisor.Monitor;

namespace Puppyvisor.Cli;

internal static class FuzzCommand
{
    public static Command Create()
    {
        var seed = new Option<ulong>("--seed") { Description = "the first run's seed; run i uses seed + i (default 1)", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double?>("--seconds") { Description = "run for this long (default 10 s when no other limit is given)" };
        var instructions = new Option<long?>("--instructions") { Description = "run until this many instructions have retired" };
        var runs = new Option<long?>("--runs") { Description = "run this many seeds (--seed S --runs 1 replays one failure)" };
        var trace = new Option<bool>("--trace") { Description = "describe every slice and step on stderr (use with --runs 1)" };
        var kind = new Option<string>("--kind") { Description = "bytes (random byte streams), valid (random valid instructions) or both", DefaultValueFactory = _ => "both" };
        kind.AcceptOnlyFromAmong("bytes", "valid", "both");
        var command = new Command("fuzz", "Fuzz the CPU with random code; report instructions/s, exceptions by vector and any failure with its seed")
        {
            seed, seconds, instructions, runs, kind, trace,
        };
        command.SetAction(parse =>
        {
            double? s = parse.GetValue(seconds);
            long? n = parse.GetValue(instructions), r = parse.GetValue(runs);
            if (s is <= 0 || n is < 1 || r is < 1)
            {
                Console.Error.WriteLine("puppyvisor: --seconds, --instructions and --runs must be positive");
                return ExitCodes.Usage;
            }
            if (s is not null && n is not null)
            {
                Console.Error.WriteLine("puppyvisor: give --seconds or --instructions, not both");
                return ExitCodes.Usage;
            }
            var options = new FuzzOptions
            {
                Seed = parse.GetValue(seed),
                Instructions = n ?? long.MaxValue,
                Runs = r ?? long.MaxValue,
                Duration = s is { } secs ? TimeSpan.FromSeconds(secs) : n is null && r is null ? TimeSpan.FromSeconds(10) : null,
                Kind = parse.GetValue(kind) switch { "bytes" => FuzzKind.RandomBytes, "valid" => FuzzKind.ValidSequence, _ => null },
                OnStuck = failure =>
                {
                    Console.Out.Write(failure.ToString());
                    Console.Out.Flush();
                    Environment.Exit(ExitCodes.Software);
                },
            };
            var fuzzer = new Fuzzer { Trace = parse.GetValue(trace) ? Console.Error : null };
            FuzzReport report = fuzzer.Run(options);
            Console.Write(report.Summary());
            return report.Failures.Count == 0 ? 0 : 1;
        });
        return command;
    }
}
