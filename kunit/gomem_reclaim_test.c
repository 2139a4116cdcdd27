// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for reclaim.c: the shrinker counts what it could free and
 * frees what it is asked, pools first and caches only if they fall
 * short; the scavenger gives an idle surplus back within a second, and a
 * write of reserve_kib at once.  The pool-level rules of the reserve are
 * mheap's suite's.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/delay.h>
#include <linux/sizes.h>
#include <linux/kthread.h>

#include "gomem_test.h"

/*
 * Objects of size, freed: with a reserve that keeps every page, their
 * spans go to the pools and the last ones freed stay in this CPU's cache.
 * No assertion: a_write_waits_for() calls it with a kthread
 * waiting for it.  Whether all n were served.
 */
static bool serve_and_free(struct kunit *test, size_t size, unsigned int n)
{
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i, got;

	KUNIT_EXPECT_NOT_NULL(test, p);
	if (!p)
		return false;
	for (got = 0; got < n; got++) {
		p[got] = gomem_alloc(size, GFP_KERNEL);
		if (!p[got])
			break;
	}
	KUNIT_EXPECT_EQ(test, got, n);
	for (i = 0; i < got; i++)
		gomem_free(p[i]);
	/*
	 * What the flushes left on the transfer stacks back in the spans,
	 * as the scavenger would: the spans that empties are kept.
	 */
	mcentral_xfer_drain();
	kunit_kfree(test, p);
	return got == n;
}

/* The pool pages a case trims the surplus below down to. */
#define SURPLUS_KEEP	16UL

/*
 * A surplus of free pages, all in the pools (256 spans of a page), with
 * the reserve keeping every one and no scavenger pending: what a trim
 * would give back, more than SURPLUS_KEEP pages.
 */
static void make_a_surplus(struct kunit *test)
{
	gomem_test_no_reserve();
	gomem_test_keep_pages(test);
	serve_and_free(test, 4096, 256);
	gomem_drain();
	reclaim_scavenger_sync();
	KUNIT_ASSERT_GT(test, gomem_mheap.pages_free, SURPLUS_KEEP);
}

/* Write reserve_kib as the shell does, through the parameter's set op. */
static int write_reserve(const char *val)
{
	struct kernel_param kp = { .arg = &gomem_reserve_kib };

	return reclaim_reserve_set(val, &kp);
}

static unsigned long scan(unsigned long n)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nr_to_scan = n };

	return reclaim_scan(NULL, &sc);
}

static unsigned long count(void)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };

	return reclaim_count(NULL, &sc);
}

/*
 * count_objects is the pools' pages plus the cached objects' bytes in
 * pages, rounded up; scan_objects gives back what it is asked from the
 * pools alone, leaving the caches, and only past the pools drains them;
 * it returns what it gave back, which shrink_freed and pages_released
 * both count.  No scavenger runs beside it: one run between the frees and
 * the scan, as a GOMEM_SCAVENGE_DELAY of one jiffy made, moved the kept
 * spans into the pools, and the scan left 984 pages free, not 442.
 */
