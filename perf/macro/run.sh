#!/usr/bin/env bash
# perf/macro/run.sh: the macro benchmark.  Runs guest-images/bench on Puppyvisor
# and on qemu-system-i386 (TCG) side by side and compares their guest-instruction
# rates (DESIGN.md section 6: QEMU's TCG is the yardstick).
#
#   perf/macro/run.sh [-r RUNS] [-i ITERATIONS] [--no-build]
#
#   -r RUNS        timed runs of each (default 3)
#   -i ITERATIONS  the bench's iterations=N (default 80, the image's default,
#                  about 305 million guest instructions)
#   --no-build     do not run "dotnet build -c Release src/Puppyvisor.Cli" first
#
# Environment: QEMU (default qemu-system-i386), DOTNET (default dotnet), CC (the
# host C compiler for the counting plugin, default cc), TIMEOUT (seconds per
# run, default 900).
#
# How it measures:
#   - Every round runs, one after the other, Puppyvisor with the full workload,
#     Puppyvisor with iterations=0, QEMU full, QEMU iterations=0 (alternating,
#     so a slow spell of the host hurts both), timing each whole process with
#     the wall clock.  The iterations=0 run does everything but the work
#     (process start, .NET start-up and JIT, QEMU and BIOS start-up, the
#     guest's boot and printing): each round's work time is full - zero.
#   - Guest instructions of the workload: Puppyvisor's from --stats-json
#     (guests[0].instructions, full minus zero; the virtual clock makes them
#     exact and the same every run).  QEMU's from a separate, untimed counting
#     run with the TCG plugin insncount.c (built here with $CC; Debian ships no
#     libinsn.so): it counts the instructions executed at the image's
#     addresses, full minus zero.  The two counts should be equal (the same
#     program executes the same instruction stream); the script says whether
#     they are.  If the plugin cannot be built or loaded, QEMU's rate uses
#     Puppyvisor's count, and the output says so.
#   - MIPS = workload instructions / work time; the summary is the median of
#     the runs; the ratio is Puppyvisor's median MIPS / QEMU's.
#   - The checksums the bench prints must be identical on both (and in every
#     run); otherwise the script fails: a rate is worth nothing if the answer
#     is wrong.
set -euo pipefail

RUNS=3
ITERATIONS=80
BUILD=1
while [ $# -gt 0 ]; do
	case "$1" in
	-r) RUNS=$2; shift 2 ;;
	-i) ITERATIONS=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 64 ;;
	esac
done
case "$RUNS" in ''|*[!0-9]*|0) echo "run.sh: -r wants a positive number" >&2; exit 64 ;; esac
case "$ITERATIONS" in ''|*[!0-9]*|0) echo "run.sh: -i wants a positive number" >&2; exit 64 ;; esac

QEMU=${QEMU:-qemu-system-i386}
DOTNET=${DOTNET:-dotnet}
CC=${CC:-cc}
TIMEOUT=${TIMEOUT:-900}

MACRO_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$MACRO_DIR/../.." && pwd)
cd "$REPO"
IMAGE=guest-images/bench/bench.elf	# relative: it is part of the multiboot command line
PV_DLL=src/Puppyvisor.Cli/bin/Release/net10.0/puppyvisor.dll

die() { echo "run.sh: $*" >&2; exit 1; }

[ -f "$IMAGE" ] || die "$IMAGE is missing (make -C guest-images)"
command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install qemu-system-x86)"
command -v "$DOTNET" >/dev/null || die "$DOTNET not found"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ $BUILD -eq 1 ]; then
	echo "building: $DOTNET build -c Release src/Puppyvisor.Cli" >&2
	"$DOTNET" build -c Release -nologo -v q src/Puppyvisor.Cli >"$WORK/build.log" 2>&1 ||
		{ cat "$WORK/build.log" >&2; die "dotnet build failed"; }
fi
[ -f "$PV_DLL" ] || die "$PV_DLL is missing (build without --no-build)"

now_ns() { date +%s%N; }

# The first "instructions" / "mips" in the stats file are guests[0]'s.
json_field() { sed -n "s/^ *\"$2\": \([0-9.eE+-]*\),\{0,1\}$/\1/p" "$1" | head -n 1; }

# run_pv ITERATIONS OUT STATS: prints the wall time in ns.
run_pv() {
	local t0 t1 rc=0
	t0=$(now_ns)
	timeout "$TIMEOUT" "$DOTNET" "$PV_DLL" run "$IMAGE" --clock virtual --cmdline "iterations=$1" \
		--stats-json "$3" >"$2" 2>"$2.err" || rc=$?
	t1=$(now_ns)
	[ $rc -eq 0 ] || { cat "$2" "$2.err" >&2; die "puppyvisor iterations=$1 exited with $rc, wanted 0"; }
	echo $((t1 - t0))
}

QEMU_ARGS=(-accel tcg -kernel "$IMAGE" -serial stdio -display none -monitor none -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -m 16)

