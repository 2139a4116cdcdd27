// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for mheap.c: runs of exactly the pages asked for, on the
 * node asked for; free runs that coalesce with their neighbours in the
 * pools; best fit; the scavenger and the reserve; growth that gives the
 * pools' surplus back first; spans of a power of two of pages kept one
 * block of the page allocator; failures that leave nothing behind.  After
 * each step the pools are recounted from their lists and their pages'
 * marks, and checked against the counters, the counts of pages held per
 * memory section too; and the order in which other nodes are searched.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/delay.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>

#include "gomem_test.h"

static unsigned long mark(unsigned long addr)
{
	unsigned long what;

	rcu_read_lock_sched();
	what = gomem_page_what(addr);
	rcu_read_unlock_sched();
	return what;
}

/* The length of the pool run starting at page base, or 0. */
static unsigned long run_at(unsigned long base)
{
	unsigned long what = mark(base);

	if (!(what & GOMEM_PAGE_POOL) || !(what & GOMEM_PAGE_HEAD))
		return 0;
	return what >> GOMEM_PAGE_RUN_SHIFT;
}

/* Is addr's page in node's pool? */
static bool pooled_on(unsigned long addr, int node)
{
	return (mark(addr) & GOMEM_PAGE_POOL) &&
	       page_to_nid(virt_to_page((void *)addr)) == node;
}

/* Recount every pool from its lists and marks, and compare. */
static void expect_invariants(struct kunit *test)
{
	unsigned long free = 0, pages, n, i, flags, first;
	struct page *page;
	int node, b;

	spin_lock_irqsave(&gomem_mheap.lock, flags);
	for_each_node(node) {
		pages = 0;
		for (b = 0; b <= GOMEM_POOL_BUCKETS; b++) {
			KUNIT_EXPECT_EQ_MSG(test, !!(gomem_mheap.pools[node].nonempty & BIT(b)),
					    !list_empty(&gomem_mheap.pools[node].runs[b]),
					    "node %d, bucket %d", node, b);
			list_for_each_entry(page, &gomem_mheap.pools[node].runs[b], lru) {
				first = (unsigned long)page_address(page);
				n = run_at(first);
				KUNIT_EXPECT_GT(test, n, 0UL);
				KUNIT_EXPECT_EQ(test, min_t(unsigned long, n,
							    GOMEM_POOL_BUCKETS), (unsigned long)b);
				KUNIT_EXPECT_EQ(test, page_to_nid(page), node);
				for (i = 0; i < n; i++)
					KUNIT_EXPECT_TRUE(test, mark(first + i * PAGE_SIZE) &
							  GOMEM_PAGE_POOL);
				KUNIT_EXPECT_TRUE(test, mark(first + (n - 1) * PAGE_SIZE) &
						  GOMEM_PAGE_TAIL);
				/* Maximal: no free neighbour on either side. */
				KUNIT_EXPECT_FALSE(test, pooled_on(first - PAGE_SIZE, node));
				KUNIT_EXPECT_FALSE(test, pooled_on(first + n * PAGE_SIZE, node));
				pages += n;
			}
		}
		KUNIT_EXPECT_EQ(test, pages, gomem_mheap.pools[node].pages);
		free += pages;
	}
	KUNIT_EXPECT_EQ(test, free, gomem_mheap.pages_free);
	KUNIT_EXPECT_GE(test, gomem_mheap.pages_total, gomem_mheap.pages_free);
	/* The guest has no memory above the sections counted. */
	for (pages = 0, i = 0; i < gomem_nr_sections; i++) {
		pages += gomem_section_pages[i];
		KUNIT_EXPECT_EQ(test, gomem_section_held[i], !!gomem_section_pages[i]);
	}
	KUNIT_EXPECT_EQ(test, pages, gomem_mheap.pages_total);
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
}

static unsigned long take(struct kunit *test, unsigned int n, int node)
{
	unsigned long base = mheap_pages_alloc(n, node, GFP_KERNEL, NULL);

	KUNIT_ASSERT_NE(test, base, 0UL);
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(base));
	return base;
}

/*
 * n pages, more than one block of the page allocator may hold, in runs
 * of TEST_RUN pages at most: the surplus can be thousands of pages.
 */
#define TEST_RUN	256UL

