/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The structures shared by gomem's layers.
 *
 * Only gomem's own files and its KUnit suites include this header; other
 * modules see gomem.h.  The design is explained at the top of gomem.c.
 *
 * Locks: what each protects, and how they nest
 * ============================================
 *
 * mcentral->lock, one per span class (IRQ-safe spinlock)
 *	The class's partial and full span lists and its counters, and in each
 *	span of the class: nfree, the scan hint, and every move of an object
 *	between FREE (in the span) and CACHED (in some mcache).
 *
 * mheap.lock (IRQ-safe spinlock)
 *	The arenas: their buckets, free-page bitmaps and longest runs, the
 *	reserve, the huge list, the page counters, and every write to the
 *	arena map and to arena->spans[].
 *
 * Nesting: none.  No gomem lock is taken while another is held.  An
 * mcentral drops its lock before it asks the mheap for a span and before
 * it gives empty spans back, so the two never nest, and neither calls the
 * page allocator or kmalloc with a lock held.  The locks are IRQ-safe
 * because gomem_alloc(GFP_ATOMIC) and gomem_free() run in hard interrupts.
 *
 * mcache (one per CPU): no lock.  Only its own CPU touches it, always
 * with interrupts disabled, so neither an interrupt handler nor a task
 * preempting the holder can see it half-updated, and no other CPU ever
 * writes it.  Two exceptions touch a CPU's mcache from elsewhere, and both
 * happen when that CPU cannot run gomem code: the CPU-hotplug callback
 * after the CPU is dead, and module unload, when no caller is left.
 *
 * Lockless readers: gomem_free() and gomem_size() find a pointer's span
 * through the arena map and arena->spans[] without a lock.  They read with
 * interrupts or preemption disabled (an RCU-sched reader), and arenas and
 * spans are freed only after a grace period, so a stale or foreign
 * pointer never makes them touch freed metadata.
 *
 * Object states
 * =============
 *
 * Every object in a small span has a state, one entry of span->state,
 * 1 or 2 bytes wide (mspan->state_width); a tiny block's entry is a
 * struct gomem_tiny_meta, whose "placed" word is its state:
 *
 *	FREE (0)	in its span; only the mcentral (under its lock)
 *			moves it to CACHED.
 *	CACHED (all ones; GOMEM_TINY_CACHED for tiny blocks)
 *			in some mcache; only that CPU moves it to live.
 *	live		handed out.  For a small object, 1 + (class size -
 *			requested size), which makes bytes_requested exact;
 *			for a tiny block, where its objects were placed.
 *
 * Each state is written only by whoever owns the object in that state,
 * with single stores of distinct bytes or words, so the allocation fast
 * paths need no atomic read-modify-write.  The one atomic is a tiny
 * block's "freed" word, which any CPU may change (see tiny.c).  A free
 * that finds FREE or CACHED is a double free and is refused.
 *
 * Under generic KASAN the same states are in the shadow (compat.h): a
 * live small or large object's requested bytes are accessible (all of
 * gomem_size() once the caller has asked for it, as with ksize()), the
 * rest of the object is a redzone, and memory in no live object reads as
 * freed.  Tiny objects are too small for KASAN's 8-byte granules: a tiny
 * block is accessible up to the end of the last object placed in it, and
 * freed when it goes back.
 */
#ifndef _GOMEM_INTERNAL_H
#define _GOMEM_INTERNAL_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/mm.h>
#include <kunit/visibility.h>

#include "compat.h"

struct gomem_sizeclass {
	u32 size;	/* bytes per object */
	u32 divmul;	/* (offset * divmul) >> 32 == offset / size */
	u16 npages;	/* pages per span */
	u16 nelems;	/* objects per span */
};

#include "sizeclasses.h"

extern const struct gomem_sizeclass gomem_classes[GOMEM_NR_CLASSES];
extern const u8 gomem_size_to_class8[GOMEM_CLASS8_LEN];
extern const u8 gomem_size_to_class128[GOMEM_CLASS128_LEN];

/* The size class for 1 <= size <= GOMEM_MAX_SMALL, in O(1) as in Go. */
static __always_inline unsigned int gomem_size_class(size_t size)
{
	if (size <= GOMEM_SMALL_MAX)
		return gomem_size_to_class8[DIV_ROUND_UP(size, GOMEM_SMALL_DIV)];
	return gomem_size_to_class128[DIV_ROUND_UP(size - GOMEM_SMALL_MAX,
						   GOMEM_LARGE_DIV)];
}

