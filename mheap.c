// SPDX-License-Identifier: GPL-2.0
/*
 * Gomem's page heap: arenas of pages, carved into spans.
 *
 * The mheap takes memory from the page allocator an arena at a time: a
 * naturally aligned block of BITS_PER_LONG pages, whose free pages are the
 * set bits of one word.  A span is a run of pages in one arena; freeing it
 * sets its bits again, which coalesces it with its free neighbours for
 * nothing.  Arenas sit in buckets by their longest free run, and a span of
 * n pages comes from the fullest arena that has a run of n (best fit), so
 * that the emptier arenas can drain and go back to the page allocator.
 * Empty arenas are kept up to reserve_arenas and released beyond that.
 *
 * Objects bigger than an arena are huge: each is one high-order block
 * from the page allocator, entered in the arena map like an arena (its
 * struct gomem_arena's spans[] all name its one span), so that every
 * pointer resolves the same way.
 *
 * Invariants, under mheap.lock:
 *  - an arena's page i is free iff bit i of arena->free is set, and then
 *    arena->spans[i] is NULL; otherwise spans[i] is the span holding it;
 *  - an arena is on runs[max_run], where max_run is the longest run of
 *    set bits in arena->free; runs[GOMEM_ARENA_PAGES] holds empty arenas;
 *  - pages_total = arenas * GOMEM_ARENA_PAGES + huge_pages, and
 *    pages_free counts the set bits of all arenas.
 * A span is fully built before it is published in spans[], and unpublished
 * before it is freed after an RCU-sched grace period, so lockless readers
 * (see gomem_internal.h) see only complete spans.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/bitops.h>

#include "gomem_internal.h"

struct mheap gomem_mheap;
EXPORT_SYMBOL_IF_KUNIT(gomem_mheap);

unsigned int gomem_reserve_arenas = 4;
module_param_named(reserve_arenas, gomem_reserve_arenas, uint, 0644);
MODULE_PARM_DESC(reserve_arenas,
		 "Empty arenas (256 KiB each with 4 KiB pages) kept for reuse instead of being returned to the page allocator (default 4)");
EXPORT_SYMBOL_IF_KUNIT(gomem_reserve_arenas);

static struct kmem_cache *mspan_cache;

atomic_long_t gomem_meta_bytes;
EXPORT_SYMBOL_IF_KUNIT(gomem_meta_bytes);

static void *meta_page(gfp_t gfp)
{
	void *p = (void *)get_zeroed_page(gfp);

	if (p)
		atomic_long_add(PAGE_SIZE, &gomem_meta_bytes);
	return p;
}

static void meta_page_free(void *p)
{
	if (p)
		atomic_long_sub(PAGE_SIZE, &gomem_meta_bytes);
	free_page((unsigned long)p);
}

/* Longest run of set bits in w: each round shortens every run by one. */
static unsigned int longest_run(unsigned long w)
{
	unsigned int n = 0;

	while (w) {
		w &= w >> 1;
		n++;
	}
	return n;
}

/* First bit of a run of n set bits in w; w must have one. */
static unsigned int find_run(unsigned long w, unsigned int n)
{
	unsigned long starts = w;
	unsigned int i;

	for (i = 1; i < n; i++)
		starts &= w >> i;
	return __ffs(starts);
}

static unsigned long run_mask(unsigned int first, unsigned int n)
{
	return (n == BITS_PER_LONG ? ~0UL : (1UL << n) - 1) << first;
}

static void arena_rebucket(struct gomem_arena *a)
{
	gomem_mheap.nr_empty -= a->max_run == GOMEM_ARENA_PAGES;
	a->max_run = longest_run(a->free);
	gomem_mheap.nr_empty += a->max_run == GOMEM_ARENA_PAGES;
	list_move(&a->node, &gomem_mheap.runs[a->max_run]);
}

/*
 * The caller's flags, as far as they say how hard to try and whether to
 * sleep.  Zeroing, accounting and compound pages are gomem's business.
 */
static gfp_t inherit_gfp(gfp_t gfp)
{
	return gfp & ~(__GFP_ZERO | __GFP_ACCOUNT | __GFP_COMP);
}

/*
 * Make sure the second level of the arena map exists for arena numbers
 * [no, no + n).  The pages are never freed before unload, so readers can
 * hold on to them.
 */
