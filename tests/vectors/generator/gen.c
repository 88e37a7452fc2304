/*
 * Puppyvisor instruction test-vector generator.
 *
 * Executes x86 integer instructions on a real CPU (or on qemu-i386) and writes
 * the observed results as JSONL test vectors for the emulator.  See
 * ../README.md for the format and the conventions.
 *
 * Harness: the instruction bytes of one vector are copied into an executable
 * page at a fixed address (JIT_ADDR) and followed by a jump back into the
 * trampoline below (inline assembly), which loads all eight GPRs and EFLAGS
 * from g_in, jumps to the page, and stores the GPRs and EFLAGS into g_out.
 * The bytes that run are therefore exactly the bytes that go into the vector
 * (the one exception, INC/DEC 0x40+r in a 64-bit build, is marked with a
 * "note").  Guest memory (data area and stack area) is mapped at the same
 * addresses in the host process, so no address translation is needed:
 * a register that holds 0x00200000 in the vector holds it on the host too
 * (zero-extended to 64 bits in the x86-64 build).
 *
 * Build as x86-64 (oracle "host-x86-64") or as i386 (-m32 -static; oracle
 * "host-i386" when run natively, "qemu-i386" under qemu-user).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <cpuid.h>

/* ---------------------------------------------------------------- layout */
#define DATA_BASE 0x00200000u /* data area: [0x00200000, 0x00210000) */
#define DATA_SIZE 0x00010000u
#define STACK_LO 0x002F0000u /* stack area: [0x002F0000, 0x00310000) */
#define STACK_SIZE 0x00020000u
#define STACK_TOP 0x00300000u /* default ESP */
#define JIT_ADDR 0x10000000u

enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
static const char *regname[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

#define CF 0x0001u
#define PF 0x0004u
#define AF 0x0010u
#define ZF 0x0040u
#define SF 0x0080u
#define IF_ 0x0200u
#define DF 0x0400u
#define OF 0x0800u
#define ARITH (CF | PF | AF | ZF | SF | OF)
#define STATUS (ARITH | DF) /* 0x0CD5: the bits a vector can compare */

/* ---------------------------------------------------------------- harness */
__attribute__((used)) uint64_t g_in[9], g_out[9]; /* eax..edi, eflags */
__attribute__((used)) uint64_t g_host_sp, g_code_ptr, g_ret_ptr;
void tramp(void);
void tramp_ret(void);

#ifdef __x86_64__
#define ORACLE_DEFAULT "host-x86-64"
__asm__(".text\n"
        ".globl tramp\n.type tramp,@function\ntramp:\n"
        " push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
        " mov %rsp, g_host_sp(%rip)\n"
        " pushq g_in+64(%rip)\n popfq\n"
        " mov g_in+8(%rip), %rcx\n mov g_in+16(%rip), %rdx\n mov g_in+24(%rip), %rbx\n"
        " mov g_in+40(%rip), %rbp\n mov g_in+48(%rip), %rsi\n mov g_in+56(%rip), %rdi\n"
        " mov g_in+32(%rip), %rsp\n mov g_in(%rip), %rax\n"
        " jmp *g_code_ptr(%rip)\n"
        ".globl tramp_ret\ntramp_ret:\n"
        " mov %rax, g_out(%rip)\n mov %rcx, g_out+8(%rip)\n mov %rdx, g_out+16(%rip)\n"
        " mov %rbx, g_out+24(%rip)\n mov %rsp, g_out+32(%rip)\n mov %rbp, g_out+40(%rip)\n"
        " mov %rsi, g_out+48(%rip)\n mov %rdi, g_out+56(%rip)\n"
        " mov g_host_sp(%rip), %rsp\n"
        " pushfq\n popq g_out+64(%rip)\n cld\n"
        " pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n ret\n");
#else
#define ORACLE_DEFAULT "host-i386"
__asm__(".text\n"
        ".globl tramp\n.type tramp,@function\ntramp:\n"
        " push %ebx\n push %ebp\n push %esi\n push %edi\n"
        " mov %esp, g_host_sp\n"
        " pushl g_in+64\n popfl\n"
        " mov g_in+8, %ecx\n mov g_in+16, %edx\n mov g_in+24, %ebx\n"
        " mov g_in+40, %ebp\n mov g_in+48, %esi\n mov g_in+56, %edi\n"
        " mov g_in+32, %esp\n mov g_in, %eax\n"
        " jmp *g_code_ptr\n"
        ".globl tramp_ret\ntramp_ret:\n"
        " mov %eax, g_out\n mov %ecx, g_out+8\n mov %edx, g_out+16\n mov %ebx, g_out+24\n"
        " mov %esp, g_out+32\n mov %ebp, g_out+40\n mov %esi, g_out+48\n mov %edi, g_out+56\n"
        " mov g_host_sp, %esp\n"
        " pushfl\n popl g_out+64\n cld\n"
        " pop %edi\n pop %esi\n pop %ebp\n pop %ebx\n ret\n");
#endif

static sigjmp_buf g_jb;
static volatile int g_sig, g_trapno;
static volatile uint64_t g_fault_ip;

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    (void)si;
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
#ifdef __x86_64__
    static const int idx[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI};
    for (int i = 0; i < 8; i++) g_out[i] = (uint64_t)g[idx[i]];
    g_out[8] = (uint64_t)g[REG_EFL];
    g_fault_ip = (uint64_t)g[REG_RIP];
#else
    static const int idx[8] = {REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_UESP, REG_EBP, REG_ESI, REG_EDI};
    for (int i = 0; i < 8; i++) g_out[i] = (uint32_t)g[idx[i]];
    g_out[8] = (uint32_t)g[REG_EFL];
    g_fault_ip = (uint32_t)g[REG_EIP];
#endif
    g_trapno = (int)g[REG_TRAPNO];
    g_sig = sig;
    siglongjmp(g_jb, 1);
}

static void *map_fixed(uint32_t addr, uint32_t size, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)(uintptr_t)addr) {
        fprintf(stderr, "gen: cannot map 0x%08x (+0x%x)\n", addr, size);
        exit(2);
    }
    return p;
}

static void harness_init(void)
{
    map_fixed(DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE);
    map_fixed(STACK_LO, STACK_SIZE, PROT_READ | PROT_WRITE);
    map_fixed(JIT_ADDR, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
    static uint8_t altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);
    g_ret_ptr = (uintptr_t)tramp_ret;
}

/* Runs bytes b[0..n) with g_in; returns 0 or the signal number. */
static int exec_code(const uint8_t *b, int n)
{
    uint8_t *jit = (uint8_t *)(uintptr_t)JIT_ADDR;
    memcpy(jit, b, n);
    int k = n;
#ifdef __x86_64__
    /* jmp qword [rip+0] ; .quad tramp_ret */
    jit[k++] = 0xFF; jit[k++] = 0x25; jit[k++] = 0; jit[k++] = 0; jit[k++] = 0; jit[k++] = 0;
    uint64_t ret = (uintptr_t)tramp_ret;
    memcpy(jit + k, &ret, 8);
#else
    /* jmp dword [g_ret_ptr] */
    jit[k++] = 0xFF; jit[k++] = 0x25;
    uint32_t p = (uintptr_t)&g_ret_ptr;
    memcpy(jit + k, &p, 4);
#endif
    g_code_ptr = JIT_ADDR;
    memset(g_out, 0, sizeof g_out);
    g_sig = 0;
    g_trapno = -1;
    if (!sigsetjmp(g_jb, 1)) tramp();
    return g_sig;
}

/* ---------------------------------------------------------------- PRNG */
static uint64_t g_seed = 0x5055505059564543ULL; /* "PUPPYVEC" */
static uint64_t rs;
static uint32_t r32(void)
{
    rs ^= rs >> 12;
    rs ^= rs << 25;
    rs ^= rs >> 27;
    return (uint32_t)((rs * 0x2545F4914F6CDD1DULL) >> 32);
}
static uint32_t rnd(uint32_t n) { return (uint32_t)(((uint64_t)r32() * n) >> 32); }
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}
static void reseed(const char *stream)
{
    rs = g_seed ^ fnv1a(stream);
    if (!rs) rs = 1;
    for (int i = 0; i < 8; i++) r32();
}

/* ---------------------------------------------------------------- flags-mask table */
enum Rule { R_ALL, R_LOGIC, R_MUL, R_DIV, R_SHIFT, R_SAR, R_ROT, R_SHXD, R_BT, R_BSX, R_DAA, R_AAA, R_AAM };
static const struct { const char *mnem; enum Rule rule; } flag_table[] = {
    {"add", R_ALL}, {"or", R_LOGIC}, {"adc", R_ALL}, {"sbb", R_ALL}, {"and", R_LOGIC}, {"sub", R_ALL},
    {"xor", R_LOGIC}, {"cmp", R_ALL}, {"test", R_LOGIC}, {"inc", R_ALL}, {"dec", R_ALL}, {"neg", R_ALL},
    {"not", R_ALL},
    {"rol", R_ROT}, {"ror", R_ROT}, {"rcl", R_ROT}, {"rcr", R_ROT}, {"shl", R_SHIFT}, {"shr", R_SHIFT},
    {"sar", R_SAR}, {"shld", R_SHXD}, {"shrd", R_SHXD},
    {"mul", R_MUL}, {"imul", R_MUL}, {"div", R_DIV}, {"idiv", R_DIV},
    {"bt", R_BT}, {"bts", R_BT}, {"btr", R_BT}, {"btc", R_BT}, {"bsf", R_BSX}, {"bsr", R_BSX},
    {"bswap", R_ALL},
    {"xchg", R_ALL}, {"xadd", R_ALL}, {"cmpxchg", R_ALL}, {"cmpxchg8b", R_ALL},
    {"movsx", R_ALL}, {"movzx", R_ALL}, {"xlat", R_ALL},
    {"seto", R_ALL}, {"setno", R_ALL}, {"setb", R_ALL}, {"setae", R_ALL}, {"sete", R_ALL}, {"setne", R_ALL},
    {"setbe", R_ALL}, {"seta", R_ALL}, {"sets", R_ALL}, {"setns", R_ALL}, {"setp", R_ALL}, {"setnp", R_ALL},
    {"setl", R_ALL}, {"setge", R_ALL}, {"setle", R_ALL}, {"setg", R_ALL},
    {"cmovo", R_ALL}, {"cmovno", R_ALL}, {"cmovb", R_ALL}, {"cmovae", R_ALL}, {"cmove", R_ALL},
    {"cmovne", R_ALL}, {"cmovbe", R_ALL}, {"cmova", R_ALL}, {"cmovs", R_ALL}, {"cmovns", R_ALL},
    {"cmovp", R_ALL}, {"cmovnp", R_ALL}, {"cmovl", R_ALL}, {"cmovge", R_ALL}, {"cmovle", R_ALL},
    {"cmovg", R_ALL},
    {"lea", R_ALL}, {"cbw", R_ALL}, {"cwde", R_ALL}, {"cwd", R_ALL}, {"cdq", R_ALL},
    {"lahf", R_ALL}, {"sahf", R_ALL}, {"clc", R_ALL}, {"stc", R_ALL}, {"cmc", R_ALL}, {"cld", R_ALL},
    {"std", R_ALL},
    {"movs", R_ALL}, {"stos", R_ALL}, {"lods", R_ALL}, {"cmps", R_ALL}, {"scas", R_ALL},
    {"push", R_ALL}, {"pop", R_ALL}, {"pusha", R_ALL}, {"popa", R_ALL}, {"enter", R_ALL}, {"leave", R_ALL},
    {"pushf", R_ALL}, {"popf", R_ALL},
    {"daa", R_DAA}, {"das", R_DAA}, {"aaa", R_AAA}, {"aas", R_AAA}, {"aam", R_AAM}, {"aad", R_AAM},
    {"into", R_ALL}, {"bound", R_ALL},
};
#define NTABLE (int)(sizeof flag_table / sizeof flag_table[0])
static int table_used[NTABLE];

