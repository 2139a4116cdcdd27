// SPDX-License-Identifier: GPL-2.0
/*
 * The Go runtime's memory allocator, as a kernel allocator.
 *
 * The design
 * ==========
 *
 * gomem is Go's allocator (runtime/malloc.go, mheap.go, mcentral.go,
 * mcache.go) made to work where memory is freed explicitly, from any CPU
 * and in any context, instead of by a garbage collector.  Its layers, from
 * the bottom:
 *
 * mheap (mheap.c) takes pages from the page allocator, exactly as many as
 * a span needs and on the node asked for, so that nothing up to a page
 * ever needs more than an order-0 page.  Freed pages wait in a per-node
 * pool, where neighbouring runs coalesce, and the scavenger (reclaim.c)
 * gives the surplus back to the page allocator within a second, as Go's
 * does; a shrinker gives back more under memory pressure.
 *
 * mspan (mspan.c) is a run of pages holding objects of one kind, with a
 * state per object.  The page of every object's start names its span in
 * its struct page (every page does, unless the objects are whole pages),
 * signed with a random key, so the span of any pointer is found in O(1)
 * and a pointer gomem never handed out is recognised, with no table to
 * size: SLUB finds a slab the same way.
 *
 * Size classes (sizeclass.c), from scripts/mksizeclasses.py: 73 classes
 * from 8 bytes to 32 KiB.  Up to a page a span is one page, and the
 * classes are the densest a page allows, every request getting as many
 * objects per page as its size permits; above, they are Go's, wasting at
 * most 12.5% of an object, each with the smallest span whose tail wastes
 * at most 12.5%.  kmalloc's classes, powers of two with 96 and 192, waste
 * up to half, and no gomem class is bigger than kmalloc's.
 *
 * mcentral (mcentral.c), one per class, holds the class's spans under a
 * spinlock and moves objects to and from the per-CPU caches in batches.
 * A batch a CPU flushes waits on the class's transfer stack for its
 * node, as it was, for the next refill there, as tcmalloc's transfer
 * cache has it: up to a page, a batch freed and allocated again never
 * touches its spans, and the scavenger puts what is left back in them.
 * A class with few objects grows by its smallest spans first.  A span
 * whose objects have all come back is kept for the class's next growth
 * (unless it is smaller than the spans the class has come to grow by), as
 * SLUB keeps empty slabs, within the same bound as the mheap's free
 * pages, and given back before gomem grows from the page allocator.  A
 * class with no span at all is cold, and borrows objects of its kmalloc
 * bucket (the 64-byte class for a 48-byte request), a few pages' worth
 * until it or its bucket has no span again: a workload that asks for a
 * few objects each of many classes then shares a few pages among them,
 * as it would share kmalloc's caches, instead of holding a page a class,
 * while a class asked for more soon has spans of its own.
 *
 * mcache (mcache.c), one per CPU, is a stack of free objects per class.
 * Allocation pops and free pushes with interrupts disabled and nothing
 * more (the mcache lock, a local_lock that is just that but on
 * PREEMPT_RT): no lock shared with another CPU on the common path, and
 * one atomic, the free's claim of its object (below).  This is where
 * gomem departs from Go, whose mcache holds one span per class to
 * allocate from: a span shared with whichever CPU frees into it would
 * need atomics on every free, so gomem caches objects, as TCMalloc's
 * per-CPU caches do, and a free goes to the freeing CPU's cache wherever
 * the object came from.  Each cached object travels with the address of
 * its state, so that allocation marks the object live without looking at
 * its page or its span; only a free, which must check a pointer it was
 * handed, looks, and a flush back to the mcentral, which trusts the
 * page's mark.  A CPU caches a class only once it has come back for more:
 * an object used once pins no span.
 *
 * tiny (tiny.c) packs requests of 1 to 4 bytes into 16-byte blocks, one
 * current block per CPU, as Go does for all under 16.  Unlike Go, each
 * block records where its objects start and end, so they can be freed
 * one by one, sized exactly, and checked against double and interior
 * frees; that costs 8 bytes a block, so requests of 5 to 15 bytes, which
 * fit three times at most, take less room in the 8- and 16-byte classes
 * (GOMEM_TINY_REQ_MAX).
 *
 * Objects above 32 KiB are "large": a span of their own, of exactly the
 * pages they need, up to the page allocator's largest block.  A freed one
 * is kept a while, for the next large object of as many pages.
 *
 * Every object has a state in its span (see gomem_internal.h): FREE in its
 * span, CACHED in some mcache, or live, and for a live small object the
 * state also records how far the request fell short of the class size.
 * A free moves an object from live to CACHED with one cmpxchg, so of two
 * frees of one object, even racing ones, exactly one succeeds: a double
 * free is refused and reported, and never puts an object in two caches.
 * The states also make the statistics in /proc/gomem exact: per-CPU
 * counters, updated where the cache is, and summed on read.
 *
 * A request's path
 * ================
 *
 * gomem_alloc(size): 0 gives ZERO_SIZE_PTR; 1 to 4 bytes to tiny; up to
 * 32 KiB pops the class's stack on this CPU (if it is empty, that of the
 * class's lender while the class is cold, else after refilling a batch
 * from the mcentral, which asks the mheap for a span if the class has
 * none, which asks the page allocator for pages if its pool has none);
 * larger sizes take a span of their own.  gomem_free(p) finds p's span
 * through p's page, checks that p is a live object's start, claims it,
 * and pushes it on this CPU's stack (flushing the oldest half to the
 * mcentral if the stack is full, more in a stream of frees).  A large
 * object's span is kept whole, within the surplus the kept empty spans
 * share, and reused by the next large request of its pages on its node;
 * its pages go back to the page allocator when the scavenger, the
 * shrinker or gomem's growth releases it, or at once if it cannot be kept
 * (with init_on_free, the page allocator then zeroes them).
 *
 * Each exported call emits the tracepoints of trace.h, gomem:gomem_alloc
 * and gomem:gomem_free, at its edge, naming the client's call site; the
 * internal paths emit none, so that each object has exactly one of each.
 * debug=1 (debug.c) swaps in checked paths.  Both sit behind one static
 * key, gomem_hooked(), at the entry of each exported call, and so does
 * init_on_free's zeroing of what is freed: while no probe is attached
 * and debug=1, callers=1 and init_on_free are off, the fast paths pay a
 * single NOP for them all, and the events, the checks, the accounting
 * and the zeroing live out of line.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/overflow.h>
#include <linux/kasan-checks.h>

#include "gomem.h"
#include "gomem_internal.h"
#include "tiny.h"
#include "trace.h"

/*
 * Flags whose promise gomem cannot keep (zones, never failing), and bits
 * that are no flag at all, which kmalloc() too warns of (GFP_SLAB_BUG_MASK).
 */
#define GOMEM_GFP_UNSUPPORTED	(GFP_ZONEMASK | __GFP_NOFAIL | ~__GFP_BITS_MASK)

/*
 * Flags no fast path serves: those refused, and __GFP_THISNODE, which
 * holds a request to its node (the CPU's, if it names none), as
 * kmalloc_node() does, where a CPU's stacks may hold objects of another
 * node's (taken while its own had no pages, mheap_spilled()): the slow
 * path takes it straight from the node's spans (gomem_alloc_remote()).
 * One test of one immediate for them all.
 */
#define GOMEM_GFP_SLOW		(GOMEM_GFP_UNSUPPORTED | __GFP_THISNODE)

/*
 * The caller a report or an event names: ip, or where ip is 0, the
 * caller of the exported function the code is inlined into, read only
 * there.  gomem_alloc(), gomem_zalloc(), gomem_alloc_node() and
 * gomem_free() pass 0 to their inline paths, which resolve it at each
 * call out of line that takes it: the fast paths then keep no register
 * for it, nor load it (measured: an allocation 1 instruction fewer; a
 * free 7 fewer together with the counts' move beside the stack, struct
 * mcache_slot, whose address the register it freed holds).  Valid only
 * in code always inlined into that exported function, whose frame it
 * reads.
 */
#define GOMEM_IP(ip)	((ip) ?: _RET_IP_)

/*
 * Sizes served by the small classes: above GOMEM_TINY_REQ_MAX, up to
 * 32 KiB.  Those under 16 bytes sit in the 8- and 16-byte classes more
 * densely than in tiny blocks (gomem_internal.h), and a pop is cheaper
 * than a placement.
 */
static __always_inline bool gomem_small_size(size_t size)
{
	return size - (GOMEM_TINY_REQ_MAX + 1) <=
	       GOMEM_MAX_SMALL - (GOMEM_TINY_REQ_MAX + 1);
}

/* Sizes served by the tiny blocks: 1 to GOMEM_TINY_REQ_MAX bytes. */
static __always_inline bool gomem_tiny_size(size_t size)
{
	return size - 1 < GOMEM_TINY_REQ_MAX;
}

/*
 * What gomem_size() gives for a fresh object of this size, not 0, in its
 * own class (a cold class's borrowed object is bigger:
 * mcentral_class_for()).
 */
static size_t gomem_usable_for(size_t size)
{
	if (gomem_tiny_size(size))
		return size;
	if (size <= GOMEM_MAX_SMALL)
		return gomem_classes[gomem_size_class(size)].size;
	return PAGE_ALIGN(size);
}

void gomem_count_failure(void)
{
	unsigned long flags;

	mcache_lock_irqsave(flags);
	this_cpu_read(gomem_mcache)->stats.alloc_failures++;
	mcache_unlock_irqrestore(flags);
}

