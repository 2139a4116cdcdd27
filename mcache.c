// SPDX-License-Identifier: GPL-2.0
/*
 * The per-CPU caches that serve most allocations and frees.
 *
 * Each CPU has an mcache with one small stack of CACHED objects per span
 * class.  Allocation pops, free pushes, both with interrupts disabled on
 * this CPU and no lock.  That is safe against an interrupt because the
 * interrupt cannot run until the stack is consistent again, and against
 * other CPUs because none of them touches this mcache (see the locking
 * notes in gomem_internal.h).  The one atomic on these paths is the
 * free's claim of the object's state, before the push (gomem.c).
 *
 * An empty stack refills half its capacity from the mcentral; a full one
 * flushes the oldest half back.  A free lands on the freeing CPU's stack
 * whichever CPU allocated the object, so remote frees cost the same as
 * local ones, and they cannot pile up: a stack never holds more than its
 * capacity.  A CPU's stacks are drained when it goes offline and at
 * unload.
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
#include <linux/smp.h>

#include "gomem_internal.h"

DEFINE_PER_CPU(struct mcache *, gomem_mcache);

/* For the KUnit suites, which cannot reach a per-CPU variable. */
struct mcache *gomem_mcache_of(unsigned int cpu)
{
	return per_cpu(gomem_mcache, cpu);
}
EXPORT_SYMBOL_IF_KUNIT(gomem_mcache_of);

static int mcache_hp_state;

/*
 * Give back the oldest n objects, keeping the recently freed ones, whose
 * cache lines are likeliest to be hot, for the next allocations.
 * Interrupts disabled, or the CPU is dead.
 */
void mcache_flush(struct mcache *c, unsigned int cls, unsigned int n)
{
	struct mcache_slot *slot = &c->slot[cls];

	mcentral_put(&gomem_mcentral[cls], slot->objs, n);
	slot->n -= n;
	memmove(slot->objs, slot->objs + n, slot->n * sizeof(*slot->objs));
	c->stats.flushes++;
}

/*
 * Refill this CPU's stack for cls with a batch from the mcentral.
 * Interrupts enabled: the mcentral may have to grow, which may sleep if
 * gfp allows.  Returns false if nothing could be had.
 */
bool mcache_refill(unsigned int cls, gfp_t gfp)
{
	struct mcentral *mc = &gomem_mcentral[cls];
	struct gomem_obj objs[GOMEM_BATCH_MAX];
	struct mcache_slot *slot;
	unsigned int got, room;
	unsigned long flags;
	struct mcache *c;

	got = mcentral_get(mc, objs, mc->batch, gfp);
	if (!got)
		return false;
	local_irq_save(flags);
	/* We may be on another CPU now; fill whichever we are on. */
	c = this_cpu_read(gomem_mcache);
	slot = &c->slot[cls];
	room = min(got, slot->cap - slot->n);
	memcpy(slot->objs + slot->n, objs, room * sizeof(*objs));
	slot->n += room;
	c->stats.refills++;
	local_irq_restore(flags);
	/* Interrupts filled the stack meanwhile: return the rest. */
	if (room < got)
		mcentral_put(mc, objs + room, got - room);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mcache_refill);

/* Empty one mcache; interrupts disabled on its CPU, or the CPU is dead. */
static void mcache_drain(struct mcache *c)
{
	unsigned int cls;

	tiny_retire(c);
	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++)
		if (c->slot[cls].n)
			mcache_flush(c, cls, c->slot[cls].n);
}

static void mcache_drain_local(void *unused)
{
	mcache_drain(this_cpu_read(gomem_mcache));
}

/*
 * Empty every CPU's mcache, so that all free objects are back in their
 * spans and empty spans back in the mheap.  Process context, interrupts
 * enabled.  No hotplug lock is needed, and none is taken because the
 * shrinker may run inside a hotplug operation: a CPU going offline runs
 * pending calls before it dies and is drained again when dead, and a
 * CPU coming online has nothing cached.
 */
void gomem_drain(void)
{
	on_each_cpu(mcache_drain_local, NULL, 1);
}
EXPORT_SYMBOL_IF_KUNIT(gomem_drain);

/*
 * Memory pressure (or drop_caches) drains the per-CPU caches: their
 * objects go back to their spans, empty spans to the mheap, and every
 * free page the mheap holds goes back to the page allocator.
 */
