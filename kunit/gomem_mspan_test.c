// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for mspan.c: the page of every object's start names its
 * span, and every page does where objects are not whole pages, for small,
 * tiny and large spans, and mspan_around() finds the span from every byte
 * of its pages and from none past them; a freed span's pages name it no
 * more; any pointer at all can be looked up, and only gomem's
 * own pages are ever taken for spans; large spans take exactly their
 * pages and are counted; the walk through the pages' marks finds every
 * span once; freed spans wait for their grace period in batches; a small
 * span has a state for every index its pages give, its tail's too.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/delay.h>
#include <linux/vmalloc.h>
#include <linux/sizes.h>

#include "gomem_test.h"

/*
 * s's marks: on every page if its objects are not whole pages, else on
 * each object's first page only (mspan_mark()); and s found by
 * mspan_around() from the first and last byte of each of its pages, and
 * not from the bytes just past its ends.  How many pages were marked.
 */
static unsigned long expect_marked(struct kunit *test, struct mspan *s)
{
	unsigned long p, off, end = s->base + ((unsigned long)s->npages << PAGE_SHIFT);
	bool whole = !(s->size & ~PAGE_MASK);
	unsigned long marked = 0;
	struct mspan *want;

	for (p = s->base; p < end; p += PAGE_SIZE) {
		off = p - s->base;
		want = !whole || off % s->size == 0 ? s : NULL;
		marked += !!want;
		KUNIT_EXPECT_PTR_EQ_MSG(test, gomem_test_span((void *)p), want,
					"page %lu of %u, objects of %u bytes",
					off >> PAGE_SHIFT, s->npages, s->size);
		KUNIT_EXPECT_PTR_EQ(test, gomem_test_span((void *)(p + PAGE_SIZE - 1)), want);
		KUNIT_EXPECT_PTR_EQ(test, gomem_test_around((void *)p), s);
		KUNIT_EXPECT_PTR_EQ(test, gomem_test_around((void *)(p + PAGE_SIZE - 1)), s);
	}
	KUNIT_EXPECT_PTR_NE(test, gomem_test_span((void *)end), s);
	KUNIT_EXPECT_PTR_NE(test, gomem_test_span((void *)(s->base - 1)), s);
	KUNIT_EXPECT_PTR_NE(test, gomem_test_around((void *)end), s);
	KUNIT_EXPECT_PTR_NE(test, gomem_test_around((void *)(s->base - 1)), s);
	return marked;
}

static struct mspan *class_span(struct kunit *test, unsigned int cls)
{
	const struct mcentral *c = &gomem_mcentral[cls];
	struct mspan tmpl = {
		.kind = c->kind, .spanclass = cls, .state_width = c->state_width,
		.npages = c->npages, .nelems = c->nelems, .nfree = c->nelems,
		.size = c->size, .divmul = c->divmul,
	};
	struct mspan *s = mspan_alloc(&tmpl, NUMA_NO_NODE, GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->npages, c->npages);
	for (i = 0; i < s->nelems; i++)
		KUNIT_EXPECT_EQ(test, mspan_state(s, i), GOMEM_OBJ_FREE);
	return s;
}

/*
 * Small spans of one and several pages, of objects of whole pages and
 * not, with their states apart, before the struct and in it, and a tiny
 * span; the metadata of each goes with it, from whichever cache.
 */
static void spans_are_found_from_every_page(struct kunit *test)
{
	static const unsigned int sizes[] = { 16, 200, 700, 3000, 9000, 20000, SZ_32K };
	unsigned long base, meta;
	struct mspan *s;
	unsigned int i;

	gomem_test_keep_pages(test);
	gomem_drain();
	rcu_barrier();
	meta = atomic_long_read(&gomem_meta_bytes);
	for (i = 0; i <= ARRAY_SIZE(sizes); i++) {
		s = class_span(test, i < ARRAY_SIZE(sizes) ?
			       gomem_size_class(sizes[i]) : GOMEM_TINY_CLASS);
		KUNIT_EXPECT_GT(test, atomic_long_read(&gomem_meta_bytes), meta);
		expect_marked(test, s);
		base = s->base;
		mspan_free(s);
		/* Its pages are the pool's now, and name no span. */
		KUNIT_EXPECT_NULL(test, gomem_test_span((void *)base));
		KUNIT_EXPECT_NULL(test, gomem_test_around((void *)base + PAGE_SIZE - 1));
		KUNIT_EXPECT_EQ(test, gomem_why(base), GOMEM_BAD_DOUBLE);
	}
	/* A drain closes the batches of dead spans; then they go. */
	gomem_drain();
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_meta_bytes), meta);
}

