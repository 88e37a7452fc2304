/*
 * insncount.c: a QEMU TCG plugin that counts the guest instructions executed
 * at addresses in [lo, hi), for perf/macro/run.sh.
 *
 *   qemu-system-i386 ... -plugin ./insncount.so,lo=0x100000,hi=0x200000,out=FILE
 *
 * QEMU's own tests/plugin/insn.c (libinsn.so) does this for every address, but
 * Debian does not ship it.  Counting only the image's addresses leaves out
 * the BIOS and the multiboot option ROM, whose instruction counts vary from
 * run to run; what is left is deterministic and comparable with Puppyvisor's
 * count, which starts at the image's entry point.  An inline add in front of
 * every instruction: exact (also for a translation block left early), and
 * the counting run is never the timed one.
 *
 * The plugin API is declared here, not included: Debian ships no
 * qemu-plugin.h.  These are the version 1 entry points of QEMU 4.2 to 8.x
 * (qemu-system-i386 exports them when built with plugin support); QEMU
 * refuses to load a plugin whose qemu_plugin_version it does not support.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
						void *ptr, uint64_t imm);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t count, lo, hi = UINT64_MAX;
static char out_path[4096];

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);

		if (va >= lo && va < hi)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &count, 1);
	}
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	FILE *f = out_path[0] ? fopen(out_path, "w") : stderr;

	if (!f)
		f = stderr;
	fprintf(f, "insncount %" PRIu64 "\n", count);
	if (f != stderr)
		fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "lo=", 3) == 0)
			lo = strtoull(argv[i] + 3, NULL, 0);
		else if (strncmp(argv[i], "hi=", 3) == 0)
			hi = strtoull(argv[i] + 3, NULL, 0);
		else if (strncmp(argv[i], "out=", 4) == 0)
			snprintf(out_path, sizeof(out_path), "%s", argv[i] + 4);
		else {
			fprintf(stderr, "insncount: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
