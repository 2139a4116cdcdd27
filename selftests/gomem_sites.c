// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_sites.ko - live objects from known call sites, for
 * selftests/gomem_callers.sh.
 *
 * On load it allocates, each kind from a function of its own, objects it
 * keeps until rmmod: tiny, small, large, bulk, and one realloc'd.  The
 * script expects each function on a line of /proc/gomem_callers with
 * exactly these bytes and objects, and none once unloaded:
 *
 *	sites_tiny	10 objects of 3 bytes		30
 *	sites_small	7 objects of 300 bytes		2100
 *	(one of them given all its bytes, then realloc'ed to 300 again)
 *	sites_large	2 objects of 100000 bytes	200000
 *	sites_bulk	4 objects of 64 bytes		256
 *	sites_realloc	1 object of 4000 bytes		4000
 *	(its 40-byte original, from sites_small_first, is gone)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/kasan.h>
#include <linux/string.h>

#include "../gomem.h"

static void *tiny[10], *small[7], *large[2], *bulk[4], *moved;

/* Inlined, so that each sites_*() is the call site of its objects. */
static __always_inline int alloc_all(void **p, int n, size_t size)
{
	int i;

	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(size, GFP_KERNEL);
		if (!p[i])
			return -ENOMEM;
	}
	return 0;
}

static noinline int sites_tiny(void)
{
	return alloc_all(tiny, ARRAY_SIZE(tiny), 3);
}

/*
 * One of them is given all its bytes by gomem_size(), then its size again
 * by a realloc with __GFP_ZERO, which stays: its record is 300 bytes
 * again, and the bytes past them read zero.
 */
static noinline int sites_small(void)
{
	int err = alloc_all(small, ARRAY_SIZE(small), 300);
	size_t usable;
	void *p;
	bool dirty;

	if (err)
		return err;
	usable = gomem_size(small[0]);
	memset(small[0], 0xa5, usable);
	p = gomem_realloc(small[0], 300, GFP_KERNEL | __GFP_ZERO);
	if (!p)
		return -ENOMEM;
	if (p != small[0]) {
		small[0] = p;
		pr_err("a realloc to the same size moved the object\n");
		return -EIO;
	}
	/* Past its size, the object is out of KASAN's bounds again. */
	kasan_disable_current();
	dirty = memchr_inv(p + 300, 0, usable - 300);
	kasan_enable_current();
	if (dirty) {
		pr_err("a realloc with __GFP_ZERO left bytes past its size\n");
		return -EIO;
	}
	return 0;
}

static noinline int sites_large(void)
{
	return alloc_all(large, ARRAY_SIZE(large), 100000);
}

static noinline int sites_bulk(void)
{
	return gomem_alloc_bulk(64, GFP_KERNEL, ARRAY_SIZE(bulk), bulk) ? 0 : -ENOMEM;
}

static noinline void *sites_small_first(void)
{
	return gomem_alloc(40, GFP_KERNEL);
}

/* A realloc is the new object's call site: the old one's is freed. */
static noinline int sites_realloc(void)
{
	void *p = sites_small_first();

	if (!p)
		return -ENOMEM;
	moved = gomem_realloc(p, 4000, GFP_KERNEL);
	if (!moved) {
		gomem_free(p);
		return -ENOMEM;
	}
	return 0;
}

static void free_all(void **p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		gomem_free(p[i]);
}

static void sites_free(void)
{
	free_all(tiny, ARRAY_SIZE(tiny));
	free_all(small, ARRAY_SIZE(small));
	free_all(large, ARRAY_SIZE(large));
	free_all(bulk, ARRAY_SIZE(bulk));
	gomem_free(moved);
}

static int __init gomem_sites_init(void)
{
	int err = sites_tiny();

	err = err ?: sites_small();
	err = err ?: sites_large();
	err = err ?: sites_bulk();
	err = err ?: sites_realloc();
	if (err)
		sites_free();
	return err;
}

static void __exit gomem_sites_exit(void)
{
	sites_free();
}

module_init(gomem_sites_init);
module_exit(gomem_sites_exit);
MODULE_DESCRIPTION("gomem selftest: live objects from known call sites");
MODULE_LICENSE("GPL");
