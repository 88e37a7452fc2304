// [C:640] The block compiler: a hot block becomes one .NET method.
//
// The interpreter (Cpu.Run.cs) pays, for every guest instruction, a trip round its loop
// and an indirect call into the op's handler, and the handler can keep nothing in
// registers from one instruction to the next. A block that has run often enough to
// repay the JIT's time (Hot) is worth more: it is compiled into a DynamicMethod that calls each fast form's body
// (FastOps.cs) directly, one after the other, with the op's operands as constants. The
// .NET JIT inlines the bodies into one method and folds the constants, so a block of
// register arithmetic becomes straight-line machine code, the way QEMU's TCG turns a
// block into host code. A block that ends by branching back to its own start goes
// round inside the method.
//
// Nothing about the semantics changes: the bodies are the interpreter's, in the same
// order, on the same operands. After every op that can fault, exit or write memory, the
// compiled code looks at the attention word, exactly as the interpreter does, and
// returns that op's index, so the caller finishes the bookkeeping (saved EIP, retired
// count, budget: Cpu.StopAtAttention) as it always has. Ops marked [RegistersOnly]
// touch nothing but registers and flags, cannot raise attention, and need no check. An
// op without a body (RunLegacy) is called on its MicroOp. A block with an op whose
// handler the compiler does not know is not compiled (Publish): it stays with the
// interpreter, which is always right.
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Puppyvisor.Cpu.Decoding;

namespace Puppyvisor.Cpu;

/// <summary>A fast form that reads and writes only registers and flags: it cannot fault, exit or touch memory.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class RegistersOnlyAttribute : Attribute { }

/// <summary>
/// A compiled block: runs the ops from <paramref name="first"/> on. Returns -1 when the whole
/// block ran (it has retired the block and set EIP), else the index of the op at which
/// attention stopped it (the caller finishes that op's bookkeeping: Cpu.StopAtAttention).
/// </summary>
public delegate int CompiledBlock(Cpu cpu, ref MicroOp first);

/// <summary>When hot blocks are compiled: never, by a background thread (the default), or at once (tests).</summary>
public enum BlockCompilation { Off, Background, Immediate }

public static unsafe class BlockCompiler
{
    /// <summary>
    /// The default for Cpu.CompileAfterInstructions. The JIT takes 1-3 ms for a
    /// block, the time the interpreter needs for 100,000-odd instructions, and compiled code
    /// saves a few nanoseconds an instruction: a block that has run 50,000 instructions is
    /// likely to run enough more to repay its compilation. A hot loop gets there in well under
    /// a millisecond; an idle tickless guest's timer handler, a few thousand instructions a
    /// second, takes many seconds, so idle guests cost next to no compiling. (Measured on
    /// bench at iterations=80: 20,000 leaves 10 % of the instructions to the interpreter,
    /// 50,000 11 %, 200,000 17 %, where the compiler thread lags behind.)
    /// </summary>
    public const long DefaultCompileAfterInstructions = 50_000;

    /// <summary>Never fewer executions than this: a block's first runs also warm the caches and the chain.</summary>
    public const int MinExecutions = 64;

    /// <summary>True once <paramref name="block"/> has run often enough to be worth compiling.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Hot(DecodedBlock block, long compileAfterInstructions) =>
        block.Executions >= MinExecutions && (long)block.Executions * block.Count >= compileAfterInstructions;

    // ---- compiling in the background ---------------------------------------------------
    //
    // The JIT takes a millisecond or more per block; the guest should not wait for it.
    // A hot block is queued, one background thread compiles the queue, and the block runs in
    // the interpreter until its Compiled field is published. Which run of a block is the first
    // compiled one then depends on the host's timing -- but nothing the guest can see does,
    // since the compiled code does exactly what the interpreter does.

    static readonly List<DecodedBlock> Queue = new();
    static readonly SemaphoreSlim Queued = new(0);
    static int _workerStarted;

    /// <summary>Compiles <paramref name="block"/> on the background thread; it runs interpreted until then.</summary>
    public static void CompileInBackground(DecodedBlock block)
    {
        if (Interlocked.Exchange(ref _workerStarted, 1) == 0)
            new Thread(CompileQueuedBlocks) { IsBackground = true, Name = "block compiler" }.Start();
        lock (Queue) Queue.Add(block);
        Queued.Release();
    }

