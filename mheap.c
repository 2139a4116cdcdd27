// SPDX-License-Identifier: GPL-2.0
/*
 * Gomem's page heap: runs of pages for spans, and the free pages between.
 *
 * A span takes exactly the pages it needs, on the node asked for, from
 * the page allocator: a block of the order that covers them, split into
 * single pages with split_page() and the tail beyond them given back at
 * once, as alloc_pages_exact() does.  So an object up to PAGE_SIZE never
 * needs more than an order-0 page, a span never holds more than its own
 * pages, and a freed span's pages can go back one by one.
 *
 * Freed pages do not go straight back.  Each node has a pool of free
 * runs, as Go's mheap has: a run is a maximal set of neighbouring free
 * pages, found through the marks on its first and last pages (see
 * gomem_internal.h), so a run that is freed next to another merges with
 * it in O(1), and a span of n pages is carved from the shortest run that
 * has them (best fit).  The pool absorbs the churn of spans that come and
 * go; the scavenger, a delayed work in the spirit of Go's, gives back to
 * the page allocator whatever stays above the reserve (reserve_kib) for
 * a moment, so that an idle gomem holds no more than its reserve within a
 * second, and neither the allocation nor the free path ever waits for it.
 *
 * Invariants, under gomem_mheap.lock:
 *  - a run of n pages in node's pool is on runs[min(n, BUCKETS)], every
 *    page of it is marked GOMEM_PAGE_POOL, its first page also HEAD and
 *    its last also TAIL, both with n;
 *  - no two runs in a pool are neighbours (they would have merged);
 *  - pages_free is the sum of the pools' pages, pages_total - pages_free
 *    the pages in spans.
 * Pages in the pools are KASAN-poisoned as freed, like any free object.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/workqueue.h>
#include <linux/nodemask.h>

#include "gomem_internal.h"

struct mheap gomem_mheap;
EXPORT_SYMBOL_IF_KUNIT(gomem_mheap);

unsigned long gomem_page_key;
EXPORT_SYMBOL_IF_KUNIT(gomem_page_key);
atomic_long_t gomem_meta_bytes;
EXPORT_SYMBOL_IF_KUNIT(gomem_meta_bytes);

static int reserve_set(const char *val, const struct kernel_param *kp);

unsigned int gomem_reserve_kib = 256;
static const struct kernel_param_ops reserve_ops = {
	.set = reserve_set,
	.get = param_get_uint,
};

module_param_cb(reserve_kib, &reserve_ops, &gomem_reserve_kib, 0644);
MODULE_PARM_DESC(reserve_kib,
		 "Free pages, in KiB, gomem keeps for reuse rather than give back to the page allocator; writable, and lowering it gives back the surplus at once (default 256)");
EXPORT_SYMBOL_IF_KUNIT(gomem_reserve_kib);

/* How long a surplus stays before the scavenger gives it back. */
#define SCAVENGE_DELAY	(HZ / 2)

static unsigned long reserve_pages(void)
{
	return (unsigned long)READ_ONCE(gomem_reserve_kib) >> (PAGE_SHIFT - 10);
}

static struct mheap_pool *pool_of(int node)
{
	return &gomem_mheap.pools[node];
}

static struct list_head *bucket(struct mheap_pool *pool, unsigned long n)
{
	return &pool->runs[min_t(unsigned long, n, GOMEM_POOL_BUCKETS)];
}

static unsigned long run_len(struct page *edge)
{
	return page_private(edge) >> GOMEM_PAGE_RUN_SHIFT;
}

/* The run of n pages at first joins its pool; mheap.lock. */
static void run_insert(struct page *first, unsigned long n)
{
	unsigned long len = n << GOMEM_PAGE_RUN_SHIFT;
	struct mheap_pool *pool = pool_of(page_to_nid(first));
	unsigned long i;

	for (i = 1; i + 1 < n; i++)
		gomem_page_mark(first + i, GOMEM_PAGE_POOL);
	if (n > 1) {
		gomem_page_mark(first, len | GOMEM_PAGE_POOL | GOMEM_PAGE_HEAD);
		gomem_page_mark(first + n - 1, len | GOMEM_PAGE_POOL | GOMEM_PAGE_TAIL);
	} else {
		gomem_page_mark(first, len | GOMEM_PAGE_POOL | GOMEM_PAGE_HEAD |
				GOMEM_PAGE_TAIL);
	}
	list_add(&first->lru, bucket(pool, n));
	pool->pages += n;
}

/* The run of n pages at first leaves its pool, still marked; mheap.lock. */
static void run_remove(struct page *first, unsigned long n)
{
	/* Not list_del(): its poison would sit in the page's compound_head. */
	list_del_init(&first->lru);
	pool_of(page_to_nid(first))->pages -= n;
}

/*
 * The pool page at pfn with one of the edge marks in edge, or NULL.  The
 * neighbour of a run may be anyone's page, or no page at all.
 */
static struct page *pool_edge(unsigned long pfn, int nid, unsigned long edge)
{
	struct page *page;
	unsigned long what;

