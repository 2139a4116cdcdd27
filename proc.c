// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/gomem and /proc/gomem_cpu, the allocator's statistics.
 *
 * The formats are documented in README.md; any change to one bumps its
 * version, GOMEM_PROC_VERSION or GOMEM_CPU_VERSION.  Every figure is
 * computed when the file is read: the per-CPU counters are summed, each
 * mcentral's and the mheap's counters are read under their own lock, one
 * at a time, so a reader never stalls allocation for longer than one
 * class takes to copy.  With nothing allocating meanwhile, the figures
 * are exact and agree with one another (for each class, spans *
 * objs_per_span = objs_inuse + objs_cached + objs_free).
 *
 * Each read of the file from the start takes one snapshot (seq_file's
 * single_open() fills its buffer in one go), so a reader using a tiny
 * buffer still sees consistent text; a seek starts a fresh snapshot.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/cpumask.h>

#include "gomem_internal.h"

#define GOMEM_PROC_VERSION	3
#define GOMEM_CPU_VERSION	2

struct proc_snap {
	struct gomem_stats st;
	unsigned long spans[GOMEM_NR_SPANCLASSES];
	unsigned long pages[GOMEM_NR_SPANCLASSES];
	unsigned long free[GOMEM_NR_SPANCLASSES];
	unsigned long pages_total, pages_free, pages_acquired, pages_released;
	unsigned long large_objects, large_pages;
};

static void proc_snap_read(struct proc_snap *p)
{
	struct mcentral *c;
	unsigned long flags;
	unsigned int cls;

	gomem_stats_read(&p->st);
	/* Class 0's: the large spans it keeps. */
	for (cls = 0; cls < GOMEM_NR_SPANCLASSES; cls++) {
		c = &gomem_mcentral[cls];
		spin_lock_irqsave(&c->lock, flags);
		p->spans[cls] = c->nr_spans;
		p->pages[cls] = c->nr_pages;
		p->free[cls] = c->nr_free;
		spin_unlock_irqrestore(&c->lock, flags);
	}
	spin_lock_irqsave(&gomem_mheap.lock, flags);
	p->pages_total = gomem_mheap.pages_total;
	p->pages_free = gomem_mheap.pages_free;
	p->pages_acquired = gomem_mheap.pages_acquired;
	p->pages_released = gomem_mheap.pages_released;
	p->large_objects = atomic_long_read(&gomem_mheap.nr_large);
	p->large_pages = atomic_long_read(&gomem_mheap.large_pages);
	spin_unlock_irqrestore(&gomem_mheap.lock, flags);
}

static u64 live(const struct gomem_class_stats *c)
{
	return c->allocs - c->frees;
}

/*
 * One row of the class table.  The tiny row counts blocks, but its
 * requested bytes are those of the tiny objects inside them.
 */
static void show_class(struct seq_file *m, const struct proc_snap *p,
		       unsigned int cls, const char *name, s64 requested)
{
	const struct mcentral *c = &gomem_mcentral[cls];
	const struct gomem_class_stats *st = &p->st.cls[cls];

	seq_printf(m, "%-5s %6u %10u %13u %6lu %6lu %10llu %11lu %9lu %10llu %10llu %15lld\n",
		   name, gomem_classes[cls == GOMEM_TINY_CLASS ?
				       gomem_size_class(GOMEM_TINY_MAX) : cls].size,
		   c->npages, c->nelems, p->spans[cls], p->pages[cls], live(st),
		   p->st.cached[cls], p->free[cls], st->allocs, st->frees,
		   requested);
}

