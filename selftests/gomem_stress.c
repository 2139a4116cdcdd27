// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_stress.ko - the load of gomem's stress test (selftests/gomem_stress.sh,
 * make stress).
 *
 * Its init runs the whole test and returns when "ops" operations are done:
 *  - one kthread per online CPU allocates and frees random sizes (tiny,
 *    small and large) with random lifetimes, through single calls, bulk
 *    calls and realloc, half of them GFP_ATOMIC; a single call is
 *    gomem_alloc(), now and then gomem_zalloc(), whose object must come
 *    zeroed, or gomem_alloc_node() of a random node or of NUMA_NO_NODE;
 *  - each hands a share of its objects to the others, through a shared
 *    pool, to be freed on whichever CPU takes them;
 *  - an hrtimer allocates and frees with GFP_ATOMIC in hard-IRQ context,
 *    every timer_us microseconds (on PREEMPT_RT, where neither kmalloc
 *    nor gomem may be called in hard IRQs, the kernel runs it as a soft
 *    hrtimer, in its softirq thread);
 *  - with hog=1, a kthread takes free memory until the machine is short,
 *    holds it a moment and gives it back, again and again, so that
 *    reclaim runs (and gomem's shrinker with it) all along;
 *  - every object is filled with a pattern that encodes its address and
 *    a random tag of its own, and checked before it is freed (after a
 *    realloc, against the address it moved from and its old tag, as far
 *    as the copy goes): an object overwritten by another that gomem
 *    handed out over it breaks the pattern, whose tag differs.
 * The threads mark themselves for fail_page_alloc's task-filter, so that
 * the shell can inject page-allocator failures into gomem's work alone.
 * A NULL from gomem is counted, never a crash.  The summary line gives
 * what happened; the load fails if any pattern was broken, any zeroed
 * allocation was not zero, or any object held to its node was not its.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/kthread.h>
#include <linux/hrtimer.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/delay.h>
#include <linux/completion.h>
#include <linux/mm.h>
#include <linux/vmstat.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "../gomem.h"
#include "../compat.h"

static unsigned long ops = 200000;
module_param(ops, ulong, 0444);
MODULE_PARM_DESC(ops, "Operations to do, across all threads (default 200000)");

static unsigned int share = 25;
module_param(share, uint, 0444);
MODULE_PARM_DESC(share, "Percent of the objects freed by another thread (default 25)");

static unsigned int timer_us = 200;
module_param(timer_us, uint, 0444);
MODULE_PARM_DESC(timer_us, "Microseconds between the hard-IRQ allocations (default 200; 0: none)");

static bool hog;
module_param(hog, bool, 0444);
MODULE_PARM_DESC(hog, "Keep the machine short of free pages, so that reclaim runs (default no)");

#define SLOTS		128
#define HOG_ORDER	5
#define POOL		1024

struct obj {
	void *p;
	u32 size;
	u8 tag;		/* mixed into the pattern: see pattern() */
};

static atomic_long_t done_ops, nulls, broken, handed, timer_ops, hog_rounds;
static atomic_long_t zallocs, unzeroed, node_allocs, named_allocs, elsewhere;
static atomic_long_t held_allocs, strayed;
static DEFINE_SPINLOCK(pool_lock);	/* the shared pool */
static struct obj pool[POOL];
static unsigned int pool_n;
static bool stopping;

/*
 * The pattern of the byte at addr of an object tagged tag.  The address
 * catches an object moved or a byte written through a stale pointer; the
 * tag, two objects handed out over the same bytes, which would otherwise
 * write the same pattern there.
 */
static u8 pattern(unsigned long addr, u8 tag)
{
	return (u8)(addr ^ (addr >> 8) ^ (addr >> 16) ^ 0x5a ^ tag);
}

static void fill(const struct obj *o)
{
	size_t i;

	for (i = 0; i < o->size; i++)
		((u8 *)o->p)[i] = pattern((unsigned long)o->p + i, o->tag);
}

/*
 * The first n bytes at p hold the pattern of where they were put, at was,
 * with tag.
 */
static bool intact(const void *p, const void *was, size_t n, u8 tag)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((const u8 *)p)[i] != pattern((unsigned long)was + i, tag))
			return false;
	return true;
}

