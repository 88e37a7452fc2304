// [C:600] The interpreter: run decoded blocks until something needs the monitor.
//
// Run(budget) is the guest's side of lguest's run_guest(): it executes until the
// budget of instructions is spent (a deadline on the virtual clock) or an exit is
// due. Everything rare -- a fault, an exit, a kick from another thread, a write into
// cached code, an interrupt window -- sets a bit in one "attention" word, so the
// per-instruction cost of all of them together is one load and one branch
// (blink's single attention flag, Ryujinx's interrupt check).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;
using Puppyvisor.Cpu.Decoding;

namespace Puppyvisor.Cpu;

public sealed partial class Cpu
{
    const int AttnFault = 1, AttnExit = 2, AttnKick = 4, AttnCodeModified = 8, AttnIrqPoll = 16, AttnStep = 32;

    int _attention;
    long _budget;
    ExitReason _exitReason;

    bool _pendingFault;
    byte _faultVector;
    uint _faultErrorCode;
    bool _faultHasErrorCode;

    /// <summary>The EIP of the instruction being executed (a fault's saved EIP).</summary>
    public uint InstructionStart;

    /// <summary>Set by STI and MOV SS / POP SS: no interrupt at the next boundary (SDM 6.8.3).</summary>
    bool _interruptShadow;
    public bool InInterruptShadow => _interruptShadow;

    /// <summary>The monitor's "an IRQ is pending" line. The CPU exits with InterruptWindow when it can take one.</summary>
    bool _irqLine;

    public readonly DecodeCache Decode;

    /// <summary>Exceptions delivered to the guest, by vector.</summary>
    public readonly ulong[] ExceptionCounts = new ulong[32];

    /// <summary>What ended the run when it was a triple fault: the chain of vectors, for the report.</summary>
    public readonly List<string> FaultChain = new();

    /// <summary>
    /// Runs until an exit or until <paramref name="budget"/> is spent: each retired instruction
    /// and each delivered exception costs one (a handler that faults at once retires nothing,
    /// and Run must still return).
    /// </summary>
    public ExitReason Run(long budget)
    {
        _budget = budget;
        if (_irqLine) SetAttention(AttnIrqPoll);
        DecodedBlock? previous = null;
        while (true)
        {
            if (_attention != 0 && HandleAttention(out ExitReason reason)) { return reason; }
            if (_budget <= 0) return ExitReason.BudgetExhausted;
            DecodedBlock? block = previous?.FollowChain(this) ?? Lookup(previous);
            previous = block;
            if (block is null)
            {
                InstructionStart = Eip;             // a fetch fault is pending: it is this instruction's
                continue;
            }
            if ((_eflags & TF) != 0) SingleStepTrap(block);     // EFLAGS.TF: one instruction, then #DB
            else if (_checkedBlocks) ExecuteBlockChecked(block);     // breakpoints or --trace-insns (Cpu.Debug.cs)
            else if (block.Compiled is not null && block.Count <= _budget && _attention == 0) previous = RunCompiled(block);
            else ExecuteBlock(block);
        }
    }

    /// <summary>Looks the block at EIP up in the cache and links it after <paramref name="previous"/>.</summary>
    DecodedBlock? Lookup(DecodedBlock? previous)
    {
        DecodedBlock? block = Decode.Lookup(Eip);
        if (block is not null && Decode.Enabled) previous?.Link(this, block);
        return block;
    }

    /// <summary>
    /// Runs a block's compact ops. Fast forms that do not branch leave EIP alone; it is set
    /// once at the end of the block, or at the op where attention stops the block: at the
    /// instruction itself for a fault (faults save the faulting EIP), after it otherwise.
    /// </summary>
    /// <summary>
    /// EFLAGS.TF was set when the instruction began: run it alone and then raise the
    /// single-step #DB, a trap (saved EIP after the instruction) with DR6.BS set (SDM Vol. 3B, 17.3.1.4).
    /// An instruction that faults is not trapped (the fault is delivered); a software interrupt
    /// enters its handler with TF clear and no trap; one that ends the run (HLT, VMCALL) traps as it retires.
    /// </summary>
    void SingleStepTrap(DecodedBlock block)
    {
        ulong before = InstructionsRetired, deliveries = Deliveries;
        ExecuteBlock(block, maxCount: 1);
        if (InstructionsRetired == before) return;          // faulted: the fault is delivered instead
        if (Deliveries != deliveries) return;               // INT n, INT3, INTO: the handler runs with TF clear
        Dr[6] |= 1u << 14;                                   // BS
        FaultChain.Clear();
        if (!DeliverWithDoubleFaultRules((int)Vector.Debug, false, 0, InterruptSource.Exception))
            Exit(ExitReason.TripleFault);
    }

