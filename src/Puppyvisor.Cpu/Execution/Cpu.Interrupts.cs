// [C:700] Delivering exceptions and interrupts through the guest's IDT.
//
// SDM Vol. 3A, 6.12: read the gate, check it, switch to the ring-0 stack from the
// TSS when coming from ring 3, push (SS, ESP,) EFLAGS, CS, EIP (and an error code),
// clear TF/NT/RF (and IF for an interrupt gate), jump. A fault while delivering an
// exception follows the double-fault rules (Table 6-5); a fault while delivering a
// double fault is a triple fault, which ends the guest (the monitor reports it).
namespace Puppyvisor.Cpu;

/// <summary>
/// Where an interrupt comes from: it decides DPL checks (Software only: INT n, INT3, INTO)
/// and the EXT bit (everything else, INT1 included).
/// </summary>
public enum InterruptSource { Exception, Software, External }

/// <summary>
/// One completed delivery: the vector and what was pushed (the interrupted EIP, CS, EFLAGS and,
/// before any stack switch, ESP and SS). For debuggers and the fuzzer's recovery.
/// </summary>
public readonly record struct Delivery(int Vector, InterruptSource Source, bool HasErrorCode, uint ErrorCode,
    uint SavedEip, ushort SavedCs, uint SavedEflags, uint SavedEsp, ushort SavedSs);

public sealed partial class Cpu
{
    /// <summary>Deliveries completed since the CPU was created, and the last one.</summary>
    public ulong Deliveries { get; private set; }
    public Delivery LastDelivery { get; private set; }

    /// <summary>Delivers the fault raised by the current instruction. False on a triple fault.</summary>
    bool DeliverPendingFault()
    {
        int vector = _faultVector;
        bool hasError = _faultHasErrorCode;
        uint error = _faultErrorCode;
        _pendingFault = false;
        Eip = InstructionStart;                     // faults save the faulting instruction's EIP
        FaultChain.Clear();
        return DeliverWithDoubleFaultRules(vector, hasError, error, InterruptSource.Exception);
    }

    bool DeliverWithDoubleFaultRules(int vector, bool hasError, uint error, InterruptSource source)
    {
        int first = vector;
        FaultChain.Add(Describe(vector, hasError, error));
        while (true)
        {
            if (vector < 32 && source != InterruptSource.External) ExceptionCounts[vector]++;
            if (TryDeliver(vector, hasError, error, source)) return true;

            // The delivery itself faulted: apply Table 6-5 to the pair.
            int second = _faultVector;
            bool secondHasError = _faultHasErrorCode;
            uint secondError = _faultErrorCode;
            _pendingFault = false;
            ClearAttention(AttnFault);
            FaultChain.Add(Describe(second, secondHasError, secondError));
            if (first == (int)Vector.DoubleFault) return false;     // triple fault
            bool doubleFault =
                (VectorInfo.IsContributory(first) && VectorInfo.IsContributory(second)) ||
                (first == (int)Vector.PageFault && (VectorInfo.IsContributory(second) || second == (int)Vector.PageFault));
            if (doubleFault)
            {
                vector = first = (int)Vector.DoubleFault; hasError = true; error = 0;
                FaultChain.Add(Describe(vector, true, 0));
            }
            else
            {
                vector = first = second; hasError = secondHasError; error = secondError;
            }
            source = InterruptSource.Exception;
        }
    }

    static string Describe(int vector, bool hasError, uint error) =>
        hasError ? $"{VectorInfo.Mnemonic(vector)}(0x{error:x})" : VectorInfo.Mnemonic(vector);

    /// <summary>Delivers a hardware interrupt (an IRQ from the monitor): the saved EIP is the next instruction.</summary>
    public bool DeliverExternalInterrupt(int vector)
    {
        Halted = false;
        FaultChain.Clear();
        return DeliverWithDoubleFaultRules(vector, false, 0, InterruptSource.External);
    }

    /// <summary>INT n, INT3, INTO (and INT1, as an exception): a trap, the saved EIP is the next instruction.</summary>
    /// <remarks>If the gate check fails, the fault is pending and is delivered as a fault at the INT.</remarks>
    internal void DeliverSoftwareInterrupt(int vector, InterruptSource source = InterruptSource.Software)
    {
        if (TryDeliver(vector, false, 0, source) && vector < 32) ExceptionCounts[vector]++;
    }