static unsigned long *take_runs(struct kunit *test, unsigned long n)
{
	unsigned long *runs, i;

	runs = kunit_kcalloc(test, DIV_ROUND_UP(n, TEST_RUN), sizeof(*runs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, runs);
	for (i = 0; i < n; i += TEST_RUN)
		runs[i / TEST_RUN] = take(test, min(n - i, TEST_RUN), NUMA_NO_NODE);
	return runs;
}

/* Page i of what take_runs() took. */
static unsigned long run_page(const unsigned long *runs, unsigned long i)
{
	return runs[i / TEST_RUN] + (i % TEST_RUN) * PAGE_SIZE;
}

/* n pages cost exactly n pages, whatever order covers them. */
static void runs_are_exact(struct kunit *test)
{
	unsigned long base, total, acquired;
	unsigned int n;

	gomem_test_no_reserve();
	gomem_test_keep_pages(test);
	for (n = 1; n <= 20; n++) {
		total = gomem_mheap.pages_total;
		acquired = gomem_mheap.pages_acquired;
		base = take(test, n, NUMA_NO_NODE);
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total, total + n);
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_acquired, acquired + n);
		/* Taken pages are nobody's yet: no mark. */
		KUNIT_EXPECT_EQ(test, mark(base), 0UL);
		mheap_pages_free(base, n, false);
		KUNIT_EXPECT_EQ(test, run_at(base), (unsigned long)n);
		expect_invariants(test);
		mheap_scavenge(0);
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total, total);
	}
}

/* Pages freed one by one, in any order, make one run again. */
static void neighbours_coalesce(struct kunit *test)
{
	static const unsigned int order[] = { 3, 0, 7, 1, 5, 2, 6, 4 };
	unsigned long base;
	unsigned int i;

	gomem_test_no_reserve();
	gomem_test_keep_pages(test);
	base = take(test, 8, NUMA_NO_NODE);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		mheap_pages_free(base + order[i] * PAGE_SIZE, 1, false);
		expect_invariants(test);
	}
	KUNIT_EXPECT_EQ(test, run_at(base), 8UL);
	/* And the whole run can serve a span of all 8 again. */
	KUNIT_EXPECT_EQ(test, take(test, 8, NUMA_NO_NODE), base);
	mheap_pages_free(base, 8, false);
	expect_invariants(test);
}

/*
 * Free runs of n[0], n[1] and n[2] pages, each followed by a page in
 * use, freed in that order: their first pages in r[]; returns the first
 * page of all.
 */
static unsigned long three_runs(struct kunit *test, const unsigned long *n,
				unsigned long *r)
{
	unsigned long base, at;
	int i;

	gomem_test_no_reserve();
	gomem_test_keep_pages(test);
	base = take(test, n[0] + n[1] + n[2] + 3, NUMA_NO_NODE);
	for (at = base, i = 0; i < 3; i++) {
		r[i] = at;
		at += (n[i] + 1) * PAGE_SIZE;
	}
	for (i = 0; i < 3; i++)
		mheap_pages_free(r[i], n[i], false);
	expect_invariants(test);
	return base;
}

/*
 * Give back what was taken from the start of each of three_runs()' runs,
 * taken[i] pages, and the pages in use after them: all one run again.
 */
static void expect_one_run_again(struct kunit *test, unsigned long base,
				 const unsigned long *n, const unsigned long *r,
				 const unsigned long *taken)
{
	int i;

	expect_invariants(test);
	for (i = 0; i < 3; i++) {
		if (taken[i])
			mheap_pages_free(r[i], taken[i], false);
		mheap_pages_free(r[i] + n[i] * PAGE_SIZE, 1, false);
	}
	KUNIT_EXPECT_EQ(test, run_at(base), n[0] + n[1] + n[2] + 3);
	expect_invariants(test);
}

/*
 * Runs of 3, 5 and 20 pages: each request is carved from the shortest
 * run that has room, and the rest of the run stays in the pool.
 */
static void best_fit(struct kunit *test)
{
	static const unsigned long n[3] = { 3, 5, 20 };
	static const unsigned long taken[3] = { 2, 4, 17 };
	unsigned long r[3], base = three_runs(test, n, r);

	KUNIT_EXPECT_EQ(test, take(test, 4, NUMA_NO_NODE), r[1]);
	KUNIT_EXPECT_EQ(test, run_at(r[1] + 4 * PAGE_SIZE), 1UL);
	KUNIT_EXPECT_EQ(test, take(test, 2, NUMA_NO_NODE), r[0]);
	KUNIT_EXPECT_EQ(test, take(test, 17, NUMA_NO_NODE), r[2]);
	KUNIT_EXPECT_EQ(test, run_at(r[2] + 17 * PAGE_SIZE), 3UL);
	expect_one_run_again(test, base, n, r, taken);
}

