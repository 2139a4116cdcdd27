// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_bad.ko - one kind of bad input per load, for selftests/gomem_bad.sh.
 *
 * Loaded with what=CASE, it makes exactly one bad call of that kind from
 * a function named after the case, bad_CASE(), so that the report gomem
 * prints can be checked to name it; it then checks that gomem still
 * works, and stays loaded until rmmod.  The cases are the README's table
 * of bad input.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/sizes.h>

#include "../gomem.h"

static char *what = "";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "The bad call to make: one of the names in cases[]");

/*
 * The helpers are inlined into each bad_CASE(), so that the call gomem
 * reports is made from bad_CASE() itself.
 */
static __always_inline void *obj(size_t size)
{
	return gomem_alloc(size, GFP_KERNEL);
}

static noinline int bad_free_kmalloc(void)
{
	void *p = kmalloc(64, GFP_KERNEL);

	gomem_free(p);
	kfree(p);
	return 0;
}

static noinline int bad_free_stack(void)
{
	int local = 0;

	gomem_free(&local);
	return local;
}

static noinline int bad_free_vmalloc(void)
{
	void *p = vmalloc(PAGE_SIZE);

	gomem_free(p);
	vfree(p);
	return 0;
}

static noinline int bad_free_text(void)
{
	gomem_free(bad_free_text);
	return 0;
}

static __always_inline int interior(size_t size, size_t off)
{
	u8 *p = obj(size);

	if (!p)
		return -ENOMEM;
	gomem_free(p + off);
	gomem_free(p);
	return 0;
}

static noinline int bad_interior_tiny(void)
{
	return interior(4, 2);
}

static noinline int bad_interior_small(void)
{
	return interior(100, 8);
}

static noinline int bad_interior_large(void)
{
	return interior(100 * SZ_1K, PAGE_SIZE);
}

/* Large objects of megabytes: what an earlier gomem kept apart as huge. */
static noinline int bad_interior_huge(void)
{
	return interior(SZ_2M, 64);
}

/*
 * A freed small object is "not live" only while its span lives: once the
 * span is empty gomem may give its page back (at once, from a cold class,
 * or later, from the scavenger), and then the address is not gomem's at
 * all.  So the cases that use a freed small object first make it share a
 * page, and so a span, with objects that stay live until the case ends:
 * the report is then the same whatever gomem did before.
 */
#define HELD 64
static void *held[HELD];

static __always_inline void *obj_with_neighbour(size_t size)
{
	unsigned long page;
	int i, j;

	for (i = 0; i < HELD; i++) {
		held[i] = obj(size);
		if (!held[i])
			return NULL;
		page = (unsigned long)held[i] & PAGE_MASK;
		for (j = 0; j < i; j++) {
			if (((unsigned long)held[j] & PAGE_MASK) == page) {
				void *p = held[i];

				held[i] = NULL;
				return p;
			}
		}
	}
	return NULL;
}

static void free_held(void)
{
	int i;

	for (i = 0; i < HELD; i++) {
		gomem_free(held[i]);
		held[i] = NULL;
	}
}

/* A small object freed twice: the second free is the bad call. */
static __always_inline int twice_small(size_t size)
{
	void *p = obj_with_neighbour(size);

	if (p) {
		gomem_free(p);
		gomem_free(p);
	}
	free_held();
	return p ? 0 : -ENOMEM;
}

/* A large object's pages go back whole, so it needs no neighbour. */
static __always_inline int twice(size_t size)
{
	void *p = obj(size);

	if (!p)
		return -ENOMEM;
	gomem_free(p);
	gomem_free(p);
	return 0;
}

static noinline int bad_double_tiny(void)
{
	return twice_small(4);
}

static noinline int bad_double_small(void)
{
	return twice_small(200);
}

static noinline int bad_double_large(void)
{
	return twice(50 * SZ_1K);
}

static noinline int bad_double_huge(void)
{
	return twice(3 * SZ_1M);
}