    unsafe void ExecuteBlock(DecodedBlock block, long maxCount = long.MaxValue)
    {
        MicroOp[] ops = block.Ops;
        int count = (int)Math.Min(Math.Min(block.Count, _budget), maxCount);
        ulong retiredBase = _blockRetiredBase = InstructionsRetired;
        // The shadow of an STI or MOV SS (which end their block) covered the boundary before
        // this block's first instruction; it ends with that instruction.
        _interruptShadow = false;
        block.Executions++;
        if (!block.CompileRequested && Decode.Enabled && BlockCompiler.Hot(block, CompileAfterInstructions))
        {
            block.CompileRequested = true;
            Compile(block);
        }
        for (int k = 0; k < count; k++)
        {
            ref MicroOp op = ref ops[k];
            op.Execute(this, ref op);
            if (_attention != 0) { StopAtAttention(ref op, k); return; }
        }
        InstructionsRetired = retiredBase + (ulong)count;
        _budget -= count;
        ref MicroOp last = ref ops[count - 1];
        if (!last.SetsEip) Eip = last.NextEip;
    }

    /// <summary>
    /// Runs compiled blocks one after another, chained, for as long as nothing needs the
    /// interpreter: no attention, budget for the whole next block, no single step, no
    /// debugger. Returns the last block run (Run links its successor).
    /// </summary>
    DecodedBlock RunCompiled(DecodedBlock block)
    {
        while (true)
        {
            // As in ExecuteBlock: a shadow covered the boundary before this block, and ends with its first instruction.
            _interruptShadow = false;
            _blockRetiredBase = InstructionsRetired;
            ref MicroOp first = ref MemoryMarshal.GetArrayDataReference(block.Ops);
            int stoppedAt = block.Compiled!(this, ref first);
            if (stoppedAt >= 0) { StopAtAttention(ref Unsafe.Add(ref first, stoppedAt), stoppedAt); return block; }
            if (_attention != 0 || (_eflags & TF) != 0 || _checkedBlocks) return block;
            DecodedBlock? next = block.FollowChain(this);
            if (next?.Compiled is null || next.Count > _budget) return block;
            block = next;
        }
    }

    void Compile(DecodedBlock block)
    {
        if (Compiler == BlockCompilation.Background) BlockCompiler.CompileInBackground(block);
        else if (Compiler == BlockCompilation.Immediate) BlockCompiler.Publish(block);
    }

    /// <summary>
    /// Attention stopped the block at op <paramref name="k"/>: a fault undoes the op (its
    /// EIP is saved, it does not retire), anything else lets it retire. Counted from the
    /// block's base, <see cref="_blockRetiredBase"/>.
    /// </summary>
    void StopAtAttention(ref MicroOp op, int k)
    {
        if (_pendingFault) { InstructionStart = op.Eip; Eip = op.Eip; InstructionsRetired = _blockRetiredBase + (ulong)k; _budget -= k; }
        else
        {
            if (!op.SetsEip) Eip = op.NextEip;
            InstructionsRetired = _blockRetiredBase + (ulong)k + 1;
            _budget -= k + 1;
        }
    }

    /// <summary>Whether and how hot blocks are compiled (BlockCompiler.cs); Off for tests of the interpreter alone.</summary>
    public BlockCompilation Compiler = BlockCompilation.Background;

    /// <summary>Instructions a block must have run (executions x length) before it is compiled (BlockCompiler.Hot).</summary>
    public long CompileAfterInstructions = BlockCompiler.DefaultCompileAfterInstructions;

    ulong _blockRetiredBase;

    /// <summary>Makes InstructionsRetired exact for the op at <paramref name="slot"/> of the running block (RDTSC reads it).</summary>
    internal void SyncRetired(int slot) => InstructionsRetired = _blockRetiredBase + (ulong)slot;

