// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: why gomem refuses a pointer or a call, and the report each
 * refusal gets.
 *
 * gomem trusts nothing it is handed: a pointer it never gave out, one
 * into the middle of an object, one already freed, a size no allocator
 * could serve, a bulk call with nothing in it.  Each is refused where it
 * is found, the allocator's state untouched, and reported once, on one
 * line that begins "gomem: bad " and names the caller (%pS of the
 * return address), never as a kernel WARNING: a caller's bug must not
 * look like gomem's.  Refused frees and reallocs are counted in
 * bad_frees.  Reports share a ratelimit generous enough for a test's
 * worth of bad calls, so that a caller looping on one does not flood
 * the log.
 *
 * The reason is worked out again for the report, by gomem_why(), so that
 * the fast paths need not carry one: if the memory changed meanwhile,
 * the answer describes what is there now.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/ratelimit.h>

#include "gomem_internal.h"

static DEFINE_RATELIMIT_STATE(report_rs, 5 * HZ, 200);

/* Reports made, by reason, printed or ratelimited: for the tests. */
atomic_t gomem_reports[GOMEM_BAD_NR];
EXPORT_SYMBOL_IF_KUNIT(gomem_reports);

static const char *const bad_names[GOMEM_BAD_NR] = {
	[GOMEM_BAD_FOREIGN] = "not gomem's memory",
	[GOMEM_BAD_DOUBLE] = "not live: already freed, or never handed out",
	[GOMEM_BAD_INTERIOR] = "inside an object, not at its start",
	[GOMEM_BAD_STATE] = "in a state it cannot be in: freed twice, or overwritten",
	[GOMEM_BAD_POISON] = "written after it was freed",
	[GOMEM_BAD_REDZONE] = "written past its end",
	[GOMEM_BAD_NULL] = "a NULL among the objects to free",
	[GOMEM_BAD_BULK] = "no objects, no array, or more objects than an int can count",
	[GOMEM_BAD_SIZE] = "more than the page allocator can give",
	[GOMEM_BAD_FLAGS] = "flags gomem cannot honour: zones, never failing, or no flag at all",
	[GOMEM_BAD_NODE] = "no such node",
};

/* Count a report, and say whether the ratelimit lets it be printed. */
static bool report_begin(enum gomem_bad why)
{
	atomic_inc(&gomem_reports[why]);
	return __ratelimit(&report_rs);
}

/* Why addr is not a live object's start.  Any pointer. */
enum gomem_bad gomem_why(unsigned long addr)
{
	enum gomem_bad why = GOMEM_BAD_DOUBLE;
	unsigned long what;
	struct mspan *s;
	unsigned int i;

	rcu_read_lock_sched();
	what = gomem_page_what(addr);
	s = what ? (struct mspan *)what : mspan_around(addr);
	if (!s) {
		why = GOMEM_BAD_FOREIGN;
	} else if (what & GOMEM_PAGE_KIND) {
		/* A free page in gomem's pool: what was here is gone. */
	} else if (s->kind == MSPAN_TINY) {
		why = tiny_why(s, addr);
	} else if (s->kind == MSPAN_SMALL) {
		i = mspan_index(s, addr);
		if (i >= s->nelems || s->base + (unsigned long)i * s->size != addr)
			why = GOMEM_BAD_INTERIOR;
	} else if (addr != s->base) {
		why = GOMEM_BAD_INTERIOR;
	}
	rcu_read_unlock_sched();
	return why;
}
EXPORT_SYMBOL_IF_KUNIT(gomem_why);

/*
 * The one report of a refusal: "gomem: bad WHAT: FN(P) from CALLER:
 * REASON", and under debug=1 the object, its class and its callers.
 */
void gomem_report(const char *what, const char *fn, const void *p,
		  enum gomem_bad why, unsigned long ip)
{
	char detail[160] = "";

	if (!report_begin(why))
		return;
	if (gomem_debug())
		gomem_debug_describe((unsigned long)p, detail, sizeof(detail));
	pr_err("bad %s: %s(%p) from %pS: %s%s\n", what, fn, p, (void *)ip,
	       bad_names[why], detail);
}

void gomem_count_bad_free(void)
{
	unsigned long flags;

	mcache_lock_irqsave(flags);
	this_cpu_read(gomem_mcache)->stats.bad_frees++;
	mcache_unlock_irqrestore(flags);
}

/* A free or realloc of p refused: count it, and say why. */
void gomem_report_bad_free(const char *fn, const void *p, unsigned long ip)
{
	gomem_count_bad_free();
	gomem_report(strcmp(fn, "gomem_realloc") ? "free" : "realloc", fn, p,
		     gomem_why((unsigned long)p), ip);
}

/* A bulk call with no objects, no array, or more than an int can count. */
void gomem_report_bulk(const char *fn, size_t nr, void **ptrs,
		       unsigned long ip)
{
	if (!report_begin(GOMEM_BAD_BULK))
		return;
	pr_err("bad bulk: %s(nr %zu, ptrs %p) from %pS: %s\n", fn, nr, ptrs,
	       (void *)ip, bad_names[GOMEM_BAD_BULK]);
}

/* An allocation no allocator could serve, or with flags gomem refuses. */
void gomem_report_request(size_t size, gfp_t flags, enum gomem_bad why,
			  unsigned long ip)
{
	if (!report_begin(why))
		return;
	pr_err("bad %s: gomem_alloc(%zu, %pGg) from %pS: %s\n",
	       why == GOMEM_BAD_SIZE ? "size" : "flags", size, &flags,
	       (void *)ip, bad_names[why]);
}

void gomem_report_node(size_t size, gfp_t flags, int node, unsigned long ip)
{
	if (!report_begin(GOMEM_BAD_NODE))
		return;
	pr_err("bad node: gomem_alloc_node(%zu, %pGg, %d) from %pS: %s\n",
	       size, &flags, node, (void *)ip, bad_names[GOMEM_BAD_NODE]);
}