/*
 * Runs of 16, 24 and 20 pages, all in the bucket of long runs: a request
 * shorter than any of them takes the run freed last (20, not the best
 * fit, 16), and a longer one the shortest that has it.
 */
static void long_runs(struct kunit *test)
{
	static const unsigned long n[3] = { 16, 24, 20 };
	static const unsigned long taken[3] = { 0, 21, 17 };
	unsigned long r[3], base = three_runs(test, n, r);

	KUNIT_EXPECT_EQ(test, take(test, 2, NUMA_NO_NODE), r[2]);
	mheap_pages_free(r[2], 2, false);
	KUNIT_EXPECT_EQ(test, take(test, 17, NUMA_NO_NODE), r[2]);
	KUNIT_EXPECT_EQ(test, take(test, 21, NUMA_NO_NODE), r[1]);
	expect_one_run_again(test, base, n, r, taken);
}

/*
 * The scavenger gives the surplus above the reserve back within a
 * second, and keeps the reserve; small runs wait for it, and a large
 * run beyond the reserve goes back at once.
 */
static void scavenger_keeps_the_reserve(struct kunit *test)
{
	unsigned long base, keep = 8, released, n, i, *runs;

	/* 1/128 of memory, between 1 and 16 MiB: see mheap_surplus(). */
	KUNIT_EXPECT_GE(test, gomem_mheap.surplus, (unsigned long)SZ_1M >> PAGE_SHIFT);
	KUNIT_EXPECT_LE(test, gomem_mheap.surplus, (unsigned long)SZ_16M >> PAGE_SHIFT);
	KUNIT_EXPECT_LE(test, gomem_mheap.surplus,
			max((unsigned long)SZ_1M >> PAGE_SHIFT, totalram_pages() / 128));
	gomem_test_no_reserve();
	WRITE_ONCE(gomem_reserve_kib, keep * (PAGE_SIZE >> 10));
	/*
	 * The reserve and the surplus, page by page: the pool keeps them.
	 * The scavenger is held while the pool fills, and the last page's
	 * free schedules it: a run due half a second after the first page
	 * past the reserve came mid-way when the host stalled the guest.
	 */
	n = keep + gomem_mheap.surplus;
	released = gomem_mheap.pages_released;
	runs = take_runs(test, n);
	gomem_test_hold_scavenger();
	for (i = 0; i < n - 1; i += 2)
		mheap_pages_free(run_page(runs, i), 1, false);
	for (i = 1; i < n - 1; i += 2)
		mheap_pages_free(run_page(runs, i), 1, false);
	gomem_test_release_scavenger();
	mheap_pages_free(run_page(runs, n - 1), 1, false);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, n);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released);
	for (i = 0; i < 20 && READ_ONCE(gomem_mheap.pages_free) > keep; i++)
		msleep(100);
	KUNIT_EXPECT_LT(test, i, 20UL);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, keep);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + n - keep);
	expect_invariants(test);

	/* Past the surplus, pages go back at once. */
	released = gomem_mheap.pages_released;
	n = gomem_mheap.surplus + 100;
	runs = take_runs(test, n);
	for (i = 0; i < n; i++)
		mheap_pages_free(run_page(runs, i), 1, false);
	KUNIT_EXPECT_LE(test, gomem_mheap.pages_free, keep + gomem_mheap.surplus);
	KUNIT_EXPECT_GT(test, gomem_mheap.pages_released, released);
	reclaim_trim();
	expect_invariants(test);

	/*
	 * A run that would take the pool past its surplus goes back at
	 * once, whole: the pool filled to 4 pages short of it, then a run
	 * of 8.  (What is taken first may come from the pool.)  No scavenger
	 * run from here on: one mid-way, as a host's stall of the guest
	 * makes, trims the pool the loop fills.
	 */
	gomem_test_hold_scavenger();
	n = keep + gomem_mheap.surplus;
	runs = take_runs(test, n);
	base = take(test, 8, NUMA_NO_NODE);
	for (i = 0; i < n && gomem_mheap.pages_free < keep + gomem_mheap.surplus - 4; i++)
		mheap_pages_free(run_page(runs, i), 1, false);
	released = gomem_mheap.pages_released;
	mheap_pages_free(base, 8, false);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, keep + gomem_mheap.surplus - 4);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + 8);
	for (; i < n; i++)
		mheap_pages_free(run_page(runs, i), 1, false);
	reclaim_trim();
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, keep);
	expect_invariants(test);
}

