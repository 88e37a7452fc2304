/*G:410
 * entry.S: the first instructions of every exception and interrupt.
 *
 * The CPU pushes EFLAGS, CS and EIP (and, for some exceptions, an error code)
 * and jumps to the gate's address.  Each stub here evens that out: it pushes a
 * 0 where the CPU gave no error code, then the vector number, and joins
 * isr_common.  isr_common saves every general register with PUSHA, calls
 * trap_dispatch(frame) in C, restores the registers with POPA, drops vector
 * and error code, and returns with IRET.  The segment registers are left
 * alone: everything runs at ring 0 with the one flat data segment, so they
 * never change.
 *
 * The vectors that come with an error code are 8 (#DF), 10 (#TS), 11 (#NP),
 * 12 (#SS), 13 (#GP), 14 (#PF), 17 (#AC), 21 (#CP), 29 (#VC) and 30 (#SX).
 */
#include "puppyvisor.h"

	.text

/* A stub for an exception without an error code. */
.macro EXC_NOERR n
	.p2align 2
exc_stub_\n:
	pushl	$0
	pushl	$\n
	jmp	isr_common
.endm

/* A stub for an exception where the CPU already pushed an error code. */
.macro EXC_ERR n
	.p2align 2
exc_stub_\n:
	pushl	$\n
	jmp	isr_common
.endm

/* A stub for IRQ n (vector IRQ_BASE_VECTOR + n). */
.macro IRQ_STUB n
	.p2align 2
irq_stub_\n:
	pushl	$0
	pushl	$(IRQ_BASE_VECTOR + \n)
	jmp	isr_common
.endm

.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	EXC_NOERR \n
.endr
.irp n, 8,10,11,12,13,14,17,21,29,30
	EXC_ERR \n
.endr
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	IRQ_STUB \n
.endr

	.p2align 4
	.globl isr_common
	.type isr_common, @function
isr_common:
	pushal				/* EAX ECX EDX EBX ESP EBP ESI EDI */
	cld				/* the C ABI wants DF = 0 */
	movl	%esp, %eax
	pushl	%eax			/* trap_dispatch(struct trap_frame *) */
	call	trap_dispatch
	addl	$4, %esp
	popal
	addl	$8, %esp		/* vector and error code */
	iret
	.size isr_common, . - isr_common

/* The stubs' addresses, for idt_init(). */
	.section .rodata
	.p2align 2
	.globl exception_stubs, irq_stubs
exception_stubs:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long exc_stub_\n
.endr
irq_stubs:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.long irq_stub_\n
.endr

	.section .note.GNU-stack, "", @progbits
