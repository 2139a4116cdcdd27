// SPDX-License-Identifier: GPL-2.0
/*
 * Spans: a struct mspan for each run of pages that holds objects.
 *
 * A span is the pages the mheap gave it, a description of the objects in
 * them (kind, size, count) and their states (see gomem_internal.h).  It
 * marks the page of each of its objects' starts with itself (every page,
 * unless its objects are whole pages: mspan_mark()), which is how a
 * pointer finds its span in O(1) with no table: through the struct page of
 * the pointer's page, as SLUB finds a slab.  A large span's pages come
 * from and go back to the page allocator directly; other spans' through
 * the mheap's pools.  Small spans and tiny spans belong to their class's
 * mcentral; a live large span is one object, on no list: unload finds it,
 * as it finds full spans, through its pages' marks (mspan_for_each()), so
 * that a large allocation and its free take no lock to list it.  A freed
 * large span may be kept, whole, by class 0's mcentral for the next large
 * allocation of its size (mcentral.c).
 *
 * A freed span waits for its grace period in a batch of its CPU's: one
 * call_rcu() for GOMEM_DEAD_BATCH spans, whose structs then go back to
 * the slab in one kmem_cache_free_bulk() a cache (struct mspan says
 * which caches hold them, and why).  A span's life is what a class
 * of one or two objects a page pays for each object of a batch bigger
 * than the spans kept, and a grace period and a slab free of its own
 * were an eighth of it.
 * A CPU's batch is closed when full, or by the scavenger, which the
 * batch's first span schedules, by the shrinker and by a drain, so no
 * dead span waits for a batch to fill for longer than the scavenger's
 * delay.
 *
 * Invariants: the pages mspan_mark() names are marked with the span from
 * before it is handed out until mspan_free(), and no other page of it is
 * marked at all; the struct and its states are freed an RCU-sched grace
 * period after the marks are gone, so a lockless reader that found the
 * span can still read it (and finds no live object there); a small span's
 * states are all FREE when it is created and when it is freed; no two
 * spans' hot bytes share a cache line (but under debug=1 and callers=1);
 * a span lies in one cache for its whole life (mspan_home()).
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "gomem_internal.h"

/*
 * The slab caches a span's struct lies in (see struct mspan), and how many
 * bytes come before the struct in its object: a wide span's states, or
 * the debug records' address.  Apart from the caches' names and
 * alignments, which only mspan_init() reads, so that a span's paths find
 * it with one scaled load.
 */
enum mspan_home { MSPAN_PLAIN, MSPAN_WIDE, MSPAN_DEBUG, MSPAN_HOMES };

static struct kmem_cache *mspan_cache[MSPAN_HOMES];
static const unsigned int mspan_before[MSPAN_HOMES] = {
	[MSPAN_WIDE] = GOMEM_STATE_WIDE,
	[MSPAN_DEBUG] = sizeof(struct gomem_debug_obj *),
};

static const struct {
	const char *name;
	unsigned int align;
} mspan_cache_made[MSPAN_HOMES] = {
	[MSPAN_PLAIN] = { "gomem_mspan", 64 },
	[MSPAN_WIDE] = { "gomem_mspan_wide", 32 },
	[MSPAN_DEBUG] = { "gomem_mspan_debug", __alignof__(struct mspan) },
};

/*
 * A CPU's batch of dead spans, linked through next_dead.  lock protects
 * it: its CPU takes it, uncontended, unless a free moved to another CPU
 * on the way, and the scavenger takes every CPU's to close the batches.
 */
struct mspan_dead {
	spinlock_t lock;	/* head and n */
	struct mspan *head;
	unsigned int n;
};

static DEFINE_PER_CPU(struct mspan_dead, mspan_dead);

/*
 * How many states span s has: one an object, and a small span one more
 * for each index that mspan_index() gives past its last object, in the
 * tail of its pages.  Those stay FREE, never handed out nor scanned (the
 * mcentral stops at nelems): a pointer in the tail finds a state that is
 * not live, as a freed object's, and mspan_start() needs no bound.  With
 * today's classes that is one more at most; the count comes from the
 * divmul as mspan_index() uses it, since divmul_for() checks it exact
 * only up to the last object's end, not in the tail.
 */
