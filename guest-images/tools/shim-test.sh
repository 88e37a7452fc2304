#!/bin/sh
# shim-test.sh DIR: run the pvshim builds of tickless and periodic (DIR/*.elf)
# on qemu-system-i386 in icount mode and check the story holds: exit status 0,
# every timer fired the expected number of times, no early expiry, and the
# tickless guest took far fewer timer IRQs than the periodic one.  Then tasks:
# rings, the TSS, one page directory per task and the #PF on NULL, on QEMU's x86.
#
# On QEMU the BIOS runs first, so guest time is already ~8 ms at kmain and the
# first expiries before that are skipped: the counts below are for that start.
set -eu
dir=$1
QEMU=${QEMU:-qemu-system-i386}
run() {
	timeout 120 "$QEMU" -kernel "$@" -m 16 -serial stdio -display none -monitor none \
		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -icount shift=0,sleep=off
}

fail=0
for idle in hlt hcall; do
	for img in tickless periodic; do
		set +e
		out=$(run "$dir/$img.elf" -append "idle=$idle")
		code=$?
		set -e
		[ "$code" -eq 1 ] || { echo "shim-test: $img idle=$idle: exit code $code"; fail=1; }
		echo "$out" | grep -q "^timer 7ms: fired 141," || { echo "shim-test: $img idle=$idle: 7ms count"; fail=1; }
		echo "$out" | grep -q "^timer 100ms: fired 10," || { echo "shim-test: $img idle=$idle: 100ms count"; fail=1; }
		echo "$out" | grep -q "^timer 250ms: fired 1," || { echo "shim-test: $img idle=$idle: 250ms count"; fail=1; }
		echo "$out" | grep -q "early expiries 0$" || { echo "shim-test: $img idle=$idle: early expiries"; fail=1; }
		if echo "$out" | grep -q "late -"; then echo "shim-test: $img idle=$idle: negative lateness"; fail=1; fi
		echo "$out" | tail -1
	done
done
set +e
out=$(run "$dir/tasks.elf")
code=$?
set -e
[ "$code" -eq 1 ] || { echo "shim-test: tasks: exit code $code"; fail=1; }
for line in 'null\[3\] killed: #PF at EIP 0x[0-9a-f]*, CR2 0x00000000, error 0x6 (not-present write from user)$' \
	'kernel: spinner\[4\] used up its time slice' 'kernel: yielder\[5\] exited with status 7$' \
	'^tasks: every task has ended'; do
	echo "$out" | grep -q "$line" || { echo "shim-test: tasks: no line matching '$line'"; fail=1; }
done
echo "$out" | tail -1
exit $fail