/* The EFLAGS bits (of STATUS) whose value after the instruction the SDM
 * defines: flags it sets by a defined rule plus flags it leaves unchanged.
 * size = operand size in bits; count = raw shift/rotate count (before masking). */
static uint32_t flags_mask(const char *mnem, int size, uint32_t count)
{
    int i;
    for (i = 0; i < NTABLE; i++)
        if (!strcmp(flag_table[i].mnem, mnem)) break;
    if (i == NTABLE) {
        fprintf(stderr, "gen: self-check failed: no flags_mask rule for '%s'\n", mnem);
        exit(3);
    }
    table_used[i] = 1;
    uint32_t mc = count & 31, m;
    switch (flag_table[i].rule) {
    case R_ALL: return STATUS;
    case R_LOGIC: return STATUS & ~AF; /* OF=CF=0, SF ZF PF by result, AF undefined */
    case R_MUL: return CF | OF | DF;    /* SF ZF AF PF undefined */
    case R_DIV: return DF;              /* all six undefined */
    case R_SHIFT:                       /* SHL/SHR */
        if (!mc) return STATUS;
        m = SF | ZF | PF | DF;
        if (mc == 1) m |= OF;
        if (mc < (uint32_t)size) m |= CF; /* CF undefined when count >= size */
        return m;
    case R_SAR:
        if (!mc) return STATUS;
        m = CF | SF | ZF | PF | DF;
        if (mc == 1) m |= OF;
        return m;
    case R_ROT: /* ROL ROR RCL RCR: only CF/OF touched; OF only for 1-bit */
        if (!mc) return STATUS;
        return mc == 1 ? STATUS : STATUS & ~OF;
    case R_SHXD:
        if (!mc) return STATUS;
        if (mc > (uint32_t)size) return DF;
        m = CF | SF | ZF | PF | DF;
        if (mc == 1) m |= OF;
        return m;
    case R_BT: return CF | ZF | DF;   /* OF SF AF PF undefined, ZF unaffected */
    case R_BSX: return ZF | DF;       /* CF OF SF AF PF undefined */
    case R_DAA: return STATUS & ~OF;  /* DAA/DAS: OF undefined */
    case R_AAA: return CF | AF | DF;  /* AAA/AAS: OF SF ZF PF undefined */
    case R_AAM: return SF | ZF | PF | DF; /* AAM/AAD: OF AF CF undefined */
    }
    return STATUS;
}

/* ---------------------------------------------------------------- vectors */
typedef struct {
    uint32_t addr;
    int len;
    uint8_t init[512], fin[512];
} Win;

typedef struct {
    const char *family, *mnem, *note;
    char name[96];
    uint8_t bytes[16];
    int nb;
    uint8_t hbytes[16]; /* bytes executed by the x86-64 build when they differ */
    int nhb;
    uint32_t in[9]; /* eax..edi, eflags */
    int nwin;
    Win win[8];
    int size;
    uint32_t count;
    uint32_t undef_regs; /* bit r: register r architecturally undefined after */
} Vec;

static Vec V;
static const char *g_oracle = ORACLE_DEFAULT;
static const char *g_outdir = ".";
static int g_canon, g_trace;
static const char *g_skip;
static long g_nskipped;
static long g_nvec;

/* per-form index counters and the set of names, both open hash tables */
#define HT 65536
static struct { char *key; int n; } formtab[HT];
static char *nametab[HT * 4];

static int form_next(const char *form)
{
    uint64_t h = fnv1a(form) % HT;
    while (formtab[h].key && strcmp(formtab[h].key, form)) h = (h + 1) % HT;
    if (!formtab[h].key) formtab[h].key = strdup(form);
    return formtab[h].n++;
}
static void name_check(const char *name)
{
    uint64_t h = fnv1a(name) % (HT * 4);
    while (nametab[h]) {
        if (!strcmp(nametab[h], name)) {
            fprintf(stderr, "gen: self-check failed: duplicate vector name %s\n", name);
            exit(3);
        }
        h = (h + 1) % (HT * 4);
    }
    nametab[h] = strdup(name);
}

/* output files, one per family */
static struct { const char *fam; FILE *f; } outs[32];
static FILE *out_for(const char *fam)
{
    int i;
    for (i = 0; outs[i].fam; i++)
        if (!strcmp(outs[i].fam, fam)) return outs[i].f;
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s", g_outdir, fam, g_canon ? "canon" : "jsonl");
    outs[i].fam = fam;
    outs[i].f = fopen(path, "w");
    if (!outs[i].f) {
        perror(path);
        exit(2);
    }
    return outs[i].f;
}

static uint32_t szmask(int s) { return s >= 32 ? 0xFFFFFFFFu : (1u << s) - 1; }

static void vbegin(const char *fam, const char *mnem, const char *form)
{
    memset(&V, 0, sizeof V);
    V.family = fam;
    V.mnem = mnem;
    snprintf(V.name, sizeof V.name, "%s/%04d", form, form_next(form));
    for (int i = 0; i < 8; i++) V.in[i] = r32();
    V.in[ESP] = STACK_TOP;
    V.in[8] = 0x2 | (r32() & ARITH);
    V.size = 32;
}

