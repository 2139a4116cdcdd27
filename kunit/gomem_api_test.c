// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for gomem.c, the API: sizes on both sides of every class
 * boundary and large objects, alignment, zeroing, realloc, the bulk
 * calls, refused inputs, an overlap check over thousands of live objects
 * of mixed sizes, the return of every page once all is freed, and the
 * tracepoints' probes turning the hooked paths on and off.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>
#include <linux/delay.h>

#include "gomem_test.h"
#include "trace.h"

/* What gomem_size() must say for a fresh object of s bytes. */
static size_t expect_usable(size_t s)
{
	if (s <= GOMEM_TINY_REQ_MAX)
		return s;
	if (s <= GOMEM_MAX_SMALL)
		return gomem_classes[gomem_size_class(s)].size;
	return PAGE_ALIGN(s);
}

static void zero_size_and_null(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	void *p, *ptrs[3];

	KUNIT_EXPECT_PTR_EQ(test, gomem_alloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, gomem_zalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	gomem_free(NULL);
	gomem_free(ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, gomem_size(NULL), 0UL);
	KUNIT_EXPECT_EQ(test, gomem_size(ZERO_SIZE_PTR), 0UL);
	KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(0, GFP_KERNEL, 3, ptrs), 3);
	KUNIT_EXPECT_PTR_EQ(test, ptrs[2], ZERO_SIZE_PTR);
	gomem_free_bulk(3, ptrs);

	p = gomem_realloc(NULL, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_GE(test, gomem_size(p), 100UL);
	KUNIT_EXPECT_PTR_EQ(test, gomem_realloc(p, 0, GFP_KERNEL),
			    ZERO_SIZE_PTR);

	gomem_test_expect_baseline(test, before);
	KUNIT_EXPECT_EQ(test, gomem_test_snap(test)->st.bad_frees,
			before->st.bad_frees);
}

/* Allocate each size, check and fill it, and free them all at the end. */
static void alloc_sizes(struct kunit *test, const size_t *sizes,
			unsigned int n)
{
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, p[i], "size %zu", sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, gomem_size(p[i]),
				    expect_usable(sizes[i]), "size %zu",
				    sizes[i]);
		gomem_test_fill(p[i], gomem_size(p[i]));
	}
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_check(p[i], gomem_size(p[i])),
				    gomem_size(p[i]), "size %zu", sizes[i]);
		gomem_free(p[i]);
	}
}

static void every_class_and_its_boundaries(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	size_t *sizes = kunit_kcalloc(test, 3 * GOMEM_NR_CLASSES, sizeof(size_t),
				      GFP_KERNEL);
	unsigned int cls, n = 0;
	size_t size;

	KUNIT_ASSERT_NOT_NULL(test, sizes);
	gomem_test_own_classes();
	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		size = gomem_classes[cls].size;
		sizes[n++] = gomem_classes[cls - 1].size + 1;
		sizes[n++] = size;
		sizes[n++] = size + 1;
	}
	alloc_sizes(test, sizes, n);
	gomem_test_expect_baseline(test, before);
}

static void large_objects(struct kunit *test)
{
	static const size_t sizes[] = {
		GOMEM_MAX_SMALL + 1, 40 * SZ_1K, 100 * SZ_1K,
		SZ_256K - 1, SZ_256K, SZ_256K + 1, SZ_1M, SZ_1M + 1,
		GOMEM_MAX_SIZE - PAGE_SIZE + 1, GOMEM_MAX_SIZE,
	};
	struct gomem_snap *before = gomem_test_snap(test);

	alloc_sizes(test, sizes, ARRAY_SIZE(sizes));
	gomem_test_expect_baseline(test, before);
}

/* The alignment every size has (gomem.h), for each size up to two pages. */
static void alignment(struct kunit *test)
{
	gomem_test_alignment(test);
}

static void zeroing(struct kunit *test)
{
	static const size_t sizes[] = {
		1, 7, 8, 15, 16, 24, 100, 1000, 4096, 5000, GOMEM_MAX_SMALL,
		40 * SZ_1K, SZ_1M,
	};
	unsigned int i, j, flavour;
	size_t s, usable;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (flavour = 0; flavour < 2; flavour++) {
			s = sizes[i];
			/* Dirty the memory the next allocation will reuse. */
			p = gomem_alloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p);
			memset(p, 0xa5, gomem_size(p));
			gomem_free(p);

			p = flavour ? gomem_alloc(s, GFP_KERNEL | __GFP_ZERO) :
				      gomem_zalloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p);
			usable = gomem_size(p);
			for (j = 0; j < usable && !p[j]; j++)
				;
			KUNIT_EXPECT_EQ_MSG(test, j, usable, "size %zu", s);
			gomem_free(p);
		}
	}
}

/*
 * init_on_alloc and init_on_free, whichever way the kernel was booted:
 * make check runs this suite with both off, then booted with both on.
 * On one CPU, once its class is warm, a freed small object is the next
 * one handed out (the mcache is LIFO), so what each step left in the old
 * bytes shows.  Freed memory is read while gomem still holds it: in an
 * mcache or in a current tiny block, and past KASAN's marks.  A freed
 * large object's span is kept and handed out again, cleared only if
 * init_on_alloc is on, unless init_on_free is on, which sends its pages
 * back to the page allocator to be zeroed there.
 */
