// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for mcache.c and for gomem across CPUs and contexts:
 * refills and flushes in batches, stacks that grow in streams and swings,
 * frees on another CPU than the allocation and the bound on what one CPU
 * caches, objects put aside going back by class, allocation and free in
 * hard interrupts (irq_work and a hard hrtimer; on PREEMPT_RT, where no
 * allocator may be called there, in the threads and the softirq those
 * run in instead) with GFP_ATOMIC, one
 * kthread per CPU hammering mixed sizes, and draining on CPU offline.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/irq_work.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/prandom.h>
#include <linux/sizes.h>

#include "gomem_test.h"

static struct mcache *cache_of(unsigned int cpu)
{
	return gomem_mcache_of(cpu);
}

/*
 * A drained CPU has no stack for a class.  Its first allocation takes one
 * object from the mcentral and makes no stack; the second brings one,
 * holding a few objects, and each refill after moves half of what the
 * stack may hold, or what the class's spans hold FREE if that is half of
 * it or more, or that and one span's (mcentral_get_some()), and doubles
 * what the stack may hold, up to the class's cache_cap.  Frees
 * likewise: the first after a drain goes to the mcentral, the next ones
 * fill a stack to what it may hold, then flush the oldest half.
 */
static void stacks_grow_with_use(struct kunit *test)
{
	unsigned int cls = gomem_size_class(512), cpu = 0, i, cap, max, n, want;
	struct gomem_snap *before = gomem_test_snap(test);
	struct mcentral *mc = &gomem_mcentral[cls];
	struct mcache_slot *slot;
	u64 refills, flushes;
	unsigned long free;
	void **p;

	gomem_test_pin(test, cpu);
	gomem_drain();
	slot = &cache_of(cpu)->slot[cls];
	KUNIT_ASSERT_NULL(test, slot->objs);
	KUNIT_ASSERT_EQ(test, (unsigned int)slot->cap, 0U);
	KUNIT_ASSERT_EQ(test, (unsigned int)slot->warm, 0U);
	max = gomem_mcentral[cls].cache_cap;
	n = 4 * max;
	p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);

	refills = cache_of(cpu)->stats.refills;
	p[0] = gomem_alloc(512, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[0]);
	KUNIT_EXPECT_NULL(test, slot->objs);
	KUNIT_EXPECT_EQ(test, cache_of(cpu)->stats.refills, refills + 1);
	p[1] = gomem_alloc(512, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[1]);
	KUNIT_ASSERT_NOT_NULL(test, slot->objs);
	cap = min(4U, max);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, cap / 2 - 1);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, cap);
	/* Each refill moves half of what the stack may hold, then doubles it. */
	for (i = 2; i < n; i++) {
		want = slot->cap / 2;
		if (!slot->n) {
			free = mc->nr_free;
			if (2 * free < want)
				free += mc->nelems;
			p[i] = gomem_alloc(512, GFP_KERNEL);
			KUNIT_EXPECT_EQ_MSG(test, (unsigned long)slot->n,
					    min_t(unsigned long, want, free) - 1,
					    "allocation %u", i);
			KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, min(4 * want, max));
		} else {
			p[i] = gomem_alloc(512, GFP_KERNEL);
		}
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, max);
	KUNIT_EXPECT_GT(test, cache_of(cpu)->stats.refills, refills + 3);

	/* The first free after a drain goes to the mcentral... */
	gomem_drain();
	flushes = cache_of(cpu)->stats.flushes;
	gomem_free(p[0]);
	KUNIT_EXPECT_NULL(test, slot->objs);
	/* ... the next fill a stack, then flush the oldest half. */
	for (i = 1; i < n; i++) {
		gomem_free(p[i]);
		KUNIT_EXPECT_LE(test, slot->n, slot->cap);
	}
	KUNIT_EXPECT_GT(test, cache_of(cpu)->stats.flushes, flushes);
	KUNIT_EXPECT_GT(test, (unsigned int)slot->n, 0U);
	/* LIFO: the object freed last comes back first. */
	KUNIT_EXPECT_PTR_EQ(test, gomem_alloc(512, GFP_KERNEL), p[n - 1]);
	gomem_free(p[n - 1]);
	/* A drain frees the stacks, and makes the class cold again. */
	gomem_drain();
	KUNIT_EXPECT_NULL(test, slot->objs);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->warm, 0U);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * slot holds the last slot->n objects of freed[0..nfreed), in the order
 * they were freed, as a flush that gives back the oldest leaves it.
 */
static void expect_newest(struct kunit *test, const struct mcache_slot *slot,
			  void **freed, unsigned int nfreed)
{
	unsigned int j;

	KUNIT_ASSERT_LE(test, (unsigned int)slot->n, nfreed);
	for (j = 0; j < slot->n; j++)
		KUNIT_EXPECT_PTR_EQ_MSG(test, slot->objs[j].p,
					freed[nfreed - slot->n + j],
					"place %u of %u, after %u frees", j,
					(unsigned int)slot->n, nfreed);
}

/*
 * A flush gives back the oldest objects and moves the rest down, in
 * order: after flushes of half and of three quarters of the stack (the
 * kept ones apart from where they go: memcpy()) and of a bulk free's
 * three (overlapping: memmove()), the stack holds the newest objects
 * freed, the last on top.
 */
