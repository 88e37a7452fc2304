/*
 * vm.c: a bytecode interpreter, the shape of a kernel's BPF interpreter.
 *
 * A register machine: eight 32-bit registers, 64 words of memory, fixed-size
 * instructions (opcode, two register numbers, a jump target and an
 * immediate), and a "switch (insn->op)" in a loop that the compiler turns
 * into a jump table.  The program below runs a loop: a linear congruential
 * step, a branch on a bit, a store and a load through memory, and a Collatz
 * walk whose length depends on the data, so the dispatch branch is hard to
 * predict.  The same computation written in C checks the interpreter.
 */
#include "bench.h"

enum vm_op {
	OP_HALT,
	OP_MOVI,	/* a = imm */
	OP_MOV,		/* a = b */
	OP_ADD,		/* a += b */
	OP_ADDI,	/* a += imm */
	OP_SUB,		/* a -= b */
	OP_MULI,	/* a *= imm */
	OP_AND,		/* a &= b */
	OP_ANDI,	/* a &= imm */
	OP_OR,		/* a |= b */
	OP_XOR,		/* a ^= b */
	OP_SHLI,	/* a <<= imm */
	OP_SHRI,	/* a >>= imm (logical) */
	OP_LD,		/* a = mem[(b + imm) & 63] */
	OP_ST,		/* mem[(a + imm) & 63] = b */
	OP_JMP,		/* goto t */
	OP_JEQI,	/* if (a == imm) goto t */
	OP_JNEI,	/* if (a != imm) goto t */
	OP_JLT,		/* if (a < b) goto t (unsigned) */
};

struct vm_insn {
	uint8_t op, a, b, t;	/* t: jump target, an instruction index */
	int32_t imm;
};

#define VM_MEM 64

#define I(op, a, b, t, imm) { OP_##op, a, b, t, imm }

/*
 * In: r0 = seed, r2 = loop count.  Out: r1.
 *   for (i = 0; i < n; i++) {
 *       x = x * 1103515245 + 12345;  y = x >> 16;
 *       acc = (y & 1) ? acc + y : acc ^ y;
 *       mem[i & 63] = acc;  acc += mem[(i + 17) & 63];
 *       c = (y & 63) + 1;  steps = 0;
 *       while (c != 1) { c = (c & 1) ? 3 * c + 1 : c >> 1; steps++; }
 *       acc += steps;
 *   }
 */
static const struct vm_insn program[] = {
	/*  0 */ I(MOVI, 1, 0, 0, 0),
	/*  1 */ I(MOVI, 5, 0, 0, 0),
	/*  2 */ I(MULI, 0, 0, 0, 1103515245),	/* loop: */
	/*  3 */ I(ADDI, 0, 0, 0, 12345),
	/*  4 */ I(MOV, 3, 0, 0, 0),
	/*  5 */ I(SHRI, 3, 0, 0, 16),
	/*  6 */ I(MOV, 4, 3, 0, 0),
	/*  7 */ I(ANDI, 4, 0, 0, 1),
	/*  8 */ I(JEQI, 4, 0, 11, 0),
	/*  9 */ I(ADD, 1, 3, 0, 0),
	/* 10 */ I(JMP, 0, 0, 12, 0),
	/* 11 */ I(XOR, 1, 3, 0, 0),
	/* 12 */ I(ST, 5, 1, 0, 0),
	/* 13 */ I(LD, 6, 5, 0, 17),
	/* 14 */ I(ADD, 1, 6, 0, 0),
	/* 15 */ I(MOV, 6, 3, 0, 0),
	/* 16 */ I(ANDI, 6, 0, 0, 63),
	/* 17 */ I(ADDI, 6, 0, 0, 1),
	/* 18 */ I(MOVI, 7, 0, 0, 0),
	/* 19 */ I(JEQI, 6, 0, 29, 1),		/* collatz: */
	/* 20 */ I(MOV, 4, 6, 0, 0),
	/* 21 */ I(ANDI, 4, 0, 0, 1),
	/* 22 */ I(JEQI, 4, 0, 26, 0),
	/* 23 */ I(MULI, 6, 0, 0, 3),
	/* 24 */ I(ADDI, 6, 0, 0, 1),
	/* 25 */ I(JMP, 0, 0, 27, 0),
	/* 26 */ I(SHRI, 6, 0, 0, 1),
	/* 27 */ I(ADDI, 7, 0, 0, 1),
	/* 28 */ I(JMP, 0, 0, 19, 0),
	/* 29 */ I(ADD, 1, 7, 0, 0),
	/* 30 */ I(ADDI, 5, 0, 0, 1),
	/* 31 */ I(JLT, 5, 2, 2, 0),
	/* 32 */ I(HALT, 0, 0, 0, 0),
};

