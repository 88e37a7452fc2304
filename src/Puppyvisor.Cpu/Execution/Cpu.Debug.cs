// [C:650] What a debugger asks of the CPU: breakpoints, watchpoints, single steps, and
// a ring of the last instructions executed (--trace-insns).
//
// None of it may cost the run loop anything when no debugger is attached. So:
//  - Breakpoints never patch guest memory (the decode cache and self-modifying code stay
//    out of it). While any exist, or the instruction ring is on, the run loop executes
//    blocks through ExecuteBlockChecked, which looks EIP up in a small hash set at every
//    instruction boundary; otherwise it runs the plain ExecuteBlock (one bool per block).
//  - Watchpoints are checked where the access is already slow: a watched physical page
//    has a bit in PhysicalMemory.CodePages, the byte every write already tests for
//    self-modifying code, so writes pay nothing more; reads test one bool that is set
//    only while a read or access watchpoint exists. A hit lets the instruction finish
//    (x86 data breakpoints are traps) and ends the run with ExitReason.Breakpoint.
//  - A single step is the monitor's budget of 1; the CPU only adds that a fault
//    delivered during a step ends the step at the handler's first instruction.
using Iced.Intel;
using Puppyvisor.Cpu.Decoding;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu;

/// <summary>gdb's watchpoint kinds (the Z2, Z3 and Z4 packets).</summary>
public enum WatchKind { Write = 2, Read = 3, Access = 4 }

/// <summary>Why the CPU returned <see cref="ExitReason.Breakpoint"/>.</summary>
public enum DebugEventKind { None, Breakpoint, Watchpoint, Step }

/// <summary>The debugger's stop: a breakpoint at <see cref="Address"/>, or a watchpoint hit by an access to it.</summary>
public readonly record struct DebugEvent(DebugEventKind Kind, uint Address = 0, WatchKind Watch = WatchKind.Write);

public sealed partial class Cpu
{
    HashSet<uint>? _breakpoints;
    uint[]? _insnRing;
    int _insnRingNext;
    ulong _insnRingCount;
    /// <summary>True while breakpoints or the instruction ring need ExecuteBlockChecked.</summary>
    bool _checkedBlocks;
    /// <summary>A breakpoint at the EIP the debugger resumed from is not hit again by its first instruction.</summary>
    bool _skipBreakpointArmed;
    uint _skipBreakpointAt;

    readonly List<Watch> _watches = new();
    bool _watchingReads;
    DebugEvent _debugEvent;

    readonly record struct Watch(uint Physical, uint Length, uint Linear, WatchKind Kind);

    /// <summary>While true, a fault delivered during the run ends it at the handler (a single step into a fault).</summary>
    public bool SingleStepping;

    /// <summary>What ended the last run with <see cref="ExitReason.Breakpoint"/>; reading it clears it.</summary>
    public DebugEvent TakeDebugEvent()
    {
        DebugEvent e = _debugEvent;
        _debugEvent = default;
        return e;
    }

    // ---- Breakpoints ----------------------------------------------------------------

    /// <summary>Replaces the breakpoints: linear addresses of instruction starts. Empty turns the checks off.</summary>
    public void SetBreakpoints(IEnumerable<uint> linearAddresses)
    {
        var set = new HashSet<uint>(linearAddresses);
        _breakpoints = set.Count == 0 ? null : set;
        _checkedBlocks = _breakpoints is not null || _insnRing is not null;
    }

    /// <summary>The debugger resumes: a breakpoint at the current EIP does not stop the first instruction.</summary>
    public void ResumeFromDebugger()
    {
        _skipBreakpointArmed = true;
        _skipBreakpointAt = Eip;
        _debugEvent = default;
    }

    /// <summary>At an instruction boundary in ExecuteBlockChecked: true (and the exit set) when EIP is a breakpoint.</summary>
    bool AtBreakpoint(uint eip, ref Instruction insn)
    {
        bool skip = _skipBreakpointArmed && eip == _skipBreakpointAt;
        _skipBreakpointArmed = false;
        if (skip || _breakpoints is null || !_breakpoints.Contains(eip)) return false;
        // A REP string instruction re-executing itself for its next chunk (Strings.RepChunk) is
        // still the same instruction: it stops once, as RF makes it on hardware.
        if (eip == InstructionStart && insn.IsStringInstruction && (insn.HasRepPrefix || insn.HasRepnePrefix)) return false;
        _debugEvent = new DebugEvent(DebugEventKind.Breakpoint, eip);
        Exit(ExitReason.Breakpoint);
        return true;
    }

    /// <summary>ExecuteBlock with a breakpoint check and the instruction ring at every boundary.</summary>
    unsafe void ExecuteBlockChecked(DecodedBlock block)
    {
        MicroOp[] ops = block.Ops;
        Instruction[] insns = block.Instructions;
        int count = (int)Math.Min(block.Count, _budget);
        ulong retiredBase = _blockRetiredBase = InstructionsRetired;
        _interruptShadow = false;
        for (int k = 0; k < count; k++)
        {
            ref MicroOp op = ref ops[k];
            Eip = op.Eip;                                   // exact at every boundary here
            InstructionsRetired = retiredBase + (ulong)k;
            if (AtBreakpoint(op.Eip, ref insns[k])) { _budget -= k; return; }
            if (_insnRing is { } ring)
            {
                ring[_insnRingNext] = op.Eip;
                _insnRingNext = (_insnRingNext + 1) % ring.Length;
                _insnRingCount++;
            }
            InstructionStart = op.Eip;
            op.Execute(this, ref op);
            if (_attention != 0) { StopAtAttention(ref op, k); return; }
            if (!op.SetsEip) Eip = op.NextEip;
        }
        InstructionsRetired = retiredBase + (ulong)count;
        _budget -= count;
    }