static noinline int bad_realloc_freed(void)
{
	void *p = obj_with_neighbour(300);
	int err = -ENOMEM;

	if (p) {
		gomem_free(p);
		err = gomem_realloc(p, 600, GFP_KERNEL) ? -EINVAL : 0;
	}
	free_held();
	return err;
}

static noinline int bad_size_freed(void)
{
	void *p = obj_with_neighbour(300);
	int err = -ENOMEM;

	if (p) {
		gomem_free(p);
		err = gomem_size(p) ? -EINVAL : 0;
	}
	free_held();
	return err;
}

static noinline int bad_size_max(void)
{
	return gomem_alloc(SIZE_MAX, GFP_KERNEL) ? -EINVAL : 0;
}

static noinline int bad_size_limit(void)
{
	/* Just above the largest block the page allocator has. */
	return gomem_alloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL) ? -EINVAL : 0;
}

static noinline int bad_bulk_overflow(void)
{
	void *ptrs[2];

	return gomem_alloc_bulk(16, GFP_KERNEL, SIZE_MAX / sizeof(void *) + 1,
				ptrs) ? -EINVAL : 0;
}

static noinline int bad_bulk_zero(void)
{
	void *ptrs[2];

	return gomem_alloc_bulk(16, GFP_KERNEL, 0, ptrs) ? -EINVAL : 0;
}

static noinline int bad_bulk_no_array(void)
{
	gomem_free_bulk(3, NULL);
	return 0;
}

static noinline int bad_bulk_hole(void)
{
	void *ptrs[3];

	if (gomem_alloc_bulk(16, GFP_KERNEL, 3, ptrs) != 3)
		return -ENOMEM;
	gomem_free(ptrs[1]);
	ptrs[1] = NULL;
	gomem_free_bulk(3, ptrs);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "free_kmalloc", bad_free_kmalloc },
	{ "free_stack", bad_free_stack },
	{ "free_vmalloc", bad_free_vmalloc },
	{ "free_text", bad_free_text },
	{ "interior_tiny", bad_interior_tiny },
	{ "interior_small", bad_interior_small },
	{ "interior_large", bad_interior_large },
	{ "interior_huge", bad_interior_huge },
	{ "double_tiny", bad_double_tiny },
	{ "double_small", bad_double_small },
	{ "double_large", bad_double_large },
	{ "double_huge", bad_double_huge },
	{ "realloc_freed", bad_realloc_freed },
	{ "size_freed", bad_size_freed },
	{ "size_max", bad_size_max },
	{ "size_limit", bad_size_limit },
	{ "bulk_overflow", bad_bulk_overflow },
	{ "bulk_zero", bad_bulk_zero },
	{ "bulk_no_array", bad_bulk_no_array },
	{ "bulk_hole", bad_bulk_hole },
};

/* gomem still hands out distinct objects that keep what is written. */
static int still_works(void)
{
	void *p[64];
	int i, err = 0;

	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = gomem_alloc(1 + i * 97, GFP_KERNEL);
		if (!p[i])
			return -ENOMEM;
		memset(p[i], i, 1 + i * 97);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		if (memchr_inv(p[i], i, 1 + i * 97))
			err = -EIO;
		gomem_free(p[i]);
	}
	return err;
}

static int __init gomem_bad_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (strcmp(what, cases[i].name))
			continue;
		err = cases[i].fn();
		if (err) {
			pr_err("%s: the bad call did not go as expected (%d)\n", what, err);
			return err;
		}
		err = still_works();
		if (err)
			pr_err("%s: gomem no longer works (%d)\n", what, err);
		return err;
	}
	pr_err("no case \"%s\"\n", what);
	return -EINVAL;
}

static void __exit gomem_bad_exit(void)
{
}

module_init(gomem_bad_init);
module_exit(gomem_bad_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("One kind of bad input to gomem per load, for its selftests");
