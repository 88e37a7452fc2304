/*G:780
 * sched.c: tasks, a tickless round-robin scheduler, system calls, faults.
 *
 * The run queue holds the runnable tasks that are not running, first come
 * first served.  Nothing ticks:
 *
 *   - A sleeping task waits on its own hrtimer in the firmware's timer queue,
 *     which arms the clockevent device only for the earliest expiry of all.
 *   - The time-slice timer is armed only while more than one task is
 *     runnable (the running one, and someone in the queue): a task alone on
 *     the CPU runs until it sleeps, yields or exits, with no interrupt at all.
 *     When the slice ends, the running task goes to the back of the queue.
 *   - With nothing runnable the idle task (kmain's loop, pid 0) halts.
 *
 * A timer callback runs inside the timer IRQ, so it only changes state and
 * sets need_resched; kernel_trap() switches tasks when the IRQ is done.  The
 * kernel itself is never preempted: it runs with interrupts off, except in the
 * idle loop's "sti; hlt".
 *
 * A fault in ring 3 kills the task and says why; a fault in ring 0 is the
 * firmware's business (it prints the frame and shuts down).
 */
#include "kernel.h"

#define SLICE_NS (2 * NSEC_PER_MSEC)
#define WRITE_MAX 256

/* The firmware's dispatcher (idt.c): IRQ handlers, or the fatal-exception report. */
void trap_dispatch(struct trap_frame *f);

struct task *current;
int live_tasks;
struct sched_stats sched_stats;
bool crash_esp0;

static struct task idle_task = { .pid = 0, .name = "idle" };
static struct task *rq_head, *rq_tail;
static bool need_resched, slice_over;
static struct hrtimer slice_timer;
static uint64_t switched_in_at;

void klog(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "[%10llu ns] ", clock_now_ns());

	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	console_puts(buf);
}

/* --- The run queue ------------------------------------------------------------------ */

static void rq_add(struct task *t)
{
	t->next = 0;
	if (rq_tail)
		rq_tail->next = t;
	else
		rq_head = t;
	rq_tail = t;
}

static struct task *rq_take(void)
{
	struct task *t = rq_head;

	if (t) {
		rq_head = t->next;
		if (!rq_head)
			rq_tail = 0;
		t->next = 0;
	}
	return t;
}

bool runqueue_empty(void)
{
	return !rq_head;
}

/* --- Timers: the slice and the wake-ups ------------------------------------------------ */

static enum hrtimer_restart slice_expired(struct hrtimer *timer)
{
	slice_over = true;
	need_resched = true;
	return HRTIMER_NORESTART;
}

/*
 * Arm the slice timer exactly while more than one task is runnable.  "fresh"
 * starts a new slice (a task was just switched in); otherwise a slice that is
 * already running is left alone.
 */
static void slice_update(bool fresh)
{
	if (current == &idle_task || runqueue_empty()) {
		hrtimer_cancel(&slice_timer);
		return;
	}
	if (fresh || !slice_timer.queued) {
		hrtimer_start(&slice_timer, clock_now_ns() + SLICE_NS);
		sched_stats.slices_armed++;
	}
}

static enum hrtimer_restart wake_up(struct hrtimer *timer)
{
	struct task *t = (struct task *)((char *)timer - offsetof(struct task, wake));

	if (t->state == TASK_SLEEPING) {
		t->state = TASK_RUNNABLE;
		rq_add(t);
		if (current == &idle_task)
			need_resched = true;
		else
			slice_update(false);	/* now two are runnable: the slice starts */
	}
	return HRTIMER_NORESTART;
}

/* --- Switching ----------------------------------------------------------------------------- */

void sched_init(void)
{
	current = &idle_task;
	switched_in_at = clock_now_ns();
	hrtimer_init(&slice_timer, slice_expired, "slice");
}

void schedule(void)
{
	struct task *prev = current, *next;
	bool runnable = prev != &idle_task && prev->state == TASK_RUNNABLE;
	bool preempted = slice_over && runnable;

	need_resched = slice_over = false;
	if (runnable)
		rq_add(prev);
	next = rq_take();
	if (!next)
		next = &idle_task;
	current = next;
	slice_update(true);
	if (next == prev)
		return;

	uint64_t now = clock_now_ns();

	prev->cpu_ns += now - switched_in_at;
	switched_in_at = now;
	sched_stats.switches++;
	if (preempted) {
		prev->preempted++;
		sched_stats.preemptions++;
		klog("kernel: %s[%d] used up its time slice; %s[%d] runs\n", prev->name, prev->pid, next->name, next->pid);
	}
	if (next->mm)
		tss_set_kernel_stack(crash_esp0 ? PAGE_SIZE : (uint32_t)next->kstack + KSTACK_SIZE);
	mm_switch(next->mm);
	switch_to(&prev->ksp, next->ksp);
}

