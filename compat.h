/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the kernels gomem builds against (6.1 and
 * 6.12), and between their configurations (KASAN, fault injection,
 * PREEMPT_RT), in one place so that no other file needs an #ifdef on
 * either.
 */
#ifndef _GOMEM_COMPAT_H
#define _GOMEM_COMPAT_H

#include <linux/mmzone.h>
#include <linux/types.h>
#include <linux/kasan.h>
#include <linux/math.h>
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
 * Whether single pages that split_page() made may be joined back into a
 * block of the page allocator (mheap.c, pages_join()).  Not where memory
 * allocation profiling (6.10) may count pages: split_page() gives every
 * page a tag of its own, and freeing the block clears only the first's,
 * which gomem cannot reach.
 */
#define GOMEM_PAGES_JOINABLE	(!IS_ENABLED(CONFIG_MEM_ALLOC_PROFILING))

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
 * A slab cache of gomem's own, which SLUB must not merge with another of
 * the same size, so that /proc/slabinfo shows what gomem holds in it.
 * 6.4 added SLAB_NO_MERGE; before it, a cache with a constructor or a
 * debug flag was never merged, and SLAB_NOLEAKTRACE (leave its objects
 * out of kmemleak's scan) is the debug flag that changes nothing else.
 */
#ifdef SLAB_NO_MERGE
#define GOMEM_SLAB_NO_MERGE	SLAB_NO_MERGE
#else
#define GOMEM_SLAB_NO_MERGE	SLAB_NOLEAKTRACE
#endif

/*
 * KASAN.  gomem's pages come from alloc_pages() all accessible, so on its
 * own KASAN sees nothing of gomem's objects.  gomem marks what is not a
 * live object's requested bytes as a redzone or as freed, by writing the
 * shadow with kasan_poison(): generic KASAN's primitive, exported for
 * KASAN's own test module but declared only in mm/kasan/kasan.h, and not
 * exported by every kernel.  Kbuild defines GOMEM_KASAN_POISON when the
 * kernel's Module.symvers lists it; without it gomem builds without the
 * marks.  The values are mm/kasan/kasan.h's KASAN_SLAB_REDZONE and
 * KASAN_SLAB_FREE, so that reports name the bug; a shadow byte of 1-7
 * means that many bytes of its 8-byte granule are accessible, and 0 that
 * all are.
 */
#if defined(CONFIG_KASAN_GENERIC) && defined(GOMEM_KASAN_POISON)
void kasan_poison(const void *addr, size_t size, u8 value, bool init);

#define GOMEM_KASAN_MARKS	true
#define GOMEM_KASAN_GRANULE	BIT(KASAN_SHADOW_SCALE_SHIFT)
#define GOMEM_KASAN_REDZONE	0xFC
#define GOMEM_KASAN_FREE	0xFB

/*
 * [p, p + size) becomes accessible and the rest of [p, p + room) a
 * redzone.  p and room are multiples of the granule.
 */
static inline void gomem_kasan_alloc(const void *p, size_t size, size_t room)
{
	size_t whole = round_down(size, GOMEM_KASAN_GRANULE);
	size_t end = round_up(size, GOMEM_KASAN_GRANULE);

	kasan_poison(p, whole, 0, false);
	if (end != whole)
		kasan_poison(p + whole, GOMEM_KASAN_GRANULE, size - whole, false);
	kasan_poison(p + end, room - end, GOMEM_KASAN_REDZONE, false);
}

/* [p, p + room) is free: any access is a use after free. */
static inline void gomem_kasan_free(const void *p, size_t room)
{
	kasan_poison(p, room, GOMEM_KASAN_FREE, false);
}

/* The mark of the granule holding p, for the tests: read past KASAN. */
static inline u8 __no_sanitize_address gomem_kasan_mark(const void *p)
{
	return READ_ONCE(*(u8 *)kasan_mem_to_shadow(p));
}
#else
#define GOMEM_KASAN_MARKS	false
#define GOMEM_KASAN_GRANULE	1	/* no marks, so no granule */

static inline void gomem_kasan_alloc(const void *p, size_t size, size_t room)
{
}

static inline void gomem_kasan_free(const void *p, size_t room)
{
}

static inline u8 gomem_kasan_mark(const void *p)
{
	return 0;
}
#endif

/*
 * KUnit's static stubs, with which a test puts its own function in the
 * place of one of gomem's for the test's own task, came in 6.3 (Kbuild
 * looks for their header).  Before, the redirection is nothing, and a
 * suite that needs a stub skips its case.
 */
#ifdef GOMEM_STATIC_STUBS
#include <kunit/static_stub.h>
#define gomem_static_stubs()	true
#else
struct kunit;

#define KUNIT_STATIC_STUB_REDIRECT(real_fn_name, ...) ((void)(real_fn_name))
#define gomem_static_stubs()	false

static inline void kunit_activate_static_stub(struct kunit *test,
					      const void *real_fn_addr,
					      const void *replacement_addr)
{
}

static inline void kunit_deactivate_static_stub(struct kunit *test,
						const void *real_fn_addr)
{
}
#endif

/*
 * The kernel's fault injection (fail_page_alloc, and its task-filter)
 * exists only in kernels built with CONFIG_FAULT_INJECTION.  gomem's own
 * fail_gomem does not need it (fault.c); the selftests' helper modules
 * use this to mark a task for the kernel's task-filter.
 */
#ifdef CONFIG_FAULT_INJECTION
#include <linux/sched.h>

static inline void gomem_make_it_fail(bool on)
{
	current->make_it_fail = on;
}
#else
static inline void gomem_make_it_fail(bool on)
{
}
#endif

/*
 * For sparse, which checks that each function takes and lets go of locks
 * as its __acquires() and __releases() say.  Without PREEMPT_RT a
 * local_lock_t only turns interrupts off, which sparse does not count;
 * with it, the lock is a spinlock_t, which sparse counts where the
 * kernel's sleeping spinlock says so (Kbuild looks: 6.12's does, 6.1's
 * does not).  gomem counts its mcache lock with these (gomem_internal.h),
 * once on every kernel, so that the functions that take it in one place
 * and let it go in another (a fast path's tail call) say so, and sparse
 * checks them on every kernel.
 */
#ifdef GOMEM_RT_LOCK_COUNTED
#define gomem_local_lock_acquired(lock)	((void)(lock))
#define gomem_local_lock_released(lock)	((void)(lock))
#else
#define gomem_local_lock_acquired(lock)	__acquire(lock)
#define gomem_local_lock_released(lock)	__release(lock)
#endif

#endif /* _GOMEM_COMPAT_H */