/*
 * Count an allocation or a free in st, a class's counts (in its slot),
 * and charge: the requested size for a large object, a small object's
 * state (gomem_class_stats says why); negated for a free.  The mcache
 * locked.
 */
static __always_inline void gomem_account(struct gomem_class_stats *st,
					  s64 bytes, bool alloc)
{
	if (alloc)
		st->allocs++;
	else
		st->frees++;
	st->bytes += bytes;
}

/* gomem_account() for paths that do not hold the mcache lock. */
void gomem_count(unsigned int cls, s64 bytes, bool alloc)
{
	unsigned long flags;

	mcache_lock_irqsave(flags);
	gomem_account(&this_cpu_read(gomem_mcache)->slot[cls].stats, bytes,
		      alloc);
	mcache_unlock_irqrestore(flags);
}
EXPORT_SYMBOL_IF_KUNIT(gomem_count);

/*
 * An object of usable bytes, live now for a request of size, on its way
 * to the caller: zeroed if the flags or init_on_alloc ask, and open to
 * KASAN up to size.  A large object's pages come straight from the page
 * allocator, never from the pools, and it zeroed them already if
 * init_on_alloc is on (mspan_alloc_large() does, for a kept span):
 * zeroing them again cost a 64 KiB object as much as the page
 * allocator's own zeroing.  (__GFP_ZERO is not passed on:
 * the block may be longer than the object.)  Not for tiny objects,
 * whose block tiny.c marks.
 */
static __always_inline void obj_hand_out(void *p, size_t size, size_t usable,
					 gfp_t flags, bool large)
{
	if (want_init_on_alloc(flags) &&
	    !(large && want_init_on_alloc(gomem_inherit_gfp(flags))))
		gomem_zero(p, usable);
	gomem_kasan_alloc(p, size, usable);
}

/*
 * obj_hand_out() of the n objects at p, for the bulk calls: when there is
 * nothing to do, as without init_on_alloc, __GFP_ZERO and KASAN, one test
 * for them all rather than a loop that tests for each.
 */
static __always_inline void obj_hand_out_n(void *const *p, size_t n,
					   size_t size, size_t usable,
					   gfp_t flags, bool large)
{
	size_t j;

	if (want_init_on_alloc(flags) || IS_ENABLED(CONFIG_KASAN))
		for (j = 0; j < n; j++)
			obj_hand_out(p[j], size, usable, flags, large);
}

/*
 * Make o, a CACHED object of class cls, whose slot on this CPU is slot,
 * live as a request of size bytes, from its entry and gomem_live[cls]
 * alone, without its span.  The mcache locked: no other CPU touches the
 * state of an object cached here (see gomem_internal.h), and nothing on
 * this CPU can run in between, so this needs no other lock and no
 * atomic.
 */
static __always_inline void *obj_make_live_in(struct mcache *c,
					      unsigned int cls,
					      struct mcache_slot *slot,
					      size_t size,
					      const struct gomem_obj *o,
					      bool missed)
{
	unsigned int v = gomem_live[cls].top - size;

	/*
	 * A small span's states are 1 or 2 bytes wide, 1 in the smaller
	 * classes: tested as such, not through gomem_set_state_at()'s three
	 * ways, an allocation took 5 or 6 fewer instructions (measured).
	 */
	if (likely(gomem_live[cls].width == 1))
		gomem_set_state_at(o->state, v, 1);
	else
		gomem_set_state_at(o->state, v, 2);
	gomem_account(&slot->stats, v, true);
	c->stats.misses += missed;
	return o->p;
}

/* obj_make_live_in() of an object of class cls. */
static __always_inline void *obj_make_live(struct mcache *c, unsigned int cls,
					   size_t size, const struct gomem_obj *o,
					   bool missed)
{
	return obj_make_live_in(c, cls, &c->slot[cls], size, o, missed);
}

/*
 * Pop an object of class cls off this CPU's mcache and make it live, or
 * give NULL if the stack is empty.  For an allocation that missed the
 * stack, an empty stack is refilled first where that needs no sleep
 * (mcache_refill_held()).
 */
static __always_inline void *mcache_pop(size_t size, unsigned int cls,
					bool missed)
{
	struct mcache_slot *slot;
	unsigned long flags;
	struct mcache *c;
	void *p = NULL;

	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	slot = &c->slot[cls];
	if (likely(slot->n) || (missed && mcache_refill_held(c, cls)))
		p = obj_make_live(c, cls, size, &slot->objs[--slot->n], missed);
	mcache_unlock_irqrestore(flags);
	return p;
}

/*
 * The n objects below top, of spans whose states are width bytes wide,
 * made live into p, the one below top first, as obj_make_live() makes
 * them, and counted by the caller: live is the state of each, the same
 * for a class's objects, computed once (a bulk allocation 1 to 2
 * instructions an object fewer than from each object's span).
 */
static __always_inline void objs_make_live_as(const struct gomem_obj *top,
					      unsigned int live, void **p,
					      unsigned int n, unsigned int width)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		top--;
		gomem_set_state_at(top->state, live, width);
		p[i] = top->p;
	}
}

/* Count n objects of class cls made live for requests of size bytes. */
static __always_inline void objs_count_live(struct mcache *c, unsigned int cls,
					    size_t size, unsigned int n)
{
	c->slot[cls].stats.allocs += n;
	c->slot[cls].stats.bytes += (s64)n * (gomem_mcentral[cls].size - size + 1);
}

/*
 * obj_make_live() for the n CACHED objects of class cls below top, into
 * p.  A class's spans all have its mcentral's state width: tested once,
 * and the objects counted once, for them all (measured: bulk16 at 8 B
 * to 4 KiB 9 to 10% fewer instructions an object).  The mcache locked.
 */
static __always_inline void objs_make_live(struct mcache *c, unsigned int cls,
					   size_t size,
					   const struct gomem_obj *top,
					   void **p, unsigned int n)
{
	const struct mcentral *mc = &gomem_mcentral[cls];
	unsigned int live = mc->size - size + 1;

	if (mc->state_width == 1)
		objs_make_live_as(top, live, p, n, 1);
	else
		objs_make_live_as(top, live, p, n, 2);
	objs_count_live(c, cls, size, n);
}

/*
 * Pop up to n objects of class cls off this CPU's mcache into p, live,
 * under one lock section; give how many (0 if the stack is empty).
 */
static unsigned int mcache_pop_bulk(size_t size, unsigned int cls, void **p,
				    unsigned int n)
{
	struct mcache_slot *slot;
	unsigned long flags;
	struct mcache *c;

	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	slot = &c->slot[cls];
	n = min_t(unsigned int, n, slot->n);
	objs_make_live(c, cls, size, slot->objs + slot->n, p, n);
	slot->n -= n;
	mcache_unlock_irqrestore(flags);
	return n;
}

/*
 * A bulk allocation that found this CPU's stack for cls empty: up to n
 * objects (GOMEM_BATCH_MAX at most) straight from the mcentral into p,
 * live, in one lock round trip, where a refill would have copied them
 * onto the stack first, and, for more than a stack ever holds, taken a
 * round trip for every stack's worth.  Give how many; 0 if the mcentral
 * had none.  The mcentral makes them live itself (mcentral_get_live()),
 * and then they are the caller's: on no stack, and no CPU's business.
 *
 * A call that has taken objects already (emptied: off the stack, which
 * it emptied, or through an earlier bulk_get()) asks for more than the
 * stack held: a wave bigger than the stack, which is a swing (mcache.c:
 * grown_cap()) unless the class grew meanwhile, so that the bulk frees
 * after it grow the stack towards what the waves move.  Without it, a
 * client of nothing but bulk calls sent the part of each wave past the
 * stack through the mcentral, both ways, every time (measured with no
 * other pattern before: bulk16 of 2 KiB 178 instructions an object,
 * bulk128 of 512 B, 1 and 2 KiB 114, 161 and 171; with it 100, and 95,
 * 117 and 141, as after the other patterns' singles had grown it).
 * Interrupts enabled; sleeps only if gfp allows.
 */
static unsigned int bulk_get(size_t size, unsigned int cls, gfp_t gfp,
			     void **p, unsigned int n, bool emptied)
{
	struct mcentral *mc = &gomem_mcentral[cls];
	struct mcache_slot *slot;
	unsigned long flags, grown;
	struct mcache *c;
	unsigned int got;
	bool grew;

	grown = READ_ONCE(mc->nr_grown);
	got = mcentral_get_live(mc, p, size, min_t(unsigned int, n, GOMEM_BATCH_MAX),
				gfp);
	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	objs_count_live(c, cls, size, got);
	slot = &c->slot[cls];
	grew = READ_ONCE(mc->nr_grown) != grown;
	if (emptied && !grew)
		mcache_swung(slot);
	mcache_moved_in(slot, grew);
	c->stats.refills += !!got;
	mcache_unlock_irqrestore(flags);
	return got;
}

/*
 * This CPU's stack for *cls was empty: take an object of the class that
 * serves it now (*cls, or its lender while it is cold: see
 * mcentral_class_for()), which *cls then names: off this CPU's stack for
 * that class if it has one, else after a refill from the mcentral (which
 * may sleep if gfp allows), or the one object that a class new to this
 * CPU gets instead.  Interrupts, or a move to another CPU, may empty the
 * stack before the pop: then refill again.  Inline in gomem_alloc_slow(),
 * its one caller: a call fewer for every refill.
 */
