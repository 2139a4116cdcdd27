// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for mcentral.c: batches of distinct objects in the right
 * states, spans moving onto and off the partial list, growth from and
 * return to the mheap, every span class, the start of every object
 * told by its index, and failure to grow; freed large spans kept by class
 * 0 and reused.  The tests use the mcentrals directly, after draining
 * every CPU's cache.
 *
 * Every case starts on CPU 0 (gomem_test_init()), with no scavenger run
 * to come mid-case (gomem_test_init_held()): a get serves the caller's
 * node, from that node's partial spans, kept spans and pools, and a
 * scavenger run would release the kept spans and empty the transfer
 * stacks the cases count.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "gomem_test.h"

static unsigned int state_of(void *p)
{
	struct mspan *s = gomem_test_span(p);

	return mspan_state(s, mspan_index(s, (unsigned long)p));
}

static unsigned long spans_on(struct mcentral *c, struct list_head *list)
{
	unsigned long n = 0, flags;
	struct mspan *s;

	spin_lock_irqsave(&c->lock, flags);
	list_for_each_entry(s, list, node_list)
		n++;
	spin_unlock_irqrestore(&c->lock, flags);
	return n;
}

/* Spans on the partial lists of every node. */
static unsigned long partial_spans(struct mcentral *c)
{
	unsigned long n = 0;
	int node;

	for (node = 0; node < nr_node_ids; node++)
		n += spans_on(c, &c->partial[node]);
	return n;
}

/* The full spans of one class, on no list: see full_spans(). */
struct full_count {
	struct kunit *test;
	struct mcentral *c;
	unsigned long spans, pages, objs;
};

static void count_full(struct mspan *s, void *arg)
{
	struct full_count *f = arg;
	unsigned long flags;
	unsigned int i;

	if (s->spanclass != f->c->spanclass)
		return;
	spin_lock_irqsave(&f->c->lock, flags);
	if (!s->nfree) {
		for (i = 0; i < s->nelems; i++)
			KUNIT_EXPECT_NE(f->test, mspan_state(s, i), GOMEM_OBJ_FREE);
		f->spans++;
		f->pages += s->npages;
		f->objs += s->nelems;
	}
	spin_unlock_irqrestore(&f->c->lock, flags);
}

/* c's spans without a FREE object, found through their pages. */
static struct full_count full_spans(struct kunit *test, struct mcentral *c)
{
	struct full_count f = { .test = test, .c = c };

	mspan_for_each(count_full, &f);
	return f;
}

/* The class's counters against its lists and its full spans, recounted. */
static void expect_consistent(struct kunit *test, struct mcentral *c)
{
	struct full_count full = full_spans(test, c);
	unsigned long spans = full.spans, pages = full.pages, objs = full.objs;
	unsigned long free = 0, empty = 0, flags;
	struct mspan *s;
	unsigned int i, nfree;
	int node;

	spin_lock_irqsave(&c->lock, flags);
	for (node = 0; node < nr_node_ids; node++) {
		list_for_each_entry(s, &c->partial[node], node_list) {
			pages += s->npages;
			objs += s->nelems;
			KUNIT_EXPECT_EQ(test, (int)s->node, node);
			for (nfree = 0, i = 0; i < s->nelems; i++)
				nfree += mspan_state(s, i) == GOMEM_OBJ_FREE;
			KUNIT_EXPECT_EQ(test, nfree, (unsigned int)s->nfree);
			KUNIT_EXPECT_GT(test, nfree, 0U);
			KUNIT_EXPECT_LT(test, nfree, (unsigned int)s->nelems);
			for (i = 0; i < s->hint; i++)
				KUNIT_EXPECT_NE(test, mspan_state(s, i), GOMEM_OBJ_FREE);
			spans++;
			free += nfree;
		}
		for (s = c->empty[node]; s; s = s->next_empty) {
			pages += s->npages;
			objs += s->nelems;
			KUNIT_EXPECT_EQ(test, (int)s->node, node);
			for (nfree = 0, i = 0; i < s->nelems; i++)
				nfree += mspan_state(s, i) == GOMEM_OBJ_FREE;
			KUNIT_EXPECT_EQ(test, nfree, (unsigned int)s->nelems);
			KUNIT_EXPECT_EQ(test, s->nfree, s->nelems);
			spans++;
			empty++;
			free += nfree;
		}
	}
	KUNIT_EXPECT_EQ(test, spans, c->nr_spans);
	KUNIT_EXPECT_EQ(test, pages, c->nr_pages);
	KUNIT_EXPECT_EQ(test, objs, c->nr_objs);
	KUNIT_EXPECT_EQ(test, empty, c->nr_empty);
	KUNIT_EXPECT_EQ(test, free, c->nr_free);
	spin_unlock_irqrestore(&c->lock, flags);
}

/*
 * n objects of one class, checked distinct, CACHED and in place, each
 * with its own state's address.
 */
static struct gomem_obj *get(struct kunit *test, struct mcentral *c,
			     unsigned int n)
{
	struct gomem_obj *objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	unsigned int got = 0, i, j;
	struct mspan *s;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	while (got < n) {
		i = mcentral_get(c, objs + got, min(n - got, (unsigned int)GOMEM_BATCH_MAX),
				 GFP_KERNEL, NUMA_NO_NODE);
		KUNIT_ASSERT_GT(test, i, 0U);
		got += i;
	}
	for (i = 0; i < n; i++) {
		s = gomem_test_span(objs[i].p);
		KUNIT_EXPECT_PTR_EQ(test, objs[i].state,
				    mspan_state_ptr(s, mspan_index(s, (unsigned long)objs[i].p),
						    c->state_width));
		KUNIT_EXPECT_EQ(test, (unsigned int)s->spanclass, c->spanclass);
		KUNIT_EXPECT_EQ(test, ((unsigned long)objs[i].p - s->base) % c->size, 0UL);
		KUNIT_EXPECT_EQ(test, state_of(objs[i].p),
				gomem_state_cached(c->state_width));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_PTR_NE(test, objs[i].p, objs[j].p);
	}
	return objs;
}

static void batches_are_distinct_and_cached(struct kunit *test)
{
	static const unsigned int classes[] = { 2, 3, 9, 24, 38, 44, GOMEM_NR_CLASSES - 1 };
	unsigned int i, k, n;
	struct mcentral *c;
	unsigned long free;
	struct gomem_obj *objs;

	gomem_drain();
	for (k = 0; k < ARRAY_SIZE(classes); k++) {
		c = &gomem_mcentral[classes[k]];
		n = c->nelems + 1;	/* more than one span's worth */
		free = c->nr_free;
		objs = get(test, c, n);
		expect_consistent(test, c);
		KUNIT_EXPECT_GE(test, c->nr_spans, 2UL);
		mcentral_put(c, objs, n);
		for (i = 0; i < n; i++)
			if (gomem_test_span(objs[i].p))
				KUNIT_EXPECT_EQ(test, state_of(objs[i].p),
						GOMEM_OBJ_FREE);
		expect_consistent(test, c);
		mcentral_release_empty(ULONG_MAX);
		KUNIT_EXPECT_EQ(test, c->nr_free, free);
	}
}

/*
 * mcentral_get_held() takes FREE objects from the spans a class holds,
 * under the mcache lock (interrupts off, or on PREEMPT_RT a per-CPU
 * sleeping lock), and never grows the class, of one-byte states or of
 * two-byte: asked for one more than the class has FREE, it moves them
 * all, distinct and CACHED, and nothing more; asked again, none.
 */
static void held_gets_never_grow(struct kunit *test)
{
	static const unsigned int classes[] = { 2, 38, 43 };
	unsigned long flags, grown, free;
	struct gomem_obj *objs, one;
	unsigned int k, got, i, j;
	struct mcentral *c;

	for (k = 0; k < ARRAY_SIZE(classes); k++) {
		c = &gomem_mcentral[classes[k]];
		gomem_drain();
		mcentral_release_empty(ULONG_MAX);
		/* One object, so the class holds a span with FREE objects. */
		KUNIT_ASSERT_EQ(test, mcentral_get(c, &one, 1, GFP_KERNEL,
						   NUMA_NO_NODE), 1U);
		grown = c->nr_grown;
		free = c->nr_free;
		KUNIT_ASSERT_GT(test, free, 0UL);
		objs = kunit_kcalloc(test, free + 1, sizeof(*objs), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs);
		for (got = 0; got < free; got += i) {
			flags = mcache_lock_for_test();
			i = mcentral_get_held(c, objs + got,
					      min_t(unsigned long, free + 1 - got,
						    GOMEM_BATCH_MAX));
			mcache_unlock_for_test(flags);
			KUNIT_ASSERT_GT(test, i, 0U);
		}
		KUNIT_EXPECT_EQ(test, got, (unsigned int)free);
		flags = mcache_lock_for_test();
		KUNIT_EXPECT_EQ(test, mcentral_get_held(c, objs + got, 1), 0U);
		mcache_unlock_for_test(flags);
		KUNIT_EXPECT_EQ(test, c->nr_grown, grown);
		KUNIT_EXPECT_EQ(test, c->nr_free, 0UL);
		for (i = 0; i < got; i++) {
			KUNIT_EXPECT_EQ(test, state_of(objs[i].p),
					gomem_state_cached(c->state_width));
			KUNIT_EXPECT_PTR_NE(test, objs[i].p, one.p);
			for (j = 0; j < i; j++)
				KUNIT_EXPECT_PTR_NE(test, objs[i].p, objs[j].p);
		}
		expect_consistent(test, c);
		mcentral_put(c, objs, got);
		mcentral_put(c, &one, 1);
		expect_consistent(test, c);
		mcentral_release_empty(ULONG_MAX);
	}
}

