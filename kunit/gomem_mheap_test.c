// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for mheap.c: spans of every length, coalescing, best fit,
 * the O(1) lookup of any pointer (foreign ones included), huge objects,
 * the arena reserve, and growth failure.  After each step the heap's
 * invariants are checked from scratch against its counters.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/vmalloc.h>
#include <linux/sizes.h>

#include "gomem_test.h"

static unsigned int bits_run(unsigned long w)
{
	unsigned int best = 0, run = 0, i;

	for (i = 0; i < BITS_PER_LONG; i++) {
		run = w & BIT(i) ? run + 1 : 0;
		best = max(best, run);
	}
	return best;
}

/* Recount everything the mheap keeps counts of, and compare. */
static void expect_invariants(struct kunit *test)
{
	unsigned long arenas = 0, empty = 0, free = 0, huge = 0, flags;
	struct gomem_arena *a;
	struct mspan *s;
	unsigned int run, i;

	spin_lock_irqsave(&gomem_mheap.lock, flags);
	for (run = 0; run <= GOMEM_ARENA_PAGES; run++) {
		list_for_each_entry(a, &gomem_mheap.runs[run], node) {
			arenas++;
			empty += run == GOMEM_ARENA_PAGES;
			free += hweight_long(a->free);
			KUNIT_EXPECT_EQ(test, bits_run(a->free), run);
			KUNIT_EXPECT_EQ(test, a->max_run, run);
			KUNIT_EXPECT_PTR_EQ(test, gomem_arena_lookup(a->base), a);
			for (i = 0; i < GOMEM_ARENA_PAGES; i++) {
				s = rcu_dereference_protected(a->spans[i], 1);
				KUNIT_EXPECT_EQ_MSG(test, !s, !!(a->free & BIT(i)),
						    "arena page %u", i);
			}
		}
	}
	list_for_each_entry(a, &gomem_mheap.huge, node)
		huge += 1UL << a->order;
	KUNIT_EXPECT_EQ(test, arenas, gomem_mheap.nr_arenas);
	KUNIT_EXPECT_EQ(test, empty, gomem_mheap.nr_empty);
	KUNIT_EXPECT_EQ(test, free, gomem_mheap.pages_free);
	KUNIT_EXPECT_EQ(test, huge, gomem_mheap.huge_pages);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total,
			arenas * GOMEM_ARENA_PAGES + huge);
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
}

static struct mspan *span(struct kunit *test, unsigned int npages)
{
	struct mspan tmpl = { .kind = MSPAN_LARGE, .npages = npages };
	struct mspan *s = mheap_alloc_span(&tmpl, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	return s;
}

static struct mspan *find(unsigned long p, enum gomem_bad *why)
{
	struct mspan *s;

	rcu_read_lock_sched();
	s = mheap_find(p, why);
	rcu_read_unlock_sched();
	return s;
}

static void expect_found(struct kunit *test, unsigned long p, struct mspan *s)
{
	enum gomem_bad why;

	KUNIT_EXPECT_PTR_EQ_MSG(test, find(p, &why), s, "address %lx", p);
}

static void expect_missing(struct kunit *test, unsigned long p,
			   enum gomem_bad want)
{
	enum gomem_bad why = -1;

	KUNIT_EXPECT_NULL_MSG(test, find(p, &why), "address %lx", p);
	KUNIT_EXPECT_EQ_MSG(test, why, want, "address %lx", p);
}

static void spans_of_every_length(struct kunit *test)
{
	unsigned long free_before = gomem_mheap.pages_free, end, p;
	struct mspan *s;
	unsigned int n;

	KUNIT_ASSERT_GE(test, gomem_reserve_arenas, 1U);
	for (n = 1; n <= GOMEM_ARENA_PAGES; n++) {
		s = span(test, n);
		end = s->base + ((unsigned long)n << PAGE_SHIFT);
		KUNIT_EXPECT_EQ(test, s->npages, n);
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(s->base));
		KUNIT_EXPECT_GE(test, s->base, s->arena->base);
		KUNIT_EXPECT_LE(test, end, s->arena->base + GOMEM_ARENA_SIZE);
		for (p = s->base; p < end; p += PAGE_SIZE) {
			expect_found(test, p, s);
			expect_found(test, p + PAGE_SIZE - 1, s);
		}
		expect_invariants(test);
		mheap_free_span(s);
		/* The arena stays, in the reserve, but the span is gone. */
		expect_missing(test, end - 1, GOMEM_BAD_DOUBLE);
	}
	expect_invariants(test);
	mheap_trim();
	KUNIT_EXPECT_LE(test, gomem_mheap.nr_arenas, (unsigned long)gomem_reserve_arenas);
	KUNIT_EXPECT_GE(test, gomem_mheap.pages_free, free_before);
}

