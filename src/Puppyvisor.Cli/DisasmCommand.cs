// [L:020] `puppyvisor disasm IMAGE [SYMBOL]`: Iced's formatter with the ELF's symbols.
using System.CommandLine;
using Iced.Intel;
using Puppyvisor.Monitor;
using Puppyvisor.Monitor.Loading;

namespace Puppyvisor.Cli;

internal static class DisasmCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("IMAGE") { Description = "an ELF32 guest image" };
        var symbol = new Argument<string?>("SYMBOL") { Arity = ArgumentArity.ZeroOrOne, Description = "only this function" };
        var command = new Command("disasm", "Disassemble the executable segments of an image") { image, symbol };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(image)!;
            if (!File.Exists(path)) { Console.Error.WriteLine($"puppyvisor: {path}: no such file"); return ExitCodes.NoInput; }
            try { return Disassemble(ElfImage.Load(path), parse.GetValue(symbol), Console.Out); }
            catch (ImageException e) { Console.Error.WriteLine($"puppyvisor: {e.Message}"); return ExitCodes.BadImage; }
        });
        return command;
    }

    internal static int Disassemble(ElfImage elf, string? symbolName, TextWriter output)
    {
        var ranges = new List<(uint Start, uint End, uint FileOffset)>();
        foreach (LoadSegment s in elf.Segments)
            if (s.Executable && s.FileSize > 0) ranges.Add((s.VirtualAddress, s.VirtualAddress + s.FileSize, s.FileOffset));
        uint? only = null, onlyEnd = null;
        if (symbolName is not null)
        {
            if (elf.FindSymbol(symbolName) is not { } sym) { Console.Error.WriteLine($"puppyvisor: {symbolName}: no such symbol in {Path.GetFileName(elf.Path)}"); return ExitCodes.Usage; }
            only = sym.Address; onlyEnd = sym.Address + Math.Max(sym.Size, 1u);
        }
        var labels = elf.Symbols.Where(s => s.IsFunction || s.Size == 0).GroupBy(s => s.Address).ToDictionary(g => g.Key, g => g.First().Name);
        var formatter = new NasmFormatter(new SymbolResolver(elf));
        formatter.Options.FirstOperandCharIndex = 8;
        var text = new StringOutput();
        foreach (var (start, end, fileOffset) in ranges)
        {
            uint from = only is { } o ? Math.Max(start, o) : start, to = onlyEnd is { } e ? Math.Min(end, e) : end;
            if (from >= to) continue;
            var reader = new ByteArrayCodeReader(elf.Bytes, (int)(fileOffset + (from - start)), (int)(to - from));
            var decoder = Iced.Intel.Decoder.Create(32, reader, from);
            while (decoder.IP < to)
            {
                decoder.Decode(out Instruction insn);
                if (labels.TryGetValue((uint)insn.IP, out string? label)) output.WriteLine($"\n{insn.IP32:x8} <{label}>:");
                formatter.Format(insn, text);
                int off = (int)(fileOffset + (insn.IP32 - start));
                string hex = Convert.ToHexString(elf.Bytes, off, Math.Min(insn.Length, elf.Bytes.Length - off)).ToLowerInvariant();
                output.WriteLine($"  {insn.IP32:x8}:  {hex,-20}  {text.ToStringAndReset()}");
            }
        }
        return 0;
    }

    sealed class SymbolResolver(ElfImage elf) : ISymbolResolver
    {
        public bool TryGetSymbol(in Instruction instruction, int operand, int instructionOperand, ulong address, int addressSize, out SymbolResult symbol)
        {
            if (address <= uint.MaxValue && elf.Symbols.FirstOrDefault(s => s.Address == (uint)address) is { Name: not null } s)
            {
                symbol = new SymbolResult(address, s.Name);
                return true;
            }
            symbol = default;
            return false;
        }
    }
}
