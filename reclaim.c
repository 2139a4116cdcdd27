// SPDX-License-Identifier: GPL-2.0
/*
 * Reclaim: when gomem gives memory back, and how much it keeps.
 *
 * Two paths give back free pages, as Go's runtime has two (the background
 * scavenger and the heap-growth scavenge, mgcscavenge.go):
 *
 *  - The scavenger.  A free that leaves the mheap's pools above the
 *    reserve (reserve_kib), an mcentral keeping an empty span, or a
 *    CPU's flush onto a transfer stack schedules a delayed work, which
 *    puts the transfer stacks' objects back in their spans, releases
 *    the kept spans to the pools and gives back everything above the
 *    reserve GOMEM_SCAVENGE_DELAY later, and starts the grace period of
 *    the freed spans that wait in a batch (mspan.c), whose first span
 *    schedules it too.  So an idle
 *    gomem holds no more free pages than its reserve within a second; a
 *    class that shrinks and grows again in the
 *    meantime finds its empty spans kept, or their pages in the pool; and
 *    no allocation or free waits for the scavenger.  The kept spans and
 *    the pools never hold more than the mheap's surplus past the reserve
 *    even meanwhile, and an allocation the pools cannot serve takes the
 *    kept spans' pages, and gives back as many surplus pages as it takes
 *    before it takes any from the page allocator (mheap.c).
 *  - The shrinker.  Under memory pressure the kernel asks gomem what it
 *    could free and to free some of it.  The kept large spans go first,
 *    then the pools' pages, the kept empty spans' and the reserve too;
 *    only if they fall short are the per-CPU caches drained, by a work
 *    item on each CPU that holds something (mcache.c), which returns
 *    their objects to their spans, as the transfer stacks' are then,
 *    and the spans left empty, kept at first, go to the pools with the
 *    next give-back.
 *
 * Writing reserve_kib takes effect at once: a lower reserve trims the
 * pools now, after a scavenger run or a shrinker's scan under way
 * (trim_lock).
 *
 * Invariants: the scavenger is never scheduled, and a write of
 * reserve_kib never trims, outside reclaim_init() .. reclaim_exit()
 * (gomem_reclaim_live), so neither runs on layers not yet up or already
 * gone; the shrinker is gone before the per-CPU caches are.  The counters
 * below are only ever added to.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/workqueue.h>

#include "gomem_internal.h"

unsigned int gomem_reserve_kib;
static const struct kernel_param_ops reserve_ops = {
	.set = reclaim_reserve_set,
	.get = param_get_uint,
};

module_param_cb(reserve_kib, &reserve_ops, &gomem_reserve_kib, 0644);
MODULE_PARM_DESC(reserve_kib,
		 "Free pages, in KiB, gomem keeps for reuse rather than give back to the page allocator; writable, and lowering it gives back the surplus at once (default 0)");
EXPORT_SYMBOL_IF_KUNIT(gomem_reserve_kib);

static void scavenge_work(struct work_struct *work);
static DECLARE_DELAYED_WORK(scavenger, scavenge_work);

/*
 * Set once every layer is up (reclaim_init()), cleared at unload or a
 * failed load (reclaim_exit()): the scavenger is scheduled, and a write
 * of reserve_kib trims, only while it is set.  Written under
 * kernel_param_lock(THIS_MODULE), which the kernel holds around every
 * call of a parameter's set op, insmod's and sysfs's alike: a module's
 * parameters stay writable in sysfs until after its exit function has
 * returned, so a write racing with rmmod trims either a whole gomem,
 * before reclaim_exit() goes on, or nothing.
 */
bool gomem_reclaim_live;
EXPORT_SYMBOL_IF_KUNIT(gomem_reclaim_live);

atomic_long_t gomem_shrink_calls;
EXPORT_SYMBOL_IF_KUNIT(gomem_shrink_calls);
atomic_long_t gomem_shrink_freed;
EXPORT_SYMBOL_IF_KUNIT(gomem_shrink_freed);
static struct shrinker *gomem_shrinker;

unsigned long reclaim_reserve_pages(void)
{
	return (unsigned long)READ_ONCE(gomem_reserve_kib) >> (PAGE_SHIFT - 10);
}

/*
 * The pools went past the reserve: give the surplus back soon.  Any
 * context.  While the scavenger is pending, which is most calls, a test
 * of its pending bit is all this costs: the work clears the bit before
 * it runs, and then takes the locks under which the caller left its
 * pages, so a caller that saw it set is seen by that run.
 */
void reclaim_scavenge_soon(void)
{
	if (READ_ONCE(gomem_reclaim_live) && !delayed_work_pending(&scavenger))
		schedule_delayed_work(&scavenger, GOMEM_SCAVENGE_DELAY);
}
EXPORT_SYMBOL_IF_KUNIT(reclaim_scavenge_soon);

/*
 * Run the scavenger now if it is pending, and wait for it if it runs:
 * gomem_drain() and the KUnit cases that count pages must not race with
 * one.  Process context, never the scavenger's own.
 */
void reclaim_scavenger_sync(void)
{
	flush_delayed_work(&scavenger);
}
EXPORT_SYMBOL_IF_KUNIT(reclaim_scavenger_sync);

/*
 * One trim at a time: the scavenger's, a write of reserve_kib's, a
 * shrinker's scan and the KUnit suites' (gomem_drain() among them).
 * Each takes the kept spans off their lists before it puts their pages
 * in the pools, so a second one beside it found neither, and a write
 * returned with the first one's pages landing in the pools behind it:
 * the scavenger's, 171 pages once in gomem_reclaim.sh, or a shrinker's,
 * which gives back only what it is asked.  What nests in it, and why a
 * shrinker may wait on it, is in gomem_internal.h's list of locks.
 */