unsigned int mspan_states(const struct mspan *s)
{
	u64 last = ((u64)s->npages << PAGE_SHIFT) - 1;

	if (s->kind != MSPAN_SMALL)
		return s->nelems;
	return ((last * s->divmul) >> 32) + 1;
}
EXPORT_SYMBOL_IF_KUNIT(mspan_states);

static size_t state_bytes(const struct mspan *s)
{
	return (size_t)mspan_states(s) * s->state_width;
}

/* The bytes of s's states: none for a large span. */
static size_t span_state_bytes(const struct mspan *s)
{
	return s->kind == MSPAN_LARGE ? 0 : state_bytes(s);
}

/* The cache of a span whose states take bytes (span_state_bytes()). */
static enum mspan_home mspan_home_by(size_t bytes)
{
	if (gomem_debug())
		return MSPAN_DEBUG;
	return bytes > GOMEM_STATE_INLINE && bytes <= GOMEM_STATE_WIDE ?
	       MSPAN_WIDE : MSPAN_PLAIN;
}

/*
 * The cache that holds span s, or will hold a span like s: the same for
 * its whole life, from what it was made with.
 */
static enum mspan_home mspan_home(const struct mspan *s)
{
	return mspan_home_by(span_state_bytes(s));
}

/* The slab object of span s, which lies in h's cache. */
static void *mspan_object(struct mspan *s, enum mspan_home h)
{
	return (void *)s - mspan_before[h];
}

/*
 * Free what a span holds but its slab object, and say which cache that
 * object goes back to.
 */
static enum mspan_home mspan_empty(struct mspan *s)
{
	enum mspan_home h = mspan_home(s);

	if (h == MSPAN_DEBUG)
		gomem_debug_span_free(s);
	if (s->kind != MSPAN_LARGE && h != MSPAN_WIDE &&
	    s->state != s->state_inline)
		gomem_meta_free(s->state, state_bytes(s));
	atomic_long_sub(kmem_cache_size(mspan_cache[h]), &gomem_meta_bytes);
	return h;
}

static void mspan_destroy(struct mspan *s)
{
	enum mspan_home h = mspan_empty(s);

	kmem_cache_free(mspan_cache[h], mspan_object(s, h));
}

/*
 * Mark s's pages with s (mark true), or take its marks off.  A span of
 * objects of whole pages, a large span among them, marks only each
 * object's first page; any other span marks every page.  A pointer that
 * a free, gomem_size() or a realloc may rightly be given is an object's
 * start, and finds its span in its own page; the pages in between stay as
 * the page allocator gave them, and mspan_around() tells a pointer into
 * one of those for the reports.  Marking every page cost batch4096 of 32
 * KiB objects (8 pages each, 16 to a span) 40 instructions an object,
 * allocation and free, 694 against 654, and of 256 KiB objects (64
 * pages) 389, 4,337 against 3,948 (make bench's loops, one icount boot
 * of each).  Objects of 8 KiB gain next to nothing (2 pages each, which
 * gomem_pages_write() marks four a turn: 318 against 317), and classes
 * of objects that are not whole pages, such as 27264 bytes, have no
 * stride to step by.
 */
static __always_inline void mspan_mark(struct mspan *s, bool mark)
{
	struct page *page = virt_to_page((void *)s->base), *end;
	unsigned long what = mark ? (unsigned long)s : 0;
	unsigned long sig = mark ? what ^ gomem_page_key : 0;
	/* Read once: the compiler must assume that each mark could change it. */
	unsigned int step = s->size >> PAGE_SHIFT;

	if (s->size & ~PAGE_MASK) {
		gomem_pages_write(page, s->npages, sig, what, mark);
		return;
	}
	for (end = page + s->nelems * step; page < end; page += step)
		gomem_page_write(page, sig, what, mark);
}