static unsigned long mcache_count(struct shrinker *sh,
				  struct shrink_control *sc)
{
	unsigned long n = READ_ONCE(gomem_mheap.pages_free);
	unsigned int cpu, cls;
	struct mcache *c;

	for_each_online_cpu(cpu) {
		c = per_cpu(gomem_mcache, cpu);
		n += !!READ_ONCE(c->tiny);
		for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++)
			n += READ_ONCE(c->slot[cls].n);
	}
	return n ?: SHRINK_EMPTY;
}

atomic_long_t gomem_shrink_calls;

static unsigned long mcache_scan(struct shrinker *sh,
				 struct shrink_control *sc)
{
	unsigned long n = mcache_count(sh, sc);

	atomic_long_inc(&gomem_shrink_calls);
	if (n == SHRINK_EMPTY)
		return SHRINK_STOP;
	gomem_drain();
	mheap_scavenge(0);
	return n;
}

static struct shrinker *mcache_shrinker;

/* CPU hotplug: the CPU is dead, so nothing can race with the drain. */
static int mcache_cpu_dead(unsigned int cpu)
{
	unsigned long flags;

	/* mcentral_put() expects the caller not to be interrupted. */
	local_irq_save(flags);
	mcache_drain(per_cpu(gomem_mcache, cpu));
	local_irq_restore(flags);
	return 0;
}

void gomem_stats_read(struct gomem_stats *st)
{
	const struct gomem_cpu_stats *cs;
	const struct mcache *c;
	unsigned int cpu, i;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		c = per_cpu(gomem_mcache, cpu);
		cs = &c->stats;
		for (i = 0; i < GOMEM_NR_SPANCLASSES; i++) {
			st->cls[i].allocs += READ_ONCE(cs->cls[i].allocs);
			st->cls[i].frees += READ_ONCE(cs->cls[i].frees);
			st->cls[i].bytes += READ_ONCE(cs->cls[i].bytes);
			st->cached[i] += READ_ONCE(c->slot[i].n);
		}
		st->tiny.allocs += READ_ONCE(cs->tiny.allocs);
		st->tiny.frees += READ_ONCE(cs->tiny.frees);
		st->tiny.bytes += READ_ONCE(cs->tiny.bytes);
		st->refills += READ_ONCE(cs->refills);
		st->flushes += READ_ONCE(cs->flushes);
		st->alloc_failures += READ_ONCE(cs->alloc_failures);
		st->bad_frees += READ_ONCE(cs->bad_frees);
	}
}
EXPORT_SYMBOL_IF_KUNIT(gomem_stats_read);

/* The size of one CPU's mcache, with its stacks. */
static size_t mcache_bytes(void)
{
	unsigned int cls, slots = 0;
	struct mcache *c;

	for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++)
		slots += gomem_mcentral[cls].cache_cap;
	return struct_size(c, storage, slots);
}

void mcache_free(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		gomem_meta_free(per_cpu(gomem_mcache, cpu), mcache_bytes());
		per_cpu(gomem_mcache, cpu) = NULL;
	}
}

int mcache_init(void)
{
	unsigned int cpu, cls;
	struct mcache *c;
	struct gomem_obj *next;
	int ret;

	for_each_possible_cpu(cpu) {
		c = gomem_meta_alloc(mcache_bytes(), GFP_KERNEL, cpu_to_node(cpu));
		if (!c) {
			ret = -ENOMEM;
			goto fail;
		}
		next = c->storage;
		for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++) {
			c->slot[cls].objs = next;
			c->slot[cls].cap = gomem_mcentral[cls].cache_cap;
			next += c->slot[cls].cap;
		}
		per_cpu(gomem_mcache, cpu) = c;
	}
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "gomem:dead",
					NULL, mcache_cpu_dead);
	if (ret < 0)
		goto fail;
	mcache_hp_state = ret;
	/* Without a shrinker, caches are drained only at unload: go on. */
	mcache_shrinker = gomem_shrinker_create(mcache_count, mcache_scan);
	if (!mcache_shrinker)
		pr_warn("no shrinker: per-CPU caches will not shrink under memory pressure\n");
	return 0;
fail:
	mcache_free();
	return ret;
}

/* Unload: drain every CPU; the statistics stay until mcache_free(). */
void mcache_exit(void)
{
	unsigned int cpu;

	if (mcache_shrinker)
		gomem_shrinker_destroy(mcache_shrinker);
	cpuhp_remove_state_nocalls(mcache_hp_state);
	for_each_possible_cpu(cpu)
		mcache_cpu_dead(cpu);
}
