/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by gomem's KUnit suites: a byte pattern
 * that depends on each byte's address, so that objects that overlap spoil
 * each other's pattern, and snapshots of the allocator's counters, so
 * that a test can check that everything it did was undone.
 */
#ifndef _GOMEM_TEST_H
#define _GOMEM_TEST_H

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/cpumask.h>
#include <linux/hw_breakpoint.h>

#include "gomem.h"
#include "gomem_internal.h"

static inline u8 gomem_test_byte(const void *p, size_t i)
{
	unsigned long a = (unsigned long)p + i;

	return (u8)(a ^ (a >> 8) ^ (a >> 16) ^ 0x5a);
}

static inline void gomem_test_fill(void *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		((u8 *)p)[i] = gomem_test_byte(p, i);
}

/* Index of the first byte that does not hold the pattern, or n. */
static inline size_t gomem_test_check(const void *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((const u8 *)p)[i] != gomem_test_byte(p, i))
			return i;
	return n;
}

/*
 * Index of the first byte at "now" that does not hold the pattern filled
 * in at "was" (where a realloc moved it from), or n.
 */
static inline size_t gomem_test_moved(const void *now, const void *was,
				      size_t n)
{
	size_t i;

	for (i = 0; i < n && ((const u8 *)now)[i] == gomem_test_byte(was, i); i++)
		;
	return i;
}

/*
 * Raw access, through gomem's KASAN marks, for the tests that look at
 * freed memory or past an object's request on purpose.  The index of the
 * first of n bytes at p that is not c, or n; and a memset.
 */
static inline size_t gomem_test_first_not(const void *p, u8 c, size_t n)
{
	size_t i;

	kasan_disable_current();
	for (i = 0; i < n && ((const u8 *)p)[i] == c; i++)
		;
	kasan_enable_current();
	return i;
}

static inline void gomem_test_set(void *p, u8 c, size_t n)
{
	kasan_disable_current();
	memset(p, c, n);
	kasan_enable_current();
}

/* find(p), in the RCU-sched read section that span lookups need. */
static inline struct mspan *gomem_test_find(struct mspan *(*find)(unsigned long),
					    const void *p)
{
	struct mspan *s;

	rcu_read_lock_sched();
	s = find((unsigned long)p);
	rcu_read_unlock_sched();
	return s;
}

/* The span of a pointer by its page's mark, or NULL; safe for any pointer. */
static inline struct mspan *gomem_test_span(const void *p)
{
	return gomem_test_find(gomem_span_of, p);
}

/*
 * The span whose pages hold p, marked or not (mspan_around()), or NULL;
 * safe for any pointer.
 */
static inline struct mspan *gomem_test_around(const void *p)
{
	return gomem_test_find(mspan_around, p);
}

/*
 * The node whose memory cpu's allocations get: its own, or if that has
 * none, the nearest that has.
 */
static inline int gomem_test_home(unsigned int cpu)
{
	return mheap_memory_node(cpu_to_node(cpu));
}

/* How many of the n objects at p sit on node. */
static inline unsigned int gomem_test_on_node(void *const *p, unsigned int n,
					      int node)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		k += page_to_nid(virt_to_page(p[i])) == node;
	return k;
}

/*
 * n objects of size asked of node with gomem_alloc_node() into p: every
 * one must sit on node, or if node has no memory, on the nearest node
 * that has, and keep its pattern; then freed.
 */
static inline void gomem_test_expect_node(struct kunit *test, void **p,
					  unsigned int n, size_t size, int node)
{
	int on = mheap_memory_node(node);
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc_node(size, GFP_KERNEL, node);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		gomem_test_fill(p[i], size);
	}
	KUNIT_EXPECT_EQ_MSG(test, gomem_test_on_node(p, n, on), n,
			    "size %zu, node %d, on node %d", size, node, on);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, gomem_test_check(p[i], size), size);
		gomem_free(p[i]);
	}
}

/*
 * The node with normal memory nearest to node, other than node, where the
 * page allocator falls back to first; or skip the case.
 */
static inline int gomem_test_other_node(struct kunit *test, int node)
{
	int other = mheap_nearest_memory(node);

	if (other == node)
		kunit_skip(test, "needs two nodes with memory");
	return other;
}