# run_qemu ITERATIONS OUT [EXTRA ARGS...]: prints the wall time in ns.  Guest
# status 0 reaches QEMU's isa-debug-exit as exit code 1.
run_qemu() {
	local n=$1 out=$2 t0 t1 rc=0
	shift 2
	t0=$(now_ns)
	timeout "$TIMEOUT" "$QEMU" "${QEMU_ARGS[@]}" -append "iterations=$n" "$@" >"$out" 2>"$out.err" || rc=$?
	t1=$(now_ns)
	[ $rc -eq 1 ] || { cat "$out" "$out.err" >&2; die "qemu iterations=$n exited with $rc, wanted 1 (guest status 0)"; }
	echo $((t1 - t0))
}

# same_output REFERENCE FILE WHAT: fail unless FILE prints what REFERENCE does.
same_output() {
	if ! cmp -s "$1" "$2"; then
		echo "run.sh: $3 printed something else than the reference run:" >&2
		diff "$1" "$2" >&2 || true
		die "checksums differ"
	fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- The machine -----------------------------------------------------------
cpu_model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
cpu_count=$(nproc 2>/dev/null || echo '?')
cpu_mhz=$(lscpu 2>/dev/null | sed -n 's/^CPU max MHz: *//p' | head -n 1)
qemu_version=$("$QEMU" --version | head -n 1)
dotnet_version=$("$DOTNET" --version)
git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git_dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' (with local changes)' || true)

echo "Puppyvisor macro benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:    ${cpu_model:-unknown CPU}, $cpu_count CPUs${cpu_mhz:+, max $cpu_mhz MHz}; $(uname -sr)"
echo "load:       $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?') (1, 5, 15 min) before the runs"
echo "qemu:       $qemu_version, TCG"
echo "dotnet:     $dotnet_version"
echo "puppyvisor: $git_rev$git_dirty, Release build, --clock virtual"
echo "workload:   $IMAGE iterations=$ITERATIONS; timed runs: $RUNS of each, alternating"
echo

# --- Instruction counts ----------------------------------------------------
# Puppyvisor: one untimed run of each size, before the timed ones (the timed
# runs check that their counts are the same).
run_pv "$ITERATIONS" "$WORK/ref-full.out" "$WORK/ref-full.json" >/dev/null
run_pv 0 "$WORK/ref-zero.out" "$WORK/ref-zero.json" >/dev/null
pv_full_insns=$(json_field "$WORK/ref-full.json" instructions)
pv_zero_insns=$(json_field "$WORK/ref-zero.json" instructions)
[ -n "$pv_full_insns" ] && [ -n "$pv_zero_insns" ] || die "no guests[0].instructions in --stats-json"
pv_insns=$((pv_full_insns - pv_zero_insns))

# QEMU: the counting plugin, over the image's loaded addresses.
qemu_insns=
qemu_count_how=
load_range=
while read -r vaddr memsz; do	# the PT_LOAD segments: lowest start, highest end
	lo_=$((vaddr)) hi_=$((vaddr + memsz))
	if [ -z "$load_range" ]; then min=$lo_ max=$hi_; load_range=1; fi
	[ $lo_ -lt $min ] && min=$lo_
	[ $hi_ -gt $max ] && max=$hi_
done < <(readelf -lW "$IMAGE" 2>/dev/null | awk '$1 == "LOAD" { print $3, $6 }')
[ -n "$load_range" ] && load_range=$(printf '0x%x 0x%x' "$min" "$max")
if [ -z "$load_range" ]; then
	qemu_count_how="readelf could not read the image's load addresses"
elif ! "$CC" -shared -fPIC -O2 -o "$WORK/insncount.so" "$MACRO_DIR/insncount.c" >"$WORK/cc.log" 2>&1; then
	qemu_count_how="the counting plugin did not build with $CC"
else
	read -r lo hi <<<"$load_range"
	count_qemu() {	# ITERATIONS -> instructions at the image's addresses
		run_qemu "$1" "$WORK/count-$1.out" -plugin "$WORK/insncount.so,lo=$lo,hi=$hi,out=$WORK/count-$1.txt" >/dev/null
		sed -n 's/^insncount \([0-9]*\)$/\1/p' "$WORK/count-$1.txt"
	}
	if qf=$(count_qemu "$ITERATIONS" 2>"$WORK/plugin.err") && qz=$(count_qemu 0 2>>"$WORK/plugin.err") &&
		[ -n "$qf" ] && [ -n "$qz" ]; then
		qemu_insns=$((qf - qz))
		same_output "$WORK/ref-full.out" "$WORK/count-$ITERATIONS.out" "qemu (counting run)"
		qemu_count_how="TCG plugin insncount.c, instructions at $lo-$hi (the image), separate untimed run"
	else
		qemu_count_how="the counting plugin did not load ($(head -c 200 "$WORK/plugin.err" | tr '\n' ' '))"
	fi
fi

