// [C:130] Segmentless segmentation: selectors are checked, bases and limits are not used.
//
// DESIGN §1: CS, DS, ES and SS are flat; FS and GS take their base from the
// descriptor; but loading a selector still checks its GDT descriptor as the SDM says
// (Vol. 3A, 5.5-5.8: present, type, DPL against CPL and RPL) and faults with the
// selector as the error code. There is no LDT, so TI = 1 is a #GP.
namespace Puppyvisor.Cpu;

/// <summary>An 8-byte GDT descriptor, decoded.</summary>
public readonly struct Descriptor(uint lo, uint hi)
{
    public readonly uint Low = lo, High = hi;
    public uint Base => (Low >> 16) | ((High & 0xFF) << 16) | (High & 0xFF00_0000u);
    public uint Limit
    {
        get
        {
            uint raw = (Low & 0xFFFF) | (High & 0x000F_0000u);
            return (High & (1u << 23)) != 0 ? (raw << 12) | 0xFFF : raw;
        }
    }
    public int Type => (int)(High >> 8) & 0xF;
    public bool IsSystem => (High & (1u << 12)) == 0;
    public int Dpl => (int)(High >> 13) & 3;
    public bool Present => (High & (1u << 15)) != 0;
    public bool IsCode => !IsSystem && (Type & 8) != 0;
    public bool IsData => !IsSystem && (Type & 8) == 0;
    public bool Conforming => IsCode && (Type & 4) != 0;
    public bool Readable => IsData || (Type & 2) != 0;
    public bool IsWritableData => IsData && (Type & 2) != 0;
}

public sealed partial class Cpu
{
    /// <summary>Reads the GDT descriptor for <paramref name="selector"/>; raises #GP(selector) if it is outside the GDT.</summary>
    public bool ReadDescriptor(ushort selector, out Descriptor descriptor, Vector faultVector = Vector.GeneralProtection)
    {
        descriptor = default;
        uint index = (uint)selector & ~7u;
        if ((selector & 4) != 0 || index + 7 > GdtLimit)
        {
            RaiseFault(faultVector, selector & ~3u);
            return false;
        }
        uint lo = ReadMem(GdtBase + index, 4, user: false);
        uint hi = ReadMem(GdtBase + index + 4, 4, user: false);
        if (_pendingFault) return false;
        descriptor = new Descriptor(lo, hi);
        return true;
    }

    /// <summary>MOV/POP to DS, ES, FS, GS or SS (SDM Vol. 2B, MOV "Protected Mode Exceptions").</summary>
    public bool LoadDataSegment(SegReg seg, ushort selector)
    {
        if (seg == SegReg.CS) { RaiseFault(Vector.InvalidOpcode); return false; }
        uint error = selector & ~3u;
        if ((selector & ~3) == 0)
        {
            if (seg == SegReg.SS) { RaiseFault(Vector.GeneralProtection, 0); return false; }
            Selectors[(int)seg] = selector;
            SegmentBase[(int)seg] = 0;
            return true;
        }
        if (!ReadDescriptor(selector, out Descriptor d)) return false;
        int rpl = selector & 3;
        if (seg == SegReg.SS)
        {
            if (rpl != Cpl || d.Dpl != Cpl || !d.IsWritableData) { RaiseFault(Vector.GeneralProtection, error); return false; }
            if (!d.Present) { RaiseFault(Vector.StackFault, error); return false; }
        }
        else
        {
            if (!d.Readable || d.IsSystem) { RaiseFault(Vector.GeneralProtection, error); return false; }
            if ((d.IsData || !d.Conforming) && (rpl > d.Dpl || Cpl > d.Dpl)) { RaiseFault(Vector.GeneralProtection, error); return false; }
            if (!d.Present) { RaiseFault(Vector.SegmentNotPresent, error); return false; }
        }
        Selectors[(int)seg] = selector;
        SegmentBase[(int)seg] = seg is SegReg.FS or SegReg.GS ? d.Base : 0;
        return true;
    }

    /// <summary>
    /// Checks a code selector for a far JMP/CALL (<paramref name="returning"/> false: same
    /// privilege only, no call gates) or a far RET/IRET (to the same or an outer ring).
    /// </summary>
    public bool CheckCodeSegment(ushort selector, bool returning)
    {
        uint error = selector & ~3u;
        if ((selector & ~3) == 0) { RaiseFault(Vector.GeneralProtection, 0); return false; }
        if (!ReadDescriptor(selector, out Descriptor d)) return false;
        int rpl = selector & 3;
        if (!d.IsCode) { RaiseFault(Vector.GeneralProtection, error); return false; }
        if (returning)
        {
            if (rpl < Cpl || (d.Conforming ? d.Dpl > rpl : d.Dpl != rpl)) { RaiseFault(Vector.GeneralProtection, error); return false; }
        }
        else
        {
            if (d.Conforming ? d.Dpl > Cpl : (rpl > Cpl || d.Dpl != Cpl)) { RaiseFault(Vector.GeneralProtection, error); return false; }
        }
        if (!d.Present) { RaiseFault(Vector.SegmentNotPresent, error); return false; }
        return true;
    }

    /// <summary>IRET or RET to an outer ring: data segments the new ring may not hold become null (SDM IRET).</summary>
    internal void NullInaccessibleDataSegments()
    {
        foreach (SegReg seg in (ReadOnlySpan<SegReg>)[SegReg.ES, SegReg.DS, SegReg.FS, SegReg.GS])
        {
            ushort sel = Selectors[(int)seg];
            if ((sel & ~3) == 0) continue;
            uint index = (uint)sel & ~7u;
            if (index + 7 > GdtLimit) { Selectors[(int)seg] = 0; SegmentBase[(int)seg] = 0; continue; }
            var d = new Descriptor(ReadMem(GdtBase + index, 4, false), ReadMem(GdtBase + index + 4, 4, false));
            if (_pendingFault) { ClearPendingFault(); continue; }
            if ((d.IsData || !d.Conforming) && d.Dpl < Cpl) { Selectors[(int)seg] = 0; SegmentBase[(int)seg] = 0; }
        }
    }

    /// <summary>LTR: load the task register from an available 32-bit TSS descriptor and mark it busy.</summary>
    public bool LoadTaskRegister(ushort selector)
    {
        uint error = selector & ~3u;
        if ((selector & ~3) == 0) { RaiseFault(Vector.GeneralProtection, 0); return false; }
        if (!ReadDescriptor(selector, out Descriptor d)) return false;
        if (!d.IsSystem || d.Type != 0x9) { RaiseFault(Vector.GeneralProtection, error); return false; }
        if (!d.Present) { RaiseFault(Vector.SegmentNotPresent, error); return false; }
        uint index = (uint)selector & ~7u;
        if (!WriteMem(GdtBase + index + 4, 4, d.High | (0x2u << 8), user: false)) return false;   // busy
        TaskRegister = selector;
        TssBase = d.Base;
        TssLimit = d.Limit;
        return true;
    }
}
