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
 *	The class's partial lists, empty stacks, transfer stacks and its
 *	counters, and
 *	in each span of the class: nfree, the scan hint, the claim (owner
 *	and claim), and every move of an object between FREE (in the span)
 *	and CACHED (in some mcache); and every CPU's claim stamp of the
 *	class (mcache->claim), but for a drain's, which only voids it.
 *	Class 0's: the freed large spans it keeps, on its empty stacks.
 *	Each node's spare array for a transfer stack (mcentral.c's
 *	xfer_spare) is under no lock: it changes hands by xchg() alone.
 *
 * gomem_mheap.lock (IRQ-safe spinlock)
 *	The free-page pools of every node (their run lists and the marks on
 *	their pages) and the page counters.  gomem_mheap.kept, the pages of
 *	the empty spans the mcentrals keep, and the counts of live large
 *	spans are atomics of their own, under no lock.
 *
 * Nesting: none.  Neither lock is taken while the other is held.  An
 * mcentral drops its lock before it asks the mheap for a span and before
 * it gives empty spans back, and the mheap, when it takes the kept empty
 * spans back from the mcentrals (mcentral_release_empty()), holds no lock
 * of its own, so the two never nest, and neither calls the page
 * allocator or kmalloc with a lock held.  The locks are IRQ-safe
 * because gomem_alloc(GFP_ATOMIC) and gomem_free() run in hard interrupts.
 *
 * gomem_mcache_lock, one per CPU (a local_lock_t)
 *	That CPU's mcache.  Only its own CPU touches it, always under
 *	mcache_lock_irqsave(), so neither an interrupt handler nor a task
 *	preempting the holder can see it half-updated, and no other CPU
 *	ever writes it.  Two exceptions touch a CPU's mcache from elsewhere,
 *	and both happen when that CPU cannot run gomem code: the CPU-hotplug
 *	callback after the CPU is dead, and module unload, when no caller
 *	is left.  Without PREEMPT_RT the lock is local_irq_save() and
 *	nothing more (lockdep sees it as a lock): the fast paths cost no
 *	atomic instruction.  With PREEMPT_RT it is a per-CPU sleeping
 *	spinlock that also disables migration, so that the mcentral's and
 *	the mheap's spinlock_t, which sleep there too, may be taken under
 *	it; as with kmalloc there, gomem is then not to be called from hard
 *	interrupts or with interrupts disabled.
 *	Nesting: the mcache lock, then an mcentral's lock or the mheap's
 *	(flushing a stack, refilling one from the spans a class holds,
 *	freeing other classes' stacks for the budget, sending objects
 *	home, a dead CPU's drain), never
 *	the other way round, and never one CPU's mcache lock inside another.
 *	A fast path may end in a tail call that gets the flags it saved and
 *	unlocks in its stead (tiny_alloc_slow(), gomem_free_span() and the
 *	like, each marked __releases() for sparse), so that the fast path
 *	keeps no register across a call: the section is the same, on the
 *	same CPU, until that unlock.
 *
 * trim_lock (a mutex, in reclaim.c)
 *	One trim at a time: the scavenger's and a write of reserve_kib's
 *	(reclaim_trim()), a shrinker's scan (reclaim_scan()), and the
 *	KUnit suites' drain of everything (gomem_drain()).  Taken
 *	with no gomem lock held, by a write under
 *	kernel_param_lock(THIS_MODULE), which nothing under it takes; an
 *	mcentral's lock, the mheap's and mspan_dead.lock are taken inside
 *	it, one at a time, and the drains of the scan and of gomem_drain()
 *	wait under it for work on every CPU that takes the mcache and
 *	mcentral locks, never it (on gomem's own WQ_MEM_RECLAIM
 *	workqueue).  Nothing under it allocates
 *	memory, so a shrinker called by an allocation's reclaim never waits
 *	on a holder that waits for that allocation.
 *
 * mspan_dead.lock, one per CPU (IRQ-safe spinlock, in mspan.c)
 *	That CPU's batch of freed spans waiting for their grace period,
 *	which its CPU fills and any CPU may close.  Taken with no other
 *	gomem lock held but the mcache lock (a flush that frees spans), and
 *	nothing is taken inside it.
 *
 * Finding a pointer's span: lockless
 * ==================================
 *
 * The pages gomem holds carry marks in their struct pages, written under
 * no lock but only by whoever owns the page: page->private says what the
 * page is, and page->index holds page->private ^ gomem_page_key, a random
 * number drawn at load.  A page whose two words do not agree bears no
 * mark of gomem's, whatever it holds, so any pointer at all can be checked
 * without trusting what its page says until the signature matches:
 *
 *	a span's page		private is the struct mspan (8-byte aligned,
 *				its top bit set: gomem_what_is_span()), on
 *				each object's first page if the objects are
 *				whole pages (a large span's is), else on
 *				every page (mspan_mark() in mspan.c)
 *	a free page in a pool	private has GOMEM_PAGE_POOL set, and on the
 *				first and last page of its run the run's
 *				length and GOMEM_PAGE_HEAD or _TAIL
 *	anything else		the signature does not match: another's
 *				page, or a page of a span's object of whole
 *				pages past its first (mspan_around() finds
 *				its span, for the reports)
 *
 * gomem_span_of() reads the marks with interrupts or preemption disabled
 * (an RCU-sched reader), or under the mcache lock, which on PREEMPT_RT
 * is an RCU reader instead (RCU's grace periods wait for both alike).  A
 * span is unmarked from its pages before it is freed, after a grace
 * period, so a reader that found it can still read it, and its states
 * say its objects are not live.  A span's marks are
 * written before any of its objects is handed out, so a valid pointer
 * always finds them.
 *
 * Before it reads a struct page, which exists only where there is memory,
 * a reader asks the mheap whether gomem holds pages in that page's
 * memory section (gomem_pfn_held()): a section where gomem holds
 * none cannot hold a gomem object, and one where it holds some cannot
 * be unplugged, so its struct pages exist.  That costs a load where
 * pfn_valid() walks the kernel's two-level section table inside an RCU
 * section of its own, on every free.  The counts cover the direct map as
 * it was at load (up to high_memory); memory hot-added above it is
 * checked with pfn_valid(), so there is no limit to outgrow.
 *
 * Object states
 * =============
 *
 * Every object in a small span has a state, one entry of span->state,
 * 1 or 2 bytes wide (mspan->state_width), and so has every index past
 * its last object that its pages' tail gives, FREE for good
 * (mspan_states()); a tiny block's is a 32-bit
 * "placed" word, followed in span->state by the block's 32-bit "freed"
 * word (state_width GOMEM_TINY_STATE, see tiny.c):
 *
 *	FREE (0)	in its span; only the mcentral (under its lock)
 *			moves it to CACHED.
 *	CACHED (all ones; GOMEM_TINY_CACHED for tiny blocks)
 *			in some mcache; only the CPU whose cache holds it
 *			moves it to live.  Or, a small object only, held
 *			by a realloc that moves it (gomem_hold()), which
 *			makes it live again before its free.
 *	live		handed out.  For a small object, 1 + (class size -
 *			requested size), which makes bytes_requested exact;
 *			for a tiny block, where its objects were placed.
 *			Never FREE or CACHED, not even for a moment: the
 *			mcentral reads live states under its own lock only,
 *			on any CPU, as it scans a span for FREE objects, and
 *			would take such an object for a free one (see
 *			TINY_EMPTY in tiny.h).
 *
 * The free of a small object moves it from live to CACHED with one
 * cmpxchg: of two frees that race, one wins and the other finds the
 * object no longer live and is refused, so an object is never in two
 * caches, and nothing is ever handed out twice.  A realloc moves it by
 * cmpxchg too, from one live state to another in place, or from live to
 * CACHED to hold it while it moves it, so that a free racing with it
 * claims the old state or is refused.  The other moves are made by the
 * one owner of the object in that state, with plain stores.  A large
 * span is live while span->live is not 0, and its free is the cmpxchg
 * from 1 to 0 (a realloc holds it at GOMEM_LARGE_RESIZING meanwhile); a
 * tiny object is freed by the cmpxchg that sets its bit in the block's
 * "freed" word, whose generation refuses a racing free that finds the
 * block reused (see tiny.c).  An object that reaches a lock in a state
 * it cannot be in is reported there and kept out of use.
 *
 * Under generic KASAN the same states are in the shadow (compat.h): a
 * live small or large object's requested bytes are accessible (all of
 * gomem_size() once the caller has asked for it, as with ksize()), the
 * rest of the object is a redzone, and memory in no live object reads as
 * freed.  Tiny objects are too small for KASAN's 8-byte granules: a tiny
 * block is accessible up to the end of the granule of the last object
 * placed in it, and freed when it goes back (see tiny_kasan_alloc()).
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
#include <linux/sizes.h>
#include <linux/jump_label.h>
#include <linux/local_lock.h>
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
extern const u8 gomem_size_to_class[GOMEM_CLASS_LEN];

/*
 * The size class for 1 <= size <= GOMEM_MAX_SMALL, in O(1) as in Go, by
 * one table where Go has two (scripts/mksizeclasses.py says why).
 */
static __always_inline unsigned int gomem_size_class(size_t size)
{
	return gomem_size_to_class[DIV_ROUND_UP(size, GOMEM_SIZE_STEP)];
}

/*
 * Span classes: 1 .. GOMEM_NR_CLASSES - 1 are the size classes; tiny
 * blocks are 16-byte objects of their own span class, because their
 * per-object state is two words rather than a byte (see tiny.c).  Class
 * 0 is the large objects': their row in the statistics, and an mcentral
 * that keeps freed large spans for reuse (mcentral_keep_large()).
 */
#define GOMEM_TINY_CLASS	GOMEM_NR_CLASSES
#define GOMEM_NR_SPANCLASSES	(GOMEM_NR_CLASSES + 1)
#define GOMEM_LARGE_CLASS	0

/* Objects above GOMEM_MAX_SMALL are large: whole pages, up to this. */
#define GOMEM_MAX_SIZE		(PAGE_SIZE << GOMEM_MAX_PAGE_ORDER)

enum mspan_kind {
	MSPAN_SMALL,	/* objects of one size class */
	MSPAN_TINY,	/* 16-byte tiny blocks */
	MSPAN_LARGE,	/* one object of whole pages */
};

/*
 * A span's struct is 64 bytes, and lies in a slab object of one of three
 * caches (mspan.c), with bytes of its own before it:
 *
 *	plain	64 bytes, 64-byte aligned: the struct alone, a cache line
 *		of its own (without slab debugging), whose last
 *		GOMEM_STATE_INLINE bytes hold a span's states if they take
 *		no more (the classes of 816, 1024, 2048 and 4096 bytes, and
 *		the spans of the table's size of most classes above a page,
 *		tail and all); a large span has none, and a span whose
 *		states take more than GOMEM_STATE_WIDE bytes (the classes
 *		below 128 bytes, the tiny blocks, most big spans of 16
 *		objects) has them in an allocation of their own
 *	wide	96 bytes, 32-byte aligned: the states of a span that takes
 *		more than GOMEM_STATE_INLINE bytes and up to GOMEM_STATE_WIDE
 *		(the classes of 128 to 680 bytes and of 1360, and the other
 *		spans above a page, mid spans of 8 objects among them), then
 *		the struct
 *	debug	under debug=1 or callers=1 only: a pointer to the span's
 *		debug records (debug.c), then the struct: 72 bytes, 8-byte
 *		aligned, with no line kept apart, in modes that have given
 *		up speed already
 *
 * A span's states and the struct's first 32 bytes are what every
 * allocation and free reads or writes: in a plain object they share its
 * line; in a wide one, at 96-byte steps from a page's start, they are
 * the 64 bytes of one line, or the second half of one whose first half is
 * the cold end of the span before and the first half of the next, whose
 * rest is the struct's own cold end.  So, but in the debug cache, two
 * spans' hot bytes never share a line, and a CPU that writes its span's
 * states makes no other CPU miss in its own span.  A one-page span's
 * struct is 1.6% of its page.
 */
#define GOMEM_STATE_INLINE	6
#define GOMEM_STATE_WIDE	32

struct mspan {
	/* hot: every allocation and free */
	unsigned long base;		/* address of the first object */
	u32 size;			/* object size, with debug's redzone */
	u32 divmul;
	union {
		struct {
			u8 kind;	/* enum mspan_kind */
			u8 state_width;	/* bytes of state per object:
					 * 1, 2, or GOMEM_TINY_STATE
					 */
		};
		/* Both at once: mspan_small_as(). */
		u16 kind_width;
	};
	u8 spanclass;
	union {
		/* large: 1 until freed (cmpxchg), or GOMEM_LARGE_RESIZING */
		u8 live;
		/*
		 * small, tiny: its pages, more than one, are one block of
		 * the page allocator, not split (mheap_pages_alloc())
		 */
		u8 whole;
	};
	u16 nelems;
	u16 node;			/* NUMA node of its pages */
	union {
		void *state;		/* small, tiny: mspan_states() states,
					 * see above
					 */
		size_t req;		/* large: bytes requested */
	};
	/* cold: written under a lock, or once */
	union {
		/* mcentral's partial list (mcentral->lock) */
		struct list_head node_list;
		/* kept empty (mcentral->lock), or on its way to the mheap */
		struct mspan *next_empty;
		struct rcu_head rcu;	/* once freed, and on no list */
	};
	union {
		struct {
			u16 nfree;	/* FREE objects (mcentral->lock) */
			u16 hint;	/* no FREE object below (mcentral->lock) */
			/*
			 * The CPU (+ 1; 0: none) whose refills took from
			 * it last, and that CPU's claim stamp then
			 * (mcentral->lock): see mcentral_claimed().
			 */
			u16 owner;
			u16 claim;
		};
		/*
		 * Freed: the rest of its batch (mspan.c).  Once a span is
		 * freed no list holds it, and no path reads the fields above
		 * (a lockless reader that still finds it reads only its hot
		 * bytes and its states, which find no live object).
		 */
		struct mspan *next_dead;
	};
	u16 npages;			/* up to a block of the largest order */
	/* hot: the states, when they are this few (see above) */
	u8 state_inline[GOMEM_STATE_INLINE];
};

/*
 * The largest request the tiny blocks serve: 1 to 4 bytes, which fit
 * four or more to a block.  A block's state costs 8 bytes (below), so a
 * request that fits only twice or once (6, 7 and 9 to 15 bytes) costs
 * 12 or 24 bytes in a block, and 9 or 17 in the 8- or 16-byte class, a
 * 1-byte state per object (measured, replaying `scripts/synth-trace 9
 * 15 60000 5`: 1.54 of SLUB's footprint in tiny blocks, 1.10 in the
 * class).  5 bytes fit three times, 8 bytes an object on paper, but a
 * freed one's bytes wait for the rest of its block, and the class
 * reuses its slot at once: `scripts/synth-trace 5 5 60000 6` held 443
 * KiB in blocks (1.37 of SLUB's), 379 in the 8-byte class (1.17), where
 * 4 bytes held 340 in blocks and 379 in the class, and a pair of 5
 * bytes took 127 instructions in a block, 124 in the class, a bulk16
 * 133, not 61 (one boot each).
 */
#define GOMEM_TINY_REQ_MAX	4

/*
 * A tiny block's state: a u32 "placed" word, also FREE or CACHED as for
 * any object, then a u32 "freed" word (see tiny.c).
 */
#define GOMEM_TINY_STATE	8

/* span->live of a large object whose request gomem_realloc() changes. */
#define GOMEM_LARGE_RESIZING	2

/* Per-object states; see the top of this file. */
#define GOMEM_OBJ_FREE		0U
#define GOMEM_TINY_CACHED	0x7fff0000U

/* A span's kind and state_width as its kind_width holds them. */
#ifdef __LITTLE_ENDIAN
#define GOMEM_KIND_WIDTH(kind, width)	((kind) | (width) << 8)
#else
#define GOMEM_KIND_WIDTH(kind, width)	((kind) << 8 | (width))
#endif

/*
 * Is s a small span whose states are width bytes wide?  kind and
 * state_width read and compared as one word, where testing each took
 * the free's fast path three instructions more (measured: a free of a
 * class whose states are 1 byte wide 2 fewer in all; of one of 2 bytes,
 * tested second, as many as before).
 */
static __always_inline bool mspan_small_as(const struct mspan *s,
					   unsigned int width)
{
	return s->kind_width == GOMEM_KIND_WIDTH(MSPAN_SMALL, width);
}

/*
 * Is s, which mspan_small_as() found not small, tiny rather than large?
 * Where a tiny span's kind_width is above a small span's of width 2, and
 * a large span's (width 0) below, as on little-endian machines, by that
 * compare, which the test of width 2 has just made (measured: a free of
 * a tiny object 1 instruction fewer than with its kind read again).
 */
static __always_inline bool mspan_tiny_not_small(const struct mspan *s)
{
	const u16 small2 = GOMEM_KIND_WIDTH(MSPAN_SMALL, 2);

	if (GOMEM_KIND_WIDTH(MSPAN_TINY, GOMEM_TINY_STATE) > small2 &&
	    GOMEM_KIND_WIDTH(MSPAN_LARGE, 0) < small2)
		return s->kind_width > small2;
	return s->kind == MSPAN_TINY;
}

static __always_inline unsigned int gomem_state_cached(unsigned int width)
{
	return width == 1 ? 0xffU : width == 2 ? 0xffffU : GOMEM_TINY_CACHED;
}

/*
 * Bytes between two states in span->state, of a span whose states are
 * width bytes wide: width, a tiny block's "placed" word and its "freed"
 * word side by side; tested, not multiplied, where width is not a
 * constant.
 */
static __always_inline unsigned int gomem_state_stride(unsigned int width)
{
	return width == 1 ? 1 : width == 2 ? 2 : GOMEM_TINY_STATE;
}

/* Where the state of index i is, of a span whose states are width wide. */
static __always_inline void *mspan_state_ptr(const struct mspan *s,
					     unsigned int i, unsigned int width)
{
	return s->state + (unsigned long)i * gomem_state_stride(width);
}

/* The index of the state at st, in span s, as mspan_state_ptr() gave it. */
static __always_inline unsigned int mspan_state_index(const struct mspan *s,
						      const void *st,
						      unsigned int width)
{
	return (unsigned long)(st - s->state) / gomem_state_stride(width);
}

/*
 * The state at st, width bytes wide: a loop over one class's spans
 * passes its mcentral's state_width, tested once for the loop
 * (mcentral_put()), not once an object.
 */
static __always_inline unsigned int gomem_state_at(const void *st,
						   unsigned int width)
{
	if (width == 1)
		return READ_ONCE(*(u8 *)st);
	if (width == 2)
		return READ_ONCE(*(u16 *)st);
	return READ_ONCE(*(u32 *)st);
}

static __always_inline void gomem_set_state_at(void *st, unsigned int v,
					       unsigned int width)
{
	if (width == 1)
		WRITE_ONCE(*(u8 *)st, v);
	else if (width == 2)
		WRITE_ONCE(*(u16 *)st, v);
	else
		WRITE_ONCE(*(u32 *)st, v);
}

/* An object's state, by its index i in span s. */
static __always_inline unsigned int mspan_state_as(const struct mspan *s,
						   unsigned int i,
						   unsigned int width)
{
	return gomem_state_at(mspan_state_ptr(s, i, width), width);
}

static __always_inline void mspan_set_state_as(struct mspan *s, unsigned int i,
					       unsigned int v, unsigned int width)
{
	gomem_set_state_at(mspan_state_ptr(s, i, width), v, width);
}

static __always_inline unsigned int mspan_state(const struct mspan *s,
						unsigned int i)
{
	return mspan_state_as(s, i, s->state_width);
}

static __always_inline void mspan_set_state(struct mspan *s, unsigned int i,
					    unsigned int v)
{
	mspan_set_state_as(s, i, v, s->state_width);
}

/*
 * Move a small object, whose state is at "at", from state "from" to
 * state "to", atomically against a racing free of the same object: false
 * if it was not in state "from" any more.  Its states are width bytes
 * wide.
 */
static __always_inline bool gomem_swap_state_at(void *at, unsigned int from,
						unsigned int to,
						unsigned int width)
{
	u8 old8 = from;
	u16 old16 = from;

	if (width == 1)
		return try_cmpxchg((u8 *)at, &old8, to);
	return try_cmpxchg((u16 *)at, &old16, to);
}

static __always_inline bool mspan_swap_state_as(struct mspan *s,
						unsigned int i,
						unsigned int from,
						unsigned int to,
						unsigned int width)
{
	return gomem_swap_state_at(mspan_state_ptr(s, i, width), from, to,
				   width);
}

/* A small object's free: from live state "live" to CACHED, as above. */
static __always_inline bool gomem_claim_at(void *at, unsigned int live,
					   unsigned int width)
{
	return gomem_swap_state_at(at, live, gomem_state_cached(width), width);
}

static __always_inline bool mspan_claim(struct mspan *s, unsigned int i,
					unsigned int live)
{
	return gomem_claim_at(mspan_state_ptr(s, i, s->state_width), live,
			      s->state_width);
}

/*
 * Zero n bytes of memory gomem owns, through whatever KASAN marks it
 * carries (init_on_alloc and init_on_free reach past an object's
 * request).  n is a multiple of 8, as every class size, span and page
 * is: memset64(), whose rep stosq is in line, where memset() costs a
 * call and the setup of its byte count (measured: an allocation under
 * init_on_alloc took 13 instructions fewer, at every size).
 */
static inline void gomem_zero(void *p, size_t n)
{
	kasan_disable_current();
	memset64(p, 0, n / sizeof(u64));
	kasan_enable_current();
}

/* Index of the object containing p, by multiplication as in Go. */
static __always_inline unsigned int mspan_index(const struct mspan *s,
						unsigned long p)
{
	return ((u64)(p - s->base) * s->divmul) >> 32;
}

/*
 * Is p, within small span s's pages, the start of one of its objects or
 * of where one would be in the span's tail, and of which index (*idx)?
 * By the same multiplication: the index's fraction is below divmul
 * exactly at an object's start (divmul_for() says why), one compare
 * where multiplying the index back took three instructions more
 * (measured: a free took 2 fewer).  An index past the last object has a
 * state too, FREE for good (mspan_states()), so that the caller's test
 * of the state, which it makes anyway, refuses it: no compare with
 * nelems, nor load of it (measured, with gomem_what_is_span(): a free 5
 * instructions fewer, 3 of them here).
 */
static __always_inline bool mspan_start(const struct mspan *s,
					unsigned long p, unsigned int *idx)
{
	u64 q = (u64)(p - s->base) * s->divmul;

	*idx = q >> 32;
	return (u32)q < s->divmul;
}

/* Page marks: see "Finding a pointer's span" above. */
#define GOMEM_PAGE_HEAD		1UL
#define GOMEM_PAGE_TAIL		2UL
#define GOMEM_PAGE_POOL		4UL
#define GOMEM_PAGE_KIND		7UL
#define GOMEM_PAGE_RUN_SHIFT	3

extern unsigned long gomem_page_key;

/*
 * One page's mark (mark true), the signature first, or its removal, the
 * signature last: a reader that sees half of either sees no signature,
 * not ours.
 */
static __always_inline void gomem_page_write(struct page *page, unsigned long sig,
					     unsigned long what, bool mark)
{
	if (mark) {
		WRITE_ONCE(page->index, sig);
		WRITE_ONCE(page->private, what);
	} else {
		WRITE_ONCE(page->private, 0);
		WRITE_ONCE(page->index, 0);
	}
}

/*
 * gomem_page_write() of the n pages from page, four a turn: make bench's
 * batches of 256 KiB objects, which take their pages from the page
 * allocator and give them back, took 5% fewer instructions than a page
 * a turn, and of 32 KiB 3%, when their spans still marked every page
 * (mspan_mark() marks their objects' first pages now); a pool's run
 * still marks all its pages.  sig and what are read once: the compiler
 * must assume that each store could change them, and a run can be
 * hundreds of pages.
 */
static __always_inline void gomem_pages_write(struct page *page, unsigned long n,
					      unsigned long sig, unsigned long what,
					      bool mark)
{
	struct page *end = page + n;

	for (; end - page >= 4; page += 4) {
		gomem_page_write(page, sig, what, mark);
		gomem_page_write(page + 1, sig, what, mark);
		gomem_page_write(page + 2, sig, what, mark);
		gomem_page_write(page + 3, sig, what, mark);
	}
	for (; page < end; page++)
		gomem_page_write(page, sig, what, mark);
}

/* Mark the n pages from page with what. */
static inline void gomem_pages_mark(struct page *page, unsigned long n,
				    unsigned long what)
{
	gomem_pages_write(page, n, what ^ gomem_page_key, what, true);
}

static inline void gomem_page_mark(struct page *page, unsigned long what)
{
	gomem_pages_mark(page, 1, what);
}

static inline void gomem_pages_unmark(struct page *page, unsigned long n)
{
	gomem_pages_write(page, n, 0, 0, false);
}

/* gomem's mark on a page that exists, or 0 if the page is not gomem's. */
static __always_inline unsigned long gomem_page_what_of(struct page *page)
{
	unsigned long what = READ_ONCE(page->private);

	/*
	 * The signature is read once, and only compared: a plain read,
	 * which the compiler may fold into the compare, where READ_ONCE()'s
	 * volatile load took an instruction more on every free.  private,
	 * which is used, must be read once (above).
	 */
	if (unlikely(data_race(page->index) != (what ^ gomem_page_key)))
		return 0;
	return what;
}

/* Sections below high_memory where gomem holds pages, and how many: mheap.c. */
extern u8 *gomem_section_held;
extern unsigned int *gomem_section_pages;
extern unsigned long gomem_nr_sections;
bool gomem_pfn_valid(unsigned long pfn);

/*
 * Is pfn in a section the counts cover (the direct map as it was at
 * load)?  If so, gomem_pfn_held() is a load, and calls nothing.
 */
static __always_inline bool gomem_pfn_counted(unsigned long pfn)
{
	return pfn_to_section_nr(pfn) < gomem_nr_sections;
}

/*
 * May the page at pfn be gomem's?  If so, its struct page exists: see
 * "Finding a pointer's span" above.  Any pfn.  RCU-sched reader.
 */
static __always_inline bool gomem_pfn_held(unsigned long pfn)
{
	if (unlikely(!gomem_pfn_counted(pfn)))
		return gomem_pfn_valid(pfn);
	/* A plain read, as the signature's (gomem_page_what_of()). */
	return data_race(gomem_section_held[pfn_to_section_nr(pfn)]);
}

/*
 * gomem's mark on the page holding direct-map address addr, or 0 if the
 * page is not gomem's (or addr is not in the direct map at all).  Any
 * pointer may be passed.  RCU-sched reader.
 */
static __always_inline unsigned long gomem_page_what(unsigned long addr)
{
	unsigned long pfn = (addr - PAGE_OFFSET) >> PAGE_SHIFT;

	/* Addresses below the direct map wrap to a pfn pfn_valid() refuses. */
	if (unlikely(!gomem_pfn_held(pfn)))
		return 0;
	return gomem_page_what_of(pfn_to_page(pfn));
}

/*
 * Is a page's mark (gomem_page_what()) a span's?  A struct mspan lies in
 * the kernel's half of the address space, its top bit set, where no pool
 * mark (a run's length and GOMEM_PAGE_KIND's bits) and not 0, no mark at
 * all, have it: one test, where the kind's and NULL's took two, on every
 * free (2 instructions fewer).  mspan_init() refuses a kernel whose
 * direct map, where the slab puts spans, is not up there.
 */
static __always_inline bool gomem_what_is_span(unsigned long what)
{
	return (long)what < 0;
}

/* The span holding addr, or NULL.  Any pointer.  RCU-sched reader. */
static __always_inline struct mspan *gomem_span_of(unsigned long addr)
{
	unsigned long what = gomem_page_what(addr);

	if (unlikely(!gomem_what_is_span(what)))
		return NULL;
	return (struct mspan *)what;
}

/* Why a pointer handed to gomem is not a live object's start. */
enum gomem_bad {
	GOMEM_BAD_FOREIGN,
	GOMEM_BAD_DOUBLE,
	GOMEM_BAD_INTERIOR,
	GOMEM_BAD_STATE,	/* found where its state says it cannot be */
	GOMEM_BAD_POISON,	/* debug=1: written after it was freed */
	GOMEM_BAD_REDZONE,	/* debug=1: written past its end */
	GOMEM_BAD_NULL,		/* a NULL in a bulk free's array */
	GOMEM_BAD_BULK,		/* a bulk call with nothing, or too much */
	GOMEM_BAD_SIZE,		/* more than the page allocator can give */
	GOMEM_BAD_FLAGS,	/* gfp flags gomem cannot honour */
	GOMEM_BAD_NODE,		/* a node that cannot exist */
	GOMEM_BAD_NR,
};

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

/*
 * Free what gomem_meta_alloc(n, ...) gave; p may be NULL, as it mostly is
 * on the refill and flush paths, which then call nothing.
 */
static inline void gomem_meta_free(const void *p, size_t n)
{
	if (!p)
		return;
	atomic_long_sub(kmalloc_size_roundup(n), &gomem_meta_bytes);
	kfree(p);
}

/*
 * The caller's flags, as far as they say how hard to try and whether to
 * sleep.
 */
static inline gfp_t gomem_inherit_gfp(gfp_t gfp)
{
	return gfp & ~(__GFP_ZERO | __GFP_ACCOUNT | __GFP_COMP);
}

/* mheap.c: pages */
#define GOMEM_POOL_BUCKETS	16	/* runs of 1..15 pages, then longer */

struct mheap_pool {
	struct list_head runs[GOMEM_POOL_BUCKETS + 1];	/* by length */
	unsigned long nonempty;		/* bit b: runs[b] has a run */
	unsigned long pages;
	u64 spilled;			/* jiffies_64: see mheap_spilled() */
};

struct mheap {
	spinlock_t lock;		/* see the top of this file */
	struct mheap_pool *pools;	/* one per node */
	unsigned long pages_total;	/* held: in spans or in the pools */
	unsigned long pages_free;	/* in the pools */
	unsigned long pages_acquired;	/* taken from the page allocator, cumulative */
	unsigned long pages_released;	/* given back, cumulative */
	atomic_long_t nr_large, large_pages;	/* live large spans */
	atomic_long_t kept;		/* pages of the empty spans kept */
	/*
	 * The most pages the pools and the kept empty spans hold beyond the
	 * reserve, waiting for the scavenger; set at load, then only read.
	 * See mheap_surplus() for how much, and why.
	 */
	unsigned long surplus;
};

extern struct mheap gomem_mheap;

/* Kept spans' pages an allocation the pools cannot serve takes back first. */
#define GOMEM_TAKE_KEPT_PAGES	(SZ_1M >> PAGE_SHIFT)

int mheap_init(void);
void mheap_exit(void);
unsigned long mheap_pages_alloc(unsigned int n, int node, gfp_t gfp, bool *whole);
void mheap_pages_free(unsigned long base, unsigned int n, bool whole);
unsigned long mheap_block_alloc(unsigned int n, int node, gfp_t gfp);
void mheap_block_free(unsigned long base, unsigned int n);
unsigned long mheap_scavenge(unsigned long keep);
unsigned long mheap_keep_room(void);
int mheap_nearest_memory(int node);
int mheap_next_near(int node, int prev);
struct page *mheap_buddy_alloc(int node, gfp_t gfp, unsigned int order);
bool mheap_spilled(int node);

/* How long a surplus stays before the scavenger gives it back (reclaim.c). */
#define GOMEM_SCAVENGE_DELAY	(HZ / 2)

/*
 * How long a node that spilled stays spilled (mheap_spilled()).  Until
 * then, a class with no span of the node's takes another node's free
 * objects before it grows; after, its next growth asks the node again,
 * and lands there if the node has pages again, or spills once more.
 */
#define GOMEM_SPILL_HOLD	(HZ / 2)

/*
 * The node whose pages a request for node's get: node, or if it has no
 * memory gomem can use, the nearest that has, where the page allocator
 * falls back to first.  That is normal memory (N_NORMAL_MEMORY), not
 * just any (N_MEMORY): gomem's pages cannot move, so they never come
 * from ZONE_MOVABLE, and a node whose memory is all movable (hot-added
 * memory onlined movable, CXL memory) is as memoryless to gomem as one
 * with none.  gomem lists a span by its pages' node, so a span grown for
 * such a node would be found by nobody who asks for that node.
 */
static inline int mheap_memory_node(int node)
{
	return node_state(node, N_NORMAL_MEMORY) ? node : mheap_nearest_memory(node);
}

/* mspan.c: spans and their pages */
int mspan_init(void);
void mspan_exit(void);
struct mspan *mspan_alloc(const struct mspan *tmpl, int node, gfp_t gfp);
unsigned int mspan_states(const struct mspan *s);
void mspan_free(struct mspan *s);
void mspan_free_now(struct mspan *s);
void mspan_for_each(void (*fn)(struct mspan *s, void *arg), void *arg);
struct mspan *mspan_around(unsigned long addr);
/* Freed spans that share one grace period (mspan.c). */
#define GOMEM_DEAD_BATCH	16
void mspan_dead_flush(void);
bool mspan_dead_waiting(int cpu);
struct mspan *mspan_alloc_large(size_t size, int node, gfp_t gfp);
unsigned int mspan_alloc_large_bulk(size_t size, int node, gfp_t gfp,
				    struct mspan **spans, unsigned int n);
void mspan_free_large(struct mspan *s);
void mspan_free_large_bulk(struct mspan **spans, unsigned int n);

/* mcentral.c */
/*
 * One node's transfer stack of a class (mcentral.c): CACHED objects that
 * CPUs of that home node flushed, as they were, for the next refill.
 */
struct mcentral_xfer {
	struct gomem_obj *objs;		/* GOMEM_XFER_ARRAY; NULL while n is 0 */
	unsigned int n;
};

struct mcentral {
	spinlock_t lock;		/* see the top of this file */
	struct list_head *partial;	/* by node: spans with FREE objects */
	struct mspan **empty;		/* by node: spans all FREE, kept */
	struct mcentral_xfer *xfer;	/* by node: transfer stacks */
	unsigned long nr_empty;		/* spans on the empty lists */
	unsigned long nr_spans;
	unsigned long nr_grown;		/* spans ever added (mcache_refill()) */
	unsigned long nr_pages, nr_objs;	/* in all spans */
	unsigned long nr_free;		/* FREE objects in all spans */
	unsigned int spanclass;
	unsigned int size, npages, nelems, divmul;
	unsigned int min_npages;	/* the smallest span, if npages fails */
	/*
	 * A big class's spans (mcentral_grow_pages()): u16, so that the
	 * struct stays 128 bytes, whose index is a shift, where a third
	 * unsigned int here made it 192 (callers=1 pairs, which index it in
	 * every call, took 2 instructions more).
	 */
	u16 big_npages, mid_npages;
	u8 kind, state_width;
	u16 cache_cap;			/* an mcache stack's room */
	u16 stream_cap;			/* ... in a stream (mcache.c) */
	u16 swing_cap;			/* ... that swings (mcache.c) */
	u16 xfer_cap;			/* a transfer stack's room; 0: none */
	unsigned int lender;		/* the class it borrows from when cold */
	/* Bytes it borrowed since its or its lender's nr_spans was 0. */
	atomic_t borrowed;
} ____cacheline_aligned_in_smp;

extern struct mcentral gomem_mcentral[GOMEM_NR_SPANCLASSES];

/*
 * Of each small class, what an allocation from a stack needs besides the
 * entry (obj_make_live_in()): its mcentral's stride + 1, less which the
 * request's size is a live state, and its state width.  Set by
 * mcentral_init(), then only read.  An array of its own, 8 bytes a class,
 * which an allocation reads by the class's number at one load each, with
 * no mcentral's address to compute.
 */
struct gomem_live {
	u32 top;
	u8 width;
};

extern struct gomem_live gomem_live[GOMEM_NR_SPANCLASSES];

/*
 * The objects of a class above PAGE_SIZE in its big span (mcentral.c).
 * Its own span, the table's, holds one to five: a span's struct, block,
 * page marks and grace period, paid for every object or two, were most
 * of what a batch of 4,096 objects of 8 to 32 KiB cost (850, 1,288 and
 * 1,715 instructions an allocation; 330, 520 and 829 with spans of 8).
 * And with spans of 8 still most of it: in one icount boot of batch4096,
 * batch256, remote and bulk128 at 8, 16 and 32 KiB, batch4096 took 460,
 * 626 and 850 instructions an object, allocation and free, with spans of
 * 8, and 382, 505 and 723 with spans of 16 (after mid spans of 8), the
 * other rows up to 35 fewer (remote at 32 KiB) or 2 more (remote at 8
 * KiB); with spans of 32, 324, 432 and 703, but batch256 at 8 KiB 354,
 * not 207, its 2 MiB right at a threshold (GOMEM_BIG_SPANS).
 */
#define GOMEM_BIG_SPAN_OBJS	16
/* ... and in its mid span, which comes before it (mcentral_tier()). */
#define GOMEM_MID_SPAN_OBJS	(GOMEM_BIG_SPAN_OBJS / 2)

/*
 * A class above PAGE_SIZE grows by its mid span (GOMEM_MID_SPAN_OBJS
 * objects) once it holds this many mid spans' pages, and by its big span
 * once it holds this many big spans' pages (mcentral_tier()), so that the
 * free objects of the span it grew by last are at most an eighth of what
 * it holds.
 */
#define GOMEM_BIG_SPANS		8

/*
 * The fewest objects a stack of a class above PAGE_SIZE may hold in a
 * stream (mcentral.c), half a big span's, which a refill or a flush of
 * the stream moves in a lock round trip.  A whole big span's 16, with the
 * flushes and claims that go by this count (mcache.c, mcentral.c), took
 * objects freed on another CPU 18 to 27 instructions fewer at 8 to 32
 * KiB, but held 1,309 and 1,316 KiB at the peak of the net shape, where
 * 8 held 1,182 then (scripts/synth-trace --shape net 1; 1,055 to 1,097
 * since e2457f5's refills).  A stream of refills alone, which holds no
 * more at a peak, may take a whole big span's (refill_limit() in
 * mcache.c).
 */
#define GOMEM_STREAM_MIN	8

/*
 * The bytes a cold class may borrow before it gets a span of its own
 * (mcentral_class_for()): a few pages, so that what it borrowed wastes
 * a page or two at most, and a class asked for often soon has the fast
 * path of its own stack.
 */
#define GOMEM_LEND_BYTES	(4 * PAGE_SIZE)
extern bool gomem_lend;		/* the lend parameter */

/*
 * The most objects a refill, or a bulk call's get, moves in one lock
 * round trip of an mcentral when it gathers them in its frame
 * (mcache_refill(), 16 bytes an object).  A refill in place, and a flush,
 * which move them straight between the stack and the mcentral, move up
 * to GOMEM_HELD_MAX, half the most a stack holds (GOMEM_MCACHE_MAX), so
 * that a refill of half leaves room.
 */
#define GOMEM_BATCH_MAX		32

/*
 * How many objects of a class a CPU may cache at most (mcentral.c):
 * about GOMEM_MCACHE_BYTES, between 1 and GOMEM_STREAM_MAX objects, and
 * four times as many bytes in a stream of frees or of refills that do
 * not grow the class, but at least GOMEM_STREAM_MIN above PAGE_SIZE, up
 * to GOMEM_STREAM_MAX too; in a stack that swings between them
 * GOMEM_SWING_BYTES, up to GOMEM_MCACHE_MAX objects, but no fewer than
 * in a stream.  A refill or flush moves half of what the stack may hold,
 * more in a stream (see mcache.c).  Over all classes, a CPU's stacks may
 * hold gomem_mcache_budget bytes of objects (mcache_budget()), the
 * mcache_kib parameter, by default GOMEM_MCACHE_BUDGET: four classes at
 * their widest swing, where they were bounded only class by class, at
 * 10,399 KiB.  No budget is smaller than the widest stack
 * (mcache_init()).
 */
#define GOMEM_MCACHE_BYTES	SZ_16K
#define GOMEM_SWING_BYTES	SZ_256K
#define GOMEM_MCACHE_BUDGET	SZ_1M

/*
 * A class's transfer stack on each node holds GOMEM_XFER_MAX objects at
 * most (mcentral.c): a batch256 wave of any class up to a page, 4,270
 * KiB over the 44 classes of a 4 KiB page.
 */
#define GOMEM_XFER_MAX		256
/*
 * The bytes of a transfer stack's array, the same for every class, so
 * that one a take emptied serves any class's next flush (mcentral.c).
 */
#define GOMEM_XFER_ARRAY	(GOMEM_XFER_MAX * sizeof(struct gomem_obj))
/*
 * A stack that swings may hold a batch256 wave of the classes up to
 * 1 KiB (GOMEM_SWING_BYTES bounds the bigger ones), so that a wave goes
 * through the mcentral in a few lock round trips of up to GOMEM_HELD_MAX
 * objects, not in refills and flushes of 32 to 48; one that does not
 * swing holds GOMEM_STREAM_MAX at most, as every stack did before (see
 * mcentral_setup() for what each bought, and README.md, "Many CPUs", for
 * the bound).
 */
#define GOMEM_MCACHE_MAX	256
#define GOMEM_STREAM_MAX	64
#define GOMEM_HELD_MAX		(GOMEM_MCACHE_MAX / 2)
extern unsigned long gomem_mcache_budget;

/*
 * A free object on its way between an mcentral and an mcache, or sitting
 * in an mcache, with the address of its state in its span
 * (mspan_state_ptr()): the allocation that makes it live writes there,
 * and needs neither its span nor its index (measured: a pair 9 to 10
 * instructions fewer than with its span, whose index the allocation
 * computed, and a batch's allocations 7).  What needs the span, a flush
 * back to the mcentral, finds it from the object's page
 * (gomem_obj_span()).
 */
struct gomem_obj {
	void *p;
	void *state;
};

/*
 * The span of o, a CACHED object or one on its way to or from a stack:
 * its span cannot go, nor its pages' marks change, while it is not FREE,
 * so the mark is read without gomem_span_of()'s checks.  A direct-map
 * address, whose pfn is a subtraction, where virt_to_page() also tests
 * for the kernel's image (measured: a batch's frees 3 to 7 instructions
 * an object fewer).
 */
static __always_inline struct mspan *gomem_obj_span(const struct gomem_obj *o)
{
	unsigned long pfn = ((unsigned long)o->p - PAGE_OFFSET) >> PAGE_SHIFT;

	return (struct mspan *)READ_ONCE(pfn_to_page(pfn)->private);
}

int mcentral_init(void);
void mcentral_exit(void);
unsigned int mcentral_get_live(struct mcentral *c, void **ptrs, size_t req,
			       unsigned int n, gfp_t gfp);
unsigned int mcentral_get(struct mcentral *c, struct gomem_obj *objs,
			  unsigned int n, gfp_t gfp, int node);
unsigned int mcentral_get_some(struct mcentral *c, struct gomem_obj *objs,
			       unsigned int n, unsigned int firm, gfp_t gfp);
unsigned int mcentral_get_held(struct mcentral *c, struct gomem_obj *objs,
			       unsigned int n);
void mcentral_put(struct mcentral *c, const struct gomem_obj *objs,
		  unsigned int n);
void mcentral_put_flushed(struct mcentral *c, const struct gomem_obj *objs,
			  unsigned int n);
unsigned long mcentral_xfer_objs(const struct mcentral *c);
void mcentral_xfer_drain(void);
unsigned long mcentral_xfer_release(unsigned long want);
unsigned int mcentral_class_for(unsigned int cls);

/* The objects on node's transfer stack of c, read without the lock. */
static inline unsigned int mcentral_xfer_held(const struct mcentral *c, int node)
{
	return READ_ONCE(c->xfer[node].n);
}

unsigned long mcentral_release_empty(unsigned long want);
unsigned long mcentral_release_large(unsigned long want);
bool mcentral_keep_large(struct mspan *s);
unsigned int mcentral_keep_large_bulk(struct mspan **spans, unsigned int n);
struct mspan *mcentral_reuse_large(unsigned int npages, int node, gfp_t gfp);
unsigned int mcentral_reuse_large_bulk(unsigned int npages, int node, gfp_t gfp,
				       struct mspan **spans, unsigned int n);

/* mcache.c */
/*
 * A class's counts.  bytes is what its live objects requested.  A CPU's
 * counts of a small class hold there the sum of its objects' states
 * instead, + on alloc, - on free: a state is 1 + (size - request), with
 * size the class's, its mcentral's, so that the bytes are live * (size +
 * 1) - that sum, which gomem_stats_read() works out; a free has the state
 * at hand, where the requested size would cost it three instructions.
 */
struct gomem_class_stats {
	u64 allocs;
	u64 frees;
	s64 bytes;
};

/* A CPU's counts, but its classes', which are in their slots. */
struct gomem_cpu_stats {
	struct gomem_class_stats tiny;	/* tiny objects, not blocks */
	u64 misses;	/* pops from this cache that waited for a refill */
	u64 refills, flushes;
	u64 evictions;	/* stacks freed to keep the budget (mcache_budget()) */
	u64 alloc_failures, bad_frees;
};

/*
 * One class's stack in one CPU's mcache.  Until a class has a stack on a
 * CPU, the CPU's first allocation of it that finds nothing cached takes
 * one object straight from the mcentral, and so does its first free that
 * finds no room give one back; the next of the same kind allocates the
 * stack, with room for the class's cache_cap objects.  The stack lives
 * until the cache is drained, which makes the class cold again, or until
 * the CPU's budget frees it, which leaves the class warm.  cap,
 * what the stack may hold now, starts small and doubles with each refill.
 * So a class a CPU used once holds nothing, one it uses little holds
 * little, and a busy one moves big batches.
 */
struct mcache_slot {
	u16 n;			/* objects cached */
	u16 cap;		/* may hold now; 0 without a stack */
	u8 warm;		/* MCACHE_WARM_*, since the drain */
	u8 flushes;		/* flushes in a row, since the last refill */
	u8 refills;		/* refills in a row that grew no span */
	u8 swings;		/* turns after 2 or more moves one way */
	struct gomem_obj *objs;	/* the stack, or NULL */
	/*
	 * The class's counts on this CPU, beside its stack: a free or an
	 * allocation finds both from one address, where two arrays took it
	 * two and, on the free, a register it did not have (measured: an
	 * allocation 3 instructions fewer; a free, with GOMEM_IP() in
	 * gomem.c, 7).
	 */
	struct gomem_class_stats stats;
};

/*
 * Objects came from the mcentral for a slot's class, by a refill or by a
 * bulk allocation that bypassed the stack (bulk_get()): a move the other
 * way from a flush, for the streaks that grow the stack (mcache.c); grew
 * if the class grew by a span meanwhile.  The mcache locked.
 */
static inline void mcache_moved_in(struct mcache_slot *slot, bool grew)
{
	slot->flushes = 0;
	slot->refills = grew ? 0 : min(slot->refills + 1, U8_MAX);
}

/*
 * The slot's objects turned after a run one way, in a wave bigger than
 * its stack: a swing (mcache.c: grown_cap()).  The mcache locked.
 */
static inline void mcache_swung(struct mcache_slot *slot)
{
	slot->swings = min(slot->swings + 1, U8_MAX);
}

#define MCACHE_WARM_ALLOC	BIT(0)
#define MCACHE_WARM_FREE	BIT(1)
/* Refilled or flushed since the budget's hand last passed (mcache.c). */
#define MCACHE_WARM_RECENT	BIT(2)
/* Flushes, or refills, in a row that make a stream (mcache.c: cap_limit()). */
#define MCACHE_STREAM		8
/* Swings that let a stack grow to its swing_cap (mcache.c: grown_cap()). */
#define MCACHE_SWINGS		2

/*
 * Objects a CPU gathers before it sends them back to their spans: other
 * nodes' objects, and a bulk free's past its stack (mcache_put_away());
 * as many as a refill brings at most.
 */
#define MCACHE_AWAY	GOMEM_BATCH_MAX

/*
 * The largest stack whose class a bulk free sends back in batches of its
 * own (mcache_bulk_away()): 2 objects, the classes above 4 KiB, whose
 * stacks never hold more than a stream's GOMEM_STREAM_MIN.  Measured:
 * bulk16 at 16 KiB went from 1,002 to 510 instructions an object; at 2
 * KiB, whose stacks hold 8, it went from 294 to 321, and bulk128 at 1 KiB
 * from 284 to 322.  4 KiB was among them, whose stacks hold 4 but may
 * swing to 32 (bulk_get() in gomem.c), which a stack whose bulk frees go
 * aside never does: bulk16 and bulk128 of 4 KiB alone took 214 and 213
 * instructions an object, 111 and 177 once it was not (after the other
 * patterns, bulk128 187 and 177).
 */
#define MCACHE_BULK_AWAY_CAP	2

struct mcache {
	struct mcache_slot slot[GOMEM_NR_SPANCLASSES];
	/*
	 * Tiny allocator: the current block, or 0, and its state; the
	 * offset of its first free byte, GOMEM_TINY_MAX (a whole block) if
	 * there is no current block, so that nothing fits (tiny.c).
	 */
	unsigned long tiny;
	unsigned long tiny_off;
	u32 *tiny_placed;
	u32 *tiny_freed;
	struct mspan *tiny_span;
	/* Freed objects on their way back to their spans: see MCACHE_AWAY. */
	unsigned int naway;
	struct gomem_obj away[MCACHE_AWAY];
	u8 away_n[GOMEM_NR_SPANCLASSES];	/* ... of each class */
	/*
	 * Objects gomem_free_bulk() had still to free in this call when its
	 * section of the mcache lock began, and exactly, the one being freed
	 * among them, when a run of a class's objects found the stack full
	 * (gomem_free_section()); 0 outside it.  Under that lock.
	 */
	unsigned int bulk_left;
	/*
	 * The bytes of objects the stacks may hold, summed over classes
	 * (cap times size), at most gomem_mcache_budget; and the class
	 * whose stack the budget looks at next (mcache_budget()).
	 */
	unsigned long cap_bytes;
	unsigned int hand;
	/*
	 * Per class, the stamp of this CPU's claim on the span its refills
	 * take from (mspan->claim): a new one voids the old (mcentral.c).
	 * Written under the class's mcentral lock, but by a drain.
	 */
	u16 claim[GOMEM_NR_SPANCLASSES];
	struct gomem_cpu_stats stats;
};

DECLARE_PER_CPU(struct mcache *, gomem_mcache);
struct mcache *gomem_mcache_of(unsigned int cpu);

/* This CPU's mcache, held: see the top of this file. */
DECLARE_PER_CPU(local_lock_t, gomem_mcache_lock);
#define mcache_lock_irqsave(flags)				\
	do {							\
		local_lock_irqsave(&gomem_mcache_lock, flags);	\
		gomem_local_lock_acquired(&gomem_mcache_lock);	\
	} while (0)
#define mcache_unlock_irqrestore(flags)				\
	do {							\
		gomem_local_lock_released(&gomem_mcache_lock);	\
		local_unlock_irqrestore(&gomem_mcache_lock, flags); \
	} while (0)
unsigned long mcache_lock_for_test(void)
	__acquires(&gomem_mcache_lock);
void mcache_unlock_for_test(unsigned long flags)
	__releases(&gomem_mcache_lock);

/* On for machines of more than one possible node: see mcache_push(). */
DECLARE_STATIC_KEY_FALSE(gomem_numa_key);

int mcache_init(void);
unsigned long mcache_widest(void);
void mcache_exit(void);
void mcache_free(void);
bool mcache_refill_held(struct mcache *c, unsigned int cls);
bool mcache_refill(unsigned int cls, gfp_t gfp, struct gomem_obj *first,
		   unsigned int need);
void mcache_make_room(struct mcache *c, unsigned int cls, void *p, void *st);
void mcache_flush_away(struct mcache *c);
void mcache_drain_all(void);
void mcache_drain_busy(void);
unsigned long mcache_cached_bytes(void);

/* reclaim.c: the reserve, the scavenger and the shrinker */
extern unsigned int gomem_reserve_kib;
extern bool gomem_reclaim_live;
extern atomic_long_t gomem_shrink_calls, gomem_shrink_freed;
unsigned long reclaim_reserve_pages(void);
int reclaim_reserve_set(const char *val, const struct kernel_param *kp);
void reclaim_scavenge_soon(void);
void reclaim_scavenger_sync(void);
void reclaim_trim(void);
void gomem_drain(void);
unsigned long reclaim_count(struct shrinker *sh, struct shrink_control *sc);
unsigned long reclaim_scan(struct shrinker *sh, struct shrink_control *sc);
void reclaim_init(void);
void reclaim_exit(void);

/*
 * The node this CPU's allocations come from, and whose spans its stacks
 * hold (mcache.c): its own, or, if its node has no normal memory, the
 * nearest that has (mheap_memory_node()).  Not numa_mem_id(), which on
 * x86 names a memoryless node itself: its spans would all be another
 * node's, so every refill grew a span and every free went home as a
 * foreign one.
 * Read without preemption off, as numa_mem_id() is: a task that moves
 * on asks for the node of the CPU it ran on, which is only less local.
 */
DECLARE_PER_CPU(int, gomem_home);

static __always_inline int gomem_home_node(void)
{
	return raw_cpu_read(gomem_home);
}

/*
 * Is s of another node than this CPU's, whose stacks do not take its
 * objects?  Never on one node, where the static key is off.
 */
static __always_inline bool mcache_foreign(const struct mspan *s)
{
	return static_branch_unlikely(&gomem_numa_key) && s->node != gomem_home_node();
}

/*
 * Would mcache_push() put an object of span s straight on the stack of
 * slot, its class's, calling neither mcache_put_away() nor
 * mcache_make_room()?  gomem_free() asks before it claims the object,
 * which leaves it no way back.  The mcache locked.
 */
static __always_inline bool mcache_push_fits(const struct mcache_slot *slot,
					     const struct mspan *s)
{
	return !mcache_foreign(s) && likely(slot->n != slot->cap);
}

/*
 * mcache_push() of an object that mcache_push_fits() said fits, whose
 * state is at st.
 */
static __always_inline void mcache_push_fit(struct mcache_slot *slot, void *p,
					    void *st)
{
	struct gomem_obj *o = &slot->objs[slot->n++];

	o->p = p;
	o->state = st;
}

/*
 * A CACHED object of class cls, whose state is at st, freed on this CPU
 * that its stack does not take: one of another node's span, or past what
 * a bulk free's stack can hold.  Gathered here, to go back to its span in
 * batches, never handed out by this CPU.  The mcache locked, c this
 * CPU's.
 */
static __always_inline void mcache_put_away(struct mcache *c, unsigned int cls,
					    void *p, void *st)
{
	c->away[c->naway].p = p;
	c->away[c->naway++].state = st;
	c->away_n[cls]++;
	if (unlikely(c->naway == MCACHE_AWAY))
		mcache_flush_away(c);
}

/*
 * Does a bulk free put p, of a full stack's class cls, aside?  When it
 * frees more than a small stack can ever hold: what does not fit goes
 * back in batches of MCACHE_AWAY, not a few objects per lock round trip
 * (gomem_free_bulk() sends the last batch at the end of its section).  A
 * bigger stack's flushes move enough: putting each object away costs
 * more than they save.  A stack (cap) means this is not the class's
 * first free, which mcache_make_room() sends straight back.  Inline, with
 * mcache_put_away(): bulk128 of 4 to 32 KiB took 189 to 190 instructions
 * an object, not 202 to 206, with a call to decide.  The mcache locked.
 */
static __always_inline bool mcache_bulk_away(const struct mcache *c,
					     unsigned int cls)
{
	unsigned int cache_cap = gomem_mcentral[cls].cache_cap;

	return c->bulk_left > cache_cap && cache_cap <= MCACHE_BULK_AWAY_CAP &&
	       c->slot[cls].cap;
}

/*
 * Push a CACHED object, p of span s with its state at st, on this CPU's
 * stack; a full stack, or none yet, is mcache_make_room()'s business, and
 * an object of another node's span or a bulk free's past a small stack
 * mcache_put_away()'s: a CPU's stacks hold only its own node's objects,
 * so that what it allocates is local.  The mcache locked, which makes it
 * safe without another lock for the reasons the top of this file gives.
 */
static __always_inline void mcache_push(struct mcache *c, unsigned int cls,
					void *p, const struct mspan *s, void *st)
{
	if (mcache_foreign(s)) {
		mcache_put_away(c, cls, p, st);
	} else if (unlikely(c->slot[cls].n == c->slot[cls].cap)) {
		if (mcache_bulk_away(c, cls))
			mcache_put_away(c, cls, p, st);
		else
			mcache_make_room(c, cls, p, st);
	} else {
		mcache_push_fit(&c->slot[cls], p, st);
	}
}

/* tiny.c */
void *tiny_alloc(size_t size, gfp_t gfp);
unsigned int tiny_alloc_bulk(size_t size, gfp_t gfp, void **p, unsigned int n);
bool tiny_free(struct mcache *c, struct mspan *s, unsigned long p);
size_t tiny_free_bulk(struct mcache *c, struct mspan *s, void **ptrs,
		      size_t i, size_t end, bool zero);
size_t tiny_size(struct mspan *s, unsigned long p);
size_t tiny_size_seen(struct mspan *s, unsigned long p, u32 *seen);
bool tiny_free_moved(const void *p, struct mspan *s, u32 seen);
void tiny_span_init(struct mspan *s);
enum gomem_bad tiny_why(struct mspan *s, unsigned long p);
void tiny_retire(struct mcache *c);
bool tiny_free_stalled(const void *p, void (*stall)(void *arg), void *arg);

/* proc.c */
int gomem_proc_init(void);
void gomem_proc_exit(void);

/* stats, summed over all CPUs */
struct gomem_stats {
	struct gomem_class_stats cls[GOMEM_NR_SPANCLASSES];
	struct gomem_class_stats tiny;
	u64 refills, flushes, alloc_failures, bad_frees;
	/* Objects on the CPUs' stacks and buffers, and on transfer stacks. */
	unsigned long cached[GOMEM_NR_SPANCLASSES];
};

void gomem_stats_read(struct gomem_stats *st);

/* fault.c: fail_gomem */
struct gomem_fault {
	atomic_t probability, interval, times, space;
	atomic_t count, injected;
	u32 min_order, verbose;
};

extern struct gomem_fault gomem_fail;
bool gomem_should_fail(unsigned int order);
bool gomem_load_fails(void);
void gomem_load_done(void);
void gomem_fault_init(void);
void gomem_fault_exit(void);

/*
 * gomem_meta_alloc() for what the load sets up, and for a CPU's cache
 * when it first comes up: one of the load's points of failure (fault.c's
 * fail_load).  Process context.
 */
static inline void *gomem_meta_alloc_load(size_t n, int node)
{
	return gomem_load_fails() ? NULL : gomem_meta_alloc(n, GFP_KERNEL, node);
}

/* gomem.c */
void gomem_count(unsigned int cls, s64 bytes, bool alloc);
void gomem_unhold(struct mspan *s, unsigned int i, unsigned int st);
void gomem_count_failure(void);

/*
 * debug.c: debug=1 (see there).  gomem_debug() says whether every call
 * takes debug.c's recorded paths, as debug=1 and callers=1 both want;
 * gomem_debug_checks(), whether debug=1's checks are on too.
 */
DECLARE_STATIC_KEY_FALSE(gomem_debug_key);

static __always_inline bool gomem_debug(void)
{
	return static_branch_unlikely(&gomem_debug_key);
}

bool gomem_debug_checks(void);

struct gomem_debug_obj;

/*
 * Under gomem_debug() only: the address of span s's debug records, in
 * the word before s in its slab object (see struct mspan).
 */
static inline struct gomem_debug_obj **mspan_debug_records(const struct mspan *s)
{
	return (struct gomem_debug_obj **)(unsigned long)s - 1;
}

/*
 * trace.c: gomem_hooked() says whether the exported calls take their
 * hooked paths, out of line: for good while debug=1, callers=1 or
 * init_on_free is on (from load), and while a probe is attached to one
 * of gomem's tracepoints (their registration counts it up and down).
 * One static key for all of them, so that the fast paths pay one NOP for
 * them all.
 */
DECLARE_STATIC_KEY_FALSE(gomem_hook_key);
void gomem_hook_init(void);

static __always_inline bool gomem_hooked(void)
{
	return static_branch_unlikely(&gomem_hook_key);
}

int gomem_debug_init(void);
void *gomem_debug_alloc(size_t size, gfp_t flags, int node, unsigned long ip);
void gomem_debug_free(const void *p, unsigned long ip);
int gomem_debug_span_init(struct mspan *s, gfp_t gfp);
void gomem_debug_span_free(struct mspan *s);
void gomem_debug_resize(struct mspan *s, unsigned int i, const void *p,
			size_t req);
unsigned long gomem_debug_caller(const struct mspan *s, unsigned int i,
				 size_t *req);
void gomem_debug_describe(unsigned long addr, char *buf, size_t len);

/* callers.c: callers=1, /proc/gomem_callers */
bool gomem_callers_on(void);
int gomem_callers_init(void);
void gomem_callers_exit(void);

/* report.c: bad input */
enum gomem_bad gomem_why(unsigned long addr);
void gomem_report(const char *what, const char *fn, const void *p,
		  enum gomem_bad why, unsigned long ip);
void gomem_report_bad_free(const char *fn, const void *p, unsigned long ip);
void gomem_report_bulk(const char *fn, size_t nr, void **ptrs,
		       unsigned long ip);
void gomem_report_request(size_t size, gfp_t flags, enum gomem_bad why,
			  unsigned long ip);
void gomem_report_node(size_t size, gfp_t flags, int node, unsigned long ip);
void gomem_count_bad_free(void);
extern atomic_t gomem_reports[GOMEM_BAD_NR];

#endif /* _GOMEM_INTERNAL_H */