/*
 * A new task's kernel stack holds what a trap from ring 3 would have left
 * (user SS, ESP, EFLAGS with IF, CS, EIP; error code, vector, PUSHA), and
 * under it what switch_to() pops, returning into trap_return: so the first
 * switch to the task IRETs into ring 3 at its entry point.  The user stack
 * holds the argument and, as return address, user_exit().
 */
void task_create(struct task *t, const char *name, int (*entry)(uint32_t), uint32_t arg)
{
	static int next_pid = 1;
	uint32_t *ustack = (uint32_t *)(t->mm->stack[USER_STACK_PAGES - 1] + PAGE_SIZE);
	uint32_t *sp = (uint32_t *)(t->kstack + KSTACK_SIZE);

	mm_create(t->mm);
	ustack[-1] = arg;
	ustack[-2] = (uint32_t)user_exit;

	*--sp = USER_DS;
	*--sp = USER_STACK_TOP - 8;
	*--sp = X86_EFLAGS_IF | 0x2;
	*--sp = USER_CS;
	*--sp = (uint32_t)entry;
	*--sp = 0;				/* error code */
	*--sp = 0;				/* vector */
	for (int i = 0; i < 8; i++)
		*--sp = 0;			/* PUSHA */
	*--sp = (uint32_t)trap_return;
	for (int i = 0; i < 4; i++)
		*--sp = 0;			/* EBP, EBX, ESI, EDI */

	t->pid = next_pid++;
	t->name = name;
	t->ksp = (uint32_t)sp;
	t->state = TASK_RUNNABLE;
	hrtimer_init(&t->wake, wake_up, name);
	rq_add(t);
	live_tasks++;
}

static void task_exit(struct task *t, int status)
{
	t->state = TASK_DEAD;
	t->status = status;
	hrtimer_cancel(&t->wake);
	live_tasks--;
	need_resched = true;
}

/* --- System calls ---------------------------------------------------------------------------- */

static int32_t sys_write(uint32_t buf, uint32_t len)
{
	if (len > WRITE_MAX)
		len = WRITE_MAX;
	if (!mm_user_range(buf, len))
		return -EFAULT;
	klog("%s[%d]: %.*s", current->name, current->pid, (int)len, (const char *)buf);
	return (int32_t)len;
}

static int32_t sys_sleep(uint64_t ns)
{
	current->state = TASK_SLEEPING;
	hrtimer_start(&current->wake, clock_now_ns() + ns);
	need_resched = true;
	return 0;
}

static void syscall(struct trap_frame *f)
{
	sched_stats.syscalls++;
	switch (f->eax) {
	case SYS_EXIT:
		klog("kernel: %s[%d] exited with status %d\n", current->name, current->pid, (int)f->ebx);
		task_exit(current, (int)f->ebx);
		break;
	case SYS_WRITE:
		f->eax = (uint32_t)sys_write(f->ebx, f->ecx);
		break;
	case SYS_SLEEP:
		f->eax = (uint32_t)sys_sleep((uint64_t)f->ecx << 32 | f->ebx);
		break;
	case SYS_YIELD:
		need_resched = true;
		f->eax = 0;
		break;
	case SYS_GETPID:
		f->eax = (uint32_t)current->pid;
		break;
	default:
		f->eax = (uint32_t)-ENOSYS;
		break;
	}
}

/* --- Faults in ring 3 ---------------------------------------------------------------------------- */

static const char *const exception_names[] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM",
};

const char *exception_name(unsigned vector)
{
	return vector < sizeof(exception_names) / sizeof(exception_names[0]) ? exception_names[vector] : "exception";
}

static void user_fault(struct trap_frame *f)
{
	const char *name = exception_name(f->vector);

	if (f->vector == 14) {
		char why[48];

		klog("kernel: %s[%d] killed: #PF at EIP 0x%08x, CR2 0x%08x, error 0x%x (%s)\n",
		     current->name, current->pid, f->eip, read_cr2(), f->error_code,
		     pf_error_text(f->error_code, why, sizeof(why)));
	} else {
		klog("kernel: %s[%d] killed: %s at EIP 0x%08x, error 0x%x\n",
		     current->name, current->pid, name, f->eip, f->error_code);
	}
	task_exit(current, -(int)f->vector);
}

/* --- Every trap ------------------------------------------------------------------------------------ */

void kernel_trap(struct trap_frame *f)
{
	if (f->vector == SYSCALL_VECTOR)
		syscall(f);
	else if (f->vector < 32 && from_user(f))
		user_fault(f);
	else
		trap_dispatch(f);	/* the timer IRQ runs the hrtimers; a fault in ring 0 is fatal */
	if (need_resched)
		schedule();
}