/*
 * A data watchpoint on len bytes at addr, read or written, on every CPU:
 * handler(ctx) runs in the debug exception of the CPU that made the
 * access, after it.
 */
static inline struct perf_event * __percpu *
gomem_test_watch(unsigned long addr, unsigned int len,
		 perf_overflow_handler_t handler, void *ctx)
{
	struct perf_event_attr attr;

	hw_breakpoint_init(&attr);
	attr.bp_addr = addr;
	attr.bp_len = len;
	attr.bp_type = HW_BREAKPOINT_RW;
	return register_wide_hw_breakpoint(&attr, handler, ctx);
}

/* Skip the calling test, with why, unless CPU 1 is online besides CPU 0. */
static inline void gomem_test_need_cpu1(struct kunit *test, const char *why)
{
	if (num_online_cpus() < 2 || !cpu_online(1))
		kunit_skip(test, "%s", why);
}

/* Run the calling test on one CPU, or anywhere again. */
static inline void gomem_test_pin(struct kunit *test, unsigned int cpu)
{
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)), 0);
	KUNIT_ASSERT_EQ(test, raw_smp_processor_id(), cpu);
}

static inline void gomem_test_unpin(void)
{
	set_cpus_allowed_ptr(current, cpu_possible_mask);
}

/* The summed counters, read now. */
static inline struct gomem_stats *gomem_test_stats(struct kunit *test)
{
	struct gomem_stats *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, st);
	gomem_stats_read(st);
	return st;
}

struct gomem_snap {
	struct gomem_stats st;
	unsigned long pages_total, pages_free, nr_large, large_pages;
	unsigned long spans[GOMEM_NR_SPANCLASSES];
	unsigned long free_objs[GOMEM_NR_SPANCLASSES];
};

/* n objects of size bytes, every one served, in an array of the test's. */
static inline void **gomem_test_alloc_many(struct kunit *test, size_t size,
					   unsigned int n)
{
	void **p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	return p;
}

/* Drain every CPU's cache, then read every counter. */
static inline struct gomem_snap *gomem_test_snap(struct kunit *test)
{
	struct gomem_snap *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned int cls;

	KUNIT_ASSERT_NOT_NULL(test, s);
	gomem_drain();
	gomem_stats_read(&s->st);
	spin_lock_irq(&gomem_mheap.lock);
	s->pages_total = gomem_mheap.pages_total;
	s->pages_free = gomem_mheap.pages_free;
	s->nr_large = atomic_long_read(&gomem_mheap.nr_large);
	s->large_pages = atomic_long_read(&gomem_mheap.large_pages);
	spin_unlock_irq(&gomem_mheap.lock);
	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++) {
		spin_lock_irq(&gomem_mcentral[cls].lock);
		s->spans[cls] = gomem_mcentral[cls].nr_spans;
		s->free_objs[cls] = gomem_mcentral[cls].nr_free;
		spin_unlock_irq(&gomem_mcentral[cls].lock);
	}
	return s;
}

static inline s64 gomem_test_live(const struct gomem_stats *st,
				  unsigned int cls)
{
	return st->cls[cls].allocs - st->cls[cls].frees;
}

/*
 * Everything allocated since "before" has been freed: no object is live
 * that was not live then, and every page and span is back.
 */
static inline void gomem_test_expect_baseline(struct kunit *test,
					      const struct gomem_snap *before)
{
	struct gomem_snap *now = gomem_test_snap(test);
	unsigned int cls;

	for (cls = 0; cls < GOMEM_NR_SPANCLASSES; cls++) {
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_live(&now->st, cls),
				    gomem_test_live(&before->st, cls),
				    "live objects in class %u", cls);
		KUNIT_EXPECT_EQ_MSG(test, now->st.cls[cls].bytes,
				    before->st.cls[cls].bytes,
				    "requested bytes in class %u", cls);
		KUNIT_EXPECT_EQ_MSG(test, now->spans[cls], before->spans[cls],
				    "spans of class %u", cls);
		KUNIT_EXPECT_EQ_MSG(test, now->st.cached[cls], 0UL,
				    "objects cached in class %u after a drain",
				    cls);
	}
	KUNIT_EXPECT_EQ(test, now->st.tiny.allocs - now->st.tiny.frees,
			before->st.tiny.allocs - before->st.tiny.frees);
	KUNIT_EXPECT_EQ(test, now->st.tiny.bytes, before->st.tiny.bytes);
	KUNIT_EXPECT_EQ(test, now->pages_total - now->pages_free,
			before->pages_total - before->pages_free);
	KUNIT_EXPECT_EQ(test, now->nr_large, before->nr_large);
	KUNIT_EXPECT_EQ(test, now->large_pages, before->large_pages);
}