/*
 * mcentral_get_live() hands out distinct objects of its class, more than
 * a span's worth, each live for its request (1 + the bytes it leaves
 * unused), in one- and two-byte-state classes alike; the caller frees
 * them as any live object, and the class is as it was.  The caller
 * counts them too, as bulk_get() does: gomem_free() counts their frees,
 * and the counters went below zero (gomem's unload then reported
 * 2^64 - 171 objects of 24 bytes "still allocated").
 */
static void live_gets_are_distinct_and_live(struct kunit *test)
{
	static const size_t reqs[] = { 17, 700, 5000 };
	unsigned int k, n, i, j, got, cls;
	struct gomem_snap *before;
	struct mcentral *c;
	unsigned long free;
	void **p;

	gomem_drain();
	mcentral_release_empty(ULONG_MAX);
	before = gomem_test_snap(test);
	for (k = 0; k < ARRAY_SIZE(reqs); k++) {
		cls = gomem_size_class(reqs[k]);
		c = &gomem_mcentral[cls];
		n = c->nelems + 1;
		free = c->nr_free;
		p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		for (got = 0; got < n; got += i) {
			i = mcentral_get_live(c, p + got, reqs[k],
					      min(n - got, (unsigned int)GOMEM_BATCH_MAX),
					      GFP_KERNEL);
			KUNIT_ASSERT_GT(test, i, 0U);
			for (j = 0; j < i; j++)
				gomem_count(cls, c->size - reqs[k] + 1, true);
		}
		expect_consistent(test, c);
		for (i = 0; i < n; i++) {
			KUNIT_EXPECT_EQ(test, (unsigned int)gomem_test_span(p[i])->spanclass,
					c->spanclass);
			KUNIT_EXPECT_EQ(test, state_of(p[i]), c->size - reqs[k] + 1);
			KUNIT_EXPECT_EQ(test, gomem_size(p[i]), (size_t)c->size);
			for (j = 0; j < i; j++)
				KUNIT_EXPECT_PTR_NE(test, p[i], p[j]);
		}
		for (i = 0; i < n; i++)
			gomem_free(p[i]);
		gomem_drain();
		mcentral_release_empty(ULONG_MAX);
		KUNIT_EXPECT_EQ(test, c->nr_free, free);
	}
	KUNIT_EXPECT_EQ(test, gomem_mcentral[gomem_size_class(5000)].state_width, 2);
	gomem_test_expect_baseline(test, before);
}

/*
 * A CPU's flush leaves its objects on its node's transfer stack, CACHED
 * as they were, as far as the stack has room, and the rest FREE in their
 * spans.  A get of several objects takes the newest off the top first
 * (a live get making them live for its request), a get of one never
 * does, and a drain puts what is left back in the spans, FREE, and
 * frees the stack.  Classes above a page have none.
 */
static void flushes_wait_on_a_transfer_stack(struct kunit *test)
{
	unsigned int cls = gomem_size_class(64), cap, i, n;
	struct mcentral *c = &gomem_mcentral[cls];
	struct gomem_obj *objs, *again, one;
	unsigned long free, flags;
	void **p;
	int node;

	KUNIT_EXPECT_EQ(test, gomem_mcentral[gomem_size_class(8192)].xfer_cap, 0);
	KUNIT_EXPECT_EQ(test, gomem_mcentral[GOMEM_TINY_CLASS].xfer_cap, 0);
	cap = c->xfer_cap;
	KUNIT_ASSERT_GE(test, cap, 8U);
	gomem_drain();
	KUNIT_EXPECT_EQ(test, mcentral_xfer_objs(c), 0UL);
	n = cap + 5;
	objs = get(test, c, n);
	free = c->nr_free;
	flags = mcache_lock_for_test();
	mcentral_put_flushed(c, objs, n);
	mcache_unlock_for_test(flags);
	KUNIT_EXPECT_EQ(test, mcentral_xfer_objs(c), (unsigned long)cap);
	KUNIT_EXPECT_EQ(test, c->nr_free, free + 5);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, state_of(objs[i].p),
				i < cap ? gomem_state_cached(1) : GOMEM_OBJ_FREE);
	expect_consistent(test, c);

	KUNIT_ASSERT_EQ(test, mcentral_get(c, &one, 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
	for (i = 0; i < cap; i++)
		KUNIT_EXPECT_PTR_NE(test, one.p, objs[i].p);
	KUNIT_EXPECT_EQ(test, mcentral_xfer_objs(c), (unsigned long)cap);
	again = kunit_kcalloc(test, 4, sizeof(*again), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, again, 4, GFP_KERNEL, NUMA_NO_NODE), 4U);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_PTR_EQ(test, again[i].p, objs[cap - 4 + i].p);
	KUNIT_EXPECT_EQ(test, c->nr_free, free + 4);
	p = kunit_kcalloc(test, 4, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, mcentral_get_live(c, p, 50, 4, GFP_KERNEL), 4U);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_PTR_EQ(test, p[i], objs[cap - 8 + i].p);
		KUNIT_EXPECT_EQ(test, state_of(p[i]), c->size - 50 + 1);
		gomem_count(cls, c->size - 50 + 1, true);
	}
	KUNIT_EXPECT_EQ(test, mcentral_xfer_objs(c), (unsigned long)cap - 8);

	mcentral_xfer_drain();
	KUNIT_EXPECT_EQ(test, mcentral_xfer_objs(c), 0UL);
	for (node = 0; node < nr_node_ids; node++)
		KUNIT_EXPECT_NULL(test, c->xfer[node].objs);
	KUNIT_EXPECT_EQ(test, c->nr_free, free + 4 + cap - 8);
	for (i = 0; i < cap - 8; i++)
		KUNIT_EXPECT_EQ(test, state_of(objs[i].p), GOMEM_OBJ_FREE);
	expect_consistent(test, c);
	for (i = 0; i < 4; i++)
		gomem_free(p[i]);
	mcentral_put(c, again, 4);
	mcentral_put(c, &one, 1);
	gomem_drain();
}

/*
 * A transfer stack has an array only while it holds objects: the take
 * that empties it leaves the array, not freed, as its node's spare, which
 * the next flush of any class there takes, and a drain frees.  A take
 * that leaves objects keeps the array.  Counted by gomem's metadata,
 * which earlier cases' dead spans must leave first: in test-rt, once in
 * eight runs, their grace period ended mid-count, 800 bytes fewer.
 */
static void an_emptied_transfer_stack_leaves_its_array_spare(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(64)];
	struct mcentral *d = &gomem_mcentral[gomem_size_class(512)];
	struct gomem_obj *objs, *dobjs, *array;
	unsigned long flags;
	long meta;
	int node;

	/* The drain closes the batches of dead spans; then they go. */
	gomem_drain();
	rcu_barrier();
	objs = get(test, c, 8);
	dobjs = get(test, d, 4);
	flags = mcache_lock_for_test();
	mcentral_put_flushed(c, objs, 8);
	mcache_unlock_for_test(flags);
	/* The CPU's home node's stack, the one stack with objects. */
	for (node = 0; node < nr_node_ids && !c->xfer[node].objs; node++)
		;
	KUNIT_ASSERT_LT(test, node, (int)nr_node_ids);
	array = c->xfer[node].objs;
	meta = atomic_long_read(&gomem_meta_bytes);

	KUNIT_ASSERT_EQ(test, mcentral_get(c, objs, 4, GFP_KERNEL, NUMA_NO_NODE), 4U);
	KUNIT_EXPECT_PTR_EQ(test, c->xfer[node].objs, array);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, objs + 4, 4, GFP_KERNEL, NUMA_NO_NODE), 4U);
	KUNIT_EXPECT_EQ(test, mcentral_xfer_objs(c), 0UL);
	KUNIT_EXPECT_NULL(test, c->xfer[node].objs);
	/* Spare, not freed: the metadata stays. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_meta_bytes), meta);

	flags = mcache_lock_for_test();
	mcentral_put_flushed(d, dobjs, 4);
	mcache_unlock_for_test(flags);
	KUNIT_EXPECT_PTR_EQ(test, d->xfer[node].objs, array);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_meta_bytes), meta);
	KUNIT_ASSERT_EQ(test, mcentral_get(d, dobjs, 4, GFP_KERNEL, NUMA_NO_NODE), 4U);
	KUNIT_EXPECT_NULL(test, d->xfer[node].objs);

	/* Nothing waits on a stack: the drain frees the spare alone. */
	mcentral_xfer_drain();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_meta_bytes),
			meta - (long)kmalloc_size_roundup(GOMEM_XFER_ARRAY));
	mcentral_put(c, objs, 8);
	mcentral_put(d, dobjs, 4);
	gomem_drain();
}