static void flushes_keep_the_newest_in_order(struct kunit *test)
{
	unsigned int cls = gomem_size_class(SZ_1K), max, n, i, flushes;
	struct gomem_snap *before = gomem_test_snap(test);
	struct mcache_slot *slot;
	u64 start;
	void **p;

	max = gomem_mcentral[cls].cache_cap;
	if (max < 8)
		kunit_skip(test, "needs a class caching 8 objects or more");
	n = 16 * max;
	p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(SZ_1K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	gomem_drain();
	slot = &cache_of(0)->slot[cls];
	start = cache_of(0)->stats.flushes;
	/* The first free after the drain goes to the mcentral, not counted. */
	gomem_free(p[0]);
	/* Until the stack, grown as wide as a stream of frees makes it, is full. */
	for (i = 1; i < n - 3; i++) {
		gomem_free(p[i]);
		expect_newest(test, slot, p + 1, i);
		if (slot->cap == gomem_mcentral[cls].stream_cap && slot->n == slot->cap)
			break;
	}
	KUNIT_ASSERT_LT(test, i, n - 3);
	flushes = cache_of(0)->stats.flushes - start;
	KUNIT_EXPECT_GE(test, flushes, 2U);
	/* A bulk free of three then flushes three. */
	gomem_free_bulk(3, p + i + 1);
	KUNIT_EXPECT_EQ(test, cache_of(0)->stats.flushes, start + flushes + 1);
	expect_newest(test, slot, p + 1, i + 3);
	for (i += 4; i < n; i++)
		gomem_free(p[i]);
	gomem_drain();
	gomem_test_expect_baseline(test, before);
}

/*
 * Frees with no allocation between flush three quarters of a full stack,
 * once the first flush has taken half; a bulk allocation refills as many
 * as it still needs, and a bulk free makes room for all it frees, each
 * in one move where half a stack at a time would take two.
 */
static void streaks_and_bulks_move_more(struct kunit *test)
{
	unsigned int cls = gomem_size_class(1024), cpu = 0, max, n = 0, i;
	struct gomem_snap *before = gomem_test_snap(test);
	struct mcache_slot *slot;
	u64 refills, flushes;
	void **p;

	max = gomem_mcentral[cls].cache_cap;
	if (max < 8 || max > GOMEM_BATCH_MAX)
		kunit_skip(test, "needs a class caching 8 to %d objects", GOMEM_BATCH_MAX);
	p = kunit_kcalloc(test, 8 * max, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_test_pin(test, cpu);
	gomem_drain();
	slot = &cache_of(cpu)->slot[cls];
	/* Grown to its capacity, then emptied by allocations. */
	while (slot->cap < max || slot->n || n < 2 * max) {
		KUNIT_ASSERT_LT(test, n, 6 * max);
		p[n] = gomem_alloc(1024, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[n++]);
	}

	/* Frees: a full stack flushes half, then, still freeing, 3/4. */
	for (i = 0; i <= max; i++)
		gomem_free(p[--n]);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, max - max / 2 + 1);
	while (slot->n < max)
		gomem_free(p[--n]);
	gomem_free(p[--n]);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, max / 4 + 1);

	/* A bulk allocation of a stack's worth, from empty: one refill. */
	while (slot->n) {
		p[n] = gomem_alloc(1024, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[n++]);
	}
	refills = cache_of(cpu)->stats.refills;
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(1024, GFP_KERNEL, max, p + n), (int)max);
	n += max;
	KUNIT_EXPECT_EQ(test, cache_of(cpu)->stats.refills, refills + 1);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, 0U);

	/* A bulk free into a full stack: one flush makes room for it all. */
	gomem_free_bulk(max, p + n - max);
	n -= max;
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, max);
	flushes = cache_of(cpu)->stats.flushes;
	gomem_free_bulk(max / 2 + 2, p + n - (max / 2 + 2));
	n -= max / 2 + 2;
	KUNIT_EXPECT_EQ(test, cache_of(cpu)->stats.flushes, flushes + 1);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, max);

	while (n)
		gomem_free(p[--n]);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk free of more than its stack holds, in a class freed in runs
 * (64 B), and not in whole lock sections: each flush makes room for
 * exactly what the call has still to free, so the stack ends full for
 * the allocations that follow, not with what a section's count left
 * (a stack of 64 with 11 on it before a bulk free of 133 ended with 43,
 * after two flushes as now).
 */
static void a_bulk_free_leaves_its_stack_full(struct kunit *test)
{
	unsigned int cls = gomem_size_class(64), cpu = 0, max, n = 0, i;
	struct gomem_snap *before = gomem_test_snap(test);
	const unsigned int first = 11;
	struct mcache_slot *slot;
	u64 flushes;
	void **p;

	max = gomem_mcentral[cls].cache_cap;
	KUNIT_ASSERT_GT(test, max, first);
	p = kunit_kcalloc(test, 8 * max, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_test_pin(test, cpu);
	gomem_drain();
	slot = &cache_of(cpu)->slot[cls];
	/* Grown to its capacity, then emptied by allocations. */
	while (slot->cap < max || slot->n || n < 2 * max + 5 + first) {
		KUNIT_ASSERT_LT(test, n, 8 * max);
		p[n] = gomem_alloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[n++]);
	}
	for (i = 0; i < first; i++)
		gomem_free(p[--n]);
	KUNIT_ASSERT_EQ(test, (unsigned int)slot->n, first);
	flushes = cache_of(cpu)->stats.flushes;
	gomem_free_bulk(2 * max + 5, p + n - (2 * max + 5));
	n -= 2 * max + 5;
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, max);
	KUNIT_EXPECT_EQ(test, cache_of(cpu)->stats.flushes, flushes + 2);

	while (n)
		gomem_free(p[--n]);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * A class whose stacks hold a few objects (8 KiB: 2): a bulk allocation
 * of more than that comes straight from the mcentral in one refill, not
 * one for every stack's worth, and a bulk free of more than that fills
 * the stack and gives the rest back in one flush, leaving nothing aside.
 */
static void bulks_past_a_small_stack(struct kunit *test)
{
	unsigned int cls = gomem_size_class(SZ_8K), cpu = 0, n = 0, i;
	struct gomem_snap *before = gomem_test_snap(test);
	const unsigned int nr = 20;
	struct mcache_slot *slot;
	u64 refills, flushes;
	void *p[8], *q[20];

	if (gomem_mcentral[cls].cache_cap < 2 || gomem_mcentral[cls].cache_cap >= nr / 2)
		kunit_skip(test, "needs a class whose stacks hold 2 to %u objects", nr / 2 - 1);
	gomem_test_pin(test, cpu);
	gomem_drain();
	slot = &cache_of(cpu)->slot[cls];
	/* A stack, then emptied by allocations. */
	while (!slot->cap || slot->n) {
		KUNIT_ASSERT_LT(test, n, (unsigned int)ARRAY_SIZE(p));
		p[n] = gomem_alloc(SZ_8K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[n++]);
	}

	refills = cache_of(cpu)->stats.refills;
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(SZ_8K, GFP_KERNEL, nr, q), (int)nr);
	KUNIT_EXPECT_EQ(test, cache_of(cpu)->stats.refills, refills + 1);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, 0U);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, gomem_size(q[i]), (size_t)SZ_8K);
		memset(q[i], i, SZ_8K);
	}

	flushes = cache_of(cpu)->stats.flushes;
	gomem_free_bulk(nr, q);
	KUNIT_EXPECT_EQ(test, cache_of(cpu)->stats.flushes, flushes + 1);
	KUNIT_EXPECT_EQ(test, slot->n, slot->cap);
	KUNIT_EXPECT_EQ(test, cache_of(cpu)->naway, 0U);

	while (n)
		gomem_free(p[--n]);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/* Drain every cache, then fill p with nr objects of size: returns nr. */
