/*G:001
 * firmware.h: everything a guest image gets from the firmware, in one include.
 *
 * A guest image provides one function, kmain(), and links with the firmware.
 * The firmware boots (boot/boot.S), sets up the console, the IDT and the
 * multiboot information (boot/main.c), calls kmain() with interrupts still
 * off, and shuts down with whatever status kmain() returns.
 *
 * Reading order: the [G:nnn] tags, from puppyvisor.h (G:010) through boot
 * (G:100), the hypervisor interface (G:200), console (G:300), traps (G:400),
 * the paravirtual clock and timer queue (G:500), to the library (G:600) and
 * the guest images (G:700).
 */
#ifndef FW_FIRMWARE_H
#define FW_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "puppyvisor.h"
#include "fw/console.h"
#include "fw/cpu.h"
#include "fw/hrtimer.h"
#include "fw/idt.h"
#include "fw/multiboot.h"
#include "fw/printf.h"
#include "fw/pv.h"
#include "fw/pvclock.h"
#include "fw/string.h"

/* The guest image's main program; its return value is the exit status. */
int kmain(void);

#endif /* FW_FIRMWARE_H */