static void init_on_alloc_and_free(struct kunit *test)
{
	static const size_t sizes[] = { 24, 100, 3000, GOMEM_MAX_SMALL, 40 * SZ_1K };
	bool on_alloc = want_init_on_alloc(GFP_KERNEL), on_free = want_init_on_free();
	unsigned int i;
	u8 after_free = on_free ? 0 : 0xa5;
	u8 after_alloc = on_alloc ? 0 : after_free;
	void *bulk[4];
	size_t usable, n;
	u8 *p, *q;

	kunit_info(test, "init_on_alloc %d, init_on_free %d\n", on_alloc, on_free);
	/* The pool holds only what this case frees. */
	gomem_test_no_reserve();
	gomem_test_keep_pages(test);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		gomem_test_warm(sizes[i]);
		p = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		usable = gomem_size(p);
		gomem_test_set(p, 0xa5, usable);
		gomem_free(p);
		if (sizes[i] <= GOMEM_MAX_SMALL)
			KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(p, after_free, usable),
					    usable, "freed, size %zu", sizes[i]);
		q = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		if (sizes[i] <= GOMEM_MAX_SMALL) {
			/* A small object stays gomem's, to be handed out again. */
			KUNIT_ASSERT_PTR_EQ_MSG(test, q, p, "size %zu", sizes[i]);
			KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(q, after_alloc, usable),
					    usable, "allocated again, size %zu", sizes[i]);
		} else if (!on_free) {
			/* A large one's span was kept, and is handed out again. */
			KUNIT_ASSERT_PTR_EQ_MSG(test, q, p, "size %zu", sizes[i]);
			KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(q, after_alloc, usable),
					    usable, "allocated again, size %zu", sizes[i]);
		} else if (on_alloc) {
			/*
			 * A large one's pages went back to the page allocator,
			 * which zeroed them; the new ones may be anyone's, and
			 * must come zeroed.
			 */
			KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(q, 0, usable), usable,
					    "allocated, size %zu", sizes[i]);
		}

		/*
		 * realloc in place keeps every byte up to the new size, as
		 * krealloc() does: the caller may have written all of
		 * gomem_size().  Past the new size, init_on_alloc zeroes
		 * the spare bytes, as 6.12's krealloc() does.
		 */
		gomem_test_set(q, 0xa5, usable);
		KUNIT_ASSERT_PTR_EQ(test, gomem_realloc(q, usable, GFP_KERNEL), q);
		n = usable - sizes[i];
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(q + sizes[i], 0xa5, n),
				    n, "grown in place, size %zu", sizes[i]);
		KUNIT_ASSERT_PTR_EQ(test, gomem_realloc(q, usable - 3, GFP_KERNEL), q);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(q, 0xa5, usable - 3),
				    usable - 3, "shrunk in place, size %zu", sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(q + usable - 3,
							       on_alloc ? 0 : 0xa5, 3),
				    3UL, "past the size shrunk in place, size %zu", sizes[i]);
		gomem_free(q);
		gomem_drain();
	}

	/* Tiny: the rest of the current block, dirtied, then handed out. */
	p = gomem_alloc(1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, (unsigned long)p % 16, 0UL);
	gomem_test_set(p, 0xa5, 16);
	q = gomem_alloc(3, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, q, p + 1);
	KUNIT_EXPECT_EQ(test, gomem_test_first_not(q, on_alloc ? 0 : 0xa5, 3), 3UL);
	gomem_test_set(q, 0xa5, 3);
	gomem_free(q);
	KUNIT_EXPECT_EQ(test, gomem_test_first_not(q, after_free, 3), 3UL);
	gomem_free(p);
	/* Two more, freed in bulk, in one run: cleared as by gomem_free(). */
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(3, GFP_KERNEL, 2, bulk), 2);
	KUNIT_ASSERT_PTR_EQ(test, bulk[1], bulk[0] + 3);
	gomem_test_set(bulk[0], 0xa5, 6);
	gomem_free_bulk(2, bulk);
	KUNIT_EXPECT_EQ(test, gomem_test_first_not(bulk[0], after_free, 6), 6UL);

	/*
	 * A bulk free clears what gomem_free() clears, its runs of objects
	 * of one page too (the class warm, so that its stack takes them).
	 */
	gomem_test_warm(100);
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(100, GFP_KERNEL, ARRAY_SIZE(bulk), bulk),
			(int)ARRAY_SIZE(bulk));
	usable = gomem_size(bulk[0]);
	for (i = 0; i < ARRAY_SIZE(bulk); i++)
		gomem_test_set(bulk[i], 0xa5, usable);
	gomem_free_bulk(ARRAY_SIZE(bulk), bulk);
	for (i = 0; i < ARRAY_SIZE(bulk); i++)
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(bulk[i], after_free, usable),
				    usable, "bulk free, object %u", i);
}

static void expect_requested(struct kunit *test, const struct gomem_snap *base,
			     unsigned int cls, s64 bytes)
{
	struct gomem_snap *now = gomem_test_snap(test);

	if (cls == GOMEM_TINY_CLASS)
		KUNIT_EXPECT_EQ(test, now->st.tiny.bytes - base->st.tiny.bytes,
				bytes);
	else
		KUNIT_EXPECT_EQ(test, now->st.cls[cls].bytes -
				base->st.cls[cls].bytes, bytes);
}

static void realloc_moves_and_stays(struct kunit *test)
{
	/* Sizes to walk through, each realloc'ed from the one before. */
	static const size_t walk[] = {
		5, 3, 3, 12, 16, 17, 24, 23, 100, 1000, 990, 5000, 40 * SZ_1K,
		40 * SZ_1K + 1, SZ_1M, 24, 1,
	};
	struct gomem_snap *before = gomem_test_snap(test);
	size_t old = walk[0], s, keep;
	unsigned int i, cls;
	void *p, *q;

	gomem_test_own_classes();
	p = gomem_alloc(old, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_test_fill(p, old);
	for (i = 1; i < ARRAY_SIZE(walk); i++) {
		s = walk[i];
		keep = min(old, s);
		q = gomem_realloc(p, s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		/* Same usable size: same place. */
		if (expect_usable(s) == expect_usable(old))
			KUNIT_EXPECT_PTR_EQ_MSG(test, q, p, "%zu -> %zu", old, s);
		else
			KUNIT_EXPECT_PTR_NE_MSG(test, q, p, "%zu -> %zu", old, s);
		KUNIT_EXPECT_EQ_MSG(test, gomem_size(q), expect_usable(s),
				    "%zu -> %zu", old, s);
		/* The first min(old, new) bytes came along, wherever q is. */
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_moved(q, p, keep), keep,
				    "%zu -> %zu", old, s);
		p = q;
		old = s;
		gomem_test_fill(p, s);
		cls = s <= GOMEM_TINY_REQ_MAX ? GOMEM_TINY_CLASS :
		      s <= GOMEM_MAX_SMALL ? gomem_size_class(s) :
		      GOMEM_LARGE_CLASS;
		expect_requested(test, before, cls, s);
	}
	gomem_free(p);
	gomem_test_expect_baseline(test, before);
}

/*
 * A realloc that moves to a smaller object copies only what fits.  On one
 * CPU where the class is warm, a batch of it holds neighbours: an object
 * with one on either side is found among them, and once freed it is the
 * next one handed out (the mcache is LIFO), so the moved object lands
 * there, and both its neighbours must keep their patterns.
 */
static void realloc_copies_only_what_fits(struct kunit *test)
{
	static const size_t from[] = { 100, 5000, 40 * SZ_1K, SZ_1M };
	struct gomem_snap *before = gomem_test_snap(test);
	const unsigned int n = 16;
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	void *above, *mid, *below, *big, *q;
	const size_t to = 24;
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	gomem_test_own_classes();
	gomem_test_warm(to);
	for (i = 0; i < ARRAY_SIZE(from); i++) {
		KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(to, GFP_KERNEL, n, objs), (int)n);
		for (j = 0, mid = NULL; j < n && !mid; j++) {
			if (gomem_test_among(objs, n, objs[j] + to) &&
			    gomem_test_among(objs, n, objs[j] - to))
				mid = objs[j];
		}
		KUNIT_ASSERT_NOT_NULL_MSG(test, mid, "no object with two neighbours among %u", n);
		above = mid + to;
		below = mid - to;
		big = gomem_alloc(from[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, big);
		gomem_test_fill(above, to);
		gomem_test_fill(below, to);
		gomem_test_fill(big, from[i]);
		gomem_free(mid);
		q = gomem_realloc(big, to, GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, q, mid);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_moved(q, big, to), to,
				    "%zu -> %zu", from[i], to);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_check(above, to), to,
				    "%zu -> %zu", from[i], to);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_check(below, to), to,
				    "%zu -> %zu", from[i], to);
		/* q took mid's place: every object of the batch is freed once. */
		gomem_free_bulk(n, objs);
	}
	gomem_test_expect_baseline(test, before);
}

