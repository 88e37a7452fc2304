// [C:430] Choosing each instruction's compact form (MicroOp.cs) at decode time.
//
// An instruction gets a fast form when its operands fit one: 32-bit registers,
// immediates, and memory with 32-bit addressing. Everything else, and everything
// when fast forms are switched off for tests, runs its family handler through
// FastOps.RunLegacy.
using Iced.Intel;

namespace Puppyvisor.Cpu.Decoding;

internal static unsafe class MicroOpBuilder
{
    public static MicroOp Build(Instruction[] source, int slot, bool fastForms)
    {
        ref Instruction insn = ref source[slot];
        var op = new MicroOp
        {
            Source = source,
            Legacy = DispatchTable.Handlers[(int)insn.Code],
            Execute = &FastOps.RunLegacy,
            Eip = insn.IP32,
            NextEip = insn.NextIP32,
            Slot = (ushort)slot,
            SetsEip = true,
            Base = MicroOp.NoRegister,
            Index = MicroOp.NoRegister,
        };
        if (fastForms && insn.Code != Code.INVALID && !insn.HasLockPrefix && TryFast(ref insn, ref op)) return op;
        op.Execute = &FastOps.RunLegacy;
        op.SetsEip = true;
        return op;
    }

    static bool IsGpr32(Register r) => r >= Register.EAX && r <= Register.EDI;
    static byte Num(Register r) => (byte)Cpu.RegisterNumber(r);

    /// <summary>Fills Base/Index/Scale/Disp/Seg for a memory operand with 32-bit addressing; false otherwise.</summary>
    static bool Memory(ref Instruction insn, ref MicroOp op, bool forLea = false)
    {
        Register b = insn.MemoryBase, x = insn.MemoryIndex;
        if ((b != Register.None && !IsGpr32(b)) || (x != Register.None && !IsGpr32(x)) || insn.MemoryDisplSize == 2) return false;
        op.Base = b == Register.None ? MicroOp.NoRegister : Num(b);
        op.Index = x == Register.None ? MicroOp.NoRegister : Num(x);
        op.Scale = (byte)(insn.MemoryIndexScale switch { 1 => 0, 2 => 1, 4 => 2, _ => 3 });
        op.Disp = insn.MemoryDisplacement32;
        Register seg = insn.MemorySegment;
        op.Seg = forLea ? (byte)SegReg.DS : seg == Register.FS ? (byte)SegReg.FS : seg == Register.GS ? (byte)SegReg.GS : (byte)SegReg.DS;
        return true;
    }