static void shrinker_frees_what_it_is_asked(struct kunit *test)
{
	unsigned int cls = gomem_size_class(2048);
	unsigned long free, released, shrunk, calls, got;
	struct mcache_slot *slot = &gomem_mcache_of(0)->slot[cls];
	u16 cached;

	gomem_test_hold_scavenger();
	gomem_test_no_reserve();
	gomem_test_keep_pages(test);
	serve_and_free(test, 2048, 2000);
	cached = slot->n;
	/* The empty spans kept and the pools' pages, which they join first. */
	KUNIT_ASSERT_GT(test, atomic_long_read(&gomem_mheap.kept), 0L);
	free = gomem_mheap.pages_free + atomic_long_read(&gomem_mheap.kept);
	KUNIT_ASSERT_GT(test, free, 100UL);
	KUNIT_ASSERT_GT(test, (unsigned int)cached, 0U);
	KUNIT_EXPECT_EQ(test, count(),
			free + DIV_ROUND_UP(mcache_cached_bytes(), PAGE_SIZE));

	released = gomem_mheap.pages_released;
	shrunk = atomic_long_read(&gomem_shrink_freed);
	calls = atomic_long_read(&gomem_shrink_calls);
	KUNIT_EXPECT_EQ(test, scan(10), 10UL);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, free - 10);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + 10);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_shrink_freed), shrunk + 10);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_shrink_calls), calls + 1);
	/* The pools sufficed: no CPU was drained. */
	KUNIT_EXPECT_EQ(test, slot->n, cached);

	/* Asked for more than the pools hold: the caches are drained too. */
	released = gomem_mheap.pages_released;
	got = scan(count() + 100);
	KUNIT_EXPECT_GT(test, got, free - 10);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + got);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, 0UL);
	KUNIT_EXPECT_EQ(test, mcache_cached_bytes(), 0UL);
	KUNIT_EXPECT_NULL(test, slot->objs);
	/* Nothing left: the shrinker says so, and frees nothing. */
	KUNIT_EXPECT_EQ(test, count(), SHRINK_EMPTY);
	KUNIT_EXPECT_EQ(test, scan(10), SHRINK_STOP);
}

/*
 * Objects cached on a CPU that add up to less than a page still count
 * one, so that reclaim and drop_caches call the shrinker, and a scan of
 * all it counts drains them: they pin their span's page.
 */
static void a_few_cached_bytes_count_a_page(struct kunit *test)
{
	unsigned long cached, free;

	gomem_test_hold_scavenger();
	gomem_test_no_reserve();
	serve_and_free(test, 64, 10);
	cached = mcache_cached_bytes();
	free = READ_ONCE(gomem_mheap.pages_free);
	KUNIT_ASSERT_GT(test, cached, 0UL);
	KUNIT_ASSERT_LT(test, cached, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, count(), free + 1);
	scan(count());
	KUNIT_EXPECT_EQ(test, mcache_cached_bytes(), 0UL);
}

/*
 * So does another node's object alone in a CPU's buffer of objects on
 * their way home, which pins its span's page as much.  It counted
 * nothing, so drop_caches never drained it: after a short stress on two
 * nodes, one page stayed in use.
 */
static void objects_on_their_way_home_count(struct kunit *test)
{
	unsigned int cpu = raw_smp_processor_id();
	unsigned long inuse;
	int other;
	void *p;

	other = gomem_test_other_node(test, gomem_test_home(cpu));
	gomem_test_hold_scavenger();
	gomem_test_pin(test, cpu);
	gomem_test_no_reserve();
	KUNIT_ASSERT_EQ(test, mcache_cached_bytes(), 0UL);
	inuse = gomem_mheap.pages_total - gomem_mheap.pages_free;
	p = gomem_alloc_node(64, GFP_KERNEL, other);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	KUNIT_ASSERT_EQ(test, gomem_mcache_of(cpu)->naway, 1U);
	KUNIT_EXPECT_EQ(test, mcache_cached_bytes(), 64UL);
	KUNIT_EXPECT_EQ(test, count(), READ_ONCE(gomem_mheap.pages_free) + 1);
	scan(count());
	KUNIT_EXPECT_EQ(test, gomem_mcache_of(cpu)->naway, 0U);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_total - gomem_mheap.pages_free, inuse);
	gomem_test_unpin();
}

/*
 * An idle surplus goes back on its own, down to the reserve, and no
 * further: GOMEM_SCAVENGE_DELAY (half a second) after it was scheduled.  The
 * time taken is logged; the case allows two seconds, for a loaded host.
 */
static void scavenger_trims_to_the_reserve(struct kunit *test)
{
	unsigned long keep = SURPLUS_KEEP, released;
	unsigned int i;

	make_a_surplus(test);
	released = gomem_mheap.pages_released;
	/* Set behind the scavenger's back: only its own run may trim. */
	WRITE_ONCE(gomem_reserve_kib, keep * (PAGE_SIZE >> 10));
	reclaim_scavenge_soon();
	for (i = 0; i < 20 && READ_ONCE(gomem_mheap.pages_free) > keep; i++)
		msleep(100);
	kunit_info(test, "the scavenger took %u00 ms\n", i);
	KUNIT_EXPECT_LT(test, i, 20U);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, keep);
	KUNIT_EXPECT_GT(test, gomem_mheap.pages_released, released);
}