/*
 * gomem_size() lets the caller write every usable byte, so realloc
 * keeps them all: up to min(usable size, new size) when it moves, and
 * every one when it stays, whatever init_on_alloc says.
 */
static void realloc_keeps_every_usable_byte(struct kunit *test)
{
	static const size_t sizes[] = { GOMEM_TINY_REQ_MAX, 20, 100, 1000, 5000,
					40 * SZ_1K + 1 };
	struct gomem_snap *before = gomem_test_snap(test);
	size_t usable, to;
	unsigned int i, j;
	void *p, *q;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < 3; j++) {
			p = gomem_alloc(sizes[i], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p);
			usable = gomem_size(p);
			gomem_test_fill(p, usable);
			/* Grow to another class, shrink to one, grow in place. */
			to = j == 0 ? 3 * usable : j == 1 ? usable / 2 + 1 : usable;
			q = gomem_realloc(p, to, GFP_KERNEL | (j == 2 ? __GFP_ZERO : 0));
			KUNIT_ASSERT_NOT_NULL(test, q);
			if (j == 2)
				KUNIT_EXPECT_PTR_EQ(test, q, p);
			KUNIT_EXPECT_EQ_MSG(test, gomem_test_moved(q, p, min(usable, to)),
					    min(usable, to), "%zu (usable %zu) -> %zu",
					    sizes[i], usable, to);
			gomem_free(q);
		}
	}
	gomem_test_expect_baseline(test, before);
}

/*
 * A realloc that stays marks the object for KASAN at its new size, the
 * same size or not, as krealloc() does: the bytes past it that an
 * earlier gomem_size() gave the caller are out of bounds again.  Sizes
 * that end on a KASAN granule, short of a small class's size or of a
 * large object's pages.  The small ones' classes are kmalloc buckets,
 * which borrow from none: a borrowed object has its bucket's usable size,
 * and a realloc to its own size moves it.
 */
static void a_realloc_that_stays_marks_its_new_size(struct kunit *test)
{
	static const size_t sizes[] = { 248, 1000, 4000, 40 * SZ_1K + 8 };
	unsigned int i;
	size_t usable;
	u8 *p;

	if (!GOMEM_KASAN_MARKS)
		kunit_skip(test, "needs KASAN");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_NE_MSG(test, gomem_kasan_mark(p + sizes[i]), 0,
				    "%zu bytes, allocated", sizes[i]);
		usable = gomem_size(p);
		KUNIT_ASSERT_GT(test, usable, sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, gomem_kasan_mark(p + sizes[i]), 0,
				    "%zu bytes, after gomem_size()", sizes[i]);
		KUNIT_ASSERT_PTR_EQ_MSG(test, gomem_realloc(p, sizes[i], GFP_KERNEL), p,
					"%zu bytes (usable %zu) realloc'ed", sizes[i], usable);
		KUNIT_EXPECT_EQ_MSG(test, gomem_kasan_mark(p + sizes[i] - 1), 0,
				    "%zu bytes, realloc'ed", sizes[i]);
		KUNIT_EXPECT_NE_MSG(test, gomem_kasan_mark(p + sizes[i]), 0,
				    "%zu bytes, realloc'ed", sizes[i]);
		gomem_free(p);
	}
}

/*
 * krealloc()'s promise for __GFP_ZERO, from 6.12: if every call for an
 * object asks for it, the bytes past the size asked for read as zero
 * whenever a later realloc grows in place over them.  So a realloc
 * that stays zeroes its bytes past the new size when __GFP_ZERO or
 * init_on_alloc asks, and keeps them otherwise; the bytes up to the
 * new size it always keeps.  Each size is shrunk in place by 3 bytes,
 * the whole of gomem_size() dirtied first, then grown back.
 */
static void realloc_in_place_zeroes_the_spare(struct kunit *test)
{
	static const size_t sizes[] = { 20, 100, 1000, 4096, 5000, 40 * SZ_1K + 1 };
	bool on_alloc = want_init_on_alloc(GFP_KERNEL);
	struct gomem_snap *before = gomem_test_snap(test);
	size_t usable, to;
	unsigned int i, j;
	gfp_t gfp;
	u8 *p, *q;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < 2; j++) {
			gfp = GFP_KERNEL | (j ? __GFP_ZERO : 0);
			p = gomem_alloc(sizes[i], gfp);
			KUNIT_ASSERT_NOT_NULL(test, p);
			usable = gomem_size(p);
			gomem_test_fill(p, usable);
			to = usable - 3;
			q = gomem_realloc(p, to, gfp);
			KUNIT_ASSERT_PTR_EQ_MSG(test, q, p, "%zu shrunk to %zu", sizes[i], to);
			q = gomem_realloc(q, usable, gfp);
			KUNIT_ASSERT_PTR_EQ_MSG(test, q, p, "%zu grown to %zu", sizes[i], usable);
			KUNIT_EXPECT_EQ_MSG(test, gomem_test_check(q, to), to,
					    "size %zu, gfp %pGg", sizes[i], &gfp);
			if (j || on_alloc)
				KUNIT_EXPECT_EQ_MSG(test, gomem_test_first_not(q + to, 0, 3), 3UL,
						    "size %zu, gfp %pGg", sizes[i], &gfp);
			else
				KUNIT_EXPECT_EQ_MSG(test, gomem_test_check(q, usable), usable,
						    "size %zu, gfp %pGg", sizes[i], &gfp);
			gomem_free(q);
		}
	}
	gomem_test_expect_baseline(test, before);
}

