// SPDX-License-Identifier: GPL-2.0
/*
 * The per-CPU caches that serve most allocations and frees.
 *
 * Each CPU has an mcache with one small stack of CACHED objects per span
 * class.  Allocation pops, free pushes, both under this CPU's mcache
 * lock: interrupts disabled and nothing more, but on PREEMPT_RT, where it
 * is a per-CPU sleeping lock.  That is safe against an interrupt because
 * the interrupt cannot run until the stack is consistent again (on
 * PREEMPT_RT, against another task because it waits for the lock), and
 * against other CPUs because none of them touches this mcache (see the
 * locking notes in gomem_internal.h).  The one atomic on these paths is the
 * free's claim of the object's state, before the push (gomem.c).
 *
 * An empty stack refills half its capacity from the mcentral (in the
 * allocation's own section of the lock when neither the stack nor the
 * class must grow: mcache_refill_held()); a full one flushes the oldest
 * half back, which leaves room both ways when allocations and frees
 * alternate.  When frees do not alternate with allocations (a flush after
 * a flush: a batch freed, or objects freed on another CPU than their
 * own), three quarters go, so that a lock round trip moves more, and all
 * of a stack of GOMEM_STREAM_MIN objects or fewer (the classes of 8 KiB
 * and more), of which a quarter is one or two.  Refills stay at half:
 * filling a stack whole after every refill was as fast for allocations
 * but held 37 KiB more in the caches at the peak of the boot trace
 * (bench/replay.sh).  Nor does a refill grow the class for a guess: past
 * what its caller takes at once, it takes the objects the class holds
 * free, but grows it by no second span, and by none once it has half of
 * what it asked (mcentral_get_some()).  In a stream of refills, which
 * grow no span, they fill it whole: the objects they bring were free in
 * the spans already, so the peak is the same (the boot trace's was
 * 3,057 KiB either way when it was measured), and at 8 to 32 KiB a
 * batch's allocations took 20% fewer instructions, and objects freed on
 * another CPU 16% fewer (make bench, with the whole flushes above);
 * above a page, such a stack may hold a whole big span's objects
 * (refill_limit()).  A bulk call moves as many as it needs, so that it
 * leaves nothing over for the next call to move back, and a bulk free's
 * stack ends full (flush_count()); a bulk allocation that finds its
 * stack empty, and what a small stack's bulk free could never hold,
 * bypass the stack, up to GOMEM_BATCH_MAX a lock round trip (bulk_get()
 * in gomem.c, mcache_bulk_away()).  A free lands on the freeing CPU's
 * stack whichever CPU allocated the object, so remote frees cost the
 * same as local ones, and they cannot pile up: a stack never holds more
 * than its capacity.  The stacks are the mcache's memory that grows
 * with use: a CPU's first allocation of a class, and its first free, go
 * to the mcentral directly; the second allocates the class's stack,
 * whose capacity starts at a few objects and doubles with each refill
 * up to the class's cache_cap (about GOMEM_MCACHE_BYTES of objects), and
 * that is freed when the cache is drained; a stack that frees overflow
 * grows too, and one in a stream of frees or of refills up to four
 * times as many bytes, its class's stream_cap, and one that swings
 * between them in waves bigger than it up to its swing_cap,
 * GOMEM_SWING_BYTES of objects, up to GOMEM_MCACHE_MAX, but no fewer than
 * in a stream (cap_limit(), grown_cap()).  Over all classes, a CPU's
 * stacks may hold the mcache_kib parameter's bytes of objects, set at
 * load, 1 MiB unless told, never less than the widest stack: a stack that
 * would grow past it frees the stacks of classes that moved least
 * recently (mcache_budget()).  So a loaded gomem holds one small struct
 * mcache per CPU that has been online (made before the CPU first runs,
 * kept when it goes offline, for its statistics; a CPU that is only
 * possible has none), a class used once holds no object, whose span could
 * otherwise stay for it, and a class used little holds little.  A CPU's
 * caches are drained when it goes offline, by the shrinker (reclaim.c),
 * and at unload.
 *
 * On a machine of several nodes, a CPU's stacks hold objects of its home
 * node's spans, so that what it allocates is local: its refills come from
 * that node's spans (mcentral.c), or, while that node has no pages to
 * give, from spans on another, where the page allocator's fallback put
 * them (so that a request held to its node, __GFP_THISNODE, never pops a
 * stack: gomem.c); a free of another node's object does not land on a
 * stack but in a small per-CPU buffer, sent home in batches of one lock
 * round trip per class (mcache_put_away()).  On one node the check is a
 * static key, off.
 * A CPU's home is its own node, or if that has no normal memory, the
 * nearest that has (gomem_home_node(), mheap_memory_node()); it is set
 * before the CPU first runs and again whenever memory comes online or
 * goes offline.
 *
 * The per-CPU statistics live here too, updated in the same
 * interrupt-disabled sections as the stacks they describe, and summed
 * only when read.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/memory.h>
#include <linux/workqueue.h>
#include <linux/sizes.h>

#include "gomem_internal.h"

DEFINE_PER_CPU(struct mcache *, gomem_mcache);
DEFINE_PER_CPU(local_lock_t, gomem_mcache_lock) = INIT_LOCAL_LOCK(gomem_mcache_lock);
DEFINE_STATIC_KEY_FALSE(gomem_numa_key);
/*
 * Not DEFINE_PER_CPU_READ_MOSTLY(): a module's loader makes only its
 * .data..percpu section per CPU, and a write to the read-mostly one
 * through per_cpu() faulted at load.
 */