    internal void ClearInterruptShadow() => _interruptShadow = false;

    /// <summary>Handles the attention bits at an instruction boundary; true when Run must return.</summary>
    bool HandleAttention(out ExitReason reason)
    {
        reason = default;
        if ((_attention & AttnFault) != 0)
        {
            ClearAttention(AttnFault);
            if (!DeliverPendingFault()) { reason = ExitReason.TripleFault; return true; }
            _budget--;                          // a delivery costs budget: an exception storm cannot hang Run
            if (SingleStepping && EndStepAfterFault(out reason)) return true;
        }
        if ((_attention & AttnCodeModified) != 0) ClearAttention(AttnCodeModified);
        if ((_attention & AttnExit) != 0)
        {
            ClearAttention(AttnExit);
            reason = _exitReason;
            return true;
        }
        if ((_attention & AttnKick) != 0)
        {
            ClearAttention(AttnKick);
            reason = ExitReason.Kick;
            return true;
        }
        if ((_attention & AttnStep) != 0)
        {
            ClearAttention(AttnStep);
            reason = ExitReason.Breakpoint;
            return true;
        }
        if ((_attention & AttnIrqPoll) != 0)
        {
            if (!_irqLine || !InterruptsEnabled) ClearAttention(AttnIrqPoll);
            else if (!_interruptShadow)
            {
                ClearAttention(AttnIrqPoll);
                reason = ExitReason.InterruptWindow;
                return true;
            }
        }
        return false;
    }

    void SetAttention(int bit) => Interlocked.Or(ref _attention, bit);
    void ClearAttention(int bit) => Interlocked.And(ref _attention, ~bit);

    /// <summary>Ends the current instruction's run with <paramref name="reason"/> (the instruction retires).</summary>
    public void Exit(ExitReason reason)
    {
        _exitReason = reason;
        SetAttention(AttnExit);
    }

    /// <summary>Asks a running vCPU to return to the monitor at the next boundary. Thread-safe.</summary>
    public void Kick() => SetAttention(AttnKick);

    /// <summary>Asks the CPU to stop after the current instruction with <paramref name="reason"/> (devices).</summary>
    public void RequestExit(ExitReason reason) => Exit(reason);

    /// <summary>The monitor raises this while any IRQ is pending; Run exits with InterruptWindow when deliverable.</summary>
    public bool IrqLine
    {
        get => _irqLine;
        set
        {
            _irqLine = value;
            if (value) SetAttention(AttnIrqPoll);
        }
    }

    /// <summary>Called by STI, POPF and IRET when they set IF: a pending IRQ is delivered right after.</summary>
    internal void NoteInterruptsEnabled()
    {
        if (_irqLine) SetAttention(AttnIrqPoll);
    }

    internal void SetInterruptShadow() => _interruptShadow = true;

    internal void NoteCodeModified() => SetAttention(AttnCodeModified);

    /// <summary>True when the current instruction has raised a fault (stop, write nothing more).</summary>
    public bool Faulted
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _pendingFault;
    }

    /// <summary>Raises an exception without an error code.</summary>
    public void RaiseFault(Vector vector) => RaiseFault((int)vector, false, 0);

    /// <summary>Raises an exception with an error code.</summary>
    public void RaiseFault(Vector vector, uint errorCode) => RaiseFault((int)vector, true, errorCode);

    void RaiseFault(int vector, bool hasErrorCode, uint errorCode)
    {
        if (_pendingFault) return;                  // the first fault of an instruction wins
        _pendingFault = true;
        _faultVector = (byte)vector;
        _faultHasErrorCode = hasErrorCode;
        _faultErrorCode = errorCode;
        SetAttention(AttnFault);
    }

    internal void ClearPendingFault()
    {
        _pendingFault = false;
        ClearAttention(AttnFault);
    }

    readonly HashSet<Code> _reportedUnimplemented = new();

    internal void ReportUnimplemented(ref Instruction insn)
    {
        if (!_reportedUnimplemented.Add(insn.Code)) return;
        var formatter = new NasmFormatter();
        var output = new StringOutput();
        formatter.Format(insn, output);
        Host.Warn($"unimplemented instruction at 0x{InstructionStart:x8}: {output.ToStringAndReset()} ({insn.Code}); raising #UD");
    }
}