static int map_prepare(unsigned long no, unsigned long n, gfp_t gfp)
{
	struct gomem_arena_l2 *l2;
	unsigned long i, flags;

	if (no + n > gomem_mheap.l1_len << GOMEM_L2_BITS)
		return -ERANGE;
	for (i = no >> GOMEM_L2_BITS; i <= (no + n - 1) >> GOMEM_L2_BITS; i++) {
		if (rcu_access_pointer(gomem_mheap.l1[i]))
			continue;
		l2 = meta_page(inherit_gfp(gfp));
		if (!l2)
			return -ENOMEM;
		spin_lock_irqsave(&gomem_mheap.lock, flags);
		if (!rcu_access_pointer(gomem_mheap.l1[i])) {
			rcu_assign_pointer(gomem_mheap.l1[i], l2);
			l2 = NULL;
		}
		spin_unlock_irqrestore(&gomem_mheap.lock, flags);
		meta_page_free(l2);
	}
	return 0;
}

/* Enter arena a in the map for arena numbers [no, no + n); mheap.lock. */
static void map_set(unsigned long no, unsigned long n, struct gomem_arena *a)
{
	struct gomem_arena_l2 *l2;

	lockdep_assert_held(&gomem_mheap.lock);
	for (; n; n--, no++) {
		l2 = rcu_dereference_protected(gomem_mheap.l1[no >> GOMEM_L2_BITS],
					       1);
		rcu_assign_pointer(l2->arena[no & (GOMEM_L2_ENTRIES - 1)], a);
	}
}

static unsigned long arena_no(unsigned long addr)
{
	return (addr - PAGE_OFFSET) >> GOMEM_ARENA_SHIFT;
}

/* A fresh arena, entered in the map and on runs[GOMEM_ARENA_PAGES]. */
static int arena_grow(gfp_t gfp)
{
	struct gomem_arena *a;
	struct page *page;
	unsigned long flags, base;
	int err = -ENOMEM;

	if (gomem_should_fail(gfp))
		return -ENOMEM;
	a = gomem_meta_alloc(sizeof(*a), inherit_gfp(gfp), NUMA_NO_NODE);
	if (!a)
		return -ENOMEM;
	page = alloc_pages(inherit_gfp(gfp), GOMEM_ARENA_ORDER);
	if (!page)
		goto free_arena;
	base = (unsigned long)page_address(page);
	err = map_prepare(arena_no(base), 1, gfp);
	if (err)
		goto free_pages;
	/* No byte of it is an object yet (see gomem_kasan_alloc()). */
	gomem_kasan_free((void *)base, GOMEM_ARENA_SIZE);

	a->base = base;
	a->free = ~0UL;
	a->max_run = GOMEM_ARENA_PAGES;
	a->order = GOMEM_ARENA_ORDER;
	spin_lock_irqsave(&gomem_mheap.lock, flags);
	list_add(&a->node, &gomem_mheap.runs[GOMEM_ARENA_PAGES]);
	map_set(arena_no(base), 1, a);
	gomem_mheap.nr_arenas++;
	gomem_mheap.nr_empty++;
	gomem_mheap.pages_total += GOMEM_ARENA_PAGES;
	gomem_mheap.pages_free += GOMEM_ARENA_PAGES;
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	return 0;

free_pages:
	__free_pages(page, GOMEM_ARENA_ORDER);
free_arena:
	gomem_meta_free(a, sizeof(*a));
	return err;
}

/* Carve n pages for s from the best-fitting arena; mheap.lock. */
static bool arena_carve(struct mspan *s)
{
	struct gomem_arena *a = NULL;
	unsigned int run, first, i;

	for (run = s->npages; run <= GOMEM_ARENA_PAGES && !a; run++)
		a = list_first_entry_or_null(&gomem_mheap.runs[run],
					     struct gomem_arena, node);
	if (!a)
		return false;
	first = find_run(a->free, s->npages);
	a->free &= ~run_mask(first, s->npages);
	arena_rebucket(a);
	gomem_mheap.pages_free -= s->npages;
	s->arena = a;
	s->base = a->base + ((unsigned long)first << PAGE_SHIFT);
	for (i = first; i < first + s->npages; i++)
		rcu_assign_pointer(a->spans[i], s);
	return true;
}

static void mspan_free_rcu(struct rcu_head *head)
{
	struct mspan *s = container_of(head, struct mspan, rcu);

	gomem_meta_free(s->state, s->nelems * s->state_width);
	atomic_long_sub(kmem_cache_size(mspan_cache), &gomem_meta_bytes);
	kmem_cache_free(mspan_cache, s);
}

static struct mspan *mspan_new(const struct mspan *tmpl, gfp_t gfp)
{
	struct mspan *s;

	s = kmem_cache_alloc(mspan_cache, inherit_gfp(gfp));
	if (!s)
		return NULL;
	atomic_long_add(kmem_cache_size(mspan_cache), &gomem_meta_bytes);
	*s = *tmpl;
	s->state = NULL;
	INIT_LIST_HEAD(&s->node);
	if (tmpl->kind == MSPAN_SMALL || tmpl->kind == MSPAN_TINY) {
		/* All FREE (0). */
		s->state = gomem_meta_alloc(s->nelems * s->state_width,
					    inherit_gfp(gfp), NUMA_NO_NODE);
		if (!s->state) {
			mspan_free_rcu(&s->rcu);
			return NULL;
		}
	}
	return s;
}

