// [C:805] The two-operand operations, once: ADD, ADC, SUB, SBB, CMP, AND, OR, XOR, TEST, MOV.
//
// Each is a struct whose static Apply computes the result and leaves the flags lazy
// (Flags/LazyFlags.cs). The family handlers (Arithmetic.cs, Logic.cs) and the compact
// fast forms (Execution/FastOps.cs) are generic over them, so a flag rule lives in one
// place and the JIT compiles a specialised body for each operation.
namespace Puppyvisor.Cpu;

/// <summary>An operand size, as a type, so each body is compiled once per size.</summary>
internal interface IOpSize { static abstract int Bytes { get; } }
internal struct Size8 : IOpSize { public static int Bytes => 1; }
internal struct Size16 : IOpSize { public static int Bytes => 2; }
internal struct Size32 : IOpSize { public static int Bytes => 4; }

/// <summary>A two-operand operation: result and flags from (a, b) at <c>size</c> bytes.</summary>
internal interface IBinaryOp
{
    static abstract uint Apply(Cpu cpu, uint a, uint b, int size);
    /// <summary>False for CMP and TEST: only the flags change.</summary>
    static abstract bool WritesBack { get; }
    /// <summary>True for MOV: the old destination is not read.</summary>
    static abstract bool IgnoresDestination { get; }
}

internal struct AddOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size) { uint r = a + b; c.SetLazy(FlagOp.Add, size, a, b, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct SubOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size) { uint r = a - b; c.SetLazy(FlagOp.Sub, size, a, b, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct CmpOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size) { c.SetLazy(FlagOp.Sub, size, a, b, a - b); return a; }
    public static bool WritesBack => false;
    public static bool IgnoresDestination => false;
}

internal struct AndOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size) { uint r = a & b; c.SetLazy(FlagOp.Logic, size, 0, 0, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct OrOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size) { uint r = a | b; c.SetLazy(FlagOp.Logic, size, 0, 0, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct XorOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size) { uint r = a ^ b; c.SetLazy(FlagOp.Logic, size, 0, 0, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct TestOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size) { c.SetLazy(FlagOp.Logic, size, 0, 0, a & b); return a; }
    public static bool WritesBack => false;
    public static bool IgnoresDestination => false;
}

internal struct AdcOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size)
    {
        bool carry = c.GetCF();
        uint r = a + b + (carry ? 1u : 0u);
        c.SetLazyWithCarry(FlagOp.Adc, size, a, b, r, carry);
        return r;
    }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct SbbOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size)
    {
        bool borrow = c.GetCF();
        uint r = a - b - (borrow ? 1u : 0u);
        c.SetLazyWithCarry(FlagOp.Sbb, size, a, b, r, borrow);
        return r;
    }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct MovOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b, int size) => b;
    public static bool WritesBack => true;
    public static bool IgnoresDestination => true;
}