/*
 * The empty spans the classes keep for reuse are given back within a
 * second too: the scavenger, scheduled when one is kept, releases them
 * and trims the pools to the reserve (0 here).  It does both in one run,
 * the spans first: the wait is for both, since a look between the two
 * finds no span kept and their pages still in the pools (it did, once,
 * with 51 pages).
 */
static void scavenger_releases_kept_spans(struct kunit *test)
{
	unsigned long released;
	unsigned int i;

	gomem_test_no_reserve();
	released = gomem_mheap.pages_released;
	serve_and_free(test, 4096, 64);
	KUNIT_ASSERT_GT(test, atomic_long_read(&gomem_mheap.kept), 0L);
	for (i = 0; i < 20 && (atomic_long_read(&gomem_mheap.kept) ||
			       READ_ONCE(gomem_mheap.pages_free)); i++)
		msleep(100);
	kunit_info(test, "the scavenger took %u00 ms\n", i);
	KUNIT_EXPECT_LT(test, i, 20U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);
	KUNIT_EXPECT_EQ(test, gomem_mcentral[gomem_size_class(4096)].nr_empty, 0UL);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, 0UL);
	KUNIT_EXPECT_GT(test, gomem_mheap.pages_released, released);
}

/*
 * What flushes leave on a transfer stack goes back within a second too,
 * with no drain of the CPUs: the flush schedules the scavenger, which
 * puts the objects back in their spans and gives back the pages of the
 * spans that empties (a reserve of 0).  The shrinker counts them.
 */
static void scavenger_empties_the_transfer_stacks(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(64)];
	unsigned int n = 4 * GOMEM_MCACHE_MAX, i;
	unsigned long released;
	void **p;

	gomem_test_no_reserve();
	p = gomem_test_alloc_many(test, 64, n);
	reclaim_scavenger_sync();
	released = gomem_mheap.pages_released;
	for (i = 0; i < n; i++)
		gomem_free(p[i]);
	KUNIT_ASSERT_GT(test, mcentral_xfer_objs(c), 0UL);
	KUNIT_EXPECT_GE(test, mcache_cached_bytes(), mcentral_xfer_objs(c) * c->size);
	for (i = 0; i < 20 && (mcentral_xfer_objs(c) ||
			       atomic_long_read(&gomem_mheap.kept) ||
			       READ_ONCE(gomem_mheap.pages_free)); i++)
		msleep(100);
	kunit_info(test, "the scavenger took %u00 ms\n", i);
	KUNIT_EXPECT_LT(test, i, 20U);
	KUNIT_EXPECT_EQ(test, mcentral_xfer_objs(c), 0UL);
	KUNIT_EXPECT_GT(test, gomem_mheap.pages_released, released);
	gomem_drain();
}

/*
 * A write of reserve_kib takes effect before it returns: a lower reserve
 * gives the surplus back at once, not a scavenger run later (none is
 * pending here), and a value that is not a number is refused and changes
 * nothing.
 */
static void writing_the_reserve_trims_at_once(struct kunit *test)
{
	unsigned long keep = SURPLUS_KEEP, free, released;
	unsigned int reserve;
	char val[24];

	make_a_surplus(test);
	reserve = gomem_reserve_kib;
	free = gomem_mheap.pages_free;
	released = gomem_mheap.pages_released;

	KUNIT_EXPECT_EQ(test, write_reserve("16k"), -EINVAL);
	KUNIT_EXPECT_EQ(test, gomem_reserve_kib, reserve);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, free);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released);

	snprintf(val, sizeof(val), "%lu", keep * (PAGE_SIZE >> 10));
	KUNIT_ASSERT_EQ(test, write_reserve(val), 0);
	KUNIT_EXPECT_EQ(test, gomem_reserve_kib, keep * (PAGE_SIZE >> 10));
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, keep);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);
	KUNIT_EXPECT_GE(test, gomem_mheap.pages_released,
			released + free - keep);
}

