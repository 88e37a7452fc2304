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
