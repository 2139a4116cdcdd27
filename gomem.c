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
 * mheap (mheap.c) takes memory from alloc_pages() in arenas of
 * BITS_PER_LONG naturally aligned pages and carves them into spans, runs
 * of whole pages.  Freed spans coalesce with their free neighbours, and
 * empty arenas go back to the page allocator beyond a small reserve.  A
 * two-level map from arena number to arena, and in each arena from page
 * to span, finds the span of any pointer in O(1) -- Go's arena index --
 * and recognises a pointer gomem never handed out.
 *
 * Size classes (sizeclass.c) are Go's, re-derived for the kernel's page
 * size by scripts/mksizeclasses.py: 81 classes from 8 bytes to 32 KiB,
 * spaced so that rounding a request up to its class wastes at most 12.5%
 * (short of where 8-byte granularity makes that impossible), each with
 * the smallest span whose tail wastes at most 12.5%.  kmalloc's classes,
 * powers of two with 96 and 192, waste up to half.
 *
 * mcentral (mcentral.c), one per class, holds the class's spans under a
 * spinlock and moves objects to and from the per-CPU caches in batches.
 *
 * mcache (mcache.c), one per CPU, is a stack of free objects per class.
 * Allocation pops and free pushes with interrupts disabled and nothing
 * more: no lock and no atomic on the common path.  This is where gomem
 * departs from Go, whose mcache holds one span per class to allocate
 * from: a span shared with whichever CPU frees into it would need atomics
 * on every free, so gomem caches objects, as TCMalloc's per-CPU caches
 * do, and a free goes to the freeing CPU's cache wherever the object came
 * from.  Each cached object travels with its span, so that allocation
 * marks the object live without walking the arena map; only a free,
 * which must check a pointer it was handed, walks it.
 *
 * tiny (tiny.c) packs requests under 16 bytes into 16-byte blocks, one
 * current block per CPU, as Go does.  Unlike Go, each block records where
 * its objects start and end, so they can be freed one by one, sized
 * exactly, and checked against double and interior frees.
 *
 * Objects above 32 KiB are "large": a span of their own, up to an arena's
 * size, and beyond that a high-order block straight from alloc_pages(),
 * entered in the arena map like an arena.
 *
 * Every object has a state in its span (see gomem_internal.h): FREE in its
 * span, CACHED in some mcache, or live, and for a live small object the
 * state also records how far the request fell short of the class size.
 * That makes double frees detectable and the statistics in /proc/gomem
 * exact: per-CPU counters, updated where the cache is, and summed on read.
 *
 * A request's path
 * ================
 *
 * gomem_alloc(size): 0 gives ZERO_SIZE_PTR; under 16 bytes goes to tiny;
 * up to 32 KiB pops the class's stack on this CPU (refilling a batch from
 * the mcentral if it is empty, which asks the mheap for a span if the
 * class has none, which asks alloc_pages() for an arena if no arena has
 * room); larger sizes take a span or a block of pages under the mheap
 * lock.  gomem_free(p) finds p's span through the arena map, checks that
 * p is a live object's start, and pushes it on this CPU's stack
 * (flushing the oldest batch to the mcentral if the stack is full).
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

/* Flags whose promise gomem cannot keep: zones, and never failing. */
#define GOMEM_GFP_UNSUPPORTED	(GFP_ZONEMASK | __GFP_NOFAIL)

static const char *const gomem_bad_names[] = {
	[GOMEM_BAD_FOREIGN] = "not gomem's memory",
	[GOMEM_BAD_DOUBLE] = "already free",
	[GOMEM_BAD_INTERIOR] = "inside an object",
};

/*
 * Why addr is not a live object's start.  Only the message for a refused
 * pointer needs it, so it looks again rather than have the fast paths
 * carry a reason along; if the memory changed meanwhile, the answer
 * describes what is there now.
 */
static enum gomem_bad gomem_why(unsigned long addr)
{
	enum gomem_bad why;
	struct mspan *s;
	unsigned int i;