/*
 * Span classes: 1 .. GOMEM_NR_CLASSES - 1 are the size classes; tiny
 * blocks are 16-byte objects of their own span class, because their
 * per-object state is a 32-bit word rather than a byte.  Index 0 stands
 * for large and huge objects in the statistics.
 */
#define GOMEM_TINY_CLASS	GOMEM_NR_CLASSES
#define GOMEM_NR_SPANCLASSES	(GOMEM_NR_CLASSES + 1)
#define GOMEM_LARGE_STATS	0

/*
 * An arena is BITS_PER_LONG naturally aligned pages (256 KiB with 4 KiB
 * pages), so that its free-page bitmap is one word.  Objects up to an
 * arena's size that are not small are "large": a span of whole pages.
 * Bigger ones are "huge" and come straight from the page allocator.
 */
#define GOMEM_ARENA_PAGES	BITS_PER_LONG
#define GOMEM_ARENA_ORDER	ilog2(GOMEM_ARENA_PAGES)
#define GOMEM_ARENA_SHIFT	(PAGE_SHIFT + GOMEM_ARENA_ORDER)
#define GOMEM_ARENA_SIZE	BIT(GOMEM_ARENA_SHIFT)
#define GOMEM_MAX_LARGE		GOMEM_ARENA_SIZE
#define GOMEM_MAX_SIZE		(PAGE_SIZE << GOMEM_MAX_PAGE_ORDER)

/* The arena map: arena number -> arena, two levels of one page each. */
#define GOMEM_L2_BITS		(PAGE_SHIFT - ilog2(sizeof(void *)))
#define GOMEM_L2_ENTRIES	BIT(GOMEM_L2_BITS)

enum mspan_kind {
	MSPAN_SMALL,	/* objects of one size class */
	MSPAN_TINY,	/* 16-byte tiny blocks */
	MSPAN_LARGE,	/* one object of whole pages, inside an arena */
	MSPAN_HUGE,	/* one object, a whole high-order page block */
};

struct mspan {
	unsigned long base;		/* address of the first object */
	struct gomem_arena *arena;
	unsigned int npages;
	u8 kind;			/* enum mspan_kind */
	u8 spanclass;
	u8 state_width;			/* bytes per object state: 1, 2, or a
					 * struct gomem_tiny_meta's
					 */
	u16 nelems;
	u16 nfree;			/* FREE objects (mcentral->lock) */
	u16 hint;			/* no FREE object below (mcentral->lock) */
	u32 size;			/* object size */
	u32 divmul;
	size_t req;			/* large, huge: bytes requested */
	struct list_head node;		/* mcentral list (mcentral->lock) */
	void *state;			/* nelems states, see above */
	struct rcu_head rcu;
};

struct gomem_arena {
	unsigned long base;
	unsigned long free;		/* bit i: page i is free (mheap.lock) */
	unsigned int max_run;		/* longest free run (mheap.lock) */
	unsigned int order;		/* GOMEM_ARENA_ORDER, or a huge order */
	struct list_head node;		/* mheap.runs[max_run] or mheap.huge */
	struct rcu_head rcu;
	/* Page -> span, for pages of in-use spans, else NULL. */
	struct mspan __rcu *spans[GOMEM_ARENA_PAGES];
};

struct gomem_arena_l2 {
	struct gomem_arena __rcu *arena[GOMEM_L2_ENTRIES];
};

struct mheap {
	spinlock_t lock;		/* see the top of this file */
	/* Arenas by longest free run; runs[GOMEM_ARENA_PAGES] are empty. */
	struct list_head runs[GOMEM_ARENA_PAGES + 1];
	struct list_head huge;		/* arenas standing for huge objects */
	unsigned long nr_arenas;	/* arenas, huge ones excluded */
	unsigned long nr_empty;		/* arenas on runs[GOMEM_ARENA_PAGES] */
	unsigned long pages_total;	/* pages held from the page allocator */
	unsigned long pages_free;	/* held, in no span */
	unsigned long pages_released;	/* given back, cumulative */
	unsigned long nr_large, large_pages;	/* live large spans */
	unsigned long nr_huge, huge_pages;	/* live huge objects */
	unsigned long l1_len;		/* entries in l1 */
	struct gomem_arena_l2 __rcu **l1;
};

extern struct mheap gomem_mheap;
extern unsigned int gomem_reserve_arenas;

/* A tiny block's state: the bits are explained at the top of tiny.c. */
struct gomem_tiny_meta {
	u32 placed;	/* also FREE or CACHED, as for any object */
	atomic_t freed;
};