DEFINE_PER_CPU(int, gomem_home);

static unsigned int mcache_kib = GOMEM_MCACHE_BUDGET / SZ_1K;
module_param(mcache_kib, uint, 0444);
MODULE_PARM_DESC(mcache_kib,
		 "KiB of objects one CPU's caches may hold over all size classes, at least the widest class's stack, 256 KiB (default 1024)");
/* mcache_kib in bytes, set at load; KUnit lowers it for a case. */
unsigned long gomem_mcache_budget __read_mostly;
EXPORT_SYMBOL_IF_KUNIT(gomem_mcache_budget);

/*
 * cpu's mcache, or NULL if cpu has never been online: for the readers on
 * other CPUs, and the KUnit suites, which cannot reach a per-CPU
 * variable.
 */
struct mcache *gomem_mcache_of(unsigned int cpu)
{
	/* Pairs with mcache_cpu_prepare(): the mcache set up, then it. */
	return smp_load_acquire(per_cpu_ptr(&gomem_mcache, cpu));
}
EXPORT_SYMBOL_IF_KUNIT(gomem_mcache_of);

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * For KUnit, which calls what needs this CPU's mcache locked: the lock
 * taken and let go as gomem takes it.  Interrupts off alone, as the
 * suites had it, is wrong on PREEMPT_RT, where the lock sleeps and the
 * mcentral's spinlock_t taken inside it may not be taken with
 * interrupts off (found in the test-rt kernel).
 */
unsigned long mcache_lock_for_test(void)
	__acquires(&gomem_mcache_lock)
{
	unsigned long flags;

	mcache_lock_irqsave(flags);
	return flags;
}
EXPORT_SYMBOL_IF_KUNIT(mcache_lock_for_test);

void mcache_unlock_for_test(unsigned long flags)
	__releases(&gomem_mcache_lock)
{
	mcache_unlock_irqrestore(flags);
}
EXPORT_SYMBOL_IF_KUNIT(mcache_unlock_for_test);
#endif

static int mcache_hp_state;

/* A stack's capacity when it is new, or after a drain. */
static unsigned int first_cap(unsigned int cls)
{
	return min_t(unsigned int, gomem_mcentral[cls].cache_cap, 4);
}

static size_t stack_bytes(unsigned int cap)
{
	return cap * sizeof(struct gomem_obj);
}

/* The bytes of objects that cap of cls's objects are: the budget's unit. */
static unsigned long objs_bytes(unsigned int cls, unsigned int cap)
{
	return (unsigned long)cap * gomem_mcentral[cls].size;
}

/*
 * Give back the oldest n objects, keeping the recently freed ones, whose
 * cache lines are likeliest to be hot, for the next allocations.  The
 * kept ones move down by memcpy() when they do not overlap where they go,
 * as after a flush of half the stack or more, the usual: Debian 6.1's
 * memmove() copies 32 bytes a turn of a loop, and under icount took 214
 * instructions for a stack's 512 bytes, where its memcpy() takes 72.
 * None move after a flush of all, as in a stream of the classes above
 * a page (flush_count()), and no call is made for none (measured:
 * objects of 8 to 32 KiB freed on another CPU 2 instructions fewer).
 * If handed, by the CPU itself, whose stack is full, they go to the
 * class's transfer stack (mcentral_put_flushed()); else, as a drain's,
 * to their spans, the CPU's own or not.  The mcache locked, or the CPU
 * is dead.
 */
static void mcache_flush(struct mcache *c, unsigned int cls, unsigned int n,
			 bool handed)
{
	struct mcache_slot *slot = &c->slot[cls];
	size_t kept;

	if (handed && gomem_mcentral[cls].xfer_cap)
		mcentral_put_flushed(&gomem_mcentral[cls], slot->objs, n);
	else
		mcentral_put(&gomem_mcentral[cls], slot->objs, n);
	slot->n -= n;
	kept = slot->n * sizeof(*slot->objs);
	if (kept) {
		if (slot->n <= n)
			memcpy(slot->objs, slot->objs + n, kept);
		else
			memmove(slot->objs, slot->objs + n, kept);
	}
	c->stats.flushes++;
}

/*
 * Empty c's stack for cls and free it, keeping the class warm: its next
 * refill or flush makes a stack of first_cap() again.  The mcache locked,
 * or the CPU is dead.
 */
static void mcache_evict(struct mcache *c, unsigned int cls)
{
	struct mcache_slot *slot = &c->slot[cls];

	if (slot->n)
		mcache_flush(c, cls, slot->n, false);
	gomem_meta_free(slot->objs, stack_bytes(slot->cap));
	c->cap_bytes -= objs_bytes(cls, slot->cap);
	slot->objs = NULL;
	slot->cap = 0;
	slot->warm &= ~MCACHE_WARM_RECENT;
	slot->flushes = 0;
	slot->refills = 0;
	slot->swings = 0;
}