/* A class whose spans hold few objects shows every move. */
static void spans_move_between_lists(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(2048)];
	unsigned long spans;
	struct gomem_obj *objs;
	unsigned int n;

	gomem_drain();
	spans = c->nr_spans;
	KUNIT_ASSERT_EQ(test, partial_spans(c), 0UL);
	n = c->nelems;
	objs = get(test, c, n);
	KUNIT_EXPECT_EQ(test, c->nr_spans, spans + 1);
	KUNIT_EXPECT_EQ(test, full_spans(test, c).spans, spans + 1);
	mcentral_put(c, objs, 1);
	KUNIT_EXPECT_EQ(test, partial_spans(c), 1UL);
	expect_consistent(test, c);
	/* Taking it again refills the same span. */
	KUNIT_EXPECT_EQ(test, mcentral_get(c, objs, 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
	KUNIT_EXPECT_EQ(test, partial_spans(c), 0UL);
	mcentral_put(c, objs, n);
	/* All back: the span is kept, empty, until released to the mheap. */
	KUNIT_EXPECT_EQ(test, c->nr_spans, spans + 1);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 1UL);
	KUNIT_EXPECT_EQ(test, full_spans(test, c).spans, spans);
	expect_consistent(test, c);
	mcentral_release_empty(ULONG_MAX);
	KUNIT_EXPECT_EQ(test, c->nr_spans, spans);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	expect_consistent(test, c);
}

/*
 * A put lists every span it leaves partial, and no other, whatever the
 * order of its objects: objects of two full spans in turn leave both
 * partial; a run of one span's objects, as a stack flushes them, takes
 * a full span to empty without listing it as partial on the way.
 */
static void puts_list_the_spans_they_leave_partial(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(512)];
	struct gomem_obj *objs, *a, *b, mix[4];
	unsigned long empty;
	unsigned int n, na;

	gomem_drain();
	KUNIT_ASSERT_EQ(test, partial_spans(c), 0UL);
	n = 2 * c->nelems;
	KUNIT_ASSERT_GE(test, c->nelems, 3U);
	objs = get(test, c, n);
	/* Two spans, full: a, its objects first, then b's. */
	a = objs;
	for (na = 0; na < n && gomem_obj_span(&objs[na]) == gomem_obj_span(a); na++)
		;
	b = objs + na;
	KUNIT_ASSERT_EQ(test, na, (unsigned int)gomem_obj_span(a)->nelems);
	KUNIT_ASSERT_EQ(test, n - na, (unsigned int)gomem_obj_span(b)->nelems);
	KUNIT_ASSERT_PTR_NE(test, gomem_obj_span(a), gomem_obj_span(b));
	empty = c->nr_empty;

	mix[0] = a[0];
	mix[1] = b[0];
	mix[2] = a[1];
	mix[3] = b[1];
	mcentral_put(c, mix, ARRAY_SIZE(mix));
	KUNIT_EXPECT_EQ(test, partial_spans(c), 2UL);
	expect_consistent(test, c);
	/* The rest of a in a run, then b's: a empty, b partial, then empty. */
	mcentral_put(c, a + 2, na - 2);
	KUNIT_EXPECT_EQ(test, partial_spans(c), 1UL);
	KUNIT_EXPECT_EQ(test, c->nr_empty, empty + 1UL);
	expect_consistent(test, c);
	mcentral_put(c, b + 2, n - na - 2);
	KUNIT_EXPECT_EQ(test, partial_spans(c), 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_empty, empty + 2UL);
	expect_consistent(test, c);

	/* One full again, emptied by a run of its own. */
	KUNIT_ASSERT_EQ(test, mcentral_get(c, objs, na, GFP_KERNEL, NUMA_NO_NODE), na);
	KUNIT_EXPECT_EQ(test, partial_spans(c), 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_empty, empty + 1UL);
	expect_consistent(test, c);
	mcentral_put(c, objs, na);
	KUNIT_EXPECT_EQ(test, partial_spans(c), 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_empty, empty + 2UL);
	expect_consistent(test, c);
	mcentral_release_empty(ULONG_MAX);
	expect_consistent(test, c);
}

static void grows_from_and_returns_to_the_mheap(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(1000)];
	unsigned long used;
	struct gomem_obj *objs;
	unsigned int n;

	gomem_drain();
	used = gomem_mheap.pages_total - gomem_mheap.pages_free;
	n = 3 * c->nelems;
	objs = get(test, c, n);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total - gomem_mheap.pages_free,
			used + 3 * c->npages);
	mcentral_put(c, objs, n);
	/* Kept, empty, within the pools' surplus; then released. */
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total - gomem_mheap.pages_free,
			used + 3 * c->npages);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 3L * c->npages);
	KUNIT_EXPECT_EQ(test, mcentral_release_empty(ULONG_MAX), 3UL * c->npages);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total - gomem_mheap.pages_free,
			used);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);
}

/*
 * A refill's objects past those its caller takes at once are a guess
 * (mcentral_get_some()): for them the class grows by one span at most,
 * and by none once half of the batch is in hand, but what it holds free
 * is taken all the same; a get of n, mcentral_get(), grows for all n.
 * Two objects a span, so that each rule shows in a few of them; pinned,
 * so that no span this test left partial reads as another CPU's.
 */
static void a_refill_grows_by_one_span_for_a_guess(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(2048)];
	unsigned int per = c->nelems, n = 4 * c->nelems, held = 0;
	struct gomem_obj *objs;
	unsigned long grown;

	gomem_test_pin(test, raw_smp_processor_id());
	gomem_drain();
	KUNIT_ASSERT_EQ(test, per, 2U);
	KUNIT_ASSERT_EQ(test, c->nr_spans, 0UL);
	objs = kunit_kcalloc(test, 3 * n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	grown = c->nr_grown;

	/* Nothing free: one span, for the one object sure to be taken. */
	held += mcentral_get_some(c, objs + held, n, 1, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, held, per);
	KUNIT_EXPECT_EQ(test, c->nr_grown, grown + 1);
	/* All n sure to be taken: it grows for each of them. */
	held += mcentral_get_some(c, objs + held, n, n, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, held, per + n);
	KUNIT_EXPECT_EQ(test, c->nr_grown, grown + 1 + n / per);
	/* Half of n free, in kept spans: taken, and no span grown for more. */
	held -= n / 2;
	mcentral_put(c, objs + held, n / 2);
	KUNIT_EXPECT_EQ(test, mcentral_get_some(c, objs + held, n, 1, GFP_KERNEL),
			n / 2);
	held += n / 2;
	KUNIT_EXPECT_EQ(test, c->nr_grown, grown + 1 + n / per);
	/* Less than half free: taken, and one span grown besides. */
	held -= 1;
	mcentral_put(c, objs + held, 1);
	KUNIT_EXPECT_EQ(test, mcentral_get_some(c, objs + held, n, 1, GFP_KERNEL),
			1 + per);
	held += 1 + per;
	KUNIT_EXPECT_EQ(test, c->nr_grown, grown + 2 + n / per);
	/* A get of n is no guess. */
	KUNIT_EXPECT_EQ(test, mcentral_get(c, objs + held, n, GFP_KERNEL,
					   NUMA_NO_NODE), n);
	held += n;
	KUNIT_EXPECT_EQ(test, c->nr_grown, grown + 2 + 2 * n / per);
	expect_consistent(test, c);
	mcentral_put(c, objs, held);
	expect_consistent(test, c);
	mcentral_release_empty(ULONG_MAX);
	gomem_test_unpin();
}

static void every_span_class(struct kunit *test)
{
	unsigned int cls;
	struct mcentral *c;
	struct gomem_obj *objs;

	gomem_drain();
	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++) {
		c = &gomem_mcentral[cls];
		KUNIT_EXPECT_EQ(test, (unsigned int)c->spanclass, cls);
		KUNIT_EXPECT_GE(test, c->cache_cap, (u16)1);
		KUNIT_EXPECT_LE(test, c->cache_cap, (u16)(2 * GOMEM_BATCH_MAX));
		objs = get(test, c, 2);
		mcentral_put(c, objs, 2);
		expect_consistent(test, c);
	}
	/* Tiny blocks are 16-byte objects with 8 bytes of state each. */
	c = &gomem_mcentral[GOMEM_TINY_CLASS];
	KUNIT_EXPECT_EQ(test, c->size, 16U);
	KUNIT_EXPECT_EQ(test, (unsigned int)c->state_width,
			(unsigned int)GOMEM_TINY_STATE);
	KUNIT_EXPECT_EQ(test, (unsigned int)c->kind, (unsigned int)MSPAN_TINY);
}

/* The smallest request of class cls's own. */
static unsigned int lowest(unsigned int cls)
{
	return max(gomem_classes[cls - 1].size + 1, GOMEM_TINY_REQ_MAX + 1);
}

/*
 * The one-byte states: "live" must never look like CACHED, for a request
 * of the class's own or of a class that borrows from it.
 */