/*
 * With init_on_free, a large free's pages are zeroed by the page
 * allocator as gomem hands them back, which for the largest objects takes
 * long: gomem must hand them back with interrupts as the caller had them,
 * on here.  A probe on the page allocator's mm_page_free event, which
 * fires in the section that zeroes the pages, sees the state interrupts
 * are in when this task gives the block back.  (A timer that looked for
 * pages half zeroed, here before, missed them when the host was busy.)
 */
struct page_free_probe {
	struct tracepoint *tp;
	struct task_struct *task;
	struct page *page;	/* the block to watch for */
	unsigned int seen, irqs_off;
};

static void find_page_free(struct tracepoint *tp, void *data)
{
	struct page_free_probe *x = data;

	if (!strcmp(tp->name, "mm_page_free"))
		x->tp = tp;
}

static void on_page_free(void *data, struct page *page, unsigned int order)
{
	struct page_free_probe *x = data;

	if (current == x->task && page == READ_ONCE(x->page)) {
		x->seen++;
		x->irqs_off += irqs_disabled();
	}
}

static void large_free_zeroes_with_irqs_on(struct kunit *test)
{
	struct page_free_probe *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	void *p;

	if (!want_init_on_free())
		kunit_skip(test, "needs init_on_free=1");
	KUNIT_ASSERT_NOT_NULL(test, x);
	x->task = current;
	for_each_kernel_tracepoint(find_page_free, x);
	KUNIT_ASSERT_NOT_NULL(test, x->tp);
	KUNIT_ASSERT_EQ(test, tracepoint_probe_register(x->tp, on_page_free, x), 0);
	p = gomem_alloc(GOMEM_MAX_SIZE, GFP_KERNEL);
	if (p) {
		WRITE_ONCE(x->page, virt_to_page(p));
		KUNIT_EXPECT_FALSE(test, irqs_disabled());
		gomem_free(p);
	}
	tracepoint_probe_unregister(x->tp, on_page_free, x);
	tracepoint_synchronize_unregister();
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, x->seen, 1U);
	KUNIT_EXPECT_EQ(test, x->irqs_off, 0U);
}

static void bulk(struct kunit *test)
{
	static const size_t sizes[] = { 3, 64, 700, 5000, 50 * SZ_1K };
	struct gomem_snap *before = gomem_test_snap(test);
	const unsigned int per = 100, n = per * ARRAY_SIZE(sizes);
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(sizes[i], GFP_KERNEL, per,
						       p + i * per), (int)per);
		for (j = i * per; j < (i + 1) * per; j++) {
			KUNIT_ASSERT_NOT_NULL(test, p[j]);
			KUNIT_EXPECT_EQ(test, gomem_size(p[j]),
					expect_usable(sizes[i]));
			gomem_test_fill(p[j], gomem_size(p[j]));
		}
	}
	for (j = 0; j < n; j++)
		KUNIT_EXPECT_EQ(test, gomem_test_check(p[j], gomem_size(p[j])),
				gomem_size(p[j]));
	/* One call frees all five sizes. */
	gomem_free_bulk(n, p);
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk allocation that fails part-way leaves nothing behind.  With no
 * free pages held, each large object is one request to the page
 * allocator, and fail_gomem lets exactly three through.
 */
static void bulk_is_all_or_none(struct kunit *test)
{
	struct gomem_snap *before, *after;
	void *p[8];

	gomem_test_no_reserve();
	before = gomem_test_snap(test);
	gomem_test_fail_after(3, 1);
	KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(SZ_1M, GFP_KERNEL, ARRAY_SIZE(p),
					       p), 0);
	KUNIT_EXPECT_EQ(test, gomem_test_fail_left(true), 0);
	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->st.alloc_failures,
			before->st.alloc_failures + 1);
	KUNIT_EXPECT_EQ(test, after->st.cls[GOMEM_LARGE_CLASS].allocs,
			before->st.cls[GOMEM_LARGE_CLASS].allocs + 3);
	gomem_test_expect_baseline(test, before);
}

/*
 * The same for small objects, which come off the stack many at a time:
 * objects of PAGE_SIZE, one to a span, so that each span a refill takes
 * is a request to the page allocator.  After three, every request fails:
 * the objects taken so far go back, and once the caches are drained
 * gomem holds what it held before.
 */
static void bulk_of_small_objects_is_all_or_none(struct kunit *test)
{
	struct gomem_snap *before, *after;
	void *p[64];

	gomem_test_no_reserve();
	before = gomem_test_snap(test);
	gomem_test_fail_after(3, INT_MAX);
	KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(PAGE_SIZE, GFP_KERNEL,
					       ARRAY_SIZE(p), p), 0);
	gomem_test_fail_left(true);
	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->st.alloc_failures,
			before->st.alloc_failures + 1);
	/* Objects were taken before the failure, and given back. */
	KUNIT_EXPECT_GE(test, after->st.cls[gomem_size_class(PAGE_SIZE)].allocs,
			before->st.cls[gomem_size_class(PAGE_SIZE)].allocs + 3);
	gomem_test_no_reserve();
	gomem_test_expect_baseline(test, before);
}

/*
 * Thousands of live objects of mixed sizes, each filled over its whole
 * gomem_size() with a pattern that depends on the address, and checked
 * before it is freed: any overlap, tiny objects included, breaks one.
 */