/*
 * One arena, filled page by page: freeing every other page leaves runs
 * of one, and freeing the rest coalesces them into the whole arena.
 */
static void free_neighbours_coalesce(struct kunit *test)
{
	struct mspan **s = kunit_kcalloc(test, GOMEM_ARENA_PAGES, sizeof(*s),
					 GFP_KERNEL);
	struct gomem_arena *a;
	struct mspan *two, *whole;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	whole = span(test, GOMEM_ARENA_PAGES);
	a = whole->arena;
	mheap_free_span(whole);
	/* Best fit keeps choosing the arena it has begun to fill. */
	for (i = 0; i < GOMEM_ARENA_PAGES; i++) {
		s[i] = span(test, 1);
		KUNIT_EXPECT_PTR_EQ(test, s[i]->arena, a);
	}
	KUNIT_EXPECT_EQ(test, a->free, 0UL);
	for (i = 0; i < GOMEM_ARENA_PAGES; i += 2)
		mheap_free_span(s[i]);
	KUNIT_EXPECT_EQ(test, a->max_run, 1U);
	expect_invariants(test);
	two = span(test, 2);
	KUNIT_EXPECT_PTR_NE(test, two->arena, a);
	mheap_free_span(two);
	/* A one-page span fills a hole rather than start a fresh arena. */
	s[0] = span(test, 1);
	KUNIT_EXPECT_PTR_EQ(test, s[0]->arena, a);
	mheap_free_span(s[0]);
	for (i = 1; i < GOMEM_ARENA_PAGES; i += 2)
		mheap_free_span(s[i]);
	KUNIT_EXPECT_EQ(test, a->max_run, (unsigned int)GOMEM_ARENA_PAGES);
	KUNIT_EXPECT_EQ(test, a->free, ~0UL);
	expect_invariants(test);
}

static void best_fit_prefers_the_fuller_arena(struct kunit *test)
{
	struct mspan *a_fill, *b_fill, *s;

	/* Arena A with 3 pages free, arena B with 10. */
	a_fill = span(test, GOMEM_ARENA_PAGES - 3);
	b_fill = span(test, GOMEM_ARENA_PAGES - 10);
	KUNIT_ASSERT_PTR_NE(test, a_fill->arena, b_fill->arena);
	s = span(test, 3);
	KUNIT_EXPECT_PTR_EQ(test, s->arena, a_fill->arena);
	mheap_free_span(s);
	s = span(test, 4);
	KUNIT_EXPECT_PTR_EQ(test, s->arena, b_fill->arena);
	mheap_free_span(s);
	mheap_free_span(a_fill);
	mheap_free_span(b_fill);
	expect_invariants(test);
}

static noinline void foreign_target(void)
{
}

static void foreign_pointers_are_recognised(struct kunit *test)
{
	void *k = kmalloc(64, GFP_KERNEL);
	void *v = vmalloc(PAGE_SIZE);
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long local;
	struct mspan *s;

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, page);
	s = span(test, 1);
	expect_missing(test, (unsigned long)&local, GOMEM_BAD_FOREIGN);
	expect_missing(test, (unsigned long)k, GOMEM_BAD_FOREIGN);
	expect_missing(test, (unsigned long)v, GOMEM_BAD_FOREIGN);
	expect_missing(test, (unsigned long)page_address(page), GOMEM_BAD_FOREIGN);
	expect_missing(test, (unsigned long)foreign_target, GOMEM_BAD_FOREIGN);
	expect_missing(test, PAGE_OFFSET - 1, GOMEM_BAD_FOREIGN);
	expect_missing(test, 0x1000, GOMEM_BAD_FOREIGN);
	expect_missing(test, -1UL, GOMEM_BAD_FOREIGN);
	/* In an arena, but in no span. */
	if (s->base != s->arena->base)
		expect_missing(test, s->base - 1, GOMEM_BAD_DOUBLE);
	else
		expect_missing(test, s->base + PAGE_SIZE, GOMEM_BAD_DOUBLE);
	mheap_free_span(s);
	__free_page(page);
	vfree(v);
	kfree(k);
}