static void states_are_wide_enough(struct kunit *test)
{
	unsigned int cls, lender;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		KUNIT_EXPECT_LT_MSG(test, gomem_classes[cls].size - lowest(cls) + 1,
				    gomem_state_cached(gomem_mcentral[cls].state_width),
				    "class %u", cls);
		lender = gomem_mcentral[cls].lender;
		KUNIT_EXPECT_LT_MSG(test, gomem_classes[lender].size - lowest(cls) + 1,
				    gomem_state_cached(gomem_mcentral[lender].state_width),
				    "class %u borrowing from %u", cls, lender);
	}
}

/*
 * Every class up to a page borrows from its kmalloc bucket, or from no
 * class if it is one, or if the bucket's states cannot hold its requests;
 * none above a page borrows.
 */
static void lenders_are_kmalloc_buckets(struct kunit *test)
{
	unsigned int cls, size, lender, lent = 0;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		size = gomem_classes[cls].size;
		lender = gomem_mcentral[cls].lender;
		if (lender == cls)
			continue;
		lent++;
		KUNIT_EXPECT_LE_MSG(test, size, (unsigned int)PAGE_SIZE, "class %u", cls);
		KUNIT_EXPECT_GT_MSG(test, lender, cls, "class %u", cls);
		KUNIT_EXPECT_TRUE_MSG(test, is_power_of_2(gomem_classes[lender].size) ||
				      gomem_classes[lender].size == 96 ||
				      gomem_classes[lender].size == 192,
				      "class %u borrows %u bytes", cls,
				      gomem_classes[lender].size);
		/* The bucket, no bigger: every class in between is one too. */
		KUNIT_EXPECT_EQ_MSG(test, gomem_mcentral[lender - 1].lender, lender,
				    "class %u", cls);
		KUNIT_EXPECT_LE_MSG(test, gomem_classes[lender].size, 2 * size,
				    "class %u", cls);
	}
	/*
	 * 24, 40-56, 72-88, 104-120, 136-184, 200-240, 288-448 and 1360:
	 * 272 and 584-816 would leave more unused than their bucket's one
	 * byte of state records.
	 */
	KUNIT_EXPECT_EQ(test, lent, 28U);
	KUNIT_EXPECT_EQ(test, gomem_mcentral[gomem_size_class(64)].lender,
			gomem_size_class(64));
	KUNIT_EXPECT_EQ(test, gomem_mcentral[gomem_size_class(48)].lender,
			gomem_size_class(64));
	KUNIT_EXPECT_EQ(test, gomem_mcentral[gomem_size_class(1360)].lender,
			gomem_size_class(2048));
}

/* Allocate n objects of size into p, all of them or fail the test. */
static void alloc_n(struct kunit *test, void **p, unsigned int n, size_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
}

/*
 * A class with no span borrows objects of its lender, GOMEM_LEND_BYTES of
 * them, and then grows a span of its own; once that span is gone, it
 * borrows again.  Here 48-byte requests, whose lender is the 64-byte
 * class: a borrowed object is one of 64 bytes, in that class's row.
 */
static void a_cold_class_borrows_then_grows(struct kunit *test)
{
	unsigned int cls = gomem_size_class(48), lender = gomem_size_class(64);
	unsigned int n = GOMEM_LEND_BYTES / 64, i;
	struct mcentral *c = &gomem_mcentral[cls];
	struct gomem_snap *before = gomem_test_snap(test);
	struct gomem_stats *st;
	void **p = kunit_kcalloc(test, n + 1, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, c->lender, lender);
	KUNIT_ASSERT_EQ(test, before->spans[cls], 0UL);
	atomic_set(&c->borrowed, 0);
	alloc_n(test, p, n + 1, 48);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, (unsigned int)gomem_test_span(p[i])->spanclass,
				    lender, "object %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gomem_size(p[i]), 64UL, "object %u", i);
	}
	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_test_span(p[n])->spanclass, cls);
	KUNIT_EXPECT_EQ(test, gomem_size(p[n]), 48UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans, 1UL);
	st = gomem_test_stats(test);
	KUNIT_EXPECT_EQ(test, gomem_test_live(st, lender),
			gomem_test_live(&before->st, lender) + n);
	KUNIT_EXPECT_EQ(test, st->cls[lender].bytes - before->st.cls[lender].bytes,
			(s64)n * 48);
	KUNIT_EXPECT_EQ(test, gomem_test_live(st, cls),
			gomem_test_live(&before->st, cls) + 1);
	for (i = 0; i <= n; i++)
		gomem_free(p[i]);
	gomem_test_expect_baseline(test, before);

	/* Its span gone, the class is cold again. */
	KUNIT_ASSERT_EQ(test, c->nr_spans, 0UL);
	alloc_n(test, p, 1, 48);
	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_test_span(p[0])->spanclass, lender);
	gomem_free(p[0]);
	gomem_test_expect_baseline(test, before);
}

/*
 * A class that spent its whole budget without ever holding a span may
 * borrow it all again once its lender has no span, when none of what it
 * borrowed can still be live; not while its lender keeps a span.  Else a
 * class asked for a few objects now and then would run out at last and
 * take a page for one.  Here 48-byte requests, whose lender is the
 * 64-byte class.
 */
static void a_lender_gone_cold_renews_its_borrowers(struct kunit *test)
{
	unsigned int cls = gomem_size_class(48), lender = gomem_size_class(64);
	unsigned int n = GOMEM_LEND_BYTES / 64, i;
	struct mcentral *c = &gomem_mcentral[cls], *l = &gomem_mcentral[lender];
	void **p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	void *own;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, c->lender, lender);
	gomem_drain();
	KUNIT_ASSERT_EQ(test, c->nr_spans, 0UL);
	KUNIT_ASSERT_EQ(test, l->nr_spans, 0UL);
	atomic_set(&c->borrowed, 0);
	alloc_n(test, p, n, 48);
	own = gomem_alloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, own);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, (unsigned int)gomem_test_span(p[i])->spanclass,
				    lender, "object %u", i);
		gomem_free(p[i]);
	}
	gomem_drain();
	/* The lender's own object keeps a span: the budget stays spent. */
	KUNIT_EXPECT_GT(test, l->nr_spans, 0UL);
	KUNIT_EXPECT_EQ(test, mcentral_class_for(cls), cls);

	gomem_free(own);
	gomem_drain();
	KUNIT_ASSERT_EQ(test, l->nr_spans, 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans, 0UL);
	alloc_n(test, p, 1, 48);
	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_test_span(p[0])->spanclass, lender);
	gomem_free(p[0]);
	KUNIT_EXPECT_EQ(test, c->nr_spans, 0UL);
}

/*
 * Every class that borrows does so for the smallest request of its own
 * and for its size: the lender's state records each, so that the free
 * takes back exactly the bytes the allocation counted.
 */
static void every_lending_class_lends(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int cls, lender;
	void *p[2];

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		lender = gomem_mcentral[cls].lender;
		if (lender == cls || before->spans[cls])
			continue;
		atomic_set(&gomem_mcentral[cls].borrowed, 0);
		p[0] = gomem_alloc(lowest(cls), GFP_KERNEL);
		p[1] = gomem_alloc(gomem_classes[cls].size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[0]);
		KUNIT_ASSERT_NOT_NULL(test, p[1]);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_span(p[0])->spanclass, lender,
				    "class %u", cls);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_span(p[1])->spanclass, lender,
				    "class %u", cls);
		gomem_free(p[0]);
		gomem_free(p[1]);
	}
	gomem_test_expect_baseline(test, before);
}

static void failed_growth_gives_nothing(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(4096)];
	unsigned long spans;
	struct gomem_obj objs[4];

	gomem_test_no_reserve();
	spans = c->nr_spans;
	gomem_test_fail_after(0, 1);
	KUNIT_EXPECT_EQ(test, mcentral_get(c, objs, 4, GFP_KERNEL, NUMA_NO_NODE), 0U);
	KUNIT_EXPECT_EQ(test, gomem_test_fail_left(true), 0);
	KUNIT_EXPECT_EQ(test, c->nr_spans, spans);
	expect_consistent(test, c);
}

/*
 * A class of few objects grows by its smallest spans while they hold no
 * more pages than one span of its own, then by spans of its own; when the
 * page allocator has no block for one, the smallest serves.  Here
 * 6144-byte objects: one in a 2-page span, two in a 3-page one.
 */
static void spans_start_small_and_fall_back(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(6144)];
	struct gomem_obj o[3];

	KUNIT_ASSERT_GT(test, c->npages, c->min_npages);
	KUNIT_ASSERT_GT(test, 2 * c->min_npages, c->npages);
	gomem_test_no_reserve();
	KUNIT_ASSERT_EQ(test, c->nr_pages, 0UL);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[0], 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
	KUNIT_EXPECT_EQ(test, gomem_obj_span(&o[0])->npages, c->min_npages);
	/* A second small span would make more pages than one of its own. */
	gomem_test_fail_after(0, 1);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[1], 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
	KUNIT_EXPECT_EQ(test, gomem_test_fail_left(true), 0);
	KUNIT_EXPECT_EQ(test, gomem_obj_span(&o[1])->npages, c->min_npages);
	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_obj_span(&o[1])->nelems,
			c->min_npages * (unsigned int)PAGE_SIZE / c->size);
	/* With the block at hand, a span of its own. */
	KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[2], 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
	KUNIT_EXPECT_EQ(test, gomem_obj_span(&o[2])->npages, c->npages);
	KUNIT_EXPECT_EQ(test, (unsigned int)gomem_obj_span(&o[2])->nelems, c->nelems);
	expect_consistent(test, c);
	mcentral_put(c, o, 3);
	expect_consistent(test, c);
	mcentral_release_empty(ULONG_MAX);
	KUNIT_EXPECT_EQ(test, c->nr_pages, 0UL);
}