	rcu_read_lock_sched();
	s = mheap_find(addr, &why);
	if (!s) {
		/* why is set */
	} else if (s->kind == MSPAN_TINY) {
		why = tiny_why(s, addr);
	} else if (s->kind == MSPAN_SMALL) {
		i = mspan_index(s, addr);
		why = i < s->nelems && s->base + (unsigned long)i * s->size == addr ?
		      GOMEM_BAD_DOUBLE : GOMEM_BAD_INTERIOR;
	} else {
		why = addr == s->base ? GOMEM_BAD_DOUBLE : GOMEM_BAD_INTERIOR;
	}
	rcu_read_unlock_sched();
	return why;
}

/* A pointer fn refused: say why, and count it if it was a free. */
static noinline void gomem_refuse(const char *fn, const void *p, bool count,
				  unsigned long ip)
{
	unsigned long flags;

	if (count) {
		local_irq_save(flags);
		this_cpu_read(gomem_mcache)->stats.bad_frees++;
		local_irq_restore(flags);
	}
	pr_err_ratelimited("%s(%p) refused: %s, from %pS\n", fn, p,
			   gomem_bad_names[gomem_why((unsigned long)p)],
			   (void *)ip);
}

/* What gomem_size() gives for a fresh object of this size. */
static size_t gomem_usable_for(size_t size)
{
	if (size < GOMEM_TINY_MAX)
		return size;
	if (size <= GOMEM_MAX_SMALL)
		return gomem_classes[gomem_size_class(size)].size;
	if (size <= GOMEM_MAX_LARGE)
		return PAGE_ALIGN(size);
	return PAGE_SIZE << get_order(size);
}

static void gomem_count_failure(void)
{
	unsigned long flags;

	local_irq_save(flags);
	this_cpu_read(gomem_mcache)->stats.alloc_failures++;
	local_irq_restore(flags);
}

/* Record a live object's requested size; interrupts disabled. */
static __always_inline void gomem_account(struct mcache *c, unsigned int cls,
					  s64 bytes, bool alloc)
{
	struct gomem_class_stats *st = &c->stats.cls[cls];

	if (alloc)
		st->allocs++;
	else
		st->frees++;
	st->bytes += bytes;
}

/*
 * Pop an object of class cls off this CPU's mcache and make it live, or
 * give NULL if the stack is empty.  With interrupts disabled nothing on
 * this CPU can run in between, and no other CPU touches this mcache (see
 * gomem_internal.h): the pop needs no lock and no atomic.
 */
static __always_inline void *mcache_pop(size_t size, unsigned int cls,
					bool missed)
{
	struct mcache_slot *slot;
	unsigned long flags, p = 0;
	struct gomem_obj *o;
	struct mcache *c;
	struct mspan *s;

	local_irq_save(flags);
	c = this_cpu_read(gomem_mcache);
	slot = &c->slot[cls];
	if (likely(slot->n)) {
		o = &slot->objs[--slot->n];
		p = (unsigned long)o->p;
		s = o->span;
		mspan_set_state(s, mspan_index(s, p), s->size - size + 1);
		gomem_account(c, cls, size, true);
		c->stats.misses += missed;
	}
	local_irq_restore(flags);
	return (void *)p;
}

/*
 * This CPU's stack for cls was empty: refill it from the mcentral (which
 * may sleep if gfp allows) and pop again.  Interrupts, or a move to
 * another CPU, may empty the stack before the pop: then refill again.
 */
static noinline void *small_alloc_slow(size_t size, unsigned int cls,
				       gfp_t gfp)
{
	void *p;

	do {
		if (!mcache_refill(cls, gfp))
			return NULL;
		p = mcache_pop(size, cls, true);
	} while (!p);
	return p;
}

static void *large_alloc(size_t size, gfp_t gfp)
{
	struct mspan tmpl = {
		.kind = MSPAN_LARGE,
		.npages = PAGE_ALIGN(size) >> PAGE_SHIFT,
		.req = size,
	};
	unsigned long flags;
	struct mspan *s;

	if (size > GOMEM_MAX_SIZE) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn_ratelimited("%zu bytes is more than the page allocator can give (%lu)\n",
					    size, GOMEM_MAX_SIZE);
		return NULL;
	}
	if (size <= GOMEM_MAX_LARGE)
		s = mheap_alloc_span(&tmpl, gfp);
	else
		s = mheap_alloc_huge(get_order(size), size, gfp);
	if (!s)
		return NULL;
	local_irq_save(flags);
	gomem_account(this_cpu_read(gomem_mcache), GOMEM_LARGE_STATS, size,
		      true);
	local_irq_restore(flags);
	return (void *)s->base;
}

