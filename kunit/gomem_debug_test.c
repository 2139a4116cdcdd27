// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for debug.c, run with gomem loaded as debug=1: writes after
 * free and past an object's end are caught, for small and large objects;
 * reports name the callers that allocated and freed the object; nothing
 * is cached per CPU and there is no tiny allocator; gomem_alloc_node()
 * still gives the node asked for, and every object keeps its alignment.
 * (The bad-input suite also runs under debug=1, for double frees
 * sequential and racing.)
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/sizes.h>

#include "gomem_test.h"

static int debug_init(struct kunit *test)
{
	if (!gomem_debug())
		kunit_skip(test, "load gomem with debug=1");
	gomem_test_init(test);
	gomem_test_expect_reports(test);
	return 0;
}

static int reports(enum gomem_bad why)
{
	return atomic_read(&gomem_reports[why]);
}

/*
 * No per-CPU caching, no tiny blocks: every object goes to a lock.  No
 * cold class borrows either: each object has its own class's redzone.
 */
static void everything_is_checked(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	struct mspan *s;
	unsigned int cls;
	void *p;

	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++)
		KUNIT_EXPECT_EQ(test, (unsigned int)gomem_mcentral[cls].cache_cap, 0U);
	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++)
		KUNIT_EXPECT_EQ(test, gomem_mcentral[cls].lender, cls);
	p = gomem_alloc(3, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = gomem_test_span(p);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, (unsigned int)s->kind, (unsigned int)MSPAN_SMALL);
	KUNIT_EXPECT_EQ(test, gomem_size(p), 8UL);
	gomem_free(p);
	p = gomem_alloc(48, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, gomem_size(p), 48UL);
	gomem_free(p);
	KUNIT_EXPECT_EQ(test, gomem_test_stats(test)->cached[gomem_size_class(8)], 0UL);
	gomem_test_expect_baseline(test, before);
}

/*
 * A write to a freed object shows when the object is handed out again
 * (the mcentral hands out its lowest free object, so it is the next).
 */
static void write_after_free(struct kunit *test)
{
	int n = reports(GOMEM_BAD_POISON);
	u8 *p, *q, *keep;

	/* Another object keeps the span, so the freed one stays in it. */
	keep = gomem_alloc(100, GFP_KERNEL);
	p = gomem_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	gomem_test_set(p + 10, 0x11, 1);
	q = gomem_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_POISON), n + 1);
	gomem_free(q);
	/* The poison was restored: the next use is clean. */
	q = gomem_alloc(100, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_POISON), n + 1);
	gomem_free(q);
	gomem_free(keep);
}

/*
 * Writes past the request, into the rest of the class size or into the
 * redzone after the object, show when it is freed; once gomem_size() has
 * given the caller the whole object, only the redzone is checked.
 */
static void write_past_the_end(struct kunit *test)
{
	static const struct { size_t size, off; } cases[] = {
		{ 100, 100 }, { 100, 103 }, { 104, 104 }, { 104, 119 },
		{ 5000, 5000 }, { 40000, 40000 }, { 40000, 10 * PAGE_SIZE - 1 },
	};
	int n = reports(GOMEM_BAD_REDZONE);
	unsigned int i;
	size_t usable;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		p = gomem_alloc(cases[i].size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		gomem_test_set(p + cases[i].off, 0x22, 1);
		gomem_free(p);
		KUNIT_EXPECT_EQ_MSG(test, reports(GOMEM_BAD_REDZONE), n + 1,
				    "%zu bytes, written at %zu", cases[i].size, cases[i].off);
		n = reports(GOMEM_BAD_REDZONE);
	}
	/* The caller may use all of gomem_size(): no report for that. */
	p = gomem_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	usable = gomem_size(p);
	memset(p, 0x33, usable);
	gomem_free(p);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_REDZONE), n);
}

/*
 * A realloc that stays gives the object its new size again, even the
 * same size: the bytes an earlier gomem_size() gave the caller past it
 * are redzone again, and a write there shows when the object is freed.
 * A write into the redzone before the realloc still shows: it is not
 * filled over.  Small and large objects.
 */
