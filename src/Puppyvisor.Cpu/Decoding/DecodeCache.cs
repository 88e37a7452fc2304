// [C:400] Decode once: basic blocks of decoded instructions, cached by address.
//
// Iced decodes an instruction in tens of nanoseconds; a guest loop runs the same
// instructions millions of times. So the first execution at an address decodes a
// basic block (up to a branch, a page end or BlockLimit instructions) and keeps it,
// with each instruction's handler looked up once. A block is found again by its
// linear start and checked against the physical address it was decoded from (a
// different mapping means different code). A write into a physical page that holds
// code drops every block decoded from it (DESIGN §6), and the interpreter stops
// executing the current block after that instruction.
using Iced.Intel;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu.Decoding;

/// <summary>A run of decoded instructions ending at a control transfer.</summary>
public sealed unsafe class DecodedBlock
{
    public uint Linear, Physical;
    public readonly Instruction[] Instructions;
    /// <summary>The compact forms the interpreter runs (MicroOp.cs), one per instruction.</summary>
    public readonly MicroOp[] Ops;
    public int Count;
    /// <summary>Cleared when the guest writes into one of the block's pages.</summary>
    public bool Valid = true;
    /// <summary>The last physical page the block's bytes touch (a block crosses at most one boundary).</summary>
    internal uint LastPage;
    /// <summary>Times the interpreter has run the block (BlockCompiler.Hot).</summary>
    internal int Executions;
    /// <summary>Set when the block has been handed to the compiler, once.</summary>
    internal bool CompileRequested;
    /// <summary>The block as one .NET method, once it is hot (Execution/BlockCompiler.cs).</summary>
    internal CompiledBlock? Compiled;

    // Block chaining: the last two blocks that followed this one, valid while their code is,
    // the translations are (TranslationEpoch) and the privilege level is the same.
    DecodedBlock? _next0, _next1;
    uint _epoch0, _epoch1;
    int _cpl0, _cpl1;

    /// <summary>The block at the CPU's EIP if it is one of the chained successors, else null.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal DecodedBlock? FollowChain(Cpu cpu)
    {
        uint eip = cpu.Eip;
        DecodedBlock? n = _next0;
        if (n is not null && n.Linear == eip && n.Valid && _epoch0 == cpu.TranslationEpoch && _cpl0 == cpu.Cpl) { cpu.Decode.Hits++; return n; }
        n = _next1;
        if (n is not null && n.Linear == eip && n.Valid && _epoch1 == cpu.TranslationEpoch && _cpl1 == cpu.Cpl) { cpu.Decode.Hits++; return n; }
        return null;
    }

    internal void Link(Cpu cpu, DecodedBlock next)
    {
        _next1 = _next0; _epoch1 = _epoch0; _cpl1 = _cpl0;
        _next0 = next; _epoch0 = cpu.TranslationEpoch; _cpl0 = cpu.Cpl;
    }

    internal DecodedBlock(int capacity)
    {
        Instructions = new Instruction[capacity];
        Ops = new MicroOp[capacity];
    }
}

public sealed class DecodeCache
{
    public const int BlockLimit = 32;
    const int FastSlots = 1 << 12;

    readonly Cpu _cpu;
    readonly Dictionary<uint, DecodedBlock> _blocks = new();
    readonly DecodedBlock?[] _fast = new DecodedBlock?[FastSlots];
    readonly Dictionary<uint, List<DecodedBlock>> _blocksByPage = new();
    readonly GuestCodeReader _reader;
    readonly Decoder _decoder;
    readonly DecodedBlock _scratch = new(1);

    /// <summary>Off switch for tests: decode every instruction at every execution.</summary>
    public bool Enabled = true;

    /// <summary>Off switch for tests: run every instruction through its family handler, no compact fast forms.</summary>
    public bool FastForms = true;

    public ulong Hits, Misses, Invalidations;
    public int BlockCount => _blocks.Count;

    /// <summary>Cached blocks that the block compiler has compiled (--stats; counts, so not for a hot path).</summary>
    public int CompiledBlockCount => _blocks.Values.Count(b => b.Compiled is not null);

    internal DecodeCache(Cpu cpu)
    {
        _cpu = cpu;
        _reader = new GuestCodeReader(cpu);
        _decoder = Decoder.Create(32, _reader, DecoderOptions.None);
    }

    /// <summary>
    /// The block starting at linear <paramref name="eip"/>. Returns null with a fault raised
    /// when the first instruction cannot be fetched (#PF on the code page).
    /// </summary>
    public DecodedBlock? Lookup(uint eip)
    {
        if (!_cpu.Translate(eip, AccessKind.Execute, out uint pa)) return null;
        if (!Enabled) return DecodeInto(_scratch, eip, pa, 1) ? _scratch : null;

        int slot = (int)((eip ^ (eip >> 12)) & (FastSlots - 1));
        DecodedBlock? block = _fast[slot];
        if (block is not null && block.Linear == eip && block.Physical == pa && block.Valid)
        {
            Hits++;
            return block;
        }
        if (_blocks.TryGetValue(eip, out block) && block.Physical == pa && block.Valid)
        {
            Hits++;
            _fast[slot] = block;
            return block;
        }
        Misses++;
        block = new DecodedBlock(BlockLimit);
        if (!DecodeInto(block, eip, pa, BlockLimit)) return null;
        if (_blocks.TryGetValue(eip, out DecodedBlock? old)) old.Valid = false;
        _blocks[eip] = block;
        _fast[slot] = block;
        Register(block, pa >> 12);
        if (block.LastPage != pa >> 12) Register(block, block.LastPage);
        return block;
    }