    /// <summary>
    /// One delivery attempt. On failure a fault is pending and no register has changed
    /// (the stack memory may have been partly written, which is harmless).
    /// </summary>
    bool TryDeliver(int vector, bool hasError, uint error, InterruptSource source)
    {
        // EXT: the fault happened while delivering something the program did not ask for, an
        // interrupt or an earlier exception; INT n, INT3 and INTO leave it clear (SDM 6.13).
        uint ext = source == InterruptSource.Software ? 0u : 1u;
        uint idtError = ((uint)vector << 3) | 2 | ext;
        if ((uint)vector * 8 + 7 > IdtLimit) { RaiseFault(Vector.GeneralProtection, idtError); return false; }

        uint lo = ReadMem(IdtBase + (uint)vector * 8, 4, user: false);
        uint hi = ReadMem(IdtBase + (uint)vector * 8 + 4, 4, user: false);
        if (_pendingFault) return false;

        int type = (int)(hi >> 8) & 0x1F;
        int gateDpl = (int)(hi >> 13) & 3;
        bool interruptGate = type == 0x0E;
        if (type != 0x0E && type != 0x0F) { RaiseFault(Vector.GeneralProtection, idtError); return false; }
        if (source == InterruptSource.Software && gateDpl < Cpl) { RaiseFault(Vector.GeneralProtection, idtError); return false; }
        if ((hi & 0x8000) == 0) { RaiseFault(Vector.SegmentNotPresent, idtError); return false; }

        ushort selector = (ushort)(lo >> 16);
        uint offset = (hi & 0xFFFF_0000u) | (lo & 0xFFFF);
        if ((selector & ~3) == 0) { RaiseFault(Vector.GeneralProtection, ext); return false; }
        if (!ReadDescriptor(selector, out Descriptor code)) return false;
        if (!code.IsCode || code.Dpl > Cpl) { RaiseFault(Vector.GeneralProtection, (selector & ~3u) | ext); return false; }
        if (!code.Present) { RaiseFault(Vector.SegmentNotPresent, (selector & ~3u) | ext); return false; }

        int newCpl = code.Conforming ? Cpl : code.Dpl;
        uint oldEflags = Eflags;
        uint oldEsp = Esp;
        ushort oldSs = Selectors[(int)SegReg.SS], oldCs = Selectors[(int)SegReg.CS];
        uint esp = oldEsp;
        ushort newSs = oldSs;

        if (newCpl < Cpl)
        {
            // Inter-privilege: SS0:ESP0 from the TSS, every time (DESIGN §1).
            if (TaskRegister == 0 || TssLimit < 9) { RaiseFault(Vector.InvalidTss, (TaskRegister & ~3u) | ext); return false; }
            esp = ReadMem(TssBase + 4, 4, user: false);
            newSs = (ushort)ReadMem(TssBase + 8, 2, user: false);
            if (_pendingFault) return false;
            if (!CheckStackSegmentForRing(newSs, newCpl, ext)) return false;
            if (!Push32Supervisor(ref esp, oldSs) || !Push32Supervisor(ref esp, oldEsp)) return false;
        }
        if (!Push32Supervisor(ref esp, oldEflags, newCpl) || !Push32Supervisor(ref esp, oldCs, newCpl) ||
            !Push32Supervisor(ref esp, Eip, newCpl))
            return false;
        if (hasError && !Push32Supervisor(ref esp, error, newCpl)) return false;

        // Commit.
        Deliveries++;
        LastDelivery = new Delivery(vector, source, hasError, error, Eip, oldCs, oldEflags, oldEsp, oldSs);
        Esp = esp;
        Selectors[(int)SegReg.SS] = newSs;
        Selectors[(int)SegReg.CS] = (ushort)((selector & ~3) | newCpl);
        Eip = offset;
        uint clear = TF | NT | RF | VM | (interruptGate ? IF : 0);
        Eflags = oldEflags & ~clear;
        Halted = false;
        return true;
    }

    bool Push32Supervisor(ref uint esp, uint value, int cpl = 0)
    {
        uint target = esp - 4;
        if (!WriteMem(target, 4, value, user: cpl == 3)) return false;
        esp = target;
        return true;
    }

    bool CheckStackSegmentForRing(ushort ss, int cpl, uint ext)
    {
        if ((ss & ~3) == 0) { RaiseFault(Vector.InvalidTss, ext); return false; }
        if (!ReadDescriptor(ss, out Descriptor d, faultVector: Vector.InvalidTss)) return false;
        if ((ss & 3) != cpl || d.Dpl != cpl || !d.IsWritableData) { RaiseFault(Vector.InvalidTss, (ss & ~3u) | ext); return false; }
        if (!d.Present) { RaiseFault(Vector.StackFault, (ss & ~3u) | ext); return false; }
        return true;
    }
}