static void a_realloc_that_stays_restores_the_redzone(struct kunit *test)
{
	static const size_t sizes[] = { 100, 40000 };
	int n = reports(GOMEM_BAD_REDZONE);
	unsigned int i;
	size_t usable;
	u8 *p, *q;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		usable = gomem_size(p);
		KUNIT_ASSERT_GT(test, usable, sizes[i]);
		memset(p, 0x33, usable);
		q = gomem_realloc(p, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, q, p);
		/* Untouched past its size: no report. */
		gomem_free(q);
		KUNIT_EXPECT_EQ_MSG(test, reports(GOMEM_BAD_REDZONE), n,
				    "%zu bytes, clean", sizes[i]);

		p = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		usable = gomem_size(p);
		memset(p, 0x33, usable);
		q = gomem_realloc(p, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, q, p);
		gomem_test_set(q + usable - 1, 0x22, 1);
		gomem_free(q);
		KUNIT_EXPECT_EQ_MSG(test, reports(GOMEM_BAD_REDZONE), n + 1,
				    "%zu bytes, written at %zu after the realloc",
				    sizes[i], usable - 1);
		n = reports(GOMEM_BAD_REDZONE);

		p = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		gomem_test_set(p + sizes[i], 0x22, 1);
		q = gomem_realloc(p, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, q, p);
		gomem_free(q);
		KUNIT_EXPECT_EQ_MSG(test, reports(GOMEM_BAD_REDZONE), n + 1,
				    "%zu bytes, written at %zu before the realloc",
				    sizes[i], sizes[i]);
		n = reports(GOMEM_BAD_REDZONE);
	}
}

/* A report names the object's class and both of its callers. */
static noinline void *alloc_here(size_t size)
{
	void *p = gomem_alloc(size, GFP_KERNEL);

	/* Not a tail call: the call's return address must be in here. */
	OPTIMIZER_HIDE_VAR(p);
	return p;
}

static noinline void free_here(void *p)
{
	gomem_free(p);
	barrier();
}

static void reports_name_the_callers(struct kunit *test)
{
	char buf[160];
	void *keep, *p;

	/* A small object, freed while another keeps its span. */
	keep = gomem_alloc(48, GFP_KERNEL);
	p = alloc_here(48);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_ASSERT_NOT_NULL(test, p);
	free_here(p);
	gomem_debug_describe((unsigned long)p, buf, sizeof(buf));
	kunit_info(test, "%s\n", buf);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "(class "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "allocated by alloc_here+"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "freed by free_here+"));
	gomem_free(keep);

	/* A large object, whose span goes with its free: while it lives. */
	p = alloc_here(40 * SZ_1K);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_debug_describe((unsigned long)p, buf, sizeof(buf));
	kunit_info(test, "%s\n", buf);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "(large, 10 pages, 40960 bytes asked)"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "allocated by alloc_here+"));
	/* From inside it too, past its first page, the only one marked. */
	gomem_debug_describe((unsigned long)p + 5 * PAGE_SIZE, buf, sizeof(buf));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "(large, 10 pages, 40960 bytes asked)"));
	free_here(p);
}

/*
 * gomem_alloc_node() gives node's memory under debug=1 too, asked of
 * every node with memory from whichever CPU the case runs on, so that at
 * least one node is another than the CPU's; for sizes that are tiny,
 * small and large without debug.  These paths once served the caller's
 * node whatever the call asked for.
 */
static void objects_asked_of_a_node_sit_there(struct kunit *test)
{
	static const size_t sizes[] = { 3, 64, 4096, 40 * SZ_1K };
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int k, nodes = 0;
	void *p[16];
	int node;

	for_each_node_state(node, N_NORMAL_MEMORY)
		nodes++;
	if (nodes < 2)
		kunit_skip(test, "needs two nodes with memory");
	for_each_node_state(node, N_NORMAL_MEMORY) {
		for (k = 0; k < ARRAY_SIZE(sizes); k++)
			gomem_test_expect_node(test, p, ARRAY_SIZE(p), sizes[k], node);
	}
	gomem_test_expect_baseline(test, before);
}

/*
 * The redzones keep every object's alignment (gomem.h's, as kmalloc keeps
 * its own under slub_debug): a power-of-two size up to a page stays
 * naturally aligned, however far its redzone pushes the next object.
 */
static void redzones_keep_the_alignment(struct kunit *test)
{
	gomem_test_alignment(test);
}

static struct kunit_case debug_cases[] = {
	KUNIT_CASE(everything_is_checked),
	KUNIT_CASE(write_after_free),
	KUNIT_CASE(write_past_the_end),
	KUNIT_CASE(a_realloc_that_stays_restores_the_redzone),
	KUNIT_CASE(reports_name_the_callers),
	KUNIT_CASE(objects_asked_of_a_node_sit_there),
	KUNIT_CASE_SLOW(redzones_keep_the_alignment),
	{}
};

static struct kunit_suite debug_suite = {
	.name = "gomem_debug",
	.init = debug_init,
	.exit = gomem_test_exit,
	.test_cases = debug_cases,
};

kunit_test_suite(debug_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's debug mode");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