static void check_free(struct obj *o)
{
	if (!o->p)
		return;
	if (!intact(o->p, o->p, o->size, o->tag))
		atomic_long_inc(&broken);
	gomem_free(o->p);
	o->p = NULL;
}

static size_t random_size(struct rnd_state *r)
{
	u32 x = prandom_u32_state(r) % 100;

	if (x < 35)
		return 1 + prandom_u32_state(r) % 15;
	if (x < 90)
		return 16 + prandom_u32_state(r) % 1024;
	if (x < 98)
		return 1024 + prandom_u32_state(r) % (32 * SZ_1K);
	return 32 * SZ_1K + prandom_u32_state(r) % (256 * SZ_1K);
}

/*
 * Failures are expected here, so no allocation warning for them; and a
 * sleeping allocation reclaims but does not retry, because under the
 * hog the OOM killer would otherwise kill the test's own shell.
 */
static gfp_t random_gfp(struct rnd_state *r)
{
	return (prandom_u32_state(r) % 2 ? GFP_ATOMIC : GFP_KERNEL | __GFP_NORETRY) |
	       __GFP_NOWARN;
}

/*
 * gomem_alloc_node() of node, counted; and, for a named node, whether the
 * object landed elsewhere.  That is only counted, never a failure: under
 * fail_page_alloc the page allocator may rightly fall back to another
 * node (KUnit's objects_are_node_local asserts the placement).  But for
 * a request held to a node with normal memory (__GFP_THISNODE), whose
 * object is that node's or none: one elsewhere has strayed, and fails
 * the load.
 */
static void *node_alloc(size_t size, gfp_t gfp, int node)
{
	void *p = gomem_alloc_node(size, gfp, node);
	bool held = (gfp & __GFP_THISNODE) && node != NUMA_NO_NODE &&
		    node_state(node, N_NORMAL_MEMORY);

	atomic_long_inc(&node_allocs);
	if (held)
		atomic_long_inc(&held_allocs);
	if (node != NUMA_NO_NODE) {
		atomic_long_inc(&named_allocs);
		if (p && page_to_nid(virt_to_page(p)) != node)
			atomic_long_inc(held ? &strayed : &elsewhere);
	}
	return p;
}

/*
 * One of the three single calls that allocate, by how (random): mostly
 * gomem_alloc(); an eighth gomem_zalloc(), checked to be zero before it
 * is filled, so that an object handed out dirty, or zeroed short, is
 * caught; an eighth gomem_alloc_node() of a node or NUMA_NO_NODE picked
 * by how, so that other nodes' spans, and their objects' frees on this
 * node, race with everything else (in a guest of one node, the same
 * calls with node 0), half of them held to the node (__GFP_THISNODE).
 */
static void *random_alloc(size_t size, gfp_t gfp, u32 how)
{
	void *p;

	switch (how % 8) {
	case 0:
		atomic_long_inc(&zallocs);
		p = gomem_zalloc(size, gfp);
		if (p && memchr_inv(p, 0, size))
			atomic_long_inc(&unzeroed);
		return p;
	case 1:
		return node_alloc(size, gfp | (how & BIT(31) ? __GFP_THISNODE : 0),
				  (int)(how / 8 % (nr_node_ids + 1)) - 1);
	default:
		return gomem_alloc(size, gfp);
	}
}

static bool alloc_into(struct obj *o, size_t size, gfp_t gfp, u8 tag, u32 how)
{
	o->p = random_alloc(size, gfp, how);
	if (!o->p) {
		atomic_long_inc(&nulls);
		return false;
	}
	o->size = size;
	o->tag = tag;
	fill(o);
	return true;
}

/* Give o to the shared pool, or free it here if the pool is full. */
static void hand_over(struct obj *o)
{
	unsigned long flags;

	spin_lock_irqsave(&pool_lock, flags);
	if (pool_n < POOL) {
		pool[pool_n++] = *o;
		o->p = NULL;
		atomic_long_inc(&handed);
	}
	spin_unlock_irqrestore(&pool_lock, flags);
	check_free(o);
}