static void no_overlap_under_churn(struct kunit *test)
{
	const unsigned int n = 6000, rounds = 4;
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	struct gomem_snap *before = gomem_test_snap(test);
	struct rnd_state rnd;
	unsigned int i, r, bad = 0;
	size_t s;

	KUNIT_ASSERT_NOT_NULL(test, p);
	prandom_seed_state(&rnd, 42);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			if (p[i] && prandom_u32_state(&rnd) % 2)
				continue;
			if (p[i]) {
				bad += gomem_test_check(p[i], gomem_size(p[i])) !=
				       gomem_size(p[i]);
				gomem_free(p[i]);
			}
			switch (prandom_u32_state(&rnd) % 8) {
			case 0: case 1: case 2:
				s = 1 + prandom_u32_state(&rnd) % 15;
				break;
			case 7:
				s = 1 + prandom_u32_state(&rnd) % (3 * GOMEM_MAX_SMALL);
				break;
			default:
				s = 16 + prandom_u32_state(&rnd) % 2048;
			}
			p[i] = gomem_alloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i]);
			gomem_test_fill(p[i], gomem_size(p[i]));
		}
	}
	for (i = 0; i < n; i++) {
		bad += gomem_test_check(p[i], gomem_size(p[i])) != gomem_size(p[i]);
		gomem_free(p[i]);
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	gomem_test_expect_baseline(test, before);
}

static const size_t numa_sizes[] = { 3, 8, 24, 512, 4096, 40 * SZ_1K };
#define NUMA_N	128