/*
 * A trim held mid-way, on CPU 0: the scavenger's run or a shrinker's
 * scan.  A data watchpoint fires in it after it took the kept spans off
 * their lists, before their pages reach the pools (watch_reserve()), and
 * the handler holds it there until the write on CPU 1 returns, or 500 ms.
 */
struct held_run {
	struct task_struct *runner;	/* the kthread, or NULL: a worker */
	atomic_t held, done, returned;
	bool beside;	/* the write returned while the run was held */
};

static void hold_the_run(struct perf_event *bp, struct perf_sample_data *data,
			 struct pt_regs *regs)
{
	struct held_run *h = bp->overflow_handler_context;
	u64 end;

	if (h->runner ? current != h->runner : !(current->flags & PF_WQ_WORKER))
		return;
	if (raw_smp_processor_id() != 0 || atomic_xchg(&h->held, 1))
		return;
	end = ktime_get_mono_fast_ns() + 500 * NSEC_PER_MSEC;
	while (!atomic_read(&h->returned) && ktime_get_mono_fast_ns() < end)
		cpu_relax();
	h->beside = atomic_read(&h->returned);
	atomic_set_release(&h->done, 1);
}

static void stay(void)
{
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
}

/*
 * On CPU 0, once go completes: schedule the scavenger, held until now,
 * and run it there at once, before its timer could fire on CPU 1.
 */
static int run_the_scavenger(void *go)
{
	wait_for_completion(go);
	gomem_test_release_scavenger();
	reclaim_scavenge_soon();
	reclaim_scavenger_sync();
	stay();
	return 0;
}

/*
 * On CPU 0, once go completes: a shrinker's scan of one page, which
 * takes every kept span for the pools, as a trim does, then gives back
 * that page alone.
 */
static int run_the_shrinker(void *go)
{
	wait_for_completion(go);
	scan(1);
	stay();
	return 0;
}

/*
 * A trim for a kthread on CPU 0 to run: fn, and whether the run is a
 * worker's, which the kthread waits for, or the kthread's own.
 */
struct trim_run {
	int (*fn)(void *go);
	bool in_worker;
};

static const struct trim_run the_scavenger = { run_the_scavenger, true };
static const struct trim_run the_shrinker = { run_the_shrinker, false };

/*
 * A watchpoint on the reserve, on every CPU, for h.  A run first reads it
 * as it puts the first span's pages in the pools (mheap_pages_free()),
 * with no lock held and every kept span taken.  Not on the kept pages'
 * count, which the run changes first, by a locked subtraction: QEMU's
 * TCG did not fire the watchpoint on it.
 */
static struct perf_event * __percpu *watch_reserve(struct held_run *h)
{
	return gomem_test_watch((unsigned long)&gomem_reserve_kib,
				HW_BREAKPOINT_LEN_4, hold_the_run, h);
}

/*
 * Spans kept, and run held on CPU 0 by h, under the watchpoint *bp;
 * false, with nothing held or watched, if the watchpoint never held it.
 * No scavenger is scheduled until run's kthread does it: one that the
 * frees scheduled took the kept spans on CPU 1 when a stall of the guest
 * brought its timer before the kthread's request, as a
 * GOMEM_SCAVENGE_DELAY of one jiffy did.  The caller is on CPU 1.  No
 * assertion while the watchpoint is there: its handler reads h, on the
 * caller's stack.
 */
static bool hold_a_run(struct kunit *test, const struct trim_run *run,
		       struct held_run *h, struct perf_event * __percpu **bp,
		       struct task_struct **task)
{
	struct completion go;
	unsigned int i;