/* Is an index into a span of npages pages of c's class exact everywhere? */
static bool index_exact(const struct mcentral *c, unsigned int npages)
{
	struct mspan s = { .base = 0, .divmul = c->divmul };
	unsigned int i, objs = npages * PAGE_SIZE / c->size;

	for (i = 1; i <= objs; i++)
		if (mspan_index(&s, i * c->size - 1) != i - 1 ||
		    mspan_index(&s, i * c->size) != i)
			return false;
	return true;
}

/*
 * npages, c's span for objs objects: the fewest of its own spans that
 * hold objs (one fewer holds fewer; the span, whole, may hold more, its
 * spans' tails joined), or as many as its index stays exact in, and exact
 * there.
 */
static void expect_span_for(struct kunit *test, const struct mcentral *c,
			    unsigned int npages, unsigned int objs,
			    unsigned int cls)
{
	unsigned int spans = npages / c->npages;

	KUNIT_EXPECT_EQ_MSG(test, npages % c->npages, 0U, "class %u", cls);
	KUNIT_EXPECT_GT_MSG(test, spans, 1U, "class %u", cls);
	KUNIT_EXPECT_TRUE_MSG(test, index_exact(c, npages), "class %u", cls);
	KUNIT_EXPECT_LT_MSG(test, (spans - 1) * c->nelems, objs, "class %u", cls);
	if (spans * c->nelems < objs)
		KUNIT_EXPECT_FALSE_MSG(test, index_exact(c, npages + c->npages),
				       "class %u", cls);
}

/*
 * Every class above PAGE_SIZE has a big span, for GOMEM_BIG_SPAN_OBJS
 * objects, and a mid span, for GOMEM_MID_SPAN_OBJS; a class up to PAGE_SIZE has
 * only its page.
 */
static void big_spans_are_exact(struct kunit *test)
{
	unsigned int cls;
	struct mcentral *c;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		c = &gomem_mcentral[cls];
		if (c->size <= PAGE_SIZE) {
			KUNIT_EXPECT_EQ(test, c->big_npages, 1U);
			KUNIT_EXPECT_EQ(test, c->mid_npages, 1U);
			continue;
		}
		expect_span_for(test, c, c->big_npages, GOMEM_BIG_SPAN_OBJS, cls);
		expect_span_for(test, c, c->mid_npages, GOMEM_MID_SPAN_OBJS, cls);
	}
}

/*
 * mspan_start() over a span of npages pages of c's class: true, with the
 * object's index, at every object's start, and false one byte past it,
 * halfway and at its last byte; in the span's tail, true only with an
 * index past the last object's that has a state of its own
 * (mspan_states()), which its callers find not live.  Returns the first
 * offset where it is wrong, or 0.
 */
static unsigned long starts_wrong(const struct mcentral *c, unsigned int npages)
{
	const unsigned int size = c->size, objs = npages * PAGE_SIZE / size;
	struct mspan s = {
		.kind = MSPAN_SMALL, .base = 0, .divmul = c->divmul,
		.nelems = objs, .npages = npages,
	};
	const unsigned int past[] = { 1, size / 2, size - 1 };
	unsigned int k, j, idx;
	unsigned long off;

	for (k = 0; k < objs; k++) {
		off = (unsigned long)k * size;
		if (!mspan_start(&s, off, &idx) || idx != k)
			return off ?: ULONG_MAX;
		for (j = 0; j < ARRAY_SIZE(past); j++)
			if (past[j] && mspan_start(&s, off + past[j], &idx))
				return off + past[j];
	}
	for (off = (unsigned long)objs * size; off < npages * PAGE_SIZE; off++)
		if (mspan_start(&s, off, &idx) &&
		    (idx < objs || idx >= mspan_states(&s)))
			return off;
	return 0;
}

/*
 * gomem_free() tells an object's start from an interior pointer by the
 * fraction of its index (divmul_for()): checked at every object of every
 * class, in its span, its big span and its mid span.
 */
static void every_object_start_is_told(struct kunit *test)
{
	unsigned int cls;
	struct mcentral *c;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		c = &gomem_mcentral[cls];
		KUNIT_EXPECT_EQ_MSG(test, starts_wrong(c, c->npages), 0UL,
				    "class %u", cls);
		KUNIT_EXPECT_EQ_MSG(test, starts_wrong(c, c->big_npages), 0UL,
				    "class %u, big span", cls);
		KUNIT_EXPECT_EQ_MSG(test, starts_wrong(c, c->mid_npages), 0UL,
				    "class %u, mid span", cls);
	}
}

/*
 * Put k objects at o, all of one span, and expect c to keep the span,
 * empty, if and only if it holds fewer than below pages without it.
 */
static void expect_kept_below(struct kunit *test, struct mcentral *c,
			      struct gomem_obj *o, unsigned int k,
			      unsigned long below)
{
	unsigned long empty = c->nr_empty, pages = c->nr_pages;
	unsigned long npages = gomem_obj_span(o)->npages;
	bool kept = pages - npages < below;

	mcentral_put(c, o, k);
	KUNIT_EXPECT_EQ(test, c->nr_empty, empty + kept);
	KUNIT_EXPECT_EQ(test, c->nr_pages, kept ? pages : pages - npages);
}

/* The order of c's big span (i 0) or of its mid spans (any other). */
static unsigned int block_order(const struct mcentral *c, unsigned int i)
{
	return get_order((size_t)(i ? c->mid_npages : c->big_npages) << PAGE_SHIFT);
}

/*
 * Free blocks on this CPU's node for c's GOMEM_BIG_SPANS mid spans and its
 * big span, which a growth asks the page allocator for without reclaim or
 * compaction (mcentral_grow()): taken all at once, compacting if need be,
 * and given back.  A guest that has run for minutes may have none at
 * hand: in test-rt, after three minutes of the other suites, a mid or
 * the big span fell back to a small one, in three of 31 runs.  The page
 * allocator splits the smallest free block that serves, so the mid spans
 * leave a block for the big one.
 */
static void blocks_at_hand(struct kunit *test, const struct mcentral *c)
{
	struct page *blocks[GOMEM_BIG_SPANS + 1];
	unsigned int got, i;

	for (got = 0; got < ARRAY_SIZE(blocks); got++) {
		blocks[got] = alloc_pages_node(numa_mem_id(),
					       GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN,
					       block_order(c, got));
		if (!blocks[got])
			break;
	}
	for (i = 0; i < got; i++)
		__free_pages(blocks[i], block_order(c, i));
	KUNIT_ASSERT_EQ_MSG(test, got, (unsigned int)ARRAY_SIZE(blocks),
			    "no free blocks for the mid and big spans");
}

/*
 * A class of thousands of big objects grows by its mid span once it
 * holds GOMEM_BIG_SPANS of them in pages, by its big span once it holds
 * as many of those, and falls back to its smallest span when the page
 * allocator has no block for one: 32 KiB objects, one a span of 8 pages,
 * then 8 a span of 64, then 16 a span of 128.  It keeps an emptied span
 * as long as it would grow by no bigger one without it, and gives back
 * one it has outgrown (mcentral_keeps()).
 */
