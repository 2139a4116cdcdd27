// SPDX-License-Identifier: GPL-2.0
/*
 * debug=1: every object checked on its way out and on its way back.
 *
 * With the module parameter set at load, gomem trades speed for checks,
 * as slub_debug does:
 *  - a freed object is filled with POISON_FREE, and the poison is checked
 *    when the object is handed out again: a write after free shows;
 *  - every small object has a redzone of GOMEM_DEBUG_REDZONE bytes or more
 *    after it (the span's stride grows by that much, and a power-of-two
 *    size's to a multiple of the size, which keeps its objects aligned:
 *    mcentral_stride()), and everything from the end of the request to
 *    the end of the redzone is filled with SLUB_RED_ACTIVE and checked on
 *    free; a large object's redzone is the rest of its last page;
 *  - every object records its request and the callers that allocated and
 *    last freed it, and every report names the object, its class and
 *    both callers;
 *  - double frees are caught for every size, racing ones included, by
 *    the same claim as without debug (see gomem_internal.h).
 * No per-CPU cache holds objects (their capacity is 0) and there is no
 * tiny allocator, so every allocation and free comes through here, under
 * the mcentral's lock.  gomem.c reaches these paths through a static key,
 * so with debug=0 they cost nothing.
 *
 * callers=1 (callers.c) takes these paths too, for their records of each
 * object's call site and request, but without the checks: no poison, no
 * redzone, and the zeroing that init_on_alloc, __GFP_ZERO and
 * init_on_free ask for, as on the fast paths.
 *
 * Checks read and write freed memory and redzones, which KASAN marks as
 * inaccessible: they do it with KASAN's reports off for the moment.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/poison.h>
#include <linux/string.h>

#include "gomem_internal.h"

static bool debug;
module_param(debug, bool, 0444);
MODULE_PARM_DESC(debug,
		 "Check every object: poison after free, a redzone after each object, the callers in every report (default off; slow)");

DEFINE_STATIC_KEY_FALSE(gomem_debug_key);
EXPORT_SYMBOL_IF_KUNIT(gomem_debug_key);

/* debug=1's checks; the paths alone may be on for callers=1. */
bool gomem_debug_checks(void)
{
	return debug;
}

/* One object's history; a large span has one. */
struct gomem_debug_obj {
	unsigned long alloc_ip, free_ip;
	size_t req;		/* where the redzone starts */
};

int gomem_debug_init(void)
{
	if (debug || gomem_callers_on()) {
		static_branch_enable(&gomem_debug_key);
		/* The exported calls reach these paths through their hooks. */
		static_branch_inc(&gomem_hook_key);
	}
	return 0;
}

static void fill(void *p, u8 c, size_t n)
{
	kasan_disable_current();
	memset(p, c, n);
	kasan_enable_current();
}

/* Offset of the first of n bytes at p that is not c, or n. */
static size_t first_not(const void *p, u8 c, size_t n)
{
	const u8 *b;
	size_t i;

	kasan_disable_current();
	b = memchr_inv(p, c, n);
	i = b ? b - (const u8 *)p : n;
	kasan_enable_current();
	return i;
}

/* s's records, one an object, or NULL if it has none (yet). */
static struct gomem_debug_obj *records(const struct mspan *s)
{
	return *mspan_debug_records(s);
}

/* A fresh span's records, and its objects poisoned as freed. */
int gomem_debug_span_init(struct mspan *s, gfp_t gfp)
{
	struct gomem_debug_obj *d;

	d = gomem_meta_alloc(s->nelems * sizeof(*d), gfp, s->node);
	*mspan_debug_records(s) = d;
	if (!d)
		return -ENOMEM;
	if (debug && s->kind == MSPAN_SMALL)
		fill((void *)s->base, POISON_FREE, (size_t)s->nelems * s->size);
	return 0;
}

void gomem_debug_span_free(struct mspan *s)
{
	gomem_meta_free(records(s), s->nelems * sizeof(struct gomem_debug_obj));
}

/*
 * The call site that allocated object i of s (0 for a large span), and
 * in *req its request: what callers.c sums.  s's class lock, or the
 * mheap's for a large span, keeps s.
 */
unsigned long gomem_debug_caller(const struct mspan *s, unsigned int i,
				 size_t *req)
{
	*req = records(s)[i].req;
	return records(s)[i].alloc_ip;
}

/*
 * Object i of s, at p, now has req bytes: every usable byte, once
 * gomem_size() gave them to the caller (the redzone shrinks), or a
 * realloc's new size, where it stays (gomem_realloc()).  Under debug=1
 * the redzone grows back over the bytes an earlier gomem_size() gave
 * past req, so that a write there shows when the object is freed; the
 * bytes already in the redzone are left as they are, so that a write
 * into them shows too.
 */
void gomem_debug_resize(struct mspan *s, unsigned int i, const void *p,
			size_t req)
{
	struct gomem_debug_obj *d = &records(s)[s->kind == MSPAN_SMALL ? i : 0];

	if (debug && d->req > req)
		fill((void *)p + req, SLUB_RED_ACTIVE, d->req - req);
	d->req = req;
}

