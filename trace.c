// SPDX-License-Identifier: GPL-2.0
/*
 * Where gomem's tracepoints are defined: trace.h declares them and says
 * what they promise, and gomem.c emits them, at its API's edge.
 *
 * Invariant: gomem_hook_key counts one for debug=1 or callers=1, one
 * for init_on_free (both taken at load, never dropped) and one for each
 * of gomem's tracepoints that has a probe attached.  The tracepoint core
 * calls gomem_trace_reg() when an event gets its first probe, before it
 * turns the event's own key on, and gomem_trace_unreg() when it loses
 * its last, after; both under its tracepoints_mutex, where taking a
 * static key is allowed.
 * While the count is up, the exported calls go through their hooked,
 * out-of-line paths, which emit the events.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"

#include "gomem_internal.h"

/* As kmalloc's events are: other modules may attach probes. */
EXPORT_TRACEPOINT_SYMBOL_GPL(gomem_alloc);
EXPORT_TRACEPOINT_SYMBOL_GPL(gomem_free);

DEFINE_STATIC_KEY_FALSE(gomem_hook_key);
EXPORT_SYMBOL_IF_KUNIT(gomem_hook_key);

/*
 * At load: with init_on_free, every free takes the hooked path, which
 * zeroes (gomem_free_hooked()), so that the fast path tests no key of its
 * own for it.  debug=1 and callers=1 take theirs in gomem_debug_init().
 */
void gomem_hook_init(void)
{
	if (want_init_on_free())
		static_branch_inc(&gomem_hook_key);
}

int gomem_trace_reg(void)
{
	static_branch_inc(&gomem_hook_key);
	return 0;
}

void gomem_trace_unreg(void)
{
	static_branch_dec(&gomem_hook_key);
}
