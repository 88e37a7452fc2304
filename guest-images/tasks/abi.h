/*G:750
 * abi.h: what the tasks kernel and its user programs agree on.
 *
 * The linear layout every address space shares, the selectors, and the system
 * calls: "int $0x80" with the number in EAX and the arguments in EBX and ECX;
 * the answer comes back in EAX (negative errno values for errors), every other
 * register is preserved.  Included by the kernel, the user programs and entry.S.
 */
#ifndef TASKS_ABI_H
#define TASKS_ABI_H

#define PAGE_SIZE 4096

/* The kernel's GDT (cpu.c): ring 0 code and data as the firmware's, then ring 3, then the TSS. */
#define USER_CS 0x1B		/* index 3, RPL 3 */
#define USER_DS 0x23		/* index 4, RPL 3 */
#define TSS_SEL 0x28

/* An interrupt gate with DPL 3, so ring 3 may use INT $0x80 (any other vector: #GP). */
#define SYSCALL_VECTOR 0x80

/*
 * Every address space: the kernel identity-mapped, supervisor only (linear 0
 * left unmapped, so NULL faults); the user program at USER_TEXT_BASE, read-only
 * and shared by all tasks; each task's own stack just below USER_STACK_TOP.
 */
#define USER_TEXT_BASE 0x40000000
#define USER_STACK_TOP 0x80000000
#define USER_STACK_PAGES 2

#define SYS_EXIT 0		/* EBX status; does not return */
#define SYS_WRITE 1		/* EBX buffer, ECX length: bytes written, or -EFAULT */
#define SYS_SLEEP 2		/* EBX ns (low), ECX ns (high): 0 after at least that long */
#define SYS_YIELD 3		/* 0, after every other runnable task had its turn */
#define SYS_GETPID 4		/* the task's pid */

#endif /* TASKS_ABI_H */
