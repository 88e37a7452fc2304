// [C:110] Why the interpreter gave control back to the monitor.
//
// lguest's run_guest() loop switches to the guest and comes back on every trap; here
// Cpu.Run() returns one of these and the monitor's run loop handles it (DESIGN §4).
namespace Puppyvisor.Cpu;

public enum ExitReason
{
    /// <summary>The instruction budget ran out: a deadline on the virtual clock.</summary>
    BudgetExhausted,
    /// <summary>The guest executed VMCALL at CPL 0; EIP is past it.</summary>
    Hypercall,
    /// <summary>The guest executed HLT; EIP is past it.</summary>
    Halt,
    /// <summary>An IRQ is pending and the guest can take it now (IF = 1, no shadow).</summary>
    InterruptWindow,
    /// <summary>The host asked the vCPU to stop running (a timer fired, a stop was asked).</summary>
    Kick,
    /// <summary>A device asked to end the guest (isa-debug-exit).</summary>
    Shutdown,
    /// <summary>An exception while delivering a double fault: the guest is dead.</summary>
    TripleFault,
    /// <summary>A debugger breakpoint or single step ended the run.</summary>
    Breakpoint,
}