/* Free one object another thread handed over, if there is one. */
static void take_over(void)
{
	struct obj o = { NULL, 0, 0 };
	unsigned long flags;

	spin_lock_irqsave(&pool_lock, flags);
	if (pool_n)
		o = pool[--pool_n];
	spin_unlock_irqrestore(&pool_lock, flags);
	check_free(&o);
}

static void do_realloc(struct obj *o, struct rnd_state *r)
{
	size_t size = random_size(r), keep = min_t(size_t, size, o->size);
	void *was = o->p, *p;

	p = gomem_realloc(o->p, size, random_gfp(r));
	if (!p) {
		/* A failed realloc leaves the object as it was. */
		atomic_long_inc(&nulls);
		return;
	}
	if (!intact(p, was, keep, o->tag))
		atomic_long_inc(&broken);
	o->p = p;
	o->size = size;
	o->tag = prandom_u32_state(r);
	fill(o);
}

static void do_bulk(struct rnd_state *r)
{
	size_t size = random_size(r), i;
	struct obj o[16];
	void *p[ARRAY_SIZE(o)];
	int n = 1 + prandom_u32_state(r) % ARRAY_SIZE(p);

	if (gomem_alloc_bulk(size, random_gfp(r), n, p) != n) {
		atomic_long_inc(&nulls);
		return;
	}
	for (i = 0; i < n; i++) {
		o[i].p = p[i];
		o[i].size = size;
		o[i].tag = prandom_u32_state(r);
		fill(&o[i]);
	}
	for (i = 0; i < n; i++) {
		if (!intact(p[i], p[i], size, o[i].tag))
			atomic_long_inc(&broken);
		if (prandom_u32_state(r) % 100 < share) {
			hand_over(&o[i]);
			p[i] = NULL;
		}
	}
	/* Holes from the hand-overs: free the rest one by one. */
	for (i = 0; i < n; i++)
		if (p[i])
			gomem_free(p[i]);
}

struct worker {
	struct completion *done;
	atomic_t *left;
	u64 seed;
};

static int worker_fn(void *arg)
{
	struct worker *w = arg;
	struct rnd_state r;
	unsigned int i, x;
	struct obj *slots;

	slots = kcalloc(SLOTS, sizeof(*slots), GFP_KERNEL);
	if (!slots) {
		atomic_long_inc(&nulls);
		goto out;
	}
	prandom_seed_state(&r, w->seed);
	gomem_make_it_fail(true);
	while (atomic_long_inc_return(&done_ops) <= ops) {
		i = prandom_u32_state(&r) % SLOTS;
		x = prandom_u32_state(&r) % 100;
		if (x < 10 && slots[i].p) {
			do_realloc(&slots[i], &r);
		} else if (x < 15) {
			do_bulk(&r);
		} else if (x < 25) {
			take_over();
		} else {
			if (slots[i].p && prandom_u32_state(&r) % 100 < share)
				hand_over(&slots[i]);
			else
				check_free(&slots[i]);
			alloc_into(&slots[i], random_size(&r), random_gfp(&r),
				   prandom_u32_state(&r), prandom_u32_state(&r));
		}
		cond_resched();
	}
	gomem_make_it_fail(false);
	for (i = 0; i < SLOTS; i++)
		check_free(&slots[i]);
	kfree(slots);
out:
	if (atomic_dec_and_test(w->left))
		complete(w->done);
	return 0;
}

/* The hard-IRQ load: one object kept from each tick to the next. */
static struct hrtimer timer;
static struct obj timer_obj;
static u32 timer_seed;

static enum hrtimer_restart timer_fn(struct hrtimer *t)
{
	size_t size;