/*
 * Make room in c's budget for more bytes of cls's objects: free the
 * stacks of other classes, one that has not moved since the hand last
 * passed it first.  That is a clock, as the page cache's second chance:
 * each refill and flush marks its class (stack_install()), and the hand
 * clears the mark of each class it passes, so it frees a stack that
 * neither refilled nor flushed in a whole turn, or, in the second turn,
 * any: two turns always make the room, since no class's stack is wider
 * than the budget (mcache_init() refuses a smaller one; the widest is
 * GOMEM_SWING_BYTES, or a stream's 8 objects of 32 KiB, and a stream of
 * refills' 16 only where the budget holds them: refill_limit()).  A
 * stack moves no object while its class is served from it alone, so a
 * busy class may lose its stack too: it costs that class one refill, and
 * the default budget holds four classes at their widest swing, or two
 * of 32 KiB at their widest stream of refills.
 * Out of line: the path is rare, taken only by a stack that grows.  The
 * mcache locked, c this CPU's.
 */
static noinline void mcache_budget(struct mcache *c, unsigned int cls,
				   unsigned long more)
{
	unsigned int turn, victim;
	struct mcache_slot *slot;

	for (turn = 0; turn < 2 * GOMEM_NR_SPANCLASSES &&
	     c->cap_bytes + more > gomem_mcache_budget; turn++) {
		victim = c->hand;
		c->hand = victim + 1 < GOMEM_NR_SPANCLASSES ? victim + 1 : 0;
		slot = &c->slot[victim];
		if (victim == cls || !slot->cap)
			continue;
		if (slot->warm & MCACHE_WARM_RECENT) {
			slot->warm &= ~MCACHE_WARM_RECENT;
		} else {
			mcache_evict(c, victim);
			c->stats.evictions++;
		}
	}
}

/*
 * Make stack, of room for cap objects, c's stack for cls, if c has none
 * or a smaller one, and move what it holds; within the budget, which
 * may free other classes' stacks.  Returns the stack the caller must
 * free: the old one, of *old_cap objects, or stack itself if it was not
 * needed.  The mcache locked, c this CPU's.  Inline: every refill and
 * every flush calls it, most with no stack to install (measured: 1 to
 * 2% of a batch's instructions at 4 to 32 KiB).
 */
static __always_inline struct gomem_obj *
stack_install(struct mcache *c, unsigned int cls, struct gomem_obj *stack,
	      unsigned int cap, unsigned int *old_cap)
{
	struct mcache_slot *slot = &c->slot[cls];
	struct gomem_obj *old = slot->objs;
	unsigned long more;

	slot->warm |= MCACHE_WARM_RECENT;
	*old_cap = cap;
	if (!stack || slot->cap >= cap)
		return stack;
	more = objs_bytes(cls, cap - slot->cap);
	if (c->cap_bytes + more > gomem_mcache_budget)
		mcache_budget(c, cls, more);
	c->cap_bytes += more;
	if (old)
		memcpy(stack, old, slot->n * sizeof(*stack));
	*old_cap = slot->cap;
	slot->objs = stack;
	slot->cap = cap;
	return old;
}

/*
 * A stack in a stream may grow to its class's stream_cap (four times as
 * many bytes as cache_cap, up to GOMEM_STREAM_MAX objects), so that each
 * lock round trip moves more, for the refills and flushes that follow
 * too.  A stream is MCACHE_STREAM moves in a row one way: flushes with
 * no refill between (a batch freed, or objects another CPU allocates),
 * or refills none of which grew the class by a span (objects freed in
 * batches, or on another CPU, coming back).  A stream of refills that
 * grow the class is how a workload grows to its peak, where every object
 * a bigger refill brings and no allocation takes is held for nothing:
 * on the boot trace, 45 KiB more at the peak when every stream of
 * refills earned it, nothing as it is.  The stack keeps its size until
 * the drain, or until the budget frees it.
 *
 * The most a stack may hold, after streak moves in a row one way.
 */
static unsigned int cap_limit(unsigned int cls, unsigned int streak)
{
	const struct mcentral *mc = &gomem_mcentral[cls];

	return streak >= MCACHE_STREAM ? mc->stream_cap : mc->cache_cap;
}

/*
 * The most a stack of mc's class may hold in a stream of refills, limit as
 * far as the stack may grow otherwise: above PAGE_SIZE, at least a big
 * span's objects (GOMEM_BIG_SPAN_OBJS), so that a refill in the stream
 * takes a whole big span in one lock round trip, where a stream's 8 took
 * half of one.  The refills of a stream bring objects the spans held free
 * already, so the peak of a workload, which grows its classes with refills
 * that are no stream, stays as it was (measured, every replay of
 * scripts/bench: the same KiB at the peak), while objects of 32 KiB freed
 * on another CPU took 246 instructions each, not 264, a batch of 256 of
 * them, allocated and freed, 223, not 263, of 4,096 597, not 653, and
 * bulk16 78, not 135 (one icount boot of each; the classes of 8 and 16
 * KiB, whose swings hold 16 and more, moved by no more than an
 * instruction).  A stack grown so stays wide for the frees that follow,
 * whose flushes then move all it holds, as a stream's of its class do
 * (flush_count()).  Only where the budget, mcache_kib, holds such a stack:
 * the least budget is the widest stack of a swing or of a stream
 * (mcache_widest()), 256 KiB, which holds 8 objects of 32 KiB, not 16,
 * and mcache_budget() makes room only for stacks no wider than it.
 */
static unsigned int refill_limit(const struct mcentral *mc, unsigned int limit)
{
	if (mc->size > PAGE_SIZE &&
	    (unsigned long)GOMEM_BIG_SPAN_OBJS * mc->size <= gomem_mcache_budget)
		return max_t(unsigned int, limit, GOMEM_BIG_SPAN_OBJS);
	return limit;
}

