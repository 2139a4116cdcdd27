/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomem's tracepoints: gomem:gomem_alloc and gomem:gomem_free, with the
 * fields and the print format of kmem:kmalloc and kmem:kfree, so that
 * trace-cmd, perf, bpftrace and scripts/trace read them as they read
 * kmalloc's.
 *
 * Invariants: every object gomem hands out has one gomem_alloc event,
 * before the gomem_free event of its free, both naming the call site of
 * the client (the caller of the exported function, never gomem itself).
 * A realloc that moves is the new object's gomem_alloc then the old
 * one's gomem_free; one that stays put is a gomem_free and a gomem_alloc
 * of the same pointer, so that each pointer's events still pair.  Bulk
 * calls give one event per object.  A failed allocation gives ptr 0 and
 * bytes_alloc 0, as kmalloc's event does.  Disabled, the events cost the
 * fast paths nothing but one NOP at each exported call's entry, which
 * debug=1 and callers=1 share: the calls that emit them sit behind
 * gomem_hooked() (trace.c), out of line.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gomem

#if !defined(_GOMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GOMEM_TRACE_H

#include <linux/gfp.h>
#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

/* trace.c: the events' first probe turns gomem_hooked() on, the last off. */
int gomem_trace_reg(void);
void gomem_trace_unreg(void);

TRACE_EVENT_FN(gomem_alloc,
	       TP_PROTO(unsigned long call_site, const void *ptr, size_t bytes_req,
			size_t bytes_alloc, gfp_t gfp_flags, int node),
	       TP_ARGS(call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node),
	       TP_STRUCT__entry(__field(unsigned long, call_site)
				__field(const void *, ptr)
				__field(size_t, bytes_req)
				__field(size_t, bytes_alloc)
				__field(unsigned long, gfp_flags)
				__field(int, node)),
	       TP_fast_assign(__entry->call_site = call_site;
			      __entry->ptr = ptr;
			      __entry->bytes_req = bytes_req;
			      __entry->bytes_alloc = bytes_alloc;
			      __entry->gfp_flags = (__force unsigned long)gfp_flags;
			      __entry->node = node;),
	       /* gomem charges no memory cgroup: never accounted. */
	       TP_printk("call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d accounted=false",
			 (void *)__entry->call_site, __entry->ptr,
			 __entry->bytes_req, __entry->bytes_alloc,
			 show_gfp_flags(__entry->gfp_flags), __entry->node),
	       gomem_trace_reg, gomem_trace_unreg
);

TRACE_EVENT_FN(gomem_free,
	       TP_PROTO(unsigned long call_site, const void *ptr),
	       TP_ARGS(call_site, ptr),
	       TP_STRUCT__entry(__field(unsigned long, call_site)
				__field(const void *, ptr)),
	       TP_fast_assign(__entry->call_site = call_site;
			      __entry->ptr = ptr;),
	       TP_printk("call_site=%pS ptr=%p", (void *)__entry->call_site,
			 __entry->ptr),
	       gomem_trace_reg, gomem_trace_unreg
);

#endif /* _GOMEM_TRACE_H */

/* Outside the guard: define_trace.h reads this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
