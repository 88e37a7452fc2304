// The block compiler (Execution/BlockCompiler.cs) changes speed, never behaviour: each
// program here runs twice, interpreted and with every hot block compiled at once, and
// must leave the same registers, flags, memory, EIP and retired-instruction count.
using Iced.Intel;
using Puppyvisor.Cpu.Decoding;
using static Iced.Intel.AssemblerRegisters;

namespace Puppyvisor.Cpu.Tests;

public class BlockCompilerTests
{
    const uint Data = CpuTestHarness.DataBase;

    /// <summary>What a run leaves behind, for comparing the two ways of running it.</summary>
    sealed record Outcome(ExitReason Exit, uint[] Registers, uint Eflags, uint Eip, ulong Retired, string Memory, string Exceptions);

    static Outcome RunBoth(Action<Assembler> program, Action<CpuTestHarness>? setup = null, long budget = 1_000_000,
        bool expectCompiled = true)
    {
        Outcome Run(BlockCompilation mode)
        {
            var h = new CpuTestHarness();
            h.Cpu.Compiler = mode;
            h.Cpu.CompileAfterInstructions = 0;             // hot after BlockCompiler.MinExecutions runs
            h.Load(program);
            setup?.Invoke(h);
            ExitReason exit = h.Cpu.Run(budget);
            if (mode == BlockCompilation.Immediate && expectCompiled)
                Assert.True(CompiledBlocks(h) > 0, "no block was hot enough to be compiled: the test proves nothing");
            return new Outcome(exit, h.Cpu.Gpr[..8], h.Cpu.Eflags, h.Cpu.Eip, h.Cpu.InstructionsRetired,
                Convert.ToHexString(h.ReadBytes(Data, 0x200)), string.Join(",", h.Cpu.ExceptionCounts));
        }
        Outcome interpreted = Run(BlockCompilation.Off), compiled = Run(BlockCompilation.Immediate);
        Assert.Equal(interpreted.Exit, compiled.Exit);
        Assert.Equal(interpreted.Registers, compiled.Registers);
        Assert.Equal(interpreted.Eflags, compiled.Eflags);
        Assert.Equal(interpreted.Eip, compiled.Eip);
        Assert.Equal(interpreted.Retired, compiled.Retired);
        Assert.Equal(interpreted.Memory, compiled.Memory);
        Assert.Equal(interpreted.Exceptions, compiled.Exceptions);
        return compiled;
    }

    static int CompiledBlocks(CpuTestHarness h)
    {
        int n = 0;
        for (uint eip = CpuTestHarness.CodeBase; eip < h.CodeEnd; eip++)
            if (h.Cpu.Decode.Peek(eip) is { Compiled: not null } block)
            {
                n++;
                // Every op's handler is one the compiler knows (else it falls back to a bare calli).
                Assert.Equal(0, BlockCompiler.UnknownOps(block));
            }
        return n;
    }

    [Fact]
    public void EveryFastForm_IsCalledWithItsOperandsAsConstants()
    {
        // A form without an operand-taking body would still run (through its MicroOp), but slowly.
        Assert.Equal(["RunLegacy"], BlockCompiler.HandlersWithoutOperandBody());
    }