/* NUMA_N objects of size into p, allocated here: how many sit on node. */
static unsigned int alloc_on(struct kunit *test, void **p, size_t size, int node)
{
	unsigned int i;

	for (i = 0; i < NUMA_N; i++) {
		p[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	return gomem_test_on_node(p, NUMA_N, node);
}

/*
 * On two nodes: what a CPU allocates sits on its own node, at least 99%
 * of it, for tiny, small and large sizes, even after another node's CPU
 * freed its objects (they go home, not into that CPU's cache); what
 * gomem_alloc_node() asks of a node sits there; a node that cannot exist
 * is refused.
 */
static void objects_are_node_local(struct kunit *test)
{
	void **p = kunit_kcalloc(test, NUMA_N, sizeof(void *), GFP_KERNEL);
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int cpu, other, i, k, round;
	int node, far;
	size_t sz;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for_each_online_cpu(cpu) {
		node = gomem_test_home(cpu);
		for_each_online_cpu(other)
			if (gomem_test_home(other) != node)
				break;
		if (other >= nr_cpu_ids)
			kunit_skip(test, "needs CPUs on two nodes with memory");
		far = gomem_test_home(other);
		for (k = 0; k < ARRAY_SIZE(numa_sizes); k++) {
			sz = numa_sizes[k];
			for (round = 0; round < 2; round++) {
				gomem_test_pin(test, cpu);
				KUNIT_EXPECT_GE_MSG(test, 100 * alloc_on(test, p, sz, node),
						    99U * NUMA_N, "size %zu, CPU %u, round %u",
						    sz, cpu, round);
				/*
				 * Freed on the far node's CPU, they must
				 * go home, not to that CPU's cache, which
				 * serves its node.
				 */
				gomem_test_pin(test, other);
				for (i = 0; i < NUMA_N; i++)
					gomem_free(p[i]);
				KUNIT_EXPECT_GE_MSG(test, 100 * alloc_on(test, p, sz, far),
						    99U * NUMA_N, "size %zu, CPU %u, round %u",
						    sz, other, round);
				for (i = 0; i < NUMA_N; i++)
					gomem_free(p[i]);
			}
			gomem_test_pin(test, cpu);
			gomem_test_expect_node(test, p, NUMA_N, sz, far);
		}
	}
	gomem_test_unpin();
	gomem_test_expect_reports(test);
	KUNIT_EXPECT_NULL(test, gomem_alloc_node(64, GFP_KERNEL, nr_node_ids));
	KUNIT_EXPECT_NULL(test, gomem_alloc_node(64, GFP_KERNEL, -2));
	KUNIT_EXPECT_EQ(test, atomic_read(&gomem_reports[GOMEM_BAD_NODE]), 2);
	gomem_drain();
	gomem_test_expect_baseline(test, before);
}

#define NUMA_MEMLESS_ROUNDS	4

/* Spans class cls grew by since its count of them was grown. */
static unsigned long grown_since(unsigned int cls, unsigned long grown)
{
	return READ_ONCE(gomem_mcentral[cls].nr_grown) - grown;
}

/*
 * A node with CPUs but no memory, which x86 names as its CPUs' own
 * (numa_mem_id()): what they allocate, and what gomem_alloc_node() asks
 * of that node, sits on the nearest node with memory, and comes from
 * spans that are used again.  It did not: every refill on such a CPU,
 * and every request for the node, grew a span of its own (the spans
 * were listed on the node their pages came from, where nobody asking
 * for the memoryless node looked): 512 spans for the 4 rounds asked of
 * the node, and 21 for the 4 on its CPU.  A node whose memory is all
 * ZONE_MOVABLE is memoryless to gomem too (make check runs this case
 * after vm-run --hotplug-movable gave node 1 such memory), and it was
 * not: node 1 had memory (N_MEMORY), so the same 512 spans were grown.
 */
static void memoryless_nodes_get_the_nearest_memory(struct kunit *test)
{
	void **p = kunit_kcalloc(test, NUMA_N, sizeof(void *), GFP_KERNEL);
	unsigned int cls = gomem_size_class(64), i, round, cpu;
	int none, near, n;
	unsigned long grown;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for_each_online_node(none)
		if (!node_state(none, N_NORMAL_MEMORY))
			break;
	if (none >= MAX_NUMNODES)
		kunit_skip(test, "needs a node without normal memory");
	near = mheap_memory_node(none);
	KUNIT_ASSERT_TRUE(test, node_state(near, N_NORMAL_MEMORY));
	for_each_node_state(n, N_NORMAL_MEMORY)
		KUNIT_EXPECT_GE_MSG(test, node_distance(none, n), node_distance(none, near),
				    "node %d, nearer than %d to %d", n, near, none);

	grown = READ_ONCE(gomem_mcentral[cls].nr_grown);
	for (round = 0; round < NUMA_MEMLESS_ROUNDS; round++)
		gomem_test_expect_node(test, p, NUMA_N, 64, none);
	kunit_info(test, "node %d: %lu spans grown for what was asked of it\n",
		   none, grown_since(cls, grown));
	KUNIT_EXPECT_LE_MSG(test, grown_since(cls, grown), 4UL,
			    "asked of node %d", none);

	for_each_online_cpu(cpu) {
		if (cpu_to_node(cpu) != none)
			continue;
		gomem_test_pin(test, cpu);
		grown = READ_ONCE(gomem_mcentral[cls].nr_grown);
		for (round = 0; round < NUMA_MEMLESS_ROUNDS; round++) {
			KUNIT_EXPECT_EQ_MSG(test, alloc_on(test, p, 64, near), NUMA_N,
					    "CPU %u of node %d", cpu, none);
			for (i = 0; i < NUMA_N; i++)
				gomem_free(p[i]);
		}
		kunit_info(test, "CPU %u of node %d: %lu spans grown\n", cpu, none,
			   grown_since(cls, grown));
		KUNIT_EXPECT_LE_MSG(test, grown_since(cls, grown), 4UL,
				    "CPU %u of node %d", cpu, none);
	}
	gomem_test_unpin();
	gomem_drain();
}

#define NUMA_FULL_ROUNDS	16

/*
 * The node the page allocator has no pages of, the one it gives, and how
 * many blocks it gave for the full node.
 */
static int full_node, spill_node;
static unsigned int full_blocks;

/*
 * mheap_buddy_alloc() as the page allocator's fallback makes it: none of
 * the full node's pages, and another node's unless the request is held
 * to the node (__GFP_THISNODE).
 */
static struct page *buddy_of_a_full_node(int node, gfp_t gfp, unsigned int order)
{
	if (node == full_node && (gfp & __GFP_THISNODE))
		return NULL;
	full_blocks += node == full_node;
	return alloc_pages_node(node == full_node ? spill_node : node,
				gfp | __GFP_THISNODE, order);
}

/*
 * A node the page allocator has no pages of (below its low watermark, it
 * gives another node's), with another that has: what its CPU allocates
 * comes from the other node's spans, and from spans used again.  It did
 * not: every refill grew a span, which landed on the other node, where
 * the next refill for the full node never looked.  Observed with a hog
 * that took node's pages down to its min watermark, instead of the stub:
 * 74 and 103 spans, a page each, in the 16 rounds of 128 objects of 64 B
 * below, where 3 to 11 did after the fix (see the bound below); with the
 * stub, which no reclaim can undo midway as it did the hog's now and
 * then, 69 before and 3 after.
 */
static void a_full_node_spills_into_spans_it_grew(struct kunit *test)
{
	void **p = kunit_kcalloc(test, NUMA_N, sizeof(void *), GFP_KERNEL);
	unsigned int cls = gomem_size_class(64), i, round, away = 0;
	unsigned long grown, start, took;

	KUNIT_ASSERT_NOT_NULL(test, p);
	if (!gomem_static_stubs())
		kunit_skip(test, "needs KUnit's static stubs (6.3)");
	full_node = gomem_test_home(raw_smp_processor_id());
	spill_node = gomem_test_other_node(test, full_node);
	gomem_test_pin(test, raw_smp_processor_id());
	/* No free page of gomem's left on the full node either. */
	gomem_test_no_reserve();
	kunit_activate_static_stub(test, mheap_buddy_alloc, buddy_of_a_full_node);
	grown = READ_ONCE(gomem_mcentral[cls].nr_grown);
	start = jiffies;
	for (round = 0; round < NUMA_FULL_ROUNDS; round++) {
		for (i = 0; i < NUMA_N; i++) {
			p[i] = gomem_alloc(64, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i]);
			gomem_test_fill(p[i], 64);
			away += page_to_nid(virt_to_page(p[i])) == spill_node;
		}
		for (i = 0; i < NUMA_N; i++) {
			KUNIT_EXPECT_EQ(test, gomem_test_check(p[i], 64), 64UL);
			gomem_free(p[i]);
		}
	}
	grown = grown_since(cls, grown);
	took = jiffies - start;
	kunit_deactivate_static_stub(test, mheap_buddy_alloc);
	gomem_test_unpin();
	gomem_drain();
	kunit_info(test, "node %d full: %u of %u objects on node %d, %lu spans grown in %u ms\n",
		   full_node, away, NUMA_FULL_ROUNDS * NUMA_N, spill_node, grown,
		   jiffies_to_msecs(took));
	KUNIT_EXPECT_EQ(test, away, NUMA_FULL_ROUNDS * NUMA_N);
	/*
	 * 2 spans hold a round's objects.  The frees send them home (they are
	 * another node's), so the spans empty, and the scavenger may take
	 * them meanwhile: a round after it grows them again; and a refill
	 * after the spill's hold grows one, to see if node has pages again.
	 */
	KUNIT_EXPECT_LE(test, grown, 4 + 2 * (took / GOMEM_SCAVENGE_DELAY) +
				     took / GOMEM_SPILL_HOLD);
}

#define NUMA_LARGE_ROUNDS	64

/*
 * The same full node, with one large object at a time: each takes the
 * span the last one freed, kept on the other node, whose pages it had.
 * It did not: each looked only on the full node's stack, so took a new
 * block of the page allocator, 64 of the 64 rounds, until the kept spans
 * filled the surplus.
 */
static void a_full_node_reuses_the_large_spans_it_freed(struct kunit *test)
{
	unsigned int round, away = 0, blocks;
	unsigned long start, took;
	void *p;

	if (!gomem_static_stubs())
		kunit_skip(test, "needs KUnit's static stubs (6.3)");
	if (gomem_debug() || want_init_on_free())
		kunit_skip(test, "large spans are not kept under debug=1 or init_on_free");
	full_node = gomem_test_home(raw_smp_processor_id());
	spill_node = gomem_test_other_node(test, full_node);
	gomem_test_pin(test, raw_smp_processor_id());
	gomem_test_no_reserve();
	full_blocks = 0;
	kunit_activate_static_stub(test, mheap_buddy_alloc, buddy_of_a_full_node);
	start = jiffies;
	for (round = 0; round < NUMA_LARGE_ROUNDS; round++) {
		p = gomem_alloc(SZ_64K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		away += page_to_nid(virt_to_page(p)) == spill_node;
		gomem_test_fill(p, SZ_64K);
		KUNIT_EXPECT_EQ(test, gomem_test_check(p, SZ_64K), (unsigned long)SZ_64K);
		gomem_free(p);
	}
	took = jiffies - start;
	blocks = full_blocks;
	kunit_deactivate_static_stub(test, mheap_buddy_alloc);
	gomem_test_unpin();
	gomem_drain();
	kunit_info(test, "node %d full: %u of %u large objects on node %d, %u blocks in %u ms\n",
		   full_node, away, NUMA_LARGE_ROUNDS, spill_node, blocks,
		   jiffies_to_msecs(took));
	KUNIT_EXPECT_EQ(test, away, NUMA_LARGE_ROUNDS);
	/*
	 * The first round's block; one after each scavenger period, which
	 * may take the kept span back; one after each spill hold, to see if
	 * node has pages again.
	 */
	KUNIT_EXPECT_LE(test, blocks, 1 + took / GOMEM_SCAVENGE_DELAY +
				      took / GOMEM_SPILL_HOLD);
}

/* How many of the n objects at p are not on node; each freed. */
static unsigned int free_off_node(void **p, unsigned int n, int node)
{
	unsigned int i, off = 0;

	for (i = 0; i < n; i++) {
		off += page_to_nid(virt_to_page(p[i])) != node;
		gomem_free(p[i]);
	}
	return off;
}

#define HELD_TRIES	8

/*
 * The same full node: a request held to it (__GFP_THISNODE, as
 * kmalloc_node() takes it) gets the node's memory or nothing, although
 * the CPU's stacks and the kept large spans hold the other node's, and
 * one held to the other node gets that node's.  It did not: the fast
 * paths served it from the stacks, and large ones took the kept spans.
 */
static void a_request_held_to_a_full_node_gets_its_memory_or_none(struct kunit *test)
{
	static const size_t sizes[] = { 3, 13, 64, 1024, SZ_64K };
	const gfp_t held = GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN;
	void **kept = kunit_kcalloc(test, NUMA_N, sizeof(void *), GFP_KERNEL);
	unsigned int cpu = raw_smp_processor_id(), i, k, n, off = 0, got = 0;
	void *p[HELD_TRIES];
	size_t size;

	KUNIT_ASSERT_NOT_NULL(test, kept);
	if (!gomem_static_stubs())
		kunit_skip(test, "needs KUnit's static stubs (6.3)");
	full_node = gomem_test_home(cpu);
	spill_node = gomem_test_other_node(test, full_node);
	gomem_test_pin(test, cpu);
	gomem_test_no_reserve();
	kunit_activate_static_stub(test, mheap_buddy_alloc, buddy_of_a_full_node);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		size = sizes[k];
		/*
		 * The other node's objects where the fast paths look: in the
		 * CPU's tiny block, left in its stack by a refill, or kept.
		 */
		n = 0;
		do {
			kept[n] = gomem_alloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, kept[n]);
		} while (++n < NUMA_N && size > GOMEM_TINY_REQ_MAX &&
			 size <= GOMEM_MAX_SMALL &&
			 !gomem_mcache_of(cpu)->slot[gomem_size_class(size)].n);
		if (size > GOMEM_MAX_SMALL)
			gomem_free(kept[--n]);
		for (i = 0; i < HELD_TRIES; i++) {
			p[i] = gomem_alloc(size, held);
			if (!p[i])
				break;
		}
		got += i;
		off += free_off_node(p, i, full_node);
		if (gomem_alloc_bulk(size, held, HELD_TRIES, p)) {
			got += HELD_TRIES;
			off += free_off_node(p, HELD_TRIES, full_node);
		}
		while (n)
			gomem_free(kept[--n]);
		for (i = 0; i < HELD_TRIES; i++) {
			p[i] = gomem_alloc_node(size, held, spill_node);
			KUNIT_ASSERT_NOT_NULL_MSG(test, p[i], "%zu bytes held to node %d",
						  size, spill_node);
		}
		KUNIT_EXPECT_EQ_MSG(test, free_off_node(p, HELD_TRIES, spill_node), 0U,
				    "%zu bytes held to node %d", size, spill_node);
	}
	kunit_deactivate_static_stub(test, mheap_buddy_alloc);
	gomem_test_unpin();
	gomem_drain();
	kunit_info(test, "node %d full: %u objects held to it served, %u of them another node's\n",
		   full_node, got, off);
	KUNIT_EXPECT_EQ(test, off, 0U);
}

