// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for sizeclass.c: every rule of the size-class table,
 * checked over every request size from 1 to 32768 against the tables the
 * module actually uses (not the generator's copy of the rules).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/log2.h>

#include "gomem_internal.h"

/* The smallest multiple of 8 that holds s: the best any table can do. */
static unsigned int best_possible(unsigned int s)
{
	return round_up(s, 8);
}

static void classes_are_well_formed(struct kunit *test)
{
	unsigned int cls, size, prev = 0;

	KUNIT_EXPECT_EQ(test, gomem_classes[1].size, 8U);
	KUNIT_EXPECT_EQ(test, gomem_classes[GOMEM_NR_CLASSES - 1].size,
			(unsigned int)GOMEM_MAX_SMALL);
	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		size = gomem_classes[cls].size;
		KUNIT_EXPECT_GT_MSG(test, size, prev, "class %u", cls);
		KUNIT_EXPECT_EQ_MSG(test, size % 8, 0U, "class %u", cls);
		if (size > PAGE_SIZE)
			KUNIT_EXPECT_EQ_MSG(test, size % GOMEM_CLASS_ALIGN, 0U,
					    "class %u", cls);
		prev = size;
	}
}

/* kmalloc's alignment promise needs every power of two to be a class. */
static void powers_of_two_are_classes(struct kunit *test)
{
	unsigned int p;

	for (p = 8; p <= PAGE_SIZE; p *= 2)
		KUNIT_EXPECT_EQ_MSG(test,
				    gomem_classes[gomem_size_class(p)].size, p,
				    "power of two %u", p);
}

static void every_size_gets_the_smallest_class(struct kunit *test)
{
	unsigned int s, cls, size;

	for (s = 1; s <= GOMEM_MAX_SMALL; s++) {
		cls = gomem_size_class(s);
		KUNIT_ASSERT_GE_MSG(test, cls, 1U, "size %u", s);
		KUNIT_ASSERT_LT_MSG(test, cls, (unsigned int)GOMEM_NR_CLASSES,
				    "size %u", s);
		size = gomem_classes[cls].size;
		KUNIT_EXPECT_GE_MSG(test, size, s, "size %u", s);
		if (cls > 1)
			KUNIT_EXPECT_LT_MSG(test, gomem_classes[cls - 1].size, s,
					    "size %u", s);
	}
}

/*
 * Up to a page, a request gets as many objects per page as its size
 * allows (the page count of the next multiple of 8), and never a class
 * bigger than kmalloc's.  Above a page, waste (class - s) / class is at
 * most 1/8.
 */
static void waste_is_the_least_possible(struct kunit *test)
{
	unsigned int s, size, kmalloc;

	for (s = 1; s <= GOMEM_MAX_SMALL; s++) {
		size = gomem_classes[gomem_size_class(s)].size;
		kmalloc = s <= 8 ? 8 : s <= 16 ? 16 : s <= 32 ? 32 : s <= 64 ? 64 :
			  s <= 96 ? 96 : s <= 128 ? 128 : s <= 192 ? 192 :
			  roundup_pow_of_two(s);
		KUNIT_EXPECT_LE_MSG(test, size, kmalloc, "size %u", s);
		if (s <= PAGE_SIZE)
			KUNIT_EXPECT_EQ_MSG(test, PAGE_SIZE / size,
					    PAGE_SIZE / best_possible(s),
					    "size %u: class %u", s, size);
		else
			KUNIT_EXPECT_LE_MSG(test, (size - s) * 8, size,
					    "size %u wastes %u of %u", s, size - s, size);
	}
}

/*
 * Up to a page a span is one page: no object that fits in a page needs
 * more than an order-0 block.  Above, the smallest span whose tail is at
 * most 1/8 of it.
 */
static void spans_are_one_page_or_smallest(struct kunit *test)
{
	unsigned int cls, n, size, span;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		const struct gomem_sizeclass *c = &gomem_classes[cls];

		size = c->size;
		span = c->npages * PAGE_SIZE;
		KUNIT_EXPECT_EQ_MSG(test, c->nelems, span / size, "class %u",
				    cls);
		if (size <= PAGE_SIZE) {
			KUNIT_EXPECT_EQ_MSG(test, c->npages, 1U, "class %u", cls);
			continue;
		}
		KUNIT_EXPECT_LE_MSG(test, (span % size) * 8, span,
				    "class %u tail", cls);
		for (n = 1; n < c->npages; n++)
			KUNIT_EXPECT_GT_MSG(test, (n * PAGE_SIZE % size) * 8,
					    n * (unsigned int)PAGE_SIZE,
					    "class %u: %u pages would do", cls, n);
		KUNIT_EXPECT_LE_MSG(test, c->npages, 1U << GOMEM_MAX_PAGE_ORDER,
				    "class %u", cls);
	}
}

/* The free path's object index: exact for every offset in every span. */
static void divmul_divides_exactly(struct kunit *test)
{
	unsigned int cls, off, span, bad;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		const struct gomem_sizeclass *c = &gomem_classes[cls];

		span = c->npages * PAGE_SIZE;
		bad = 0;
		for (off = 0; off <= span; off++)
			bad += ((u64)off * c->divmul) >> 32 != off / c->size;
		KUNIT_EXPECT_EQ_MSG(test, bad, 0U, "class %u", cls);
	}
}

static struct kunit_case sizeclass_cases[] = {
	KUNIT_CASE(classes_are_well_formed),
	KUNIT_CASE(powers_of_two_are_classes),
	KUNIT_CASE(every_size_gets_the_smallest_class),
	KUNIT_CASE(waste_is_the_least_possible),
	KUNIT_CASE(spans_are_one_page_or_smallest),
	KUNIT_CASE(divmul_divides_exactly),
	{}
};

static struct kunit_suite sizeclass_suite = {
	.name = "gomem_sizeclass",
	.test_cases = sizeclass_cases,
};

kunit_test_suite(sizeclass_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's size classes");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
