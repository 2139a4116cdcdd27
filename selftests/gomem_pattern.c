// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_pattern.ko - a known allocation pattern for the selftests.
 *
 * At load it allocates "count" objects of each size in "sizes", fills
 * each over its whole gomem_size(), and keeps them; it can also make
 * "bad" refused frees and "fail" allocations too big to succeed.  At
 * unload it checks every pattern and frees everything, unless "leak" is
 * set: then gomem is left to report the objects when it is unloaded.  Each
 * run of its init logs one line, "loaded" or "load failed".  The selftests
 * read /proc/gomem around the load and the unload and check that every
 * counter moved by exactly what this pattern implies.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "../gomem.h"
#include "../compat.h"

static unsigned int sizes[16];
static int nr_sizes;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "Sizes to allocate, in bytes (up to 16)");

static unsigned int count = 1;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "Objects of each size (default 1)");

static unsigned int bad;
module_param(bad, uint, 0444);
MODULE_PARM_DESC(bad, "Refused frees to make at load: double frees of a freed object (default 0)");

static unsigned int fail;
module_param(fail, uint, 0444);
MODULE_PARM_DESC(fail, "Allocations too big to succeed to make at load (default 0)");

static bool atomic;
module_param(atomic, bool, 0444);
MODULE_PARM_DESC(atomic, "Allocate every other object with GFP_ATOMIC (default no)");

static bool make_it_fail;
module_param(make_it_fail, bool, 0444);
MODULE_PARM_DESC(make_it_fail, "Allocate as a task fail_page_alloc's task-filter picks (default no)");

static bool where;
module_param(where, bool, 0444);
MODULE_PARM_DESC(where, "Log the highest page frame the objects reach (default no)");

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "Leave the objects allocated at unload, for gomem to report (default no)");

static void **objs;
static unsigned int nr_objs;

static u8 pattern(const void *p, size_t i)
{
	return (u8)(((unsigned long)p + i) * 131 >> 3);
}

static int __init gomem_pattern_load(void)
{
	unsigned int i, j;
	size_t n, k;
	void *p;

	if (!count || !nr_sizes)
		return -EINVAL;
	objs = kvcalloc(nr_sizes * count, sizeof(void *), GFP_KERNEL);
	if (!objs)
		return -ENOMEM;
	gomem_make_it_fail(make_it_fail);
	for (i = 0; i < nr_sizes; i++) {
		for (j = 0; j < count; j++) {
			p = gomem_alloc(sizes[i], atomic && j % 2 ? GFP_ATOMIC : GFP_KERNEL);
			if (!p) {
				pr_err("%u bytes: allocation %u of %u failed\n", sizes[i],
				       j + 1, count);
				goto fail;
			}
			objs[nr_objs++] = p;
			n = gomem_size(p);
			for (k = 0; k < n; k++)
				((u8 *)p)[k] = pattern(p, k);
		}
	}
	gomem_make_it_fail(false);
	if (where) {
		unsigned long top = 0;

		for (i = 0; i < nr_objs; i++)
			top = max(top, page_to_pfn(virt_to_page(objs[i])));
		pr_info("objects reach pfn %lu\n", top);
	}
	for (i = 0; i < fail; i++)
		WARN_ON(gomem_alloc(SIZE_MAX, GFP_KERNEL | __GFP_NOWARN));
	if (bad) {
		p = gomem_alloc(64, GFP_KERNEL);
		if (!p)
			goto fail;
		gomem_free(p);
		for (i = 0; i < bad; i++)
			gomem_free(p);
	}
	return 0;
fail:
	gomem_make_it_fail(false);
	if (nr_objs)
		gomem_free_bulk(nr_objs, objs);
	kvfree(objs);
	return -ENOMEM;
}

/*
 * One "load" line a run, for the selftests' pattern_load(): busybox's
 * insmod runs a failed init a second time, whose success would hide the
 * failure but for the first run's line.
 */
static int __init gomem_pattern_init(void)
{
	int err = gomem_pattern_load();

	if (err)
		pr_err("load failed: %d\n", err);
	else
		pr_info("loaded %u objects\n", nr_objs);
	return err;
}

static void __exit gomem_pattern_exit(void)
{
	unsigned int i, broken = 0;
	size_t n, k;

	for (i = 0; i < nr_objs; i++) {
		n = gomem_size(objs[i]);
		for (k = 0; k < n && ((u8 *)objs[i])[k] == pattern(objs[i], k); k++)
			;
		broken += k != n;
	}
	if (broken)
		pr_err("%u objects were overwritten\n", broken);
	if (!leak && nr_objs)
		gomem_free_bulk(nr_objs, objs);
	kvfree(objs);
}

module_init(gomem_pattern_init);
module_exit(gomem_pattern_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A known gomem allocation pattern, for gomem's selftests");