/*
 * A span of a power of two of pages, more than one, that the pools cannot
 * serve is one block of the page allocator, not split: its tail pages
 * have no count of their own.  Into the pool it goes split, so that the
 * pool's pages serve spans and go back one by one; past the surplus it
 * goes back whole.  (DEBUG_VM stops the test kernel if a page goes back
 * with the wrong count.)
 */
static void power_of_two_spans_stay_whole(struct kunit *test)
{
	unsigned long base, released, surplus = gomem_mheap.surplus;
	static const unsigned int other[] = { 1, 3 };
	struct page *page;
	unsigned int i;
	bool whole;

	gomem_test_no_reserve();
	gomem_test_keep_pages(test);
	base = mheap_pages_alloc(8, NUMA_NO_NODE, GFP_KERNEL, &whole);
	KUNIT_ASSERT_NE(test, base, 0UL);
	KUNIT_EXPECT_TRUE(test, whole);
	page = virt_to_page((void *)base);
	for (i = 1; i < 8; i++)
		KUNIT_EXPECT_EQ(test, page_count(page + i), 0);
	mheap_pages_free(base, 8, true);
	KUNIT_EXPECT_EQ(test, run_at(base), 8UL);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, page_count(page + i), 1);
	expect_invariants(test);
	/* The pool's pages are never whole. */
	KUNIT_EXPECT_EQ(test, mheap_pages_alloc(8, NUMA_NO_NODE, GFP_KERNEL, &whole), base);
	KUNIT_EXPECT_FALSE(test, whole);
	for (i = 0; i < 8; i++)
		mheap_pages_free(base + i * PAGE_SIZE, 1, false);
	KUNIT_EXPECT_EQ(test, run_at(base), 8UL);

	/* Neither one page nor three are a block to keep whole. */
	for (i = 0; i < ARRAY_SIZE(other); i++) {
		gomem_test_no_reserve();
		base = mheap_pages_alloc(other[i], NUMA_NO_NODE, GFP_KERNEL, &whole);
		KUNIT_ASSERT_NE(test, base, 0UL);
		KUNIT_EXPECT_FALSE(test, whole);
		mheap_pages_free(base, other[i], false);
	}

	/* With no surplus, a whole span goes straight back, in one piece. */
	gomem_test_no_reserve();
	WRITE_ONCE(gomem_mheap.surplus, 0);
	base = mheap_pages_alloc(4, NUMA_NO_NODE, GFP_KERNEL, &whole);
	released = gomem_mheap.pages_released;
	if (base)
		mheap_pages_free(base, 4, whole);
	WRITE_ONCE(gomem_mheap.surplus, surplus);
	KUNIT_ASSERT_NE(test, base, 0UL);
	KUNIT_EXPECT_TRUE(test, whole);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + 4);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, 0UL);
	expect_invariants(test);
}

/*
 * Single pages go back to the page allocator in the fewest blocks their
 * alignment allows, joined again, from any offset: the tail of a 9-page
 * run's order-4 block at once, as pages 9, 10-11 and 12-15, none of them
 * referenced any more; a run from its second page as pages 1, 2-3, 4-7
 * and 8.  A page someone else holds a reference to stays when the rest
 * goes, and goes when its holder lets go: the first of a block (page 2),
 * which the page allocator frees all but, or one after it (page 7), which
 * keeps the block single, the pages before it in the block taken out of
 * it again.  (DEBUG_VM stops the test kernel if a block goes back
 * misaligned, or with a page still referenced, or a page goes back with
 * no reference.)
 */