/*
 * A span of tmpl->npages pages (at most GOMEM_ARENA_PAGES), a copy of
 * tmpl with its base, arena and FREE object states filled in, published
 * for lookups.  May sleep only if gfp allows, and only in the page or
 * slab allocator.
 */
struct mspan *mheap_alloc_span(const struct mspan *tmpl, gfp_t gfp)
{
	unsigned long flags;
	struct mspan *s;

	s = mspan_new(tmpl, gfp);
	if (!s)
		return NULL;
	for (;;) {
		spin_lock_irqsave(&gomem_mheap.lock, flags);
		if (arena_carve(s))
			break;
		spin_unlock_irqrestore(&gomem_mheap.lock, flags);
		if (arena_grow(gfp)) {
			mspan_free_rcu(&s->rcu);
			return NULL;
		}
	}
	if (s->kind == MSPAN_LARGE) {
		gomem_mheap.nr_large++;
		gomem_mheap.large_pages += s->npages;
	}
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	return s;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_alloc_span);

/* Unpublish an arena and count it released; mheap.lock. */
static void arena_detach(struct gomem_arena *a, unsigned long pages)
{
	list_del(&a->node);
	map_set(arena_no(a->base), pages / GOMEM_ARENA_PAGES, NULL);
	gomem_mheap.pages_total -= pages;
	gomem_mheap.pages_released += pages;
}

static void arena_release(struct gomem_arena *a)
{
	__free_pages(virt_to_page((void *)a->base), a->order);
	atomic_long_sub(kmalloc_size_roundup(sizeof(*a)), &gomem_meta_bytes);
	kfree_rcu(a, rcu);
}

/* Detach one empty arena beyond the reserve, if any; mheap.lock. */
static struct gomem_arena *arena_surplus(void)
{
	struct list_head *empty = &gomem_mheap.runs[GOMEM_ARENA_PAGES];
	struct gomem_arena *a;

	if (gomem_mheap.nr_empty <= READ_ONCE(gomem_reserve_arenas))
		return NULL;
	a = list_first_entry(empty, struct gomem_arena, node);
	arena_detach(a, GOMEM_ARENA_PAGES);
	gomem_mheap.nr_arenas--;
	gomem_mheap.nr_empty--;
	gomem_mheap.pages_free -= GOMEM_ARENA_PAGES;
	return a;
}

void mheap_free_span(struct mspan *s)
{
	struct gomem_arena *a = s->arena, *surplus;
	unsigned int first = (s->base - a->base) >> PAGE_SHIFT, i;
	unsigned long flags;

	spin_lock_irqsave(&gomem_mheap.lock, flags);
	for (i = first; i < first + s->npages; i++)
		RCU_INIT_POINTER(a->spans[i], NULL);
	a->free |= run_mask(first, s->npages);
	arena_rebucket(a);
	gomem_mheap.pages_free += s->npages;
	if (s->kind == MSPAN_LARGE) {
		gomem_mheap.nr_large--;
		gomem_mheap.large_pages -= s->npages;
	}
	surplus = arena_surplus();
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);

	call_rcu(&s->rcu, mspan_free_rcu);
	if (surplus)
		arena_release(surplus);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_free_span);

/* Give back every empty arena beyond the reserve, e.g. after lowering it. */
void mheap_trim(void)
{
	struct gomem_arena *a;
	unsigned long flags;

	do {
		spin_lock_irqsave(&gomem_mheap.lock, flags);
		a = arena_surplus();
		spin_unlock_irqrestore(&gomem_mheap.lock, flags);
		if (a)
			arena_release(a);
	} while (a);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_trim);

/*
 * A huge object: 2^order pages (order > GOMEM_ARENA_ORDER) straight from
 * the page allocator, entered in the arena map over all its arena slots.
 */
struct mspan *mheap_alloc_huge(unsigned int order, size_t req, gfp_t gfp)
{
	struct mspan tmpl = {
		.kind = MSPAN_HUGE,
		.npages = 1U << order,
		.req = req,
	};
	struct gomem_arena *a;
	unsigned long flags, slots = 1UL << (order - GOMEM_ARENA_ORDER);
	struct page *page;
	struct mspan *s;
	unsigned int i;