/*
 * With no reserve, freeing everything gives every page back: the
 * scavenger returns the pool's pages within a second on its own.
 */
static void every_page_comes_back(struct kunit *test)
{
	unsigned int i, n = 300;
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	struct gomem_snap *before, *after;
	unsigned long released;

	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_test_no_reserve();
	before = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, before->pages_free, 0UL);
	released = gomem_mheap.pages_released;
	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(1 + i * 997 % (2 * GOMEM_MAX_SMALL), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_EXPECT_GT(test, gomem_test_snap(test)->pages_total,
			before->pages_total);
	gomem_free_bulk(n, p);
	gomem_drain();
	for (i = 0; i < 20 && READ_ONCE(gomem_mheap.pages_free); i++)
		msleep(100);
	kunit_info(test, "the scavenger took %u00 ms\n", i);
	KUNIT_EXPECT_LT(test, i, 20U);
	gomem_test_expect_baseline(test, before);
	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->pages_total, before->pages_total);
	KUNIT_EXPECT_EQ(test, after->pages_free, 0UL);
	KUNIT_EXPECT_GT(test, gomem_mheap.pages_released, released);
}

/* What the probes below saw of this task's calls. */
struct trace_seen {
	struct task_struct *task;
	unsigned int allocs, frees;
	const void *ptr, *freed;
	size_t req, usable;
	unsigned long site, free_site;
};

static void seen_alloc(void *data, unsigned long call_site, const void *ptr,
		       size_t bytes_req, size_t bytes_alloc, gfp_t gfp_flags,
		       int node)
{
	struct trace_seen *t = data;

	if (current != t->task)
		return;
	t->allocs++;
	t->ptr = ptr;
	t->req = bytes_req;
	t->usable = bytes_alloc;
	t->site = call_site;
}

static void seen_free(void *data, unsigned long call_site, const void *ptr)
{
	struct trace_seen *t = data;

	if (current != t->task)
		return;
	t->frees++;
	t->freed = ptr;
	t->free_site = call_site;
}