/*
 * A stack that swings may grow to its class's swing_cap (mcentral.c):
 * MCACHE_SWINGS times, a run of two or more refills that grew no span
 * ended in a flush, or a run of two or more flushes in a refill that
 * grew none (a workload growing to its peak makes no swing, as it makes
 * no stream).
 * Its class's objects come and go in waves bigger than the stack, each
 * paying a lock round trip for every half stack, both ways, where a
 * stack that holds the wave pays one or two: every CPU of the
 * concurrent pattern (64 objects allocated, then freed) took 7 to 12 a
 * wave at 1 KiB, whose stacks hold 16, and the pattern took 20 and 24%
 * fewer instructions at 512 B and 1 KiB once they could grow (and at
 * 2 KiB 23% fewer once they could hold 64, not a stream's 32, and at
 * 4 KiB 26% fewer once they could hold 64, not 32; at 8 KiB it took
 * half kmalloc's wall time, not 1.2 times, once they could hold 32, not
 * a stream's 8).  A bulk allocation that empties the stack and still
 * needs more swings it too (bulk_get() in gomem.c); a bulk free past a
 * full stack counts none itself, so that each wave of bulk calls counts
 * once.  Unlike a stream, a swing moves no more objects a round trip:
 * the stack only grows.  Like a stream's, its size lasts until the
 * drain, or the budget.
 *
 * The next capacity of a stack that holds cap objects now, after streak
 * moves in a row one way, refills if refill, in a slot that swung swings
 * times.
 */
static __always_inline unsigned int grown_cap(unsigned int cls, unsigned int cap,
					      unsigned int streak,
					      unsigned int swings, bool refill)
{
	unsigned int limit = swings >= MCACHE_SWINGS ?
			     gomem_mcentral[cls].swing_cap : cap_limit(cls, streak);

	if (refill && streak >= MCACHE_STREAM)
		limit = refill_limit(&gomem_mcentral[cls], limit);
	return cap ? min(2 * cap, limit) : first_cap(cls);
}

/*
 * How many of a full stack's objects to flush: the oldest half, which
 * leaves room both ways when frees and allocations alternate.  Other
 * counts when they do not: in a bulk free, the room it still needs, as
 * far as the stack holds, and no more, so that the call leaves the stack
 * full for the allocations after it (measured: bulk128 of 32 to 256 B
 * alone, 120 to 129 instructions an object down to 94 to 106, and of
 * 512 B after the other patterns 133 down to 110, where a flush of at
 * least half, and of a whole section's count, left the stack two thirds
 * full and sent a quarter of the objects more through the mcentral);
 * or, for a stack grown to all it may hold whose last move was a flush
 * too, three quarters of it (up to GOMEM_HELD_MAX), so that a lock round
 * trip moves half as many again, and a few objects stay for the
 * allocations that come next; all of it where it may hold no more than
 * GOMEM_STREAM_MIN objects, as the classes of 8 KiB and more, whose
 * quarter is one or two objects, fewer than the refill after it brings.
 */
static unsigned int flush_count(const struct mcache *c, unsigned int cls)
{
	const struct mcache_slot *slot = &c->slot[cls];
	unsigned int half = slot->cap / 2;

	/* A stack of one object, as the classes above 8 KiB have, flushes it. */
	if (!half)
		return 1;
	if (c->bulk_left)
		return min(c->bulk_left, (unsigned int)slot->n);
	if (slot->flushes && slot->cap >= cap_limit(cls, slot->flushes))
		return gomem_mcentral[cls].stream_cap <= GOMEM_STREAM_MIN ? slot->n :
		       min_t(unsigned int, slot->n - slot->n / 4, GOMEM_HELD_MAX);
	return half;
}

/*
 * mcache_push() found no room for p, and p is not a bulk free's past a
 * small stack (mcache_bulk_away()): the first free of a class with no
 * stack sends p straight back to its mcentral; otherwise the stack gets
 * room for twice as many, or is made, without sleeping; if it has all
 * the room it may have, or none can be had, the oldest half is flushed.
 * Without a stack (none to be had, or debug=1), p goes straight back.
 * Out of line, so that a bulk free's objects put aside do not pay its
 * frame (measured: 57 instructions an object at 16 KiB, with it inline).
 * The mcache locked, c this CPU's.
 */
void mcache_make_room(struct mcache *c, unsigned int cls, void *p, void *st)
{
	struct mcache_slot *slot = &c->slot[cls];
	unsigned int cap, spare;
	struct gomem_obj one = { p, st }, *stack = NULL;

	if (!slot->objs && !(slot->warm & MCACHE_WARM_FREE)) {
		slot->warm |= MCACHE_WARM_FREE;
		mcentral_put(&gomem_mcentral[cls], &one, 1);
		return;
	}
	cap = grown_cap(cls, slot->cap, slot->flushes, slot->swings, false);
	if (cap > slot->cap)
		stack = gomem_meta_alloc(stack_bytes(cap), GFP_ATOMIC | __GFP_NOWARN |
					 __GFP_NOMEMALLOC, gomem_home_node());
	stack = stack_install(c, cls, stack, cap, &spare);
	gomem_meta_free(stack, stack_bytes(spare));
	if (slot->n == slot->cap && slot->cap) {
		mcache_flush(c, cls, flush_count(c, cls), true);
		if (!slot->flushes && slot->refills >= 2 && !c->bulk_left)
			mcache_swung(slot);
		slot->flushes = min(slot->flushes + 1, U8_MAX);
		slot->refills = 0;
	}
	if (slot->n == slot->cap) {
		mcentral_put(&gomem_mcentral[cls], &one, 1);
		return;
	}
	slot->objs[slot->n++] = one;
}

