/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the Launcher's own files share (the devices, which know nothing of
 * /dev/lguest, have virtq.h):
 *
 *   lguest.c   options, creating the devices, privileges, main()
 *   load.c     guest memory, the kernel, the initrd, boot parameters
 *   run.c      /dev/lguest: setting up, the run loop, exits, reboots
 *   mmio.c     decoding and doing the guest's accesses to the devices
 *   inputs.c   the terminal and the input thread
 */
#ifndef LGUEST_LAUNCHER_H
#define LGUEST_LAUNCHER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/lguest_launcher.h>
#include "virtq.h"

/*
 * L:020 The guest's physical memory map.  The kernel links itself to
 * load at 16 MiB; below it we put the boot parameters and the command
 * line, at the top of memory the initrd, and right above memory the
 * device window, one page per device.  The limits keep all of it inside
 * what a 3G/1G guest can map as lowmem, and the window below the guest
 * kernel's own addresses.
 */
#define MEM_MIN_MB		32
#define MEM_MAX_MB		768
#define BOOT_PARAMS_GPA		0x10000
#define CMDLINE_GPA		0x11000
#define CMDLINE_MAX		2048	/* the x86 kernel's COMMAND_LINE_SIZE */
#define MAX_DEVICES		15	/* IRQs 1-15; 0 is the guest's timer */
#define PAGE			4096UL

/*
 * L:015 How lguest ends, so that a script can tell (lguest.txt has the
 * same table).  A signal that kills us is the shell's 128 + its number.
 */
enum {
	LG_EXIT_POWER_OFF = 0,		/* also a restart under --no-reboot */
	LG_EXIT_ERROR = 1,		/* lguest's own trouble */
	LG_EXIT_USAGE = 2,		/* a bad command line */
	LG_EXIT_CRASH = 3,		/* the guest panicked */
	LG_EXIT_KILLED = 4,		/* the host, or we, ended a misbehaving guest */
	LG_EXIT_QUIT = 5,		/* the user asked, from the console */
};

struct options {
	bool verbose, stats, no_reboot, no_sandbox, sandbox_selftest;
	bool shares;			/* the sandbox lets the 9p server work */
	int escape;			/* the console's escape key, or -1 */
	unsigned long mem_mb;
	const char *kernel, *initrd, *user, *chroot;
	char *const *args;		/* for the guest's command line */
	int nargs;
};

extern struct options opt;
extern struct guest_mem mem;
extern int lguest_fd;
extern struct lguest_setup setup;
extern struct vdev devices[MAX_DEVICES];
extern unsigned int ndevices;
extern struct vdev_env env;

/* lguest.c */
void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...);
void __attribute__((format(printf, 1, 2))) verbose(const char *fmt, ...);

/* load.c */
void map_memory(void);
void open_kernel(void);
void build_cmdline(void);
void load_guest(void);

/* run.c */
void open_lguest(void);
void setup_guest(void);
__attribute__((noreturn)) void run_loop(void);
void __attribute__((noreturn)) guest_died(const char *why);
void launcher_quit(const char *why);
void raise_irq(struct vdev *d);
void wake_main_thread(void);
void console_marks(const void *buf, size_t len);

/* mmio.c */
void handle_mmio(const struct lguest_exit *e);

/* inputs.c */
void setup_terminal(void);
void restore_terminal(void);
void resize_console(bool changed_only);
void start_input_thread(void);
void watch_inputs(void);
void service_inputs(void);
void forget_inputs(void);

#endif /* LGUEST_LAUNCHER_H */
