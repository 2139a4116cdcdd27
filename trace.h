/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomem's tracepoints: gomem:gomem_alloc and gomem:gomem_free, with the
 * fields and the print format of kmem:kmalloc and kmem:kfree, so that
 * trace-cmd, perf, bpftrace and scripts/trace read them as they read
 * kmalloc's; and gomem:gomem_mcentral, the time each section of a
 * central list's lock waits and holds (scripts/bench locks).
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

/*
 * One section of an mcentral's lock (mcentral.c): the class's object
 * size, whether it handed objects out to a CPU (get) or took them back
 * (put), how many, how long it waited for the lock and how long it held
 * it, in local_clock() nanoseconds.  Emitted after the unlock, and the
 * clock is read only while the event is on.  Not behind gomem_hooked():
 * these sections are the slow paths.
 */
TRACE_EVENT(gomem_mcentral,
	    TP_PROTO(unsigned int size, bool get, unsigned int objs,
		     u64 wait_ns, u64 held_ns),
	    TP_ARGS(size, get, objs, wait_ns, held_ns),
	    TP_STRUCT__entry(__field(unsigned int, size)
			     __field(bool, get)
			     __field(unsigned int, objs)
			     __field(u64, wait_ns)
			     __field(u64, held_ns)),
	    TP_fast_assign(__entry->size = size;
			   __entry->get = get;
			   __entry->objs = objs;
			   __entry->wait_ns = wait_ns;
			   __entry->held_ns = held_ns;),
	    TP_printk("size=%u op=%s objs=%u wait_ns=%llu held_ns=%llu",
		      __entry->size, __entry->get ? "get" : "put",
		      __entry->objs, __entry->wait_ns, __entry->held_ns)
);

#endif /* _GOMEM_TRACE_H */

/* Outside the guard: define_trace.h reads this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
