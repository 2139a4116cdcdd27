// SPDX-License-Identifier: GPL-2.0
/*
 * callers=1: live bytes and objects per call site, in /proc/gomem_callers,
 * in the spirit of /proc/allocinfo.
 *
 * It rides on debug.c's records: with callers=1 (or debug=1) every object
 * goes through debug.c's paths, which record the call site and the
 * request of each object in its span, and keep no object in a per-CPU
 * cache; callers=1 alone leaves out debug=1's poison and redzones.  So
 * nothing is counted as objects come and go: a read of the file walks
 * every span, found through its pages (mspan_for_each()), each small one
 * under its class's mcentral lock, and sums the live objects by call
 * site.
 * It is exact when nothing allocates meanwhile.  Tiny requests are served
 * by the small classes then, as under debug=1, and counted like the rest.
 * Off (the default), the file does not exist and nothing costs anything:
 * the paths are behind the static key that debug=1 uses.
 *
 * The format, whose version is the first line:
 *
 *	gomem_callers version 1
 *	#        bytes    objects call_site
 *	          2100          7 my_func+0x1c/0x40 [my_module]
 *
 * one line per call site with live objects, most bytes first; bytes are
 * the bytes asked for (or gomem_size()'s, once the caller called it).
 * Past CALLERS_MAX call sites, the rest are summed on a last line whose
 * call_site is "(other call sites)".
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/hash.h>

#include "gomem_internal.h"

#define GOMEM_CALLERS_VERSION	1
#define CALLERS_BITS		12
#define CALLERS_MAX		BIT(CALLERS_BITS)

static bool callers;
module_param(callers, bool, 0444);
MODULE_PARM_DESC(callers,
		 "Account live bytes and objects per call site in /proc/gomem_callers (default off; every call then takes the mcentral's lock)");

bool gomem_callers_on(void)
{
	return callers;
}

struct callers_site {
	unsigned long ip;	/* 0: an empty slot */
	u64 bytes, objects;
};

struct callers_tab {
	struct callers_site site[CALLERS_MAX];
	struct callers_site other;
	unsigned int n;
};

/* Count one live object of req bytes, allocated from ip. */
static void callers_add(struct callers_tab *t, unsigned long ip, size_t req)
{
	unsigned int h = hash_long(ip, CALLERS_BITS), i;
	struct callers_site *s = &t->other;

	/* Open addressing; a full table sends the rest to "other". */
	for (i = 0; i < CALLERS_MAX; i++) {
		s = &t->site[(h + i) & (CALLERS_MAX - 1)];
		if (s->ip == ip)
			break;
		if (!s->ip) {
			if (t->n == CALLERS_MAX - 1) {
				s = &t->other;
				break;
			}
			s->ip = ip;
			t->n++;
			break;
		}
	}
	s->bytes += req;
	s->objects++;
}

/* Object i of s, live. */
static void callers_add_obj(struct callers_tab *t, struct mspan *s,
			    unsigned int i)
{
	unsigned long ip;
	size_t req;

	ip = gomem_debug_caller(s, i, &req);
	callers_add(t, ip, req);
}

/* The live objects of one span, whose class's lock is held. */
static void callers_add_span(struct callers_tab *t, struct mspan *s)
{
	unsigned int i, st, cached = gomem_state_cached(s->state_width);

	for (i = 0; i < s->nelems; i++) {
		st = mspan_state(s, i);
		if (st != GOMEM_OBJ_FREE && st != cached)
			callers_add_obj(t, s, i);
	}
}

/*
 * One span, a small one under its class's lock, a large one as its free's
 * cmpxchg on live left it; t the table (mspan_for_each()).
 */
static void callers_walk_span(struct mspan *s, void *t)
{
	unsigned long flags;
	struct mcentral *c;

	if (s->kind == MSPAN_LARGE && READ_ONCE(s->live))
		callers_add_obj(t, s, 0);
	/* Tiny blocks exist only without the recorded paths. */
	if (s->kind != MSPAN_SMALL)
		return;
	c = &gomem_mcentral[s->spanclass];
	spin_lock_irqsave(&c->lock, flags);
	callers_add_span(t, s);
	spin_unlock_irqrestore(&c->lock, flags);
}

static void callers_walk(struct callers_tab *t)
{
	mspan_for_each(callers_walk_span, t);
}

/* Most bytes first; an empty slot last. */
static int callers_cmp(const void *a, const void *b)
{
	const struct callers_site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->objects < y->objects ? 1 : x->objects > y->objects ? -1 : 0;
}

static int callers_show(struct seq_file *m, void *v)
{
	struct callers_tab *t = kvzalloc(sizeof(*t), GFP_KERNEL);
	unsigned int i;

	if (!t)
		return -ENOMEM;
	callers_walk(t);
	sort(t->site, CALLERS_MAX, sizeof(t->site[0]), callers_cmp, NULL);
	seq_printf(m, "gomem_callers version %d\n", GOMEM_CALLERS_VERSION);
	seq_printf(m, "#%12s %10s %s\n", "bytes", "objects", "call_site");
	for (i = 0; i < t->n; i++)
		seq_printf(m, "%13llu %10llu %pS\n", t->site[i].bytes,
			   t->site[i].objects, (void *)t->site[i].ip);
	if (t->other.objects)
		seq_printf(m, "%13llu %10llu (other call sites)\n",
			   t->other.bytes, t->other.objects);
	kvfree(t);
	return 0;
}

int gomem_callers_init(void)
{
	if (callers && (gomem_load_fails() ||
			!proc_create_single("gomem_callers", 0444, NULL, callers_show)))
		return -ENOMEM;
	return 0;
}

void gomem_callers_exit(void)
{
	if (callers)
		remove_proc_entry("gomem_callers", NULL);
}
