/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the lguest host: each exit of a guest and why, each
 * hypercall, each page fault and what became of it, each flush of the
 * shadow page tables.  The counters in struct lguest_stats say how often;
 * these say when, and with what.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM lguest

#if !defined(_LGUEST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LGUEST_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(lguest_exit,
	TP_PROTO(unsigned int trap, u32 eip, u32 errcode),
	TP_ARGS(trap, eip, errcode),
	TP_STRUCT__entry(
		__field(unsigned int, trap)
		__field(u32, eip)
		__field(u32, errcode)
	),
	TP_fast_assign(
		__entry->trap = trap;
		__entry->eip = eip;
		__entry->errcode = errcode;
	),
	TP_printk("trap %#x at %#x, error code %#x",
		  __entry->trap, __entry->eip, __entry->errcode)
);

TRACE_EVENT(lguest_hcall,
	TP_PROTO(u32 nr, u32 arg1, u32 arg2, u32 arg3, u32 arg4, bool queued),
	TP_ARGS(nr, arg1, arg2, arg3, arg4, queued),
	TP_STRUCT__entry(
		__field(u32, nr)
		__field(u32, arg1)
		__field(u32, arg2)
		__field(u32, arg3)
		__field(u32, arg4)
		__field(bool, queued)
	),
	TP_fast_assign(
		__entry->nr = nr;
		__entry->arg1 = arg1;
		__entry->arg2 = arg2;
		__entry->arg3 = arg3;
		__entry->arg4 = arg4;
		__entry->queued = queued;
	),
	TP_printk("%s %u (%#x, %#x, %#x, %#x)", __entry->queued ? "queued" : "call",
		  __entry->nr, __entry->arg1, __entry->arg2, __entry->arg3, __entry->arg4)
);

TRACE_EVENT(lguest_fault,
	TP_PROTO(u32 addr, u32 errcode, int result),
	TP_ARGS(addr, errcode, result),
	TP_STRUCT__entry(
		__field(u32, addr)
		__field(u32, errcode)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->addr = addr;
		__entry->errcode = errcode;
		__entry->result = result;
	),
	TP_printk("%#x, error code %#x: %s", __entry->addr, __entry->errcode,
		  __entry->result > 0 ? "shadowed" : __entry->result < 0 ? "MMIO" :
		  "the guest's")
);

TRACE_EVENT(lguest_flush,
	TP_PROTO(bool all),
	TP_ARGS(all),
	TP_STRUCT__entry(
		__field(bool, all)
	),
	TP_fast_assign(
		__entry->all = all;
	),
	TP_printk("%s", __entry->all ? "every shadow" : "the current user half")
);

#endif /* _LGUEST_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