static __always_inline void *small_alloc_slow(size_t size, unsigned int *cls,
					      gfp_t gfp)
{
	unsigned int serves = mcentral_class_for(*cls);
	struct gomem_obj first;
	unsigned long flags;
	void *p = NULL;

	if (serves != *cls)
		p = mcache_pop(size, serves, false);
	*cls = serves;
	while (!p && !(p = mcache_pop(size, serves, true))) {
		first.p = NULL;
		if (!mcache_refill(serves, gfp, &first, 1))
			return NULL;
		if (first.p) {
			mcache_lock_irqsave(flags);
			p = obj_make_live(this_cpu_read(gomem_mcache), serves,
					  size, &first, true);
			mcache_unlock_irqrestore(flags);
			return p;
		}
	}
	return p;
}

/*
 * Up to n large objects of size in p, GOMEM_BATCH_MAX at most, each a
 * span of its own, on node's pages if it can, counted in one section of
 * the mcache lock: how many.  A single call (n a constant 1) takes the
 * single-span entry of each layer below, which runs no loop.
 */
static __always_inline unsigned int large_alloc_bulk(size_t size, int node,
						     gfp_t gfp, void **p,
						     unsigned int n)
{
	struct mspan *spans[GOMEM_BATCH_MAX] __uninitialized;
	unsigned long flags;
	unsigned int got, i;
	struct mcache *c;

	if (n == 1)
		got = !!(spans[0] = mspan_alloc_large(size, node, gfp));
	else
		got = mspan_alloc_large_bulk(size, node, gfp, spans,
					     min_t(unsigned int, n, GOMEM_BATCH_MAX));
	if (!got)
		return 0;
	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	for (i = 0; i < got; i++) {
		gomem_account(&c->slot[GOMEM_LARGE_CLASS].stats, size, true);
		p[i] = (void *)spans[i]->base;
	}
	mcache_unlock_irqrestore(flags);
	return got;
}

/* A large object: a span of its own, on node's pages if it can. */
static void *large_alloc(size_t size, int node, gfp_t gfp)
{
	void *p;

	return large_alloc_bulk(size, node, gfp, &p, 1) ? p : NULL;
}

/*
 * Refuse a request no allocator could serve, or flags gomem cannot
 * honour: true if it was one, reported unless the caller said not to.
 */
static bool gomem_impossible(size_t size, gfp_t flags, unsigned long ip)
{
	enum gomem_bad why;

	if (unlikely(flags & GOMEM_GFP_UNSUPPORTED))
		why = GOMEM_BAD_FLAGS;
	else if (unlikely(size > GOMEM_MAX_SIZE))
		why = GOMEM_BAD_SIZE;
	else
		return false;
	if (!(flags & __GFP_NOWARN))
		gomem_report_request(size, flags, why, ip);
	return true;
}

static void *gomem_alloc_remote(size_t size, gfp_t flags, int node,
				unsigned long ip);

/*
 * A size of 0, refused flags or sizes, __GFP_THISNODE, an empty stack,
 * or a large object: all that gomem_alloc()'s fast paths leave.
 */
static noinline void *gomem_alloc_slow(size_t size, gfp_t flags,
				       unsigned long ip)
{
	unsigned int cls;
	size_t usable;
	void *p;

	might_alloc(flags);
	if (!size)
		return ZERO_SIZE_PTR;
	if (gomem_impossible(size, flags, ip)) {
		p = NULL;
	} else if (flags & __GFP_THISNODE) {
		return gomem_alloc_remote(size, flags, gomem_home_node(), ip);
	} else if (gomem_debug()) {
		return gomem_debug_alloc(size, flags, NUMA_NO_NODE, ip);
	} else if (size <= GOMEM_MAX_SMALL) {
		cls = gomem_size_class(size);
		p = small_alloc_slow(size, &cls, flags);
		usable = gomem_classes[cls].size;
	} else {
		p = large_alloc(size, NUMA_NO_NODE, flags);
		usable = PAGE_ALIGN(size);
	}
	if (unlikely(!p)) {
		gomem_count_failure();
		return NULL;
	}
	obj_hand_out(p, size, usable, flags, size > GOMEM_MAX_SMALL);
	return p;
}

/*
 * might_alloc() catches a request that may sleep made where sleeping is a
 * bug, and is a voluntary preemption point.  Every path that may really
 * sleep calls it; the fast paths, which never sleep, call it only in
 * kernels that check atomic sleeps (debug kernels, such as the test
 * kernel), where misuse is caught even when the fast path serves it, so
 * that a production kernel pays nothing for it there.
 */
static __always_inline void gomem_might_alloc_fast(gfp_t flags)
{
	if (IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP) || IS_ENABLED(CONFIG_LOCKDEP))
		might_alloc(flags);
}

/*
 * The small fast path: an object of size's class off this CPU's stack.
 * mcache_pop(), but with an unlock on each way out, so that the object
 * is not tested again after the unlock (measured: a pair 4 instructions
 * fewer).
 */
static __always_inline void *small_alloc(size_t size, gfp_t flags,
					 unsigned long ip)
{
	unsigned int cls = gomem_size_class(size);
	struct mcache_slot *slot;
	unsigned long irqs;
	struct mcache *c;
	void *p;

	mcache_lock_irqsave(irqs);
	c = this_cpu_read(gomem_mcache);
	slot = &c->slot[cls];
	OPTIMIZER_HIDE_VAR(slot);
	if (unlikely(!slot->n)) {
		mcache_unlock_irqrestore(irqs);
		return gomem_alloc_slow(size, flags, GOMEM_IP(ip));
	}
	p = obj_make_live_in(c, cls, slot, size, &slot->objs[--slot->n],
			     false);
	mcache_unlock_irqrestore(irqs);
	obj_hand_out(p, size, gomem_classes[cls].size, flags, false);
	return p;
}

/*
 * The fast paths: a small object popped off this CPU's stack, or a tiny
 * one placed in this CPU's block.  All else goes through
 * gomem_alloc_slow().  ip is the caller a report names; only the slow
 * paths read it.  No event: gomem_alloc_hooked() emits it.  hooked says
 * whether the caller is gomem_alloc_hooked(): only then may debug=1 be
 * on, which holds the hooks on from the load (gomem_debug_init()), so
 * the unhooked path skips its test (a tiny allocation 1 instruction
 * fewer).
 */
static __always_inline void *gomem_alloc_untraced(size_t size, gfp_t flags,
						  unsigned long ip, bool hooked)
{
	gomem_might_alloc_fast(flags);
	if (likely(gomem_small_size(size) && !(flags & GOMEM_GFP_SLOW)))
		return small_alloc(size, flags, ip);
	if (gomem_tiny_size(size) && !(flags & GOMEM_GFP_SLOW)) {
		/* debug=1 serves tiny sizes from small classes, checked. */
		if (hooked && gomem_debug())
			return gomem_debug_alloc(size, flags, NUMA_NO_NODE,
						 GOMEM_IP(ip));
		/* Zeroed, marked for KASAN and failures counted by tiny.c. */
		return tiny_alloc(size, flags);
	}
	return gomem_alloc_slow(size, flags, GOMEM_IP(ip));
}

/*
 * Is addr the start of a live object of small span s, whose states are
 * width bytes wide?  If so, its index, the address of its state and its
 * state.  Reads only.
 */
static __always_inline bool mspan_live_as(const struct mspan *s,
					  unsigned long addr, unsigned int width,
					  unsigned int *idx, void **state_at,
					  unsigned int *state)
{
	unsigned int i, st;
	void *at;

	if (unlikely(!mspan_start(s, addr, &i)))
		return false;
	at = mspan_state_ptr(s, i, width);
	st = gomem_state_at(at, width);
	if (unlikely(st == GOMEM_OBJ_FREE || st == gomem_state_cached(width)))
		return false;
	*idx = i;
	*state_at = at;
	*state = st;
	return true;
}

/*
 * s, the span of addr's page as gomem_span_of() found it, if addr is a
 * live object's start there, with the object's index and state if it is
 * small; NULL if it is not (gomem_why() says why).  A tiny object is
 * checked by its caller, in tiny.c.  Reads only.  RCU-sched reader.
 */
static __always_inline struct mspan *
gomem_lookup_in(struct mspan *s, unsigned long addr, unsigned int *idx,
		unsigned int *state)
{
	unsigned int i, st;
	void *at;

	if (unlikely(!s))
		return NULL;
	if (likely(s->kind == MSPAN_SMALL)) {
		if (unlikely(!mspan_live_as(s, addr, s->state_width, &i,
					    &at, &st)))
			return NULL;
		*idx = i;
		*state = st;
	} else if (s->kind == MSPAN_LARGE &&
		   unlikely(addr != s->base || !READ_ONCE(s->live))) {
		return NULL;
	}
	return s;
}

static __always_inline struct mspan *
gomem_lookup(unsigned long addr, unsigned int *idx, unsigned int *state)
{
	return gomem_lookup_in(gomem_span_of(addr), addr, idx, state);
}

/* Size of the live object at addr as gomem_lookup() found it. */
static size_t gomem_usable(struct mspan *s, unsigned long addr)
{
	if (s->kind == MSPAN_TINY)
		return tiny_size(s, addr);
	if (s->kind == MSPAN_SMALL)
		return gomem_classes[s->spanclass].size;
	return (size_t)s->npages << PAGE_SHIFT;
}

/* Bytes asked for, of a small or large object (tiny: tiny_size_seen()). */
static size_t gomem_requested(struct mspan *s, unsigned int state)
{
	if (s->kind == MSPAN_SMALL)
		return s->size - (state - 1);
	return s->req;
}

/*
 * The gomem_alloc event, out of line, for gomem_trace_alloc(), whose
 * callers are the hooked paths, bulk allocation and realloc, never the
 * fast paths (see gomem_hooked()).  bytes_alloc is what gomem_size()
 * would say.
 */