/* declare memory the instruction may touch; fills it with random bytes */
static void vwin(uint32_t addr, int len)
{
    int inside = (addr >= DATA_BASE && addr + len <= DATA_BASE + DATA_SIZE) ||
                 (addr >= STACK_LO && addr + len <= STACK_LO + STACK_SIZE);
    if (!inside || len <= 0 || len > 512 || V.nwin == 8) {
        fprintf(stderr, "gen: bad window 0x%x+%d in %s\n", addr, len, V.name);
        exit(4);
    }
    V.win[V.nwin].addr = addr;
    V.win[V.nwin].len = len;
    V.nwin++;
    for (int i = 0; i < len; i++) ((uint8_t *)(uintptr_t)addr)[i] = (uint8_t)r32();
}
static void memw(uint32_t addr, int nbytes, uint64_t v)
{
    for (int i = 0; i < nbytes; i++) ((uint8_t *)(uintptr_t)addr)[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t memr(uint32_t addr, int nbytes)
{
    uint32_t v = 0;
    for (int i = 0; i < nbytes; i++) v |= (uint32_t)((uint8_t *)(uintptr_t)addr)[i] << (8 * i);
    return v;
}

static void merge_windows(void)
{
    /* sort by address and merge overlapping or touching windows */
    for (int i = 0; i < V.nwin; i++)
        for (int j = i + 1; j < V.nwin; j++)
            if (V.win[j].addr < V.win[i].addr) {
                Win t = V.win[i];
                V.win[i] = V.win[j];
                V.win[j] = t;
            }
    int k = 0;
    for (int i = 0; i < V.nwin; i++) {
        if (k && V.win[i].addr <= V.win[k - 1].addr + V.win[k - 1].len) {
            uint32_t end = V.win[i].addr + V.win[i].len;
            uint32_t kend = V.win[k - 1].addr + V.win[k - 1].len;
            if (end > kend) V.win[k - 1].len = end - V.win[k - 1].addr;
            if (V.win[k - 1].len > 512) {
                fprintf(stderr, "gen: merged window too large in %s\n", V.name);
                exit(4);
            }
        } else
            V.win[k++] = V.win[i];
    }
    V.nwin = k;
}

static void hex(FILE *f, const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
}

static void emit(const uint32_t *out, const char *exc, uint32_t mask)
{
    FILE *f = out_for(V.family);
    uint32_t efl_in = V.in[8];
    uint32_t efl_out = (efl_in & ~STATUS) | (out[8] & STATUS);
    if (g_canon) { /* comparable form: only what a runner compares */
        fprintf(f, "%s|", V.name);
        hex(f, V.bytes, V.nb);
        fprintf(f, "|%s|", exc ? exc : "-");
        for (int r = 0; r < 8; r++)
            if (!(V.undef_regs >> r & 1)) fprintf(f, "%s=%08x,", regname[r], out[r]);
        fprintf(f, "|%04x&%04x|", efl_out & mask, mask);
        for (int w = 0; w < V.nwin; w++) {
            fprintf(f, "%08x:", V.win[w].addr);
            hex(f, V.win[w].fin, V.win[w].len);
            fprintf(f, ",");
        }
        fprintf(f, "\n");
        return;
    }
    fprintf(f, "{\"name\":\"%s\",\"family\":\"%s\",\"bytes\":\"", V.name, V.family);
    hex(f, V.bytes, V.nb);
    fprintf(f, "\",\"init\":{\"regs\":{");
    for (int r = 0; r < 8; r++) fprintf(f, "%s\"%s\":%u", r ? "," : "", regname[r], V.in[r]);
    fprintf(f, "},\"eflags\":%u,\"mem\":[", efl_in);
    for (int w = 0; w < V.nwin; w++) {
        fprintf(f, "%s{\"addr\":%u,\"hex\":\"", w ? "," : "", V.win[w].addr);
        hex(f, V.win[w].init, V.win[w].len);
        fprintf(f, "\"}");
    }
    fprintf(f, "]},\"expect\":{\"regs\":{");
    int first = 1;
    for (int r = 0; r < 8; r++) {
        if (V.undef_regs >> r & 1) continue;
        fprintf(f, "%s\"%s\":%u", first ? "" : ",", regname[r], out[r]);
        first = 0;
    }
    fprintf(f, "},\"eflags\":%u,\"mem\":[", efl_out);
    for (int w = 0; w < V.nwin; w++) {
        fprintf(f, "%s{\"addr\":%u,\"hex\":\"", w ? "," : "", V.win[w].addr);
        hex(f, V.win[w].fin, V.win[w].len);
        fprintf(f, "\"}");
    }
    fprintf(f, "]},\"flags_mask\":%u,\"exception\":", mask);
    if (exc)
        fprintf(f, "\"%s\"", exc);
    else
        fprintf(f, "null");
    fprintf(f, ",\"oracle\":\"%s\"", g_oracle);
    if (V.note) fprintf(f, ",\"note\":\"%s\"", V.note);
    fprintf(f, "}\n");
}

static void vrun(void)
{
    merge_windows();
    for (int w = 0; w < V.nwin; w++) memcpy(V.win[w].init, (void *)(uintptr_t)V.win[w].addr, V.win[w].len);
    name_check(V.name);
    for (int i = 0; i < 9; i++) g_in[i] = V.in[i];
    const uint8_t *xb = V.bytes;
    int xn = V.nb;
#ifdef __x86_64__
    if (V.nhb) {
        xb = V.hbytes;
        xn = V.nhb;
    }
#endif
    char key[112];
    snprintf(key, sizeof key, ",%s,", V.name);
    if (g_skip && strstr(g_skip, key)) { /* --skip: a vector this oracle cannot run */
        g_nskipped++;
        return;
    }
    if (g_trace) fprintf(stderr, "%s\n", V.name);
    int sig = exec_code(xb, xn);
    uint32_t out[9];
    for (int i = 0; i < 9; i++) out[i] = (uint32_t)g_out[i];
    const char *exc = NULL;
    if (sig) {
        int trap = 0; /* 1: trap (IP after the instruction), 0: fault */
        if (sig == SIGFPE)
            exc = "#DE";
        else if (sig == SIGSEGV && !strcmp(V.mnem, "into") && (g_trapno == 4 || g_trapno <= 0))
            exc = "#OF", trap = 1;
        else if (sig == SIGSEGV && !strcmp(V.mnem, "bound") && (g_trapno == 5 || g_trapno <= 0))
            exc = "#BR";
        if (!exc) {
            fprintf(stderr, "gen: unexpected signal %d (trapno %d) at ip 0x%llx in %s\n", sig, g_trapno,
                    (unsigned long long)g_fault_ip, V.name);
            exit(5);
        }
        /* confirm: no register, flag or memory was changed, and the
         * exception was raised by this instruction */
        uint64_t want_ip = JIT_ADDR + (trap ? (uint32_t)xn : 0);
        int bad = g_fault_ip != want_ip || ((out[8] ^ V.in[8]) & STATUS);
        for (int r = 0; r < 8; r++) bad |= out[r] != V.in[r];
        for (int w = 0; w < V.nwin; w++)
            bad |= memcmp(V.win[w].init, (void *)(uintptr_t)V.win[w].addr, V.win[w].len) != 0;
        if (bad) {
            fprintf(stderr, "gen: %s: %s changed state or was raised elsewhere (ip 0x%llx)\n", V.name, exc,
                    (unsigned long long)g_fault_ip);
            exit(5);
        }
        memcpy(out, V.in, sizeof out);
    }
    for (int w = 0; w < V.nwin; w++) memcpy(V.win[w].fin, (void *)(uintptr_t)V.win[w].addr, V.win[w].len);
    uint32_t mask = flags_mask(V.mnem, V.size, V.count);
    if (exc) mask = STATUS; /* a fault/trap leaves all flags unchanged */
    emit(out, exc, mask);
    g_nvec++;
}

/* ---------------------------------------------------------------- encoding helpers */
typedef struct {
    uint8_t b[16];
    int n;
} Code;
static void cb(Code *c, uint32_t x) { c->b[c->n++] = (uint8_t)x; }
static void cimm(Code *c, uint32_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++) cb(c, v >> (8 * i));
}
static void copc(Code *c, int size, uint32_t opc)
{
    if (size == 16) cb(c, 0x66);
    if (opc > 0xFF) cb(c, opc >> 8);
    cb(c, opc & 0xFF);
}
static void vcode(const Code *c)
{
    memcpy(V.bytes, c->b, c->n);
    V.nb = c->n;
}

typedef struct {
    uint8_t b[8];
    int n;
    uint32_t ea, used;
} MemOp;

static int alias32(int r, int size) { return size == 8 ? (r & 3) : r; }
static int pickreg(int size, uint32_t excl)
{
    excl |= 1u << ESP;
    for (;;) {
        int r = (int)rnd(8);
        if (size == 8 && !(excl >> (r & 3) & 1)) return r;
        if (size != 8 && !(excl >> r & 1)) return r;
    }
}

/* A random 32-bit memory operand ([base], [base+d8], [base+d32],
 * [base+index*s+d8], [index*s+d32]) addressing ea in the data area; the
 * registers it needs are set in V.in; declares a window of len bytes + guard. */
static MemOp mkmem_at(uint32_t ea, int len, uint32_t excl)
{
    MemOp m;
    memset(&m, 0, sizeof m);
    m.ea = ea;
    excl |= 1u << ESP;
    int form = (int)rnd(5);
    int base = pickreg(32, excl);
    if (form == 0 && base == EBP) form = 1;
    switch (form) {
    case 0:
        m.b[m.n++] = base;
        V.in[base] = ea;
        m.used = 1u << base;
        break;
    case 1: {
        int8_t d = (int8_t)r32();
        m.b[m.n++] = 0x40 | base;
        m.b[m.n++] = (uint8_t)d;
        V.in[base] = ea - (int32_t)d;
        m.used = 1u << base;
        break;
    }
    case 2: {
        int32_t d = (int32_t)rnd(0x20000) - 0x10000;
        /* large negative displacement with a large base: the 32-bit sum is
         * the same without wrap-around, which x86-64 would not do */
        if (r32() & 1) d = -(int32_t)(r32() >> 1);
        m.b[m.n++] = 0x80 | base;
        for (int i = 0; i < 4; i++) m.b[m.n++] = (uint8_t)((uint32_t)d >> (8 * i));
        V.in[base] = ea - (uint32_t)d;
        m.used = 1u << base;
        break;
    }
    case 3: {
        int index = pickreg(32, excl | (1u << base));
        int sc = (int)rnd(4);
        int8_t d = (int8_t)r32();
        uint32_t iv = rnd(0x40);
        m.b[m.n++] = 0x44;
        m.b[m.n++] = (uint8_t)(sc << 6 | index << 3 | base);
        m.b[m.n++] = (uint8_t)d;
        V.in[index] = iv;
        V.in[base] = ea - (iv << sc) - (int32_t)d;
        m.used = 1u << base | 1u << index;
        break;
    }
    default: {
        int index = base; /* no base: [index*scale + disp32] */
        int sc = (int)rnd(4);
        uint32_t iv = rnd(0x40);
        uint32_t d = ea - (iv << sc);
        m.b[m.n++] = 0x04;
        m.b[m.n++] = (uint8_t)(sc << 6 | index << 3 | 5);
        for (int i = 0; i < 4; i++) m.b[m.n++] = (uint8_t)(d >> (8 * i));
        V.in[index] = iv;
        m.used = 1u << index;
        break;
    }
    }
    vwin(ea - 4, len + 8);
    return m;
}
static MemOp mkmem(int len, uint32_t excl) { return mkmem_at(DATA_BASE + 0x1000 + rnd(0x1000), len, excl); }

/* ModRM (+SIB/disp) with reg field `reg`, r/m = register rmreg or memory m */
static void put_rm(Code *c, int reg, int mem, int rmreg, const MemOp *m)
{
    if (mem) {
        cb(c, m->b[0] | reg << 3);
        for (int i = 1; i < m->n; i++) cb(c, m->b[i]);
    } else
        cb(c, 0xC0 | reg << 3 | rmreg);
}

static void setop(int r, int size, uint32_t v)
{
    if (size == 8) {
        if (r < 4)
            V.in[r] = (V.in[r] & ~0xFFu) | (v & 0xFF);
        else
            V.in[r - 4] = (V.in[r - 4] & ~0xFF00u) | ((v & 0xFF) << 8);
    } else if (size == 16)
        V.in[r] = (V.in[r] & ~0xFFFFu) | (v & 0xFFFF);
    else
        V.in[r] = v;
}

static const uint32_t EDGE[] = {0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu};
static int nedge(int size) { return size == 8 ? 5 : size == 16 ? 8 : 11; }
static uint32_t rval(int size)
{
    uint32_t m = szmask(size);
    switch (rnd(10)) {
    case 0: return rnd(17) & m;
    case 1: return (EDGE[rnd(nedge(size))] + rnd(5) - 2) & m;
    case 2: return (m - rnd(4)) & m;
    case 3: return ((1u << (size - 1)) + rnd(5) - 2) & m;
    default: return r32() & m;
    }
}
static uint32_t sext(uint32_t v, int size)
{
    if (size == 32) return v;
    v &= szmask(size);
    return (v >> (size - 1)) & 1 ? v | ~szmask(size) : v;
}
static const char *szt(int size) { return size == 8 ? "8" : size == 16 ? "16" : "32"; }
static const char *acc(int size) { return size == 8 ? "al" : size == 16 ? "ax" : "eax"; }

/* ---------------------------------------------------------------- binary-operand forms */
enum { K_RM_R, K_R_RM, K_RM_IMM, K_ACC_IMM, K_RM };

/* fam/mn: family and mnemonic; opc: opcode (0x0Fxx for two bytes); digit:
 * ModRM.reg for group opcodes; immsz: immediate size in bits; a: value of the
 * destination (first) operand, b: source value or raw immediate. */
static void binop(const char *fam, const char *mn, int size, int kind, uint32_t opc, int digit, int mem, int immsz,
                  uint32_t a, uint32_t b)
{
    char form[96];
    const char *rm = mem ? "m" : "r";
    switch (kind) {
    case K_RM_R: snprintf(form, sizeof form, "%s_%s%s_r%s_%02x", mn, rm, szt(size), szt(size), opc & 0xFF); break;
    case K_R_RM: snprintf(form, sizeof form, "%s_r%s_%s%s_%02x", mn, szt(size), rm, szt(size), opc & 0xFF); break;
    case K_RM_IMM:
        snprintf(form, sizeof form, "%s_%s%s_imm%d_%02x", mn, rm, szt(size), immsz, opc & 0xFF);
        break;
    case K_ACC_IMM: snprintf(form, sizeof form, "%s_%s_imm%d_%02x", mn, acc(size), immsz, opc & 0xFF); break;
    default: snprintf(form, sizeof form, "%s_%s%s_%02x", mn, rm, szt(size), opc & 0xFF); break;
    }
    vbegin(fam, mn, form);
    V.size = size;
    Code c = {{0}, 0};
    copc(&c, size, opc);
    uint32_t excl = 0;
    int nb = size / 8;
    MemOp m;
    memset(&m, 0, sizeof m);
    if (mem && kind != K_ACC_IMM) {
        m = mkmem(nb, 0);
        excl |= m.used;
    }
    switch (kind) {
    case K_RM_R: {
        int rd = mem ? -1 : pickreg(size, excl);
        int rs = pickreg(size, excl);
        if (mem)
            memw(m.ea, nb, a);
        else
            setop(rd, size, a);
        setop(rs, size, b);
        put_rm(&c, rs, mem, rd, &m);
        break;
    }
    case K_R_RM: {
        int rd = pickreg(size, excl);
        int rs = mem ? -1 : pickreg(size, excl);
        setop(rd, size, a);
        if (mem)
            memw(m.ea, nb, b);
        else
            setop(rs, size, b);
        put_rm(&c, rd, mem, rs, &m);
        break;
    }
    case K_RM_IMM: {
        int rd = mem ? -1 : pickreg(size, excl);
        if (mem)
            memw(m.ea, nb, a);
        else
            setop(rd, size, a);
        put_rm(&c, digit, mem, rd, &m);
        cimm(&c, b, immsz / 8);
        break;
    }
    case K_ACC_IMM:
        setop(EAX, size, a);
        cimm(&c, b, immsz / 8);
        break;
    case K_RM: {
        int rd = mem ? -1 : pickreg(size, excl);
        if (mem)
            memw(m.ea, nb, a);
        else
            setop(rd, size, a);
        put_rm(&c, digit, mem, rd, &m);
        break;
    }
    }
    vcode(&c);
    vrun();
}

/* ---------------------------------------------------------------- families */
static const int SIZES[3] = {8, 16, 32};

static void gen_arith(void)
{
    static const char *alu[8] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
    reseed("arith");
    for (int op = 0; op < 8; op++) {
        for (int si = 0; si < 3; si++) {
            int s = SIZES[si], w = s != 8, ne = nedge(s);
            uint32_t o = op * 8;
            /* r/m,reg register form: edge pairs (all of them for ADD ADC SUB SBB,
             * a subset for the others) + random */
            int full = op == 0 || op == 2 || op == 3 || op == 5;
            for (int i = 0; i < ne; i++)
                for (int j = full ? 0 : i; j < ne; j += full ? 1 : 2)
                    binop("arith", alu[op], s, K_RM_R, o + w, 0, 0, 0, EDGE[i], EDGE[j]);
            for (int k = 0; k < 10; k++) binop("arith", alu[op], s, K_RM_R, o + w, 0, 0, 0, rval(s), rval(s));
            for (int k = 0; k < 5; k++) binop("arith", alu[op], s, K_R_RM, o + 2 + w, 0, 0, 0, rval(s), rval(s));
            for (int k = 0; k < 5; k++) binop("arith", alu[op], s, K_RM_R, o + w, 0, 1, 0, rval(s), rval(s));
            for (int k = 0; k < 5; k++) binop("arith", alu[op], s, K_R_RM, o + 2 + w, 0, 1, 0, rval(s), rval(s));
            for (int k = 0; k < 5; k++) binop("arith", alu[op], s, K_ACC_IMM, o + 4 + w, 0, 0, s, rval(s), rval(s));
            for (int k = 0; k < 5; k++) binop("arith", alu[op], s, K_RM_IMM, 0x80 + w, op, 0, s, rval(s), rval(s));
            for (int k = 0; k < 4; k++) binop("arith", alu[op], s, K_RM_IMM, 0x80 + w, op, 1, s, rval(s), rval(s));
            if (s != 8) {
                for (int i = 0; i < 5; i++) /* sign-extended imm8 edges */
                    binop("arith", alu[op], s, K_RM_IMM, 0x83, op, 0, 8, rval(s), EDGE[i]);
                for (int k = 0; k < 5; k++) binop("arith", alu[op], s, K_RM_IMM, 0x83, op, 0, 8, rval(s), rval(8));
                for (int k = 0; k < 4; k++) binop("arith", alu[op], s, K_RM_IMM, 0x83, op, 1, 8, rval(s), rval(8));
            }
        }
    }
    for (int si = 0; si < 3; si++) {
        int s = SIZES[si], w = s != 8, ne = nedge(s);
        /* TEST */
        for (int i = 0; i < ne; i++)
            for (int j = i; j < ne; j += 2) binop("arith", "test", s, K_RM_R, 0x84 + w, 0, 0, 0, EDGE[i], EDGE[j]);
        for (int k = 0; k < 12; k++) binop("arith", "test", s, K_RM_R, 0x84 + w, 0, 0, 0, rval(s), rval(s));
        for (int k = 0; k < 6; k++) binop("arith", "test", s, K_RM_R, 0x84 + w, 0, 1, 0, rval(s), rval(s));
        for (int k = 0; k < 6; k++) binop("arith", "test", s, K_ACC_IMM, 0xA8 + w, 0, 0, s, rval(s), rval(s));
        for (int k = 0; k < 6; k++) binop("arith", "test", s, K_RM_IMM, 0xF6 + w, 0, 0, s, rval(s), rval(s));
        for (int k = 0; k < 6; k++) binop("arith", "test", s, K_RM_IMM, 0xF6 + w, 0, 1, s, rval(s), rval(s));
        /* INC DEC NEG NOT */
        static const struct { const char *mn; uint32_t opc8; int digit; } un[4] = {
            {"inc", 0xFE, 0}, {"dec", 0xFE, 1}, {"not", 0xF6, 2}, {"neg", 0xF6, 3}};
        for (int u = 0; u < 4; u++) {
            for (int i = 0; i < ne; i++) binop("arith", un[u].mn, s, K_RM, un[u].opc8 + w, un[u].digit, 0, 0, EDGE[i], 0);
            for (int k = 0; k < 6; k++) binop("arith", un[u].mn, s, K_RM, un[u].opc8 + w, un[u].digit, 0, 0, rval(s), 0);
            for (int k = 0; k < 4; k++) binop("arith", un[u].mn, s, K_RM, un[u].opc8 + w, un[u].digit, 1, 0, rval(s), 0);
        }
    }
    /* INC/DEC r16/r32 one-byte forms 0x40+r / 0x48+r (32-bit mode only: REX
     * prefixes in 64-bit mode).  The x86-64 build executes FF /0 or FF /1 on the
     * same register instead (identical semantics) and says so in "note". */
    for (int s = 16; s <= 32; s += 16) {
        for (int d = 0; d < 2; d++) {
            const char *mn = d ? "dec" : "inc";
            char form[64];
            snprintf(form, sizeof form, "%s_r%d_%s", mn, s, d ? "48" : "40");
            for (int k = 0; k < 16; k++) {
                vbegin("arith", mn, form);
                V.size = s;
                int r = pickreg(s, 0);
                setop(r, s, k < 4 ? EDGE[(k * 3 + (s == 32 ? 6 : 4)) % 11] : rval(s));
                Code c = {{0}, 0}, h = {{0}, 0};
                copc(&c, s, (d ? 0x48 : 0x40) + r);
                copc(&h, s, 0xFF);
                cb(&h, 0xC0 | d << 3 | r);
                vcode(&c);
                memcpy(V.hbytes, h.b, h.n);
                V.nhb = h.n;
                V.note = d ? "x86-64 oracle executed the FF /1 form (0x48+r is a REX prefix in 64-bit mode); "
                             "semantics are identical"
                           : "x86-64 oracle executed the FF /0 form (0x40+r is a REX prefix in 64-bit mode); "
                             "semantics are identical";
                vrun();
            }
        }
    }
}

static const uint32_t COUNTS[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 255};
#define NCOUNTS 13

/* how: 1 = by one (D0/D1), 2 = by CL (D2/D3), 3 = by imm8 (C0/C1) */
static void shiftop(const char *mn, int digit, int s, int how, int mem, uint32_t val, uint32_t count)
{
    char form[64];
    static const char *hs[4] = {"", "1", "cl", "imm8"};
    int w = s != 8;
    uint32_t opc = how == 1 ? 0xD0 + w : how == 2 ? 0xD2 + w : 0xC0 + w;
    snprintf(form, sizeof form, "%s_%s%s_%s_%02x", mn, mem ? "m" : "r", szt(s), hs[how], opc);
    vbegin("shift", mn, form);
    V.size = s;
    V.count = how == 1 ? 1 : count;
    Code c = {{0}, 0};
    copc(&c, s, opc);
    uint32_t excl = how == 2 ? 1u << ECX : 0;
    MemOp m;
    memset(&m, 0, sizeof m);
    int rd = -1;
    if (mem) {
        m = mkmem(s / 8, excl);
        memw(m.ea, s / 8, val);
    } else {
        rd = pickreg(s, excl);
        setop(rd, s, val);
    }
    if (how == 2) setop(ECX, 8, count);
    put_rm(&c, digit, mem, rd, &m);
    if (how == 3) cb(&c, count);
    vcode(&c);
    vrun();
}

/* SHLD/SHRD r/m, reg, imm8|CL */
static void shxdop(const char *mn, uint32_t opc, int s, int cl, int mem, uint32_t dv, uint32_t sv, uint32_t count)
{
    char form[64];
    snprintf(form, sizeof form, "%s_%s%d_r%d_%s_%02x", mn, mem ? "m" : "r", s, s, cl ? "cl" : "imm8",
             (opc + cl) & 0xFF);
    vbegin("shift", mn, form);
    V.size = s;
    V.count = count;
    Code c = {{0}, 0};
    copc(&c, s, opc + cl);
    uint32_t excl = cl ? 1u << ECX : 0;
    MemOp m;
    memset(&m, 0, sizeof m);
    int rd = -1;
    if (mem) {
        m = mkmem(s / 8, excl);
        excl |= m.used;
        memw(m.ea, s / 8, dv);
    } else {
        rd = pickreg(s, excl);
        setop(rd, s, dv);
    }
    int rs = pickreg(s, excl | (rd >= 0 ? 1u << rd : 0));
    setop(rs, s, sv);
    if (cl) setop(ECX, 8, count);
    put_rm(&c, rs, mem, rd, &m);
    if (!cl) cb(&c, count);
    vcode(&c);
    vrun();
}

static void gen_shift(void)
{
    static const char *sh[8] = {"rol", "ror", "rcl", "rcr", "shl", "shr", NULL, "sar"};
    reseed("shift");
    for (int op = 0; op < 8; op++) {
        if (!sh[op]) continue;
        for (int si = 0; si < 3; si++) {
            int s = SIZES[si], ne = nedge(s);
            for (int i = 0; i < ne; i++) shiftop(sh[op], op, s, 1, 0, EDGE[i], 1);
            for (int k = 0; k < 4; k++) shiftop(sh[op], op, s, 1, 0, rval(s), 1);
            for (int k = 0; k < 3; k++) shiftop(sh[op], op, s, 1, 1, rval(s), 1);
            for (int how = 2; how <= 3; how++) {
                for (int i = 0; i < NCOUNTS; i++) shiftop(sh[op], op, s, how, 0, (i & 1) ? rval(s) : r32() & szmask(s), COUNTS[i]);
                for (int k = 0; k < 3; k++) shiftop(sh[op], op, s, how, 0, rval(s), rnd(40));
                for (int k = 0; k < 4; k++) shiftop(sh[op], op, s, how, 1, rval(s), COUNTS[rnd(NCOUNTS)]);
            }
        }
    }
    for (int d = 0; d < 2; d++) {
        const char *mn = d ? "shrd" : "shld";
        uint32_t opc = d ? 0x0FAC : 0x0FA4;
        for (int s = 16; s <= 32; s += 16)
            for (int cl = 0; cl < 2; cl++) {
                for (int i = 0; i < NCOUNTS; i++) {
                    /* 16-bit with masked count > 16: result and flags undefined; not emitted */
                    if ((COUNTS[i] & 31) > (uint32_t)s) continue;
                    shxdop(mn, opc, s, cl, 0, rval(s), rval(s), COUNTS[i]);
                    shxdop(mn, opc, s, cl, 0, r32(), r32(), COUNTS[i]);
                }
                for (int k = 0; k < 8; k++) {
                    uint32_t cnt = rnd(s == 16 ? 17 : 64);
                    shxdop(mn, opc, s, cl, k & 1, r32(), r32(), cnt);
                }
            }
    }
}

/* one-operand MUL/IMUL/DIV/IDIV: acc = AL/AX/EAX (lo), hi = AH/DX/EDX part;
 * operand in a register (not aliasing EAX/EDX) or memory */
static void mdop(const char *mn, int digit, int s, int mem, uint64_t dividend, uint32_t opnd, int use_dividend)
{
    char form[64];
    int w = s != 8;
    snprintf(form, sizeof form, "%s_%s%s_%02x", mn, mem ? "m" : "r", szt(s), 0xF6 + w);
    vbegin("muldiv", mn, form);
    V.size = s;
    Code c = {{0}, 0};
    copc(&c, s, 0xF6 + w);
    uint32_t excl = 1u << EAX | 1u << EDX;
    MemOp m;
    memset(&m, 0, sizeof m);
    int rd = -1;
    if (mem) {
        m = mkmem(s / 8, excl);
        memw(m.ea, s / 8, opnd);
    } else {
        rd = pickreg(s, excl);
        setop(rd, s, opnd);
    }
    if (s == 8)
        setop(EAX, use_dividend ? 16 : 8, (uint32_t)dividend);
    else {
        setop(EAX, s, (uint32_t)dividend);
        if (use_dividend) setop(EDX, s, (uint32_t)(dividend >> s));
    }
    put_rm(&c, digit, mem, rd, &m);
    vcode(&c);
    vrun();
}

static void gen_muldiv(void)
{
    reseed("muldiv");
    for (int si = 0; si < 3; si++) {
        int s = SIZES[si], ne = nedge(s), w = s != 8;
        uint32_t M = szmask(s);
        for (int u = 0; u < 2; u++) {
            const char *mn = u ? "imul" : "mul";
            for (int i = 0; i < ne; i++)
                for (int j = s == 32 ? i : 0; j < ne; j += s == 32 ? 2 : 1) mdop(mn, 4 + u, s, 0, EDGE[i] & M, EDGE[j] & M, 0);
            for (int k = 0; k < 16; k++) mdop(mn, 4 + u, s, 0, rval(s), rval(s), 0);
            for (int k = 0; k < 8; k++) mdop(mn, 4 + u, s, 1, rval(s), rval(s), 0);
        }
        /* DIV / IDIV */
        for (int u = 0; u < 2; u++) {
            const char *mn = u ? "idiv" : "div";
            for (int k = 0; k < 32; k++) {
                int mem = k >= 24;
                uint32_t d;
                do d = rval(s) >> rnd(s); while (!d);
                if (!u) {
                    uint64_t q = (uint64_t)(r32() & M) >> rnd(s);
                    uint64_t r = r32() % d;
                    mdop(mn, 6, s, mem, q * d + r, d, 1);
                } else {
                    int64_t sd = (int32_t)sext(d, s);
                    if (r32() & 1) sd = -sd;
                    if (sd == 0 || (s < 32 && (sd > (int64_t)(M >> 1) || sd < -(int64_t)(M >> 1) - 1))) sd = 3;
                    int64_t q = (int32_t)sext(r32() & M, s) >> rnd(s);
                    int64_t ad = sd < 0 ? -sd : sd;
                    int64_t r = (int64_t)(r32() % (uint64_t)ad);
                    int64_t prod = q * sd;
                    if (prod < 0 || (prod == 0 && (r32() & 1))) r = -r;
                    int64_t dv = prod + r;
                    mdop(mn, 7, s, mem, (uint64_t)dv, (uint32_t)sd & M, 1);
                }
            }
            /* #DE: divide by zero, quotient overflow */
            for (int k = 0; k < 3; k++) mdop(mn, 6 + u, s, k == 2, ((uint64_t)r32() << 32) | r32(), 0, 1);
            for (int k = 0; k < 3; k++) {
                uint32_t d = (rval(s) & M) | 1;
                uint64_t hi = u ? (uint64_t)(M >> 2) + rnd(100) : (uint64_t)d + rnd(1000);
                mdop(mn, 6 + u, s, k == 2, (hi & M) << s | (r32() & M), d, 1);
            }
            if (u) { /* -2^(2s-1) / -1 and friends */
                uint64_t minv = (uint64_t)1 << (2 * s - 1);
                mdop(mn, 7, s, 0, minv, M, 1);
                mdop(mn, 7, s, 0, (uint64_t)(1u << (s - 1)) | ((uint64_t)M << s), M, 1); /* -2^(s-1) / -1 */
                mdop(mn, 7, s, 0, (uint64_t)(1u << (s - 1)) | ((uint64_t)M << s), 1, 1); /* -2^(s-1) / 1: ok */
                mdop(mn, 7, s, 0, (uint64_t)((1u << (s - 1)) - 1), 1, 1);
            }
            for (int k = 0; k < 6; k++) mdop(mn, 6 + u, s, 0, ((uint64_t)r32() << 32) | r32(), rval(s), 1);
        }
        (void)w;
    }
    /* IMUL r, r/m (0F AF) and IMUL r, r/m, imm (69 / 6B) */
    for (int s = 16; s <= 32; s += 16) {
        int ne = nedge(s);
        for (int i = 0; i < ne; i++)
            for (int j = 0; j < ne; j += 2) binop("muldiv", "imul", s, K_R_RM, 0x0FAF, 0, 0, 0, EDGE[i], EDGE[j]);
        for (int k = 0; k < 16; k++) binop("muldiv", "imul", s, K_R_RM, 0x0FAF, 0, 0, 0, rval(s), rval(s));
        for (int k = 0; k < 8; k++) binop("muldiv", "imul", s, K_R_RM, 0x0FAF, 0, 1, 0, rval(s), rval(s));
        for (int im = 0; im < 2; im++) {
            uint32_t opc = im ? 0x6B : 0x69;
            int isz = im ? 8 : s;
            for (int k = 0; k < 24; k++) {
                int mem = k >= 18;
                char form[64];
                snprintf(form, sizeof form, "imul_r%d_%s%d_imm%d_%02x", s, mem ? "m" : "r", s, isz, opc);
                vbegin("muldiv", "imul", form);
                V.size = s;
                Code c = {{0}, 0};
                copc(&c, s, opc);
                MemOp m;
                memset(&m, 0, sizeof m);
                uint32_t excl = 0;
                int rs = -1;
                uint32_t a = k < 4 ? EDGE[k * 3 % ne] : rval(s);
                if (mem) {
                    m = mkmem(s / 8, 0);
                    excl = m.used;
                    memw(m.ea, s / 8, a);
                } else {
                    rs = pickreg(s, 0);
                    setop(rs, s, a);
                }
                int rd = pickreg(s, excl);
                put_rm(&c, rd, mem, rs, &m);
                cimm(&c, k < 4 ? EDGE[(k * 5 + 1) % (im ? 5 : ne)] : rval(isz), isz / 8);
                vcode(&c);
                vrun();
            }
        }
    }
}

static void gen_bitops(void)
{
    static const char *bt[4] = {"bt", "bts", "btr", "btc"};
    static const int32_t OFFS[] = {0, 1, 7, 8, 15, 16, 31, 32, 33, 63, -1, -8, -9, -32, -33, 255, -256};
    reseed("bitops");
    for (int op = 0; op < 4; op++) {
        uint32_t opc = 0x0FA3 + 8 * op;
        for (int s = 16; s <= 32; s += 16) {
            /* register base, register offset (offset taken modulo the size) */
            for (int i = 0; i < 17; i++) binop("bitops", bt[op], s, K_RM_R, opc, 0, 0, 0, r32(), (uint32_t)OFFS[i]);
            for (int k = 0; k < 8; k++) binop("bitops", bt[op], s, K_RM_R, opc, 0, 0, 0, rval(s), r32());
            /* register base, imm8 offset */
            for (int k = 0; k < 16; k++)
                binop("bitops", bt[op], s, K_RM_IMM, 0x0FBA, 4 + op, 0, 8, r32(), k < 8 ? (uint32_t)OFFS[k * 2] & 0xFF : r32() & 0xFF);
            /* memory base, imm8 offset (modulo the size) */
            for (int k = 0; k < 8; k++) binop("bitops", bt[op], s, K_RM_IMM, 0x0FBA, 4 + op, 1, 8, r32(), r32() & 0xFF);
            /* memory base, register offset: signed bit string offset */
            for (int k = 0; k < 24; k++) {
                char form[64];
                snprintf(form, sizeof form, "%s_m%d_r%d_%02x", bt[op], s, s, opc & 0xFF);
                vbegin("bitops", bt[op], form);
                V.size = s;
                Code c = {{0}, 0};
                copc(&c, s, opc);
                int32_t off = k < 17 ? OFFS[k] : (int32_t)rnd(1024) - 512;
                if (k == 23) off = s == 16 ? -32768 + (int32_t)rnd(8) : (int32_t)rnd(0x8000) - 0x4000;
                if (s == 16 && k == 22) off = 32767 - (int32_t)rnd(8);
                uint32_t ea = DATA_BASE + 0x4000 + rnd(0x1000);
                MemOp m = mkmem_at(ea, s / 8, 0);
                int rs = pickreg(s, m.used);
                setop(rs, s, (uint32_t)off);
                int32_t byteoff = off >> 3;
                vwin(ea + byteoff - 8, 16);
                put_rm(&c, rs, 1, 0, &m);
                vcode(&c);
                vrun();
            }
        }
    }
    /* BSF / BSR */
    for (int u = 0; u < 2; u++) {
        const char *mn = u ? "bsr" : "bsf";
        for (int s = 16; s <= 32; s += 16)
            for (int k = 0; k < 40; k++) {
                int mem = k >= 32;
                char form[64];
                snprintf(form, sizeof form, "%s_r%d_%s%d_%02x", mn, s, mem ? "m" : "r", s, 0xBC + u);
                vbegin("bitops", mn, form);
                V.size = s;
                uint32_t v;
                switch (k % 8) {
                case 0: v = k < 8 ? 0 : rval(s); break;
                case 1: v = 1u << rnd(s); break;
                case 2: v = (1u << rnd(s)) | (1u << rnd(s)); break;
                case 3: v = EDGE[rnd(nedge(s))]; break;
                default: v = r32() >> rnd(s); break;
                }
                v &= szmask(s);
                if (k == 32 || k == 1) v = 0;
                Code c = {{0}, 0};
                copc(&c, s, 0x0FBC + u);
                MemOp m;
                memset(&m, 0, sizeof m);
                int rs = -1;
                uint32_t excl = 0;
                if (mem) {
                    m = mkmem(s / 8, 0);
                    excl = m.used;
                    memw(m.ea, s / 8, v);
                } else {
                    rs = pickreg(s, 0);
                    setop(rs, s, v);
                }
                int rd = pickreg(s, excl);
                put_rm(&c, rd, mem, rs, &m);
                if (v == 0) V.undef_regs = 1u << rd; /* destination undefined when source is 0 */
                vcode(&c);
                vrun();
            }
    }
    /* BSWAP r32 */
    for (int k = 0; k < 28; k++) {
        vbegin("bitops", "bswap", "bswap_r32");
        int r = k < 7 ? (k < 4 ? k : k + 1) : pickreg(32, 0);
        if (k < 11 && k >= 7) V.in[r] = EDGE[k];
        Code c = {{0}, 0};
        cb(&c, 0x0F);
        cb(&c, 0xC8 + r);
        vcode(&c);
        vrun();
    }
}

static void gen_xchg(void)
{
    reseed("xchg");
    for (int si = 0; si < 3; si++) {
        int s = SIZES[si], w = s != 8;
        for (int k = 0; k < 10; k++) binop("xchg", "xchg", s, K_RM_R, 0x86 + w, 0, 0, 0, rval(s), rval(s));
        for (int k = 0; k < 8; k++) binop("xchg", "xchg", s, K_RM_R, 0x86 + w, 0, 1, 0, rval(s), rval(s));
        for (int k = 0; k < 12; k++) binop("xchg", "xadd", s, K_RM_R, 0x0FC0 + w, 0, 0, 0, rval(s), rval(s));
        for (int k = 0; k < 8; k++) binop("xchg", "xadd", s, K_RM_R, 0x0FC0 + w, 0, 1, 0, rval(s), rval(s));
        /* LOCK XADD m, r */
        for (int k = 0; k < 4; k++) {
            char form[64];
            snprintf(form, sizeof form, "lock_xadd_m%d_r%d", s, s);
            vbegin("xchg", "xadd", form);
            V.size = s;
            Code c = {{0}, 0};
            cb(&c, 0xF0);
            copc(&c, s, 0x0FC0 + w);
            MemOp m = mkmem(s / 8, 0);
            memw(m.ea, s / 8, rval(s));
            int rs = pickreg(s, m.used);
            setop(rs, s, rval(s));
            put_rm(&c, rs, 1, 0, &m);
            vcode(&c);
            vrun();
        }
        /* CMPXCHG r/m, r: half the cases with accumulator == destination */
        for (int k = 0; k < 24; k++) {
            int mem = k >= 16, lock = k >= 20;
            char form[64];
            snprintf(form, sizeof form, "%scmpxchg_%s%d_r%d_%02x", lock ? "lock_" : "", mem ? "m" : "r", s, s,
                     0xB0 + w);
            vbegin("xchg", "cmpxchg", form);
            V.size = s;
            Code c = {{0}, 0};
            if (lock) cb(&c, 0xF0);
            copc(&c, s, 0x0FB0 + w);
            MemOp m;
            memset(&m, 0, sizeof m);
            uint32_t excl = 1u << EAX, dv = rval(s);
            int rd = -1;
            if (mem) {
                m = mkmem(s / 8, excl);
                excl |= m.used;
                memw(m.ea, s / 8, dv);
            } else {
                rd = pickreg(s, excl);
                setop(rd, s, dv);
            }
            int rs = pickreg(s, excl | (rd >= 0 ? 1u << alias32(rd, s) : 0));
            setop(rs, s, rval(s));
            setop(EAX, s, (k & 1) ? dv : rval(s));
            put_rm(&c, rs, mem, rd, &m);
            vcode(&c);
            vrun();
        }
    }
    /* XCHG eAX, r (0x90+r) */
    for (int s = 16; s <= 32; s += 16)
        for (int r = 1; r < 8; r++) {
            if (r == ESP) continue;
            for (int k = 0; k < (s == 32 ? 3 : 2); k++) {
                char form[64];
                snprintf(form, sizeof form, "xchg_%s_r%d_90+r", acc(s), s);
                vbegin("xchg", "xchg", form);
                V.size = s;
                Code c = {{0}, 0};
                copc(&c, s, 0x90 + r);
                vcode(&c);
                vrun();
            }
        }
    /* CMPXCHG8B m64 */
    for (int k = 0; k < 24; k++) {
        int lock = k >= 18;
        vbegin("xchg", "cmpxchg8b", lock ? "lock_cmpxchg8b_m64" : "cmpxchg8b_m64");
        Code c = {{0}, 0};
        if (lock) cb(&c, 0xF0);
        cb(&c, 0x0F);
        cb(&c, 0xC7);
        MemOp m = mkmem(8, 1u << EAX | 1u << ECX | 1u << EDX | 1u << EBX);
        uint32_t lo = r32(), hi = r32();
        switch (k % 4) {
        case 0: case 1: V.in[EAX] = lo; V.in[EDX] = hi; break; /* equal */
        case 2: V.in[EAX] = lo; V.in[EDX] = hi ^ (1u << rnd(32)); break; /* high differs */
        default: V.in[EAX] = lo ^ (1u << rnd(32)); V.in[EDX] = hi; break;
        }
        memw(m.ea, 4, lo);
        memw(m.ea + 4, 4, hi);
        put_rm(&c, 1, 1, 0, &m);
        vcode(&c);
        vrun();
    }
}

static void gen_movx(void)
{
    reseed("movx");
    static const struct { const char *mn; uint32_t opc; int ds, ss; } mx[6] = {
        {"movzx", 0x0FB6, 32, 8}, {"movzx", 0x0FB6, 16, 8}, {"movzx", 0x0FB7, 32, 16},
        {"movsx", 0x0FBE, 32, 8}, {"movsx", 0x0FBE, 16, 8}, {"movsx", 0x0FBF, 32, 16}};
    for (int i = 0; i < 6; i++) {
        int ds = mx[i].ds, ss = mx[i].ss;
        for (int k = 0; k < 20; k++) {
            int mem = k >= 14;
            char form[64];
            snprintf(form, sizeof form, "%s_r%d_%s%d_%02x", mx[i].mn, ds, mem ? "m" : "r", ss, mx[i].opc & 0xFF);
            vbegin("movx", mx[i].mn, form);
            V.size = ds;
            Code c = {{0}, 0};
            copc(&c, ds, mx[i].opc);
            uint32_t v = k < nedge(ss) ? EDGE[k] : rval(ss);
            MemOp m;
            memset(&m, 0, sizeof m);
            int rs = -1;
            uint32_t excl = 0;
            if (mem) {
                m = mkmem(ss / 8, 0);
                excl = m.used;
                memw(m.ea, ss / 8, v);
            } else {
                rs = pickreg(ss, 0);
                setop(rs, ss, v);
            }
            int rd = pickreg(ds, excl);
            put_rm(&c, rd, mem, rs, &m);
            vcode(&c);
            vrun();
        }
    }
    /* XLAT: AL <- [EBX + AL] */
    for (int k = 0; k < 16; k++) {
        vbegin("movx", "xlat", "xlat_d7");
        V.in[EBX] = DATA_BASE + 0x2000 + rnd(0x800);
        uint32_t al = k < 3 ? (uint32_t[]){0, 0x7F, 0xFF}[k] : rnd(256);
        setop(EAX, 8, al);
        vwin(V.in[EBX] + al - 4, 9);
        Code c = {{0xD7}, 1};
        vcode(&c);
        vrun();
    }
}

static const char *CC[16] = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"};

/* the five flags a condition reads, from a 5-bit pattern */
static uint32_t ccflags(uint32_t p)
{
    return (p & 1 ? CF : 0) | (p & 2 ? PF : 0) | (p & 4 ? ZF : 0) | (p & 8 ? SF : 0) | (p & 16 ? OF : 0);
}

static void gen_setcc(void)
{
    reseed("setcc");
    for (int cc = 0; cc < 16; cc++) {
        char mn[16];
        snprintf(mn, sizeof mn, "set%s", CC[cc]);
        const char *mns = strdup(mn);
        for (int k = 0; k < 20; k++) {
            int mem = k >= 16;
            char form[64];
            snprintf(form, sizeof form, "%s_%s8_%02x", mns, mem ? "m" : "r", 0x90 + cc);
            vbegin("setcc", mns, form);
            V.size = 8;
            V.in[8] = 0x2 | (r32() & AF) | ccflags(mem ? rnd(32) : (uint32_t)(k * 2 + (r32() & 1)));
            Code c = {{0}, 0};
            copc(&c, 8, 0x0F90 + cc);
            MemOp m;
            memset(&m, 0, sizeof m);
            int rd = -1;
            if (mem)
                m = mkmem(1, 0);
            else
                rd = pickreg(8, 0);
            put_rm(&c, 0, mem, rd, &m);
            vcode(&c);
            vrun();
        }
    }
}

static void gen_cmov(void)
{
    reseed("cmov");
    for (int cc = 0; cc < 16; cc++) {
        char mn[16];
        snprintf(mn, sizeof mn, "cmov%s", CC[cc]);
        const char *mns = strdup(mn);
        for (int s = 16; s <= 32; s += 16)
            for (int k = 0; k < 12; k++) {
                int mem = k >= 8;
                char form[64];
                snprintf(form, sizeof form, "%s_r%d_%s%d_%02x", mns, s, mem ? "m" : "r", s, 0x40 + cc);
                vbegin("cmov", mns, form);
                V.size = s;
                V.in[8] = 0x2 | (r32() & AF) | ccflags(rnd(32));
                Code c = {{0}, 0};
                copc(&c, s, 0x0F40 + cc);
                MemOp m;
                memset(&m, 0, sizeof m);
                int rs = -1;
                uint32_t excl = 0;
                if (mem) {
                    m = mkmem(s / 8, 0);
                    excl = m.used;
                } else
                    rs = pickreg(s, 0);
                int rd = pickreg(s, excl);
                put_rm(&c, rd, mem, rs, &m);
                vcode(&c);
                vrun();
            }
    }
}

/* LEA with random 32-bit addressing forms; register values are arbitrary
 * 32-bit numbers (LEA does not access memory), so address wrap-around is
 * covered.  mod=00 rm=101 (disp32, RIP-relative in 64-bit mode) is in gen_lea_a16. */
static void gen_lea(void)
{
    reseed("lea");
    for (int k = 0; k < 300; k++) {
        int s = k % 4 == 3 ? 16 : 32;
        int mod = (int)rnd(3), rm = (int)rnd(8);
        if (mod == 0 && rm == 5) rm = 4;
        int sc = (int)rnd(4), index = (int)rnd(8), base = (int)rnd(8);
        char form[64];
        if (rm == 4)
            snprintf(form, sizeof form, "lea_r%d_mod%d_sib%s%s", s, mod, index == 4 ? "_noindex" : "",
                     mod == 0 && base == 5 ? "_nobase" : "");
        else
            snprintf(form, sizeof form, "lea_r%d_mod%d_rm%d", s, mod, rm);
        vbegin("lea", "lea", form);
        V.size = s;
        for (int i = 0; i < 8; i++) V.in[i] = (r32() & 1) ? r32() : rval(32);
        Code c = {{0}, 0};
        copc(&c, s, 0x8D);
        int rd = pickreg(s, 0);
        cb(&c, mod << 6 | rd << 3 | rm);
        if (rm == 4) cb(&c, sc << 6 | index << 3 | base);
        if (mod == 1) cb(&c, r32());
        if (mod == 2 || (mod == 0 && rm == 4 && base == 5)) cimm(&c, (r32() & 1) ? r32() : rval(32), 4);
        vcode(&c);
        vrun();
    }
}

/* qemu/i386-only LEA forms: 16-bit addressing (0x67) and [disp32] */
static void gen_lea_a16(void)
{
    reseed("lea_a16");
    for (int k = 0; k < 120; k++) {
        int s = k % 4 == 3 ? 16 : 32;
        int mod = (int)rnd(3), rm = (int)rnd(8);
        char form[64];
        snprintf(form, sizeof form, "lea_r%d_a16_mod%d_rm%d", s, mod, rm);
        vbegin("lea", "lea", form);
        V.size = s;
        for (int i = 0; i < 8; i++) V.in[i] = (r32() & 1) ? r32() : rval(32);
        Code c = {{0}, 0};
        if (s == 16) cb(&c, 0x66);
        cb(&c, 0x67);
        cb(&c, 0x8D);
        int rd = pickreg(s, 0);
        cb(&c, mod << 6 | rd << 3 | rm);
        if (mod == 1) cb(&c, r32());
        if (mod == 2 || (mod == 0 && rm == 6)) cimm(&c, r32(), 2);
        vcode(&c);
        vrun();
    }
    for (int k = 0; k < 24; k++) {
        int s = k % 4 == 3 ? 16 : 32;
        char form[64];
        snprintf(form, sizeof form, "lea_r%d_disp32", s);
        vbegin("lea", "lea", form);
        V.size = s;
        Code c = {{0}, 0};
        copc(&c, s, 0x8D);
        cb(&c, pickreg(s, 0) << 3 | 5);
        cimm(&c, r32(), 4);
        vcode(&c);
        vrun();
    }
}

static void gen_convert(void)
{
    reseed("convert");
    static const struct { const char *mn; int s; uint32_t opc; } cv[4] = {
        {"cbw", 16, 0x98}, {"cwde", 32, 0x98}, {"cwd", 16, 0x99}, {"cdq", 32, 0x99}};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 27; k++) {
            char form[32];
            snprintf(form, sizeof form, "%s_%s%02x", cv[i].mn, cv[i].s == 16 ? "66" : "", cv[i].opc);
            vbegin("convert", cv[i].mn, form);
            V.size = cv[i].s;
            V.in[EAX] = k < 11 ? EDGE[k] ^ (r32() & (cv[i].opc == 0x98 ? ~szmask(cv[i].s / 2) : 0)) : r32();
            if (k >= 11 && (k & 1)) V.in[EAX] = rval(32);
            Code c = {{0}, 0};
            copc(&c, cv[i].s, cv[i].opc);
            vcode(&c);
            vrun();
        }
}