	init_completion(&go);
	gomem_test_hold_scavenger();
	gomem_test_no_reserve();
	*task = kthread_run_on_cpu(run->fn, &go, 0, "gomem_run/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(*task));
	h->runner = run->in_worker ? NULL : *task;
	serve_and_free(test, 4096, 64);
	KUNIT_EXPECT_GT(test, atomic_long_read(&gomem_mheap.kept), 0L);
	*bp = watch_reserve(h);
	complete(&go);
	if (!IS_ERR(*bp))
		for (i = 0; i < 100 && !atomic_read(&h->held); i++)
			msleep(20);
	if (atomic_read(&h->held))
		return true;
	kthread_stop(*task);
	if (IS_ERR(*bp))
		kunit_skip(test, "no data watchpoint: %ld", PTR_ERR(*bp));
	unregister_wide_hw_breakpoint(*bp);
	return false;
}

/*
 * A write of reserve_kib waits for a trim under way, run's, and leaves no
 * free page in the pools: it did not, and returned while the held run
 * still had the kept spans' pages to put in the pools.
 */
static void a_write_waits_for(struct kunit *test, const struct trim_run *run)
{
	struct perf_event * __percpu *bp;
	struct held_run h = {};
	struct task_struct *task;
	unsigned int i;
	bool held;
	int err = -1;

	gomem_test_need_cpu1(test, "needs CPU 1");
	gomem_test_pin(test, 1);
	held = hold_a_run(test, run, &h, &bp, &task);
	if (held) {
		/* A write trims only while gomem is live: the shrinker's case. */
		gomem_test_release_scavenger();
		err = write_reserve("0");
		atomic_set(&h.returned, 1);
		for (i = 0; i < 100 && !atomic_read_acquire(&h.done); i++)
			msleep(20);
		kthread_stop(task);
		unregister_wide_hw_breakpoint(bp);
	}
	gomem_test_unpin();
	KUNIT_ASSERT_TRUE_MSG(test, held, "the watchpoint never held the run on CPU 0");
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_FALSE(test, h.beside);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gomem_mheap.kept), 0L);
}

static void a_write_waits_for_the_scavenger(struct kunit *test)
{
	a_write_waits_for(test, &the_scavenger);
}

/*
 * The shrinker takes the kept spans for the pools as a trim does, and
 * gives back only what it was asked: a write beside it returned with the
 * rest landing in the pools behind it.
 */
static void a_write_waits_for_the_shrinker(struct kunit *test)
{
	a_write_waits_for(test, &the_shrinker);
}

/*
 * Before gomem is up (insmod's own write, or one while it loads) and
 * once it is going (a write racing with rmmod: a module's parameters
 * stay in sysfs until after its exit function), a write of reserve_kib
 * only stores the value: the layers a trim walks are not there.  Such a
 * write oopsed in mcentral_take_empty(), on lists mcentral_exit() had
 * freed; gomem_unload.sh races real writes with rmmod.  No assertion
 * may end the case before gomem is live again.
 */
static void a_write_while_not_live_only_stores(struct kunit *test)
{
	unsigned long free, released;
	int err;

	make_a_surplus(test);
	free = gomem_mheap.pages_free;
	released = gomem_mheap.pages_released;
	WRITE_ONCE(gomem_reclaim_live, false);
	err = write_reserve("0");
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, free);
	gomem_test_release_scavenger();
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, gomem_reserve_kib, 0U);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released);
	/* Stored, it counts from the next trim on. */
	reclaim_trim();
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_free, 0UL);
	KUNIT_EXPECT_EQ(test, gomem_mheap.pages_released, released + free);
}

static struct kunit_case reclaim_cases[] = {
	KUNIT_CASE(shrinker_frees_what_it_is_asked),
	KUNIT_CASE(a_few_cached_bytes_count_a_page),
	KUNIT_CASE(objects_on_their_way_home_count),
	KUNIT_CASE(scavenger_trims_to_the_reserve),
	KUNIT_CASE(scavenger_releases_kept_spans),
	KUNIT_CASE(scavenger_empties_the_transfer_stacks),
	KUNIT_CASE(writing_the_reserve_trims_at_once),
	KUNIT_CASE(a_write_waits_for_the_scavenger),
	KUNIT_CASE(a_write_waits_for_the_shrinker),
	KUNIT_CASE(a_write_while_not_live_only_stores),
	{}
};

static struct kunit_suite reclaim_suite = {
	.name = "gomem_reclaim",
	.init = gomem_test_init,
	.exit = gomem_test_exit,
	.test_cases = reclaim_cases,
};

kunit_test_suite(reclaim_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's reclaim: the shrinker and the scavenger");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