/*
 * A probe on either event counts gomem_hooked() up, so that the fast
 * paths take the hooked ones that emit it, and its removal counts it
 * back down, so that they stop.  debug=1 may hold the key up as well.
 */
static void tracepoint_probes_turn_the_hooks_on_and_off(struct kunit *test)
{
	int base = static_key_count(&gomem_hook_key.key);
	struct trace_seen t = { .task = current };
	char site[80], want[80];
	void *p;

	gomem_test_own_classes();
	KUNIT_ASSERT_EQ(test, register_trace_gomem_alloc(seen_alloc, &t), 0);
	KUNIT_ASSERT_EQ(test, register_trace_gomem_free(seen_free, &t), 0);
	KUNIT_EXPECT_EQ(test, static_key_count(&gomem_hook_key.key), base + 2);
	KUNIT_EXPECT_TRUE(test, gomem_hooked());
	p = gomem_alloc(40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	unregister_trace_gomem_alloc(seen_alloc, &t);
	unregister_trace_gomem_free(seen_free, &t);
	tracepoint_synchronize_unregister();

	KUNIT_EXPECT_EQ(test, t.allocs, 1U);
	KUNIT_EXPECT_EQ(test, t.frees, 1U);
	KUNIT_EXPECT_PTR_EQ(test, t.ptr, (const void *)p);
	KUNIT_EXPECT_PTR_EQ(test, t.freed, (const void *)p);
	KUNIT_EXPECT_EQ(test, t.req, 40UL);
	KUNIT_EXPECT_EQ(test, t.usable, expect_usable(40));
	/*
	 * The call site is this function, not a gomem one, for both calls,
	 * which read it only on their way out of line (GOMEM_IP()).
	 */
	snprintf(site, sizeof(site), "%ps", (void *)t.site);
	snprintf(want, sizeof(want), "%s [%s]", __func__, KBUILD_MODNAME);
	KUNIT_EXPECT_STREQ(test, site, want);
	snprintf(site, sizeof(site), "%ps", (void *)t.free_site);
	KUNIT_EXPECT_STREQ(test, site, want);

	KUNIT_EXPECT_EQ(test, static_key_count(&gomem_hook_key.key), base);
	KUNIT_EXPECT_EQ(test, gomem_hooked(), base > 0);
	p = gomem_alloc(40, GFP_KERNEL);
	gomem_free(p);
	KUNIT_EXPECT_EQ(test, t.allocs, 1U);
	KUNIT_EXPECT_EQ(test, t.frees, 1U);
}

/*
 * A cold class's object, borrowed from its kmalloc bucket, is the
 * bucket's in every way: its usable size, zeroed and the caller's whole;
 * a realloc within the bucket's own sizes stays and is counted so, one
 * below them moves; asked of a node, it comes from that node.  Here 40
 * bytes, whose bucket is 64.
 */
static void a_borrowed_object_is_its_lenders(struct kunit *test)
{
	unsigned int cls = gomem_size_class(40), lender = gomem_size_class(64);
	struct gomem_snap *before = gomem_test_snap(test);
	struct gomem_stats *st;
	void *p, *q;
	int node;

	KUNIT_ASSERT_EQ(test, gomem_mcentral[cls].lender, lender);
	KUNIT_ASSERT_EQ(test, before->spans[cls], 0UL);
	atomic_set(&gomem_mcentral[cls].borrowed, 0);
	p = gomem_alloc(40, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_test_span(p)->spanclass, lender);
	KUNIT_ASSERT_EQ(test, gomem_size(p), 64UL);
	KUNIT_EXPECT_EQ(test, gomem_test_first_not(p, 0, 64), 64UL);
	gomem_test_fill(p, 64);

	q = gomem_realloc(p, 60, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	st = gomem_test_stats(test);
	KUNIT_EXPECT_EQ(test, st->cls[lender].bytes - before->st.cls[lender].bytes, 60LL);
	q = gomem_realloc(p, 40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_EQ(test, gomem_test_moved(q, p, 40), 40UL);
	gomem_free(q);
	gomem_test_expect_baseline(test, before);

	for_each_node_state(node, N_NORMAL_MEMORY) {
		p = gomem_alloc_node(40, GFP_KERNEL, node);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ_MSG(test, page_to_nid(virt_to_page(p)), node, "node %d", node);
		KUNIT_EXPECT_EQ_MSG(test, (unsigned int)gomem_test_span(p)->spanclass,
				    lender, "node %d", node);
		gomem_free(p);
	}
	gomem_test_expect_baseline(test, before);
}

static struct kunit_case api_cases[] = {
	KUNIT_CASE(zero_size_and_null),
	KUNIT_CASE(every_class_and_its_boundaries),
	KUNIT_CASE(large_objects),
	KUNIT_CASE(alignment),
	KUNIT_CASE(zeroing),
	KUNIT_CASE(init_on_alloc_and_free),
	KUNIT_CASE(realloc_moves_and_stays),
	KUNIT_CASE(realloc_copies_only_what_fits),
	KUNIT_CASE(realloc_keeps_every_usable_byte),
	KUNIT_CASE(realloc_in_place_zeroes_the_spare),
	KUNIT_CASE(a_realloc_that_stays_marks_its_new_size),
	KUNIT_CASE(a_borrowed_object_is_its_lenders),
	KUNIT_CASE(large_free_zeroes_with_irqs_on),
	KUNIT_CASE(bulk),
	KUNIT_CASE(bulk_is_all_or_none),
	KUNIT_CASE(bulk_of_small_objects_is_all_or_none),
	KUNIT_CASE_SLOW(no_overlap_under_churn),
	KUNIT_CASE(objects_are_node_local),
	KUNIT_CASE(memoryless_nodes_get_the_nearest_memory),
	KUNIT_CASE(a_full_node_spills_into_spans_it_grew),
	KUNIT_CASE(a_full_node_reuses_the_large_spans_it_freed),
	KUNIT_CASE(a_request_held_to_a_full_node_gets_its_memory_or_none),
	KUNIT_CASE(every_page_comes_back),
	KUNIT_CASE(tracepoint_probes_turn_the_hooks_on_and_off),
	{}
};

static struct kunit_suite api_suite = {
	.name = "gomem_api",
	.init = gomem_test_init,
	.exit = gomem_test_exit,
	.test_cases = api_cases,
};

kunit_test_suite(api_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's API");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