/* The class of o, a CACHED object. */
static unsigned int obj_class(const struct gomem_obj *o)
{
	return gomem_obj_span(o)->spanclass;
}

/*
 * Send every object gathered in c->away back to its span, one batch per
 * class, so one lock round trip per class: mcentral_put() puts each span
 * back on its own node's list.  The mcache locked, or the CPU is dead.
 */
void mcache_flush_away(struct mcache *c)
{
	struct gomem_obj *a = c->away;
	unsigned int i, j, cls;

	/*
	 * By class, insertion sort: MCACHE_AWAY objects at most, and none
	 * to sort when they are all of one class, as a bulk free's are.
	 * Each class's run is then its away_n long.
	 */
	if (c->naway && c->away_n[obj_class(a)] != c->naway)
		for (i = 1; i < c->naway; i++)
			for (j = i; j && obj_class(&a[j - 1]) > obj_class(&a[j]); j--)
				swap(a[j - 1], a[j]);
	for (i = 0; i < c->naway; i = j) {
		cls = obj_class(&a[i]);
		j = i + c->away_n[cls];
		mcentral_put(&gomem_mcentral[cls], a + i, j - i);
		c->away_n[cls] = 0;
		c->stats.flushes++;
	}
	c->naway = 0;
}
EXPORT_SYMBOL_IF_KUNIT(mcache_flush_away);

/*
 * One object of cls in *first, straight from the mcentral, for a CPU
 * that has no stack for cls and either never needed one since the drain
 * or can have none now.  Interrupts enabled.
 */
static bool mcache_first(unsigned int cls, gfp_t gfp, struct gomem_obj *first)
{
	unsigned long flags;
	struct mcache *c;

	if (!mcentral_get(&gomem_mcentral[cls], first, 1, gfp, NUMA_NO_NODE))
		return false;
	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	c->slot[cls].warm |= MCACHE_WARM_ALLOC;
	c->stats.refills++;
	mcache_unlock_irqrestore(flags);
	return true;
}

/*
 * How many objects a refill of cls's stack asks for: half of what it may
 * hold, cap, before the refill (at least of first_cap()), or in a stream
 * of refills (the streak-th in a row) all of what it may hold after;
 * more if the caller is about to take need; never more than most: a
 * refill in place, which moves them straight into the stack, takes up to
 * GOMEM_HELD_MAX, one gathered in mcache_refill()'s frame up to
 * GOMEM_BATCH_MAX.
 */
static unsigned int refill_want(unsigned int cls, unsigned int cap,
				unsigned int grown, unsigned int streak,
				unsigned int need, unsigned int most)
{
	unsigned int want = min(max(cap, first_cap(cls)) / 2, most);

	if (streak >= MCACHE_STREAM)
		want = min(grown, most);
	if (need > want)
		want = min3(need, grown, most);
	return want;
}

/*
 * Refill c's empty stack for cls in place, from the spans its class
 * holds, for an allocation that found it empty: when the stack need not
 * grow and the class need not grow by a span, a refill is one section
 * of the mcache lock, the object popped in it too, with the batch got
 * straight into the stack, where mcache_refill() takes the lock twice
 * and copies the batch in (measured, one icount boot: batches'
 * allocations from 8 B to 8 KiB took 4 to 7 instructions an object
 * fewer, at 32 KiB 10 to 21, objects freed on another CPU 5 to 7 fewer,
 * at 32 KiB 19).
 * Returns false, having moved nothing, when mcache_refill() must do it:
 * the stack must be made or grown (which may sleep), the CPU has not
 * taken its first object of cls since the drain (mcache_first()), or
 * the class holds fewer FREE objects than the batch, counting those on
 * the transfer stack of this CPU's node, which go first.  The mcache
 * locked, c this CPU's; the mcentral's lock nests inside, as a flush's.
 */
bool mcache_refill_held(struct mcache *c, unsigned int cls)
{
	struct mcentral *mc = &gomem_mcentral[cls];
	struct mcache_slot *slot = &c->slot[cls];
	unsigned int streak = slot->refills + 1, want, got;
	unsigned long free;

	if (!(slot->warm & MCACHE_WARM_ALLOC) ||
	    grown_cap(cls, slot->cap, streak, slot->swings, true) > slot->cap)
		return false;
	/* Never more than the stack holds, whatever the caps come to. */
	want = min_t(unsigned int, slot->cap,
		     refill_want(cls, slot->cap, slot->cap, streak, 1,
				 GOMEM_HELD_MAX));
	/*
	 * Only a whole batch, so that a class that must grow for it grows
	 * in mcache_refill() as it did, and every refill takes the objects
	 * it took (measured: taking what the spans had, and growing at the
	 * next refill, cost batches' frees of 192 B 5 instructions an
	 * object more, their objects spread over more spans).  Read without
	 * the mcentral's lock, a hint: another CPU's get meanwhile leaves
	 * a smaller batch, never a wrong one.
	 */
	free = READ_ONCE(mc->nr_free);
	if (free < want && free + mcentral_xfer_held(mc, gomem_home_node()) < want)
		return false;
	got = mcentral_get_held(mc, slot->objs, want);
	if (!got)
		return false;
	slot->n = got;
	slot->warm |= MCACHE_WARM_RECENT;
	if (slot->flushes >= 2)
		mcache_swung(slot);
	mcache_moved_in(slot, false);
	c->stats.refills++;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mcache_refill_held);