#define VM_LOOPS 160

static uint32_t vm_mem[VM_MEM];

/* Runs prog until HALT; returns the number of instructions executed. */
static uint32_t vm_run(const struct vm_insn *prog, uint32_t *r, uint32_t *mem)
{
	const struct vm_insn *pc = prog;
	uint32_t executed = 0;

	for (;;) {
		const struct vm_insn *in = pc++;

		executed++;
		switch (in->op) {
		case OP_HALT:
			return executed;
		case OP_MOVI:
			r[in->a] = (uint32_t)in->imm;
			break;
		case OP_MOV:
			r[in->a] = r[in->b];
			break;
		case OP_ADD:
			r[in->a] += r[in->b];
			break;
		case OP_ADDI:
			r[in->a] += (uint32_t)in->imm;
			break;
		case OP_SUB:
			r[in->a] -= r[in->b];
			break;
		case OP_MULI:
			r[in->a] *= (uint32_t)in->imm;
			break;
		case OP_AND:
			r[in->a] &= r[in->b];
			break;
		case OP_ANDI:
			r[in->a] &= (uint32_t)in->imm;
			break;
		case OP_OR:
			r[in->a] |= r[in->b];
			break;
		case OP_XOR:
			r[in->a] ^= r[in->b];
			break;
		case OP_SHLI:
			r[in->a] <<= in->imm & 31;
			break;
		case OP_SHRI:
			r[in->a] >>= in->imm & 31;
			break;
		case OP_LD:
			r[in->a] = mem[(r[in->b] + (uint32_t)in->imm) & (VM_MEM - 1)];
			break;
		case OP_ST:
			mem[(r[in->a] + (uint32_t)in->imm) & (VM_MEM - 1)] = r[in->b];
			break;
		case OP_JMP:
			pc = prog + in->t;
			break;
		case OP_JEQI:
			if (r[in->a] == (uint32_t)in->imm)
				pc = prog + in->t;
			break;
		case OP_JNEI:
			if (r[in->a] != (uint32_t)in->imm)
				pc = prog + in->t;
			break;
		case OP_JLT:
			if (r[in->a] < r[in->b])
				pc = prog + in->t;
			break;
		default:
			bench_fail("vm", "bad opcode");
			return executed;
		}
	}
}

/* The program above, in C. */
static uint32_t vm_reference(uint32_t x, uint32_t n, uint32_t *mem)
{
	uint32_t acc = 0;

	for (uint32_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		uint32_t y = x >> 16, c = (y & 63) + 1, steps = 0;

		acc = (y & 1) ? acc + y : acc ^ y;
		mem[i & 63] = acc;
		acc += mem[(i + 17) & 63];
		while (c != 1) {
			c = (c & 1) ? 3 * c + 1 : c >> 1;
			steps++;
		}
		acc += steps;
	}
	return acc;
}

uint32_t bench_vm(uint32_t seed)
{
	uint32_t r[8] = { 0 }, ref_mem[VM_MEM], executed;

	for (int i = 0; i < VM_MEM; i++)
		vm_mem[i] = ref_mem[i] = seed + (uint32_t)i;
	r[0] = seed;
	r[2] = VM_LOOPS;
	executed = vm_run(program, r, vm_mem);
	if (r[1] != vm_reference(seed, VM_LOOPS, ref_mem))
		bench_fail("vm", "the interpreted program disagrees with C");
	return mix32(r[1], executed);
}
