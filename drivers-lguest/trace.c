// SPDX-License-Identifier: GPL-2.0
/*
 * H:013 The tracepoints of trace.h are created here, once, in a file of their
 * own: every room of the host fires them, and this way none of those rooms
 * has to be the one that all the others depend on for them.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
