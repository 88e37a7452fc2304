# firmware.mk: how to build the firmware and link guest images against it.
#
# Included by firmware/Makefile and guest-images/Makefile, so one make run
# sees the whole graph.  Objects go to $(BUILD)/<path in the repository>.o.
#
# Deterministic output: fixed flags, no timestamps (ld.lld writes none and no
# build-id unless asked), and debug info with repository-relative paths
# (-ffile-prefix-map, -fdebug-prefix-map, -fdebug-compilation-dir), so the same
# sources give the same bytes in any checkout directory.

FW_DIR  := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
TOP_DIR := $(patsubst %/,%,$(dir $(FW_DIR)))

# make has built-in defaults for CC (cc) and LD (ld); replace those, but let a
# command-line or environment choice win.
ifeq ($(origin CC),default)
CC := clang
endif
ifeq ($(origin LD),default)
LD := ld.lld
endif
OBJDUMP ?= objdump

# i686, 32-bit, freestanding; integer registers only (the guest has no FPU,
# MMX or SSE); no PIC; no stack protector (no TLS canary to read).
FW_CFLAGS := --target=i686-unknown-none-elf -march=i686 -m32 -O2 -std=gnu11 \
	-ffreestanding -fno-builtin -nostdlib -nostdinc -isystem $(shell $(CC) -print-resource-dir)/include \
	-fno-pic -fno-pie -fno-stack-protector -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-omit-frame-pointer \
	-ffunction-sections -fdata-sections \
	-g -fdebug-compilation-dir=. -ffile-prefix-map=$(TOP_DIR)/= -fdebug-prefix-map=$(TOP_DIR)/= \
	-Wall -Wextra -Wno-unused-parameter \
	-I$(FW_DIR)/include -MMD -MP

FW_LDSCRIPT := $(FW_DIR)/boot/link.ld
FW_LDFLAGS := -m elf_i386 -T $(FW_LDSCRIPT) --gc-sections -nostdlib --build-id=none

# Firmware sources, in link order (boot.S first, so _start leads .text).
FW_SRCS := \
	firmware/boot/boot.S \
	firmware/boot/main.c \
	firmware/boot/multiboot.c \
	firmware/hcall/pv.c \
	firmware/hcall/shutdown.c \
	firmware/console/console.c \
	firmware/console/printf.c \
	firmware/idt/entry.S \
	firmware/idt/idt.c \
	firmware/pvclock/tsc.c \
	firmware/pvclock/clockevent.c \
	firmware/pvclock/hrtimer.c \
	firmware/lib/string.c \
	firmware/lib/divdi3.c

FW_OBJS = $(patsubst %,$(BUILD)/%.o,$(FW_SRCS))

$(BUILD)/%.c.o: $(TOP_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(FW_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

# Assembly gets no debug info: clang 14's assembler ignores the prefix maps and
# would write absolute paths into the image.  Symbols are still there.
$(BUILD)/%.S.o: $(TOP_DIR)/%.S
	@mkdir -p $(@D)
	$(CC) $(FW_CFLAGS) -g0 -c $< -o $@
