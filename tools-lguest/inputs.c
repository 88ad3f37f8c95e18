// SPDX-License-Identifier: GPL-2.0
/*
 * Input: the terminal lguest runs on, and the thread that watches every
 * device's input so that the guest never has to be polled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "lguest.h"

/*
 * L:030 The terminal.  The guest runs its own line discipline, so ours
 * gets out of the way: no echo, no line editing, no signals from ^C (the
 * escape key stops us: see console.c).  We keep output processing, so the
 * early console's bare newlines still start new lines.  Whatever way we
 * leave, the terminal must be as we found it.
 */
static struct termios saved_termios;
static bool termios_saved;

void restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

/*
 * A signal that ends us, from outside or from our own crash: the terminal
 * first, then the signal's own action (a crash re-faults on return).
 */
static void on_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The terminal changed size: the main loop tells the guest (resize_console()). */
static int resized;

static void on_winch(int sig)
{
	int saved = errno;

	(void)sig;
	__atomic_store_n(&resized, 1, __ATOMIC_RELAXED);
	if (lguest_fd >= 0)
		ioctl(lguest_fd, LGUEST_BREAK);
	errno = saved;
}

void setup_terminal(void)
{
	static const int fatal[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGABRT,
				     SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS };
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction winch = { .sa_handler = on_winch, .sa_flags = SA_RESTART };
	struct termios t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	sigaction(SIGWINCH, &winch, NULL);
	/* A broken pipe, or a file past "ulimit -f", is an error, not our end. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	atexit(restore_terminal);
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	termios_saved = true;
	t = saved_termios;
	t.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
	t.c_iflag &= ~(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

/*
 * L:190 The console's size is the terminal's (virtio-console's F_SIZE):
 * at the start and whenever SIGWINCH says it changed.
 */
void resize_console(bool changed_only)
{
	struct winsize ws;

	if (changed_only && !__atomic_load_n(&resized, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&resized, 0, __ATOMIC_RELAXED);
	if (!ndevices || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col || !ws.ws_row)
		return;
	console_resize(&devices[0], ws.ws_col, ws.ws_row);
}

/*
 * L:300 The input thread.  It polls the input of each device that wants
 * some (the terminal, taps) and, when one is readable, pulls the guest
 * out of LGUEST_RUN with LGUEST_BREAK, so the main thread can do the
 * rest.  Each input is in one of three states, so that a readable fd
 * fires once and is not watched again until the main thread has
 * dealt with it.
 */
enum { INPUT_IDLE, INPUT_WATCHED, INPUT_FIRED };

static int input_state[MAX_DEVICES];
static int input_fd[MAX_DEVICES];
static int waker_pipe[2];

static sem_t input_started;

static void *input_thread(void *unused)
{
	struct pollfd pfd[MAX_DEVICES + 1];
	unsigned int which[MAX_DEVICES + 1], i, n;
	char buf[64];
	bool fired;

	(void)unused;
	sem_post(&input_started);
	for (;;) {
		pfd[0].fd = waker_pipe[0];
		pfd[0].events = POLLIN;
		for (i = 0, n = 1; i < ndevices; i++) {
			if (__atomic_load_n(&input_state[i], __ATOMIC_ACQUIRE) != INPUT_WATCHED)
				continue;
			pfd[n].fd = input_fd[i];
			pfd[n].events = POLLIN;
			which[n++] = i;
		}
		if (poll(pfd, n, -1) < 0)
			continue;
		if (pfd[0].revents && read(waker_pipe[0], buf, sizeof(buf)) < 0)
			continue;
		fired = false;
		for (i = 1; i < n; i++) {
			int watched = INPUT_WATCHED;

			if (pfd[i].revents &&
			    __atomic_compare_exchange_n(&input_state[which[i]], &watched,
							INPUT_FIRED, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				fired = true;
		}
		if (fired)
			ioctl(lguest_fd, LGUEST_BREAK);
	}
	return NULL;
}

/* After anything that may have changed what devices want: tell the thread. */
void watch_inputs(void)
{
	bool changed = false;
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		int state = __atomic_load_n(&input_state[i], __ATOMIC_ACQUIRE);
		bool want = vdev_wants_input(&devices[i]);

		if (want && state == INPUT_IDLE) {
			input_fd[i] = devices[i].in_fd;
			__atomic_store_n(&input_state[i], INPUT_WATCHED, __ATOMIC_RELEASE);
			changed = true;
		} else if (!want && state == INPUT_WATCHED) {
			__atomic_store_n(&input_state[i], INPUT_IDLE, __ATOMIC_RELEASE);
			changed = true;
		}
	}
	if (changed && write(waker_pipe[1], "", 1) < 0)
		perror("lguest: waking the input thread");
}

/* The thread fired: feed those devices. */
void service_inputs(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		if (__atomic_load_n(&input_state[i], __ATOMIC_ACQUIRE) != INPUT_FIRED)
			continue;
		__atomic_store_n(&input_state[i], INPUT_IDLE, __ATOMIC_RELEASE);
		vdev_input(&devices[i]);
	}
}

/*
 * A reboot: the input thread may have fired for a device of the old boot,
 * and the LGUEST_BREAK it sent dies with that boot (LGUEST_SETUP starts
 * afresh), so nothing would ever service it and the input would stay
 * unwatched for good.  Every input starts again from idle; watch_inputs()
 * arms each one once its device is ready in the new boot.
 */
void forget_inputs(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++)
		__atomic_store_n(&input_state[i], INPUT_IDLE, __ATOMIC_RELEASE);
	if (write(waker_pipe[1], "", 1) < 0)
		perror("lguest: waking the input thread");
}

void start_input_thread(void)
{
	pthread_t thread;

	if (pipe2(waker_pipe, O_CLOEXEC | O_NONBLOCK))
		fail("cannot make a pipe: %m");
	sem_init(&input_started, 0, 0);
	if (pthread_create(&thread, NULL, input_thread, NULL))
		fail("cannot start the input thread");
	/* Set up by the C library, signals and all, before the sandbox. */
	while (sem_wait(&input_started) && errno == EINTR)
		;
}