    static void CompileQueuedBlocks()
    {
        while (true)
        {
            Queued.Wait();
            if (TakeHottest() is { Valid: true } block) Publish(block);
        }
    }

    /// <summary>
    /// The queued block that has run the most instructions: the blocks of a new loop all become hot at
    /// about the same moment, and the loop's body should not wait behind its entry code.
    /// (Executions goes on counting while a block waits; read racily, it is only a priority.)
    /// </summary>
    static DecodedBlock? TakeHottest()
    {
        lock (Queue)
        {
            if (Queue.Count == 0) return null;
            int best = 0;
            for (int i = 1; i < Queue.Count; i++)
                if ((long)Queue[i].Executions * Queue[i].Count > (long)Queue[best].Executions * Queue[best].Count) best = i;
            DecodedBlock block = Queue[best];
            Queue[best] = Queue[^1];
            Queue.RemoveAt(Queue.Count - 1);
            return block;
        }
    }

    /// <summary>Compiles <paramref name="block"/> now and lets the CPU use it.</summary>
    /// <remarks>
    /// A block the compiler or the JIT cannot handle (a bug here, not the guest's doing) stays
    /// with the interpreter, which is always right; it is counted in <see cref="Failures"/>
    /// rather than taking the compiler thread, and the process, down with it.
    /// </remarks>
    public static void Publish(DecodedBlock block)
    {
        CompiledBlock compiled;
        try
        {
            compiled = Compile(block);
            MicroOp none = default;
            compiled(null!, ref none);                      // JIT it here (see Compile)
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Interlocked.Increment(ref Failures);
            LastFailure = $"block at 0x{block.Linear:x8}: {e.GetType().Name}: {e.Message}";
            return;
        }
        Volatile.Write(ref block.Compiled, compiled);
    }

    /// <summary>Blocks the compiler gave up on (they run interpreted), and what went wrong last.</summary>
    public static int Failures;
    public static string? LastFailure;

    /// <summary>
    /// A fast form as the compiler calls it: the body (FastOps' overload that takes operands),
    /// or, for a handler without one (RunLegacy), the handler itself on the op's address.
    /// </summary>
    readonly record struct Form(MethodInfo Body, bool TakesOperands, bool RegistersOnly);

    /// <summary>Every fast-form handler, by the function pointer MicroOpBuilder stores in MicroOp.Execute.</summary>
    static readonly Dictionary<nint, Form> Forms = FindForms();

    static readonly FieldInfo AttentionField = CpuField("_attention"), BudgetField = CpuField("_budget"),
        RetiredField = CpuField(nameof(Cpu.InstructionsRetired)),
        RetiredBaseField = CpuField("_blockRetiredBase"), EipField = CpuField(nameof(Cpu.Eip));

    static FieldInfo CpuField(string name) =>
        typeof(Cpu).GetField(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(Cpu), name);

    /// <summary>Cpu.Ea(disp, base, index, scale, seg): how a body's <c>ea</c> parameter is computed.</summary>
    static readonly MethodInfo EaMethod = typeof(Cpu).GetMethod(nameof(Cpu.Ea), BindingFlags.Instance | BindingFlags.NonPublic,
        [typeof(uint), typeof(int), typeof(int), typeof(int), typeof(int)])!;

    static readonly Dictionary<string, FieldInfo> OperandFields = typeof(MicroOp).GetFields()
        .Where(f => !f.IsLiteral && (f.FieldType == typeof(byte) || f.FieldType == typeof(uint)))
        .ToDictionary(f => f.Name.ToLowerInvariant());

    static bool IsHandler(MethodInfo m)
    {
        ParameterInfo[] p = m.GetParameters();
        return m.ReturnType == typeof(void) && p.Length == 2 && p[0].ParameterType == typeof(Cpu) &&
            p[1].ParameterType == typeof(MicroOp).MakeByRefType();
    }