static void gen_flags(void)
{
    reseed("flags");
    static const struct { const char *mn; uint8_t op; int n; } fl[7] = {
        {"lahf", 0x9F, 24}, {"sahf", 0x9E, 32}, {"clc", 0xF8, 8}, {"stc", 0xF9, 8},
        {"cmc", 0xF5, 12}, {"cld", 0xFC, 8}, {"std", 0xFD, 8}};
    for (int i = 0; i < 7; i++)
        for (int k = 0; k < fl[i].n; k++) {
            char form[32];
            snprintf(form, sizeof form, "%s_%02x", fl[i].mn, fl[i].op);
            vbegin("flags", fl[i].mn, form);
            V.size = 8;
            if (r32() & 1) V.in[8] |= DF;
            if (fl[i].op == 0x9E && k < 8) setop(4, 8, k < 4 ? (k & 1 ? 0xFF : 0x00) : ARITH & 0xFF);
            Code c = {{fl[i].op}, 1};
            vcode(&c);
            vrun();
        }
}

/* string instructions */
static void gen_string(void)
{
    static const struct { const char *mn; uint8_t op; int src, dst, cmp; } so[5] = {
        {"movs", 0xA4, 1, 1, 0}, {"cmps", 0xA6, 1, 1, 1}, {"stos", 0xAA, 0, 1, 0},
        {"lods", 0xAC, 1, 0, 0}, {"scas", 0xAE, 0, 1, 1}};
    static const char *sfx[3] = {"b", "w", "d"};
    reseed("string");
    for (int i = 0; i < 5; i++)
        for (int si = 0; si < 3; si++) {
            int s = SIZES[si], nb = s / 8;
            for (int pre = 0; pre < 3; pre++) {
                if (pre == 2 && !so[i].cmp) continue; /* REPNE only with CMPS/SCAS */
                for (int df = 0; df < 2; df++)
                    for (int k = 0; k < (pre ? 6 : 3); k++) {
                        char form[64];
                        const char *pn = pre == 0 ? "" : pre == 2 ? "repne_" : so[i].cmp ? "repe_" : "rep_";
                        snprintf(form, sizeof form, "%s%s%s_df%d", pn, so[i].mn, sfx[si], df);
                        vbegin("string", so[i].mn, form);
                        V.size = s;
                        if (df) V.in[8] |= DF;
                        uint32_t n = pre ? (k == 0 ? 0 : k == 1 ? 1 : 2 + rnd(6)) : 1;
                        if (pre) V.in[ECX] = n;
                        uint32_t esi = DATA_BASE + 0x6000 + rnd(0x100);
                        uint32_t edi = DATA_BASE + 0x7000 + rnd(0x100);
                        if (r32() % 4 == 0) { esi &= ~3u; edi &= ~3u; }
                        V.in[ESI] = esi;
                        V.in[EDI] = edi;
                        uint32_t e = n ? n : 1;
                        int step = df ? -nb : nb;
                        uint32_t slo = df ? esi - (e - 1) * nb : esi, dlo = df ? edi - (e - 1) * nb : edi;
                        if (so[i].src) vwin(slo - 4, e * nb + 8);
                        if (so[i].dst) vwin(dlo - 4, e * nb + 8);
                        if (so[i].cmp) {
                            /* element j (j < stop) "matches the REP condition", element stop does not */
                            uint32_t stop = pre ? rnd(n + 1) : rnd(2);
                            int want_eq = pre != 2; /* REPE continues while equal */
                            if (!pre) want_eq = 1;
                            uint32_t accv = rval(s);
                            setop(EAX, s, accv);
                            for (uint32_t j = 0; j < e; j++) {
                                int eq = j < stop ? want_eq : !want_eq;
                                if (r32() % 8 == 0 && j > stop) eq = r32() & 1;
                                uint32_t sv = so[i].mn[0] == 'c' ? memr(esi + j * step, nb) : accv;
                                uint32_t dv = eq ? sv : sv ^ (rnd(3) == 0 ? (1u << (s - 1)) : (1u + rnd(szmask(s))));
                                if (!eq && ((dv ^ sv) & szmask(s)) == 0) dv ^= 1;
                                memw(edi + j * step, nb, dv);
                            }
                        }
                        Code c = {{0}, 0};
                        if (pre) cb(&c, pre == 2 ? 0xF2 : 0xF3);
                        copc(&c, s, so[i].op + (s != 8));
                        vcode(&c);
                        vrun();
                    }
            }
        }
}