static int gomem_proc_show(struct seq_file *m, void *v)
{
	const struct gomem_class_stats *cls_st;
	u64 calls = 0, frees = 0, allocated = 0;
	s64 requested = 0;
	struct proc_snap *p;
	unsigned int cls;
	char name[8];

	p = kmalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	proc_snap_read(p);
	for (cls = 0; cls < GOMEM_NR_CLASSES; cls++) {
		cls_st = &p->st.cls[cls];
		calls += cls_st->allocs;
		frees += cls_st->frees;
		requested += cls_st->bytes;
		allocated += live(cls_st) * gomem_classes[cls].size;
	}
	calls += p->st.tiny.allocs + p->st.alloc_failures;
	frees += p->st.tiny.frees + p->st.bad_frees;
	requested += p->st.tiny.bytes;
	allocated += live(&p->st.cls[GOMEM_TINY_CLASS]) *
		     gomem_mcentral[GOMEM_TINY_CLASS].size +
		     ((u64)p->large_pages << PAGE_SHIFT);

	seq_printf(m, "gomem version %d\n", GOMEM_PROC_VERSION);
	seq_printf(m, "pages_total %lu\n", p->pages_total);
	seq_printf(m, "pages_inuse %lu\n",
		   p->pages_total - p->pages_free);
	seq_printf(m, "pages_free %lu\n", p->pages_free);
	seq_printf(m, "pages_acquired %lu\n", p->pages_acquired);
	seq_printf(m, "pages_released %lu\n", p->pages_released);
	seq_printf(m, "metadata_bytes %ld\n", atomic_long_read(&gomem_meta_bytes));
	seq_printf(m, "large_objects %lu\n", p->large_objects);
	seq_printf(m, "large_bytes %lu\n", p->large_pages << PAGE_SHIFT);
	seq_printf(m, "large_kept_bytes %lu\n",
		   p->pages[GOMEM_LARGE_CLASS] << PAGE_SHIFT);
	seq_printf(m, "tiny_blocks %llu\n", live(&p->st.cls[GOMEM_TINY_CLASS]));
	seq_printf(m, "tiny_objects %llu\n", live(&p->st.tiny));
	seq_printf(m, "alloc_calls %llu\n", calls);
	seq_printf(m, "free_calls %llu\n", frees);
	seq_printf(m, "alloc_failures %llu\n", p->st.alloc_failures);
	seq_printf(m, "bytes_requested %lld\n", requested);
	seq_printf(m, "bytes_allocated %llu\n", allocated);
	seq_printf(m, "bad_frees %llu\n", p->st.bad_frees);
	seq_printf(m, "shrink_calls %ld\n", atomic_long_read(&gomem_shrink_calls));
	seq_printf(m, "shrink_freed %ld\n", atomic_long_read(&gomem_shrink_freed));
	seq_puts(m, "class   size span_pages objs_per_span  spans  pages objs_inuse objs_cached objs_free     allocs      frees bytes_requested\n");
	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		snprintf(name, sizeof(name), "%u", cls);
		show_class(m, p, cls, name, p->st.cls[cls].bytes);
	}
	show_class(m, p, GOMEM_TINY_CLASS, "tiny", p->st.tiny.bytes);
	kfree(p);
	return 0;
}

static int gomem_cpu_show(struct seq_file *m, void *v)
{
	unsigned int cpu, cls, cached;
	struct gomem_cpu_stats *st;
	u64 allocs, frees, misses, refills, flushes, evictions;
	unsigned long stack_bytes;
	struct mcache *c;

	seq_printf(m, "gomem_cpu version %d\n", GOMEM_CPU_VERSION);
	seq_puts(m, "cpu online objs_cached     allocs      frees       hits     misses    refills    flushes stack_bytes  evictions\n");
	for_each_possible_cpu(cpu) {
		allocs = 0;
		frees = 0;
		cached = 0;
		misses = 0;
		refills = 0;
		flushes = 0;
		stack_bytes = 0;
		evictions = 0;
		/* A CPU that has never been online has no mcache: all zero. */
		c = gomem_mcache_of(cpu);
		if (c) {
			st = &c->stats;
			for (cls = 1; cls < GOMEM_NR_SPANCLASSES; cls++) {
				allocs += READ_ONCE(c->slot[cls].stats.allocs);
				frees += READ_ONCE(c->slot[cls].stats.frees);
				cached += READ_ONCE(c->slot[cls].n);
			}
			misses = READ_ONCE(st->misses);
			refills = READ_ONCE(st->refills);
			flushes = READ_ONCE(st->flushes);
			stack_bytes = READ_ONCE(c->cap_bytes);
			evictions = READ_ONCE(st->evictions);
		}
		seq_printf(m, "%3u %6d %11u %10llu %10llu %10llu %10llu %10llu %10llu %11lu %10llu\n",
			   cpu, cpu_online(cpu), cached, allocs, frees,
			   allocs - misses, misses, refills, flushes,
			   stack_bytes, evictions);
	}
	return 0;
}

int gomem_proc_init(void)
{
	if (gomem_load_fails() ||
	    !proc_create_single("gomem", 0444, NULL, gomem_proc_show))
		return -ENOMEM;
	if (gomem_load_fails() ||
	    !proc_create_single("gomem_cpu", 0444, NULL, gomem_cpu_show)) {
		remove_proc_entry("gomem", NULL);
		return -ENOMEM;
	}
	return 0;
}

void gomem_proc_exit(void)
{
	remove_proc_entry("gomem_cpu", NULL);
	remove_proc_entry("gomem", NULL);
}
