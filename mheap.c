// SPDX-License-Identifier: GPL-2.0
/*
 * Gomem's page heap: runs of pages for spans, and the free pages between.
 *
 * A span takes exactly the pages it needs, on the node asked for, from
 * the page allocator: a block of the order that covers them, split into
 * single pages with split_page() and the tail beyond them given back at
 * once, as alloc_pages_exact() does.  So an object up to PAGE_SIZE never
 * needs more than an order-0 page, a span never holds more than its own
 * pages, and a freed span's pages can go back one by one; pages that go
 * back together are joined into the fewest aligned blocks they make
 * (pages_give_single()), unless someone else holds a reference to one.
 * A span whose pages are a power of two stays one block while it lives
 * (its "whole"), and is split only if its pages join the pool: a burst
 * of such spans past what the pools hold goes back to the page allocator
 * a block a span, as SLUB's slabs do, not a page at a time (eight frees
 * of a page cost a 32 KiB object 2,000 instructions more than one of
 * eight pages), with no reference to test.
 *
 * Freed pages need not go straight back.  Each node has a pool of free
 * runs, as Go's mheap has: a run is a maximal set of neighbouring free
 * pages, found through the marks on its first and last pages (see
 * gomem_internal.h), so a run that is freed next to another merges with
 * it in O(1), and a span of n pages is carved from a run of the shortest
 * length that has them, found through a bitmap of the lengths the pool
 * has (pool_take()).  The pool absorbs the churn of small spans that
 * come and go; the scavenger (reclaim.c) gives back to the page allocator
 * whatever stays above the reserve for a moment, through
 * mheap_scavenge(), so that the allocation path never waits for it.
 * What the pool would hold past a bounded surplus goes back at once: free
 * pages held are memory held.  The empty spans the mcentrals keep for
 * reuse share that surplus (mheap_keep_room()), and are free pages too: when
 * the pools cannot serve a request, the mheap takes kept spans back, as
 * many pages as the request and at least GOMEM_TAKE_KEPT_PAGES (a bounded
 * work for an allocation path), a small span's into the pools and a
 * freed large one's to the page allocator, and tries again
 * (mcentral_release_empty()), having put the objects that wait on the
 * mcentrals' transfer stacks back in their spans first, so that the
 * spans they empty are among them.  And before
 * gomem takes pages from the page allocator, which it does only when the
 * pools still cannot serve, it gives back as many surplus pages as it
 * takes: so gomem grows only when the pools are down to the reserve, and
 * the surplus never raises its peak.  That costs the growing request at
 * most a page freed per page taken.
 *
 * Invariants, under gomem_mheap.lock:
 *  - a run of n pages in node's pool is on runs[min(n, BUCKETS)], every
 *    page of it is marked GOMEM_PAGE_POOL, its first page also HEAD and
 *    its last also TAIL, both with n;
 *  - bit b of its nonempty is set iff runs[b] is not empty;
 *  - no two runs in a pool are neighbours (they would have merged);
 *  - pages_free is the sum of the pools' pages, pages_total - pages_free
 *    the pages in spans;
 *  - gomem_section_pages[s] is how many of the pages_total lie in memory
 *    section s, for the sections below high_memory at load, and
 *    gomem_section_held[s] is 1 iff that is not 0: the pages are counted
 *    before any of them is marked, and uncounted only once they are all
 *    unmarked, so a reader that finds held 0 (read without the lock)
 *    never misses a mark (gomem_pfn_held()).  Every free reads held;
 *    only a section's first page taken and last given back write it, so
 *    the counts, which every page taken or given back writes, are kept
 *    apart, and their cache lines never bounce to the freeing CPUs.
 * Pages in the pools are KASAN-poisoned as freed, like any free object.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>

#include "gomem_internal.h"

struct mheap gomem_mheap;
EXPORT_SYMBOL_IF_KUNIT(gomem_mheap);

unsigned long gomem_page_key;
EXPORT_SYMBOL_IF_KUNIT(gomem_page_key);
unsigned int *gomem_section_pages;
EXPORT_SYMBOL_IF_KUNIT(gomem_section_pages);
u8 *gomem_section_held;
EXPORT_SYMBOL_IF_KUNIT(gomem_section_held);
unsigned long gomem_nr_sections;
EXPORT_SYMBOL_IF_KUNIT(gomem_nr_sections);
atomic_long_t gomem_meta_bytes;
EXPORT_SYMBOL_IF_KUNIT(gomem_meta_bytes);

static unsigned long pool_trim(unsigned long keep, bool may_sleep);

static struct mheap_pool *pool_of(int node)
{
	return &gomem_mheap.pools[node];
}

/* The bucket of runs of n pages. */
static unsigned long bucket(unsigned long n)
{
	return min_t(unsigned long, n, GOMEM_POOL_BUCKETS);
}