    static Dictionary<nint, Form> FindForms()
    {
        var forms = new Dictionary<nint, Form>();
        MethodInfo[] all = typeof(FastOps).GetMethods(BindingFlags.Public | BindingFlags.Static);
        foreach (MethodInfo handler in all.Where(IsHandler))
        {
            MethodInfo? body = all.SingleOrDefault(m => m.Name == handler.Name && !IsHandler(m) &&
                m.GetGenericArguments().Length == handler.GetGenericArguments().Length);
            foreach (Type[] args in Instantiations(handler))
            {
                MethodInfo h = args.Length == 0 ? handler : handler.MakeGenericMethod(args);
                MethodInfo? b = body is null ? null : args.Length == 0 ? body : body.MakeGenericMethod(args);
                forms[h.MethodHandle.GetFunctionPointer()] = b is null
                    ? new Form(h, TakesOperands: false, RegistersOnly: false)
                    : new Form(b, TakesOperands: true, RegistersOnly: b.IsDefined(typeof(RegistersOnlyAttribute)));
            }
        }
        return forms;
    }

    /// <summary>Every combination of the operation and size types a generic form can take (none for a plain method).</summary>
    static IEnumerable<Type[]> Instantiations(MethodInfo m)
    {
        Type[] parameters = m.GetGenericArguments();
        var choices = parameters.Select(tp => typeof(FastOps).Assembly.GetTypes()
            .Where(t => t.IsValueType && tp.GetGenericParameterConstraints().All(c => c.IsAssignableFrom(t)))
            .ToArray()).ToArray();
        return Combinations(choices, 0);
    }

    static IEnumerable<Type[]> Combinations(Type[][] choices, int i)
    {
        if (i == choices.Length) { yield return Array.Empty<Type>(); yield break; }
        foreach (Type t in choices[i])
            foreach (Type[] rest in Combinations(choices, i + 1))
                yield return [t, .. rest];
    }

    /// <summary>How many of <paramref name="block"/>'s ops have a handler the compiler does not know (tests: none).</summary>
    internal static int UnknownOps(DecodedBlock block)
    {
        int n = 0;
        for (int k = 0; k < block.Count; k++)
            if (!Forms.ContainsKey((nint)block.Ops[k].Execute)) n++;
        return n;
    }

    /// <summary>The FastOps handlers the compiler can only call through their MicroOp (tests: just RunLegacy).</summary>
    internal static string[] HandlersWithoutOperandBody() =>
        Forms.Values.Where(f => !f.TakesOperands).Select(f => f.Body.Name).Distinct().Order().ToArray();

    /// <summary>Pushes the body's operands after the Cpu: each parameter is the MicroOp field of its name, as a constant.</summary>
    static void EmitOperands(ILGenerator il, MethodInfo method, in MicroOp op)
    {
        foreach (ParameterInfo p in method.GetParameters().Skip(method.IsStatic ? 1 : 0))     // after the Cpu
        {
            if (p.Name == "ea")
            {
                il.Emit(OpCodes.Ldarg_1);
                EmitOperands(il, EaMethod, op);
                il.Emit(OpCodes.Call, EaMethod);
                continue;
            }
            if (!OperandFields.TryGetValue(p.Name!.ToLowerInvariant(), out FieldInfo? field))
                throw new InvalidOperationException($"FastOps.{method.Name}: no MicroOp field for parameter '{p.Name}'");
            il.Emit(OpCodes.Ldc_I4, unchecked((int)Convert.ToUInt32(field.GetValue(op))));
        }
    }

    /// <summary>True when the block ends in a direct branch to its own start and has only fast forms.</summary>
    static bool LoopsToItself(DecodedBlock block)
    {
        for (int k = 0; k < block.Count; k++)
            if (!Forms.TryGetValue((nint)block.Ops[k].Execute, out Form f) || !f.TakesOperands) return false;
        ref MicroOp last = ref block.Ops[block.Count - 1];
        return last.Imm == block.Linear && Forms[(nint)last.Execute].Body.Name is nameof(FastOps.Jcc) or nameof(FastOps.Jmp);
    }