    [Theory]
    [InlineData(1_000, false)]          // 4,000 instructions in the loop block: not worth the JIT's time
    [InlineData(20_000, true)]          // 80,000: compiled
    public void ABlockIsCompiledOnlyOnceItHasRunEnoughInstructionsToRepayTheJit(int rounds, bool compiled)
    {
        var h = new CpuTestHarness();
        h.Cpu.Compiler = BlockCompilation.Immediate;
        Assert.Equal(BlockCompiler.DefaultCompileAfterInstructions, h.Cpu.CompileAfterInstructions);
        h.Run(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, (uint)rounds);
            a.Label(ref top);
            a.add(eax, ecx); a.xor(ebx, eax);
            a.dec(ecx);
            a.jnz(top);
        });
        Assert.Equal(compiled, h.Cpu.Decode.Peek(CpuTestHarness.CodeBase + 5)?.Compiled is not null);
    }

    [Fact]
    public void ABlockTheCompilerCannotCompile_StaysWithTheInterpreter()
    {
        var h = new CpuTestHarness();
        h.Run(a => a.nop());
        DecodedBlock block = h.Cpu.Decode.Peek(CpuTestHarness.CodeBase)!;
        block.Count = 0;                                // nothing to compile: Compile fails on it
        int failures = BlockCompiler.Failures;
        BlockCompiler.Publish(block);
        Assert.Null(block.Compiled);
        Assert.Equal(failures + 1, BlockCompiler.Failures);
        Assert.Contains($"0x{CpuTestHarness.CodeBase:x8}", BlockCompiler.LastFailure);
    }

    [Fact]
    public void ALoopOfFastForms_LeavesTheSameStateCompiled()
    {
        RunBoth(a =>
        {
            var top = a.CreateLabel();
            var func = a.CreateLabel();
            var done = a.CreateLabel();
            a.mov(ecx, 300);
            a.mov(esi, Data);
            a.Label(ref top);
            a.add(eax, ecx); a.adc(edx, 3); a.sub(ebx, eax); a.sbb(edi, 1);
            a.and(eax, 0x7FFF_FFFF); a.or(ebx, ecx); a.xor(edx, eax);
            a.add(__dword_ptr[esi + ecx * 4 - 0x100], eax); a.sub(eax, __dword_ptr[esi + 8]);
            a.mov(__byte_ptr[esi + ecx], cl); a.movzx(ebp, __byte_ptr[esi + 3]); a.movsx(ebp, __word_ptr[esi + 4]);
            a.movzx(ebp, bl); a.movsx(ebp, dx);
            a.lea(ebp, __dword_ptr[eax + ebx * 8 + 0x11]);
            a.push(ebp); a.push(0x1234); a.pop(ebp); a.pop(ebp);
            a.call(func);
            a.cmp(eax, ebx); a.cmovb(ebp, edx); a.setg(bl); a.cmovne(ebp, __dword_ptr[esi + 12]);
            a.shl(eax, 3); a.shr(ebx, 1); a.sar(edx, cl); a.rol(edi, 5); a.ror(ebp, cl);
            a.imul(ebx, eax, 7); a.imul(edx, __dword_ptr[esi + 16]);
            a.inc(__dword_ptr[esi + 0x40]); a.dec(__byte_ptr[esi + 0x41]); a.not(edi); a.neg(ebx);
            a.test(eax, 1);
            a.dec(ecx);
            a.jnz(top);
            a.jmp(done);
            a.Label(ref func);
            a.mov(__dword_ptr[esi + 0x80], eax);
            a.ret();
            a.Label(ref done);
        });
    }

    [Fact]
    public void MulDivDoubleShiftsAnd16BitForms_LeaveTheSameStateCompiled()
    {
        RunBoth(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 250);
            a.mov(esi, Data);
            a.mov(ebx, 0x1234_5677);
            a.Label(ref top);
            a.mov(eax, ecx); a.mul(ebx); a.mov(edi, edx);
            a.xor(edx, edx); a.mov(eax, ebx); a.or(ecx, 0); a.div(ecx);
            a.mul(__dword_ptr[esi + 8]); a.mov(edx, 3); a.div(__dword_ptr[esi + 0x20]);
            a.shld(edi, eax, 7); a.shrd(ebp, ebx, cl); a.bswap(ebp);
            a.add(ax, bx); a.mov(__word_ptr[esi + ecx * 2], ax); a.sub(__word_ptr[esi + 2], 0x7F0);
            a.cmp(dx, 5); a.adc(di, __word_ptr[esi + 6]);
            a.add(ebx, 0x1001);
            a.dec(ecx);
            a.jnz(top);
        }, h => { h.Write32(Data + 8, 0x9E37_79B9); h.Write32(Data + 0x20, 0xFFFF_FFF1); });
    }

    [Fact]
    public void ADivideErrorInACompiledBlock_IsDeliveredWithItsEip()
    {
        // ECX counts down to 0; the DIV by ECX in the compiled loop body faults on the last round.
        RunBoth(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 2000);
            a.Label(ref top);
            a.dec(ecx);
            a.mov(eax, 1000); a.xor(edx, edx);
            a.div(ecx);
            a.add(ebx, eax);
            a.jmp(top);
        });
    }

    [Fact]
    public void ALegacyInstructionInACompiledBlock_RetiresOnce()
    {
        // XCHG and CDQ have no fast form: the compiled block calls their family handler,
        // which synchronises the retired count to its own slot first.
        Outcome o = RunBoth(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 200);
            a.Label(ref top);
            a.inc(eax); a.xchg(eax, ebx); a.cdq(); a.xchg(eax, ebx);
            a.dec(ecx);
            a.jnz(top);
        });
        Assert.Equal(1 + 200 * 6 + 1ul, o.Retired);        // MOV, the loop, and the final HLT
    }

    [Fact]
    public void AFaultInACompiledBlock_SavesItsEip_AndRetiresOnlyTheOpsBeforeIt()
    {
        // Stores walk up through memory until they reach a read-only page.
        RunBoth(a =>
        {
            var top = a.CreateLabel();
            a.mov(esi, Data);
            a.Label(ref top);
            a.inc(eax);
            a.mov(__dword_ptr[esi], eax);
            a.add(esi, 4);
            a.jmp(top);
        }, h => { h.EnablePaging(); h.MakeReadOnly(Data + 0x1000); });
    }

    [Theory]
    [InlineData(5000)]
    [InlineData(5001)]
    [InlineData(7777)]
    public void ABudgetEndingInsideABlock_StopsAtThatInstruction(int budget)
    {
        // The JMP does not end the block (same page): each block is 32 instructions of the loop.
        Outcome o = RunBoth(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.inc(eax); a.add(ebx, eax); a.xor(edx, ebx);
            a.jmp(top);
        }, budget: budget);
        Assert.Equal(ExitReason.BudgetExhausted, o.Exit);
        Assert.Equal((ulong)budget, o.Retired);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(12_345)]
    public void ALoopThatIsOneBlock_GoesRoundInsideTheCompiledCode_UntilTheBudgetEnds(int budget)
    {
        Outcome o = RunBoth(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.add(eax, 3); a.xor(ebx, eax); a.cmp(eax, 0);
            a.jne(top);
        }, budget: budget);
        Assert.Equal(ExitReason.BudgetExhausted, o.Exit);
        Assert.Equal((ulong)budget, o.Retired);
    }

    [Fact]
    public void ALoopThatIsOneBlock_LeavesWhenItsBranchFallsThrough()
    {
        Outcome o = RunBoth(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 1000);
            a.Label(ref top);
            a.add(eax, ecx); a.mov(__dword_ptr[Data + 4], eax);
            a.dec(ecx);
            a.jnz(top);
        });
        Assert.Equal(1000u * 1001 / 2, o.Registers[0]);
        Assert.Equal(1 + 1000 * 4 + 1ul, o.Retired);
    }

    /// <summary>
    /// A loop whose body is two blocks: a JZ, taken one round in eight, and the block it
    /// falls through to, which ends in the JNZ back to the top.
    /// </summary>
    static void LoopOfTwoBlocks(Assembler a, uint store)
    {
        var top = a.CreateLabel();
        var skip = a.CreateLabel();
        a.mov(ecx, 2000);
        a.mov(esi, store);
        a.Label(ref top);
        a.add(eax, ecx);
        a.test(ecx, 7);
        a.jz(skip);
        a.add(ebx, eax);
        a.mov(__dword_ptr[esi], ebx);
        a.add(esi, 4);
        a.Label(ref skip);
        a.dec(ecx);
        a.jnz(top);
    }

    [Fact]
    public void ALoopOfTwoCompiledBlocks_LeavesTheSameState()
    {
        Outcome o = RunBoth(a => LoopOfTwoBlocks(a, Data + 0x100));
        Assert.Equal(2000u * 2001 / 2, o.Registers[0]);
    }

    [Theory]
    [InlineData(3000)]
    [InlineData(3001)]
    [InlineData(4567)]
    public void ABudgetEndingInALoopOfTwoCompiledBlocks_StopsAtThatInstruction(int budget)
    {
        Outcome o = RunBoth(a => LoopOfTwoBlocks(a, Data + 0x100), budget: budget);
        Assert.Equal(ExitReason.BudgetExhausted, o.Exit);
        Assert.Equal((ulong)budget, o.Retired);
    }

    [Fact]
    public void AFaultInTheSecondBlockOfACompiledLoop_SavesItsEip()
    {
        // The stores walk up into a read-only page.
        RunBoth(a => LoopOfTwoBlocks(a, Data + 0xE00), h => { h.EnablePaging(); h.MakeReadOnly(Data + 0x1000); });
    }

    [Fact]
    public void AStoreIntoTheRunningCompiledBlock_TakesEffectAtTheNextInstruction()
    {
        // Each round stores 7 to a data byte; in round 101 the CMOVE points the store at the
        // immediate of the ADD that follows it in the same (by then compiled) block.
        Action<Assembler> program = a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 300);
            a.Label(ref top);
            a.mov(eax, Data);
            a.cmp(ecx, 200);
            a.cmove(eax, edi);
            a.mov(__byte_ptr[eax], 7);
            a.add(ebx, 1);                              // 83 C3 01
            a.dec(ecx);
            a.jnz(top);
        };
        Outcome o = RunBoth(program, h =>
        {
            byte[] code = h.ReadBytes(CpuTestHarness.CodeBase, (int)(h.CodeEnd - CpuTestHarness.CodeBase));
            h.Edi = CpuTestHarness.CodeBase + (uint)code.AsSpan().IndexOf(new byte[] { 0x83, 0xC3, 0x01 }) + 2;
        });
        Assert.Equal(100u * 1 + 200u * 7, o.Registers[3]);     // EBX: 100 rounds add 1, the 200 from the patch on add 7
    }
}