/*
 * A big span of 32 KiB objects, 16 in 128 pages, marks the 16 pages where
 * they start and no other; a pointer into any of its pages is inside an
 * object, or the start of a free one, never a foreign pointer; and once
 * the span is freed, its marks are gone, with no page left naming it.
 */
static void big_spans_mark_object_starts(struct kunit *test)
{
	const struct mcentral *c = &gomem_mcentral[gomem_size_class(SZ_32K)];
	struct mspan tmpl = {
		.kind = c->kind, .spanclass = c - gomem_mcentral,
		.state_width = c->state_width, .npages = c->big_npages,
		.nelems = c->big_npages * PAGE_SIZE / SZ_32K,
		.size = c->size, .divmul = c->divmul,
	};
	unsigned long base, p, end;
	struct mspan *s;

	KUNIT_ASSERT_EQ(test, c->size, SZ_32K);
	KUNIT_ASSERT_EQ(test, tmpl.nelems, GOMEM_BIG_SPAN_OBJS);
	tmpl.nfree = tmpl.nelems;
	gomem_test_keep_pages(test);
	s = mspan_alloc(&tmpl, NUMA_NO_NODE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, expect_marked(test, s), (unsigned long)GOMEM_BIG_SPAN_OBJS);
	base = s->base;
	end = base + ((unsigned long)s->npages << PAGE_SHIFT);
	for (p = base; p < end; p += PAGE_SIZE / 2)
		KUNIT_EXPECT_EQ_MSG(test, gomem_why(p),
				    (p - base) % SZ_32K ? GOMEM_BAD_INTERIOR : GOMEM_BAD_DOUBLE,
				    "byte %lu", p - base);
	mspan_free(s);
	for (p = base; p < end; p += PAGE_SIZE)
		KUNIT_EXPECT_NULL_MSG(test, gomem_test_around((void *)p),
				      "page %lu", (p - base) >> PAGE_SHIFT);
}

/*
 * Freed spans wait for their grace period in their CPU's batch: a batch
 * that is not full waits, and the span that fills it sends the whole
 * batch on its way; the scavenger, which a batch's first span schedules,
 * closes a batch that does not fill.
 */
static void dead_spans_go_in_batches(struct kunit *test)
{
	struct mspan *s[GOMEM_DEAD_BATCH + 1];
	unsigned int cls = gomem_size_class(64), i;
	unsigned long meta, t;
	int cpu;

	gomem_test_keep_pages(test);
	for (i = 0; i <= GOMEM_DEAD_BATCH; i++)
		s[i] = class_span(test, cls);
	/* One CPU's batch, from empty, with no scavenger pending. */
	migrate_disable();
	cpu = smp_processor_id();
	gomem_drain();
	msleep(600);
	rcu_barrier();
	meta = atomic_long_read(&gomem_meta_bytes);
	for (i = 0; i < GOMEM_DEAD_BATCH - 1; i++)
		mspan_free(s[i]);
	KUNIT_EXPECT_TRUE(test, mspan_dead_waiting(cpu));
	mspan_free(s[i++]);
	KUNIT_EXPECT_FALSE(test, mspan_dead_waiting(cpu));
	mspan_free(s[i]);
	KUNIT_EXPECT_TRUE(test, mspan_dead_waiting(cpu));
	migrate_enable();
	for (t = 0; t < 40 && mspan_dead_waiting(cpu); t++)
		msleep(50);
	KUNIT_EXPECT_FALSE(test, mspan_dead_waiting(cpu));
	rcu_barrier();
	KUNIT_EXPECT_LT(test, atomic_long_read(&gomem_meta_bytes), meta);
}