static unsigned int drain_and_alloc(struct kunit *test, size_t size, void **p,
				    unsigned int nr)
{
	unsigned int n;

	gomem_drain();
	for (n = 0; n < nr; n++) {
		p[n] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[n]);
	}
	return n;
}

/* Free p[0..n) last first, a stream, slot never over what it may hold. */
static void free_in_a_stream(struct kunit *test, struct mcache_slot *slot,
			     void **p, unsigned int n)
{
	while (n) {
		gomem_free(p[--n]);
		KUNIT_EXPECT_LE(test, slot->n, slot->cap);
	}
}

/*
 * An allocation that finds its stack empty has it refilled in place
 * (mcache_refill_held(), interrupts disabled as under the mcache lock)
 * when the stack need not grow and the class has a whole batch FREE:
 * the batch comes straight from the spans, and no span is grown.  With
 * no stack, or fewer FREE than a batch, it moves nothing, and
 * mcache_refill() takes those and, with fewer than half a batch, grows
 * the class by a span for the rest (mcentral_get_some()).
 */
static void refills_in_place(struct kunit *test)
{
	unsigned int cls = gomem_size_class(64), cpu = 0, n, i, want, got, k;
	struct gomem_snap *before = gomem_test_snap(test);
	struct mcentral *mc = &gomem_mcentral[cls];
	unsigned long flags, grown, free;
	struct mcache_slot *slot;
	struct gomem_obj *taken;
	struct mcache *c;
	void **p;

	gomem_test_pin(test, cpu);
	gomem_drain();
	c = cache_of(cpu);
	slot = &c->slot[cls];
	flags = mcache_lock_for_test();
	KUNIT_EXPECT_FALSE(test, mcache_refill_held(c, cls));
	mcache_unlock_for_test(flags);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, 0U);

	/* A stack grown to all it may hold, then FREE objects behind it. */
	n = 4 * mc->cache_cap;
	p = kunit_kcalloc(test, n + 1, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_ASSERT_EQ(test, (unsigned int)slot->cap, (unsigned int)mc->cache_cap);
	for (i = 0; i < n; i++)
		gomem_free(p[i]);
	for (k = 0; slot->n; k++)
		p[k] = gomem_alloc(64, GFP_KERNEL);
	/* The flushed objects back in their spans, FREE: the refill's there. */
	mcentral_xfer_drain();

	grown = mc->nr_grown;
	free = mc->nr_free;
	want = slot->cap / 2;
	KUNIT_ASSERT_GE(test, free, (unsigned long)want);
	flags = mcache_lock_for_test();
	KUNIT_EXPECT_TRUE(test, mcache_refill_held(c, cls));
	mcache_unlock_for_test(flags);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, want);
	KUNIT_EXPECT_EQ(test, mc->nr_grown, grown);
	KUNIT_EXPECT_EQ(test, mc->nr_free, free - want);
	for (i = 0; i < slot->n; i++)
		KUNIT_EXPECT_EQ(test, *(u8 *)slot->objs[i].state,
				gomem_state_cached(1));

	/*
	 * One FREE fewer than half a batch: nothing moved, though the spans
	 * have those, until a refill takes them and grows the class.
	 */
	free = mc->nr_free - (want / 2 - 1);
	taken = kunit_kcalloc(test, free + 1, sizeof(*taken), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, taken);
	for (got = 0; got < free; got += i) {
		i = mcentral_get_held(mc, taken + got, min_t(unsigned long, free - got,
							     GOMEM_BATCH_MAX));
		KUNIT_ASSERT_GT(test, i, 0U);
	}
	KUNIT_ASSERT_EQ(test, mc->nr_free, (unsigned long)want / 2 - 1);
	while (slot->n)
		p[k++] = gomem_alloc(64, GFP_KERNEL);
	flags = mcache_lock_for_test();
	KUNIT_EXPECT_FALSE(test, mcache_refill_held(c, cls));
	mcache_unlock_for_test(flags);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, 0U);
	KUNIT_EXPECT_EQ(test, mc->nr_free, (unsigned long)want / 2 - 1);
	KUNIT_EXPECT_EQ(test, mc->nr_grown, grown);
	p[k] = gomem_alloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[k++]);
	KUNIT_EXPECT_GT(test, mc->nr_grown, grown);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, want - 1);

	mcentral_put(mc, taken, got);
	for (i = 0; i < k; i++)
		gomem_free(p[i]);
	gomem_drain();
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * A stream (MCACHE_STREAM flushes in a row, or as many refills in a row
 * that grow no span) lets a stack grow past its class's cache_cap, up to
 * its stream_cap, and a refill in the stream fills it whole.  Refills
 * that grow the class, as a workload growing to its peak makes, are no
 * stream.  (Waves of frees and allocations that turn are swings:
 * swings_grow_the_stack().)
 */
