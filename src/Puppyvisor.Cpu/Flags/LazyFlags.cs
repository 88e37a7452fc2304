// [C:300] Lazy flags: remember the last arithmetic operation, compute flags when read.
//
// Most flag results are never read: an ADD's flags are overwritten by the next CMP
// before any Jcc looks. So ADD, SUB, ADC, SBB, the logic group, INC, DEC and NEG
// record their operands and result (Aeon's FlagState, Bochs' lazy flags) and the
// six arithmetic flags are computed only when someone asks. Everything else
// (shifts, multiplies, BCD) sets them eagerly through SetArithFlags.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Puppyvisor.Cpu;

/// <summary>The operation whose flags are pending.</summary>
internal enum FlagOp : byte
{
    /// <summary>Flags are materialised in <c>_eflags</c>.</summary>
    None,
    Add, Adc, Sub, Sbb, Logic, Inc, Dec,
    /// <summary>32-bit SHL/SHR/SAR by 1..31 (the fast forms): dst = the operand, src = the count.</summary>
    Shl, Shr, Sar,
}

public sealed partial class Cpu
{
    /// <summary>CF, PF, AF, ZF, SF and OF: the flags that may be lazy.</summary>
    public const uint ArithFlags = CF | PF | AF | ZF | SF | OF;

    uint _eflags = 2;           // every bit when _flagOp is None; the non-lazy bits otherwise
    FlagOp _flagOp;
    byte _flagSize;             // 1, 2 or 4 bytes
    uint _flagMask;             // 0xFF, 0xFFFF or 0xFFFFFFFF: the result's bits
    uint _flagDst, _flagSrc, _flagRes;
    bool _flagCarryIn;          // ADC/SBB's incoming CF; INC/DEC keep the old CF in _eflags

    /// <summary>EFLAGS as the guest sees it (bit 1 always set).</summary>
    public uint Eflags
    {
        get => _flagOp == FlagOp.None ? _eflags : (_eflags & ~ArithFlags) | ComputeArithFlags();
        set { _eflags = (value & 0x003F_7FD5u) | 2u; _flagOp = FlagOp.None; }
    }