/* "; object P (class C, N bytes), allocated by X, freed by Y" for addr. */
void gomem_debug_describe(unsigned long addr, char *buf, size_t len)
{
	struct gomem_debug_obj *d = NULL;
	unsigned long base = 0;
	unsigned int i, size = 0;
	struct mspan *s;

	rcu_read_lock_sched();
	s = mspan_around(addr);
	if (s && gomem_debug())
		d = records(s);
	if (d && s->kind == MSPAN_SMALL) {
		i = min_t(unsigned int, mspan_index(s, addr), s->nelems - 1);
		d += i;
		base = s->base + (unsigned long)i * s->size;
		size = gomem_classes[s->spanclass].size;
	} else if (d) {
		base = s->base;
	}
	if (d && size)
		snprintf(buf, len,
			 "; object %p (class %u of %u bytes, %zu asked), allocated by %pS, freed by %pS",
			 (void *)base, s->spanclass, size, d->req,
			 (void *)d->alloc_ip, (void *)d->free_ip);
	else if (d)
		snprintf(buf, len,
			 "; object %p (large, %u pages, %zu bytes asked), allocated by %pS, freed by %pS",
			 (void *)base, s->npages, d->req,
			 (void *)d->alloc_ip, (void *)d->free_ip);
	rcu_read_unlock_sched();
}
EXPORT_SYMBOL_IF_KUNIT(gomem_debug_describe);

/* The object p of span s, object i, is being handed out for req bytes. */
static void *hand_out(struct mspan *s, unsigned int i, void *p, size_t req,
		      size_t room, gfp_t flags, unsigned long ip)
{
	struct gomem_debug_obj *d = &records(s)[i];

	d->alloc_ip = ip;
	d->req = req;
	/* Zeroed whole (room is a multiple of 8), redzone filled after. */
	if (want_init_on_alloc(flags))
		gomem_zero(p, room);
	else if (debug)
		fill(p, POISON_INUSE, req);
	if (debug)
		fill(p + req, SLUB_RED_ACTIVE, room - req);
	gomem_kasan_alloc(p, req, room);
	return p;
}

/* node: as mcentral_get()'s, NUMA_NO_NODE for this CPU's. */
void *gomem_debug_alloc(size_t size, gfp_t flags, int node, unsigned long ip)
{
	struct gomem_obj o;
	struct mspan *s;
	unsigned int cls, i;
	size_t bad;

	might_alloc(flags);
	if (size > GOMEM_MAX_SMALL) {
		s = mspan_alloc_large(size, node, flags);
		if (!s)
			goto fail;
		gomem_count(GOMEM_LARGE_CLASS, size, true);
		return hand_out(s, 0, (void *)s->base, size,
				(size_t)s->npages << PAGE_SHIFT, flags, ip);
	}
	cls = gomem_size_class(size);
	if (mcentral_get(&gomem_mcentral[cls], &o, 1, flags, node) != 1)
		goto fail;
	s = gomem_obj_span(&o);
	i = mspan_index(s, (unsigned long)o.p);
	bad = debug ? first_not(o.p, POISON_FREE, s->size) : s->size;
	if (bad != s->size) {
		gomem_report("object", "gomem_alloc", o.p + bad,
			     GOMEM_BAD_POISON, ip);
		fill(o.p, POISON_FREE, s->size);
	}
	mspan_set_state(s, i, s->size - size + 1);
	gomem_count(cls, s->size - size + 1, true);
	return hand_out(s, i, o.p, size, s->size, flags, ip);
fail:
	gomem_count_failure();
	return NULL;
}

/*
 * Free p, after the same checks as gomem_free() and the redzone's;
 * poison it, and give it straight back to its mcentral.
 */
void gomem_debug_free(const void *p, unsigned long ip)
{
	unsigned long addr = (unsigned long)p;
	unsigned int i = 0, st, cls;
	struct gomem_debug_obj *d;
	size_t bad, room;
	struct gomem_obj o;
	struct mspan *s;
	s64 bytes;

	rcu_read_lock_sched();
	s = gomem_span_of(addr);
	if (!s)
		goto refuse;
	if (s->kind == MSPAN_SMALL) {
		i = mspan_index(s, addr);
		if (i >= s->nelems || s->base + (unsigned long)i * s->size != addr)
			goto refuse;
		st = mspan_state(s, i);
		if (st == GOMEM_OBJ_FREE || st == gomem_state_cached(s->state_width) ||
		    !mspan_claim(s, i, st))
			goto refuse;
		room = s->size;
		cls = s->spanclass;
		bytes = st;
	} else {
		if (addr != s->base || cmpxchg(&s->live, 1, 0) != 1)
			goto refuse;
		room = (size_t)s->npages << PAGE_SHIFT;
		cls = GOMEM_LARGE_CLASS;
		bytes = s->req;
	}
	/* Claimed: the span stays until this free gives it back. */
	rcu_read_unlock_sched();
	/*
	 * Counted out of the RCU-sched section: the mcache lock sleeps on
	 * PREEMPT_RT (found by KUnit with debug=1 in the test-rt kernel).
	 */
	gomem_count(cls, -bytes, false);
	d = &records(s)[i];
	bad = debug ? first_not(p + d->req, SLUB_RED_ACTIVE, room - d->req) :
		      room - d->req;
	if (d->req + bad != room)
		gomem_report("object", "gomem_free", p, GOMEM_BAD_REDZONE, ip);
	d->free_ip = ip;
	if (s->kind != MSPAN_SMALL) {
		gomem_kasan_free(p, room);
		mspan_free_large(s);
		return;
	}
	if (debug)
		fill((void *)p, POISON_FREE, room);
	else if (want_init_on_free())
		gomem_zero((void *)p, room);
	gomem_kasan_free(p, room);
	o.p = (void *)p;
	o.state = mspan_state_ptr(s, i, s->state_width);
	mcentral_put(&gomem_mcentral[s->spanclass], &o, 1);
	return;
refuse:
	rcu_read_unlock_sched();
	gomem_report_bad_free("gomem_free", p, ip);
}