	if (gomem_should_fail(gfp))
		return NULL;
	s = mspan_new(&tmpl, gfp);
	if (!s)
		return NULL;
	a = gomem_meta_alloc(sizeof(*a), inherit_gfp(gfp), NUMA_NO_NODE);
	if (!a)
		goto free_span;
	page = alloc_pages(inherit_gfp(gfp), order);
	if (!page)
		goto free_arena;
	a->base = (unsigned long)page_address(page);
	a->order = order;
	if (map_prepare(arena_no(a->base), slots, gfp))
		goto free_pages;
	s->base = a->base;
	s->arena = a;
	for (i = 0; i < GOMEM_ARENA_PAGES; i++)
		RCU_INIT_POINTER(a->spans[i], s);

	spin_lock_irqsave(&gomem_mheap.lock, flags);
	list_add(&a->node, &gomem_mheap.huge);
	map_set(arena_no(a->base), slots, a);
	gomem_mheap.pages_total += s->npages;
	gomem_mheap.nr_huge++;
	gomem_mheap.huge_pages += s->npages;
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
	return s;

free_pages:
	__free_pages(page, order);
free_arena:
	gomem_meta_free(a, sizeof(*a));
free_span:
	mspan_free_rcu(&s->rcu);
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mheap_alloc_huge);

void mheap_free_huge(struct mspan *s)
{
	struct gomem_arena *a = s->arena;
	unsigned long flags;

	spin_lock_irqsave(&gomem_mheap.lock, flags);
	arena_detach(a, s->npages);
	gomem_mheap.nr_huge--;
	gomem_mheap.huge_pages -= s->npages;
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);

	call_rcu(&s->rcu, mspan_free_rcu);
	arena_release(a);
}
EXPORT_SYMBOL_IF_KUNIT(mheap_free_huge);

int mheap_init(void)
{
	unsigned long arenas;
	unsigned int i;

	spin_lock_init(&gomem_mheap.lock);
	for (i = 0; i <= GOMEM_ARENA_PAGES; i++)
		INIT_LIST_HEAD(&gomem_mheap.runs[i]);
	INIT_LIST_HEAD(&gomem_mheap.huge);

	/* The map covers the direct map as it is now. */
	arenas = DIV_ROUND_UP((unsigned long)high_memory - PAGE_OFFSET,
			      GOMEM_ARENA_SIZE);
	gomem_mheap.l1_len = DIV_ROUND_UP(arenas, GOMEM_L2_ENTRIES);
	gomem_mheap.l1 = gomem_meta_alloc(gomem_mheap.l1_len * sizeof(*gomem_mheap.l1),
					  GFP_KERNEL, NUMA_NO_NODE);
	if (!gomem_mheap.l1)
		return -ENOMEM;
	mspan_cache = kmem_cache_create("gomem_mspan", sizeof(struct mspan),
					__alignof__(struct mspan), GOMEM_SLAB_NO_MERGE,
					NULL);
	if (!mspan_cache) {
		gomem_meta_free(gomem_mheap.l1,
				gomem_mheap.l1_len * sizeof(*gomem_mheap.l1));
		return -ENOMEM;
	}
	return 0;
}

/* Unload: detach and release one arena with whatever spans it holds. */
static void arena_teardown(struct gomem_arena *a, unsigned long pages)
{
	unsigned int i, step;
	struct mspan *s;

	spin_lock_irq(&gomem_mheap.lock);
	arena_detach(a, pages);
	spin_unlock_irq(&gomem_mheap.lock);
	for (i = 0; i < GOMEM_ARENA_PAGES; i += step) {
		s = rcu_dereference_protected(a->spans[i], 1);
		if (!s) {
			step = 1;
			continue;
		}
		/* A huge object's arena names its one span on every page. */
		step = a->order == GOMEM_ARENA_ORDER ? s->npages :
		       GOMEM_ARENA_PAGES;
		mspan_free_rcu(&s->rcu);
	}
	arena_release(a);
}

/*
 * Unload: give every page back, whatever is still live (gomem.c has
 * reported it).  Nothing else runs now.
 */
void mheap_exit(void)
{
	struct gomem_arena *a, *tmp;
	unsigned int run, i;

	for (run = 0; run <= GOMEM_ARENA_PAGES; run++)
		list_for_each_entry_safe(a, tmp, &gomem_mheap.runs[run], node)
			arena_teardown(a, GOMEM_ARENA_PAGES);
	list_for_each_entry_safe(a, tmp, &gomem_mheap.huge, node)
		arena_teardown(a, 1UL << a->order);
	/* kfree_rcu and call_rcu callbacks must finish before the cache goes. */
	rcu_barrier();
	for (i = 0; i < gomem_mheap.l1_len; i++)
		meta_page_free(rcu_access_pointer(gomem_mheap.l1[i]));
	gomem_meta_free(gomem_mheap.l1, gomem_mheap.l1_len * sizeof(*gomem_mheap.l1));
	kmem_cache_destroy(mspan_cache);
}