    static bool TryFast(ref Instruction insn, ref MicroOp op)
    {
        op.SetsEip = false;
        switch (insn.Mnemonic)
        {
            case Mnemonic.Add: return Binary<AddOp>(ref insn, ref op);
            case Mnemonic.Adc: return Binary<AdcOp>(ref insn, ref op);
            case Mnemonic.Sub: return Binary<SubOp>(ref insn, ref op);
            case Mnemonic.Sbb: return Binary<SbbOp>(ref insn, ref op);
            case Mnemonic.And: return Binary<AndOp>(ref insn, ref op);
            case Mnemonic.Or: return Binary<OrOp>(ref insn, ref op);
            case Mnemonic.Xor: return Binary<XorOp>(ref insn, ref op);
            case Mnemonic.Cmp: return Binary<CmpOp>(ref insn, ref op);
            case Mnemonic.Test: return Binary<TestOp>(ref insn, ref op);
            case Mnemonic.Mov: return Binary<MovOp>(ref insn, ref op);
            case Mnemonic.Inc or Mnemonic.Dec when insn.Op0Kind == OpKind.Register && IsGpr32(insn.Op0Register):
                op.Dst = Num(insn.Op0Register);
                op.Execute = insn.Mnemonic == Mnemonic.Inc ? &FastOps.IncReg : &FastOps.DecReg;
                return true;
            case Mnemonic.Inc or Mnemonic.Dec when insn.Op0Kind == OpKind.Memory && insn.MemorySize.GetSize() is 1 or 4 && Memory(ref insn, ref op):
                op.Variant = insn.Mnemonic == Mnemonic.Inc ? (byte)0 : (byte)1;
                op.Execute = insn.MemorySize.GetSize() == 4 ? &FastOps.IncDecMem<Size32> : &FastOps.IncDecMem<Size8>;
                return true;
            case Mnemonic.Nop:
                op.Execute = &FastOps.Nop;
                return true;
            case Mnemonic.Push when insn.StackPointerIncrement == -4 && insn.Op0Kind == OpKind.Memory && Memory(ref insn, ref op):
                op.Execute = &FastOps.PushMem;
                return true;
            case Mnemonic.Jmp or Mnemonic.Call when insn.Op0Kind == OpKind.Register && IsGpr32(insn.Op0Register):
                op.Src = Num(insn.Op0Register); op.SetsEip = true;
                op.Execute = insn.Mnemonic == Mnemonic.Jmp ? &FastOps.JmpReg : &FastOps.CallReg;
                return true;
            case Mnemonic.Jmp or Mnemonic.Call when insn.Op0Kind == OpKind.Memory && insn.MemorySize.GetSize() == 4 && Memory(ref insn, ref op):
                op.SetsEip = true;
                op.Execute = insn.Mnemonic == Mnemonic.Jmp ? &FastOps.JmpMem : &FastOps.CallMem;
                return true;
            case Mnemonic.Imul when insn.OpCount >= 2 && IsGpr32(insn.Op0Register):
                op.Dst = Num(insn.Op0Register);
                if (insn.OpCount == 3) { op.Variant = 1; op.Imm = (uint)insn.GetImmediate(2); }
                if (insn.Op1Kind == OpKind.Register && IsGpr32(insn.Op1Register)) { op.Src = Num(insn.Op1Register); op.Execute = &FastOps.ImulReg; return true; }
                if (insn.Op1Kind == OpKind.Memory && Memory(ref insn, ref op)) { op.Execute = &FastOps.ImulMem; return true; }
                return false;
            case Mnemonic.Movzx or Mnemonic.Movsx when IsGpr32(insn.Op0Register) && insn.Op1Kind == OpKind.Register:
                op.Dst = Num(insn.Op0Register); op.Src = Num(insn.Op1Register);
                bool byteReg = Cpu.RegisterSize(insn.Op1Register) == 1;
                op.Execute = insn.Mnemonic == Mnemonic.Movzx
                    ? (byteReg ? &FastOps.MovzxReg8 : &FastOps.MovzxReg16)
                    : (byteReg ? &FastOps.MovsxReg8 : &FastOps.MovsxReg16);
                return true;
            case Mnemonic.Lea when IsGpr32(insn.Op0Register) && Memory(ref insn, ref op, forLea: true):
                op.Dst = Num(insn.Op0Register);
                op.Execute = &FastOps.Lea;
                return true;
            case Mnemonic.Push when insn.StackPointerIncrement == -4:
                if (insn.Op0Kind == OpKind.Register && IsGpr32(insn.Op0Register)) { op.Src = Num(insn.Op0Register); op.Execute = &FastOps.PushReg; return true; }
                if (insn.Op0Kind is OpKind.Immediate32 or OpKind.Immediate8to32) { op.Imm = (uint)insn.GetImmediate(0); op.Execute = &FastOps.PushImm; return true; }
                return false;
            case Mnemonic.Pop when insn.StackPointerIncrement == 4 && insn.Op0Kind == OpKind.Register && IsGpr32(insn.Op0Register):
                op.Dst = Num(insn.Op0Register);
                op.Execute = &FastOps.PopReg;
                return true;
            case Mnemonic.Jmp when insn.Op0Kind == OpKind.NearBranch32:
                op.Imm = insn.NearBranch32; op.Execute = &FastOps.Jmp; op.SetsEip = true;
                return true;
            case Mnemonic.Call when insn.Op0Kind == OpKind.NearBranch32:
                op.Imm = insn.NearBranch32; op.Execute = &FastOps.Call; op.SetsEip = true;
                return true;
            case Mnemonic.Ret when insn.Code is Code.Retnd or Code.Retnd_imm16:
                op.Imm = insn.Code == Code.Retnd_imm16 ? insn.Immediate16 : 0u; op.Execute = &FastOps.Ret; op.SetsEip = true;
                return true;
            case Mnemonic.Movzx or Mnemonic.Movsx when IsGpr32(insn.Op0Register) && insn.Op1Kind == OpKind.Memory && Memory(ref insn, ref op):
                op.Dst = Num(insn.Op0Register);
                bool byteSource = insn.MemorySize.GetSize() == 1;
                op.Execute = insn.Mnemonic == Mnemonic.Movzx
                    ? (byteSource ? &FastOps.MovzxMem8 : &FastOps.MovzxMem16)
                    : (byteSource ? &FastOps.MovsxMem8 : &FastOps.MovsxMem16);
                return true;
            case Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Rol or Mnemonic.Ror
                when insn.Op0Kind == OpKind.Register && IsGpr32(insn.Op0Register):
                op.Dst = Num(insn.Op0Register);
                bool byCl = insn.Op1Kind == OpKind.Register;             // CL
                if (!byCl) op.Imm = (uint)insn.GetImmediate(1) & 31u;    // an immediate, or the 1 of D1 /r
                op.Execute = insn.Mnemonic switch
                {
                    Mnemonic.Shr => byCl ? &FastOps.ShrCl : &FastOps.ShrImm,
                    Mnemonic.Sar => byCl ? &FastOps.SarCl : &FastOps.SarImm,
                    Mnemonic.Rol => byCl ? &FastOps.RolCl : &FastOps.RolImm,
                    Mnemonic.Ror => byCl ? &FastOps.RorCl : &FastOps.RorImm,
                    _ => byCl ? &FastOps.ShlCl : &FastOps.ShlImm,
                };
                return true;
            case Mnemonic.Mul or Mnemonic.Div when insn.OpCount == 1 && Cpu.OperandSize(ref insn, 0) == 4:
                bool mul = insn.Mnemonic == Mnemonic.Mul;
                if (insn.Op0Kind == OpKind.Register) { op.Src = Num(insn.Op0Register); op.Execute = mul ? &FastOps.MulReg : &FastOps.DivReg; return true; }
                if (insn.Op0Kind == OpKind.Memory && Memory(ref insn, ref op)) { op.Execute = mul ? &FastOps.MulMem : &FastOps.DivMem; return true; }
                return false;
            case Mnemonic.Shld or Mnemonic.Shrd when insn.Op0Kind == OpKind.Register && IsGpr32(insn.Op0Register):
                op.Dst = Num(insn.Op0Register); op.Src = Num(insn.Op1Register);
                bool shldByCl = insn.Op2Kind == OpKind.Register;       // CL
                if (!shldByCl) op.Imm = (uint)insn.GetImmediate(2) & 31u;
                op.Execute = insn.Mnemonic == Mnemonic.Shld
                    ? (shldByCl ? &FastOps.ShldCl : &FastOps.ShldImm)
                    : (shldByCl ? &FastOps.ShrdCl : &FastOps.ShrdImm);
                return true;
            case Mnemonic.Bswap when IsGpr32(insn.Op0Register):
                op.Dst = Num(insn.Op0Register);
                op.Execute = &FastOps.BswapReg;
                return true;
            case Mnemonic.Not or Mnemonic.Neg when insn.Op0Kind == OpKind.Register && IsGpr32(insn.Op0Register):
                op.Dst = Num(insn.Op0Register);
                op.Execute = insn.Mnemonic == Mnemonic.Not ? &FastOps.NotReg : &FastOps.NegReg;
                return true;
        }
        if (insn.ConditionCode != ConditionCode.None && insn.Mnemonic is >= Mnemonic.Cmova and <= Mnemonic.Cmovs && IsGpr32(insn.Op0Register))
        {
            op.Dst = Num(insn.Op0Register); op.Cond = (byte)(insn.ConditionCode - ConditionCode.o);
            if (insn.Op1Kind == OpKind.Register && IsGpr32(insn.Op1Register)) { op.Src = Num(insn.Op1Register); op.Execute = &FastOps.CmovReg; return true; }
            if (insn.Op1Kind == OpKind.Memory && Memory(ref insn, ref op)) { op.Execute = &FastOps.CmovMem; return true; }
            return false;
        }
        if (insn.ConditionCode != ConditionCode.None && insn.Mnemonic is >= Mnemonic.Seta and <= Mnemonic.Sets && insn.Op0Kind == OpKind.Register)
        {
            op.Dst = Num(insn.Op0Register); op.Cond = (byte)(insn.ConditionCode - ConditionCode.o); op.Execute = &FastOps.SetccReg;
            return true;
        }
        if (insn.IsJccShortOrNear && insn.Op0Kind == OpKind.NearBranch32)
        {
            op.Imm = insn.NearBranch32; op.Cond = (byte)(insn.ConditionCode - ConditionCode.o); op.Execute = &FastOps.Jcc; op.SetsEip = true;
            return true;
        }
        return false;
    }