    /// <summary>The valid cached block that starts at linear <paramref name="eip"/>, if any; decodes nothing (tests, diagnostics).</summary>
    internal DecodedBlock? Peek(uint eip) => _blocks.TryGetValue(eip, out DecodedBlock? b) && b.Valid ? b : null;

    unsafe bool DecodeInto(DecodedBlock block, uint eip, uint pa, int limit)
    {
        block.Linear = eip; block.Physical = pa; block.Count = 0; block.Valid = true;
        block.LastPage = pa >> 12;
        uint ip = eip;
        while (block.Count < limit)
        {
            _reader.Start(ip);
            _decoder.IP = ip;
            _decoder.Decode(out Instruction insn);
            if (_reader.Faulted)
            {
                // The bytes ran into a page that cannot be fetched: fault now if this is the
                // first instruction, else end the block and let the next lookup fault.
                if (block.Count == 0) { _reader.RaiseFault(); return false; }
                _reader.DiscardFault();
                break;
            }
            bool tooLong = false;
            if (_decoder.LastError != DecoderError.None)
            {
                tooLong = insn.Length == MaxInstructionLength && ExceedsLengthLimit(ip);
                insn.Code = Code.INVALID;
            }
            else if (insn.HasLockPrefix && !DispatchTable.AllowsLock(ref insn)) insn.Code = Code.INVALID;   // #UD
            block.Instructions[block.Count] = insn;
            block.Ops[block.Count] = MicroOpBuilder.Build(block.Instructions, block.Count, FastForms);
            if (tooLong) block.Ops[block.Count].Legacy = &DispatchTable.TooLong;     // #GP(0), not #UD
            block.Count++;
            block.LastPage = _reader.LastPhysicalPage;
            ip = insn.NextIP32;
            if (insn.FlowControl != FlowControl.Next || insn.Code == Code.INVALID)
            {
                // A direct JMP or CALL to the same page does not end the block: decoding goes on
                // at its target (the op still sets EIP and pushes), so loops and calls run as one
                // longer block. Only while the block stays inside its first physical page, which
                // is the page it is registered under for self-modifying code.
                if (insn.Code is Code.Jmp_rel8_32 or Code.Jmp_rel32_32 or Code.Call_rel32_32 &&
                    (insn.NearBranch32 >> 12) == (eip >> 12) && block.LastPage == pa >> 12)
                {
                    ip = insn.NearBranch32;
                    continue;
                }
                break;
            }
            if ((ip & 0xFFF) == 0 || (ip >> 12) != (eip >> 12)) break;
            if (DispatchTable.EndsBlock[(int)insn.Code]) break;
            // A REP string instruction re-executes itself after each chunk (Strings.RepChunk) by
            // setting EIP back: nothing may follow it in the block.
            if ((insn.HasRepPrefix || insn.HasRepnePrefix) && insn.IsStringInstruction) break;
        }
        return true;
    }

    const int MaxInstructionLength = 15;

    static readonly byte[] Prefixes = [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3];

    /// <summary>
    /// Iced gave up after 15 bytes: was that the length limit (#GP(0), SDM Vol. 3A 6.15) or an
    /// invalid opcode (#UD)? Decode the same instruction with each redundant prefix once, followed
    /// by filler: if it is valid and reaches into the filler, it needed more than the 15 bytes.
    /// </summary>
    bool ExceedsLengthLimit(uint ip)
    {
        Span<byte> bytes = stackalloc byte[MaxInstructionLength];
        _reader.Start(ip);
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)_reader.ReadByte();
        int prefixes = 0;
        while (prefixes < bytes.Length && Array.IndexOf(Prefixes, bytes[prefixes]) >= 0) prefixes++;
        if (prefixes == bytes.Length) return true;
        var stripped = new List<byte>(2 * MaxInstructionLength);
        for (int i = 0; i < prefixes; i++)
            if (bytes[(i + 1)..prefixes].IndexOf(bytes[i]) < 0) stripped.Add(bytes[i]);   // keep each prefix's last occurrence
        stripped.AddRange(bytes[prefixes..]);
        int real = stripped.Count;
        stripped.AddRange(new byte[MaxInstructionLength]);
        var decoder = Decoder.Create(32, new ByteArrayCodeReader(stripped.ToArray()));
        decoder.Decode(out Instruction insn);
        return decoder.LastError == DecoderError.None && insn.Length > real;
    }

    void Register(DecodedBlock block, uint page)
    {
        if (page >= (uint)_cpu.Memory.CodePages.Length) return;
        if (!_blocksByPage.TryGetValue(page, out var list)) _blocksByPage[page] = list = new List<DecodedBlock>();
        list.Add(block);
        _cpu.Memory.CodePages[page] |= PhysicalMemory.PageHasCode;
    }

    /// <summary>Drops every block decoded from physical page <paramref name="page"/>.</summary>
    public void InvalidatePage(uint page)
    {
        _cpu.Memory.CodePages[page] &= PhysicalMemory.PageWatched;
        if (!_blocksByPage.Remove(page, out var list)) return;
        foreach (DecodedBlock b in list)
        {
            if (!b.Valid) continue;
            b.Valid = false;
            Invalidations++;
            if (_blocks.TryGetValue(b.Linear, out var current) && current == b) _blocks.Remove(b.Linear);
        }
        _cpu.NoteCodeModified();
    }

    /// <summary>Drops everything (a debugger inserting a breakpoint, tests).</summary>
    public void Clear()
    {
        foreach (var list in _blocksByPage.Values) foreach (var b in list) b.Valid = false;
        _blocksByPage.Clear();
        _blocks.Clear();
        Array.Clear(_fast);
        byte[] pages = _cpu.Memory.CodePages;
        for (int i = 0; i < pages.Length; i++) pages[i] &= PhysicalMemory.PageWatched;
    }
}