	if (!pfn_valid(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	what = gomem_page_what((unsigned long)page_address(page));
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
 * n pages from node's pool, carved from the shortest run that has them,
 * unmarked; 0 if none has.  mheap.lock.
 */
static unsigned long pool_take(int node, unsigned long n)
{
	struct mheap_pool *pool = pool_of(node);
	struct page *first = NULL, *page;
	unsigned long b, len = 0, i;

	for (b = min_t(unsigned long, n, GOMEM_POOL_BUCKETS);
	     b <= GOMEM_POOL_BUCKETS && !first; b++) {
		list_for_each_entry(page, &pool->runs[b], lru) {
			if (run_len(page) >= n &&
			    (!first || run_len(page) < len)) {
				first = page;
				len = run_len(page);
				if (b < GOMEM_POOL_BUCKETS)
					break;
			}
		}
	}
	if (!first)
		return 0;
	run_remove(first, len);
	if (len > n)
		run_insert(first + n, len - n);
	for (i = 0; i < n; i++)
		gomem_page_unmark(first + i);
	return (unsigned long)page_address(first);
}

/*
 * n pages straight from the page allocator, on node if it can: a block
 * of the order that covers them, split, and its tail given back.
 */
static unsigned long pages_from_buddy(unsigned int n, int node, gfp_t gfp)
{
	unsigned int order = get_order((size_t)n << PAGE_SHIFT), i;
	struct page *page;

	if (gomem_should_fail())
		return 0;
	page = alloc_pages_node(node, gomem_inherit_gfp(gfp), order);
	if (!page)
		return 0;
	split_page(page, order);
	for (i = n; i < 1U << order; i++)
		__free_page(page + i);
	return (unsigned long)page_address(page);
}

/*
 * n contiguous pages for a span, unmarked and KASAN-poisoned as freed,
 * or 0.  From the pool of node (NUMA_NO_NODE: this CPU's) if it has a
 * run long enough, else from the page allocator, which may sleep if gfp
 * allows.  Any context that gfp allows.
 */
unsigned long mheap_pages_alloc(unsigned int n, int node, gfp_t gfp)
{
	unsigned long base, flags;

	if (node == NUMA_NO_NODE)
		node = numa_mem_id();
	spin_lock_irqsave(&gomem_mheap.lock, flags);
	base = pool_take(node, n);
	if (base) {
		gomem_mheap.pages_free -= n;
		spin_unlock_irqrestore(&gomem_mheap.lock, flags);
		return base;
	}
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);

	base = pages_from_buddy(n, node, gfp);
	if (!base)
		return 0;
	gomem_kasan_free((void *)base, (size_t)n << PAGE_SHIFT);
	spin_lock_irqsave(&gomem_mheap.lock, flags);
	gomem_mheap.pages_total += n;
	gomem_mheap.pages_acquired += n;
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	return base;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_pages_alloc);

/*
 * Take back n pages at base, which their span no longer marks.  They go
 * to the pool; the scavenger gives back any surplus soon.  Any context.
 */
void mheap_pages_free(unsigned long base, unsigned int n)
{
	unsigned long flags;
	bool surplus;

	gomem_kasan_free((void *)base, (size_t)n << PAGE_SHIFT);
	spin_lock_irqsave(&gomem_mheap.lock, flags);
	pool_put(base, n);
	gomem_mheap.pages_free += n;
	surplus = gomem_mheap.pages_free > reserve_pages();
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	if (surplus)
		schedule_delayed_work(&gomem_mheap.scavenge, SCAVENGE_DELAY);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_pages_free);

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
 * are left; returns how many went.  Process context: it drops the lock
 * between runs, so allocations never wait long behind it.
 */
unsigned long mheap_scavenge(unsigned long keep)
{
	unsigned long n, give, released = 0, flags, i;
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
		/* Keep the part of the run the reserve still wants. */
		give = min(n, gomem_mheap.pages_free - keep);
		if (give < n)
			run_insert(first, n - give);
		first += n - give;
		/* Unmarked before the lock goes, or a free could merge with them. */
		for (i = 0; i < give; i++)
			gomem_page_unmark(first + i);
		gomem_mheap.pages_free -= give;
		gomem_mheap.pages_total -= give;
		gomem_mheap.pages_released += give;
		spin_unlock_irqrestore(&gomem_mheap.lock, flags);

		for (i = 0; i < give; i++)
			__free_page(first + i);
		released += give;
		cond_resched();
	}
}
EXPORT_SYMBOL_IF_KUNIT(mheap_scavenge);

/* Give back every free page beyond the reserve, now. */
void mheap_trim(void)
{
	mheap_scavenge(reserve_pages());
}
EXPORT_SYMBOL_IF_KUNIT(mheap_trim);

static void scavenge_work(struct work_struct *work)
{
	mheap_trim();
}

/* Writing reserve_kib takes effect at once: a lower reserve trims now. */
static int reserve_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_uint(val, kp);

	/* Before module init, the heap does not exist yet. */
	if (!err && gomem_mheap.pools)
		mheap_trim();
	return err;
}

int mheap_init(void)
{
	struct mheap_pool *pool;
	unsigned int b;
	int node;

	spin_lock_init(&gomem_mheap.lock);
	INIT_DELAYED_WORK(&gomem_mheap.scavenge, scavenge_work);
	pool = gomem_meta_alloc(nr_node_ids * sizeof(*pool), GFP_KERNEL,
				NUMA_NO_NODE);
	if (!pool)
		return -ENOMEM;
	for (node = 0; node < nr_node_ids; node++)
		for (b = 0; b <= GOMEM_POOL_BUCKETS; b++)
			INIT_LIST_HEAD(&pool[node].runs[b]);
	/* Never 0, so that a page whose two words are zero is not ours. */
	do {
		gomem_page_key = get_random_long();
	} while (!gomem_page_key);
	gomem_mheap.pools = pool;
	return 0;
}

/* Unload: every span is gone (mspan_exit()), so the pools hold every page left. */
void mheap_exit(void)
{
	cancel_delayed_work_sync(&gomem_mheap.scavenge);
	mheap_scavenge(0);
	gomem_meta_free(gomem_mheap.pools, nr_node_ids * sizeof(*gomem_mheap.pools));
	gomem_mheap.pools = NULL;
}