static void many_big_objects_take_big_spans(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(SZ_32K)];
	const unsigned int mid = GOMEM_MID_SPAN_OBJS,
			   smalls = GOMEM_BIG_SPANS * mid,
			   mids = GOMEM_BIG_SPANS * mid,
			   max = smalls + mids + GOMEM_BIG_SPAN_OBJS + 1;
	unsigned int n = 0, i;
	unsigned long pages;
	struct gomem_obj *o;

	o = kunit_kcalloc(test, max, sizeof(*o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_ASSERT_EQ(test, c->mid_npages, mid * c->npages);
	KUNIT_ASSERT_EQ(test, c->big_npages, GOMEM_BIG_SPAN_OBJS * c->npages);
	gomem_test_no_reserve();
	KUNIT_ASSERT_EQ(test, c->nr_pages, 0UL);
	/* Holding little, the class keeps its emptied small span. */
	KUNIT_ASSERT_EQ(test, mcentral_get(c, o, 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
	mcentral_put(c, o, 1);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 1UL);
	KUNIT_EXPECT_EQ(test, c->nr_pages, (unsigned long)c->min_npages);
	/* Small spans until it holds GOMEM_BIG_SPANS mid spans' pages. */
	while (c->nr_pages < GOMEM_BIG_SPANS * c->mid_npages) {
		KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[n], 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
		KUNIT_EXPECT_EQ(test, gomem_obj_span(&o[n++])->npages, c->min_npages);
	}
	KUNIT_EXPECT_EQ(test, n, smalls);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	blocks_at_hand(test, c);
	/* Mid spans, whole, until it holds GOMEM_BIG_SPANS big spans' pages. */
	for (i = 0; i < mids; i++, n++) {
		KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[n], 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
		KUNIT_EXPECT_EQ(test, gomem_obj_span(&o[n])->npages, c->mid_npages);
		KUNIT_EXPECT_PTR_EQ(test, gomem_obj_span(&o[n]),
				    gomem_obj_span(&o[n - i % mid]));
	}
	KUNIT_EXPECT_EQ(test, c->nr_pages, GOMEM_BIG_SPANS * c->big_npages);
	/* Then a big span, whose objects the next gets take. */
	for (i = 0; i < GOMEM_BIG_SPAN_OBJS; i++, n++) {
		KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[n], 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
		KUNIT_EXPECT_EQ(test, gomem_obj_span(&o[n])->npages, c->big_npages);
		KUNIT_EXPECT_PTR_EQ(test, gomem_obj_span(&o[n]), gomem_obj_span(&o[n - i]));
	}
	/* No block for the next big span: the smallest serves. */
	gomem_test_fail_after(0, 1);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[n], 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
	KUNIT_EXPECT_EQ(test, gomem_test_fail_left(true), 0);
	KUNIT_EXPECT_EQ(test, gomem_obj_span(&o[n++])->npages, c->min_npages);
	expect_consistent(test, c);
	/*
	 * Still growing by big spans without them, the class gives back an
	 * emptied small span and an emptied mid span, and keeps its
	 * emptied big span.
	 */
	pages = c->nr_pages;
	mcentral_put(c, o, 1);
	mcentral_put(c, o + smalls, mid);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_pages, pages - c->min_npages - c->mid_npages);
	expect_kept_below(test, c, o + smalls + mids, GOMEM_BIG_SPAN_OBJS, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 1UL);
	expect_consistent(test, c);
	/*
	 * Mid spans go while the class would grow by big spans without
	 * them, then stay; small spans go while it would grow by mid spans
	 * without them, which leaves it at that threshold.
	 */
	for (i = smalls + mid; i < smalls + mids; i += mid)
		expect_kept_below(test, c, o + i, mid, GOMEM_BIG_SPANS * c->big_npages);
	for (i = 1; i < smalls; i++)
		expect_kept_below(test, c, o + i, 1, GOMEM_BIG_SPANS * c->mid_npages);
	expect_kept_below(test, c, o + n - 1, 1, GOMEM_BIG_SPANS * c->mid_npages);
	KUNIT_EXPECT_EQ(test, c->nr_pages, GOMEM_BIG_SPANS * c->mid_npages);
	KUNIT_EXPECT_GT(test, c->nr_empty, 1UL);
	expect_consistent(test, c);
	mcentral_release_empty(ULONG_MAX);
	KUNIT_EXPECT_EQ(test, c->nr_pages, 0UL);
}

/*
 * A span whose objects all come back is kept, empty, for its class's next
 * growth, while the kept spans and the pools' free pages stay within the
 * pools' surplus; past it, spans go back to the page allocator.  The
 * class's next get reuses a kept span, with no page taken; another
 * class's growth, which the pools cannot serve, takes kept spans' pages
 * before the page allocator's, GOMEM_TAKE_KEPT_PAGES of them and no more,
 * and so does a large object.
 */
static void empty_spans_are_kept_within_the_surplus(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(4096)];
	struct mcentral *other = &gomem_mcentral[gomem_size_class(2048)];
	unsigned int n = gomem_mheap.surplus + 8;
	unsigned long acquired, released, kept, take = GOMEM_TAKE_KEPT_PAGES;
	struct gomem_obj *objs, o[4];
	struct mspan *big;

	gomem_test_no_reserve();
	KUNIT_ASSERT_EQ(test, gomem_mheap.pages_free, 0UL);
	KUNIT_ASSERT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);
	objs = get(test, c, n);
	released = gomem_mheap.pages_released;
	mcentral_put(c, objs, n);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), (long)gomem_mheap.surplus);
	KUNIT_EXPECT_EQ(test, c->nr_empty, (unsigned long)gomem_mheap.surplus);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released - released, 8UL);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, 0UL);
	expect_consistent(test, c);

	acquired = gomem_mheap.pages_acquired;
	KUNIT_ASSERT_EQ(test, mcentral_get(c, o, 1, GFP_KERNEL, NUMA_NO_NODE), 1U);
	KUNIT_EXPECT_EQ(test, c->nr_empty, gomem_mheap.surplus - 1UL);
	mcentral_put(c, o, 1);

	KUNIT_ASSERT_EQ(test, mcentral_get(other, o, 4, GFP_KERNEL, NUMA_NO_NODE), 4U);
	kept = gomem_mheap.surplus - min_t(unsigned long, take, gomem_mheap.surplus);
	KUNIT_EXPECT_EQ(test, c->nr_empty, kept);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), (long)kept);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_acquired, acquired);
	expect_consistent(test, c);
	mcentral_put(other, o, 4);
	KUNIT_EXPECT_EQ(test, other->nr_empty, 2UL);

	/* The lower class first: other's 2 spans, then c's. */
	big = mspan_alloc_large(40 * 1024, NUMA_NO_NODE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, other->nr_empty, 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_empty, kept - min(kept, take - 2));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept),
			(long)(kept - min(kept, take - 2)));
	mspan_free_large(big);
	expect_consistent(test, other);
	expect_consistent(test, c);
}

/*
 * Objects of one class for this test on cpu, from node's spans: n of them
 * into o, which must come.  Only a get of several objects claims.
 */
static void get_on(struct kunit *test, unsigned int cpu, struct mcentral *c,
		   struct gomem_obj *o, unsigned int n, int node)
{
	gomem_test_pin(test, cpu);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, o, n, GFP_KERNEL, node), n);
}

/*
 * The class of these cases, and one node, which both CPUs ask for; skips
 * without CPU 1.
 */
static struct mcentral *claims_class(struct kunit *test, int *node)
{
	gomem_test_need_cpu1(test, "needs CPUs 0 and 1 online");
	*node = first_node(node_states[N_NORMAL_MEMORY]);
	return &gomem_mcentral[gomem_size_class(64)];
}

/* Are the n objects at o all of span s? */
static bool all_of(const struct gomem_obj *o, unsigned int n,
		   const struct mspan *s)
{
	while (n--)
		if (gomem_obj_span(&o[n]) != s)
			return false;
	return true;
}

/*
 * Two CPUs that take objects of one class take them from spans of their
 * own, on one node, and each from its own again next time, though the
 * other's has free objects: sharing a span, each would write cache lines
 * of states the other reads (mcentral_claimed()).
 */
static void cpus_take_from_spans_of_their_own(struct kunit *test)
{
	struct gomem_obj o[8];
	struct mspan *a, *b;
	struct mcentral *c;
	int node;

	c = claims_class(test, &node);
	get_on(test, 0, c, &o[0], 2, node);
	get_on(test, 1, c, &o[2], 2, node);
	get_on(test, 0, c, &o[4], 2, node);
	get_on(test, 1, c, &o[6], 2, node);
	gomem_test_unpin();
	a = gomem_obj_span(&o[0]);
	b = gomem_obj_span(&o[2]);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_TRUE(test, all_of(o, 2, a) && all_of(&o[4], 2, a));
	KUNIT_EXPECT_TRUE(test, all_of(&o[2], 2, b) && all_of(&o[6], 2, b));
	expect_consistent(test, c);
	mcentral_put(c, o, 8);
	expect_consistent(test, c);
}

/*
 * The start of a claims case: CPU 0 took two objects, into o, of span s
 * of class c, its claim, which they leave rest objects; o has room for
 * a span's objects and two more.
 */
struct claims_case {
	struct mcentral *c;
	struct gomem_obj *o, more[2];	/* more: CPU 1's */
	struct mspan *s;
	unsigned int rest;
	int node;
};