/* The buckets set in nonempty whose runs are long enough for n pages. */
static unsigned long runs_from(unsigned long nonempty, unsigned long n)
{
	return nonempty & ~(BIT(bucket(n)) - 1);
}

static unsigned long run_len(struct page *edge)
{
	return page_private(edge) >> GOMEM_PAGE_RUN_SHIFT;
}

/*
 * The run of n pages at first joins its pool; mheap.lock.  Its inner
 * pages are marked GOMEM_PAGE_POOL already: a page inside a run stays so
 * when the run is cut or merged, and pool_put() marks the pages it
 * brings.  Only the edges are written here, so cutting a page off a long
 * run, or merging one into it, costs the same whatever the run's length.
 */
static void run_insert(struct page *first, unsigned long n)
{
	unsigned long len = n << GOMEM_PAGE_RUN_SHIFT;
	struct mheap_pool *pool = pool_of(page_to_nid(first));

	if (n > 1) {
		gomem_page_mark(first, len | GOMEM_PAGE_POOL | GOMEM_PAGE_HEAD);
		gomem_page_mark(first + n - 1, len | GOMEM_PAGE_POOL | GOMEM_PAGE_TAIL);
	} else {
		gomem_page_mark(first, len | GOMEM_PAGE_POOL | GOMEM_PAGE_HEAD |
				GOMEM_PAGE_TAIL);
	}
	list_add(&first->lru, &pool->runs[bucket(n)]);
	__set_bit(bucket(n), &pool->nonempty);
	pool->pages += n;
}

/* The run of n pages at first leaves its pool, still marked; mheap.lock. */
static void run_remove(struct page *first, unsigned long n)
{
	struct mheap_pool *pool = pool_of(page_to_nid(first));

	/* Not list_del(): its poison would sit in the page's compound_head. */
	list_del_init(&first->lru);
	if (list_empty(&pool->runs[bucket(n)]))
		__clear_bit(bucket(n), &pool->nonempty);
	pool->pages -= n;
}

/*
 * The pool page at pfn with one of the edge marks in edge, or NULL.  The
 * neighbour of a run may be anyone's page, or no page at all.
 */
static struct page *pool_edge(unsigned long pfn, int nid, unsigned long edge)
{
	struct page *page;
	unsigned long what;

