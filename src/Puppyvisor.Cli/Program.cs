// [L:000] The `puppyvisor` command: run guests, disassemble images.
//
// Every failure the monitor can name ends with one line on stderr and a
// sysexits-style status (README); a host stack trace is a bug.
using System.CommandLine;
using Puppyvisor.Cli;

var root = new RootCommand("Puppyvisor: a paravirtual x86 guest-kernel emulator in the line of lguest")
{
    RunCommand.Create(),
    DisasmCommand.Create(),
    VectorsCommand.Create(),
    FuzzCommand.Create(),
};
ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
{
    foreach (var error in parse.Errors) Console.Error.WriteLine($"puppyvisor: {error.Message}");
    Console.Error.WriteLine("Try 'puppyvisor --help'.");
    return Puppyvisor.Monitor.ExitCodes.Usage;
}
return parse.Invoke();