/*
 * Refill this CPU's stack for cls with a batch from the mcentral, half
 * of what the stack may hold (all of it in a stream of refills), or more
 * if the caller is about to take more (need: a bulk allocation's rest),
 * up to what it may hold and GOMEM_BATCH_MAX; and let it hold twice as
 * many from now on.
 * The stack is allocated, or grown, here, where the caller's flags say
 * whether that may sleep.  If the caller passed first and this is the
 * CPU's first allocation of cls since the drain (or no stack can be had),
 * one object goes there instead, with first->p set, and none to a stack.
 * Interrupts enabled: the mcentral may have to grow too.  Returns false
 * if nothing could be had.
 */
bool mcache_refill(unsigned int cls, gfp_t gfp, struct gomem_obj *first,
		   unsigned int need)
{
	struct mcentral *mc = &gomem_mcentral[cls];
	unsigned int got, room, cap, grown_to, want, spare_cap, streak, swings;
	unsigned long grown;
	bool grew;
	/*
	 * Not zeroed on entry, as INIT_STACK_ALL_ZERO (Debian's kernels
	 * have it) would: 512 bytes, a third of a refill's own instructions,
	 * of which only what mcentral_get() wrote is ever read.
	 */
	struct gomem_obj objs[GOMEM_BATCH_MAX] __uninitialized;
	struct gomem_obj *stack;
	struct mcache_slot *slot;
	unsigned long flags;
	struct mcache *c;
	bool ok, bare;

	/*
	 * objs holds what the refill wants, which refill_want() bounds by
	 * GOMEM_BATCH_MAX here, not by the half stack of a refill in place
	 * (unbounded, half of a stack of 256 was a fortify panic at load).
	 */
	do {
		/* A hint: we may be on another CPU by the time it is used. */
		slot = &this_cpu_read(gomem_mcache)->slot[cls];
		if (first && !(READ_ONCE(slot->warm) & MCACHE_WARM_ALLOC))
			return mcache_first(cls, gfp, first);
		cap = READ_ONCE(slot->cap);
		stack = NULL;
		streak = READ_ONCE(slot->refills) + 1;
		swings = READ_ONCE(slot->swings);
		grown_to = grown_cap(cls, cap, streak, swings, true);
		want = refill_want(cls, cap, max(cap, grown_to), streak, need,
				   GOMEM_BATCH_MAX);
		if (grown_to > cap) {
			cap = grown_to;
			stack = gomem_meta_alloc(stack_bytes(cap), gomem_inherit_gfp(gfp),
						 gomem_home_node());
			/* No stack to be had: one object will do, if wanted. */
			if (!stack && cap == first_cap(cls))
				return first && mcache_first(cls, gfp, first);
		}
		/* Another CPU's growth meanwhile counts as ours: no stream. */
		grown = READ_ONCE(mc->nr_grown);
		got = mcentral_get_some(mc, objs, max(want, 1U), need, gfp);
		grew = READ_ONCE(mc->nr_grown) != grown;
		mcache_lock_irqsave(flags);
		/* We may be on another CPU now; fill whichever we are on. */
		c = this_cpu_read(gomem_mcache);
		slot = &c->slot[cls];
		stack = stack_install(c, cls, stack, cap, &spare_cap);
		room = min_t(unsigned int, got, slot->cap - slot->n);
		memcpy(slot->objs + slot->n, objs, room * sizeof(*objs));
		slot->n += room;
		if (slot->flushes >= 2 && !grew && need <= 1)
			mcache_swung(slot);
		mcache_moved_in(slot, grew);
		c->stats.refills++;
		ok = slot->n;
		bare = !slot->cap;
		mcache_unlock_irqrestore(flags);
		gomem_meta_free(stack, stack_bytes(spare_cap));
		/* Interrupts filled the stack meanwhile, or it is gone: give back. */
		if (room < got)
			mcentral_put(mc, objs + room, got - room);
		/* A drain freed the stack under us: start over, with a new one. */
	} while (!ok && got && bare);
	return ok;
}
EXPORT_SYMBOL_IF_KUNIT(mcache_refill);

/*
 * Empty one mcache, and free its stacks; its CPU's mcache lock held, or
 * the CPU is dead.
 */
static void mcache_drain(struct mcache *c)
{
	unsigned int cls;

	tiny_retire(c);
	mcache_flush_away(c);
	c->hand = 0;
	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++) {
		mcache_evict(c, cls);
		c->slot[cls].warm = 0;
		/* A drained CPU holds on to no span: other CPUs may take it. */
		WRITE_ONCE(c->claim[cls], c->claim[cls] + 1);
	}
}

/*
 * Each CPU drains its own mcache, in a work item bound to it, under its
 * mcache lock: not in an IPI, whose handler could neither free the
 * stacks nor, on PREEMPT_RT, take the mcentral's spinlock_t.  The
 * workqueue has a rescuer, since the shrinker waits for it when memory
 * is short.
 */
static struct workqueue_struct *mcache_drain_wq;
static DEFINE_PER_CPU(struct work_struct, mcache_drain_work);

/*
 * Drain the CPU the work runs on: its own, or, if that CPU went offline
 * meanwhile, whichever the workqueue chose, which is as harmless, since
 * the dead CPU is drained by mcache_cpu_dead().
 */