static void streams_grow_the_stack(struct kunit *test)
{
	unsigned int cls = gomem_size_class(SZ_4K), n, cap, stream;
	struct gomem_snap *before = gomem_test_snap(test);
	const unsigned int nr = 128;
	struct mcache_slot *slot;
	void **p;

	cap = gomem_mcentral[cls].cache_cap;
	stream = gomem_mcentral[cls].stream_cap;
	if (stream <= cap || nr < 8 * stream)
		kunit_skip(test, "needs a class that may cache more in a stream");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	p = kunit_kcalloc(test, nr, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	slot = &cache_of(0)->slot[cls];
	/* No span to reuse after the drain: every refill grows the class. */
	n = drain_and_alloc(test, SZ_4K, p, nr);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, cap);

	/*
	 * Back to their spans, kept, freed on CPU 1, whose flushes make a
	 * stream of its own stack's, not of this one's.  Refills from the
	 * spans the objects left then grow none: a stream.
	 */
	gomem_test_pin(test, 1);
	gomem_free_bulk(n, p);
	gomem_test_pin(test, 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, cap);
	for (n = 0; n < nr && slot->cap < stream; n++) {
		p[n] = gomem_alloc(SZ_4K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[n]);
	}
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, stream);
	/* Emptied by allocations, the stack keeps its size for the refill. */
	while (slot->n) {
		p[n] = gomem_alloc(SZ_4K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[n++]);
	}
	p[n] = gomem_alloc(SZ_4K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[n++]);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n,
			min_t(unsigned int, stream, GOMEM_BATCH_MAX) - 1);

	/* A stack of cache_cap again, and a stream of frees. */
	gomem_free_bulk(n, p);
	n = drain_and_alloc(test, SZ_4K, p, nr);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, cap);
	free_in_a_stream(test, slot, p, n);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, stream);

	/* The drain frees it: the next stack starts small again. */
	gomem_drain();
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, 0U);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * Above PAGE_SIZE, a stack in a stream holds at least GOMEM_STREAM_MIN
 * objects: a stream of frees of 32 KiB objects, whose cache_cap is 1,
 * grows it to GOMEM_STREAM_MIN, and never past what it may hold.  A stack
 * that holds no more, full in the stream, flushes all it holds.
 */
static void streams_grow_a_big_class_stack(struct kunit *test)
{
	unsigned int cls = gomem_size_class(SZ_32K), n, left;
	struct gomem_snap *before = gomem_test_snap(test);
	const unsigned int nr = 6 * GOMEM_STREAM_MIN;
	struct mcache_slot *slot;
	u64 flushes;
	void **p;

	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_mcentral[cls].cache_cap, 1U);
	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_mcentral[cls].stream_cap,
			GOMEM_STREAM_MIN);
	p = kunit_kcalloc(test, nr, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	slot = &cache_of(0)->slot[cls];
	n = drain_and_alloc(test, SZ_32K, p, nr);
	/* Enough left to fill the stack and free one more. */
	left = GOMEM_STREAM_MIN + 1;
	free_in_a_stream(test, slot, p + left, n - left);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, GOMEM_STREAM_MIN);
	n = left;
	while (slot->n < slot->cap)
		gomem_free(p[--n]);
	flushes = cache_of(0)->stats.flushes;
	gomem_free(p[--n]);
	KUNIT_EXPECT_EQ(test, cache_of(0)->stats.flushes, flushes + 1);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, 1U);
	while (n)
		gomem_free(p[--n]);
	gomem_drain();
	gomem_test_expect_baseline(test, before);
}

/*
 * Above PAGE_SIZE, a stream of refills grows a stack past a stream's
 * GOMEM_STREAM_MIN to a big span's objects (refill_limit()), and a
 * refill then takes that many in one round trip; frees on the same CPU
 * after it keep the stack as wide.  But with the least budget, 256 KiB,
 * which cannot hold 16 objects of 32 KiB, the stack stops at a stream's.
 */
static void refill_streams_take_a_big_span(struct kunit *test)
{
	unsigned int cls = gomem_size_class(SZ_32K), n, i, want, round;
	struct gomem_snap *before = gomem_test_snap(test);
	const unsigned int nr = 6 * GOMEM_BIG_SPAN_OBJS;
	unsigned long budget = gomem_mcache_budget;
	struct mcache_slot *slot;
	void **p, **q;
	u64 refills;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	if ((unsigned long)GOMEM_BIG_SPAN_OBJS * SZ_32K > budget)
		kunit_skip(test, "needs a budget that holds a big span of 32 KiB objects");
	KUNIT_ASSERT_EQ(test, (unsigned int)gomem_mcentral[cls].stream_cap,
			GOMEM_STREAM_MIN);
	KUNIT_ASSERT_LT(test, mcache_widest(), (unsigned long)GOMEM_BIG_SPAN_OBJS * SZ_32K);
	p = kunit_kcalloc(test, 3 * nr, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	q = p + 2 * nr;
	slot = &cache_of(0)->slot[cls];
	for (round = 0; round < 2; round++) {
		want = round ? GOMEM_STREAM_MIN : GOMEM_BIG_SPAN_OBJS;
		gomem_drain();
		if (round)
			gomem_mcache_budget = mcache_widest();
		drain_and_alloc(test, SZ_32K, p, 2 * nr);
		KUNIT_EXPECT_LE(test, (unsigned int)slot->cap, want);
		/*
		 * Every other one back from CPU 1: no span empties and goes,
		 * so this CPU's refills from them grow none, a stream.
		 */
		gomem_test_pin(test, 1);
		for (i = 0; i < 2 * nr; i += 2)
			gomem_free(p[i]);
		gomem_test_pin(test, 0);
		for (n = 0; n < nr && (slot->cap < want || slot->refills < MCACHE_STREAM);
		     n++) {
			q[n] = gomem_alloc(SZ_32K, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, q[n]);
			KUNIT_EXPECT_LE(test, (unsigned int)slot->cap, want);
		}
		KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, want);
		while (slot->n && n < nr) {
			q[n] = gomem_alloc(SZ_32K, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, q[n++]);
		}
		KUNIT_ASSERT_LT(test, n, nr);
		/* One round trip brings a big span's objects, or a stream's. */
		refills = cache_of(0)->stats.refills;
		q[n] = gomem_alloc(SZ_32K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q[n++]);
		KUNIT_EXPECT_EQ(test, cache_of(0)->stats.refills, refills + 1);
		KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, want - 1);
		KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, want);
		free_in_a_stream(test, slot, q, n);
		KUNIT_EXPECT_EQ(test, (unsigned int)slot->cap, want);
		KUNIT_EXPECT_LE(test, cache_of(0)->cap_bytes, gomem_mcache_budget);
		for (i = 1; i < 2 * nr; i += 2)
			gomem_free(p[i]);
	}
	gomem_mcache_budget = budget;
	gomem_drain();
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * Allocate p[0..n) of size, then free them: by single calls, last first,
 * or by one bulk call each way.
 */
static void one_wave(struct kunit *test, size_t size, void **p, unsigned int n,
		     bool bulk)
{
	unsigned int i;

	if (bulk) {
		KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(size, GFP_KERNEL, n, p), (int)n);
		gomem_free_bulk(n, p);
		return;
	}
	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	while (n)
		gomem_free(p[--n]);
}

