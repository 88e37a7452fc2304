#!/bin/sh
# check-elf.sh IMAGE.elf...: check that guest images use integer instructions
# only, and print the set of mnemonics they use.
#
# The guest CPU has no x87 FPU, MMX or SSE (DESIGN.md section 1): any such
# instruction, or any mention of their registers, fails the check.  The
# mnemonic list tells the CPU team what the images need implemented.
set -eu
OBJDUMP=${OBJDUMP:-objdump}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

for elf in "$@"; do
	# Instruction lines look like "  100010:\tcli" (address, tab, text).
	# Intel syntax: mnemonics without AT&T size suffixes, as Iced names them.
	"$OBJDUMP" -d -M intel --no-show-raw-insn "$elf" |
		awk -F'\t' '/^ *[0-9a-f]+:\t/ { print $2 }' >>"$tmp"
done

bad=$(grep -E '[^a-z](st\(|mm[0-7]|xmm|ymm)|^(f[a-z0-9]+|emms|wait|ldmxcsr|stmxcsr|movnti|sfence|lfence|mfence|prefetch[a-z0-9]*)( |$)' "$tmp" || true)
if [ -n "$bad" ]; then
	echo "check-elf: x87/MMX/SSE instructions found:" >&2
	echo "$bad" | sort -u >&2
	exit 1
fi
if grep -q '(bad)' "$tmp"; then
	echo "check-elf: undecodable bytes in code sections" >&2
	exit 1
fi

echo "check-elf: no x87/MMX/SSE in $# image(s); mnemonics used:"
# Drop prefixes that objdump prints as words (rep, lock) into their own entries.
awk '{ print $1; if (($1 == "rep" || $1 == "repz" || $1 == "repnz" || $1 == "lock") && $2 != "") print $2 }' "$tmp" |
	sort -u | tr '\n' ' '
echo