/*
 * A span's marks off, and its pages back to the mheap: a large one's
 * straight back.  (A span that failed to be made is not marked yet: its
 * pages, gomem's, are unmarked once more.)
 */
static void mspan_pages_free(struct mspan *s)
{
	mspan_mark(s, false);
	if (s->kind == MSPAN_LARGE)
		mheap_block_free(s->base, s->npages);
	else
		mheap_pages_free(s->base, s->npages, s->whole);
}

/*
 * A batch of dead spans, its grace period over: head and the rest.  The
 * objects of wide spans gather at the end of dead[], the others' (all of
 * one cache: plain, or debug for every span) at its start, and each cache
 * gets its own in one call.
 */
static void mspan_free_batch_rcu(struct rcu_head *head)
{
	struct mspan *s = container_of(head, struct mspan, rcu), *next;
	/* Only dead[0..n) and dead[wide..) are read. */
	void *dead[GOMEM_DEAD_BATCH] __uninitialized;
	size_t n = 0, wide = GOMEM_DEAD_BATCH;
	enum mspan_home h, other = MSPAN_PLAIN;

	for (; s; s = next) {
		next = s->next_dead;
		h = mspan_empty(s);
		if (h == MSPAN_WIDE) {
			dead[--wide] = mspan_object(s, h);
		} else {
			other = h;
			dead[n++] = mspan_object(s, h);
		}
	}
	if (n)
		kmem_cache_free_bulk(mspan_cache[other], n, dead);
	if (wide < GOMEM_DEAD_BATCH)
		kmem_cache_free_bulk(mspan_cache[MSPAN_WIDE], GOMEM_DEAD_BATCH - wide,
				     dead + wide);
}

/* Close batch d: its grace period begins.  d->lock held, or unload. */
static void mspan_dead_close(struct mspan_dead *d)
{
	if (!d->head)
		return;
	call_rcu(&d->head->rcu, mspan_free_batch_rcu);
	d->head = NULL;
	d->n = 0;
}

/*
 * Close every CPU's batch: the scavenger's, the shrinker's and a drain's
 * work, so that no dead span waits long for its batch to fill.  Any
 * context.
 */
void mspan_dead_flush(void)
{
	struct mspan_dead *d;
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		d = per_cpu_ptr(&mspan_dead, cpu);
		if (!READ_ONCE(d->head))
			continue;
		spin_lock_irqsave(&d->lock, flags);
		mspan_dead_close(d);
		spin_unlock_irqrestore(&d->lock, flags);
	}
}

/* Does cpu have dead spans waiting for their batch to close?  (KUnit) */
bool mspan_dead_waiting(int cpu)
{
	return READ_ONCE(per_cpu_ptr(&mspan_dead, cpu)->head);
}
EXPORT_SYMBOL_IF_KUNIT(mspan_dead_waiting);

/*
 * A span like tmpl (kind, class, npages, nelems, size), on node's pages,
 * with every object FREE, its pages marked.  May sleep only if gfp
 * allows, and only in the page or slab allocator.
 */
struct mspan *mspan_alloc(const struct mspan *tmpl, int node, gfp_t gfp)
{
	gfp_t meta_gfp = gomem_inherit_gfp(gfp);
	size_t bytes = span_state_bytes(tmpl);
	enum mspan_home h = mspan_home_by(bytes);
	struct mspan *s;
	void *obj;
	bool whole;

