// SPDX-License-Identifier: GPL-2.0
/*
 * L:400 The sandbox.  Once the guest is set up, lguest needs few system
 * calls: the ioctls of /dev/lguest, reads and writes on the descriptors it
 * already has, memory for a reboot, and what the C library does for
 * threads, signals and clocks.  A guest that finds a hole in a device
 * finds a Launcher that can do little else: no new privileges, and a
 * seccomp filter that stops every other system call (and every ioctl but
 * those, which keeps TIOCSTI away from the terminal).  The filter is a
 * plain list, built here by hand: a libseccomp dependency would be larger
 * than the whole of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/lguest_launcher.h>
#include <linux/seccomp.h>
#include "sandbox.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SANDBOX_EXIT	1		/* lguest's own trouble (lguest.txt) */

static void (*stop_hook)(void);

/* lguest is x86's: a 32-bit Launcher makes i386 system calls. */
#define LG_AUDIT_ARCH	(sizeof(long) == 8 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386)

/* Those of them this architecture has (i386 and x86-64 differ). */
static const int allowed[] = {
	__NR_read, __NR_write, __NR_readv, __NR_writev, __NR_pread64, __NR_pwrite64,
	__NR_preadv, __NR_pwritev, __NR_poll, __NR_fsync, __NR_fdatasync, __NR_fallocate,
	__NR_lseek, __NR_close, __NR_munmap, __NR_madvise, __NR_mprotect, __NR_brk,
	__NR_futex, __NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_rt_sigaction,
	__NR_getpid, __NR_gettid, __NR_exit, __NR_exit_group,
	__NR_restart_syscall, __NR_sched_yield, __NR_clock_gettime, __NR_gettimeofday,
	__NR_nanosleep, __NR_clock_nanosleep,
#ifdef __NR_mmap2
	__NR_mmap2,
#endif
#ifdef __NR_mmap
	__NR_mmap,
#endif
#ifdef __NR__llseek
	__NR__llseek,
#endif
#ifdef __NR_sigreturn
	__NR_sigreturn,
#endif
#ifdef __NR_fstat64
	__NR_fstat64,
#endif
#ifdef __NR_fstat
	__NR_fstat,
#endif
#ifdef __NR_statx
	__NR_statx,			/* fstat() of the initrd, for a reboot */
#endif
#ifdef __NR_newfstatat
	__NR_newfstatat,		/* ... as x86-64's C library does it */
#endif
#ifdef __NR_clock_gettime64
	__NR_clock_gettime64,
#endif
#ifdef __NR_clock_nanosleep_time64
	__NR_clock_nanosleep_time64,
#endif
#ifdef __NR_futex_time64
	__NR_futex_time64,
#endif
#ifdef __NR_ppoll_time64
	__NR_ppoll_time64,
#endif
#ifdef __NR_ppoll
	__NR_ppoll,
#endif
};

/*
 * With a shared directory, the calls its 9p server makes.  Every path it
 * opens goes through openat2() beneath the directory; a seccomp filter
 * cannot look into openat2()'s flags, so this list only says which calls,
 * and p9.c says how.
 */
static const int allowed_files[] = {
	__NR_openat2, __NR_getdents64, __NR_mkdirat, __NR_unlinkat, __NR_renameat,
	__NR_symlinkat, __NR_readlinkat, __NR_linkat, __NR_fchownat, __NR_fchmodat2, __NR_fchmod,
	__NR_utimensat, __NR_ftruncate,
#ifdef __NR_utimensat_time64
	__NR_utimensat_time64,
#endif
#ifdef __NR_fstatfs64
	__NR_fstatfs64,
#endif
#ifdef __NR_fstatfs
	__NR_fstatfs,
#endif
#ifdef __NR_ftruncate64
	__NR_ftruncate64,
#endif
#ifdef __NR_fstatat64
	__NR_fstatat64,
#endif
#ifdef __NR_renameat2
	__NR_renameat2,
#endif
};

/* The ioctls: the terminal's modes and size, and all of /dev/lguest's. */
static const unsigned int allowed_ioctls[] = { TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ };

#define ALLOW		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define IF_EQ(k)	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), 0, 1)
#define LOAD(field)	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))

/* "lguest: the sandbox stopped system call N": said by hand, in a signal. */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char msg[96] = "\r\nlguest: the sandbox stopped system call ";
	size_t len = strlen(msg);
	char digits[12];
	int n = si->si_syscall, i = 0;

	(void)sig;
	(void)ctx;
	do {
		digits[i++] = '0' + n % 10;
		n /= 10;
	} while (n && i < 11);
	while (i)
		msg[len++] = digits[--i];
	memcpy(msg + len, " (see lguest.txt, \"The sandbox\")\r\n", 35);
	len += 34;
	if (write(STDERR_FILENO, msg, len) < 0)
		len = 0;
	if (stop_hook)
		stop_hook();
	_exit(SANDBOX_EXIT);
}

const char *sandbox_start(bool selftest, bool files, void (*on_stop)(void))
{
	struct sock_filter f[4 + 2 * (ARRAY_SIZE(allowed) + ARRAY_SIZE(allowed_files) +
				     ARRAY_SIZE(allowed_ioctls)) + 13];
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	struct sock_fprog prog = { .filter = f };
	unsigned int i, n = 0;

	f[n++] = (struct sock_filter)LOAD(arch);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LG_AUDIT_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)LOAD(nr);
	for (i = 0; i < ARRAY_SIZE(allowed); i++) {
		f[n++] = (struct sock_filter)IF_EQ(allowed[i]);
		f[n++] = (struct sock_filter)ALLOW;
	}
	for (i = 0; files && i < ARRAY_SIZE(allowed_files); i++) {
		f[n++] = (struct sock_filter)IF_EQ(allowed_files[i]);
		f[n++] = (struct sock_filter)ALLOW;
	}
	/* raise() in a fatal signal's handler: to ourselves only. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 0, 4);
	f[n++] = (struct sock_filter)LOAD(args[0]);
	f[n++] = (struct sock_filter)IF_EQ((unsigned int)getpid());
	f[n++] = (struct sock_filter)ALLOW;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	/* An ioctl: its request (the low word of the second argument). */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	f[n++] = (struct sock_filter)LOAD(args[1]);
	for (i = 0; i < ARRAY_SIZE(allowed_ioctls); i++) {
		f[n++] = (struct sock_filter)IF_EQ(allowed_ioctls[i]);
		f[n++] = (struct sock_filter)ALLOW;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff00);
	f[n++] = (struct sock_filter)IF_EQ(LGUEST_IOC_MAGIC << 8);
	f[n++] = (struct sock_filter)ALLOW;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	prog.len = n;

	stop_hook = on_stop;
	sigaction(SIGSYS, &sa, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return "cannot set PR_SET_NO_NEW_PRIVS";
	/* Every thread at once: the input thread runs already. */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog))
		return "cannot install the seccomp filter (does the kernel have CONFIG_SECCOMP_FILTER?)";
	if (selftest)
		syscall(__NR_getcwd, NULL, 0);	/* harmless, and not on the list */
	return NULL;
}