/* Per-object states; see the top of this file. */
#define GOMEM_OBJ_FREE		0U
#define GOMEM_TINY_CACHED	0x7fff0000U

static __always_inline unsigned int gomem_state_cached(unsigned int width)
{
	return width == 1 ? 0xffU : width == 2 ? 0xffffU : GOMEM_TINY_CACHED;
}

static __always_inline unsigned int mspan_state(const struct mspan *s,
						unsigned int i)
{
	if (s->state_width == 1)
		return READ_ONCE(((u8 *)s->state)[i]);
	if (s->state_width == 2)
		return READ_ONCE(((u16 *)s->state)[i]);
	return READ_ONCE(((struct gomem_tiny_meta *)s->state)[i].placed);
}

static __always_inline void mspan_set_state(struct mspan *s, unsigned int i,
					    unsigned int v)
{
	if (s->state_width == 1)
		WRITE_ONCE(((u8 *)s->state)[i], v);
	else if (s->state_width == 2)
		WRITE_ONCE(((u16 *)s->state)[i], v);
	else
		WRITE_ONCE(((struct gomem_tiny_meta *)s->state)[i].placed, v);
}

/*
 * Zero memory gomem owns, through whatever KASAN marks it carries:
 * init_on_alloc and init_on_free reach past an object's request.
 */
static inline void gomem_zero(void *p, size_t n)
{
	kasan_disable_current();
	memset(p, 0, n);
	kasan_enable_current();
}

/* Index of the object containing p, by multiplication as in Go. */
static __always_inline unsigned int mspan_index(const struct mspan *s,
						unsigned long p)
{
	return ((u64)(p - s->base) * s->divmul) >> 32;
}

static __always_inline struct gomem_arena *
gomem_arena_lookup(unsigned long p)
{
	struct gomem_arena_l2 *l2;
	unsigned long no;

	/*
	 * Arenas live in the direct map, so the offset from PAGE_OFFSET
	 * numbers them; any other address wraps to a number past the map.
	 */
	no = (p - PAGE_OFFSET) >> GOMEM_ARENA_SHIFT;
	if (unlikely(no >= gomem_mheap.l1_len << GOMEM_L2_BITS))
		return NULL;
	l2 = rcu_dereference_sched(gomem_mheap.l1[no >> GOMEM_L2_BITS]);
	if (unlikely(!l2))
		return NULL;
	return rcu_dereference_sched(l2->arena[no & (GOMEM_L2_ENTRIES - 1)]);
}

static __always_inline struct mspan *gomem_arena_span(struct gomem_arena *a,
						      unsigned long p)
{
	return rcu_dereference_sched(a->spans[(p >> PAGE_SHIFT) &
					      (GOMEM_ARENA_PAGES - 1)]);
}

/*
 * The span holding a pointer gomem handed out.  The caller owns an
 * object at p, so every level is present.  RCU-sched reader.
 */
static __always_inline struct mspan *gomem_span_of(unsigned long p)
{
	return gomem_arena_span(gomem_arena_lookup(p), p);
}

/* Why a pointer handed to gomem_free() is not a live object's start. */
enum gomem_bad { GOMEM_BAD_FOREIGN, GOMEM_BAD_DOUBLE, GOMEM_BAD_INTERIOR };

/*
 * The span holding any pointer, or NULL with *why set: FOREIGN if p is
 * not in gomem's memory, DOUBLE if it is in an arena page that is in no
 * span (freed, or never handed out).  RCU-sched reader.
 */
static __always_inline struct mspan *mheap_find(unsigned long p,
						enum gomem_bad *why)
{
	struct gomem_arena *a = gomem_arena_lookup(p);

	*why = GOMEM_BAD_FOREIGN;
	if (unlikely(!a))
		return NULL;
	*why = GOMEM_BAD_DOUBLE;
	return gomem_arena_span(a, p);
}

/*
 * gomem's own bookkeeping memory, in bytes as the slab or page allocator
 * holds it: /proc/gomem's metadata_bytes, so that a footprint can count
 * it.  Every metadata allocation goes through these.
 */
extern atomic_long_t gomem_meta_bytes;

static inline void *gomem_meta_alloc(size_t n, gfp_t gfp, int node)
{
	void *p = kzalloc_node(n, gfp, node);

	if (p)
		atomic_long_add(kmalloc_size_roundup(n), &gomem_meta_bytes);
	return p;
}

/* Free what gomem_meta_alloc(n, ...) gave; p may be NULL. */
static inline void gomem_meta_free(const void *p, size_t n)
{
	if (p)
		atomic_long_sub(kmalloc_size_roundup(n), &gomem_meta_bytes);
	kfree(p);
}

