/*G:760
 * kernel.h: the tasks kernel, a tiny multitasking kernel on the firmware.
 *
 * Reading order: main.c (G:761: what happens, in order), cpu.c (G:765: GDT,
 * TSS, IDT), entry.S (G:770: how a trap comes in and goes out, switch_to),
 * mm.c (G:775: one page directory per task), sched.c (G:780: the tickless
 * scheduler, system calls, faults), user.c (G:790: ring 3).
 */
#ifndef TASKS_KERNEL_H
#define TASKS_KERNEL_H

#include "fw/firmware.h"
#include "abi.h"

/* --- cpu.c ---------------------------------------------------------------------- */

/*
 * A trap from ring 3 comes with the user stack pointer on top of the firmware's
 * frame: the CPU pushes SS and ESP before EFLAGS when it switches stacks.
 */
struct user_frame {
	struct trap_frame f;
	uint32_t esp, ss;
};

static inline bool from_user(const struct trap_frame *f)
{
	return (f->cs & 3) == 3;
}

void cpu_init(void);
/* The stack ring 3 -> 0 switches to: the running task's kernel stack. */
void tss_set_kernel_stack(uint32_t esp0);

static inline uint32_t read_cr2(void)
{
	uint32_t v;

	__asm__ __volatile__("movl %%cr2, %0" : "=r"(v));
	return v;
}

/* --- mm.c ------------------------------------------------------------------------ */

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_PS 0x080u

/* One address space: its page directory, the table for its stack, the stack itself. */
struct mm {
	uint32_t pgdir[1024];
	uint32_t stack_table[1024];
	uint8_t stack[USER_STACK_PAGES][PAGE_SIZE];
} __attribute__((aligned(PAGE_SIZE)));

void mm_init(void);
void mm_create(struct mm *mm);
/* Switch to an address space (NULL: the kernel's own); a no-op if already there. */
void mm_switch(struct mm *mm);
/* Whether [addr, addr + len) is user memory of every task's layout. */
bool mm_user_range(uint32_t addr, uint32_t len);
/* "not-present write from user" for a #PF error code. */
const char *pf_error_text(uint32_t error, char *buf, size_t size);

/* --- sched.c --------------------------------------------------------------------- */

enum task_state { TASK_RUNNABLE, TASK_SLEEPING, TASK_DEAD };

#define KSTACK_SIZE 8192

struct task {
	int pid;
	const char *name;
	enum task_state state;
	struct mm *mm;			/* NULL for the idle task */
	uint32_t ksp;			/* kernel ESP while switched out */
	uint8_t *kstack;		/* KSTACK_SIZE bytes; TSS.ESP0 is its top while running */
	struct hrtimer wake;		/* SYS_SLEEP's timer */
	struct task *next;		/* run queue */
	int status;			/* exit status, or -vector when killed */
	uint32_t preempted;		/* times the time slice took the CPU away */
	uint64_t cpu_ns;		/* time on the CPU */
};

struct sched_stats {
	uint32_t switches;		/* context switches */
	uint32_t preemptions;		/* ... of which by the time slice */
	uint32_t slices_armed;		/* times the time-slice timer was started */
	uint32_t syscalls;
};
extern struct sched_stats sched_stats;

extern struct task *current;
extern int live_tasks;
/* "crash=esp0" (main.c): TSS.ESP0 points at the top of the unmapped page 0. */
extern bool crash_esp0;

void sched_init(void);
/* A new task in ring 3 at user function "entry", called with "arg"; runnable at once. */
void task_create(struct task *t, const char *name, int (*entry)(uint32_t), uint32_t arg);
bool runqueue_empty(void);
void schedule(void);

/* "#PF" for 14. */
const char *exception_name(unsigned vector);

/* Called by entry.S for every trap, with interrupts off. */
void kernel_trap(struct trap_frame *f);

/* "[    123456 ns] " and the message. */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- user.c (ring 3; the kernel only takes addresses) ------------------------------ */

void user_exit(void);
int task_hello(uint32_t tick_ns);
int task_sleeper(uint32_t period_ns);
int task_null(uint32_t address);
int task_spinner(uint32_t rounds);
int task_yielder(uint32_t rounds);

/* --- entry.S ----------------------------------------------------------------------- */

extern const uint32_t trap_stubs[32 + NR_IRQS];	/* exceptions, then IRQs */
void syscall_stub(void);
void trap_return(void);
void switch_to(uint32_t *prev_ksp, uint32_t next_ksp);

#endif /* TASKS_KERNEL_H */