/* ---------------------------------------------------------------- 32-bit-mode-only families */
static void stack_state(void)
{
    V.in[ESP] = STACK_TOP - 0x100 + 4 * rnd(32);
    if (rnd(8) == 0) V.in[ESP] += 1 + rnd(3); /* misaligned */
}

static void stack_simple(const Code *c, int lo, int hi)
{
    vwin(V.in[ESP] - lo, lo + hi);
    vcode(c);
    vrun();
}

static void gen_stack(void)
{
    reseed("stack");
    for (int s = 16; s <= 32; s += 16) {
        int n = s == 32 ? 3 : 1;
        for (int r = 0; r < 8; r++)
            for (int k = 0; k < n; k++) {
                char form[32];
                snprintf(form, sizeof form, "push_r%d_50+r", s);
                vbegin("stack", "push", form);
                V.size = s;
                stack_state();
                Code c = {{0}, 0};
                copc(&c, s, 0x50 + r);
                stack_simple(&c, 12, 8);
            }
        for (int r = 0; r < 8; r++)
            for (int k = 0; k < n; k++) {
                char form[32];
                snprintf(form, sizeof form, "pop_r%d_58+r", s);
                vbegin("stack", "pop", form);
                V.size = s;
                stack_state();
                Code c = {{0}, 0};
                copc(&c, s, 0x58 + r);
                stack_simple(&c, 8, 12);
            }
        /* PUSH imm */
        for (int k = 0; k < 16; k++) {
            int im8 = k & 1;
            char form[32];
            snprintf(form, sizeof form, "push_imm%d_o%d_%02x", im8 ? 8 : s, s, im8 ? 0x6A : 0x68);
            vbegin("stack", "push", form);
            V.size = s;
            stack_state();
            Code c = {{0}, 0};
            copc(&c, s, im8 ? 0x6A : 0x68);
            cimm(&c, k < 4 ? EDGE[k + 2] : rval(im8 ? 8 : s), im8 ? 1 : s / 8);
            stack_simple(&c, 12, 8);
        }
        /* PUSH r/m (FF /6), POP r/m (8F /0): data-area operand and [esp+disp8] */
        for (int p = 0; p < 2; p++)
            for (int k = 0; k < 12; k++) {
                int espb = k >= 8;
                char form[48];
                snprintf(form, sizeof form, "%s_m%d%s_%s", p ? "pop" : "push", s, espb ? "_espbase" : "",
                         p ? "8f" : "ff");
                vbegin("stack", p ? "pop" : "push", form);
                V.size = s;
                stack_state();
                Code c = {{0}, 0};
                copc(&c, s, p ? 0x8F : 0xFF);
                if (espb) {
                    int8_t d = (int8_t)(4 * (int)rnd(8) - 12);
                    cb(&c, 0x44 | (p ? 0 : 6) << 3);
                    cb(&c, 0x24);
                    cb(&c, (uint8_t)d);
                    vwin(V.in[ESP] - 32, 64);
                } else {
                    MemOp m = mkmem(s / 8, 0);
                    put_rm(&c, p ? 0 : 6, 1, 0, &m);
                    vwin(V.in[ESP] - 12, 24);
                }
                vcode(&c);
                vrun();
            }
        /* PUSHA / POPA */
        for (int p = 0; p < 2; p++)
            for (int k = 0; k < 8; k++) {
                char form[32];
                snprintf(form, sizeof form, "%s%s_%02x", p ? "popa" : "pusha", s == 16 ? "_o16" : "", 0x60 + p);
                vbegin("stack", p ? "popa" : "pusha", form);
                V.size = s;
                stack_state();
                Code c = {{0}, 0};
                copc(&c, s, 0x60 + p);
                vwin(V.in[ESP] - 40, 80);
                vcode(&c);
                vrun();
            }
        /* ENTER imm16, imm8 */
        static const uint32_t lv[] = {0, 1, 2, 3, 4, 5, 7, 31, 32, 33, 0x41, 0xFF};
        for (int k = 0; k < (s == 32 ? 36 : 12); k++) {
            char form[32];
            snprintf(form, sizeof form, "enter%s_c8", s == 16 ? "_o16" : "");
            vbegin("stack", "enter", form);
            V.size = s;
            stack_state();
            uint32_t level = lv[k % 12], L = level & 31;
            uint32_t size = k < 12 ? rnd(4) * 4 : (k < 24 ? rnd(0x200) : rval(16) % 0xC000);
            V.in[EBP] = V.in[ESP] + 0x100 + 4 * rnd(16);
            if (k % 5 == 4) V.in[EBP] = (V.in[EBP] & 0xFFFF0000u) | (r32() & 0xFFFF); /* wild EBP, level 0 only */
            if (k % 5 == 4) L = level = 0;
            vwin(V.in[ESP] - 4 * (L + 1) - 8, 4 * (L + 1) + 12);
            if (L > 1) vwin(V.in[EBP] - 4 * L - 4, 4 * L + 8);
            Code c = {{0}, 0};
            copc(&c, s, 0xC8);
            cimm(&c, size, 2);
            cb(&c, level);
            vcode(&c);
            vrun();
        }
        /* LEAVE */
        for (int k = 0; k < (s == 32 ? 12 : 6); k++) {
            char form[32];
            snprintf(form, sizeof form, "leave%s_c9", s == 16 ? "_o16" : "");
            vbegin("stack", "leave", form);
            V.size = s;
            stack_state();
            V.in[EBP] = V.in[ESP] + 4 * rnd(32) - 8 + (k == 0 ? 0 : 0);
            if (k == 1) V.in[EBP] = V.in[ESP];
            vwin(V.in[EBP] - 4, 12);
            vwin(V.in[ESP] - 4, 8);
            Code c = {{0}, 0};
            copc(&c, s, 0xC9);
            vcode(&c);
            vrun();
        }
    }
    /* PUSHFD / POPFD (IF=1 in the initial EFLAGS: the guest-visible value at CPL 0 with
     * interrupts enabled; qemu-user and user mode always run with IF=1) */
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 12; k++) {
            vbegin("stack", p ? "popf" : "pushf", p ? "popfd_9d" : "pushfd_9c");
            stack_state();
            V.in[8] |= IF_ | ((r32() & 1) ? DF : 0);
            vwin(V.in[ESP] - 8, 16);
            if (p) {
                uint32_t v = 0x202 | (r32() & STATUS);
                if (k % 3 == 2) v |= 0x8 | 0x20 | 0x8000; /* reserved bits read as 0 */
                memw(V.in[ESP], 4, v);
            }
            Code c = {{(uint8_t)(p ? 0x9D : 0x9C)}, 1};
            vcode(&c);
            vrun();
        }
}