	check_free(&timer_obj);
	timer_seed = timer_seed * 1103515245 + 12345;
	size = 1 + (timer_seed >> 8) % (timer_seed & 1 ? 2048 : 64 * SZ_1K);
	alloc_into(&timer_obj, size, GFP_ATOMIC | __GFP_NOWARN, timer_seed >> 24,
		   timer_seed >> 13);
	atomic_long_inc(&timer_ops);
	if (READ_ONCE(stopping))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(timer_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/*
 * Take free memory until the machine is short, hold it a moment, give it
 * back, again and again.  Only in 128 KiB blocks, asked for without
 * retrying: each block that is not there sends the allocator into
 * reclaim (and so into gomem's shrinker), and the smaller pieces it
 * leaves free keep every other allocation, a fork's stack above all,
 * from ending in the OOM killer.
 */
static int hog_fn(void *arg)
{
	unsigned long floor = totalram_pages() / 32;
	LIST_HEAD(held);
	struct page *page, *tmp;

	while (!kthread_should_stop()) {
		while (global_zone_page_state(NR_FREE_PAGES) > floor &&
		       !kthread_should_stop()) {
			page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY,
					   HOG_ORDER);
			if (!page)
				break;
			list_add(&page->lru, &held);
		}
		msleep(20);
		list_for_each_entry_safe(page, tmp, &held, lru) {
			list_del(&page->lru);
			__free_pages(page, HOG_ORDER);
		}
		atomic_long_inc(&hog_rounds);
		msleep(30);
	}
	return 0;
}

static int __init gomem_stress_init(void)
{
	unsigned int cpus = num_online_cpus(), i;
	struct task_struct *hog_task = NULL, *t;
	DECLARE_COMPLETION_ONSTACK(done);
	struct worker *w;
	atomic_t left;

	w = kcalloc(cpus, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	atomic_set(&left, cpus);
	if (hog) {
		hog_task = kthread_run(hog_fn, NULL, "gomem_hog");
		if (IS_ERR(hog_task))
			hog_task = NULL;
	}
	if (timer_us) {
		timer_seed = get_random_u32();
		/* Not _HARD: PREEMPT_RT makes plain hrtimers soft. */
		hrtimer_init(&timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		timer.function = timer_fn;
		hrtimer_start(&timer, ns_to_ktime(timer_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
	}
	for (i = 0; i < cpus; i++) {
		w[i].done = &done;
		w[i].left = &left;
		w[i].seed = get_random_u64();
		t = kthread_run(worker_fn, &w[i], "gomem_stress/%u", i);
		if (IS_ERR(t) && atomic_dec_and_test(&left))
			complete(&done);
	}
	/*
	 * A run can take minutes: wake now and then, so that the hung-task
	 * watchdog does not take this insmod for a task stuck in D state.
	 */
	while (!wait_for_completion_timeout(&done, HZ))
		;
	WRITE_ONCE(stopping, true);
	if (timer_us)
		hrtimer_cancel(&timer);
	check_free(&timer_obj);
	if (hog_task)
		kthread_stop(hog_task);
	while (pool_n)
		take_over();
	kfree(w);
	pr_info("%lu ops on %u threads, %ld allocations gave NULL, %ld broken patterns, %ld of %ld zeroed allocations not zero, %ld gomem_alloc_node() calls (%ld of a named node, %ld of those placed on another; %ld held to a node, %ld of those strayed), %ld objects freed by another thread, %ld hard-IRQ ops, %ld hog rounds\n",
		min_t(unsigned long, atomic_long_read(&done_ops), ops), cpus,
		atomic_long_read(&nulls), atomic_long_read(&broken),
		atomic_long_read(&unzeroed), atomic_long_read(&zallocs),
		atomic_long_read(&node_allocs), atomic_long_read(&named_allocs),
		atomic_long_read(&elsewhere), atomic_long_read(&held_allocs),
		atomic_long_read(&strayed), atomic_long_read(&handed),
		atomic_long_read(&timer_ops), atomic_long_read(&hog_rounds));
	return atomic_long_read(&broken) || atomic_long_read(&unzeroed) ||
	       atomic_long_read(&strayed) ? -EIO : 0;
}

static void __exit gomem_stress_exit(void)
{
}

module_init(gomem_stress_init);
module_exit(gomem_stress_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("The load of gomem's stress test");
