/*G:761
 * main.c: the tasks kernel from boot to the last exit.
 *
 * The firmware has booted us (console, its own IDT, the timer queue code).
 * We take over the x86 tables (cpu.c), turn paging on (mm.c), start five user
 * tasks, and become the idle task: halt while nothing is runnable, let the
 * scheduler run the tasks, and stop with status 0 when every task has exited
 * or been killed.  Every line the kernel or a task prints starts with the
 * virtual time it was printed at, RDTSC converted to ns.
 *
 * Command line: "spin=N" gives the spinner N thousand rounds of work (default
 * 1000); "paging=off" does not start any task but runs the spinner's work in
 * ring 0 with paging off and stops, to compare the interpreter's speed with
 * paging on and off on the same instructions.  "crash=esp0" makes a classic
 * kernel bug on purpose: TSS.ESP0 points into the unmapped page 0, so the
 * first trap from ring 3 cannot push its frame (#PF), nor the #PF's (#PF),
 * nor the double fault's: a triple fault, which the monitor reports.
 */
#include "kernel.h"
#include "spin.h"

#define NTASKS 5

static struct task tasks[NTASKS];
static struct mm task_mm[NTASKS];
static uint8_t task_kstack[NTASKS][KSTACK_SIZE] __attribute__((aligned(16)));

static const struct {
	const char *name;
	int (*entry)(uint32_t);
	uint32_t arg;
} programs[NTASKS] = {
	{ "hello", task_hello, 1000000 },		/* ticks every 1 ms */
	{ "sleeper", task_sleeper, 3000000 },		/* sleeps 3 ms at a time */
	{ "null", task_null, 0 },			/* writes to address 0 */
	{ "spinner", task_spinner, 0 },		/* rounds from the command line */
	{ "yielder", task_yielder, 100000 },		/* 100 000 rounds between yields */
};

static void summary(void)
{
	printf("tasks: every task has ended, at %llu ns\n", clock_now_ns());
	printf("  pid  name      status  cpu ns     preempted\n");
	for (int i = 0; i < NTASKS; i++) {
		struct task *t = &tasks[i];
		char status[16];

		/* A killed task's status is minus the vector that killed it. */
		if (t->status < 0)
			snprintf(status, sizeof(status), "%s", exception_name((unsigned)-t->status));
		else
			snprintf(status, sizeof(status), "%d", t->status);
		printf("  %3d  %-8s  %6s  %9llu  %9u\n", t->pid, t->name, status, t->cpu_ns, t->preempted);
	}
	printf("tasks: %u context switches, %u preemptions, time slice armed %u times, %u system calls\n",
	       sched_stats.switches, sched_stats.preemptions, sched_stats.slices_armed, sched_stats.syscalls);
	printf("tasks: %u timer IRQs, %u spurious, clockevent armed %u times\n",
	       irq_count[TIMER_IRQ], hrtimer_stats.spurious, clockevent_armed);
}

int kmain(void)
{
	uint32_t rounds = (uint32_t)cmdline_get("spin=", 1000) * 1000;

	if (cmdline_has("paging=off")) {
		printf("tasks: paging=off: %u rounds of the spinner's work in ring 0\n", rounds);
		uint32_t h = spin_work(rounds);

		printf("tasks: checksum 0x%x at %llu ns\n", h, clock_now_ns());
		return FW_EXIT_OK;
	}
	if (!clockevent_available()) {
		printf("tasks: no paravirtual clock; shutting down\n");
		return FW_EXIT_OK;
	}

	crash_esp0 = cmdline_has("crash=esp0");
	cpu_init();
	mm_init();
	hrtimers_init();
	sched_init();
	for (int i = 0; i < NTASKS; i++) {
		tasks[i].mm = &task_mm[i];
		tasks[i].kstack = task_kstack[i];
		task_create(&tasks[i], programs[i].name, programs[i].entry,
			    programs[i].entry == task_spinner ? rounds : programs[i].arg);
	}
	klog("tasks: %d tasks in ring 3, one page directory each; time slice 2 ms\n", live_tasks);
	if (crash_esp0)
		klog("tasks: crash=esp0: TSS.ESP0 points into the unmapped page 0\n");

	/*
	 * The idle task.  Interrupts are off while it looks at the run queue, and
	 * "sti; hlt" enables them and halts in one step, so a wake-up cannot slip in
	 * between.  An IRQ that wakes a task switches to it from inside the IRQ;
	 * the idle task continues after its HLT once nothing is runnable again.
	 */
	cli();
	while (live_tasks > 0) {
		if (runqueue_empty()) {
			sti_hlt();
			cli();
		} else {
			schedule();
		}
	}
	mm_switch(0);
	summary();
	return FW_EXIT_OK;
}