/*
 * A stack that swings, emptied and filled by waves bigger than it, of
 * single calls or of bulk calls, that grow no span (the first, after the
 * drain, grows the class), grows to its swing_cap, never past it, and a
 * wave then takes at most two lock round trips, where it took one for
 * every half stack (a bulk wave, for all it did not hold).  The drain
 * forgets the swings.  The swing_cap is GOMEM_SWING_BYTES, up to
 * GOMEM_MCACHE_MAX objects: four times a stream's at 1 and 2 KiB, and at
 * 4 KiB (stacks of 4, which a bulk free past them flushes as the bigger
 * ones are, not puts aside), and at 8 KiB 32 objects, four times a
 * stream's 8 (stacks of 2; bulk frees put aside what those do not hold,
 * so only single calls swing them).
 */
static void swings_grow(struct kunit *test, size_t size, bool bulk)
{
	unsigned int cls = gomem_size_class(size), cap, wave, k;
	struct gomem_snap *before = gomem_test_snap(test);
	struct mcache_slot *slot;
	u64 trips;
	void **p;

	cap = gomem_mcentral[cls].cache_cap;
	wave = gomem_mcentral[cls].swing_cap;
	if (wave < 4 * cap)
		kunit_skip(test, "needs a class that may cache four times more");
	KUNIT_EXPECT_EQ_MSG(test, wave,
			    min_t(unsigned int, GOMEM_SWING_BYTES / size, GOMEM_MCACHE_MAX),
			    "size %zu", size);
	p = kunit_kcalloc(test, wave, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_drain();
	slot = &cache_of(0)->slot[cls];

	for (k = 0; k < 8; k++) {
		one_wave(test, size, p, wave, bulk);
		KUNIT_EXPECT_LE_MSG(test, (unsigned int)slot->cap, wave, "size %zu", size);
		/* The first wave, after the drain, grows the class: no swing. */
		if (!k)
			KUNIT_EXPECT_EQ_MSG(test, (unsigned int)slot->swings, 0U,
					    "size %zu bulk %d", size, bulk);
	}
	KUNIT_EXPECT_GE_MSG(test, (unsigned int)slot->swings, MCACHE_SWINGS,
			    "size %zu bulk %d", size, bulk);
	KUNIT_EXPECT_EQ_MSG(test, (unsigned int)slot->cap, wave, "size %zu bulk %d",
			    size, bulk);
	trips = cache_of(0)->stats.refills + cache_of(0)->stats.flushes;
	one_wave(test, size, p, wave, bulk);
	KUNIT_EXPECT_LE_MSG(test, cache_of(0)->stats.refills + cache_of(0)->stats.flushes,
			    trips + 2, "size %zu bulk %d", size, bulk);

	gomem_drain();
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->swings, 0U);
	gomem_test_expect_baseline(test, before);
}

static void swings_grow_the_stack(struct kunit *test)
{
	unsigned int cls = gomem_size_class(SZ_2K);

	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_mcentral[cls].swing_cap,
			4U * gomem_mcentral[cls].stream_cap);
	swings_grow(test, SZ_1K, false);
	swings_grow(test, SZ_2K, false);
	swings_grow(test, SZ_4K, false);
	swings_grow(test, SZ_8K, false);
	swings_grow(test, SZ_1K, true);
	swings_grow(test, SZ_2K, true);
	swings_grow(test, SZ_4K, true);
}

/* Swing size's stack on CPU 0 to its swing_cap, by waves of single calls. */
static void swing(struct kunit *test, size_t size, void **p)
{
	unsigned int cls = gomem_size_class(size), k;

	for (k = 0; k < 8; k++)
		one_wave(test, size, p, gomem_mcentral[cls].swing_cap, false);
	KUNIT_EXPECT_EQ_MSG(test, (unsigned int)cache_of(0)->slot[cls].cap,
			    (unsigned int)gomem_mcentral[cls].swing_cap, "size %zu", size);
}

/*
 * A stack swung to its widest holds a batch256 wave of 1 KiB, and moves
 * half of it a lock round trip both ways, GOMEM_HELD_MAX, where a stack
 * of 64 at most moved 32 or 48: each flush of a full stack, and the refill in
 * place of an empty one, whose objects wait FREE in their spans.
 */