	obj = kmem_cache_alloc_node(mspan_cache[h], meta_gfp, node);
	if (!obj)
		return NULL;
	atomic_long_add(kmem_cache_size(mspan_cache[h]), &gomem_meta_bytes);
	s = obj + mspan_before[h];
	*s = *tmpl;
	/* No records yet, for mspan_destroy() if what follows fails. */
	if (h == MSPAN_DEBUG)
		*mspan_debug_records(s) = NULL;
	INIT_LIST_HEAD(&s->node_list);
	/* Every state FREE (0); a large span has none. */
	if (h == MSPAN_WIDE) {
		memset(obj, 0, GOMEM_STATE_WIDE);
		s->state = obj;
	} else if (bytes && bytes <= GOMEM_STATE_INLINE) {
		memset(s->state_inline, 0, sizeof(s->state_inline));
		s->state = s->state_inline;
	} else if (bytes) {
		s->state = gomem_meta_alloc(bytes, meta_gfp, node);
		if (!s->state)
			goto fail;
	}
	if (s->kind == MSPAN_LARGE) {
		s->base = mheap_block_alloc(s->npages, node, gfp);
	} else {
		s->base = mheap_pages_alloc(s->npages, node, gfp, &whole);
		s->whole = whole;
	}
	if (!s->base)
		goto fail;
	if (s->kind == MSPAN_TINY)
		tiny_span_init(s);
	if (gomem_debug() && gomem_debug_span_init(s, meta_gfp)) {
		mspan_pages_free(s);
		goto fail;
	}
	s->node = page_to_nid(virt_to_page((void *)s->base));
	mspan_mark(s, true);
	return s;
fail:
	mspan_destroy(s);
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mspan_alloc);

/*
 * Give a span's pages back to the mheap, and the span itself after a
 * grace period.  The caller owns the span: it is on no list, and none of
 * its objects is live or cached.  Any context.
 */
void mspan_free(struct mspan *s)
{
	struct mspan_dead *d;
	unsigned long flags;
	bool opened;

	mspan_pages_free(s);
	d = raw_cpu_ptr(&mspan_dead);
	spin_lock_irqsave(&d->lock, flags);
	s->next_dead = d->head;
	d->head = s;
	opened = ++d->n == 1;
	if (d->n == GOMEM_DEAD_BATCH)
		mspan_dead_close(d);
	spin_unlock_irqrestore(&d->lock, flags);
	/* The scavenger closes the batch if it does not fill meanwhile. */
	if (opened)
		reclaim_scavenge_soon();
}
EXPORT_SYMBOL_IF_KUNIT(mspan_free);

/* mspan_free() for unload, when no reader is left: no grace period. */
void mspan_free_now(struct mspan *s)
{
	mspan_pages_free(s);
	mspan_destroy(s);
}

/*
 * Call fn(s, arg) for every span, as the marks on its pages show it:
 * once, at its first page, inside an RCU read-side critical section, so
 * that s stays readable even if it is freed meanwhile (its marks go
 * first, its struct a grace period later); fn may free s.  No list holds
 * the full spans and the large ones, so this is how unload, callers=1
 * and the tests find them.  Sections where gomem holds no page are
 * skipped whole, but those past the ones counted at load (hot-added
 * memory), which are looked at page by page.  Sleeps between sections.
 */
void mspan_for_each(void (*fn)(struct mspan *s, void *arg), void *arg)
{
	unsigned long end = PHYS_PFN(__pa(high_memory - 1)) + 1;
	unsigned long pfn, next, sec, what;
	struct mspan *s;

	for (pfn = 0; pfn < end; pfn = next) {
		sec = pfn_to_section_nr(pfn);
		next = min(end, section_nr_to_pfn(sec + 1));
		if (sec < gomem_nr_sections && !READ_ONCE(gomem_section_held[sec]))
			continue;
		rcu_read_lock();
		for (; pfn < next; pfn++) {
			if (!gomem_pfn_held(pfn))
				continue;
			what = gomem_page_what_of(pfn_to_page(pfn));
			s = (struct mspan *)what;
			if (what && !(what & GOMEM_PAGE_KIND) &&
			    PHYS_PFN(__pa(s->base)) == pfn)
				fn(s, arg);
		}
		rcu_read_unlock();
		cond_resched();
	}
}
EXPORT_SYMBOL_IF_KUNIT(mspan_for_each);

