#!/bin/sh
# qemu-test.sh: boot every image on qemu-system-i386 and compare its console
# output and exit code with what its README.md promises (tickless and periodic
# only get as far as "no paravirtual clock" there).  The reference machine
# for "the same image boots on QEMU and on Puppyvisor".
#
# QEMU's isa-debug-exit turns guest status s into exit code (s << 1) | 1, so a
# guest ending with status 0 makes QEMU exit with 1.
set -eu
cd "$(dirname "$0")/.."

QEMU=${QEMU:-qemu-system-i386}
run() {
	timeout 60 "$QEMU" -kernel "$@" -m 16 -serial stdio -display none -monitor none \
		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
}

fail=0
expect() {	# name, wanted exit code, expected-output file, qemu args...
	name=$1 want=$2 expected=$3 bad=0
	shift 3
	set +e
	out=$(run "$@")
	code=$?
	set -e
	if [ "$code" -ne "$want" ]; then
		echo "qemu-test: $name: exit code $code, wanted $want"
		bad=1
	fi
	if [ "$out" != "$(cat "$expected")" ]; then
		echo "qemu-test: $name: output differs:"
		echo "$out" | diff "$expected" - || true
		bad=1
	fi
	if [ $bad -eq 0 ]; then
		echo "qemu-test: $name: ok"
	else
		fail=1
	fi
}

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

printf 'Hello from Puppyvisor guest!\ncmdline: hello/hello.elf foo bar\nmemory: 16384 KiB\n' >"$t/hello"
expect hello 1 "$t/hello" hello/hello.elf -append "foo bar"

sed -n '/^```console-selftest$/,/^```$/p' selftest/README.md | sed '1d;$d' >"$t/selftest"
expect selftest 1 "$t/selftest" selftest/selftest.elf

printf 'tickless: no paravirtual clock; shutting down\n' >"$t/tickless"
expect tickless 1 "$t/tickless" tickless/tickless.elf
printf 'periodic: no paravirtual clock; shutting down\n' >"$t/periodic"
expect periodic 1 "$t/periodic" periodic/periodic.elf
printf 'tasks: no paravirtual clock; shutting down\n' >"$t/tasks"
expect tasks 1 "$t/tasks" tasks/tasks.elf

exit $fail