/* Large spans: exactly their pages, and counted. */
static void large_spans_are_exact(struct kunit *test)
{
	static const size_t sizes[] = {
		GOMEM_MAX_SMALL + 1, 100 * SZ_1K, SZ_1M + 1, GOMEM_MAX_SIZE,
	};
	unsigned long acquired, nr, pages, base, last;
	struct mspan *s;
	unsigned int i;
	bool kept;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		gomem_test_no_reserve();
		acquired = gomem_mheap.pages_acquired;
		nr = atomic_long_read(&gomem_mheap.nr_large);
		pages = atomic_long_read(&gomem_mheap.large_pages);
		s = mspan_alloc_large(sizes[i], NUMA_NO_NODE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s);
		KUNIT_EXPECT_EQ(test, (size_t)s->npages << PAGE_SHIFT, PAGE_ALIGN(sizes[i]));
		KUNIT_EXPECT_EQ(test, gomem_mheap.pages_acquired, acquired + s->npages);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.nr_large), nr + 1);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.large_pages),
				pages + s->npages);
		KUNIT_EXPECT_EQ(test, s->req, sizes[i]);
		/* Its first page only: its pages are its object's. */
		KUNIT_EXPECT_EQ(test, expect_marked(test, s), 1UL);
		base = s->base;
		last = base + ((unsigned long)(s->npages - 1) << PAGE_SHIFT);
		KUNIT_EXPECT_EQ(test, gomem_why(last), GOMEM_BAD_INTERIOR);
		KUNIT_EXPECT_EQ(test, cmpxchg(&s->live, 1, 0), 1);
		mspan_free_large(s);
		/*
		 * Kept for reuse, whole and marked, or unmarked and back with
		 * the page allocator: found from its last page either way as
		 * from its first.  (s is only compared.)
		 */
		kept = gomem_test_span((void *)base) == s;
		KUNIT_EXPECT_PTR_EQ(test, gomem_test_around((void *)last), kept ? s : NULL);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.nr_large), nr);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.large_pages), pages);
	}
}

/* How often mspan_for_each() showed each of three spans: see below. */
struct walk_seen {
	struct mspan *span[3];
	unsigned int seen[3];
};

static void walk_count(struct mspan *s, void *arg)
{
	struct walk_seen *w = arg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(w->span); i++)
		w->seen[i] += s == w->span[i];
}

/*
 * The walk that finds full and large spans, which no list holds, for
 * unload and callers=1: every span once, whatever its pages, and no span
 * freed before it.
 */
static void walk_finds_each_span_once(struct kunit *test)
{
	struct walk_seen w = { };
	struct mspan *gone;

	w.span[0] = class_span(test, gomem_size_class(20000));
	w.span[1] = class_span(test, GOMEM_TINY_CLASS);
	w.span[2] = mspan_alloc_large(SZ_64K, NUMA_NO_NODE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w.span[2]);
	KUNIT_EXPECT_GT(test, w.span[0]->npages, 1U);
	mspan_for_each(walk_count, &w);
	KUNIT_EXPECT_EQ(test, w.seen[0], 1U);
	KUNIT_EXPECT_EQ(test, w.seen[1], 1U);
	KUNIT_EXPECT_EQ(test, w.seen[2], 1U);
	gone = w.span[0];
	mspan_free(gone);
	memset(w.seen, 0, sizeof(w.seen));
	mspan_for_each(walk_count, &w);
	KUNIT_EXPECT_EQ(test, w.seen[0], 0U);
	KUNIT_EXPECT_EQ(test, w.seen[1], 1U);
	mspan_free(w.span[1]);
	KUNIT_EXPECT_EQ(test, cmpxchg(&w.span[2]->live, 1, 0), 1);
	mspan_free_large(w.span[2]);
}

/*
 * A small span has a state for every index its pages give, past its last
 * object too, all FREE at first (pointers_into_a_spans_tail in
 * gomem_bad_test.c checks that they stay so); and the states of every
 * class of 128 bytes and up, tail and all, lie in the span's own slab
 * object, with no allocation of their own: up to GOMEM_STATE_INLINE bytes
 * of them in the 64-byte struct, up to GOMEM_STATE_WIDE just before it
 * (but under debug=1 or callers=1, where the word before it is the
 * records' address).
 */
