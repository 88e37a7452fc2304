#!/bin/sh
# crosscheck.sh BUILD: compares the comparable part of every vector (registers
# that are defined, EFLAGS & flags_mask, memory, exception) between
#  - the x86-64 run and the i386 run on this CPU (must be identical), and
#  - the i386 run on this CPU and qemu-i386 (differences are listed).
b=$1; status=0
cmp_dirs() { # A B LABEL STRICT
  for f in "$1"/*.canon; do
    fam=$(basename "$f")
    [ -f "$2/$fam" ] || continue
    awk -F'|' -v lab="$3" 'NR == FNR { a[$1] = $0; next }
      ($1 in a) { seen++; if (a[$1] != $0) { bad++; if (bad <= 5) print lab ": " a[$1] "\n" lab ": " $0 } }
      END { printf "%s %s: %d compared, %d differ\n", lab, FILENAME, seen, bad + 0; exit bad > 0 }' "$f" "$2/$fam" || {
        [ "$4" = strict ] && status=1; }
  done
}
cmp_dirs "$b/canon-host" "$b/canon-i386" "x86-64 vs i386" strict
cmp_dirs "$b/canon-i386" "$b/canon-qemu" "i386 vs qemu" report
exit $status
