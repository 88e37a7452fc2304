#!/bin/sh
# Install what "make -C guest-images" needs to build the firmware and the guest
# images on Debian/Ubuntu: clang (compiler and assembler), lld (ld.lld, the
# linker), make, and binutils (objdump, for "make -C guest-images check").
# qemu-system-x86 is only needed for "make -C guest-images qemu-test"; pass
# --with-qemu to install it too.
set -eu

packages="clang lld make binutils"
if [ "${1:-}" = "--with-qemu" ]; then
	packages="$packages qemu-system-x86"
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $packages
