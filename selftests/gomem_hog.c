// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_hog.ko - fill memory until the kernel reclaims, then let go.
 *
 * At load it takes order-0 pages, without retrying and without warning,
 * until the page allocator refuses one: every refusal comes after the
 * allocator's own reclaim has run, the shrinkers' included, and found too
 * little.  It then gives every page back and fails the load on purpose
 * (-ECANCELED), so that nothing stays loaded and nothing stays held: the
 * machine is short of memory only while insmod runs.  It logs how many
 * pages it held.  Nothing here calls gomem: the selftests watch what the
 * pressure makes gomem's shrinker do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/list.h>

static int __init gomem_hog_init(void)
{
	unsigned long held = 0;
	struct page *page, *tmp;
	LIST_HEAD(pages);

	while ((page = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN))) {
		list_add(&page->lru, &pages);
		held++;
		cond_resched();
	}
	list_for_each_entry_safe(page, tmp, &pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	pr_info("held %lu pages until the page allocator refused one\n", held);
	return -ECANCELED;
}

module_init(gomem_hog_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Fills memory until reclaim runs, for gomem's selftests");
