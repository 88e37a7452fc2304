/*G:770
 * entry.S: how a trap comes into the tasks kernel and how it leaves.
 *
 * Every stub makes the stack look the same: a 0 where the CPU pushed no error
 * code, the vector, then PUSHA in trap_common; that is the firmware's struct
 * trap_frame, followed by the user's ESP and SS when the trap came from ring 3
 * (the CPU then switched to TSS.ESP0, the running task's kernel stack, and
 * pushed them first).  kernel_trap() handles the trap and may switch tasks;
 * the task that eventually comes back here pops its own frame and IRETs to
 * where it was, in ring 3 or (the idle loop) in ring 0.
 *
 * The segment registers are not saved: they hold the same selectors in both
 * rings (cpu.c), and user code has no reason to change them.
 */
#include "puppyvisor.h"
#include "abi.h"

	.text

.macro STUB name, vector, errcode
	.p2align 2
\name:
	.if \errcode == 0
	pushl	$0
	.endif
	pushl	$\vector
	jmp	trap_common
.endm

.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	STUB exc_\n, \n, 0
.endr
.irp n, 8,10,11,12,13,14,17,21,29,30
	STUB exc_\n, \n, 1
.endr
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	STUB irq_\n, (IRQ_BASE_VECTOR + \n), 0
.endr
	.globl syscall_stub
	STUB syscall_stub, SYSCALL_VECTOR, 0

	.p2align 4
trap_common:
	pushal
	cld
	pushl	%esp			/* kernel_trap(struct trap_frame *) */
	call	kernel_trap
	addl	$4, %esp
/* A new task starts here too: task_create() leaves a frame for it to pop. */
	.globl trap_return
trap_return:
	popal
	addl	$8, %esp		/* vector and error code */
	iret

/*
 * switch_to(&prev->ksp, next->ksp): save the callee-saved registers on this
 * kernel stack, remember where it ends, and continue on the other one, which
 * ends the same way (or, for a new task, returns into trap_return).
 */
	.globl switch_to
	.type switch_to, @function
switch_to:
	movl	4(%esp), %eax
	movl	8(%esp), %edx
	pushl	%ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	movl	%esp, (%eax)
	movl	%edx, %esp
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret
	.size switch_to, . - switch_to

	.section .rodata
	.p2align 2
	.globl trap_stubs
trap_stubs:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long exc_\n
.endr
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.long irq_\n
.endr

	.section .note.GNU-stack, "", @progbits