static void two_of_cpu0(struct kunit *test, struct claims_case *k)
{
	k->c = claims_class(test, &k->node);
	k->o = kunit_kcalloc(test, k->c->nelems + 2, sizeof(*k->o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k->o);
	get_on(test, 0, k->c, k->o, 2, k->node);
	k->s = gomem_obj_span(&k->o[0]);
	k->rest = READ_ONCE(k->s->nfree);
}

/*
 * A CPU claims one span of a class at a time: the one it left for another
 * is anyone's, and so is every span of a drained CPU's.
 */
static void claims_lapse(struct kunit *test)
{
	struct claims_case k;

	two_of_cpu0(test, &k);
	/* CPU 0 takes the rest of s, then two of the next span, its claim now. */
	get_on(test, 0, k.c, &k.o[2], k.rest, k.node);
	get_on(test, 0, k.c, &k.o[k.rest + 2], 2, k.node);
	KUNIT_ASSERT_TRUE(test, all_of(k.o, k.rest + 2, k.s));
	KUNIT_ASSERT_PTR_NE(test, gomem_obj_span(&k.o[k.rest + 2]), k.s);
	/* s, partial again, is CPU 1's, though CPU 0 took from it last. */
	mcentral_put(k.c, &k.o[2], k.rest);
	get_on(test, 1, k.c, k.more, 2, k.node);
	KUNIT_EXPECT_TRUE(test, all_of(k.more, 2, k.s));
	mcentral_put(k.c, k.more, 2);
	/* Now s is CPU 1's; drained, CPU 1 holds it no more. */
	gomem_drain();
	get_on(test, 0, k.c, k.more, 2, k.node);
	gomem_test_unpin();
	KUNIT_EXPECT_TRUE(test, all_of(k.more, 2, k.s));
	mcentral_put(k.c, k.more, 2);
	mcentral_put(k.c, k.o, 2);
	mcentral_put(k.c, &k.o[k.rest + 2], 2);
	expect_consistent(test, k.c);
}

/*
 * A get of a few objects (no more than GOMEM_STREAM_MIN) that leaves fewer
 * in its last span than it took does not claim it: the CPU's next get
 * would empty it anyway, and another CPU may take from it meanwhile.  A
 * larger get claims it all the same.
 */
static void spans_left_short_are_not_claimed(struct kunit *test)
{
	struct claims_case k;

	two_of_cpu0(test, &k);
	/* Drained, CPU 0 claims nothing; a large get leaves s 3, claimed. */
	KUNIT_ASSERT_GT(test, k.rest - 3, (unsigned int)GOMEM_STREAM_MIN);
	gomem_drain();
	get_on(test, 0, k.c, &k.o[2], k.rest - 3, k.node);
	KUNIT_ASSERT_TRUE(test, all_of(k.o, k.rest - 1, k.s));
	get_on(test, 1, k.c, k.more, 2, k.node);
	KUNIT_EXPECT_FALSE(test, all_of(k.more, 1, k.s));
	mcentral_put(k.c, k.more, 2);
	/* Drained again, a get of 2 leaves s 1, and does not claim it. */
	gomem_drain();
	get_on(test, 0, k.c, &k.o[k.rest - 1], 2, k.node);
	KUNIT_ASSERT_TRUE(test, all_of(&k.o[k.rest - 1], 2, k.s));
	get_on(test, 1, k.c, k.more, 2, k.node);
	gomem_test_unpin();
	KUNIT_EXPECT_TRUE(test, all_of(k.more, 1, k.s));
	mcentral_put(k.c, k.more, 2);
	mcentral_put(k.c, k.o, k.rest + 1);
	expect_consistent(test, k.c);
}

/*
 * A refill that finds only another CPU's span, and no pages at hand to
 * grow by, shares that span rather than fail, even held to its node.
 */
static void claimed_spans_are_shared_without_pages(struct kunit *test)
{
	struct gomem_obj o[4];
	struct mcentral *c;
	unsigned int got;
	int node;

	c = claims_class(test, &node);
	gomem_test_no_reserve();
	get_on(test, 0, c, o, 2, node);
	gomem_test_fail_after(0, 1);
	gomem_test_pin(test, 1);
	got = mcentral_get(c, &o[2], 2, GFP_KERNEL | __GFP_THISNODE, node);
	gomem_test_unpin();
	/* It tried to grow. */
	KUNIT_EXPECT_EQ(test, gomem_test_fail_left(true), 0);
	KUNIT_EXPECT_EQ(test, got, 2U);
	KUNIT_EXPECT_TRUE(test, all_of(&o[2], got, gomem_obj_span(&o[0])));
	mcentral_put(c, o, 2 + got);
	expect_consistent(test, c);
}

/*
 * No class up to PAGE_SIZE ever asks the page allocator for more than an
 * order-0 page: with every request of order 1 or more failing, a span of
 * each such class still comes.
 */
static void one_page_classes_need_order_0(struct kunit *test)
{
	int injected = atomic_read(&gomem_fail.injected);
	struct gomem_obj o;
	unsigned int cls;

	gomem_test_no_reserve();
	WRITE_ONCE(gomem_fail.min_order, 1);
	gomem_test_fail_after(0, -1);
	for (cls = 1; gomem_classes[cls].size <= PAGE_SIZE; cls++) {
		KUNIT_ASSERT_EQ_MSG(test, mcentral_get(&gomem_mcentral[cls], &o, 1, GFP_KERNEL,
						       NUMA_NO_NODE), 1U, "class %u", cls);
		mcentral_put(&gomem_mcentral[cls], &o, 1);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&gomem_fail.injected), injected);
	gomem_test_fail_left(true);
}

/*
 * Objects come from the node asked for, on every node that has memory,
 * and spans go back to their own node's partial list.
 */
static void objects_come_from_the_node_asked(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(512)];
	struct gomem_obj o[GOMEM_BATCH_MAX];
	unsigned int i, n = ARRAY_SIZE(o);
	int node;

	gomem_drain();
	for_each_node_state(node, N_NORMAL_MEMORY) {
		KUNIT_ASSERT_EQ(test, mcentral_get(c, o, n, GFP_KERNEL, node), n);
		for (i = 0; i < n; i++)
			KUNIT_EXPECT_EQ_MSG(test, page_to_nid(virt_to_page(o[i].p)), node,
					    "object %u", i);
		/* One back: its span is partial again, on its node. */
		mcentral_put(c, o, 1);
		KUNIT_EXPECT_GT(test, spans_on(c, &c->partial[node]), 0UL);
		expect_consistent(test, c);
		mcentral_put(c, o + 1, n - 1);
		expect_consistent(test, c);
	}
}

/*
 * Three nodes with memory: *node, the nearest other to it, *near (the
 * lowest-numbered of equals), and a farther one, *far, numbered below
 * near, which a search by number would take first.  False if there are
 * none such, as on two nodes.
 */
static bool near_and_far(int *node, int *near, int *far)
{
	int m;

	for_each_node_state(*node, N_NORMAL_MEMORY) {
		*near = mheap_nearest_memory(*node);
		if (*near == *node)
			continue;
		for_each_node_state(m, N_NORMAL_MEMORY)
			if (m != *node && m < *near &&
			    node_distance(*node, m) > node_distance(*node, *near)) {
				*far = m;
				return true;
			}
	}
	return false;
}

static void spill(int node)
{
	WRITE_ONCE(gomem_mheap.pools[node].spilled, get_jiffies_64());
}

static void unspill(int node)
{
	WRITE_ONCE(gomem_mheap.pools[node].spilled, get_jiffies_64() - GOMEM_SPILL_HOLD);
}

/*
 * A node with no span of its own takes another node's free objects,
 * while it spills or when it cannot grow, and another node's kept large
 * spans while it spills: the nearest node's, where the page allocator
 * put what it grew meanwhile, not a far node's that comes first by
 * number.  Both nodes have a partial span here, and a kept large one.
 */
static void another_nodes_objects_come_from_the_nearest(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(512)];
	struct mcentral *large = &gomem_mcentral[GOMEM_LARGE_CLASS];
	struct gomem_obj o[2], got;
	int node, near, far;
	void *p[2];

	if (!near_and_far(&node, &near, &far))
		kunit_skip(test, "needs a node whose nearest is not the lowest-numbered");
	gomem_test_no_reserve();
	KUNIT_ASSERT_TRUE(test, list_empty(&c->partial[node]) && !c->empty[node]);
	KUNIT_ASSERT_PTR_EQ(test, large->empty[node], NULL);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[0], 1, GFP_KERNEL, far), 1U);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, &o[1], 1, GFP_KERNEL, near), 1U);
	p[0] = gomem_alloc_node(SZ_128K, GFP_KERNEL, far);
	p[1] = gomem_alloc_node(SZ_128K, GFP_KERNEL, near);
	KUNIT_ASSERT_NOT_NULL(test, p[0]);
	KUNIT_ASSERT_NOT_NULL(test, p[1]);
	kunit_info(test, "node %d: nearest %d (distance %d), %d farther (%d)\n", node,
		   near, node_distance(node, near), far, node_distance(node, far));

	/* Spilled: another node's objects before growing. */
	spill(node);
	KUNIT_EXPECT_EQ(test, mcentral_get(c, &got, 1, GFP_KERNEL, node), 1U);
	KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(got.p)), near);
	mcentral_put(c, &got, 1);
	/*
	 * And another node's kept large span, before a new block; at once,
	 * before the scavenger gives the kept spans back.
	 */
	gomem_free(p[0]);
	gomem_free(p[1]);
	spill(node);
	p[0] = gomem_alloc_node(SZ_128K, GFP_KERNEL, node);
	KUNIT_EXPECT_PTR_EQ(test, p[0], p[1]);
	gomem_free(p[0]);
	unspill(node);

	/* Not spilled, but its growth failed: the same. */
	gomem_test_fail_after(0, 1);
	KUNIT_EXPECT_EQ(test, mcentral_get(c, &got, 1, GFP_KERNEL, node), 1U);
	KUNIT_EXPECT_EQ(test, gomem_test_fail_left(true), 0);
	KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(got.p)), near);
	mcentral_put(c, &got, 1);

	mcentral_put(c, o, 2);
	expect_consistent(test, c);
	gomem_drain();
}

/*
 * A large span's first page still names it, as when it was made, and its
 * last byte is still found in it.
 */
static void expect_large_marked(struct kunit *test, struct mspan *s)
{
	unsigned long end = s->base + ((unsigned long)s->npages << PAGE_SHIFT);

	KUNIT_EXPECT_PTR_EQ(test, gomem_test_span((void *)s->base), s);
	KUNIT_EXPECT_PTR_EQ(test, gomem_test_around((void *)(end - 1)), s);
}