static noinline void gomem_trace_alloc_event(const void *p, size_t size,
					     gfp_t flags, int node,
					     unsigned long ip)
{
	unsigned long addr = (unsigned long)p;
	size_t usable = 0;
	unsigned int i, st;
	struct mspan *s;

	if (!ZERO_OR_NULL_PTR(p)) {
		rcu_read_lock_sched();
		s = gomem_lookup(addr, &i, &st);
		if (s)
			usable = gomem_usable(s, addr);
		rcu_read_unlock_sched();
	}
	trace_gomem_alloc(ip, p, size, usable, flags, node);
}

static __always_inline void gomem_trace_alloc(const void *p, size_t size,
					      gfp_t flags, int node,
					      unsigned long ip)
{
	if (trace_gomem_alloc_enabled())
		gomem_trace_alloc_event(p, size, flags, node, ip);
}

/*
 * gomem_trace_alloc() of the n objects at p, for the bulk calls: while
 * the event is off, one test for them all, not a loop that tests it for
 * each (5 instructions an object, measured).
 */
static __always_inline void gomem_trace_alloc_n(void *const *p, size_t n,
						size_t size, gfp_t flags,
						unsigned long ip)
{
	size_t j;

	if (trace_gomem_alloc_enabled())
		for (j = 0; j < n; j++)
			gomem_trace_alloc_event(p[j], size, flags, NUMA_NO_NODE, ip);
}

/*
 * gomem_alloc() of another node's memory, or of any node's with
 * __GFP_THISNODE: an object of the size's class (tiny sizes too: the
 * tiny blocks are per CPU) taken straight from that node's spans in its
 * mcentral, or a large span on that node.  Never through the mcache,
 * whose objects are its CPU's node's, but for those it took from
 * another node while its own had no pages (mheap_spilled()).
 */
static noinline void *gomem_alloc_remote(size_t size, gfp_t flags, int node,
					 unsigned long ip)
{
	unsigned long irqs;
	struct gomem_obj o;
	unsigned int cls;
	size_t usable;
	void *p = NULL;

	/* Sizes of 0 and refused requests: as anywhere. */
	if (!size || size > GOMEM_MAX_SIZE || (flags & GOMEM_GFP_UNSUPPORTED))
		return gomem_alloc_slow(size, flags, ip);
	/* debug=1 and callers=1 keep their records, on node all the same. */
	if (gomem_debug())
		return gomem_debug_alloc(size, flags, node, ip);
	might_alloc(flags);
	if (size > GOMEM_MAX_SMALL) {
		p = large_alloc(size, node, flags);
		usable = PAGE_ALIGN(size);
	} else {
		cls = mcentral_class_for(gomem_size_class(size));
		if (mcentral_get(&gomem_mcentral[cls], &o, 1, flags, node)) {
			mcache_lock_irqsave(irqs);
			p = obj_make_live(this_cpu_read(gomem_mcache), cls, size, &o, true);
			mcache_unlock_irqrestore(irqs);
		}
		usable = gomem_classes[cls].size;
	}
	if (unlikely(!p)) {
		gomem_count_failure();
		return NULL;
	}
	obj_hand_out(p, size, usable, flags, size > GOMEM_MAX_SMALL);
	return p;
}

/*
 * An allocation on node, or NUMA_NO_NODE, untraced; hooked as for
 * gomem_alloc_untraced().
 */
static __always_inline void *gomem_alloc_node_ip(size_t size, gfp_t flags,
						 int node, unsigned long ip,
						 bool hooked)
{
	if (node == NUMA_NO_NODE)
		return gomem_alloc_untraced(size, flags, ip, hooked);
	if (unlikely(node < 0 || node >= nr_node_ids)) {
		if (!(flags & __GFP_NOWARN))
			gomem_report_node(size, flags, node, GOMEM_IP(ip));
		gomem_count_failure();
		return NULL;
	}
	/*
	 * As kmalloc_node(): a node that is not online means any node, and
	 * one without memory gomem can use the nearest that has, whose pages
	 * it would get (mheap_memory_node()).
	 */
	if (!node_online(node))
		return gomem_alloc_untraced(size, flags, ip, hooked);
	node = mheap_memory_node(node);
	/*
	 * Held to node (__GFP_THISNODE), a request goes straight to node:
	 * through the untraced path, the slow path would hold it to the home
	 * node it reads again, another node's if the task moved to another
	 * node's CPU meanwhile (seen in make stress: 1 of 62,999 objects).
	 */
	if (node == gomem_home_node() && !(flags & __GFP_THISNODE))
		return gomem_alloc_untraced(size, flags, ip, hooked);
	return gomem_alloc_remote(size, flags, node, GOMEM_IP(ip));
}

/* An allocation with the event, out of line: see gomem_hooked(). */
static noinline void *gomem_alloc_hooked(size_t size, gfp_t flags, int node,
					 unsigned long ip)
{
	void *p = gomem_alloc_node_ip(size, flags, node, ip, true);

	gomem_trace_alloc(p, size, flags, node, ip);
	return p;
}

/* Every API call that allocates, with ip the caller a report names. */
static __always_inline void *gomem_alloc_ip(size_t size, gfp_t flags,
					    int node, unsigned long ip)
{
	if (gomem_hooked())
		return gomem_alloc_hooked(size, flags, node, GOMEM_IP(ip));
	return gomem_alloc_node_ip(size, flags, node, ip, false);
}

void *gomem_alloc(size_t size, gfp_t flags)
{
	return gomem_alloc_ip(size, flags, NUMA_NO_NODE, 0);
}
EXPORT_SYMBOL_GPL(gomem_alloc);

void *gomem_zalloc(size_t size, gfp_t flags)
{
	return gomem_alloc_ip(size, flags | __GFP_ZERO, NUMA_NO_NODE, 0);
}
EXPORT_SYMBOL_GPL(gomem_zalloc);

void *gomem_alloc_node(size_t size, gfp_t flags, int node)
{
	return gomem_alloc_ip(size, flags, node, 0);
}
EXPORT_SYMBOL_GPL(gomem_alloc_node);

/* gomem_free_locked() found no live object's start: report it. */
#define GOMEM_FREE_BAD	((struct mspan *)1)

/*
 * gomem_free_locked() of the object at addr in small span s, of class
 * cls, whose slot on this CPU is slot, and whose states are width bytes
 * wide; if fits, mcache_push_fits() said it does.
 */
static __always_inline struct mspan *gomem_free_small(struct mcache *c,
						      struct mcache_slot *slot,
						      unsigned int cls,
						      unsigned long addr,
						      struct mspan *s,
						      bool zero,
						      unsigned int width,
						      bool fits)
{
	unsigned int i, st;
	void *at;

	if (unlikely(!mspan_live_as(s, addr, width, &i, &at, &st) ||
		     !gomem_claim_at(at, st, width)))
		return GOMEM_FREE_BAD;
	if (zero)
		gomem_zero((void *)addr, s->size);
	gomem_kasan_free((void *)addr, s->size);
	gomem_account(&slot->stats, -(s64)st, false);
	if (fits)
		mcache_push_fit(slot, (void *)addr, at);
	else
		mcache_push(c, cls, (void *)addr, s, at);
	return NULL;
}

/*
 * gomem_free_locked() of the object at addr in large span s: its span's
 * start, and live until claimed.
 */
static __always_inline struct mspan *gomem_free_large_locked(struct mcache *c,
							     unsigned long addr,
							     struct mspan *s)
{
	if (unlikely(addr != s->base || cmpxchg(&s->live, 1, 0) != 1))
		return GOMEM_FREE_BAD;
	gomem_account(&c->slot[GOMEM_LARGE_CLASS].stats, -(s64)s->req, false);
	return s;
}

/*
 * The free of p, whose page's span gomem_span_of() found to be s, as far
 * as it goes under this CPU's mcache lock: a small or tiny object goes
 * back to c, zeroed first if zero (init_on_free), and NULL is returned;
 * a large one is claimed, and its span returned, to be freed with
 * interrupts as the caller had them; anything else is GOMEM_FREE_BAD.
 * Of two racing frees of one object, one claims it, the other finds it
 * not live.  A small span's state width is tested as in obj_make_live(),
 * here, and on gomem_free()'s fast path with its kind (mspan_small_as())
 * (measured: a pair 4 to 7 instructions fewer than with
 * gomem_lookup_in()'s dispatch and mspan_claim()'s).  For the calls that
 * free what gomem_free()'s fast path does not, and the bulk free.  The
 * mcache locked, c this CPU's, p neither NULL nor ZERO_SIZE_PTR, s not
 * NULL.
 */
static __always_inline struct mspan *gomem_free_locked(struct mcache *c,
						       const void *p,
						       struct mspan *s,
						       bool zero)
{
	unsigned long addr = (unsigned long)p;
	unsigned int cls = s->spanclass;

	if (likely(s->kind == MSPAN_SMALL)) {
		if (likely(s->state_width == 1))
			return gomem_free_small(c, &c->slot[cls], cls, addr, s,
						zero, 1, false);
		return gomem_free_small(c, &c->slot[cls], cls, addr, s, zero, 2,
					false);
	}
	if (s->kind == MSPAN_TINY)
		return tiny_free(c, s, addr) ? NULL : GOMEM_FREE_BAD;
	return gomem_free_large_locked(c, addr, s);
}

/*
 * Large objects' spans that gomem_free_locked() claimed, n of them,
 * freed; a single free by the single-span entry, as large_alloc_bulk().
 */