static DEFINE_MUTEX(trim_lock);

/*
 * Give back every free page beyond the reserve, now, after any trim under
 * way.  Process context.
 */
void reclaim_trim(void)
{
	mutex_lock(&trim_lock);
	/* First, so that the spans their objects empty go back too. */
	mcentral_xfer_drain();
	mcentral_release_empty(ULONG_MAX);
	mheap_scavenge(reclaim_reserve_pages());
	mspan_dead_flush();
	mutex_unlock(&trim_lock);
}
EXPORT_SYMBOL_IF_KUNIT(reclaim_trim);

/*
 * Every free object back in its span, every empty span back in the
 * mheap, and the structs of the spans gone freed: for the KUnit suites,
 * which count pages and spans after it.  A pending scavenger runs first,
 * now.  The rest is under trim_lock, so that no trim is half-way when
 * this returns: a scavenger run that took the kept spans off their lists
 * before this could release them had not put their pages in the pools
 * yet, and a case counted 88 pages in use that were not (with the run
 * due 5 jiffies after its scheduling, not half a second).  Process
 * context.
 */
void gomem_drain(void)
{
	reclaim_scavenger_sync();
	mutex_lock(&trim_lock);
	mcache_drain_all();
	mcentral_release_empty(ULONG_MAX);
	mspan_dead_flush();
	mutex_unlock(&trim_lock);
}
EXPORT_SYMBOL_IF_KUNIT(gomem_drain);

static void scavenge_work(struct work_struct *work)
{
	reclaim_trim();
}

/*
 * reserve_kib's set op: the shell's write, and insmod's, with
 * kernel_param_lock(THIS_MODULE) held.  The value is parsed first, so a
 * write that is not a number changes nothing.  Before gomem is up (at
 * insmod, or while it loads) and once it is going, the value is only
 * stored: the layers a trim walks are not there.
 */
int reclaim_reserve_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_uint(val, kp);

	if (!err && gomem_reclaim_live)
		reclaim_trim();
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(reclaim_reserve_set);

/*
 * What the shrinker could free, in pages: the pools' free pages, the
 * pages of the empty spans the mcentrals keep, and about the pages the
 * objects cached per CPU would free once drained, rounded up: one cached
 * object of a few bytes pins its span's page, and a count of 0 would
 * leave it cached for ever, since the shrinker is never called with
 * nothing to scan.  Read without locks: a count, not a promise.
 */
unsigned long reclaim_count(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long n = READ_ONCE(gomem_mheap.pages_free) +
			  atomic_long_read(&gomem_mheap.kept);

	n += DIV_ROUND_UP(mcache_cached_bytes(), PAGE_SIZE);
	return n ?: SHRINK_EMPTY;
}
EXPORT_SYMBOL_IF_KUNIT(reclaim_count);

/*
 * Give back pages until want have gone, or nothing free is left: the
 * kept large spans' first, which go straight to the page allocator, then
 * the pools', the small empty spans the mcentrals keep joining them.
 */
static unsigned long give_back(unsigned long want)
{
	unsigned long freed = mcentral_release_large(want), free;

	if (freed >= want)
		return freed;
	mcentral_release_empty(ULONG_MAX);
	free = READ_ONCE(gomem_mheap.pages_free);

	return freed + mheap_scavenge(free - min(want - freed, free));
}

/*
 * Free up to nr_to_scan pages: the kept large spans' and the pools'
 * first, the kept empty spans joining them, with no cross-CPU work; only
 * if they fall short, drain the CPUs whose caches hold something, which
 * returns spans to the pools, and give back from the pools again.  One
 * trim at a time (trim_lock), so that a write of reserve_kib beside it
 * finds the pages it took in the pools.  Returns the pages this call gave
 * back, exactly, whatever gives back pages at the same time (an
 * allocation that grows, a free past the surplus): each pool run and
 * each kept large span goes back through one caller.  Spans that a drain
 * empties past the pools' surplus go back at once, uncounted here.
 */
unsigned long reclaim_scan(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long want = sc->nr_to_scan, freed;

	atomic_long_inc(&gomem_shrink_calls);
	mutex_lock(&trim_lock);
	freed = give_back(want);
	if (freed < want) {
		mcache_drain_busy();
		freed += give_back(want - freed);
	}
	/* The structs of the spans gone, after their grace period. */
	mspan_dead_flush();
	mutex_unlock(&trim_lock);
	atomic_long_add(freed, &gomem_shrink_freed);
	return freed ?: SHRINK_STOP;
}
EXPORT_SYMBOL_IF_KUNIT(reclaim_scan);

/* After mcache_init(): the shrinker drains the per-CPU caches. */
void reclaim_init(void)
{
	/* Without a shrinker, caches are drained only at unload: go on. */
	gomem_shrinker = gomem_shrinker_create(reclaim_count, reclaim_scan);
	if (!gomem_shrinker)
		pr_warn("no shrinker: gomem will not shrink under memory pressure\n");
	kernel_param_lock(THIS_MODULE);
	WRITE_ONCE(gomem_reclaim_live, true);
	kernel_param_unlock(THIS_MODULE);
}

/*
 * Unload, before the per-CPU caches go: no trim by a write of
 * reserve_kib once a running one has finished, no shrinker, and no
 * scavenger; mheap_exit() gives back what the pools still hold.
 */
void reclaim_exit(void)
{
	kernel_param_lock(THIS_MODULE);
	WRITE_ONCE(gomem_reclaim_live, false);
	kernel_param_unlock(THIS_MODULE);
	if (gomem_shrinker)
		gomem_shrinker_destroy(gomem_shrinker);
	cancel_delayed_work_sync(&scavenger);
}