static void single_pages_go_back_in_blocks(struct kunit *test)
{
	static const int held_pages[] = { -1, 2, 7 };
	unsigned long base, total, flags, i, tail_held;
	struct page *page;
	unsigned int k;
	int held;

	for (k = 0; k < ARRAY_SIZE(held_pages); k++) {
		held = held_pages[k];
		gomem_test_no_reserve();
		total = gomem_mheap.pages_total;
		/*
		 * Not a page of the tail is referenced once the 9 pages are
		 * taken: it went back whole (a page short of it would stay
		 * referenced, and leak).  Interrupts off till the look, so
		 * that no allocation on this CPU takes a tail page back off
		 * its per-CPU lists first.  Not on PREEMPT_RT, where the page
		 * allocator may not be called with interrupts off, and with
		 * them on another task may take a tail page first: there the
		 * look proves nothing.
		 */
		if (!IS_ENABLED(CONFIG_PREEMPT_RT))
			local_irq_save(flags);
		base = mheap_pages_alloc(9, NUMA_NO_NODE, GFP_ATOMIC, NULL);
		page = base ? virt_to_page((void *)base) : NULL;
		for (i = 9, tail_held = 0; page && i < 16; i++)
			tail_held += page_count(page + i) != 0;
		if (!IS_ENABLED(CONFIG_PREEMPT_RT))
			local_irq_restore(flags);
		KUNIT_ASSERT_NE(test, base, 0UL);
		if (!IS_ENABLED(CONFIG_PREEMPT_RT))
			KUNIT_EXPECT_EQ(test, tail_held, 0UL);
		/* From the page allocator, the pools being empty: aligned. */
		KUNIT_EXPECT_EQ(test, page_to_pfn(page) % 16, 0UL);
		if (held >= 0)
			get_page(page + held);
		mheap_pages_free(base + PAGE_SIZE, 8, false);
		mheap_scavenge(0);
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total, total + 1);
		mheap_pages_free(base, 1, false);
		mheap_scavenge(0);
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total, total);
		if (held >= 0) {
			KUNIT_EXPECT_EQ(test, page_count(page + held), 1);
			put_page(page + held);
		}
		expect_invariants(test);
	}
}

/* Pages come from the node asked for, on every node that has memory. */
static void pages_come_from_their_node(struct kunit *test)
{
	unsigned long base;
	int node;

	gomem_test_no_reserve();
	for_each_node_state(node, N_NORMAL_MEMORY) {
		base = take(test, 3, node);
		KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page((void *)base)), node);
		mheap_pages_free(base, 3, false);
		/* The pool gives them back to the same node only. */
		base = take(test, 3, node);
		KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page((void *)base)), node);
		mheap_pages_free(base, 3, false);
	}
	expect_invariants(test);
}

/*
 * From every node, mheap_next_near() walks every possible node once: the
 * node itself first, then by distance, the lowest-numbered of equals
 * first, as the page allocator falls back.
 */
static void nodes_are_walked_nearest_first(struct kunit *test)
{
	int node, n, prev, walked;

	for_each_node(node) {
		prev = node;
		walked = 1;
		for (n = mheap_next_near(node, node); n < MAX_NUMNODES;
		     n = mheap_next_near(node, n)) {
			KUNIT_EXPECT_TRUE_MSG(test, node_possible(n), "from %d: %d", node, n);
			KUNIT_EXPECT_NE(test, n, node);
			KUNIT_EXPECT_GE_MSG(test, node_distance(node, n), node_distance(node, prev),
					    "from %d: %d after %d", node, n, prev);
			if (prev != node && node_distance(node, n) == node_distance(node, prev))
				KUNIT_EXPECT_GT_MSG(test, n, prev, "from %d", node);
			prev = n;
			if (++walked > num_possible_nodes())
				break;
		}
		KUNIT_EXPECT_EQ_MSG(test, walked, num_possible_nodes(), "from %d", node);
	}
}

/*
 * A request the pools cannot serve, a span of two pages among single
 * free pages or a large block, first gives back as many surplus pages as
 * it takes: gomem holds no more than before, and the surplus never adds
 * to its peak.  The scavenger may give them all back meanwhile, which
 * these bounds allow too.
 */
static void growth_gives_the_surplus_back_first(struct kunit *test)
{
	unsigned long base, two, block, total, n = 16, i;

	gomem_test_no_reserve();
	base = take(test, 2 * n, NUMA_NO_NODE);
	/* Every other page: n runs of one page, none of which holds two. */
	for (i = 0; i < 2 * n; i += 2)
		mheap_pages_free(base + i * PAGE_SIZE, 1, false);
	total = gomem_mheap.pages_total;
	two = take(test, 2, NUMA_NO_NODE);
	KUNIT_EXPECT_LE(test, gomem_mheap.pages_total, total);
	KUNIT_EXPECT_LE(test, gomem_mheap.pages_free, n - 2);
	block = mheap_block_alloc(n, NUMA_NO_NODE, GFP_KERNEL);
	KUNIT_ASSERT_NE(test, block, 0UL);
	KUNIT_EXPECT_LE(test, gomem_mheap.pages_total, total + 2);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, 0UL);
	expect_invariants(test);
	mheap_block_free(block, n);
	mheap_pages_free(two, 2, false);
	for (i = 1; i < 2 * n; i += 2)
		mheap_pages_free(base + i * PAGE_SIZE, 1, false);
	expect_invariants(test);
}