/* p, of s bytes, has the alignment gomem.h promises for that size. */
static inline void gomem_test_check_alignment(struct kunit *test, void *p,
					      size_t s)
{
	/* Small and large: 8; tiny: 4 or 2 if that divides the size. */
	unsigned long want = s > GOMEM_TINY_REQ_MAX ? 8 : s % 4 == 0 ? 4 :
			     s % 2 == 0 ? 2 : 1;
	unsigned long a = (unsigned long)p;

	KUNIT_EXPECT_EQ_MSG(test, a % want, 0UL, "size %zu at %p", s, p);
	if (is_power_of_2(s) && s <= PAGE_SIZE)
		KUNIT_EXPECT_EQ_MSG(test, a % s, 0UL, "size %zu at %p", s, p);
}

/*
 * Objects of every size up to two pages, all live at once, allocated in
 * an order that puts tiny objects at every offset of their blocks, then
 * 16 more of each power of two up to a page, so that each of those sits
 * at several places of its spans; each checked for its alignment.
 */
static inline void gomem_test_alignment(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int n = 2 * PAGE_SIZE, more = 16 * (PAGE_SHIFT - 2), i;
	void **p = kunit_kcalloc(test, n + 1 + more, sizeof(void *), GFP_KERNEL);
	size_t s;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 1; i <= n + more; i++) {
		/* 1, 2, 3, ... 15, then all the rest, then 8, 16, ... 16 times. */
		if (i > n)
			s = 8UL << (i - n - 1) / 16;
		else
			s = i <= 15 * 15 ? (i - 1) % 15 + 1 : i;
		p[i] = gomem_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		gomem_test_check_alignment(test, p[i], s);
	}
	for (i = 1; i <= n + more; i++)
		gomem_free(p[i]);
	gomem_test_expect_baseline(test, before);
}

/*
 * Through fail_gomem, let the next "passes" requests to the page
 * allocator through, then fail "fails" of them.
 */
static inline void gomem_test_fail_after(int passes, int fails)
{
	atomic_set(&gomem_fail.interval, 1);
	atomic_set(&gomem_fail.space, passes);
	atomic_set(&gomem_fail.times, fails);
	atomic_set(&gomem_fail.probability, 100);
}

/* Failures still to come; and with "off", none from now on. */
static inline int gomem_test_fail_left(bool off)
{
	int left = atomic_read(&gomem_fail.times);

	if (off) {
		atomic_set(&gomem_fail.probability, 0);
		atomic_set(&gomem_fail.space, 0);
		atomic_set(&gomem_fail.times, -1);
		WRITE_ONCE(gomem_fail.min_order, 0);
	}
	return left;
}

/*
 * Use size's class once on this CPU, so that it is warm (see struct
 * mcache_slot): from now on until a drain, this CPU's frees of it land on
 * its stack, and the next allocation pops the object freed last.
 */
static inline void gomem_test_warm(size_t size)
{
	gomem_free(gomem_alloc(size, GFP_KERNEL));
}

/*
 * Serve every request from its own class until the case ends, for the
 * cases about classes: no cold class borrows its kmalloc bucket's objects.
 */
static inline void gomem_test_own_classes(void)
{
	WRITE_ONCE(gomem_lend, false);
}

/* Keep freed pages with gomem, not the page allocator, until the case ends. */
static inline void gomem_test_keep_pages(struct kunit *test)
{
	WRITE_ONCE(gomem_reserve_kib, 64 * 1024);
}

/* Give back every free page gomem holds, and keep none from now on. */
static inline void gomem_test_no_reserve(void)
{
	WRITE_ONCE(gomem_reserve_kib, 0);
	gomem_drain();
	reclaim_trim();
	/* A scavenger an earlier step scheduled must not run mid-count. */
	reclaim_scavenger_sync();
}