/* SDM pseudo-code model of the BCD adjusts; checked against the oracle on
 * the bits the SDM defines (AL/AH and the flags in flags_mask) */
static void bcd_model(int op, uint32_t eax, uint32_t fl, uint8_t imm, uint32_t *oeax, uint32_t *ofl)
{
    uint32_t al = eax & 0xFF, ah = (eax >> 8) & 0xFF, cf = fl & CF, af = fl & AF, f = fl & ~ARITH;
    uint32_t res;
    switch (op) {
    case 0: /* DAA */
    case 1: { /* DAS */
        uint32_t old_al = al, ncf = 0, naf = 0;
        if ((al & 0xF) > 9 || af) {
            if (op == 0) {
                ncf = cf || al + 6 > 0xFF;
                al = (al + 6) & 0xFF;
            } else {
                ncf = cf || al < 6;
                al = (al - 6) & 0xFF;
            }
            naf = 1;
        }
        if (old_al > 0x99 || cf) {
            al = op == 0 ? (al + 0x60) & 0xFF : (al - 0x60) & 0xFF;
            ncf = 1;
        }
        res = al;
        f |= (ncf ? CF : 0) | (naf ? AF : 0);
        *oeax = (eax & ~0xFFu) | al;
        break;
    }
    case 2: /* AAA */
    case 3: { /* AAS */
        uint32_t ax = eax & 0xFFFF;
        if ((al & 0xF) > 9 || af) {
            ax = op == 2 ? ax + 0x106 : ax - 6;
            if (op == 3) ax = (ax & 0xFF) | ((((ax >> 8) - 1) & 0xFF) << 8);
            f |= AF | CF;
        }
        ax = (ax & 0xFF0F) & 0xFFFF;
        *oeax = (eax & ~0xFFFFu) | ax;
        res = ax & 0xFF;
        break;
    }
    case 4: /* AAM */
        ah = al / imm;
        al = al % imm;
        *oeax = (eax & ~0xFFFFu) | ah << 8 | al;
        res = al;
        break;
    default: /* AAD */
        al = (al + ah * imm) & 0xFF;
        *oeax = (eax & ~0xFFFFu) | al;
        res = al;
        break;
    }
    if (op != 2 && op != 3) {
        f |= (res == 0 ? ZF : 0) | (res & 0x80 ? SF : 0);
        f |= __builtin_parity(res) ? 0 : PF;
    }
    *ofl = f;
}