    /// <summary>cpu.<paramref name="target"/> = cpu.<paramref name="source"/> (+ or -) <paramref name="count"/>, in 64 bits.</summary>
    static void EmitSetFromField(ILGenerator il, FieldInfo target, FieldInfo source, OpCode op, int count)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, source);
        il.Emit(OpCodes.Ldc_I8, (long)count);
        il.Emit(op);
        il.Emit(OpCodes.Stfld, target);
    }

    public static CompiledBlock Compile(DecodedBlock block)
    {
        // The first parameter is the delegate's target, always null: a delegate closed over its
        // first argument is invoked without the shuffle thunk an open static delegate needs.
        var method = new DynamicMethod($"block_{block.Linear:x8}", typeof(int),
            [typeof(object), typeof(Cpu), typeof(MicroOp).MakeByRefType()], typeof(Cpu), skipVisibility: true);
        ILGenerator il = method.GetILGenerator();
        int size = Unsafe.SizeOf<MicroOp>();
        // Called with no Cpu, the method returns at once: the compiler thread makes that call, so
        // that the JIT compiles the method there, not at its first real call on the vCPU's thread.
        Label real = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Brtrue, real);
        il.Emit(OpCodes.Ldc_I4_M1);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(real);
        for (int k = 0; k < block.Count; k++)
        {
            nint handler = (nint)block.Ops[k].Execute;
            if (!Forms.TryGetValue(handler, out Form form))             // Publish leaves the block to the interpreter
                throw new InvalidOperationException($"no FastOps form has the handler 0x{handler:x} at 0x{block.Ops[k].Eip:x8}");
            if (form.TakesOperands)
            {
                il.Emit(OpCodes.Ldarg_1);
                EmitOperands(il, form.Body, block.Ops[k]);
                il.Emit(OpCodes.Call, form.Body);
            }
            else
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldarg_2);                           // &ops[k] = &ops[0] + k * size
                if (k != 0)
                {
                    il.Emit(OpCodes.Ldc_I4, k * size);
                    il.Emit(OpCodes.Conv_I);
                    il.Emit(OpCodes.Add);
                }
                il.Emit(OpCodes.Call, form.Body);
            }
            if (form.RegistersOnly && k != block.Count - 1) continue;
            Label next = il.DefineLabel();
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, AttentionField);
            il.Emit(OpCodes.Brfalse, next);
            il.Emit(OpCodes.Ldc_I4, k);
            il.Emit(OpCodes.Ret);
            il.MarkLabel(next);
        }
        // The whole block ran: retire it and leave EIP after it, as ExecuteBlock's end does
        // (from the block's base: a legacy op has synchronised the count to its own slot).
        EmitSetFromField(il, RetiredField, RetiredBaseField, OpCodes.Add, block.Count);
        EmitSetFromField(il, BudgetField, BudgetField, OpCodes.Sub, block.Count);
        ref MicroOp last = ref block.Ops[block.Count - 1];
        if (!last.SetsEip)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldc_I4, unchecked((int)last.NextEip));
            il.Emit(OpCodes.Stfld, EipField);
        }
        if (LoopsToItself(block))
        {
            // A loop that is one block (the branch at its end goes back to its start) goes round
            // here, without returning, while the interpreter's loop would do the same: the branch
            // was taken, nothing needs attention and the budget covers another whole round. Its
            // ops are all fast forms, so nothing in it changes the mode, the mappings or TF.
            Label done = il.DefineLabel();
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, EipField);
            il.Emit(OpCodes.Ldc_I4, unchecked((int)block.Linear));
            il.Emit(OpCodes.Bne_Un, done);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, AttentionField);
            il.Emit(OpCodes.Brtrue, done);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, BudgetField);
            il.Emit(OpCodes.Ldc_I8, (long)block.Count);
            il.Emit(OpCodes.Blt, done);
            il.Emit(OpCodes.Ldarg_1);                           // the next round's base
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, RetiredField);
            il.Emit(OpCodes.Stfld, RetiredBaseField);
            il.Emit(OpCodes.Br, real);
            il.MarkLabel(done);
        }
        il.Emit(OpCodes.Ldc_I4_M1);
        il.Emit(OpCodes.Ret);
        return (CompiledBlock)method.CreateDelegate(typeof(CompiledBlock), null);
    }
}