    /// <summary>During a single step, a fault delivered to the guest ends the step at the handler.</summary>
    bool EndStepAfterFault(out ExitReason reason)
    {
        reason = ExitReason.Breakpoint;
        if (!SingleStepping) return false;
        _debugEvent = new DebugEvent(DebugEventKind.Step, Eip);
        return true;
    }

    // ---- Watchpoints ----------------------------------------------------------------

    /// <summary>
    /// Watches <paramref name="length"/> bytes at linear <paramref name="linear"/>, through the
    /// mapping they have now. False (nothing watched) when a byte is not mapped or outside RAM.
    /// </summary>
    public bool AddWatchpoint(uint linear, uint length, WatchKind kind)
    {
        if (length == 0 || length > 0x1000) return false;
        var pieces = new List<Watch>();
        for (uint offset = 0; offset < length;)
        {
            uint lin = linear + offset;
            if (!TranslateQuiet(lin, out uint pa) || pa >= Memory.Size) return false;
            uint inPage = Math.Min(length - offset, 0x1000 - (lin & 0xFFF));
            pieces.Add(new Watch(pa, inPage, lin, kind));
            offset += inPage;
        }
        foreach (Watch w in pieces)
        {
            _watches.Add(w);
            Memory.CodePages[w.Physical >> 12] |= PhysicalMemory.PageWatched;
        }
        _watchingReads = _watches.Exists(w => w.Kind != WatchKind.Write);
        UpdateDirectAccess();
        return true;
    }

    /// <summary>Removes the watchpoint set with the same address, length and kind. False if there was none.</summary>
    public bool RemoveWatchpoint(uint linear, uint length, WatchKind kind)
    {
        int removed = _watches.RemoveAll(w => w.Kind == kind && w.Linear - linear < length);
        if (removed == 0) return false;
        RefreshWatchedPages();
        return true;
    }

    public void ClearWatchpoints()
    {
        _watches.Clear();
        RefreshWatchedPages();
    }

    public int WatchpointCount => _watches.Count;

    void RefreshWatchedPages()
    {
        byte[] pages = Memory.CodePages;
        for (int i = 0; i < pages.Length; i++) pages[i] &= unchecked((byte)~PhysicalMemory.PageWatched);
        foreach (Watch w in _watches) pages[w.Physical >> 12] |= PhysicalMemory.PageWatched;
        _watchingReads = _watches.Exists(w => w.Kind != WatchKind.Write);
        UpdateDirectAccess();
    }

    /// <summary>A data access of <paramref name="size"/> bytes at <paramref name="pa"/> on a watched page.</summary>
    void CheckWatch(uint pa, int size, bool write)
    {
        if (_debugEvent.Kind != DebugEventKind.None) return;          // the first hit of an instruction wins
        foreach (Watch w in _watches)
        {
            bool kindMatches = w.Kind == WatchKind.Access || (w.Kind == WatchKind.Write) == write;
            if (!kindMatches || pa + (uint)size <= w.Physical || pa >= w.Physical + w.Length) continue;
            uint hit = Math.Max(pa, w.Physical) - w.Physical + w.Linear;
            _debugEvent = new DebugEvent(DebugEventKind.Watchpoint, hit, w.Kind);
            SetAttention(AttnStep);
            return;
        }
    }

    // ---- The instruction ring (--trace-insns) --------------------------------------------

    /// <summary>Keeps the EIPs of the last <paramref name="count"/> instructions executed (0 turns it off).</summary>
    public void TraceInstructions(int count)
    {
        _insnRing = count > 0 ? new uint[count] : null;
        _insnRingNext = 0;
        _insnRingCount = 0;
        _checkedBlocks = _breakpoints is not null || _insnRing is not null;
    }

    /// <summary>The EIPs of the last instructions executed (or attempted: a faulting one too), oldest first.</summary>
    public IReadOnlyList<uint> RecentInstructions()
    {
        if (_insnRing is not { } ring) return [];
        int n = (int)Math.Min(_insnRingCount, (ulong)ring.Length);
        var list = new uint[n];
        for (int i = 0; i < n; i++) list[i] = ring[(_insnRingNext - n + i + ring.Length) % ring.Length];
        return list;
    }

    // ---- Memory for the debugger -------------------------------------------------------

    /// <summary>
    /// Writes guest memory for the debugger through the current paging, without faults or
    /// watchpoints, dropping decoded code on the pages written. False (nothing written) if any
    /// byte is unmapped or outside RAM.
    /// </summary>
    public bool TryWriteLinear(uint linear, ReadOnlySpan<byte> source)
    {
        for (int i = 0; i < source.Length; i++)
            if (!TranslateQuiet(linear + (uint)i, out uint pa) || pa >= Memory.Size) return false;
        for (int i = 0; i < source.Length; i++)
        {
            TranslateQuiet(linear + (uint)i, out uint pa);
            Memory.Ram[pa] = source[i];
            if ((Memory.CodePages[pa >> 12] & PhysicalMemory.PageHasCode) != 0) Decode.InvalidatePage(pa >> 12);
        }
        return true;
    }
}