static void every_index_has_a_state(struct kunit *test)
{
	unsigned int cls, i, n, bytes;
	unsigned long end;
	struct mspan *s;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		s = class_span(test, cls);
		end = s->base + ((unsigned long)s->npages << PAGE_SHIFT);
		n = mspan_states(s);
		KUNIT_EXPECT_GT_MSG(test, n, mspan_index(s, end - 1), "class %u", cls);
		for (i = s->nelems; i < n; i++)
			KUNIT_EXPECT_EQ_MSG(test, mspan_state(s, i), GOMEM_OBJ_FREE,
					    "class %u, state %u", cls, i);
		bytes = n * s->state_width;
		if (bytes <= GOMEM_STATE_INLINE)
			KUNIT_EXPECT_PTR_EQ_MSG(test, s->state, (void *)s->state_inline,
						"class %u, %u states", cls, n);
		else if (bytes <= GOMEM_STATE_WIDE && !gomem_debug())
			KUNIT_EXPECT_PTR_EQ_MSG(test, s->state,
						(void *)s - GOMEM_STATE_WIDE,
						"class %u, %u states", cls, n);
		if (s->size >= 128 && !gomem_debug())
			KUNIT_EXPECT_LE_MSG(test, bytes, GOMEM_STATE_WIDE,
					    "class %u, %u states", cls, n);
		mspan_free(s);
	}
}

/*
 * Pointers that are not gomem's, from everywhere in the address space,
 * find no span, and never fault.
 */
static void any_pointer_can_be_checked(struct kunit *test)
{
	void *k = kmalloc(64, GFP_KERNEL), *v = vmalloc(PAGE_SIZE);
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long addrs[] = {
		0, 1, 4096, (unsigned long)k, (unsigned long)v,
		(unsigned long)&addrs, (unsigned long)any_pointer_can_be_checked,
		(unsigned long)page_address(page), PAGE_OFFSET, PAGE_OFFSET - 1,
		(unsigned long)high_memory, (unsigned long)high_memory + SZ_1G,
		-4096UL, -1UL,
	};
	const unsigned long marks[] = {
		5 << GOMEM_PAGE_RUN_SHIFT | GOMEM_PAGE_POOL | GOMEM_PAGE_HEAD,
		GOMEM_PAGE_POOL, 0,
	};
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		KUNIT_EXPECT_NULL_MSG(test, gomem_test_span((void *)addrs[i]),
				      "address %lx", addrs[i]);
		KUNIT_EXPECT_EQ_MSG(test, gomem_why(addrs[i]), GOMEM_BAD_FOREIGN,
				    "address %lx", addrs[i]);
	}
	/* A page whose private word happens to look like a span is not one. */
	set_page_private(page, (unsigned long)k);
	KUNIT_EXPECT_NULL(test, gomem_test_span(page_address(page)));
	/*
	 * Nor is one whose signature holds, when what it marks is no span:
	 * a pool's free run, or nothing (gomem_what_is_span()).
	 */
	for (i = 0; i < ARRAY_SIZE(marks); i++) {
		set_page_private(page, marks[i]);
		page->index = marks[i] ^ gomem_page_key;
		KUNIT_EXPECT_EQ(test, gomem_page_what_of(page), marks[i]);
		KUNIT_EXPECT_FALSE(test, gomem_what_is_span(marks[i]));
		KUNIT_EXPECT_NULL(test, gomem_test_span(page_address(page)));
	}
	page->index = 0;
	__free_page(page);
	kfree(k);
	vfree(v);
}

static struct kunit_case mspan_cases[] = {
	KUNIT_CASE(spans_are_found_from_every_page),
	KUNIT_CASE(big_spans_mark_object_starts),
	KUNIT_CASE(dead_spans_go_in_batches),
	KUNIT_CASE(large_spans_are_exact),
	KUNIT_CASE(walk_finds_each_span_once),
	KUNIT_CASE(every_index_has_a_state),
	KUNIT_CASE(any_pointer_can_be_checked),
	{}
};

static struct kunit_suite mspan_suite = {
	.name = "gomem_mspan",
	.init = gomem_test_init,
	.exit = gomem_test_exit,
	.test_cases = mspan_cases,
};

kunit_test_suite(mspan_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's spans");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