echo "instructions of the workload (iterations=$ITERATIONS minus iterations=0):"
echo "  puppyvisor: $pv_insns  (--stats-json guests[0].instructions: $pv_full_insns - $pv_zero_insns)"
if [ -n "$qemu_insns" ]; then
	echo "  qemu:       $qemu_insns  ($qemu_count_how)"
	if [ "$qemu_insns" -eq "$pv_insns" ]; then
		echo "  the same count on both"
	else
		awk -v d=$((qemu_insns - pv_insns)) -v n="$pv_insns" 'BEGIN {
			printf "  the counts differ by %d (%.5f%%); each rate uses its own count\n", d, d / n * 100 }'
	fi
else
	qemu_insns=$pv_insns
	echo "  qemu:       not counted: $qemu_count_how;"
	echo "              using Puppyvisor's count (the same program and iterations execute the same instruction stream)"
fi
echo

# --- Timed runs ------------------------------------------------------------
printf '%-6s | %-40s | %-40s\n' "" "puppyvisor" "qemu-system-i386 (TCG)"
printf '%-6s | %9s %9s %9s %9s | %9s %9s %9s %9s\n' run "full s" "zero s" "work s" MIPS "full s" "zero s" "work s" MIPS
pv_mips_list=() qemu_mips_list=() pv_work_list=() qemu_work_list=() pv_zero_list=() qemu_zero_list=()
for r in $(seq 1 "$RUNS"); do
	pf=$(run_pv "$ITERATIONS" "$WORK/pv-full.out" "$WORK/pv-full.json")
	pz=$(run_pv 0 "$WORK/pv-zero.out" "$WORK/pv-zero.json")
	qf=$(run_qemu "$ITERATIONS" "$WORK/qemu-full.out")
	qz=$(run_qemu 0 "$WORK/qemu-zero.out")
	same_output "$WORK/ref-full.out" "$WORK/pv-full.out" "puppyvisor run $r"
	same_output "$WORK/ref-full.out" "$WORK/qemu-full.out" "qemu run $r"
	same_output "$WORK/ref-zero.out" "$WORK/pv-zero.out" "puppyvisor iterations=0 run $r"
	same_output "$WORK/ref-zero.out" "$WORK/qemu-zero.out" "qemu iterations=0 run $r"
	[ "$(json_field "$WORK/pv-full.json" instructions)" = "$pv_full_insns" ] ||
		die "puppyvisor run $r: a different instruction count on the virtual clock"
	pw=$((pf - pz)) qw=$((qf - qz))
	[ $pw -gt 0 ] && [ $qw -gt 0 ] || die "run $r: the full run was not slower than the iterations=0 run; use more iterations (-i)"
	pm=$(awk -v i="$pv_insns" -v t="$pw" 'BEGIN { printf "%.1f", i / t * 1000 }')
	qm=$(awk -v i="$qemu_insns" -v t="$qw" 'BEGIN { printf "%.1f", i / t * 1000 }')
	pv_mips_list+=("$pm") qemu_mips_list+=("$qm")
	pv_work_list+=("$pw") qemu_work_list+=("$qw") pv_zero_list+=("$pz") qemu_zero_list+=("$qz")
	awk -v r="$r" -v pf="$pf" -v pz="$pz" -v pw="$pw" -v pm="$pm" -v qf="$qf" -v qz="$qz" -v qw="$qw" -v qm="$qm" \
		'BEGIN { printf "%-6s | %9.3f %9.3f %9.3f %9s | %9.3f %9.3f %9.3f %9s\n", r, pf/1e9, pz/1e9, pw/1e9, pm, qf/1e9, qz/1e9, qw/1e9, qm }'
done

pv_mips=$(printf '%s\n' "${pv_mips_list[@]}" | median)
qemu_mips=$(printf '%s\n' "${qemu_mips_list[@]}" | median)
pv_work=$(printf '%s\n' "${pv_work_list[@]}" | median)
qemu_work=$(printf '%s\n' "${qemu_work_list[@]}" | median)
pv_zero=$(printf '%s\n' "${pv_zero_list[@]}" | median)
qemu_zero=$(printf '%s\n' "${qemu_zero_list[@]}" | median)
awk -v pz="$pv_zero" -v pw="$pv_work" -v pm="$pv_mips" -v qz="$qemu_zero" -v qw="$qemu_work" -v qm="$qemu_mips" \
	'BEGIN { printf "%-6s | %9s %9.3f %9.3f %9.1f | %9s %9.3f %9.3f %9.1f\n", "median", "", pz/1e9, pw/1e9, pm, "", qz/1e9, qw/1e9, qm }'
echo
echo "checksums: identical on both in every run ($(grep 'total checksum' "$WORK/ref-full.out"))"
echo "puppyvisor's own --stats-json mips (interpreting time only, last full run): $(json_field "$WORK/pv-full.json" mips | awk '{ printf "%.1f", $1 }')"
awk -v p="$pv_mips" -v q="$qemu_mips" 'BEGIN {
	printf "ratio puppyvisor/qemu: %.3f (median %.1f MIPS / median %.1f MIPS", p / q, p, q
	if (p < q) printf "; qemu is %.1fx faster)\n", q / p; else printf "; puppyvisor is %.1fx faster)\n", p / q }'