static void a_swung_stack_moves_half_a_wave(struct kunit *test)
{
	unsigned int cls = gomem_size_class(SZ_1K), n, i, cap;
	struct gomem_snap *before = gomem_test_snap(test);
	struct mcache_slot *slot;
	unsigned long flags;
	u64 flushes;
	void **p;

	cap = gomem_mcentral[cls].swing_cap;
	KUNIT_ASSERT_EQ(test, cap, 256U);
	p = kunit_kcalloc(test, 2 * cap, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_drain();
	slot = &cache_of(0)->slot[cls];
	swing(test, SZ_1K, p);

	/*
	 * Two waves, freed: the stack fills, and flushes, the first time its
	 * oldest half, then, in a run of flushes, three quarters up to half.
	 */
	for (i = 0; i < 2 * cap; i++) {
		p[i] = gomem_alloc(SZ_1K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	n = slot->n;
	flushes = cache_of(0)->stats.flushes;
	for (i = 0; i < 2 * cap; i++)
		gomem_free(p[i]);
	flushes = cache_of(0)->stats.flushes - flushes;
	KUNIT_EXPECT_GE(test, flushes, 2ULL);
	KUNIT_EXPECT_EQ(test, (u64)(n + 2 * cap - slot->n), flushes * GOMEM_HELD_MAX);

	/* Empty again, with the flushed objects FREE in their spans. */
	for (i = 0; slot->n; i++) {
		p[i] = gomem_alloc(SZ_1K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	mcentral_xfer_drain();
	KUNIT_ASSERT_GE(test, gomem_mcentral[cls].nr_free, (unsigned long)GOMEM_HELD_MAX);
	flags = mcache_lock_for_test();
	KUNIT_EXPECT_TRUE(test, mcache_refill_held(cache_of(0), cls));
	mcache_unlock_for_test(flags);
	KUNIT_EXPECT_EQ(test, (unsigned int)slot->n, (unsigned int)GOMEM_HELD_MAX);
	gomem_free_bulk(i, p);

	gomem_drain();
	gomem_test_expect_baseline(test, before);
}

/* c's cap_bytes is what its stacks may hold, and within the budget. */
static void expect_budget_kept(struct kunit *test, const struct mcache *c)
{
	unsigned long sum = 0;
	unsigned int cls;

	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++)
		sum += (unsigned long)c->slot[cls].cap * gomem_mcentral[cls].size;
	KUNIT_EXPECT_EQ(test, c->cap_bytes, sum);
	KUNIT_EXPECT_LE(test, c->cap_bytes, gomem_mcache_budget);
}

/* Whether c's stack of size's class is freed, its objects given back. */
static bool stack_freed(const struct mcache *c, size_t size)
{
	const struct mcache_slot *slot = &c->slot[gomem_size_class(size)];

	return !slot->objs && !slot->cap && !slot->n;
}

/*
 * Four classes swung to their widest fill a CPU's budget; a fifth that
 * grows past it frees the stack of one of them, and when it does again,
 * it spares a class that moved since the hand last passed it (8 KiB,
 * refilled and flushed by a wave twice its stack) for one that did not
 * (16 KiB), the hand going on from where it stopped.
 */
static void the_budget_bounds_the_stacks(struct kunit *test)
{
	static const size_t wide[] = { SZ_4K, SZ_8K, SZ_16K, SZ_32K };
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned long sum = 0;
	struct mcache *c;
	unsigned int i;
	u64 evictions;
	void **p;

	for (i = 0; i < ARRAY_SIZE(wide); i++)
		sum += (unsigned long)wide[i] *
		       gomem_mcentral[gomem_size_class(wide[i])].swing_cap;
	if (sum != gomem_mcache_budget)
		kunit_skip(test, "needs four classes that fill the budget");
	p = kunit_kcalloc(test, 2 * GOMEM_MCACHE_MAX, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_drain();
	c = cache_of(0);
	KUNIT_EXPECT_EQ(test, c->cap_bytes, 0UL);
	evictions = c->stats.evictions;

	for (i = 0; i < ARRAY_SIZE(wide); i++) {
		swing(test, wide[i], p);
		expect_budget_kept(test, c);
	}
	KUNIT_EXPECT_EQ(test, c->cap_bytes, sum);
	KUNIT_EXPECT_EQ(test, c->stats.evictions, evictions);
	swing(test, SZ_2K, p);
	expect_budget_kept(test, c);
	KUNIT_EXPECT_EQ(test, c->stats.evictions, evictions + 1);
	KUNIT_EXPECT_TRUE(test, stack_freed(c, SZ_4K));
	for (i = 1; i < ARRAY_SIZE(wide); i++)
		KUNIT_EXPECT_FALSE_MSG(test, stack_freed(c, wide[i]), "size %zu",
				       wide[i]);

	one_wave(test, SZ_8K, p, 2 * gomem_mcentral[gomem_size_class(SZ_8K)].swing_cap,
		 false);
	swing(test, SZ_4K, p);
	expect_budget_kept(test, c);
	KUNIT_EXPECT_EQ(test, c->stats.evictions, evictions + 2);
	KUNIT_EXPECT_FALSE(test, stack_freed(c, SZ_8K));
	KUNIT_EXPECT_TRUE(test, stack_freed(c, SZ_16K));
	KUNIT_EXPECT_FALSE(test, stack_freed(c, SZ_32K));
	KUNIT_EXPECT_FALSE(test, stack_freed(c, SZ_2K));

	gomem_drain();
	KUNIT_EXPECT_EQ(test, c->cap_bytes, 0UL);
	gomem_test_expect_baseline(test, before);
}

/* A wave of n single calls of size, c within its budget at every call. */
static void wave_within_budget(struct kunit *test, const struct mcache *c,
			       size_t size, void **p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_LE_MSG(test, c->cap_bytes, gomem_mcache_budget,
				    "size %zu, allocation %u", size, i);
	}
	while (n) {
		gomem_free(p[--n]);
		KUNIT_EXPECT_LE_MSG(test, c->cap_bytes, gomem_mcache_budget,
				    "size %zu, free %u", size, n);
	}
}

/*
 * The least budget mcache_kib may set is the widest stack a class may
 * have, 256 KiB: a stack that grows in it must free every other stack at
 * once, however recently they moved, and it can (two turns of the hand).
 * The case lowers the budget while it runs.
 */
static void the_least_budget_still_makes_room(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned long budget = gomem_mcache_budget, widest = mcache_widest();
	struct mcache *c;
	u64 evictions;
	void **p;

	KUNIT_EXPECT_EQ(test, widest, (unsigned long)SZ_256K);
	KUNIT_EXPECT_LE(test, widest, budget);
	p = kunit_kcalloc(test, 2 * GOMEM_MCACHE_MAX, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_drain();
	c = cache_of(0);
	evictions = c->stats.evictions;
	gomem_mcache_budget = widest;

	swing(test, SZ_4K, p);
	expect_budget_kept(test, c);
	KUNIT_EXPECT_EQ(test, c->cap_bytes, widest);
	/* 4 KiB's stack has just moved: the hand frees it on its second turn. */
	wave_within_budget(test, c, SZ_32K, p, 8);
	swing(test, SZ_32K, p);
	expect_budget_kept(test, c);
	KUNIT_EXPECT_EQ(test, c->cap_bytes, widest);
	KUNIT_EXPECT_TRUE(test, stack_freed(c, SZ_4K));
	KUNIT_EXPECT_EQ(test, c->stats.evictions, evictions + 1);
	wave_within_budget(test, c, SZ_1K, p, 64);
	swing(test, SZ_1K, p);
	expect_budget_kept(test, c);
	KUNIT_EXPECT_TRUE(test, stack_freed(c, SZ_32K));
	KUNIT_EXPECT_EQ(test, c->stats.evictions, evictions + 2);

	gomem_mcache_budget = budget;
	gomem_drain();
	KUNIT_EXPECT_EQ(test, c->cap_bytes, 0UL);
	gomem_test_expect_baseline(test, before);
}

static void remote_frees_are_bounded(struct kunit *test)
{
	static const size_t sizes[] = { 7, 48, 512, 3000 };
	struct gomem_snap *before = gomem_test_snap(test);
	const unsigned int per = 400;
	unsigned int i, k, cls, cached;
	void **p;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	p = kunit_kcalloc(test, per * ARRAY_SIZE(sizes), sizeof(void *),
			  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (k = 0; k < ARRAY_SIZE(sizes); k++)
		for (i = 0; i < per; i++) {
			p[k * per + i] = gomem_alloc(sizes[k], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[k * per + i]);
			gomem_test_fill(p[k * per + i], sizes[k]);
		}
	gomem_test_pin(test, 1);
	for (k = 0; k < ARRAY_SIZE(sizes); k++)
		for (i = 0; i < per; i++) {
			KUNIT_EXPECT_EQ(test, gomem_test_check(p[k * per + i], sizes[k]),
					sizes[k]);
			gomem_free(p[k * per + i]);
		}
	/* CPU 1 freed 1600 objects but holds no more than its capacity. */
	for (cls = 1, cached = 0; cls < GOMEM_NR_SPANCLASSES; cls++) {
		KUNIT_EXPECT_LE(test, cache_of(1)->slot[cls].n,
				cache_of(1)->slot[cls].cap);
		cached += cache_of(1)->slot[cls].n;
	}
	KUNIT_EXPECT_LT(test, cached, per);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * Objects put aside (another node's, or a bulk free's past a small
 * stack) go back to their own class's spans however their classes
 * interleave: mcache_flush_away() sorts them by class and sends each
 * class's run, as long as its count, in one mcentral_put().  On an mcache
 * of the test's own, which no CPU uses; with room to keep every span
 * emptied, so that each class's FREE objects rise by exactly its own.
 */
static void put_away_objects_go_home_by_class(struct kunit *test)
{
	static const size_t sizes[] = { 64, SZ_1K, 96 };
	const unsigned int n = MCACHE_AWAY / ARRAY_SIZE(sizes);
	struct gomem_snap *before = gomem_test_snap(test);
	struct gomem_obj (*o)[MCACHE_AWAY];
	unsigned long nr_free[ARRAY_SIZE(sizes)];
	unsigned int cls[ARRAY_SIZE(sizes)], i, k;
	struct mcentral *mc;
	struct mcache *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	o = kunit_kcalloc(test, ARRAY_SIZE(sizes), sizeof(*o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, o);
	WRITE_ONCE(gomem_reserve_kib, SZ_64K);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		cls[k] = gomem_size_class(sizes[k]);
		mc = &gomem_mcentral[cls[k]];
		KUNIT_ASSERT_EQ(test, mcentral_get(mc, o[k], n, GFP_KERNEL, NUMA_NO_NODE), n);
		nr_free[k] = READ_ONCE(mc->nr_free);
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < ARRAY_SIZE(sizes); k++)
			mcache_put_away(c, cls[k], o[k][i].p, o[k][i].state);
	KUNIT_EXPECT_EQ(test, c->naway, n * (unsigned int)ARRAY_SIZE(sizes));
	for (k = 0; k < ARRAY_SIZE(sizes); k++)
		KUNIT_EXPECT_EQ(test, (unsigned int)c->away_n[cls[k]], n);

	mcache_flush_away(c);
	KUNIT_EXPECT_EQ(test, c->naway, 0U);
	KUNIT_EXPECT_EQ(test, c->stats.flushes, (u64)ARRAY_SIZE(sizes));
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		KUNIT_EXPECT_EQ(test, (unsigned int)c->away_n[cls[k]], 0U);
		KUNIT_EXPECT_EQ_MSG(test, READ_ONCE(gomem_mcentral[cls[k]].nr_free),
				    nr_free[k] + n, "size %zu", sizes[k]);
	}
	gomem_drain();
	gomem_test_expect_baseline(test, before);
}

struct irq_ctx {
	void *mine[5];		/* allocated by the process, freed in the IRQ */
	void *theirs[5];	/* allocated in the IRQ, freed by the process */
	bool hardirq;
	struct completion done;
	struct irq_work work;
	struct hrtimer timer;
};

static const size_t irq_sizes[5] = {
	GOMEM_TINY_REQ_MAX, 64, 700, 4096, 40 * SZ_1K
};

/*
 * A hard hrtimer, except on PREEMPT_RT, where gomem, as kmalloc, may not
 * be called in hard interrupt context: there a plain hrtimer expires in
 * a softirq, and irq_work runs in a per-CPU thread.
 */
#define IRQ_TIMER_MODE \
	(IS_ENABLED(CONFIG_PREEMPT_RT) ? HRTIMER_MODE_REL : HRTIMER_MODE_REL_HARD)

static void irq_body(struct irq_ctx *x)
{
	unsigned int i;

	x->hardirq = in_hardirq();
	for (i = 0; i < ARRAY_SIZE(irq_sizes); i++) {
		gomem_free(x->mine[i]);
		x->theirs[i] = gomem_alloc(irq_sizes[i], GFP_ATOMIC);
		if (x->theirs[i])
			gomem_test_fill(x->theirs[i], irq_sizes[i]);
	}
	complete(&x->done);
}

static void irq_work_fn(struct irq_work *w)
{
	irq_body(container_of(w, struct irq_ctx, work));
}

static enum hrtimer_restart hrtimer_fn(struct hrtimer *t)
{
	irq_body(container_of(t, struct irq_ctx, timer));
	return HRTIMER_NORESTART;
}

static void run_in_hardirq(struct kunit *test, bool timer)
{
	struct irq_ctx *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, x);
	init_completion(&x->done);
	for (i = 0; i < ARRAY_SIZE(irq_sizes); i++) {
		x->mine[i] = gomem_alloc(irq_sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, x->mine[i]);
	}
	if (timer) {
		hrtimer_init(&x->timer, CLOCK_MONOTONIC, IRQ_TIMER_MODE);
		x->timer.function = hrtimer_fn;
		hrtimer_start(&x->timer, ns_to_ktime(10000), IRQ_TIMER_MODE);
	} else {
		init_irq_work(&x->work, irq_work_fn);
		KUNIT_ASSERT_TRUE(test, irq_work_queue(&x->work));
	}
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&x->done, 10 * HZ), 0UL);
	if (!timer)
		irq_work_sync(&x->work);
	KUNIT_EXPECT_EQ(test, x->hardirq, !IS_ENABLED(CONFIG_PREEMPT_RT));
	for (i = 0; i < ARRAY_SIZE(irq_sizes); i++) {
		KUNIT_ASSERT_NOT_NULL(test, x->theirs[i]);
		KUNIT_EXPECT_EQ(test, gomem_test_check(x->theirs[i], irq_sizes[i]),
				irq_sizes[i]);
		gomem_free(x->theirs[i]);
	}
}

static void alloc_and_free_in_hard_irq(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);

	run_in_hardirq(test, false);
	run_in_hardirq(test, true);
	gomem_test_expect_baseline(test, before);
}

/*
 * One kthread per CPU, each allocating mixed sizes, filling them, and
 * trading objects with the others through a shared array, so that most
 * frees happen on another CPU than the allocation.  Each does a fixed
 * number of allocations, so that a slow machine only takes longer.
 */
#define HAMMER_SLOTS	256
#define HAMMER_OPS	10000

struct hammer {
	void *shared[HAMMER_SLOTS];
	atomic_t errors, ops, running;
	struct completion done;
};

static size_t hammer_size(struct rnd_state *rnd)
{
	switch (prandom_u32_state(rnd) % 8) {
	case 0: case 1: case 2:
		return 1 + prandom_u32_state(rnd) % 15;
	case 3:
		return 1 + prandom_u32_state(rnd) % (2 * GOMEM_MAX_SMALL);
	default:
		return 16 + prandom_u32_state(rnd) % 1024;
	}
}

static int hammer_fn(void *data)
{
	struct hammer *h = data;
	struct rnd_state rnd;
	unsigned int i;
	void *p, *old;
	size_t n;

	prandom_seed_state(&rnd, smp_processor_id() + 1);
	for (i = 0; i < HAMMER_OPS; i++) {
		n = hammer_size(&rnd);
		p = gomem_alloc(n, GFP_KERNEL);
		if (!p) {
			atomic_inc(&h->errors);
			break;
		}
		gomem_test_fill(p, gomem_size(p));
		old = xchg(&h->shared[prandom_u32_state(&rnd) % HAMMER_SLOTS], p);
		if (old) {
			n = gomem_size(old);
			if (gomem_test_check(old, n) != n)
				atomic_inc(&h->errors);
			gomem_free(old);
		}
		atomic_inc(&h->ops);
		cond_resched();
	}
	if (atomic_dec_and_test(&h->running))
		complete(&h->done);
	return 0;
}

static void one_kthread_per_cpu(struct kunit *test)
{
	struct hammer *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	struct gomem_snap *before = gomem_test_snap(test);
	struct task_struct *t;
	unsigned int cpu, i;

	KUNIT_ASSERT_NOT_NULL(test, h);
	init_completion(&h->done);
	cpus_read_lock();
	atomic_set(&h->running, num_online_cpus());
	for_each_online_cpu(cpu) {
		t = kthread_create(hammer_fn, h, "gomem_hammer/%u", cpu);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		kthread_bind(t, cpu);
		wake_up_process(t);
	}
	cpus_read_unlock();
	/* A guard against a hang, not a measure. */
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&h->done, 120 * HZ), 0UL);
	KUNIT_EXPECT_EQ(test, atomic_read(&h->errors), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&h->ops),
			HAMMER_OPS * (int)num_online_cpus());
	kunit_info(test, "%d allocations on %u CPUs\n", atomic_read(&h->ops),
		   num_online_cpus());
	for (i = 0; i < HAMMER_SLOTS; i++) {
		if (!h->shared[i])
			continue;
		KUNIT_EXPECT_EQ(test, gomem_test_check(h->shared[i],
						       gomem_size(h->shared[i])),
				gomem_size(h->shared[i]));
		gomem_free(h->shared[i]);
	}
	gomem_test_expect_baseline(test, before);
}