    /// <summary>Turns pending flags into bits in <c>_eflags</c>.</summary>
    public void MaterializeFlags()
    {
        if (_flagOp == FlagOp.None) return;
        _eflags = (_eflags & ~ArithFlags) | ComputeArithFlags();
        _flagOp = FlagOp.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazy(FlagOp op, int size, uint dst, uint src, uint res)
    {
        _flagOp = op; _flagSize = (byte)size; _flagMask = (uint)((1UL << (size << 3)) - 1);
        _flagDst = dst; _flagSrc = src; _flagRes = res;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazyWithCarry(FlagOp op, int size, uint dst, uint src, uint res, bool carryIn)
    {
        _flagCarryIn = carryIn;
        SetLazy(op, size, dst, src, res);
    }

    /// <summary>INC and DEC leave CF alone: pin the current CF in <c>_eflags</c> first.</summary>
    internal void SetLazyIncDec(FlagOp op, int size, uint dst, uint res)
    {
        if (_flagOp != FlagOp.None) PinCarry();
        SetLazy(op, size, dst, 1, res);
    }

    /// <summary>Puts the pending CF into <c>_eflags</c> (out of line: compiled blocks inline SetLazyIncDec).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    void PinCarry() => _eflags = (_eflags & ~CF) | (GetCF() ? CF : 0);

    /// <summary>Sets the six arithmetic flags eagerly (shifts, multiplies, BCD).</summary>
    internal void SetArithFlags(uint bits)
    {
        // All six are replaced, so pending lazy flags need not be computed first.
        _eflags = (_eflags & ~ArithFlags) | (bits & ArithFlags);
        _flagOp = FlagOp.None;
    }

    /// <summary>Sets or clears a flag bit eagerly, keeping the others as they are.</summary>
    internal void SetFlag(uint flag, bool value)
    {
        MaterializeFlags();
        _eflags = value ? _eflags | flag : _eflags & ~flag;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool GetFlag(uint flag) =>
        (flag & ArithFlags) == 0 || _flagOp == FlagOp.None ? (_eflags & flag) != 0 : (Eflags & flag) != 0;

    public bool InterruptsEnabled => (_eflags & IF) != 0;
    public bool DirectionFlag => (_eflags & DF) != 0;
    public int Iopl => (int)((_eflags >> 12) & 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint SignBit(int size) => size == 4 ? 0x8000_0000u : size == 2 ? 0x8000u : 0x80u;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint SizeMask(int size) => size == 4 ? 0xFFFF_FFFFu : size == 2 ? 0xFFFFu : 0xFFu;

    /// <summary>PF: set when the low byte of the result has an even number of 1 bits.</summary>
    internal static uint Parity(uint result) => (BitOperations.PopCount(result & 0xFF) & 1) == 0 ? PF : 0;

    /// <summary>ZF, SF and PF of a result of the given size.</summary>
    internal static uint ZspFlags(uint result, int size)
    {
        uint m = SizeMask(size);
        return ((result & m) == 0 ? ZF : 0) | ((result & SignBit(size)) != 0 ? SF : 0) | Parity(result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool GetCF()
    {
        uint m = _flagMask;
        uint d = _flagDst & m, s = _flagSrc & m, r = _flagRes & m;
        return _flagOp switch
        {
            FlagOp.None or FlagOp.Inc or FlagOp.Dec => (_eflags & CF) != 0,
            FlagOp.Add => r < d,
            FlagOp.Adc => _flagCarryIn ? r <= d : r < d,
            FlagOp.Sub => d < s,
            FlagOp.Sbb => _flagCarryIn ? d <= s : d < s,
            FlagOp.Shl => ((d >> (32 - (int)s)) & 1) != 0,
            FlagOp.Shr => ((d >> ((int)s - 1)) & 1) != 0,
            FlagOp.Sar => (((int)d >> ((int)s - 1)) & 1) != 0,
            _ => false,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool GetZF() => _flagOp == FlagOp.None ? (_eflags & ZF) != 0 : (_flagRes & _flagMask) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool GetSF() => _flagOp == FlagOp.None ? (_eflags & SF) != 0 : (_flagRes & ~(_flagMask >> 1) & _flagMask) != 0;

    internal bool GetOF()
    {
        uint sb = ~(_flagMask >> 1) & _flagMask;
        uint d = _flagDst, s = _flagSrc, r = _flagRes;
        return _flagOp switch
        {
            FlagOp.None => (_eflags & OF) != 0,
            FlagOp.Add or FlagOp.Adc => ((d ^ r) & (s ^ r) & sb) != 0,
            FlagOp.Sub or FlagOp.Sbb => ((d ^ s) & (d ^ r) & sb) != 0,
            FlagOp.Inc => (r & _flagMask) == sb,
            FlagOp.Dec => (r & _flagMask) == sb - 1,
            // Count 1 as the SDM defines OF; above 1 (undefined) the hardware's rule, as ShiftRotate.cs
            // and tests/vectors/UNDEFINED-FLAGS.md: SHL: MSB(result) XOR CF; SHR and SAR: 0.
            FlagOp.Shl => ((r >> 31) != 0) != GetCF(),
            FlagOp.Shr => s == 1 && (d >> 31) != 0,         // count 1: the operand's sign (SDM); above: 0
            _ => false,
        };
    }

    internal bool GetPF() => _flagOp == FlagOp.None ? (_eflags & PF) != 0 : Parity(_flagRes) != 0;

    uint ComputeArithFlags()
    {
        uint f = ZspFlags(_flagRes, _flagSize) | LazyAuxFlag();
        if (GetCF()) f |= CF;
        if (GetOF()) f |= OF;
        return f;
    }

    /// <summary>
    /// AF of the pending operation: the carry out of bit 3. Undefined after the logic group (0)
    /// and after shifts (1): the hardware's values (tests/vectors/UNDEFINED-FLAGS.md).
    /// </summary>
    uint LazyAuxFlag() =>
        _flagOp is FlagOp.Shl or FlagOp.Shr or FlagOp.Sar ? AF
        : _flagOp != FlagOp.Logic && ((_flagDst ^ _flagSrc ^ _flagRes) & 0x10) != 0 ? AF : 0;

    /// <summary>
    /// SF, ZF, AF and PF as they are: what an instruction that replaces only CF and OF keeps
    /// (rotates; MUL and IMUL, which leave the other four as the hardware does). Computes
    /// pending flags without CF and OF, which it would throw away.
    /// </summary>
    internal uint SzapFlags() =>
        _flagOp == FlagOp.None ? _eflags & (SF | ZF | AF | PF) : ZspFlags(_flagRes, _flagSize) | LazyAuxFlag();

    /// <summary>Evaluates condition code <paramref name="cc"/> (the low nibble of Jcc/SETcc/CMOVcc).</summary>
    /// <remarks>
    /// After a CMP/SUB, a logic op or INC/DEC -- what precedes nearly every branch -- the
    /// condition comes straight from the operands, without computing the flags one by one.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Condition(int cc)
    {
        if (_flagOp == FlagOp.Sub) return SubCondition(cc);
        if (_flagOp == FlagOp.Logic) return LogicCondition(cc);
        // E/NE after anything lazy (DEC ECX; JNZ): ZF is the result being zero, whatever the operation.
        if ((cc >> 1) == 2 && _flagOp != FlagOp.None) return ((_flagRes & _flagMask) == 0) ^ ((cc & 1) != 0);
        return GeneralCondition(cc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]      // a compiled block's constant cc folds the switch
    bool SubCondition(int cc)
    {
        int shift = 32 - 8 * _flagSize;
        uint d = _flagDst << shift, s = _flagSrc << shift;        // the operands, left-aligned
        bool r = (cc >> 1) switch
        {
            1 => d < s,                                             // B
            2 => d == s,                                            // E
            3 => d <= s,                                            // BE
            6 => (int)d < (int)s,                                   // L
            7 => (int)d <= (int)s,                                  // LE
            _ => GeneralCondition(cc & ~1),
        };
        return r ^ ((cc & 1) != 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    bool LogicCondition(int cc)
    {
        int res = (int)(_flagRes << (32 - 8 * _flagSize));         // the result, left-aligned: its sign is SF
        bool r = (cc >> 1) switch
        {
            0 or 1 => false,                                        // O, B: OF = CF = 0
            2 or 3 => res == 0,                                     // E, BE
            4 or 6 => res < 0,                                      // S, L (OF = 0)
            7 => res <= 0,                                          // LE
            _ => GetPF(),                                           // P
        };
        return r ^ ((cc & 1) != 0);
    }

    bool GeneralCondition(int cc)
    {
        bool r = (cc >> 1) switch
        {
            0 => GetOF(),                       // O
            1 => GetCF(),                       // B / C / NAE
            2 => GetZF(),                       // E / Z
            3 => GetCF() || GetZF(),            // BE / NA
            4 => GetSF(),                       // S
            5 => GetPF(),                       // P / PE
            6 => GetSF() != GetOF(),            // L / NGE
            _ => GetZF() || GetSF() != GetOF(), // LE / NG
        };
        return r ^ ((cc & 1) != 0);
    }
}