static void mcache_drain_local(struct work_struct *unused)
{
	unsigned long flags;

	mcache_lock_irqsave(flags);
	mcache_drain(this_cpu_read(gomem_mcache));
	mcache_unlock_irqrestore(flags);
}

/*
 * Drain every online CPU for which want(cpu) holds (all if NULL); wait;
 * then empty the transfer stacks, where the drains left nothing, but
 * the CPUs' flushes may have.
 */
static void mcache_drain_cpus(bool (*want)(int cpu))
{
	int cpu;

	for_each_online_cpu(cpu)
		if (!want || want(cpu))
			queue_work_on(cpu, mcache_drain_wq,
				      per_cpu_ptr(&mcache_drain_work, cpu));
	for_each_possible_cpu(cpu)
		flush_work(per_cpu_ptr(&mcache_drain_work, cpu));
	mcentral_xfer_drain();
}

/*
 * Empty every online CPU's mcache, and then the transfer stacks, so that
 * all free objects are back in their spans: for gomem_drain()
 * (reclaim.c).  Process context.  No hotplug lock is needed, and none is
 * taken because the shrinker may run inside a hotplug operation: a CPU
 * going offline is drained when dead, and a CPU coming online has
 * nothing cached.
 */
void mcache_drain_all(void)
{
	mcache_drain_cpus(NULL);
}

/* Does online cpu's mcache hold anything: objects, a tiny block, stacks? */
static bool mcache_holds(int cpu)
{
	struct mcache *c = gomem_mcache_of(cpu);
	unsigned int cls;

	if (READ_ONCE(c->tiny) || READ_ONCE(c->naway))
		return true;
	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++)
		if (READ_ONCE(c->slot[cls].objs))
			return true;
	return false;
}

/*
 * mcache_drain_all() for the shrinker: only the CPUs that hold something
 * are woken; the transfer stacks are emptied after them.  Process
 * context.
 */
void mcache_drain_busy(void)
{
	mcache_drain_cpus(mcache_holds);
}

/*
 * The bytes of the objects cached on every CPU, on its stacks and in its
 * buffer of objects on their way home, and of its current tiny block, and
 * on the transfer stacks; read without locks.  The shrinker counts them
 * (reclaim_count()): one left out, alone in a buffer, pinned its span's
 * page for good, as a count of 0 never has the shrinker drain it.
 */
unsigned long mcache_cached_bytes(void)
{
	unsigned long bytes = 0;
	unsigned int cpu, cls;
	struct mcache *c;

	for_each_online_cpu(cpu) {
		c = gomem_mcache_of(cpu);
		for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++)
			bytes += ((unsigned long)READ_ONCE(c->slot[cls].n) +
				  READ_ONCE(c->away_n[cls])) * gomem_mcentral[cls].size;
		if (READ_ONCE(c->tiny))
			bytes += gomem_mcentral[GOMEM_TINY_CLASS].size;
	}
	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++)
		bytes += mcentral_xfer_objs(&gomem_mcentral[cls]) *
			 gomem_mcentral[cls].size;
	return bytes;
}
EXPORT_SYMBOL_IF_KUNIT(mcache_cached_bytes);

/*
 * cpu's home node (gomem_home_node()), as the nodes' memory is now.  A
 * CPU that is only possible may have no node yet on some architectures:
 * any node with normal memory will do until it comes up and is asked
 * again.
 */
static void mcache_set_home(unsigned int cpu)
{
	int node = cpu_to_node(cpu);

	WRITE_ONCE(per_cpu(gomem_home, cpu),
		   node == NUMA_NO_NODE ? first_node(node_states[N_NORMAL_MEMORY]) :
					  mheap_memory_node(node));
}

/*
 * Memory hotplug: a node that gains its first normal memory becomes its
 * CPUs' home, and one that loses its last stops being it; memory onlined
 * movable changes no home (mheap_memory_node()).  The node states
 * have changed by the time this is told (MEM_ONLINE, MEM_OFFLINE), and
 * the hotplug holds the CPU-hotplug lock, so mcache_cpu_prepare() does
 * not run meanwhile.  A CPU that reads its old home a moment longer
 * only allocates less locally: its stacks' objects of the old home's
 * spans are foreign once it reads the new one, and go home when freed.
 */
static int mcache_memory_event(struct notifier_block *nb, unsigned long action,
			       void *arg)
{
	unsigned int cpu;

	if (action == MEM_ONLINE || action == MEM_OFFLINE)
		for_each_possible_cpu(cpu)
			mcache_set_home(cpu);
	return NOTIFY_OK;
}

static struct notifier_block mcache_memory_nb = {
	.notifier_call = mcache_memory_event,
};

/*
 * CPU hotplug, before cpu first runs: its home node, and its mcache, on
 * its node.  The mcache stays when cpu goes offline, drained, with the
 * statistics of what cpu did, so that a CPU that was never online costs
 * nothing but a pointer.
 */
static int mcache_cpu_prepare(unsigned int cpu)
{
	struct mcache *c;

	mcache_set_home(cpu);
	if (per_cpu(gomem_mcache, cpu))
		return 0;
	c = gomem_meta_alloc_load(sizeof(*c), cpu_to_node(cpu));
	if (!c)
		return -ENOMEM;
	/* No current tiny block: see struct mcache. */
	c->tiny_off = GOMEM_TINY_MAX;
	/* A reader that sees c sees it set up: see gomem_mcache_of(). */
	smp_store_release(per_cpu_ptr(&gomem_mcache, cpu), c);
	return 0;
}

