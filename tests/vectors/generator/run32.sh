#!/bin/sh
# run32.sh MODE QEMU GEN32 ARGS...: runs the i386 generator natively when the
# host can run 32-bit Linux programs on its own CPU, else under qemu-user, and
# names the oracle accordingly.
mode=$1; qemu=$2; gen=$3; shift 3
if [ "$mode" = auto ]; then
  brand=$("$gen" --probe 2>/dev/null)
  case "$brand" in
    ""|*QEMU*) mode=qemu ;;
    *) mode=native ;;
  esac
fi
if [ "$mode" = native ]; then
  echo "run32: native i386 on: $("$gen" --probe)"
  exec "$gen" --oracle host-i386 "$@"
else
  echo "run32: under $qemu"
  exec $qemu "$gen" --oracle qemu-i386 "$@"
fi