/*
 * Before gomem takes pages from the page allocator, the objects waiting
 * on the mcentrals' transfer stacks go back to their spans, and the
 * spans that empties serve the request: objects a class freed never
 * make another class grow.
 */
static void growth_takes_the_transfer_stacks_back(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(64)];
	unsigned int n = 4 * GOMEM_MCACHE_MAX, i;
	unsigned long acquired, page;
	void **p;

	gomem_test_no_reserve();
	gomem_test_hold_scavenger();
	p = gomem_test_alloc_many(test, 64, n);
	for (i = 0; i < n; i++)
		gomem_free(p[i]);
	KUNIT_ASSERT_GT(test, mcentral_xfer_objs(c), 0UL);
	acquired = gomem_mheap.pages_acquired;
	page = take(test, 1, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, mcentral_xfer_objs(c), 0UL);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_acquired, acquired);
	mheap_pages_free(page, 1, false);
	gomem_drain();
	expect_invariants(test);
}

static void failed_growth_leaves_nothing(struct kunit *test)
{
	unsigned long total, acquired;

	gomem_test_no_reserve();
	total = gomem_mheap.pages_total;
	acquired = gomem_mheap.pages_acquired;
	gomem_test_fail_after(0, 1);
	KUNIT_EXPECT_EQ(test, mheap_pages_alloc(2, NUMA_NO_NODE, GFP_KERNEL, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, gomem_test_fail_left(true), 0);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total, total);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_acquired, acquired);
	expect_invariants(test);
}

/*
 * A page's marks are read only where gomem holds pages of its section:
 * with its section's count at 0, a pool page reads as nobody's; past the
 * sections counted (hot-added memory), pfn_valid() lets its mark be read.
 */
static void sections_gate_the_marks(struct kunit *test)
{
	unsigned long base, sec, flags, nr = gomem_nr_sections;
	u8 held;

	gomem_test_no_reserve();
	gomem_test_keep_pages(test);
	base = take(test, 1, NUMA_NO_NODE);
	mheap_pages_free(base, 1, false);
	KUNIT_ASSERT_TRUE(test, mark(base) & GOMEM_PAGE_POOL);
	sec = pfn_to_section_nr(PHYS_PFN(__pa(base)));
	KUNIT_ASSERT_LT(test, sec, nr);
	spin_lock_irqsave(&gomem_mheap.lock, flags);
	held = gomem_section_held[sec];
	WRITE_ONCE(gomem_section_held[sec], 0);
	KUNIT_EXPECT_EQ(test, gomem_page_what(base), 0UL);
	WRITE_ONCE(gomem_section_held[sec], held);
	WRITE_ONCE(gomem_nr_sections, 0);
	KUNIT_EXPECT_TRUE(test, gomem_page_what(base) & GOMEM_PAGE_POOL);
	KUNIT_EXPECT_EQ(test, gomem_page_what((unsigned long)test), 0UL);
	WRITE_ONCE(gomem_nr_sections, nr);
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	KUNIT_EXPECT_EQ(test, held, 1);
	expect_invariants(test);
}

static struct kunit_case mheap_cases[] = {
	KUNIT_CASE(runs_are_exact),
	KUNIT_CASE(neighbours_coalesce),
	KUNIT_CASE(best_fit),
	KUNIT_CASE(long_runs),
	KUNIT_CASE(scavenger_keeps_the_reserve),
	KUNIT_CASE(power_of_two_spans_stay_whole),
	KUNIT_CASE(single_pages_go_back_in_blocks),
	KUNIT_CASE(pages_come_from_their_node),
	KUNIT_CASE(nodes_are_walked_nearest_first),
	KUNIT_CASE(growth_gives_the_surplus_back_first),
	KUNIT_CASE(growth_takes_the_transfer_stacks_back),
	KUNIT_CASE(failed_growth_leaves_nothing),
	KUNIT_CASE(sections_gate_the_marks),
	{}
};

static struct kunit_suite mheap_suite = {
	.name = "gomem_mheap",
	.init = gomem_test_init,
	.exit = gomem_test_exit,
	.test_cases = mheap_cases,
};

kunit_test_suite(mheap_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's page heap");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
