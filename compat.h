/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the kernels gomem builds against
 * (6.1 and 6.12), in one place so that no other file needs an #ifdef on
 * the kernel version.
 */
#ifndef _GOMEM_COMPAT_H
#define _GOMEM_COMPAT_H

#include <linux/mmzone.h>
#include <linux/types.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

/*
 * The largest order the page allocator hands out.  6.1 has MAX_ORDER, one
 * past the largest order; 6.4 renamed the limit to MAX_PAGE_ORDER and made
 * it inclusive.
 */
#ifdef MAX_PAGE_ORDER
#define GOMEM_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#else
#define GOMEM_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/*
 * A shrinker named "gomem".  6.7 replaced register_shrinker() on a
 * caller's struct with shrinker_alloc() and shrinker_register(), and
 * added the SHRINKER_ALLOCATED flag with them.
 */
static inline struct shrinker *
gomem_shrinker_create(unsigned long (*count)(struct shrinker *,
					     struct shrink_control *),
		      unsigned long (*scan)(struct shrinker *,
					    struct shrink_control *))
{
	struct shrinker *s;

#ifdef SHRINKER_ALLOCATED
	s = shrinker_alloc(0, "gomem");
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	shrinker_register(s);
#else
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	if (register_shrinker(s, "gomem")) {
		kfree(s);
		return NULL;
	}
#endif
	return s;
}

static inline void gomem_shrinker_destroy(struct shrinker *s)
{
#ifdef SHRINKER_ALLOCATED
	shrinker_free(s);
#else
	unregister_shrinker(s);
	kfree(s);
#endif
}

/*
 * Fault injection ("fail_gomem" in debugfs, see fault.c) exists only in
 * kernels built with CONFIG_FAULT_INJECTION; 6.1's <linux/fault-inject.h>
 * has no stubs without it, so gomem carries its own.
 */
#ifdef CONFIG_FAULT_INJECTION
#include <linux/fault-inject.h>

extern struct fault_attr gomem_fail;
bool gomem_should_fail(gfp_t gfp);
void gomem_fault_init(void);
void gomem_fault_exit(void);
#else
static inline bool gomem_should_fail(gfp_t gfp)
{
	return false;
}

static inline void gomem_fault_init(void)
{
}

static inline void gomem_fault_exit(void)
{
}
#endif

#endif /* _GOMEM_COMPAT_H */