static __always_inline void large_free(struct mspan **spans, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		gomem_kasan_free((void *)spans[i]->base,
				 (size_t)spans[i]->npages << PAGE_SHIFT);
	if (n == 1)
		mspan_free_large(spans[0]);
	else
		mspan_free_large_bulk(spans, n);
}

/*
 * What gomem_free_locked() left, s, once the mcache is unlocked: a large
 * object's span to free, or a report; fn names the call.
 */
static noinline void gomem_free_finish(const void *p, struct mspan *s,
				       const char *fn, unsigned long ip)
{
	if (s == GOMEM_FREE_BAD) {
		gomem_report_bad_free(fn, p, ip);
		return;
	}
	large_free(&s, 1);
}

/*
 * The rest of gomem_free_as()'s free of p, which was no small object
 * that fits on this CPU's stack, with the mcache locked as it left it:
 * s is the span of p's page, or NULL if it did not find one or did not
 * look (memory hot-added since the load), and then it is looked up the
 * full way.  Freed as gomem_free_locked() frees, with the mcache unlocked
 * on the way out (flags, as mcache_lock_irqsave() saved them).
 */
static noinline void gomem_free_span(const void *p, struct mspan *s,
				     unsigned long flags, unsigned long ip,
				     bool zero)
	__releases(&gomem_mcache_lock)
{
	if (!s)
		s = gomem_span_of((unsigned long)p);
	s = s ? gomem_free_locked(this_cpu_read(gomem_mcache), p, s, zero) :
		GOMEM_FREE_BAD;
	mcache_unlock_irqrestore(flags);
	if (s)
		gomem_free_finish(p, s, "gomem_free", ip);
}

/*
 * gomem_free_as() of a large object, in large span s; as
 * gomem_free_span(), without its tests for the other kinds.
 */
static noinline void gomem_free_large(const void *p, struct mspan *s,
				      unsigned long flags, unsigned long ip)
	__releases(&gomem_mcache_lock)
{
	s = gomem_free_large_locked(this_cpu_read(gomem_mcache),
				    (unsigned long)p, s);
	mcache_unlock_irqrestore(flags);
	gomem_free_finish(p, s, "gomem_free", ip);
}

/*
 * gomem_free_as() found p not live, or lost its claim to a racing free:
 * refused, as gomem_free_locked() refuses it, and not looked at again,
 * so that of two racing frees one is always refused, even if the object
 * was handed out again meanwhile.
 */
static noinline void gomem_free_refused(const void *p, unsigned long flags,
					unsigned long ip)
	__releases(&gomem_mcache_lock)
{
	mcache_unlock_irqrestore(flags);
	gomem_free_finish(p, GOMEM_FREE_BAD, "gomem_free", ip);
}

/*
 * gomem_free_as() of p in s, a small span whose states are width bytes
 * wide, with the mcache locked (flags, as mcache_lock_irqsave() saved
 * them).
 */
static __always_inline void gomem_free_fast(const void *p, unsigned long ip,
					    bool zero, unsigned long flags,
					    struct mspan *s, unsigned int width)
{
	struct mcache *c = this_cpu_read(gomem_mcache);
	unsigned int cls = s->spanclass;
	struct mcache_slot *slot = &c->slot[cls];

	/*
	 * Kept in a register from here, for the push and the counts after
	 * the claim: the compiler computed it again from cls after the
	 * claim, which kept cls in a register of its own and, with none
	 * left, saved and restored one (seen in the disassembly: 6
	 * instructions more).
	 */
	OPTIMIZER_HIDE_VAR(slot);
	if (unlikely(!mcache_push_fits(slot, s)))
		return gomem_free_span(p, s, flags, GOMEM_IP(ip), zero);
	s = gomem_free_small(c, slot, cls, (unsigned long)p, s, zero, width,
			     true);
	if (unlikely(s))
		return gomem_free_refused(p, flags, GOMEM_IP(ip));
	mcache_unlock_irqrestore(flags);
}

/*
 * The free of p, neither NULL nor ZERO_SIZE_PTR, zeroing a small object
 * first if zero.  The fast paths free a live small object that fits on
 * this CPU's stack, as gomem_free_small() does (gomem_free_fast()), and a
 * live tiny one whose block stays in use (tiny_free_unlock(), inline from
 * tiny.h), and call nothing; everything else ends in a tail call that
 * unlocks the mcache itself, before which the object is not claimed: a
 * tiny one that completes its block, or that lost a race or is refused
 * (tiny.h says which), a large one (gomem_free_large()), a refused one
 * (gomem_free_refused()), and all the rest, a full stack, a pointer in
 * memory hot-added since the load or a foreign one
 * (gomem_free_span()).  So no register lives across a call, and the
 * function saves none (measured, with the claim a try_cmpxchg(): pairs of
 * 8 B to 32 KiB objects took 6 to 7 instructions fewer, 167 down to 160
 * from 8 B to 1 KiB, and of 64 KiB 7 fewer; it saved four registers
 * before).  The tiny free inline cost the small one an instruction (the
 * span's register moved: a pair of 8 bytes 124, not 123) and saved the
 * tiny one 8 (a pair of 1 byte 132 to 124; scripts/bench
 * sizes=1,8,64,4096).  Under the mcache lock the stack cannot fill, nor
 * its span go, between the test and the push; the claim's cmpxchg is
 * what settles a race with another CPU's free of the same object, and a
 * tiny block's generation in its "freed" word a stalled one's.
 */
static __always_inline void gomem_free_as(const void *p, unsigned long ip,
					  bool zero)
{
	unsigned long addr = (unsigned long)p, flags;
	struct mspan *s;

	mcache_lock_irqsave(flags);
	if (unlikely(!gomem_pfn_counted((addr - PAGE_OFFSET) >> PAGE_SHIFT)))
		return gomem_free_span(p, NULL, flags, GOMEM_IP(ip), zero);
	s = gomem_span_of(addr);
	if (unlikely(!s))
		return gomem_free_span(p, NULL, flags, GOMEM_IP(ip), zero);
	if (likely(mspan_small_as(s, 1)))
		return gomem_free_fast(p, ip, zero, flags, s, 1);
	if (mspan_small_as(s, 2))
		return gomem_free_fast(p, ip, zero, flags, s, 2);
	if (mspan_tiny_not_small(s))
		return tiny_free_unlock(s, addr, flags, GOMEM_IP(ip));
	return gomem_free_large(p, s, flags, GOMEM_IP(ip));
}

/*
 * Out of line, as tiny_free_zeroing(): gomem_free_hooked()'s usual free,
 * with init_on_free off, then saves no registers for the memset() it
 * never calls (measured, when this was the fast path's: 4 instructions
 * a free).
 */
static noinline void gomem_free_zeroing(const void *p, unsigned long ip)
{
	gomem_free_as(p, ip, true);
}

/*
 * The free's fast path, with neither event nor debug=1's checks, and
 * without init_on_free's zeroing: only while gomem_hooked() is off, which
 * init_on_free keeps on (gomem_hook_init()), so that this tests one key,
 * not two (measured: a free 1 instruction fewer).
 */
static __always_inline void gomem_free_unhooked(const void *p,
						unsigned long ip)
{
	if (likely(!ZERO_OR_NULL_PTR(p)))
		gomem_free_as(p, ip, false);
}

/*
 * A free with the event, and debug=1's or callers=1's path if on, or
 * init_on_free's zeroing.
 */
static noinline void gomem_free_hooked(const void *p, unsigned long ip)
{
	/* Every call, NULL and bad ones too, as kfree() traces them. */
	trace_gomem_free(ip, p);
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (gomem_debug())
		gomem_debug_free(p, ip);
	else if (want_init_on_free())
		gomem_free_zeroing(p, ip);
	else
		gomem_free_as(p, ip, false);
}

/* Every API call that frees, with ip the caller a report names. */
static __always_inline void gomem_free_ip(const void *p, unsigned long ip)
{
	if (gomem_hooked())
		gomem_free_hooked(p, GOMEM_IP(ip));
	else
		gomem_free_unhooked(p, ip);
}

void gomem_free(const void *p)
{
	gomem_free_ip(p, 0);
}
EXPORT_SYMBOL_GPL(gomem_free);

size_t gomem_size(const void *p)
{
	unsigned long addr = (unsigned long)p;
	unsigned int i = 0, st;
	struct mspan *s;
	size_t size = 0;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	rcu_read_lock_sched();
	s = gomem_lookup(addr, &i, &st);
	if (s)
		size = gomem_usable(s, addr);
	/* The caller may now use all of it, as with ksize(). */
	if (size && s->kind != MSPAN_TINY) {
		gomem_kasan_alloc(p, size, size);
		if (gomem_debug())
			gomem_debug_resize(s, i, p, size);
	}
	rcu_read_unlock_sched();
	if (!size)
		gomem_report("pointer", "gomem_size", p, gomem_why(addr),
			     _RET_IP_);
	return size;
}
EXPORT_SYMBOL_GPL(gomem_size);

/* gomem_resize()'s change of class cls's bytes, the mcache unlocked. */
static void gomem_count_bytes(unsigned int cls, s64 bytes)
{
	unsigned long flags;

	mcache_lock_irqsave(flags);
	this_cpu_read(gomem_mcache)->slot[cls].stats.bytes += bytes;
	mcache_unlock_irqrestore(flags);
}