static void huge_objects(struct kunit *test)
{
	unsigned long total = gomem_mheap.pages_total, released, p, end;
	unsigned int order;
	struct mspan *s;

	for (order = GOMEM_ARENA_ORDER + 1; order <= GOMEM_ARENA_ORDER + 4; order++) {
		released = gomem_mheap.pages_released;
		s = mheap_alloc_huge(order, PAGE_SIZE << order, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s);
		end = s->base + (PAGE_SIZE << order);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(s->base, PAGE_SIZE << order));
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total, total + (1UL << order));
		for (p = s->base; p < end; p += PAGE_SIZE * 7)
			expect_found(test, p + 5, s);
		expect_found(test, end - 1, s);
		expect_invariants(test);
		mheap_free_huge(s);
		expect_missing(test, end - 1, GOMEM_BAD_FOREIGN);
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total, total);
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released,
				released + (1UL << order));
	}
	expect_invariants(test);
}

static void empty_arenas_beyond_the_reserve_go_back(struct kunit *test)
{
	unsigned long released;
	unsigned int i;
	struct mspan *s[3];

	gomem_reserve_arenas = 1;
	mheap_trim();
	KUNIT_EXPECT_LE(test, gomem_mheap.nr_empty, 1UL);
	released = gomem_mheap.pages_released;
	for (i = 0; i < ARRAY_SIZE(s); i++)
		s[i] = span(test, GOMEM_ARENA_PAGES);
	for (i = 0; i < ARRAY_SIZE(s); i++)
		mheap_free_span(s[i]);
	/* Three arenas emptied, at most one kept. */
	KUNIT_EXPECT_EQ(test, gomem_mheap.nr_empty, 1UL);
	KUNIT_EXPECT_GE(test, gomem_mheap.pages_released,
			released + 2 * GOMEM_ARENA_PAGES);
	expect_invariants(test);
	gomem_reserve_arenas = 0;
	mheap_trim();
	KUNIT_EXPECT_EQ(test, gomem_mheap.nr_empty, 0UL);
	expect_invariants(test);
}

/* When the page allocator says no, the heap is as it was. */
static void growth_failure_changes_nothing(struct kunit *test)
{
	struct mspan tmpl = { .kind = MSPAN_LARGE, .npages = GOMEM_ARENA_PAGES };
	unsigned long total;

	gomem_reserve_arenas = 0;
	mheap_trim();
	total = gomem_mheap.pages_total;
	if (!gomem_test_fail_after(0, 2))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
	KUNIT_EXPECT_NULL(test, mheap_alloc_span(&tmpl, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, mheap_alloc_huge(GOMEM_ARENA_ORDER + 1, 1,
						 GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, gomem_test_fail_left(true), 0);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total, total);
	expect_invariants(test);
}

static struct kunit_case mheap_cases[] = {
	KUNIT_CASE(spans_of_every_length),
	KUNIT_CASE(free_neighbours_coalesce),
	KUNIT_CASE(best_fit_prefers_the_fuller_arena),
	KUNIT_CASE(foreign_pointers_are_recognised),
	KUNIT_CASE(huge_objects),
	KUNIT_CASE(empty_arenas_beyond_the_reserve_go_back),
	KUNIT_CASE(growth_failure_changes_nothing),
	{}
};

/* Each case starts with the default reserve, whatever the module has. */
static int mheap_test_init(struct kunit *test)
{
	gomem_test_init(test);
	gomem_reserve_arenas = 4;
	return 0;
}

static struct kunit_suite mheap_suite = {
	.name = "gomem_mheap",
	.init = mheap_test_init,
	.exit = gomem_test_exit,
	.test_cases = mheap_cases,
};

kunit_test_suite(mheap_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's mheap");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
