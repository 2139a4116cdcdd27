// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_traced.ko - a known sequence of calls, for selftests/gomem_trace.sh.
 *
 * On load it makes every kind of call gomem traces, each from a function
 * of its own (traced_*), and for each event gomem must emit it logs the
 * event as tracefs should print it: "gomem_traced: expect " and then the
 * event's name and fields in gomem_alloc's or gomem_free's format, with
 * call_site the bare name of the function that made the call.  The
 * script compares those lines with what tracefs recorded.  Pointers are
 * printed with %p, as the events print them, so both are hashed alike.
 * Every object is freed before the load ends.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "../gomem.h"

static noinline void expect_alloc(const char *fn, const void *p, size_t req,
				  gfp_t gfp, int node)
{
	pr_info("expect gomem_alloc: call_site=%s ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%pGg node=%d accounted=false\n",
		fn, p, req, p ? gomem_size(p) : 0, &gfp, node);
}

static noinline void expect_free(const char *fn, const void *p)
{
	pr_info("expect gomem_free: call_site=%s ptr=%p\n", fn, p);
}

static void *small, *tiny, *local, *large, *moved, *bulk[3];

static noinline int traced_alloc(void)
{
	small = gomem_alloc(100, GFP_KERNEL);
	expect_alloc(__func__, small, 100, GFP_KERNEL, NUMA_NO_NODE);
	return small ? 0 : -ENOMEM;
}

static noinline int traced_zalloc(void)
{
	tiny = gomem_zalloc(3, GFP_KERNEL);
	expect_alloc(__func__, tiny, 3, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE);
	return tiny ? 0 : -ENOMEM;
}

static noinline int traced_alloc_node(void)
{
	int node = numa_mem_id();

	local = gomem_alloc_node(300, GFP_KERNEL, node);
	expect_alloc(__func__, local, 300, GFP_KERNEL, node);
	return local ? 0 : -ENOMEM;
}

static noinline int traced_alloc_large(void)
{
	large = gomem_alloc(100000, GFP_ATOMIC);
	expect_alloc(__func__, large, 100000, GFP_ATOMIC, NUMA_NO_NODE);
	return large ? 0 : -ENOMEM;
}

/* A failure: ptr 0 and bytes_alloc 0, as kmalloc's event has them. */
static noinline int traced_alloc_fails(void)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	void *p = gomem_alloc(KMALLOC_MAX_SIZE + 1, gfp);

	expect_alloc(__func__, p, KMALLOC_MAX_SIZE + 1, gfp, NUMA_NO_NODE);
	return p ? -EINVAL : 0;
}

/* The old object's usable size fits it: the object stays put. */
static noinline int traced_realloc_in_place(void)
{
	size_t size = gomem_size(small);
	void *p = gomem_realloc(small, size, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	expect_free(__func__, small);
	expect_alloc(__func__, p, size, GFP_KERNEL, NUMA_NO_NODE);
	if (p != small) {
		small = p;
		return -EINVAL;
	}
	return 0;
}

static noinline int traced_realloc_move(void)
{
	moved = gomem_realloc(small, 5000, GFP_KERNEL);
	expect_alloc(__func__, moved, 5000, GFP_KERNEL, NUMA_NO_NODE);
	if (!moved)
		return -ENOMEM;
	expect_free(__func__, small);
	small = NULL;
	return 0;
}

/* krealloc(NULL, n) allocates, and krealloc(p, 0) frees. */
static noinline int traced_realloc_ends(void)
{
	void *p = gomem_realloc(NULL, 50, GFP_KERNEL);

	expect_alloc(__func__, p, 50, GFP_KERNEL, NUMA_NO_NODE);
	if (!p)
		return -ENOMEM;
	if (gomem_realloc(p, 0, GFP_KERNEL) != ZERO_SIZE_PTR)
		return -EINVAL;
	expect_free(__func__, p);
	return 0;
}

/* Bulk calls of each kind of object: tiny (1 to 4 bytes), small and large. */
static noinline int traced_bulk(void)
{
	static const size_t sizes[] = { 4, 64, 100000 };
	int i, k;

	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		if (gomem_alloc_bulk(sizes[k], GFP_KERNEL, ARRAY_SIZE(bulk), bulk) !=
		    ARRAY_SIZE(bulk))
			return -ENOMEM;
		for (i = 0; i < ARRAY_SIZE(bulk); i++)
			expect_alloc(__func__, bulk[i], sizes[k], GFP_KERNEL,
				     NUMA_NO_NODE);
		gomem_free_bulk(ARRAY_SIZE(bulk), bulk);
		for (i = 0; i < ARRAY_SIZE(bulk); i++)
			expect_free(__func__, bulk[i]);
	}
	return 0;
}

/* kfree(NULL) is traced too. */
static noinline int traced_free(void)
{
	void *objs[] = { moved, tiny, local, large, NULL };
	int i;

	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		gomem_free(objs[i]);
		expect_free(__func__, objs[i]);
	}
	moved = NULL;
	tiny = NULL;
	local = NULL;
	large = NULL;
	return 0;
}

/* After a step went wrong: free what the steps before it left live. */
static void free_all(void)
{
	gomem_free(small);
	gomem_free(moved);
	gomem_free(tiny);
	gomem_free(local);
	gomem_free(large);
}

static int __init gomem_traced_init(void)
{
	int (*const steps[])(void) = {
		traced_alloc, traced_zalloc, traced_alloc_node,
		traced_alloc_large, traced_alloc_fails, traced_realloc_in_place,
		traced_realloc_move, traced_realloc_ends, traced_bulk,
		traced_free,
	};
	int i, err;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		err = steps[i]();
		if (err) {
			pr_err("step %d went wrong (%d)\n", i, err);
			free_all();
			return err;
		}
	}
	return 0;
}

static void __exit gomem_traced_exit(void)
{
}

module_init(gomem_traced_init);
module_exit(gomem_traced_exit);
MODULE_DESCRIPTION("gomem selftest: a known sequence of traced calls");
MODULE_LICENSE("GPL");