/* CPU hotplug: the CPU is dead, so nothing can race with the drain. */
static int mcache_cpu_dead(unsigned int cpu)
{
	unsigned long flags;

	if (!per_cpu(gomem_mcache, cpu))
		return 0;
	/*
	 * mcentral_put() expects what a CPU's own flush gives it: no gomem
	 * code running in between on this CPU.
	 */
	mcache_lock_irqsave(flags);
	mcache_drain(per_cpu(gomem_mcache, cpu));
	mcache_unlock_irqrestore(flags);
	return 0;
}

void gomem_stats_read(struct gomem_stats *st)
{
	const struct gomem_cpu_stats *cs;
	const struct mcache *c;
	unsigned int cpu, i;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		c = gomem_mcache_of(cpu);
		if (!c)
			continue;
		cs = &c->stats;
		for (i = 0; i < GOMEM_NR_SPANCLASSES; i++) {
			st->cls[i].allocs += READ_ONCE(c->slot[i].stats.allocs);
			st->cls[i].frees += READ_ONCE(c->slot[i].stats.frees);
			st->cls[i].bytes += READ_ONCE(c->slot[i].stats.bytes);
			st->cached[i] += READ_ONCE(c->slot[i].n) +
					 READ_ONCE(c->away_n[i]);
		}
		st->tiny.allocs += READ_ONCE(cs->tiny.allocs);
		st->tiny.frees += READ_ONCE(cs->tiny.frees);
		st->tiny.bytes += READ_ONCE(cs->tiny.bytes);
		st->refills += READ_ONCE(cs->refills);
		st->flushes += READ_ONCE(cs->flushes);
		st->alloc_failures += READ_ONCE(cs->alloc_failures);
		st->bad_frees += READ_ONCE(cs->bad_frees);
	}
	for (i = 1; i < GOMEM_NR_CLASSES; i++)
		st->cached[i] += mcentral_xfer_objs(&gomem_mcentral[i]);
	/* The small classes' sums of states, as bytes: see gomem_class_stats. */
	for (i = 1; i < GOMEM_NR_CLASSES; i++)
		st->cls[i].bytes = (s64)(st->cls[i].allocs - st->cls[i].frees) *
				   (gomem_mcentral[i].size + 1) - st->cls[i].bytes;
}
EXPORT_SYMBOL_IF_KUNIT(gomem_stats_read);

void mcache_free(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		gomem_meta_free(per_cpu(gomem_mcache, cpu), sizeof(struct mcache));
		per_cpu(gomem_mcache, cpu) = NULL;
	}
}

/*
 * The bytes of objects the widest stack any class may have holds: the
 * least budget that lets mcache_budget() always make room.  Once the
 * mcentrals have their caps.
 */
unsigned long mcache_widest(void)
{
	const struct mcentral *mc;
	unsigned long widest = 0;
	unsigned int cls;

	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++) {
		mc = &gomem_mcentral[cls];
		widest = max(widest, objs_bytes(cls, max3(mc->cache_cap,
							  mc->stream_cap,
							  mc->swing_cap)));
	}
	return widest;
}
EXPORT_SYMBOL_IF_KUNIT(mcache_widest);

int mcache_init(void)
{
	unsigned long widest = mcache_widest();
	unsigned int cpu;
	int ret;

	/* A loaded gomem's whole cost per CPU ever online, stacks aside. */
	BUILD_BUG_ON(sizeof(struct mcache) > SZ_4K);
	BUILD_BUG_ON(MCACHE_AWAY > U8_MAX);
	gomem_mcache_budget = (unsigned long)mcache_kib * SZ_1K;
	if (gomem_mcache_budget < widest) {
		pr_err("mcache_kib=%u is less than the widest stack of a class, %lu KiB\n",
		       mcache_kib, widest / SZ_1K);
		return -EINVAL;
	}
	if (num_possible_nodes() > 1)
		static_branch_enable(&gomem_numa_key);
	if (gomem_load_fails())
		return -ENOMEM;
	mcache_drain_wq = alloc_workqueue("gomem_drain", WQ_MEM_RECLAIM, 0);
	if (!mcache_drain_wq)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		INIT_WORK(per_cpu_ptr(&mcache_drain_work, cpu), mcache_drain_local);
	ret = gomem_load_fails() ? -ENOMEM :
				   register_memory_notifier(&mcache_memory_nb);
	if (ret)
		goto out_wq;
	/* Calls mcache_cpu_prepare() for every online CPU, and undoes it. */
	ret = cpuhp_setup_state(CPUHP_BP_PREPARE_DYN, "gomem:mcache",
				mcache_cpu_prepare, mcache_cpu_dead);
	if (ret < 0) {
		mcache_free();
		unregister_memory_notifier(&mcache_memory_nb);
		goto out_wq;
	}
	mcache_hp_state = ret;
	return 0;
out_wq:
	destroy_workqueue(mcache_drain_wq);
	return ret;
}

/* Unload: drain every CPU; the statistics stay until mcache_free(). */
void mcache_exit(void)
{
	unsigned int cpu;

	cpuhp_remove_state_nocalls(mcache_hp_state);
	unregister_memory_notifier(&mcache_memory_nb);
	destroy_workqueue(mcache_drain_wq);
	for_each_possible_cpu(cpu)
		mcache_cpu_dead(cpu);
}