/*
 * A freed large span is kept by class 0, whole and marked, within the
 * surplus, and the next large allocation of as many pages on its node
 * takes it back as it is, cleared as new pages would be: no page taken,
 * none given back.  Another size grows instead, and its growth gives the
 * kept span's pages back first; so does the shrinker's give-back, before
 * any pool page, and so does a drain.  A kept span is not live.
 */
static void freed_large_spans_are_kept_and_reused(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[GOMEM_LARGE_CLASS];
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nr_to_scan = 1 };
	size_t size = SZ_64K + 100;
	unsigned long acquired, released, npages;
	struct mspan *s, *t;
	u8 *p;

	gomem_test_no_reserve();
	KUNIT_ASSERT_EQ(test, c->nr_empty, 0UL);
	p = gomem_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = gomem_test_span(p);
	npages = s->npages;
	KUNIT_EXPECT_EQ(test, npages, (unsigned long)PAGE_ALIGN(size) >> PAGE_SHIFT);
	memset(p, 0xa5, size);
	acquired = gomem_mheap.pages_acquired;
	released = gomem_mheap.pages_released;
	gomem_free(p);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 1UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans, 1UL);
	KUNIT_EXPECT_EQ(test, c->nr_pages, npages);
	KUNIT_EXPECT_EQ(test, c->nr_free, 1UL);
	KUNIT_EXPECT_EQ(test, s->nfree, s->nelems);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), (long)npages);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.large_pages), 0L);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->live), 0);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released);
	expect_large_marked(test, s);

	/* The same pages, cleared as __GFP_ZERO asks: no page taken. */
	KUNIT_EXPECT_PTR_EQ(test, gomem_alloc(size - 7, GFP_KERNEL | __GFP_ZERO), p);
	KUNIT_EXPECT_EQ(test, gomem_test_first_not(p, 0, size - 7), size - 7);
	KUNIT_EXPECT_EQ(test, s->req, size - 7);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->live), 1);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans, 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_free, 0UL);
	KUNIT_EXPECT_EQ(test, s->nfree, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.large_pages), (long)npages);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_acquired, acquired);
	expect_large_marked(test, s);

	/* Not cleared without being asked, unless init_on_alloc is on. */
	memset(p, 0xa5, size);
	gomem_free(p);
	KUNIT_EXPECT_PTR_EQ(test, gomem_alloc(size, GFP_KERNEL), p);
	KUNIT_EXPECT_EQ(test, gomem_test_first_not(p, 0xa5, size),
			want_init_on_alloc(GFP_KERNEL) ? 0 : size);
	gomem_free(p);

	/* Another size takes pages anew, the kept span's going first. */
	t = mspan_alloc_large(size + PAGE_SIZE, NUMA_NO_NODE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_PTR_NE(test, t, s);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + npages);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_acquired, acquired + npages + 1);
	KUNIT_EXPECT_EQ(test, cmpxchg(&t->live, 1, 0), 1);
	mspan_free_large(t);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 1UL);

	/* The shrinker gives back a kept span whole, and counts its pages. */
	KUNIT_EXPECT_EQ(test, reclaim_count(NULL, &sc), npages + 1);
	KUNIT_EXPECT_EQ(test, reclaim_scan(NULL, &sc), npages + 1);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);

	/* A drain gives back every kept span. */
	p = gomem_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 1UL);
	released = gomem_mheap.pages_released;
	gomem_drain();
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans, 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_pages, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + npages);
}

/*
 * A large allocation takes a kept span of its node only: on another
 * node's, it grows on its own, and the kept span is given back first.
 */
static void kept_large_spans_stay_on_their_node(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[GOMEM_LARGE_CLASS];
	int node, other;
	struct mspan *s, *t;
	void *p;

	gomem_test_no_reserve();
	/* This CPU's node may have no memory: then the one it takes. */
	node = mheap_memory_node(numa_mem_id());
	other = gomem_test_other_node(test, node);
	p = gomem_alloc_node(SZ_128K, GFP_KERNEL, node);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = gomem_test_span(p);
	gomem_free(p);
	KUNIT_ASSERT_EQ(test, c->nr_empty, 1UL);
	p = gomem_alloc_node(SZ_128K, GFP_KERNEL, other);
	KUNIT_ASSERT_NOT_NULL(test, p);
	t = gomem_test_span(p);
	KUNIT_EXPECT_PTR_NE(test, t, s);
	KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(p)), other);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	gomem_free(p);
	KUNIT_EXPECT_PTR_EQ(test, c->empty[other], t);
	/* The same span, not one made anew: t's struct is not free yet. */
	KUNIT_EXPECT_PTR_EQ(test, gomem_alloc_node(SZ_128K, GFP_KERNEL, other), p);
	KUNIT_EXPECT_PTR_EQ(test, gomem_test_span(p), t);
	gomem_free(p);
}

/*
 * A bulk free of large objects keeps their spans as a batch, the first
 * ones the surplus has room for, and gives the rest back to the page
 * allocator; a bulk allocation of as many pages takes every kept span
 * back, and pages anew only for the rest.  The objects are 1 MiB, so that
 * the room (1/128 of memory) holds only a few of them.
 */
static void large_spans_are_kept_and_reused_in_batches(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[GOMEM_LARGE_CLASS];
	const unsigned long npages = SZ_1M >> PAGE_SHIFT;
	unsigned long acquired, released, fit;
	void *p[GOMEM_BATCH_MAX], *q[GOMEM_BATCH_MAX];
	unsigned int n, i, again = 0;

	gomem_test_no_reserve();
	KUNIT_ASSERT_EQ(test, c->nr_empty, 0UL);
	fit = mheap_keep_room() / npages;
	if (fit < 2 || fit + 3 > GOMEM_BATCH_MAX)
		kunit_skip(test, "room for %lu objects of 1 MiB", fit);
	n = fit + 3;
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(SZ_1M, GFP_KERNEL, n, p), (int)n);
	released = gomem_mheap.pages_released;
	gomem_free_bulk(n, p);
	KUNIT_EXPECT_EQ(test, c->nr_empty, fit);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), (long)(fit * npages));
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + (n - fit) * npages);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.large_pages), 0L);

	acquired = gomem_mheap.pages_acquired;
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(SZ_1M, GFP_KERNEL, n, q), (int)n);
	for (i = 0; i < n; i++)
		again += gomem_test_among(p, n, q[i]);
	KUNIT_EXPECT_GE(test, again, (unsigned int)fit);
	KUNIT_EXPECT_EQ(test, c->nr_empty, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_acquired, acquired + (n - fit) * npages);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.large_pages), (long)(n * npages));
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, gomem_size(q[i]), (size_t)SZ_1M);
	gomem_free_bulk(n, q);
}

static struct kunit_case mcentral_cases[] = {
	KUNIT_CASE(batches_are_distinct_and_cached),
	KUNIT_CASE(live_gets_are_distinct_and_live),
	KUNIT_CASE(held_gets_never_grow),
	KUNIT_CASE(flushes_wait_on_a_transfer_stack),
	KUNIT_CASE(an_emptied_transfer_stack_leaves_its_array_spare),
	KUNIT_CASE(spans_move_between_lists),
	KUNIT_CASE(puts_list_the_spans_they_leave_partial),
	KUNIT_CASE(grows_from_and_returns_to_the_mheap),
	KUNIT_CASE(a_refill_grows_by_one_span_for_a_guess),
	KUNIT_CASE(every_span_class),
	KUNIT_CASE(states_are_wide_enough),
	KUNIT_CASE(lenders_are_kmalloc_buckets),
	KUNIT_CASE(a_cold_class_borrows_then_grows),
	KUNIT_CASE(a_lender_gone_cold_renews_its_borrowers),
	KUNIT_CASE(every_lending_class_lends),
	KUNIT_CASE(failed_growth_gives_nothing),
	KUNIT_CASE(spans_start_small_and_fall_back),
	KUNIT_CASE(big_spans_are_exact),
	KUNIT_CASE(every_object_start_is_told),
	KUNIT_CASE(many_big_objects_take_big_spans),
	KUNIT_CASE(empty_spans_are_kept_within_the_surplus),
	KUNIT_CASE(one_page_classes_need_order_0),
	KUNIT_CASE(cpus_take_from_spans_of_their_own),
	KUNIT_CASE(claims_lapse),
	KUNIT_CASE(spans_left_short_are_not_claimed),
	KUNIT_CASE(claimed_spans_are_shared_without_pages),
	KUNIT_CASE(objects_come_from_the_node_asked),
	KUNIT_CASE(another_nodes_objects_come_from_the_nearest),
	KUNIT_CASE(freed_large_spans_are_kept_and_reused),
	KUNIT_CASE(kept_large_spans_stay_on_their_node),
	KUNIT_CASE(large_spans_are_kept_and_reused_in_batches),
	{}
};

static struct kunit_suite mcentral_suite = {
	.name = "gomem_mcentral",
	.init = gomem_test_init_held,
	.exit = gomem_test_exit,
	.test_cases = mcentral_cases,
};

kunit_test_suite(mcentral_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's mcentral");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