	if (!gomem_pfn_held(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	what = gomem_page_what_of(page);
	if ((what & GOMEM_PAGE_POOL) && (what & edge) && page_to_nid(page) == nid)
		return page;
	return NULL;
}

/* Give n pages at base to their node's pool, merged with neighbours. */
static void pool_put(unsigned long base, unsigned long n)
{
	struct page *first = virt_to_page((void *)base), *edge;
	int nid = page_to_nid(first);
	unsigned long len;

	lockdep_assert_held(&gomem_mheap.lock);
	gomem_pages_mark(first, n, GOMEM_PAGE_POOL);
	edge = pool_edge(page_to_pfn(first) - 1, nid, GOMEM_PAGE_TAIL);
	if (edge) {
		len = run_len(edge);
		first = edge - len + 1;
		run_remove(first, len);
		gomem_page_mark(edge, GOMEM_PAGE_POOL);
		n += len;
	}
	edge = pool_edge(page_to_pfn(first) + n, nid, GOMEM_PAGE_HEAD);
	if (edge) {
		len = run_len(edge);
		run_remove(edge, len);
		gomem_page_mark(edge, GOMEM_PAGE_POOL);
		n += len;
	}
	run_insert(first, n);
}

/*
 * n pages from node's pool, unmarked, or 0 if no run has them; mheap.lock.
 * They are carved from a run of the shortest length the pool has that
 * is at least n, found in the bitmap of buckets that have runs: below
 * the last bucket, a run of exactly that length; in the last, which
 * holds every longer run, the first run for a request shorter than any
 * of them (the last freed, likeliest to be in cache), and the shortest
 * that has them for a longer one.
 */
static unsigned long pool_take(int node, unsigned long n)
{
	struct mheap_pool *pool = pool_of(node);
	unsigned long b, len = 0, have;
	struct page *first = NULL, *page;

	have = runs_from(pool->nonempty, n);
	if (!have)
		return 0;
	b = __ffs(have);
	if (b < GOMEM_POOL_BUCKETS || n < GOMEM_POOL_BUCKETS) {
		first = list_first_entry(&pool->runs[b], struct page, lru);
		len = run_len(first);
	} else {
		list_for_each_entry(page, &pool->runs[b], lru) {
			if (run_len(page) >= n && (!first || run_len(page) < len)) {
				first = page;
				len = run_len(page);
			}
		}
		if (!first)
			return 0;
	}
	run_remove(first, len);
	if (len > n)
		run_insert(first + n, len - n);
	gomem_pages_unmark(first, n);
	return (unsigned long)page_address(first);
}

/*
 * pool_take(), under the lock, counted.  A pool that has no run long
 * enough is not locked for: a batch of spans past what the pools hold
 * goes to the page allocator for each, and would lock for nothing.  The
 * bitmap is read without the lock, as a hint: a run freed meanwhile is
 * missed as it would be had the lock been taken a moment sooner.
 */
static unsigned long pool_get(int node, unsigned long n)
{
	unsigned long base, flags;

	if (!runs_from(READ_ONCE(pool_of(node)->nonempty), n))
		return 0;
	spin_lock_irqsave(&gomem_mheap.lock, flags);
	base = pool_take(node, n);
	if (base)
		gomem_mheap.pages_free -= n;
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	return base;
}

/* gomem_pfn_held() past the sections counted: hot-added memory. */
bool gomem_pfn_valid(unsigned long pfn)
{
	return pfn_valid(pfn);
}
EXPORT_SYMBOL_IF_KUNIT(gomem_pfn_valid);

/* Count n pages more (delta 1) or fewer (-1) in section sec; mheap.lock. */
static void count_section(unsigned long sec, unsigned long n, int delta)
{
	unsigned int pages;

	if (sec >= gomem_nr_sections)
		return;
	pages = gomem_section_pages[sec] + delta * (int)n;
	gomem_section_pages[sec] = pages;
	if (!pages != !READ_ONCE(gomem_section_held[sec]))
		WRITE_ONCE(gomem_section_held[sec], !!pages);
}

/*
 * Count n pages at base, which the page allocator gave or is about to
 * get back, in the sections they lie in; mheap.lock.
 */
static __always_inline void count_sections(unsigned long base, unsigned long n,
					   int delta)
{
	unsigned long pfn = (base - PAGE_OFFSET) >> PAGE_SHIFT, end = pfn + n;
	unsigned long sec = pfn_to_section_nr(pfn), next;

	lockdep_assert_held(&gomem_mheap.lock);
	/* Most runs lie in one section, large blocks too. */
	if (likely(sec == pfn_to_section_nr(end - 1))) {
		count_section(sec, n, delta);
		return;
	}
	for (; pfn < end; sec++, pfn = next) {
		next = min(end, section_nr_to_pfn(sec + 1));
		count_section(sec, next - pfn, delta);
	}
}

static void count_taken(unsigned long base, unsigned int n)
{
	unsigned long flags;

	spin_lock_irqsave(&gomem_mheap.lock, flags);
	count_sections(base, n, 1);
	gomem_mheap.pages_total += n;
	gomem_mheap.pages_acquired += n;
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
}

/*
 * n pages at base, which nothing marks any more, leave gomem for the page
 * allocator, uncounted before the lock goes, so that no free can merge
 * with them; pages_give() then gives them.  mheap.lock.
 */
static void pages_release(unsigned long base, unsigned long n)
{
	count_sections(base, n, -1);
	gomem_mheap.pages_total -= n;
	gomem_mheap.pages_released += n;
}

/*
 * Are n pages from the page allocator kept one block, when the caller
 * can give them back so?  A power of two of them, and more than one: the
 * one rule pages_from_buddy() keeps them by and their frees go back by.
 */
static bool block_kept_whole(unsigned int n)
{
	return n > 1 && is_power_of_2(n);
}

/*
 * Make the single pages [page, page + 2^order) one block again, as the
 * page allocator handed it out before split_page(): every page but the
 * first gives up its reference, page_ref_freeze() taking it only if it
 * is the last one.  A page someone else still holds a reference to
 * (get_page() on an object's page) keeps the pages single, and they go
 * one by one, each when its last reference does.  A block lies in one
 * zone, as the page allocator's must.
 */
static bool pages_join(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order, i;

	if (!GOMEM_PAGES_JOINABLE || page_zone(page) != page_zone(page + nr - 1))
		return false;
	for (i = 1; i < nr; i++) {
		if (!page_ref_freeze(page + i, 1)) {
			while (--i)
				page_ref_unfreeze(page + i, 1);
			return false;
		}
	}
	return true;
}

/*
 * Give the single pages [page, page + n) to the page allocator in the
 * fewest blocks their alignment allows, joined again (pages_join()): a
 * freed page costs the page allocator about as much as a freed block,
 * which it need not merge again a page at a time.  Measured with
 * scripts/bench replay: on scripts/synth-trace 33000 1048576 3000 3,
 * large objects that are not a power of two of pages, 585,930,270
 * instructions before (1.94 times SLUB's), 320,244,690 after (1.06).
 */
static void pages_give_single(struct page *page, unsigned long n)
{
	unsigned long pfn = page_to_pfn(page), end = pfn + n, i;
	unsigned int order;

	for (; pfn < end; pfn += 1UL << order, page += 1UL << order) {
		order = min_t(unsigned int, ilog2(end - pfn), GOMEM_MAX_PAGE_ORDER);
		if (pfn & ((1UL << order) - 1))
			order = __ffs(pfn);
		if (order && pages_join(page, order)) {
			__free_pages(page, order);
			continue;
		}
		for (i = 0; i < 1UL << order; i++)
			__free_page(page + i);
	}
}

/*
 * Give n released pages at base to the page allocator: one block if
 * whole (pages that pages_from_buddy() kept whole), else as single pages
 * are given.  Not under mheap.lock.
 */
static __always_inline void pages_give(unsigned long base, unsigned long n,
				       bool whole)
{
	struct page *page = virt_to_page((void *)base);

	if (whole)
		__free_pages(page, ilog2(n));
	else
		pages_give_single(page, n);
}

/*
 * The empty spans the mcentrals keep are free pages too: back into the
 * pools with them (class 0's freed large spans first, straight to the
 * page allocator), before gomem takes n pages from the page allocator;
 * and first the objects waiting on the transfer stacks back in their
 * spans, up to as many pages' worth, which may empty more of them.
 * As many as n, but at least GOMEM_TAKE_KEPT_PAGES, so that a run of n
 * is likely among them, and no more, so that an allocation, maybe in an
 * interrupt, frees a bounded number of spans however many are kept.
 * Whether any went.
 */
static bool take_kept(unsigned int n)
{
	unsigned long want = max_t(unsigned long, n, GOMEM_TAKE_KEPT_PAGES);

	mcentral_xfer_release(want << PAGE_SHIFT);
	return atomic_long_read(&gomem_mheap.kept) && mcentral_release_empty(want);
}

/*
 * Would free pool pages and more pages kept or pooled take the pools and
 * the kept spans past the surplus they may hold beyond the reserve?
 */
static bool over_surplus(unsigned long free, unsigned long more)
{
	return free + atomic_long_read(&gomem_mheap.kept) + more >
	       reclaim_reserve_pages() + gomem_mheap.surplus;
}

/*
 * A block of the page allocator's, on node, or another node's if node is
 * down to its low watermark (its zonelist's fallback).  Out of line, so
 * that KUnit can stand in for a full node (kunit_activate_static_stub()).
 */
struct page *mheap_buddy_alloc(int node, gfp_t gfp, unsigned int order)
{
	KUNIT_STATIC_STUB_REDIRECT(mheap_buddy_alloc, node, gfp, order);
	return alloc_pages_node(node, gfp, order);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_buddy_alloc);

/*
 * n pages straight from the page allocator, on node if it can, counted
 * as taken and KASAN-poisoned as freed, or 0: a block of the order that
 * covers them, kept whole if whole and block_kept_whole(n), else split
 * and its tail given back, so that each page can go back on its own.
 */
static unsigned long pages_from_buddy(unsigned int n, int node, gfp_t gfp,
				      bool whole)
{
	unsigned int order = get_order((size_t)n << PAGE_SHIFT);
	unsigned long keep = reclaim_reserve_pages(), free;
	struct page *page;
	void *base;

	/*
	 * The pools could not serve this, even with the kept spans' pages
	 * (take_kept(), by the caller), so as many of their surplus pages as
	 * it takes go back first: gomem grows only when the pools are down to
	 * the reserve, and their surplus never adds to its peak.
	 */
	free = READ_ONCE(gomem_mheap.pages_free);
	if (free > keep)
		pool_trim(max(keep, free - min_t(unsigned long, free, n)),
			  gfpflags_allow_blocking(gfp));
	if (gomem_should_fail(order))
		return 0;
	page = mheap_buddy_alloc(node, gomem_inherit_gfp(gfp), order);
	if (!page)
		return 0;
	if (page_to_nid(page) != node && node != NUMA_NO_NODE)
		WRITE_ONCE(pool_of(node)->spilled, get_jiffies_64());
	if (order && !(whole && block_kept_whole(n))) {
		split_page(page, order);
		pages_give_single(page + n, (1UL << order) - n);
	}
	base = page_address(page);
	gomem_kasan_free(base, (size_t)n << PAGE_SHIFT);
	count_taken((unsigned long)base, n);
	return (unsigned long)base;
}

/*
 * n contiguous pages for a large object, straight from the page
 * allocator, KASAN-poisoned as freed: a large object never goes through
 * the pool, whose churn is the small spans'.  A power of two of pages is
 * one block, kept whole, as kmalloc's large allocations are, and freed
 * whole; other counts are split, and the tail beyond them given back.
 */
unsigned long mheap_block_alloc(unsigned int n, int node, gfp_t gfp)
{
	take_kept(n);
	return pages_from_buddy(n, node, gfp, true);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_block_alloc);

/*
 * n contiguous pages for a span, unmarked and KASAN-poisoned as freed,
 * or 0.  From the pool of node (NUMA_NO_NODE: this CPU's) if it has a
 * run long enough, else from the page allocator, which may sleep if gfp
 * allows.  A caller that passes whole takes the pages as one block of
 * the page allocator if it can (*whole then true; more than one page, a
 * power of two, and not from the pool), and gives them back whole;
 * without it, they are single pages that may go back one by one.  Any
 * context that gfp allows.
 */
unsigned long mheap_pages_alloc(unsigned int n, int node, gfp_t gfp, bool *whole)
{
	bool block = whole && block_kept_whole(n);
	unsigned long base;

	if (node == NUMA_NO_NODE)
		node = gomem_home_node();
	base = pool_get(node, n);
	if (!base && take_kept(n))
		base = pool_get(node, n);
	if (base)
		block = false;
	else
		base = pages_from_buddy(n, node, gfp, block);
	if (whole)
		*whole = block;
	return base;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_pages_alloc);

/* Give back what mheap_block_alloc() gave, unmarked.  Any context. */
void mheap_block_free(unsigned long base, unsigned int n)
{
	unsigned long flags;

	spin_lock_irqsave(&gomem_mheap.lock, flags);
	pages_release(base, n);
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	pages_give(base, n, block_kept_whole(n));
}
EXPORT_SYMBOL_IF_KUNIT(mheap_block_free);

/*
 * Take back n pages at base, which their span no longer marks, whole if
 * mheap_pages_alloc() gave them whole.  They go to the pool, for reuse,
 * and the scavenger gives the surplus over the reserve back soon; pages
 * that would take the pool more than the surplus past the reserve go
 * straight back, a whole block in one piece.  Any context.
 */
void mheap_pages_free(unsigned long base, unsigned int n, bool whole)
{
	unsigned long flags, reserve = reclaim_reserve_pages();
	bool surplus;

	gomem_kasan_free((void *)base, (size_t)n << PAGE_SHIFT);
	spin_lock_irqsave(&gomem_mheap.lock, flags);
	if (over_surplus(gomem_mheap.pages_free, n)) {
		pages_release(base, n);
		spin_unlock_irqrestore(&gomem_mheap.lock, flags);
		pages_give(base, n, whole);
		return;
	}
	/* The pool's pages may go back, or serve a span, one by one. */
	if (whole)
		split_page(virt_to_page((void *)base), ilog2(n));
	pool_put(base, n);
	gomem_mheap.pages_free += n;
	surplus = gomem_mheap.pages_free > reserve;
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	if (surplus)
		reclaim_scavenge_soon();
}
EXPORT_SYMBOL_IF_KUNIT(mheap_pages_free);

/*
 * How many pages of empty spans an mcentral may keep for reuse now,
 * rather than give them back: what is left of the pools' surplus, which
 * the kept spans share with the free pages, and no more than the surplus
 * itself, however big the reserve: the reserve is the pools'.  The
 * mcentral asks once a call and adds what it kept to gomem_mheap.kept
 * then (mcentral_put()), and subtracts them when it reuses or releases
 * the span; so puts that run at the same time may each keep this much.
 * Any context.
 */
unsigned long mheap_keep_room(void)
{
	long kept = atomic_long_read(&gomem_mheap.kept);
	long room = min_t(long, gomem_mheap.surplus - kept,
			  reclaim_reserve_pages() + gomem_mheap.surplus -
			  READ_ONCE(gomem_mheap.pages_free) - kept);

	return max(room, 0L);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_keep_room);

/* A run to give back, longest first, taken from its pool; mheap.lock. */
static struct page *pool_victim(unsigned long *n)
{
	struct page *page;
	int node, b;

	for (b = GOMEM_POOL_BUCKETS; b > 0; b--) {
		for_each_node(node) {
			page = list_first_entry_or_null(&pool_of(node)->runs[b],
							struct page, lru);
			if (page) {
				*n = run_len(page);
				run_remove(page, *n);
				return page;
			}
		}
	}
	return NULL;
}

/*
 * Give pool pages back to the page allocator until no more than keep
 * are left; returns how many went.  It drops the lock between runs, so
 * allocations never wait long behind it, and yields the CPU there if
 * may_sleep.
 */
static unsigned long pool_trim(unsigned long keep, bool may_sleep)
{
	unsigned long n, give, released = 0, flags;
	struct page *first;

	for (;;) {
		spin_lock_irqsave(&gomem_mheap.lock, flags);
		first = NULL;
		if (gomem_mheap.pages_free > keep)
			first = pool_victim(&n);
		if (!first) {
			spin_unlock_irqrestore(&gomem_mheap.lock, flags);
			return released;
		}
		/* Keep the part of the run that keep still wants. */
		give = min(n, gomem_mheap.pages_free - keep);
		if (give < n)
			run_insert(first, n - give);
		first += n - give;
		gomem_mheap.pages_free -= give;
		gomem_pages_unmark(first, give);
		pages_release((unsigned long)page_address(first), give);
		spin_unlock_irqrestore(&gomem_mheap.lock, flags);

		pages_give((unsigned long)page_address(first), give, false);
		released += give;
		if (may_sleep)
			cond_resched();
	}
}

/* pool_trim() for the scavenger and the shrinker.  Process context. */
unsigned long mheap_scavenge(unsigned long keep)
{
	return pool_trim(keep, true);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_scavenge);

static void sections_free(void)
{
	gomem_meta_free(gomem_section_pages, gomem_nr_sections * sizeof(unsigned int));
	gomem_meta_free(gomem_section_held, gomem_nr_sections);
	gomem_section_pages = NULL;
	gomem_section_held = NULL;
	gomem_nr_sections = 0;
}

/*
 * The surplus: 1/128 of memory, between 1 and 16 MiB.  A burst of objects
 * that come and go, where an object of a page or more is a span of its
 * own, then finds its spans kept, or their pages pooled, and not the
 * page allocator and a new span each: a batch of 4,096 objects of 4 KiB
 * (16 MiB) cost 2,170 instructions an object with a surplus of 1 MiB,
 * 804 with this.  The pages are free only while the scavenger waits, and
 * never add to gomem's peak (see the top of this file); the bounds keep
 * what a small machine lends them small, and a big one's no bigger than
 * such a burst needs.
 */
static unsigned long mheap_surplus(void)
{
	return clamp(totalram_pages() / 128, (unsigned long)SZ_1M >> PAGE_SHIFT,
		     (unsigned long)SZ_16M >> PAGE_SHIFT);
}

int mheap_init(void)
{
	struct mheap_pool *pool;
	unsigned int b;
	int node;

	BUILD_BUG_ON(GOMEM_POOL_BUCKETS >= BITS_PER_LONG);
	spin_lock_init(&gomem_mheap.lock);
	pool = gomem_meta_alloc_load(nr_node_ids * sizeof(*pool), NUMA_NO_NODE);
	if (!pool)
		return -ENOMEM;
	gomem_nr_sections = pfn_to_section_nr(PHYS_PFN(__pa(high_memory - 1))) + 1;
	gomem_section_pages = gomem_meta_alloc_load(gomem_nr_sections * sizeof(unsigned int),
						    NUMA_NO_NODE);
	gomem_section_held = gomem_meta_alloc_load(gomem_nr_sections, NUMA_NO_NODE);
	if (!gomem_section_pages || !gomem_section_held) {
		sections_free();
		gomem_meta_free(pool, nr_node_ids * sizeof(*pool));
		return -ENOMEM;
	}
	for (node = 0; node < nr_node_ids; node++) {
		for (b = 0; b <= GOMEM_POOL_BUCKETS; b++)
			INIT_LIST_HEAD(&pool[node].runs[b]);
		/* Spilled no later than a hold ago: not spilled. */
		pool[node].spilled = get_jiffies_64() - GOMEM_SPILL_HOLD;
	}
	/* Never 0, so that a page whose two words are zero is not ours. */
	do {
		gomem_page_key = get_random_long();
	} while (!gomem_page_key);
	gomem_mheap.pools = pool;
	gomem_mheap.surplus = mheap_surplus();
	return 0;
}

/*
 * The node after prev in node's order of distance: node itself, then
 * every other possible node, nearest first and the lowest-numbered of
 * equals first, as node's zonelist orders them for the page allocator's
 * fallback; MAX_NUMNODES after the last.  So a walk is
 *
 *	for (n = node; n < MAX_NUMNODES; n = mheap_next_near(node, n))
 *
 * Computed from node_distance(), with no table to keep or to rebuild at
 * hotplug, at O(nr_node_ids) a step: the walks are the slow paths that
 * look for another node's span, while node spilled or had none to give,
 * and stop at the first node that has one.
 */
int mheap_next_near(int node, int prev)
{
	int prev_d = prev == node ? -1 : node_distance(node, prev);
	int n, d, best = MAX_NUMNODES, best_d = INT_MAX;

	for_each_node(n) {
		if (n == node)
			continue;
		d = node_distance(node, n);
		/* At or before prev in the order: walked already. */
		if (d < prev_d || (d == prev_d && n <= prev))
			continue;
		/* Strictly nearer: of equals, the first found, the lowest. */
		if (d < best_d) {
			best = n;
			best_d = d;
		}
	}
	return best;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_next_near);

/*
 * The node with normal memory nearest to node, node itself aside, in the
 * order of mheap_next_near() (that of node's zonelist); node itself if no
 * other node has normal memory.
 */
int mheap_nearest_memory(int node)
{
	int n;

	for (n = mheap_next_near(node, node); n < MAX_NUMNODES;
	     n = mheap_next_near(node, n))
		if (node_state(n, N_NORMAL_MEMORY))
			return n;
	return node;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_nearest_memory);

/*
 * Has the page allocator lately given pages of another node to a request
 * for node's (its zonelist's fallback, as node is down to its low
 * watermark)?  Then a class with no span of node's takes another node's
 * free objects before it grows (mcentral_get()): each span it grew would
 * land on another node anyway, be listed there, where no request for node
 * looks, and serve a single refill, so that a CPU of a full node grew a
 * span a refill; and large objects take another node's kept large spans
 * (mcentral.c).  A hint, read and written without a lock; 64-bit
 * jiffies, so that a spill long ago never looks recent again.
 */
bool mheap_spilled(int node)
{
	return time_before64(get_jiffies_64(), READ_ONCE(pool_of(node)->spilled) +
					       GOMEM_SPILL_HOLD);
}

/* Unload: every span is gone (mspan_exit()): the pools hold every page left. */
void mheap_exit(void)
{
	mheap_scavenge(0);
	gomem_meta_free(gomem_mheap.pools, nr_node_ids * sizeof(*gomem_mheap.pools));
	gomem_mheap.pools = NULL;
	/* Every page has gone back: a count left is a page counted wrong. */
	WARN_ON_ONCE(memchr_inv(gomem_section_pages, 0,
				gomem_nr_sections * sizeof(unsigned int)));
	sections_free();
}
