/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LGUEST_SANDBOX_H
#define LGUEST_SANDBOX_H

#include <stdbool.h>

/*
 * L:405 Confine every thread of lguest to what it does once the guest is set
 * up (sandbox.c).  on_stop runs, async-signal-safe, before a forbidden
 * system call ends lguest.  With selftest, make one such call at once.
 * With files, also what a shared directory's 9p server needs (p9.c).
 * Returns NULL, or why the sandbox could not be set up.
 */
const char *sandbox_start(bool selftest, bool files, void (*on_stop)(void));

#endif