static int g_model_mismatch;

static void bcdop(int op, uint32_t al, uint32_t fl, int imm)
{
    static const char *mn[6] = {"daa", "das", "aaa", "aas", "aam", "aad"};
    static const uint8_t opc[6] = {0x27, 0x2F, 0x37, 0x3F, 0xD4, 0xD5};
    char form[32];
    if (op >= 4)
        snprintf(form, sizeof form, "%s_%s", mn[op], imm == 10 ? "0a" : imm == 0 ? "imm0" : "imm8");
    else
        snprintf(form, sizeof form, "%s_%02x", mn[op], opc[op]);
    vbegin("bcd", mn[op], form);
    V.size = 8;
    setop(EAX, 8, al);
    V.in[8] = (V.in[8] & ~(CF | AF)) | fl;
    Code c = {{opc[op]}, 1};
    if (op >= 4) cb(&c, imm);
    vcode(&c);
    uint32_t in_eax = V.in[EAX], in_fl = V.in[8];
    vrun();
    if (op >= 4 && imm == 0) return; /* #DE */
    uint32_t meax, mfl, mask = flags_mask(mn[op], 8, 0);
    bcd_model(op, in_eax, in_fl, (uint8_t)imm, &meax, &mfl);
    uint32_t oeax = (uint32_t)g_out[EAX], ofl = (uint32_t)g_out[8];
    if (oeax != meax || ((ofl ^ mfl) & mask & ARITH)) {
        if (g_model_mismatch++ < 20)
            fprintf(stderr, "gen: %s: oracle eax=%08x fl=%03x, SDM model eax=%08x fl=%03x (mask %03x)\n", V.name,
                    oeax, ofl & ARITH, meax, mfl & ARITH, mask);
    }
}