/*
 * Hold the small or large object at p, which gomem_lookup() found live
 * in s (a small one at index i, in state st), in the lookup's RCU
 * section: a small one as CACHED (on no CPU's stack, which only the
 * holder takes it off), a large one at GOMEM_LARGE_RESIZING.  Until
 * gomem_unhold(), a free of it on another CPU is refused: so nothing
 * else can be put in its place while a realloc that moves it copies it
 * and before the realloc frees it, and a large span's request can change
 * (gomem_resize()).  A small object not FREE keeps its span, and a large
 * span held is freed by nobody, so s outlives the RCU section.  Returns
 * false if such a free claimed it first.  Tiny objects have no state to
 * hold them with: their move frees them by the generation it saw
 * (tiny_free_moved()).
 */
static bool gomem_hold(struct mspan *s, unsigned int i, unsigned int st)
{
	if (s->kind == MSPAN_SMALL)
		return mspan_swap_state_as(s, i, st,
					   gomem_state_cached(s->state_width),
					   s->state_width);
	return cmpxchg(&s->live, 1, GOMEM_LARGE_RESIZING) == 1;
}

/*
 * Live in state st again, once every read of the held object is done:
 * gomem_unhold() without its stub, for gomem_resize() inside the
 * lookup's RCU-sched section.
 */
static void gomem_live_again(struct mspan *s, unsigned int i, unsigned int st)
{
	if (s->kind != MSPAN_SMALL) {
		/* A release: the copy's reads come before a free can win. */
		smp_store_release(&s->live, 1);
	} else if (s->state_width == 1) {
		/* The same release. */
		smp_store_release(&((u8 *)s->state)[i], st);
	} else {
		/* The same release. */
		smp_store_release(&((u16 *)s->state)[i], st);
	}
}

/*
 * gomem_live_again(), by a realloc that moved the object, outside any RCU
 * section.  The bad input suite frees the object from a test's stub in
 * its place, while it is still held.  The stub is not looked up where
 * preemption is off: KUnit finds it under a spinlock_t, which sleeps on
 * PREEMPT_RT (found by KUnit in the test-rt kernel).
 */
void gomem_unhold(struct mspan *s, unsigned int i, unsigned int st)
{
	KUNIT_STATIC_STUB_REDIRECT(gomem_unhold, s, i, st);
	gomem_live_again(s, i, st);
}
EXPORT_SYMBOL_IF_KUNIT(gomem_unhold);

/*
 * Zero the bytes of the object at p from its new request to its usable
 * size, held (gomem_hold()) so that no free and no new owner can come in
 * between.  Through KASAN's marks: they may cover the old request's end.
 */
static void gomem_zero_spare(const void *p, size_t new, size_t usable)
{
	kasan_disable_current();
	memset((void *)p + new, 0, usable - new);
	kasan_enable_current();
}

/*
 * Change the recorded request of the small or large object at p from old to
 * new bytes (the same or not), where it stays, and its record under debug=1
 * or callers=1 (gomem_debug_resize()), and with zero, zero the bytes past
 * the new request: gomem_lookup() found it live in s (a small one at index
 * i, in state st, of usable bytes), and the RCU section of the lookup still
 * holds, so s is still a span.  The caller owns the object, but a free of it
 * on another CPU (the caller's bug) may claim it at any moment, and its
 * state, its span and its bytes are then no longer the caller's to write:
 * they may be in a CPU's cache, or handed out again.  So a small object's
 * new state replaces st by compare-and-exchange, and an object is held while
 * its bytes are zeroed or its record changes, and a large span while its
 * request changes, which fails the free's claim; each way one of the two
 * calls is refused.  (Not if the free, and an allocation that got the same
 * object (of the same request, for a small one), both fall between the
 * lookup and the exchange: the new owner's request is then recorded as new,
 * as a stale pointer would have it.)  Returns false if the free won.
 * Otherwise *charge is what the class's bytes change by, for the caller to
 * count once out of the RCU section (where the mcache lock may sleep, under
 * PREEMPT_RT).
 */
static bool gomem_resize(const void *p, struct mspan *s, unsigned int i,
			 unsigned int st, size_t old, size_t new, size_t usable,
			 bool zero, s64 *charge)
{
	bool small = s->kind == MSPAN_SMALL;
	/* A small object's state falls by as much as its request grows. */
	unsigned int to = small ? s->size - new + 1 : st;

	if (small && !zero && !gomem_debug()) {
		if (!mspan_swap_state_as(s, i, st, to, s->state_width))
			return false;
	} else {
		if (!gomem_hold(s, i, st))
			return false;
		if (zero)
			gomem_zero_spare(p, new, usable);
		if (gomem_debug())
			gomem_debug_resize(s, i, p, new);
		if (!small)
			s->req = new;
		gomem_live_again(s, i, to);
	}
	*charge = small ? (s64)old - (s64)new : (s64)new - (s64)old;
	return true;
}

/*
 * krealloc()'s contract: the contents up to min(usable size, new size)
 * are kept, since gomem_size() let the caller write every usable byte,
 * and only __GFP_ZERO or init_on_alloc zero anything: the bytes a move
 * adds past the old usable size, and when the object stays, its bytes
 * past the new size, as 6.12's krealloc() zeroes them (6.1's did not):
 * a later realloc with __GFP_ZERO that grows in place then finds them
 * zero, as it promises.
 */
void *gomem_realloc(const void *p, size_t new_size, gfp_t flags)
{
	unsigned long addr = (unsigned long)p;
	unsigned int i = 0, st = 0, cls = 0;
	size_t old = 0, usable = 0, copy;
	bool stay, zero, tiny = false;
	struct mspan *s;
	s64 charge = 0;
	u32 seen = 0;
	void *n;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return gomem_alloc_ip(new_size, flags, NUMA_NO_NODE, _RET_IP_);
	if (unlikely(!new_size)) {
		gomem_free_ip(p, _RET_IP_);
		return ZERO_SIZE_PTR;
	}
	rcu_read_lock_sched();
	s = gomem_lookup(addr, &i, &st);
	if (s) {
		/* Read now: unless held, s may go once the RCU section ends. */
		tiny = s->kind == MSPAN_TINY;
		cls = s->kind == MSPAN_SMALL ? s->spanclass : GOMEM_LARGE_CLASS;
		/* A tiny object: with the word its move frees it by. */
		usable = tiny ? tiny_size_seen(s, addr, &seen) :
				gomem_usable(s, addr);
		old = tiny ? usable : gomem_requested(s, st);
	}
	/*
	 * Stay put if a fresh object of the new size would have the same
	 * usable size, so that the waste bound still holds after; every
	 * byte up to the new size stays as it is.  debug=1 moves unless
	 * the size stays the same, so that a stale pointer to the old place
	 * shows, and so does callers=1, so that the new object's record
	 * names this call.
	 */
	stay = old && gomem_usable_for(new_size) == usable &&
	       (!gomem_debug() || new_size == old);
	/*
	 * Past the request, a tiny object has no bytes, and under debug=1 a
	 * small or large one has its redzone, not the caller's to zero.
	 */
	zero = stay && new_size < usable && want_init_on_alloc(flags) &&
	       !gomem_debug_checks();
	/*
	 * Staying, a small or large object's request is new_size anew, the
	 * same size or not: gomem_size() may have given the caller every
	 * usable byte, and the KASAN marks (and under debug=1 or callers=1
	 * the record and the redzone) end at new_size again, as krealloc()
	 * marks an object that stays anew.  A tiny object's never grow.
	 */
	if (stay && !tiny) {
		if (gomem_resize(p, s, i, st, old, new_size, usable, zero,
				 &charge))
			gomem_kasan_alloc(p, new_size, usable);
		else
			old = 0;
	} else if (old && !stay && !tiny && !gomem_hold(s, i, st)) {
		old = 0;
	}
	rcu_read_unlock_sched();
	if (unlikely(!old)) {
		gomem_report_bad_free("gomem_realloc", p, _RET_IP_);
		return NULL;
	}
	if (stay) {
		if (new_size != old)
			gomem_count_bytes(cls, charge);
		/* Traced as a free and an allocation, so the events pair. */
		trace_gomem_free(_RET_IP_, p);
		gomem_trace_alloc(p, new_size, flags, NUMA_NO_NODE, _RET_IP_);
		return (void *)p;
	}
	n = gomem_alloc_ip(new_size, flags, NUMA_NO_NODE, _RET_IP_);
	if (!n) {
		if (!tiny)
			gomem_unhold(s, i, st);
		return NULL;
	}
	copy = min(usable, new_size);
	/* Every usable byte is the caller's, past its request or not. */
	if (!tiny)
		gomem_kasan_alloc(p, usable, usable);
	/* memcpy() is not checked by KASAN with every compiler (GCC 12). */
	kasan_check_read(p, copy);
	kasan_check_write(n, copy);
	memcpy(n, p, copy);
	if (tiny) {
		/* Traced as by gomem_free_ip(), refused or not. */
		trace_gomem_free(_RET_IP_, p);
		if (!tiny_free_moved(p, s, seen))
			gomem_report_bad_free("gomem_realloc", p, _RET_IP_);
		return n;
	}
	/*
	 * From here to its own free's claim, a racing free may win, and the
	 * realloc's free be refused: a window of a few instructions, which
	 * the README counts with the stale pointers.
	 */
	gomem_unhold(s, i, st);
	gomem_free_ip(p, _RET_IP_);
	return n;
}
EXPORT_SYMBOL_GPL(gomem_realloc);

/* A bulk allocation failed: free the n objects it had, and return 0. */
static int gomem_alloc_bulk_undo(void **ptrs, size_t n, unsigned long ip)
{
	while (n--)
		gomem_free_ip(ptrs[n], ip);
	return 0;
}