    /// <summary>dst op= src at 8 or 32 bits, for each operand form.</summary>
    static bool Binary<TOp>(ref Instruction insn, ref MicroOp op) where TOp : struct, IBinaryOp
    {
        if (insn.OpCount != 2) return false;
        int size = Cpu.OperandSize(ref insn, 0);
        return size switch
        {
            4 => Binary<TOp, Size32>(ref insn, ref op),
            2 => Binary<TOp, Size16>(ref insn, ref op),
            1 => Binary<TOp, Size8>(ref insn, ref op),
            _ => false,
        };
    }

    static bool IsGpr(Register r, int size) => size switch
    {
        4 => IsGpr32(r),
        2 => r >= Register.AX && r <= Register.DI,
        _ => r >= Register.AL && r <= Register.BH,
    };

    static bool Binary<TOp, TS>(ref Instruction insn, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        int size = TS.Bytes;
        OpKind k0 = insn.Op0Kind, k1 = insn.Op1Kind;
        bool imm1 = k1 is OpKind.Immediate32 or OpKind.Immediate8to32 or OpKind.Immediate16 or OpKind.Immediate8to16 or OpKind.Immediate8;
        uint sizeMask = (uint)((1UL << (8 * size)) - 1);             // Iced sign-extends imm8 to 64 bits
        if (k0 == OpKind.Register)
        {
            if (!IsGpr(insn.Op0Register, size)) return false;
            op.Dst = Num(insn.Op0Register);
            if (k1 == OpKind.Register && IsGpr(insn.Op1Register, size)) { op.Src = Num(insn.Op1Register); op.Execute = &FastOps.RegReg<TOp, TS>; return true; }
            if (imm1) { op.Imm = (uint)insn.GetImmediate(1) & sizeMask; op.Execute = &FastOps.RegImm<TOp, TS>; return true; }
            if (k1 == OpKind.Memory && insn.MemorySize.GetSize() == size && Memory(ref insn, ref op)) { op.Execute = &FastOps.RegMem<TOp, TS>; return true; }
            return false;
        }
        if (k0 == OpKind.Memory && insn.MemorySize.GetSize() == size && Memory(ref insn, ref op))
        {
            if (k1 == OpKind.Register && IsGpr(insn.Op1Register, size)) { op.Src = Num(insn.Op1Register); op.Execute = &FastOps.MemReg<TOp, TS>; return true; }
            if (imm1) { op.Imm = (uint)insn.GetImmediate(1) & sizeMask; op.Execute = &FastOps.MemImm<TOp, TS>; return true; }
        }
        return false;
    }
}