static void gen_bcd(void)
{
    static const uint32_t edges[] = {0x00, 0x09, 0x0A, 0x0F, 0x10, 0x19, 0x1A, 0x5F, 0x60, 0x66, 0x90,
                                     0x99, 0x9A, 0x9F, 0xA0, 0xF9, 0xFA, 0xFF};
    reseed("bcd");
    for (int op = 0; op < 4; op++) {
        for (uint32_t al = 0; al < 256; al++) bcdop(op, al, (r32() & 1 ? CF : 0) | (r32() & 1 ? AF : 0), 0);
        for (int i = 0; i < 18; i++)
            for (uint32_t f = op < 2 ? 0 : 2; f < 4; f++) bcdop(op, edges[i], (f & 1 ? CF : 0) | (f & 2 ? AF : 0), 0);
    }
    for (int op = 4; op < 6; op++) {
        for (int k = 0; k < 64; k++) bcdop(op, k < 18 ? edges[k] : rnd(256), r32() & (CF | AF), 10);
        for (int k = 0; k < 48; k++) bcdop(op, rnd(256), r32() & (CF | AF), k < 4 ? (int)(uint32_t[]){1, 2, 0x10, 0xFF}[k] : 1 + (int)rnd(255));
        if (op == 4)
            for (int k = 0; k < 4; k++) bcdop(op, rnd(256), r32() & (CF | AF), 0);
    }
}

static void gen_exc(void)
{
    reseed("exc");
    for (int k = 0; k < 24; k++) {
        vbegin("exc", "into", "into_ce");
        if (k < 12) V.in[8] |= OF;
        Code c = {{0xCE}, 1};
        vcode(&c);
        vrun();
    }
    for (int s = 16; s <= 32; s += 16)
        for (int k = 0; k < (s == 32 ? 32 : 16); k++) {
            char form[32];
            snprintf(form, sizeof form, "bound_r%d_m%d_62", s, 2 * s);
            vbegin("exc", "bound", form);
            V.size = s;
            Code c = {{0}, 0};
            copc(&c, s, 0x62);
            MemOp m = mkmem(s / 4, 0);
            int32_t lo = (int32_t)sext(rval(s), s), hi = (int32_t)sext(rval(s), s);
            if (k % 4 != 3 && lo > hi) { int32_t t = lo; lo = hi; hi = t; }
            int32_t idx;
            switch (k % 8) {
            case 0: idx = lo; break;
            case 1: idx = hi; break;
            case 2: idx = (int32_t)((uint32_t)lo + ((uint32_t)hi - (uint32_t)lo) / 2); break;
            case 3: idx = (int32_t)sext(rval(s), s); break;
            case 4: idx = (int32_t)((uint32_t)lo - 1); break;
            case 5: idx = (int32_t)((uint32_t)hi + 1); break;
            default: idx = (int32_t)sext(r32(), s); break;
            }
            memw(m.ea, s / 8, (uint32_t)lo);
            memw(m.ea + s / 8, s / 8, (uint32_t)hi);
            int r = pickreg(s, m.used);
            setop(r, s, (uint32_t)idx);
            put_rm(&c, r, 1, 0, &m);
            vcode(&c);
            vrun();
        }
}

/* ---------------------------------------------------------------- main */
static const struct { const char *name; void (*fn)(void); int only32; } GENS[] = {
    {"arith", gen_arith, 0},   {"shift", gen_shift, 0},     {"muldiv", gen_muldiv, 0}, {"bitops", gen_bitops, 0},
    {"xchg", gen_xchg, 0},     {"movx", gen_movx, 0},       {"setcc", gen_setcc, 0},   {"cmov", gen_cmov, 0},
    {"lea", gen_lea, 0},       {"convert", gen_convert, 0}, {"flags", gen_flags, 0},   {"string", gen_string, 0},
    {"lea_a16", gen_lea_a16, 1}, {"stack", gen_stack, 1},   {"bcd", gen_bcd, 1},       {"exc", gen_exc, 1},
};

static void usage(void)
{
    fprintf(stderr, "usage: gen --out DIR [--seed N] [--set host|only32|all] [--oracle NAME] [--canon] [--skip NAME,NAME..] [--probe]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *set = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            g_outdir = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            g_seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--set") && i + 1 < argc)
            set = argv[++i];
        else if (!strcmp(argv[i], "--oracle") && i + 1 < argc)
            g_oracle = argv[++i];
        else if (!strcmp(argv[i], "--skip") && i + 1 < argc)
        {
            static char buf[4096];
            snprintf(buf, sizeof buf, ",%s,", argv[++i]);
            g_skip = buf;
        }
        else if (!strcmp(argv[i], "--canon"))
            g_canon = 1;
        else if (!strcmp(argv[i], "--probe")) {
            /* prints the CPU brand string: tells real hardware from qemu-user */
            unsigned r[12];
            for (int j = 0; j < 3; j++) __cpuid(0x80000002 + j, r[4 * j], r[4 * j + 1], r[4 * j + 2], r[4 * j + 3]);
            char s[49];
            memcpy(s, r, 48);
            s[48] = 0;
            printf("%s\n", s);
            return 0;
        } else
            usage();
    }
#ifdef __x86_64__
    if (!set) set = "host";
    if (strcmp(set, "host")) {
        fprintf(stderr, "gen: the x86-64 build runs only --set host\n");
        return 1;
    }
#else
    if (!set) set = "only32";
#endif
    g_trace = getenv("GEN_TRACE") != NULL;
    harness_init();
    for (size_t i = 0; i < sizeof GENS / sizeof GENS[0]; i++) {
        int run = !strcmp(set, "all") || (!strcmp(set, "host") && !GENS[i].only32) ||
                  (!strcmp(set, "only32") && GENS[i].only32);
        if (run) GENS[i].fn();
    }
    for (int i = 0; outs[i].fam; i++) fclose(outs[i].f);
    if (!strcmp(set, "all") && !g_skip)
        for (int i = 0; i < NTABLE; i++)
            if (!table_used[i]) {
                fprintf(stderr, "gen: self-check failed: flags_mask rule '%s' is used by no vector\n",
                        flag_table[i].mnem);
                return 3;
            }
    if (g_model_mismatch) {
        fprintf(stderr, "gen: %d BCD results differ from the SDM model\n", g_model_mismatch);
        return 6;
    }
    fprintf(stderr, "gen: %ld vectors (%s, set %s)", g_nvec, g_oracle, set);
    if (g_nskipped) fprintf(stderr, ", %ld skipped", g_nskipped);
    fprintf(stderr, "\n");
    return 0;
}