/*
 * gomem_alloc_bulk() of large objects: GOMEM_BATCH_MAX at a time, the
 * kept spans among them taken in one lock round trip.  Out of line, not
 * to cost the small objects' loop its registers.
 */
static noinline int gomem_alloc_bulk_large(size_t size, gfp_t flags,
					   size_t nr, void **ptrs,
					   unsigned long ip)
{
	size_t i, got, want;

	gomem_might_alloc_fast(flags);
	for (i = 0; i < nr; i += got) {
		want = min_t(size_t, nr - i, GOMEM_BATCH_MAX);
		got = large_alloc_bulk(size, NUMA_NO_NODE, flags, ptrs + i, want);
		obj_hand_out_n(ptrs + i, got, size, PAGE_ALIGN(size), flags, true);
		gomem_trace_alloc_n(ptrs + i, got, size, flags, ip);
		if (got < want) {
			/* No pages to be had: as gomem_alloc() fails, all of it. */
			gomem_count_failure();
			gomem_trace_alloc(NULL, size, flags, NUMA_NO_NODE, ip);
			return gomem_alloc_bulk_undo(ptrs, i + got, ip);
		}
	}
	return nr;
}

/*
 * Like nr calls of gomem_alloc(), each object checked and traced as
 * there, but small objects come off this CPU's stack as many at a time
 * as it holds, and tiny ones are placed as many at a time as its blocks
 * hold, one lock section for them all; large ones come a batch of spans
 * at a time (gomem_alloc_bulk_large()).
 */
int gomem_alloc_bulk(size_t size, gfp_t flags, size_t nr, void **ptrs)
{
	size_t i, got, usable;
	unsigned int cls, rest;

	if (unlikely(!nr || !ptrs || nr > INT_MAX)) {
		/* The count comes back as an int; 0 is also failure. */
		gomem_report_bulk("gomem_alloc_bulk", nr, ptrs, _RET_IP_);
		gomem_count_failure();
		return 0;
	}
	if (gomem_tiny_size(size) && !(flags & GOMEM_GFP_SLOW) &&
	    !gomem_debug()) {
		/* Tiny, but with debug=1, which serves them from small classes. */
		gomem_might_alloc_fast(flags);
		for (i = 0; i < nr; i += got) {
			got = tiny_alloc_bulk(size, flags, ptrs + i,
					      min_t(size_t, nr - i, UINT_MAX));
			/* As tiny_alloc(), it counted a failure. */
			if (!got) {
				gomem_trace_alloc(NULL, size, flags, NUMA_NO_NODE, _RET_IP_);
				goto fail;
			}
			gomem_trace_alloc_n(ptrs + i, got, size, flags, _RET_IP_);
		}
		return nr;
	}
	if (size > GOMEM_MAX_SMALL && size <= GOMEM_MAX_SIZE &&
	    !(flags & GOMEM_GFP_SLOW) && !gomem_debug())
		return gomem_alloc_bulk_large(size, flags, nr, ptrs, _RET_IP_);
	if (!gomem_small_size(size) || (flags & GOMEM_GFP_SLOW)) {
		for (i = 0; i < nr; i++) {
			ptrs[i] = gomem_alloc_ip(size, flags, NUMA_NO_NODE, _RET_IP_);
			if (!ptrs[i])
				goto fail;
		}
		return nr;
	}
	/*
	 * Small objects: as many as the stack has at each lock section.
	 * When it is empty, and this CPU has a stack for the class, the rest
	 * comes straight from the mcentral (bulk_get()), none left over for
	 * the frees to flush, and none copied onto the stack on its way
	 * (measured: bulk128 of 8 to 256 B 3 to 4% fewer instructions an
	 * object, of 2 KiB 18% fewer, than through refills of the stack); a
	 * rest of one object refills the stack, as gomem_alloc() would.
	 * Without a stack, or if that fails, one object comes through the
	 * slow path, which borrows, makes the stack and reports as
	 * gomem_alloc() does.
	 */
	gomem_might_alloc_fast(flags);
	cls = gomem_size_class(size);
	usable = gomem_classes[cls].size;
	for (i = 0; i < nr; i += got) {
		rest = min_t(size_t, nr - i, UINT_MAX);
		got = mcache_pop_bulk(size, cls, ptrs + i, rest);
		/* The stack is a hint: we may be on another CPU by the refill. */
		if (!got && READ_ONCE(this_cpu_read(gomem_mcache)->slot[cls].cap)) {
			if (rest > 1)
				got = bulk_get(size, cls, flags, ptrs + i, rest, i != 0);
			else if (mcache_refill(cls, flags, NULL, rest))
				continue;
		}
		obj_hand_out_n(ptrs + i, got, size, usable, flags, false);
		if (!got) {
			ptrs[i] = gomem_alloc_slow(size, flags, _RET_IP_);
			got = 1;
		}
		gomem_trace_alloc_n(ptrs + i, got, size, flags, _RET_IP_);
		if (!ptrs[i])
			goto fail;
	}
	return nr;
fail:
	return gomem_alloc_bulk_undo(ptrs, i, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomem_alloc_bulk);

/*
 * Objects gomem_free_bulk() frees in one section of the mcache lock, so
 * that interrupts are never off for long.
 */
#define GOMEM_BULK_SECTION	32

/* A NULL among a bulk free's objects: a lost object, or a freed one. */
static void gomem_free_bulk_hole(size_t *holes, unsigned long ip)
{
	if (!(*holes)++)
		gomem_report("bulk", "gomem_free_bulk", NULL, GOMEM_BAD_NULL, ip);
	gomem_count_bad_free();
}

/*
 * The run of pointers from ptrs[i] (before end) into small spans of s's
 * class and of this CPU's node, s's page pfn first, freed as
 * gomem_free_locked() frees them, with the class's states width bytes
 * wide, but counted once for the run and pushed with one test of the
 * stack's room.  A pointer into another page looks that page's span up,
 * as the bulk free's section does, and the run goes on if the span is
 * one it may take: objects freed together mostly came from one class's
 * spans, several pages of them, and a run that ended at its page's end
 * paid its call and setup again for each page (measured, bulk16 and
 * bulk128 of 1 to 4 KiB: 7 to 16% fewer instructions an object, and of
 * 8 to 256 B 1 to 3% more, than with runs of one page).  It stops, for
 * gomem_free_locked() to take over, at a pointer of any other span, or of
 * none, at one that is not a live object's start, which that reports,
 * and when the stack is full, which that makes room in.  Returns where
 * it stopped.  The mcache locked, c this CPU's, s of this CPU's node.
 * Every span it looks up stays readable to its end, as the section's do.
 */
static __always_inline size_t gomem_free_run_as(struct mcache *c, void **ptrs,
						size_t i, size_t end,
						struct mspan *s, unsigned long pfn,
						bool zero, unsigned int width)
{
	unsigned int cls = s->spanclass;
	struct mcache_slot *slot = &c->slot[cls];
	struct gomem_obj *o = slot->objs + slot->n, *first = o;
	unsigned int size = s->size, idx, st;
	unsigned long addr, page, states = 0;
	void *at;
	void **pp = ptrs + i, **pend;
	struct mspan *t;

	/* Walked by pointer: with an index, the loop spilled ptrs. */
	pend = ptrs + min_t(size_t, end, i + slot->cap - slot->n);
	for (; pp < pend; pp++) {
		addr = (unsigned long)*pp;
		page = (addr - PAGE_OFFSET) >> PAGE_SHIFT;
		if (page != pfn) {
			/* A class's spans share their size and state width. */
			t = gomem_span_of(addr);
			if (!t || t->kind != MSPAN_SMALL || t->spanclass != cls ||
			    mcache_foreign(t))
				break;
			s = t;
			pfn = page;
		}
		if (unlikely(!mspan_live_as(s, addr, width, &idx, &at, &st) ||
			     !gomem_claim_at(at, st, width)))
			break;
		if (zero)
			gomem_zero((void *)addr, size);
		gomem_kasan_free((void *)addr, size);
		states += st;
		o->p = (void *)addr;
		o->state = at;
		o++;
	}
	slot->n += o - first;
	c->slot[cls].stats.frees += o - first;
	c->slot[cls].stats.bytes -= states;
	return pp - ptrs;
}

/*
 * gomem_free_run_as() for s's width.  Out of line: inline, it made the
 * rest of a bulk free's section slower (tiny objects 5 instructions an
 * object).
 */
static noinline size_t gomem_free_run(struct mcache *c, void **ptrs, size_t i,
				      size_t end, struct mspan *s,
				      unsigned long pfn, bool zero)
{
	if (zero)
		return s->state_width == 1 ?
		       gomem_free_run_as(c, ptrs, i, end, s, pfn, true, 1) :
		       gomem_free_run_as(c, ptrs, i, end, s, pfn, true, 2);
	return s->state_width == 1 ?
	       gomem_free_run_as(c, ptrs, i, end, s, pfn, false, 1) :
	       gomem_free_run_as(c, ptrs, i, end, s, pfn, false, 2);
}

/*
 * Are runs of small span s's objects freed by gomem_free_run()?  Those of
 * a span of this CPU's node (not mcache_foreign()) of a class up to
 * PAGE_SIZE.  The bigger classes' stacks are small, and a bulk free puts
 * what they cannot hold aside (mcache_bulk_away()): their runs end at
 * once, and cost more than they save (measured with runs across pages:
 * bulk16 of 8 and 32 KiB 5% and 2% more instructions an object).
 */
static __always_inline bool gomem_free_runs(const struct mspan *s)
{
	return s->size <= PAGE_SIZE && !mcache_foreign(s);
}

/*
 * One section of gomem_free_bulk(): ptrs[i] up to ptrs[end], freed as far
 * as gomem_free_locked() goes, small ones zeroed first if zero, the large
 * ones' spans gathered in large[*nlarge].  Returns the index it stopped
 * at: end, or that of the NULL or bad pointer that ended the section.
 * The mcache locked, c this CPU's.
 */
static __always_inline size_t gomem_free_section(struct mcache *c, void **ptrs,
						 size_t i, size_t end,
						 struct mspan **large,
						 unsigned int *nlarge, bool zero)
{
	/*
	 * The span whose pages are the span_bytes from span_base, never
	 * NULL; none at first, so the first pointer looks its page up.
	 */
	unsigned long pfn, span_base = 0, span_bytes = 0;
	unsigned int left = c->bulk_left;
	struct mspan *span = NULL, *v;
	size_t j, first = i;
	void *p;

	while (i < end) {
		p = ptrs[i];
		/* One test for both, as gomem_free() has; the rest are bad. */
		if (unlikely(ZERO_OR_NULL_PTR(p))) {
			if (!p)
				break;
			if (p == ZERO_SIZE_PTR) {
				i++;
				continue;
			}
		}
		if ((unsigned long)p - span_base >= span_bytes) {
			span = gomem_span_of((unsigned long)p);
			/* Not gomem's page: a bad pointer, as a lookup says. */
			if (unlikely(!span))
				break;
			/*
			 * A large span's pages hold one object, so no other
			 * pointer of the call is in them: not kept.
			 */
			span_bytes = 0;
			if (span->kind != MSPAN_LARGE) {
				span_base = span->base;
				span_bytes = (unsigned long)span->npages << PAGE_SHIFT;
			}
		}
		if (likely(span->kind == MSPAN_SMALL)) {
			if (gomem_free_runs(span)) {
				pfn = ((unsigned long)p - PAGE_OFFSET) >> PAGE_SHIFT;
				j = gomem_free_run(c, ptrs, i, end, span, pfn, zero);
				if (j != i) {
					i = j;
					continue;
				}
				/*
				 * A full stack, most likely: the push below
				 * makes room for exactly what is left (see
				 * flush_count()), not for a section's worth.
				 */
				c->bulk_left = left - (i - first);
			}
		} else if (span->kind == MSPAN_TINY) {
			/* In runs, one for each block: see tiny_free_bulk(). */
			j = tiny_free_bulk(c, span, ptrs, i, end, zero);
			if (!j)
				break;
			i += j;
			continue;
		}
		v = gomem_free_locked(c, p, span, zero);
		if (unlikely(v == GOMEM_FREE_BAD))
			break;
		if (v)
			large[(*nlarge)++] = v;
		i++;
	}
	return i;
}

/*
 * Out of line, as gomem_free_zeroing(): with zero a test in the loop, a
 * bulk free took 1 to 3 more instructions an object.
 */
static noinline size_t gomem_free_section_zeroing(struct mcache *c, void **ptrs,
						  size_t i, size_t end,
						  struct mspan **large,
						  unsigned int *nlarge)
{
	return gomem_free_section(c, ptrs, i, end, large, nlarge, true);
}

/*
 * Like nr calls of gomem_free(), but up to GOMEM_BULK_SECTION objects in
 * one section of the mcache lock, so a lock round trip is paid once for
 * them.  The large objects it claims are freed together after it, their
 * spans kept in one round trip of class 0's lock.  An object the section
 * cannot finish (a bad one, a NULL) ends the section and is reported
 * before the next.
 *
 * Objects allocated together mostly share spans, as SLUB's bulk free
 * expects of its slabs, so a section remembers the last span it looked up,
 * and a pointer in that span's pages skips the lookup's 28 instructions
 * (bulk16 of 8 B to 1 KiB: 129 down to 115 an object, when it remembered
 * the page; and remembering the span's pages, not its page, the big spans
 * of 8 to 32 KiB, then 8 objects of 2 to 8 pages each, took bulk16 and
 * bulk128 there 12 to 15 instructions an object fewer, and a large
 * object's 3 more, of 140 to 2,152).  The span stays readable for the
 * whole section, an RCU-sched reader (mspan.c), and its pages stay its own
 * while any of its objects is live, as a pointer passed in is; if it went
 * away meanwhile (an object of it freed twice, by a racing caller), its
 * states say that nothing in it is live, and the pointer is refused.  Each
 * section looks its first page up afresh.
 */
void gomem_free_bulk(size_t nr, void **ptrs)
{
	struct mspan *large[GOMEM_BULK_SECTION] __uninitialized;
	size_t i = 0, end, holes = 0;
	unsigned int nlarge;
	unsigned long flags;
	struct mcache *c;

	if (unlikely(!nr || !ptrs)) {
		gomem_report_bulk("gomem_free_bulk", nr, ptrs, _RET_IP_);
		gomem_count_bad_free();
		return;
	}
	if (gomem_hooked()) {
		/* Each object traced, and checked under debug=1, as by gomem_free(). */
		for (i = 0; i < nr; i++) {
			if (ptrs[i])
				gomem_free_hooked(ptrs[i], _RET_IP_);
			else
				gomem_free_bulk_hole(&holes, _RET_IP_);
		}
		return;
	}
	while (i < nr) {
		end = min(nr, i + GOMEM_BULK_SECTION);
		nlarge = 0;
		mcache_lock_irqsave(flags);
		c = this_cpu_read(gomem_mcache);
		/* A full stack makes room for the rest (flush_count()). */
		c->bulk_left = min_t(size_t, nr - i, UINT_MAX);
		if (want_init_on_free())
			i = gomem_free_section_zeroing(c, ptrs, i, end, large, &nlarge);
		else
			i = gomem_free_section(c, ptrs, i, end, large, &nlarge, false);
		c->bulk_left = 0;
		/* What the stacks could not take goes back now, not later. */
		if (c->naway)
			mcache_flush_away(c);
		mcache_unlock_irqrestore(flags);
		if (nlarge)
			large_free(large, nlarge);
		if (i == end)
			continue;
		/* ptrs[i], a NULL or a bad pointer, ended the section. */
		if (!ptrs[i])
			gomem_free_bulk_hole(&holes, _RET_IP_);
		else
			gomem_free_finish(ptrs[i], GOMEM_FREE_BAD, "gomem_free_bulk",
					  _RET_IP_);
		i++;
	}
}
EXPORT_SYMBOL_GPL(gomem_free_bulk);

/* Unload with objects still live: say which, per class, and how much. */
static void gomem_report_leaks(void)
{
	struct gomem_stats *st;
	unsigned int cls;
	u64 live;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return;
	gomem_stats_read(st);
	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		live = st->cls[cls].allocs - st->cls[cls].frees;
		if (live)
			pr_warn("unload: class %u (%u bytes): %llu objects, %lld bytes requested, still allocated\n",
				cls, gomem_classes[cls].size, live,
				st->cls[cls].bytes);
	}
	live = st->tiny.allocs - st->tiny.frees;
	if (live)
		pr_warn("unload: tiny: %llu objects, %lld bytes requested, still allocated\n",
			live, st->tiny.bytes);
	live = st->cls[GOMEM_LARGE_CLASS].allocs -
	       st->cls[GOMEM_LARGE_CLASS].frees;
	if (live)
		pr_warn("unload: large: %llu objects, %lld bytes requested, still allocated\n",
			live, st->cls[GOMEM_LARGE_CLASS].bytes);
	kfree(st);
}