/*
 * The span whose pages hold addr, or NULL: any pointer, as
 * gomem_span_of(), but one into a page that a span leaves unmarked (see
 * mspan_mark()) too: by the nearest marked page at or below addr's, if
 * that is a span's and the span reaches addr.  No span is longer than the
 * largest block, and no page between is held by anyone else.  For the reports,
 * which tell an interior pointer from a foreign one, and debug's
 * descriptions: a page that no object starts in is never looked up on
 * the way of a valid pointer.  RCU-sched reader.
 */
struct mspan *mspan_around(unsigned long addr)
{
	unsigned long pfn = (addr - PAGE_OFFSET) >> PAGE_SHIFT, what, back;
	struct mspan *s;

	/* Addresses below the direct map wrap to a pfn pfn_valid() refuses. */
	for (back = 0; back < 1UL << GOMEM_MAX_PAGE_ORDER && back <= pfn; back++) {
		if (!gomem_pfn_held(pfn - back))
			return NULL;
		what = gomem_page_what_of(pfn_to_page(pfn - back));
		if (!what)
			continue;
		s = (struct mspan *)what;
		if (!gomem_what_is_span(what) ||
		    addr - s->base >= (unsigned long)s->npages << PAGE_SHIFT)
			return NULL;
		return s;
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mspan_around);

/*
 * A new span of its own for a large object of size, on node's pages.  Out
 * of line, so that the large allocations that take a kept span pay no
 * frame for it (5 instructions a pair at 64 KiB).
 */
static noinline struct mspan *mspan_new_large(size_t size, int node, gfp_t gfp)
{
	struct mspan tmpl = {
		.kind = MSPAN_LARGE,
		.npages = PAGE_ALIGN(size) >> PAGE_SHIFT,
		.nelems = 1,
		.size = PAGE_ALIGN(size),
		.req = size,
		.live = 1,
	};

	return mspan_alloc(&tmpl, node, gfp);
}

/*
 * Up to n large objects of size, in spans, each a span of its own, the
 * pages its size needs: kept spans of as many pages on node first (any
 * node's, if node spilled and gfp does not hold the request to node),
 * all taken in one lock round trip (mcentral.c) and cleared as the page
 * allocator would clear new pages, then new ones until one cannot be
 * had.  Returns how many, counted.  One body for one span and for many,
 * as mcentral_reuse_large()'s.
 */
static __always_inline unsigned int alloc_large(size_t size, int node, gfp_t gfp,
						struct mspan **spans,
						unsigned int n)
{
	unsigned int npages = PAGE_ALIGN(size) >> PAGE_SHIFT, got = 0, i;
	struct mspan *s;

	/*
	 * The home node by name, not NUMA_NO_NODE: a block that lands on
	 * another node marks node as spilled (mheap_spilled()).
	 */
	if (node == NUMA_NO_NODE)
		node = gomem_home_node();
	/* Not under debug=1, whose spans carry their own records. */
	if (!gomem_debug())
		got = n == 1 ? !!(spans[0] = mcentral_reuse_large(npages, node, gfp)) :
		      mcentral_reuse_large_bulk(npages, node, gfp, spans, n);
	for (i = 0; i < got; i++) {
		s = spans[i];
		if (want_init_on_alloc(gomem_inherit_gfp(gfp)))
			gomem_zero((void *)s->base, s->size);
		s->req = size;
		/* Before any pointer to it is handed out. */
		WRITE_ONCE(s->live, 1);
	}
	for (; got < n; got++) {
		spans[got] = mspan_new_large(size, node, gfp);
		if (!spans[got])
			break;
	}
	atomic_long_add(got, &gomem_mheap.nr_large);
	atomic_long_add((unsigned long)got * npages, &gomem_mheap.large_pages);
	return got;
}

struct mspan *mspan_alloc_large(size_t size, int node, gfp_t gfp)
{
	struct mspan *s;

