// Finding the repository's files, running the `puppyvisor` command, and skipping
// (visibly) the tests whose outside tool is missing -- except in CI, where .ci/run
// installs every tool and a missing one must fail the run instead.
using System.Diagnostics;
using System.Text;

namespace Puppyvisor.Guests.Tests;

internal static class Repo
{
    public static readonly string Root = FindRoot();

    static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Puppyvisor.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("Puppyvisor.sln not found above the test binaries");
    }

    public static string Image(string name) => Path.Combine("guest-images", name, name + ".elf");
}

internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

internal static class Puppy
{
    static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "puppyvisor.dll");

    /// <summary>Runs `puppyvisor ARGS` from the repository root, as a user would.</summary>
    public static CommandResult Run(params string[] args) => Tool.Run("dotnet", [Dll, .. args]);

    /// <summary>Starts `puppyvisor ARGS` in the background (a guest that waits for gdb).</summary>
    public static BackgroundCommand Start(params string[] args) => new("dotnet", [Dll, .. args]);
}

/// <summary>A command running in the background, its output collected as it comes.</summary>
internal sealed class BackgroundCommand : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _stdout = new(), _stderr = new();

    public BackgroundCommand(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.Append(e.Data).Append('\n'); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Append(e.Data).Append('\n'); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits until stderr matches <paramref name="pattern"/>; returns the match.</summary>
    public System.Text.RegularExpressions.Match WaitForStderr(string pattern, int timeoutMs = 60_000)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.ElapsedMilliseconds < timeoutMs)
        {
            string text;
            lock (_stderr) text = _stderr.ToString();
            var m = System.Text.RegularExpressions.Regex.Match(text, pattern);
            if (m.Success) return m;
            if (_process.HasExited) break;
            Thread.Sleep(20);
        }
        lock (_stderr) throw new TimeoutException($"no '{pattern}' on stderr; stderr so far:\n{_stderr}");
    }

    public CommandResult WaitForExit(int timeoutMs = 120_000)
    {
        if (!_process.WaitForExit(timeoutMs))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the command did not finish in {timeoutMs} ms");
        }
        _process.WaitForExit();
        lock (_stdout) lock (_stderr) return new CommandResult(_process.ExitCode, _stdout.ToString(), _stderr.ToString());
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

internal static class Tool
{
    public static CommandResult Run(string program, string[] args, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        p.WaitForExit();
        return new CommandResult(p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
}

/// <summary>A fact that needs an outside tool: skipped (and said so) where it is missing, never in CI.</summary>
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(string tool)
    {
        if (!Tool.OnPath(tool) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"{tool} is not installed (CI installs it)";
    }
}
