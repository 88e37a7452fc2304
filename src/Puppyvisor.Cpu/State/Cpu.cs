// [C:000] The CPU: one vCPU's architectural state and its interpreter.
//
// Puppyvisor's CPU is a segmentless 32-bit x86 (DESIGN §3). Iced decodes; the files
// under Instructions/ execute, one instruction family to a file; Execution/ holds
// the run loop and exception delivery; Memory/ the physical memory, paging and TLB.
// This file is the state: registers, EFLAGS (partly lazy, see Flags/LazyFlags.cs),
// segment selectors, control and debug registers, descriptor tables.
using System.Runtime.CompilerServices;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu;

/// <summary>Segment register numbers, in the SDM's Sreg encoding order.</summary>
public enum SegReg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

/// <summary>General-purpose register numbers, in the ModRM encoding order.</summary>
public enum Reg { Eax = 0, Ecx = 1, Edx = 2, Ebx = 3, Esp = 4, Ebp = 5, Esi = 6, Edi = 7 }

public sealed unsafe partial class Cpu
{
    // EFLAGS bits (SDM Vol. 1, 3.4.3).
    public const uint CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
        TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11, IOPL = 3u << 12, NT = 1u << 14,
        RF = 1u << 16, VM = 1u << 17, AC = 1u << 18, ID = 1u << 21;

    // CR0 and CR4 bits (SDM Vol. 3A, 2.5).
    public const uint CR0_PE = 1u << 0, CR0_MP = 1u << 1, CR0_EM = 1u << 2, CR0_TS = 1u << 3,
        CR0_ET = 1u << 4, CR0_NE = 1u << 5, CR0_WP = 1u << 16, CR0_AM = 1u << 18, CR0_PG = 1u << 31;
    public const uint CR4_PSE = 1u << 4;

    /// <summary>
    /// EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI -- and Gpr[8], always 0: the "no register" of a
    /// compact memory operand, so base + index * scale needs no branch (Decoding/MicroOp.cs).
    /// </summary>
    /// <remarks>Pinned: the hot paths reach a register through <see cref="_regs"/>, without a bounds or null check.</remarks>
    public readonly uint[] Gpr = GC.AllocateArray<uint>(9, pinned: true);
    public uint Eip;

    /// <summary>Selectors, indexed by <see cref="SegReg"/>. CS, DS, ES, SS have base 0 and no limit.</summary>
    public readonly ushort[] Selectors = new ushort[6];
    /// <summary>FS and GS take their base from the descriptor (DESIGN §1); the rest are 0.</summary>
    public readonly uint[] SegmentBase = new uint[6];

    uint _cr0 = CR0_PE | CR0_ET;

    /// <summary>CR0. Setting it re-decides whether memory accesses may go straight to RAM (Cpu.FastMemory.cs).</summary>
    public uint Cr0
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _cr0;
        set { _cr0 = value; UpdateDirectAccess(); }
    }

    public uint Cr2, Cr3, Cr4;
    public readonly uint[] Dr = new uint[8];
    public uint GdtBase, IdtBase;
    public ushort GdtLimit, IdtLimit = 0x3FF;
    public ushort TaskRegister;
    public uint TssBase, TssLimit;

    public readonly PhysicalMemory Memory;
    public readonly ICpuHost Host;

    /// <summary>Instructions retired since reset (an instruction that faults is not retired).</summary>
    public ulong InstructionsRetired;

    /// <summary>The current privilege level is CS.RPL in a segmentless CPU (DESIGN §1).</summary>
    public int Cpl
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Selectors[(int)SegReg.CS] & 3;
    }

    public Cpu(PhysicalMemory memory, ICpuHost host)
    {
        Memory = memory;
        Host = host;
        _regs = (uint*)Unsafe.AsPointer(ref Gpr[0]);
        _ram = (byte*)Unsafe.AsPointer(ref memory.Ram[0]);
        _codePages = (byte*)Unsafe.AsPointer(ref memory.CodePages[0]);
        _tlb = new Tlb();
        Decode = new Decoding.DecodeCache(this);
        Reset();
    }

    /// <summary>The state at entry of DESIGN §1: flat protected mode, paging off, interrupts off.</summary>
    public void Reset()
    {
        Array.Clear(Gpr);
        Eip = 0;
        Eflags = 0x2;
        Selectors[(int)SegReg.CS] = 0x08;
        Selectors[(int)SegReg.DS] = Selectors[(int)SegReg.ES] = Selectors[(int)SegReg.SS] = 0x10;
        Selectors[(int)SegReg.FS] = Selectors[(int)SegReg.GS] = 0x10;
        Array.Clear(SegmentBase);
        Cr0 = CR0_PE | CR0_ET; Cr2 = Cr3 = Cr4 = 0;
        Array.Clear(Dr);
        Dr[6] = 0xFFFF0FF0; Dr[7] = 0x400;
        GdtBase = IdtBase = 0; GdtLimit = 0xFFFF; IdtLimit = 0x3FF;
        TaskRegister = 0; TssBase = TssLimit = 0;
        _interruptShadow = false;
        Halted = false;
        FlushTlb();
    }

    public uint Esp { get => Gpr[4]; set => Gpr[4] = value; }

    /// <summary>True while a HLT has not yet been resumed by an interrupt.</summary>
    public bool Halted;

    // --- Register access by Iced register, for the operand helpers ---------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint GetReg8(int r) => r < 4 ? (byte)Gpr[r] : (byte)(Gpr[r - 4] >> 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetReg8(int r, uint v)
    {
        if (r < 4) Gpr[r] = (Gpr[r] & 0xFFFF_FF00u) | (byte)v;
        else Gpr[r - 4] = (Gpr[r - 4] & 0xFFFF_00FFu) | ((v & 0xFF) << 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetReg16(int r, uint v) => Gpr[r] = (Gpr[r] & 0xFFFF_0000u) | (ushort)v;
}

public sealed partial class Cpu
{
    /// <summary>What WRMSR to IA32_TSC added to the host's count.</summary>
    public ulong TscOffset;

    /// <summary>RDTSC: the machine's clock (the monitor's) plus the guest's own offset.</summary>
    public ulong ReadTsc() => Host.ReadTsc(this) + TscOffset;

    public void WriteTsc(ulong value) => TscOffset = value - Host.ReadTsc(this);
}