	return alloc_large(size, node, gfp, &s, 1) ? s : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mspan_alloc_large);

unsigned int mspan_alloc_large_bulk(size_t size, int node, gfp_t gfp,
				    struct mspan **spans, unsigned int n)
{
	return alloc_large(size, node, gfp, spans, n);
}
EXPORT_SYMBOL_IF_KUNIT(mspan_alloc_large_bulk);

/*
 * Large spans whose frees won their cmpxchg on span->live: kept for
 * reuse as far as there is room, in one lock round trip, the others
 * gone, pages straight back to the page allocator, which zeroes them
 * itself if init_on_free asks.  Interrupts as the caller had them.  One
 * body for one span and for many.
 */
static __always_inline void free_large(struct mspan **spans, unsigned int n)
{
	unsigned long pages = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		pages += spans[i]->npages;
	atomic_long_sub(n, &gomem_mheap.nr_large);
	atomic_long_sub(pages, &gomem_mheap.large_pages);
	i = n == 1 ? mcentral_keep_large(spans[0]) :
	    mcentral_keep_large_bulk(spans, n);
	for (; i < n; i++)
		mspan_free(spans[i]);
}

void mspan_free_large(struct mspan *s)
{
	free_large(&s, 1);
}
EXPORT_SYMBOL_IF_KUNIT(mspan_free_large);

void mspan_free_large_bulk(struct mspan **spans, unsigned int n)
{
	free_large(spans, n);
}
EXPORT_SYMBOL_IF_KUNIT(mspan_free_large_bulk);

static void mspan_caches_destroy(void)
{
	unsigned int h;

	for (h = 0; h < MSPAN_HOMES; h++) {
		kmem_cache_destroy(mspan_cache[h]);
		mspan_cache[h] = NULL;
	}
}

int mspan_init(void)
{
	unsigned int h;
	int cpu;

	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(&mspan_dead, cpu)->lock);
	if (gomem_load_fails())
		return -ENOMEM;
	/*
	 * A plain span a line of its own, and a wide one's hot bytes in one
	 * line or the halves of two, the other halves cold (struct mspan).
	 */
	BUILD_BUG_ON(sizeof(struct mspan) != 64);
	BUILD_BUG_ON(offsetofend(struct mspan, state_inline) != sizeof(struct mspan));
	BUILD_BUG_ON(GOMEM_STATE_WIDE + offsetof(struct mspan, node_list) != 64);
	BUILD_BUG_ON(1UL << GOMEM_MAX_PAGE_ORDER > U16_MAX);
	/* gomem_what_is_span() tells a span by its address's top bit. */
	if ((long)PAGE_OFFSET >= 0) {
		pr_err("the direct map is not in the upper half of the address space\n");
		return -ENODEV;
	}
	for (h = 0; h < MSPAN_HOMES; h++) {
		/*
		 * The debug cache alone under debug=1 or callers=1 (set
		 * at load, before this), else the others.
		 */
		if (h == MSPAN_DEBUG ? !gomem_debug() : gomem_debug())
			continue;
		mspan_cache[h] = kmem_cache_create(mspan_cache_made[h].name,
						   mspan_before[h] + sizeof(struct mspan),
						   mspan_cache_made[h].align,
						   GOMEM_SLAB_NO_MERGE, NULL);
		if (!mspan_cache[h]) {
			mspan_caches_destroy();
			return -ENOMEM;
		}
	}
	return 0;
}

/* mspan_for_each()'s step at unload. */
static void mspan_exit_span(struct mspan *s, void *unused)
{
	mspan_free_now(s);
}

/*
 * Unload: free every span still held, small, tiny or large, with
 * whatever objects are live in it (gomem.c has reported them), in one
 * walk through the pages' marks, after the mcentrals forgot theirs, and
 * wait for the callbacks of every span freed before.
 */
void mspan_exit(void)
{
	int cpu;

	mspan_for_each(mspan_exit_span, NULL);
	atomic_long_set(&gomem_mheap.nr_large, 0);
	atomic_long_set(&gomem_mheap.large_pages, 0);
	for_each_possible_cpu(cpu)
		mspan_dead_close(per_cpu_ptr(&mspan_dead, cpu));
	rcu_barrier();
	mspan_caches_destroy();
}
