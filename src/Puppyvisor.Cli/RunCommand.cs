// [L:010] `puppyvisor run IMAGE...`: boot guests and run them to their end.
using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Puppyvisor.Monitor;
using Puppyvisor.Monitor.Debugger;
using Puppyvisor.Monitor.Diagnostics;
using Puppyvisor.Cpu;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;
using Serilog;
using Serilog.Events;

namespace Puppyvisor.Cli;

internal static class RunCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore, Description = "ELF32 guest images (one guest each)" };
        var memory = new Option<string>("--memory") { Description = "guest RAM per guest, e.g. 16M, 65536K (default 16M)", DefaultValueFactory = _ => "16M" };
        var cmdline = new Option<string>("--cmdline") { Description = "the multiboot command line after the image name", DefaultValueFactory = _ => "" };
        var maxInsns = new Option<long?>("--max-insns") { Description = "stop a guest after N instructions (exit 75)" };
        var stats = new Option<bool>("--stats") { Description = "print statistics at exit (stderr)" };
        var statsJson = new Option<string?>("--stats-json") { Description = "write statistics as JSON to FILE" };
        var clock = new Option<string>("--clock") { Description = "virtual (deterministic) or host (real time)", DefaultValueFactory = _ => "host" };
        clock.AcceptOnlyFromAmong("virtual", "host");
        var nsPerInsn = new Option<long>("--ns-per-insn") { Description = "virtual nanoseconds per instruction (virtual clock)", DefaultValueFactory = _ => 1 };
        var guests = new Option<int>("--guests") { Description = "run N copies of each image", DefaultValueFactory = _ => 1 };
        var wallclock = new Option<long?>("--wallclock") { Description = "seconds since 1970 at boot (default: 2026-01-01 on the virtual clock, now on the host clock)" };
        var tscKhz = new Option<uint>("--tsc-khz") { Description = "advertised TSC frequency in kHz", DefaultValueFactory = _ => 1_000_000 };
        var logLevel = new Option<string>("--log-level") { Description = "verbose, debug, information, warning, error", DefaultValueFactory = _ => "warning" };
        logLevel.AcceptOnlyFromAmong("verbose", "debug", "information", "warning", "error", "fatal");
        var logFile = new Option<string?>("--log-file") { Description = "also write logs to FILE as compact JSON" };
        var noDecodeCache = new Option<bool>("--no-decode-cache") { Description = "decode every instruction at every execution" };
        var noTlb = new Option<bool>("--no-tlb") { Description = "walk the page tables on every access" };
        var noFastForms = new Option<bool>("--no-fast-forms") { Description = "run every instruction through its family handler (no compact fast forms)" };
        var compiler = new Option<string>("--compiler")
        {
            Description = "compile hot blocks to .NET methods: background (default), immediate (at once, for tests) or off (interpret every block)",
            DefaultValueFactory = _ => "background",
        };
        compiler.AcceptOnlyFromAmong("background", "immediate", "off");
        var trace = new Option<string?>("--trace") { Description = "write a timeline to FILE (Chrome Trace Event JSON; open it in https://ui.perfetto.dev)" };
        var traceInsns = new Option<int>("--trace-insns") { Description = "print the last N instructions of each guest when it stops (stderr)" };
        var gdb = new Option<string?>("--gdb") { Description = "debug the first guest (g0) with gdb: a remote stub on HOST:PORT (':PORT' is 127.0.0.1; port 0 picks one)" };
        var gdbWait = new Option<bool>("--gdb-wait") { Description = "with --gdb: wait for gdb before the guest's first instruction" };
        var gdbAnyAddress = new Option<bool>("--gdb-any-address") { Description = "with --gdb: allow a non-loopback address (whoever connects controls the guest)" };

        var command = new Command("run", "Boot one or more guest images and run them to their end")
        {
            images, memory, cmdline, maxInsns, stats, statsJson, clock, nsPerInsn, guests, wallclock, tscKhz,
            logLevel, logFile, noDecodeCache, noTlb, noFastForms, compiler, trace, traceInsns, gdb, gdbWait, gdbAnyAddress,
        };
        command.SetAction(parse =>
        {
            string? error =
                parse.GetValue(nsPerInsn) < 1 ? "--ns-per-insn must be at least 1" :
                parse.GetValue(guests) is < 1 or > 256 ? "--guests must be between 1 and 256" :
                parse.GetValue(maxInsns) is < 1 ? "--max-insns must be at least 1" :
                parse.GetValue(tscKhz) < 1 ? "--tsc-khz must be at least 1" :
                parse.GetValue(traceInsns) is < 0 or > 1_000_000 ? "--trace-insns must be between 0 and 1000000" :
                parse.GetValue(gdb) is null && (parse.GetValue(gdbWait) || parse.GetValue(gdbAnyAddress)) ? "--gdb-wait and --gdb-any-address need --gdb" :
                parse.GetValue(gdb) is { } g && !GdbEndPoint.TryParse(g, parse.GetValue(gdbAnyAddress), out _, out string gdbError) ? gdbError :
                parse.GetValue(images)!.FirstOrDefault(i => i.StartsWith('-')) is { } unknown ? $"unknown option '{unknown}'" :
                !TryParseSize(parse.GetValue(memory)!, out _) ? $"--memory: '{parse.GetValue(memory)}' is not a size from 1M to 3G in whole 4K pages (e.g. 16M)" :
                null;
            if (error is not null)
            {
                Console.Error.WriteLine($"puppyvisor: {error}");
                return ExitCodes.Usage;
            }
            TryParseSize(parse.GetValue(memory)!, out uint memBytes);
            var clockKind = parse.GetValue(clock) == "virtual" ? ClockKind.Virtual : ClockKind.Host;
            var options = new MachineOptions
            {
                MemoryBytes = memBytes,
                CommandLine = parse.GetValue(cmdline) ?? "",
                MaxInstructions = parse.GetValue(maxInsns),
                Clock = clockKind,
                NsPerInstruction = parse.GetValue(nsPerInsn),
                TscKhz = parse.GetValue(tscKhz),
                WallclockEpoch = parse.GetValue(wallclock) ?? (clockKind == ClockKind.Virtual
                    ? MachineOptions.DefaultVirtualEpoch : DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
                DecodeCache = !parse.GetValue(noDecodeCache),
                Tlb = !parse.GetValue(noTlb),
                FastForms = !parse.GetValue(noFastForms),
                Compiler = parse.GetValue(compiler) switch
                {
                    "off" => BlockCompilation.Off,
                    "immediate" => BlockCompilation.Immediate,
                    _ => BlockCompilation.Background,
                },
            };
            using var log = CreateLogger(parse.GetValue(logLevel)!, parse.GetValue(logFile));
            IPEndPoint? gdbEndPoint = null;
            if (parse.GetValue(gdb) is { } text) GdbEndPoint.TryParse(text, parse.GetValue(gdbAnyAddress), out gdbEndPoint, out _);
            var debug = new DebugOptions(parse.GetValue(traceInsns), gdbEndPoint, parse.GetValue(gdbWait));
            return Run(parse.GetValue(images)!, parse.GetValue(guests), options, log, parse.GetValue(stats), parse.GetValue(statsJson),
                parse.GetValue(trace), debug);
        });
        return command;
    }

    /// <summary>--trace-insns, and --gdb with its endpoint and --gdb-wait.</summary>
    internal sealed record DebugOptions(int TraceInstructions = 0, IPEndPoint? Gdb = null, bool GdbWait = false);

    internal static int Run(string[] imagePaths, int copies, MachineOptions options, Serilog.Core.Logger log, bool stats, string? statsJson,
        string? tracePath = null, DebugOptions? debug = null)
    {
        debug ??= new DebugOptions();
        var images = new List<ElfImage>();
        try
        {
            foreach (string path in imagePaths)
            {
                if (!File.Exists(path)) { Console.Error.WriteLine($"puppyvisor: {path}: no such file"); return ExitCodes.NoInput; }
                ElfImage image = ElfImage.Load(path);
                image.CheckFits(options.MemoryBytes);
                for (int i = 0; i < copies; i++) images.Add(image);
            }
            using TraceWriter? trace = tracePath is null ? null : new TraceWriter(tracePath, options.Clock);
            var machine = new Machine(options, images, Console.Out, log, trace);
            foreach (Guest g in machine.Guests) g.Cpu.TraceInstructions(debug.TraceInstructions);
            using GuestDebugger? debugger = debug.Gdb is null ? null : GuestDebugger.Attach(machine.Guests[0], debug.Gdb, debug.GdbWait, log);
            if (debugger is not null)
                Console.Error.WriteLine($"puppyvisor: gdb stub for g0 ({Path.GetFileName(images[0].Path)}) listening on {debugger.EndPoint}" +
                    (debug.GdbWait ? "; the guest waits for gdb ('target remote " + debugger.EndPoint + "')" : ""));
            int status = machine.Run();
            if (debug.TraceInstructions > 0) foreach (Guest g in machine.Guests) Console.Error.Write(InstructionTrace.Format(g));
            if (stats) Console.Error.Write(StatsReport.Text(machine));
            if (statsJson is not null) File.WriteAllText(statsJson, StatsReport.Json(machine));
            return status;
        }
        catch (ImageException e)
        {
            Console.Error.WriteLine($"puppyvisor: {e.Message}");
            return ExitCodes.BadImage;
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"puppyvisor: --gdb {debug.Gdb}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"puppyvisor: {e.Message}");
            return ExitCodes.Software;
        }
    }

    static Serilog.Core.Logger CreateLogger(string level, string? file)
    {
        var min = Enum.Parse<LogEventLevel>(level, ignoreCase: true);
        var config = new LoggerConfiguration().MinimumLevel.Is(min)
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, outputTemplate: "puppyvisor: {Level:u3} {Message:lj}{NewLine}");
        if (file is not null) config = config.WriteTo.File(new Serilog.Formatting.Compact.CompactJsonFormatter(), file);
        return config.CreateLogger();
    }

    /// <summary>"16M", "16MiB", "65536K", "16777216": a size of 1 MiB to 3 GiB, a multiple of 4 KiB.</summary>
    internal static bool TryParseSize(string text, out uint bytes)
    {
        bytes = 0;
        string t = text.Trim().ToUpperInvariant().Replace("IB", "").Replace("B", "");
        ulong multiplier = 1;
        if (t.EndsWith('K')) { multiplier = 1024; t = t[..^1]; }
        else if (t.EndsWith('M')) { multiplier = 1024 * 1024; t = t[..^1]; }
        else if (t.EndsWith('G')) { multiplier = 1024 * 1024 * 1024; t = t[..^1]; }
        if (!ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)) return false;
        ulong total = n * multiplier;
        if (n > uint.MaxValue || total < 0x10_0000 || total > 3UL << 30 || (total & 0xFFF) != 0) return false;
        bytes = (uint)total;
        return true;
    }
}