/*
 * Schedule no scavenger run until the case ends (gomem_test_exit()), and
 * let none scheduled before run mid-case: for a case that counts what a
 * run would change (the objects on a transfer stack, the kept spans, the
 * pools' pages) half a second after the free that scheduled it, a long
 * time for a guest whose vCPU the host may stall.
 */
static inline void gomem_test_hold_scavenger(void)
{
	WRITE_ONCE(gomem_reclaim_live, false);
	reclaim_scavenger_sync();
}

/*
 * Undo gomem_test_hold_scavenger(): frees schedule the scavenger again,
 * and a write of reserve_kib trims.  gomem_test_exit() does it for every
 * case.
 */
static inline void gomem_test_release_scavenger(void)
{
	WRITE_ONCE(gomem_reclaim_live, true);
}

/* Is p among the n pointers of ps? */
static inline bool gomem_test_among(void *const *ps, unsigned int n,
				    const void *p)
{
	while (n--)
		if (ps[n] == p)
			return true;
	return false;
}

/* Reports of bad input gomem has made since it was loaded. */
static inline int gomem_test_reports(void)
{
	int i, n = 0;

	for (i = 0; i < GOMEM_BAD_NR; i++)
		n += atomic_read(&gomem_reports[i]);
	return n;
}

/*
 * Every suite's per-case init and exit.  A case may lower or raise the
 * page reserve, turn lending off, hold the scavenger off or arm
 * fail_gomem; however it ends, even on a failed assertion, the next case
 * starts with the reserve and the lending it found, the scavenger
 * scheduled as ever, no fault armed, and every cache drained and surplus
 * page released.  A case that
 * makes gomem report bad input says so first (gomem_test_expect_reports);
 * any other case fails if gomem reported anything while it ran.
 *
 * Every case starts on CPU 0, and moves only where it says: what gomem
 * does for a request of no node is its CPU's node's (partial spans,
 * kept spans, pools, the CPU's own cache), and a case that counts such
 * things must not move to another node mid-count.  Each case runs in a
 * kthread of its own, which KUnit starts unpinned; in test-rt, whose
 * preemptible tasks move between CPUs more often, unpinned cases of the
 * mcentral and mheap suites found a span more, another node's kept spans
 * taken, or pages taken from another node's pool, which the mheap case
 * then gave back to the pool where it expected them, corrupting it (3
 * mcentral failures in 31 runs of every suite, and one mheap failure, in
 * best_fit, that hung the guest).
 */
static unsigned int gomem_test_reserve;
static bool gomem_test_lend;
static int gomem_test_reports_before;
static bool gomem_test_reports_expected;

static inline void gomem_test_expect_reports(struct kunit *test)
{
	gomem_test_reports_expected = true;
}

static inline int gomem_test_init(struct kunit *test)
{
	gomem_test_reserve = gomem_reserve_kib;
	gomem_test_lend = gomem_lend;
	gomem_test_reports_before = gomem_test_reports();
	gomem_test_reports_expected = false;
	gomem_test_pin(test, 0);
	return 0;
}

/*
 * gomem_test_init() for the suites whose cases count what a scavenger run
 * would change, and need none: the mcentral's kept spans and transfer
 * stacks, a CPU's lock round trips, the kind of a stale pointer (a kept
 * large span released turns a double free into a foreign one).  Half a
 * second is short for a guest whose vCPU a loaded host stalls; with a
 * GOMEM_SCAVENGE_DELAY of one jiffy, which is what such a stall amounts
 * to, a case of each of these suites failed without the hold.  The
 * scavenger's own cases are gomem_reclaim's and gomem_mheap's.
 */
static inline int gomem_test_init_held(struct kunit *test)
{
	gomem_test_hold_scavenger();
	return gomem_test_init(test);
}

static inline void gomem_test_exit(struct kunit *test)
{
	if (!gomem_test_reports_expected)
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_reports(), gomem_test_reports_before,
				    "gomem reported bad input this case does not make");
	gomem_test_fail_left(true);
	gomem_test_release_scavenger();
	WRITE_ONCE(gomem_reserve_kib, gomem_test_reserve);
	WRITE_ONCE(gomem_lend, gomem_test_lend);
	gomem_drain();
	reclaim_trim();
}

#endif /* _GOMEM_TEST_H */
