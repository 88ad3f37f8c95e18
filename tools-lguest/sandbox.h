/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LGUEST_SANDBOX_H
#define LGUEST_SANDBOX_H

#include <stdbool.h>

/*
 * Confine every thread of lguest to what it does once the guest is set
 * up (sandbox.c).  on_stop runs, async-signal-safe, before a forbidden
 * system call ends lguest.  With selftest, make one such call at once.
 * Returns NULL, or why the sandbox could not be set up.
 */
const char *sandbox_start(bool selftest, void (*on_stop)(void));

#endif