/* Objects cached on a CPU go back to their spans when it goes offline. */
static void offline_cpu_is_drained(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int i, cls;
	void *p[64];
	int err;

	gomem_test_need_cpu1(test, "needs CPU 1");
	gomem_test_pin(test, 1);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		p[i] = gomem_alloc(i % 3 ? 1 + i : 100 * i, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(p); i += 2)
		gomem_free(p[i]);
	KUNIT_EXPECT_NE(test, cache_of(1)->tiny, 0UL);
	gomem_test_pin(test, 0);
	err = remove_cpu(1);
	KUNIT_ASSERT_EQ(test, err, 0);
	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++)
		KUNIT_EXPECT_EQ_MSG(test, cache_of(1)->slot[cls].n, 0U,
				    "class %u", cls);
	KUNIT_EXPECT_EQ(test, cache_of(1)->tiny, 0UL);
	KUNIT_EXPECT_EQ(test, add_cpu(1), 0);
	for (i = 1; i < ARRAY_SIZE(p); i += 2)
		gomem_free(p[i]);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

static struct kunit_case mcache_cases[] = {
	KUNIT_CASE(stacks_grow_with_use),
	KUNIT_CASE(streaks_and_bulks_move_more),
	KUNIT_CASE(flushes_keep_the_newest_in_order),
	KUNIT_CASE(bulks_past_a_small_stack),
	KUNIT_CASE(a_bulk_free_leaves_its_stack_full),
	KUNIT_CASE(refills_in_place),
	KUNIT_CASE(streams_grow_the_stack),
	KUNIT_CASE(streams_grow_a_big_class_stack),
	KUNIT_CASE(refill_streams_take_a_big_span),
	KUNIT_CASE(swings_grow_the_stack),
	KUNIT_CASE(a_swung_stack_moves_half_a_wave),
	KUNIT_CASE(the_budget_bounds_the_stacks),
	KUNIT_CASE(the_least_budget_still_makes_room),
	KUNIT_CASE(remote_frees_are_bounded),
	KUNIT_CASE(put_away_objects_go_home_by_class),
	KUNIT_CASE(alloc_and_free_in_hard_irq),
	KUNIT_CASE_SLOW(one_kthread_per_cpu),
	KUNIT_CASE(offline_cpu_is_drained),
	{}
};

static struct kunit_suite mcache_suite = {
	.name = "gomem_mcache",
	.init = gomem_test_init_held,
	.exit = gomem_test_exit,
	.test_cases = mcache_cases,
};

kunit_test_suite(mcache_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's per-CPU caches, CPUs and contexts");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