/*
 * A size of 0, refused flags, an empty stack, or a large object: all
 * that gomem_alloc()'s fast paths leave.
 */
static noinline void *gomem_alloc_slow(size_t size, gfp_t flags,
				       unsigned long ip)
{
	size_t usable;
	void *p;

	if (!size)
		return ZERO_SIZE_PTR;
	if (flags & GOMEM_GFP_UNSUPPORTED) {
		pr_warn_ratelimited("unsupported gfp flags %pGg, from %pS\n",
				    &flags, (void *)ip);
		p = NULL;
	} else if (size <= GOMEM_MAX_SMALL) {
		p = small_alloc_slow(size, gomem_size_class(size), flags);
	} else {
		p = large_alloc(size, flags);
	}
	if (unlikely(!p)) {
		gomem_count_failure();
		return NULL;
	}
	usable = gomem_usable_for(size);
	if (want_init_on_alloc(flags))
		gomem_zero(p, usable);
	gomem_kasan_alloc(p, size, usable);
	return p;
}

/*
 * The fast paths: a small object popped off this CPU's stack, or a tiny
 * one placed in this CPU's block.  All else goes through
 * gomem_alloc_slow().
 */
void *gomem_alloc(size_t size, gfp_t flags)
{
	unsigned int cls;
	size_t usable;
	void *p;

	might_alloc(flags);
	if (likely(size - GOMEM_TINY_MAX <= GOMEM_MAX_SMALL - GOMEM_TINY_MAX &&
		   !(flags & GOMEM_GFP_UNSUPPORTED))) {
		cls = gomem_size_class(size);
		p = mcache_pop(size, cls, false);
		if (unlikely(!p))
			return gomem_alloc_slow(size, flags, _RET_IP_);
		usable = gomem_classes[cls].size;
		if (want_init_on_alloc(flags))
			gomem_zero(p, usable);
		gomem_kasan_alloc(p, size, usable);
		return p;
	}
	if (size - 1 < GOMEM_TINY_MAX - 1 && !(flags & GOMEM_GFP_UNSUPPORTED)) {
		/* tiny.c keeps the KASAN marks of its blocks. */
		p = tiny_alloc(size, flags);
		if (unlikely(!p)) {
			gomem_count_failure();
			return NULL;
		}
		if (want_init_on_alloc(flags))
			memset(p, 0, size);
		return p;
	}
	return gomem_alloc_slow(size, flags, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomem_alloc);

void *gomem_zalloc(size_t size, gfp_t flags)
{
	return gomem_alloc(size, flags | __GFP_ZERO);
}
EXPORT_SYMBOL_GPL(gomem_zalloc);

/*
 * The span of the live object starting at addr, with the object's index
 * and state if it is small; NULL if addr is not a live object's start
 * (gomem_why() says why).  A tiny object is checked by its caller, in
 * tiny.c.  Reads only.  RCU-sched reader.
 */
static __always_inline struct mspan *
gomem_lookup(unsigned long addr, unsigned int *idx, unsigned int *state)
{
	struct gomem_arena *a = gomem_arena_lookup(addr);
	struct mspan *s;
	unsigned int i, st;

	if (unlikely(!a))
		return NULL;
	s = gomem_arena_span(a, addr);
	if (unlikely(!s))
		return NULL;
	if (likely(s->kind == MSPAN_SMALL)) {
		i = mspan_index(s, addr);
		if (unlikely(i >= s->nelems ||
			     s->base + (unsigned long)i * s->size != addr))
			return NULL;
		st = mspan_state(s, i);
		if (unlikely(st == GOMEM_OBJ_FREE ||
			     st == gomem_state_cached(s->state_width)))
			return NULL;
		*idx = i;
		*state = st;
	} else if (s->kind != MSPAN_TINY && unlikely(addr != s->base)) {
		return NULL;
	}
	return s;
}

/* Size of the live object at addr as gomem_lookup() found it, or 0. */
static size_t gomem_usable(struct mspan *s, unsigned long addr)
{
	if (s->kind == MSPAN_TINY)
		return tiny_size(s, addr);
	if (s->kind == MSPAN_SMALL)
		return s->size;
	return (size_t)s->npages << PAGE_SHIFT;
}

/* Bytes asked for: for a tiny object, its size, as gomem_usable(). */
static size_t gomem_requested(struct mspan *s, unsigned long addr,
			      unsigned int state)
{
	if (s->kind == MSPAN_SMALL)
		return s->size - (state - 1);
	if (s->kind == MSPAN_TINY)
		return tiny_size(s, addr);
	return s->req;
}

/* A large or huge object goes back to the mheap; interrupts disabled. */
static noinline void gomem_free_large(struct mcache *c, struct mspan *s)
{
	size_t bytes = (size_t)s->npages << PAGE_SHIFT;

	gomem_account(c, GOMEM_LARGE_STATS, -(s64)s->req, false);
	if (s->kind == MSPAN_LARGE) {
		if (want_init_on_free())
			gomem_zero((void *)s->base, bytes);
		gomem_kasan_free((void *)s->base, bytes);
		mheap_free_span(s);
	} else {
		/* The page allocator zeroes and poisons its own pages. */
		mheap_free_huge(s);
	}
}

void gomem_free(const void *p)
{
	unsigned long addr = (unsigned long)p, flags;
	unsigned int i, st;
	struct mcache *c;
	struct mspan *s;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	local_irq_save(flags);
	c = this_cpu_read(gomem_mcache);
	s = gomem_lookup(addr, &i, &st);
	if (unlikely(!s))
		goto bad;
	if (likely(s->kind == MSPAN_SMALL)) {
		if (want_init_on_free())
			gomem_zero((void *)p, s->size);
		gomem_kasan_free(p, s->size);
		mspan_set_state(s, i, gomem_state_cached(s->state_width));
		gomem_account(c, s->spanclass, -(s64)(s->size - (st - 1)),
			      false);
		mcache_push(c, s->spanclass, (void *)p, s);
	} else if (s->kind == MSPAN_TINY) {
		if (!tiny_free(c, s, addr))
			goto bad;
	} else {
		gomem_free_large(c, s);
	}
	local_irq_restore(flags);
	return;
bad:
	local_irq_restore(flags);
	gomem_refuse("gomem_free", p, true, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomem_free);

size_t gomem_size(const void *p)
{
	unsigned long addr = (unsigned long)p;
	unsigned int i, st;
	struct mspan *s;
	size_t size = 0;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	rcu_read_lock_sched();
	s = gomem_lookup(addr, &i, &st);
	if (s)
		size = gomem_usable(s, addr);
	/* The caller may now use all of it, as with ksize(). */
	if (size && s->kind != MSPAN_TINY)
		gomem_kasan_alloc(p, size, size);
	rcu_read_unlock_sched();
	if (!size)
		gomem_refuse("gomem_size", p, false, _RET_IP_);
	return size;
}
EXPORT_SYMBOL_GPL(gomem_size);

/*
 * Change the recorded request of a live small or large object, which the
 * caller owns and which stays where it is.  A tiny object's usable size
 * is its request, so it stays put only when its size does.
 */
static void gomem_resize(struct mspan *s, unsigned int i, size_t old,
			 size_t new)
{
	unsigned int cls = GOMEM_LARGE_STATS;
	unsigned long flags;

	if (s->kind == MSPAN_SMALL) {
		mspan_set_state(s, i, s->size - new + 1);
		cls = s->spanclass;
	} else {
		s->req = new;
	}
	local_irq_save(flags);
	this_cpu_read(gomem_mcache)->stats.cls[cls].bytes += new - old;
	local_irq_restore(flags);
}

void *gomem_realloc(const void *p, size_t new_size, gfp_t flags)
{
	unsigned long addr = (unsigned long)p;
	size_t old = 0, usable = 0, copy;
	unsigned int i, st;
	struct mspan *s;
	void *n;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return gomem_alloc(new_size, flags);
	if (unlikely(!new_size)) {
		gomem_free(p);
		return ZERO_SIZE_PTR;
	}
	rcu_read_lock_sched();
	s = gomem_lookup(addr, &i, &st);
	if (s) {
		usable = gomem_usable(s, addr);
		old = gomem_requested(s, addr, st);
	}
	rcu_read_unlock_sched();
	if (unlikely(!old)) {
		gomem_refuse("gomem_realloc", p, true, _RET_IP_);
		return NULL;
	}

	/*
	 * Stay put if a fresh object of the new size would have the same
	 * usable size, so that the waste bound still holds after.
	 */
	if (gomem_usable_for(new_size) == usable) {
		if (new_size == old)
			return (void *)p;
		/*
		 * Bytes past the old request may hold anything up to usable.
		 * Not tiny: a tiny object stays only for the same size.
		 */
		if (new_size > old) {
			gomem_kasan_alloc(p, new_size, usable);
			if (want_init_on_alloc(flags))
				memset((void *)p + old, 0, new_size - old);
		} else {
			if (want_init_on_free())
				memset((void *)p + new_size, 0, old - new_size);
			gomem_kasan_alloc(p, new_size, usable);
		}
		gomem_resize(s, i, old, new_size);
		return (void *)p;
	}
	n = gomem_alloc(new_size, flags);
	if (!n)
		return NULL;
	copy = min(old, new_size);
	/* memcpy() is not checked by KASAN with every compiler (GCC 12). */
	kasan_check_read(p, copy);
	kasan_check_write(n, copy);
	memcpy(n, p, copy);
	gomem_free(p);
	return n;
}
EXPORT_SYMBOL_GPL(gomem_realloc);

int gomem_alloc_bulk(size_t size, gfp_t flags, size_t nr, void **ptrs)
{
	size_t i;

	/* The count comes back as an int. */
	if (nr > INT_MAX) {
		pr_warn_ratelimited("%s() of %zu objects, from %pS: too many\n",
				    __func__, nr, (void *)_RET_IP_);
		return 0;
	}
	for (i = 0; i < nr; i++) {
		ptrs[i] = gomem_alloc(size, flags);
		if (!ptrs[i]) {
			gomem_free_bulk(i, ptrs);
			return 0;
		}
	}
	return nr;
}
EXPORT_SYMBOL_GPL(gomem_alloc_bulk);

void gomem_free_bulk(size_t nr, void **ptrs)
{
	size_t i;

	for (i = 0; i < nr; i++)
		gomem_free(ptrs[i]);
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
	live = st->cls[GOMEM_LARGE_STATS].allocs -
	       st->cls[GOMEM_LARGE_STATS].frees;
	if (live)
		pr_warn("unload: large: %llu objects, %lld bytes requested, still allocated\n",
			live, st->cls[GOMEM_LARGE_STATS].bytes);
	kfree(st);
}

static int __init gomem_init(void)
{
	int err;

	err = mheap_init();
	if (err)
		return err;
	mcentral_init();
	err = mcache_init();
	if (err) {
		mheap_exit();
		return err;
	}
	err = gomem_proc_init();
	if (err) {
		mcache_exit();
		mcache_free();
		mheap_exit();
		return err;
	}
	gomem_fault_init();
	pr_info("ready: %u size classes up to %u bytes, %lu KiB arenas\n",
		GOMEM_NR_CLASSES - 1, GOMEM_MAX_SMALL, GOMEM_ARENA_SIZE >> 10);
	return 0;
}

static void __exit gomem_exit(void)
{
	gomem_fault_exit();
	gomem_proc_exit();
	mcache_exit();
	gomem_report_leaks();
	mcache_free();
	mheap_exit();
}

module_init(gomem_init);
module_exit(gomem_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gomem: the Go runtime's memory allocator as a kernel slab-style allocator");