static int __init gomem_init(void)
{
	int err;

	err = gomem_debug_init();
	if (err)
		goto fail;
	gomem_hook_init();
	err = mheap_init();
	if (err)
		goto fail;
	err = mspan_init();
	if (err)
		goto heap;
	err = mcentral_init();
	if (err)
		goto spans;
	err = mcache_init();
	if (err)
		goto centrals;
	reclaim_init();
	err = gomem_proc_init();
	if (err)
		goto caches;
	err = gomem_callers_init();
	if (err)
		goto proc;
	gomem_load_done();
	gomem_fault_init();
	pr_info("ready: %u size classes up to %u bytes%s\n",
		GOMEM_NR_CLASSES - 1, GOMEM_MAX_SMALL,
		gomem_debug_checks() ? ", debug checks on" :
		gomem_callers_on() ? ", callers accounted" : "");
	return 0;

proc:
	gomem_proc_exit();
caches:
	reclaim_exit();
	mcache_exit();
	mcache_free();
centrals:
	mcentral_exit();
spans:
	mspan_exit();
heap:
	mheap_exit();
fail:
	gomem_load_done();
	/* Nothing left behind: the selftests fail loads to check this line. */
	pr_err("load failed (%d): %ld bytes of metadata and %lu pages left behind\n",
	       err, atomic_long_read(&gomem_meta_bytes),
	       gomem_mheap.pages_acquired - gomem_mheap.pages_released);
	return err;
}

static void __exit gomem_exit(void)
{
	gomem_fault_exit();
	gomem_callers_exit();
	gomem_proc_exit();
	reclaim_exit();
	mcache_exit();
	gomem_report_leaks();
	mcache_free();
	mcentral_exit();
	mspan_exit();
	mheap_exit();
	/* Every page taken has gone back: the selftests check this line. */
	pr_info("unload: %lu pages taken from the page allocator, %lu given back\n",
		gomem_mheap.pages_acquired, gomem_mheap.pages_released);
}

module_init(gomem_init);
module_exit(gomem_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gomem: the Go runtime's memory allocator as a kernel slab-style allocator");