/* mheap.c */
int mheap_init(void);
void mheap_exit(void);
struct mspan *mheap_alloc_span(const struct mspan *tmpl, gfp_t gfp);
void mheap_free_span(struct mspan *s);
struct mspan *mheap_alloc_huge(unsigned int order, size_t req, gfp_t gfp);
void mheap_free_huge(struct mspan *s);
void mheap_trim(void);

/* mcentral.c */
struct mcentral {
	spinlock_t lock;		/* see the top of this file */
	struct list_head partial;	/* spans with FREE objects */
	struct list_head full;		/* spans without */
	unsigned long nr_spans;
	unsigned long nr_free;		/* FREE objects in all spans */
	unsigned int spanclass;
	unsigned int size, npages, nelems, divmul;
	u8 kind, state_width;
	u16 cache_cap, batch;		/* mcache capacity and batch */
} ____cacheline_aligned_in_smp;

extern struct mcentral gomem_mcentral[GOMEM_NR_SPANCLASSES];

#define GOMEM_BATCH_MAX		32

/*
 * A free object on its way between an mcentral and an mcache, or sitting
 * in an mcache, with its span: allocation then finds the span without
 * walking the arena map.
 */
struct gomem_obj {
	void *p;
	struct mspan *span;
};

void mcentral_init(void);
unsigned int mcentral_get(struct mcentral *c, struct gomem_obj *objs,
			  unsigned int n, gfp_t gfp);
void mcentral_put(struct mcentral *c, const struct gomem_obj *objs,
		  unsigned int n);

/* mcache.c */
struct gomem_class_stats {
	u64 allocs;
	u64 frees;
	s64 bytes;	/* requested bytes: + on alloc, - on free */
};

struct gomem_cpu_stats {
	struct gomem_class_stats cls[GOMEM_NR_SPANCLASSES];
	struct gomem_class_stats tiny;	/* tiny objects, not blocks */
	u64 misses;	/* pops from this cache that waited for a refill */
	u64 refills, flushes;
	u64 alloc_failures, bad_frees;
};

struct mcache_slot {
	unsigned int n;		/* objects cached */
	unsigned int cap;
	struct gomem_obj *objs;
};

struct mcache {
	struct mcache_slot slot[GOMEM_NR_SPANCLASSES];
	/* Tiny allocator: the current block, or 0. */
	unsigned long tiny;
	unsigned int tiny_off;
	struct gomem_tiny_meta *tiny_meta;
	struct gomem_cpu_stats stats;
	struct gomem_obj storage[];
};

DECLARE_PER_CPU(struct mcache *, gomem_mcache);
struct mcache *gomem_mcache_of(unsigned int cpu);

int mcache_init(void);
void mcache_exit(void);
void mcache_free(void);
bool mcache_refill(unsigned int cls, gfp_t gfp);
void mcache_flush(struct mcache *c, unsigned int cls, unsigned int n);
void gomem_drain(void);

/*
 * Push a CACHED object on this CPU's stack, first flushing the oldest
 * batch to the mcentral if the stack is full.  Interrupts disabled, which
 * makes it safe without a lock for the reasons the top of this file gives.
 */
static __always_inline void mcache_push(struct mcache *c, unsigned int cls,
					void *p, struct mspan *s)
{
	struct mcache_slot *slot = &c->slot[cls];
	struct gomem_obj *o;

	if (unlikely(slot->n == slot->cap))
		mcache_flush(c, cls, gomem_mcentral[cls].batch);
	o = &slot->objs[slot->n++];
	o->p = p;
	o->span = s;
}

/* tiny.c */
void *tiny_alloc(size_t size, gfp_t gfp);
bool tiny_free(struct mcache *c, struct mspan *s, unsigned long p);
size_t tiny_size(struct mspan *s, unsigned long p);
enum gomem_bad tiny_why(struct mspan *s, unsigned long p);
void tiny_retire(struct mcache *c);

/* proc.c */
int gomem_proc_init(void);
void gomem_proc_exit(void);

/* stats, summed over all CPUs */
struct gomem_stats {
	struct gomem_class_stats cls[GOMEM_NR_SPANCLASSES];
	struct gomem_class_stats tiny;
	u64 refills, flushes, alloc_failures, bad_frees;
	unsigned long cached[GOMEM_NR_SPANCLASSES];
};

void gomem_stats_read(struct gomem_stats *st);

#endif /* _GOMEM_INTERNAL_H */
