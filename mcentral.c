// SPDX-License-Identifier: GPL-2.0
/*
 * One central free list per span class.
 *
 * An mcentral owns the spans of its class that the mheap gave it: on
 * "partial" those with FREE objects, on "full" those without.  It hands
 * objects to the per-CPU mcaches and takes them back in batches, so its
 * lock is taken once per batch rather than once per object.  A span all
 * of whose objects have come back goes straight back to the mheap; the
 * mheap's arena reserve absorbs the churn of a class that grows and
 * shrinks.
 *
 * Invariants, under c->lock: a span is on exactly one of c's lists, on
 * "full" iff nfree == 0, and never on either once nfree == nelems;
 * nfree counts the span's FREE states; no FREE state sits below hint;
 * c->nr_free is the sum of nfree and c->nr_spans the number of spans on
 * both lists.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/minmax.h>

#include "gomem_internal.h"

struct mcentral gomem_mcentral[GOMEM_NR_SPANCLASSES];
EXPORT_SYMBOL_IF_KUNIT(gomem_mcentral);

/*
 * How many objects of a class a CPU may cache: about this many bytes,
 * between 2 and 64 objects.  A refill or flush moves half of that.
 */
#define GOMEM_MCACHE_BYTES	SZ_16K
#define GOMEM_MCACHE_MAX	(2 * GOMEM_BATCH_MAX)

static void mcentral_setup(struct mcentral *c, unsigned int spanclass,
			   unsigned int cls, u8 kind, u8 width)
{
	const struct gomem_sizeclass *sc = &gomem_classes[cls];

	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->partial);
	INIT_LIST_HEAD(&c->full);
	c->spanclass = spanclass;
	c->size = sc->size;
	c->npages = sc->npages;
	c->nelems = sc->nelems;
	c->divmul = sc->divmul;
	c->kind = kind;
	c->state_width = width;
	c->cache_cap = clamp_t(unsigned int, GOMEM_MCACHE_BYTES / sc->size,
			       2, GOMEM_MCACHE_MAX);
	c->batch = c->cache_cap / 2;
}

void mcentral_init(void)
{
	unsigned int cls, lo, max_delta;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		/*
		 * A live state holds 1 + the bytes a request leaves unused,
		 * and must differ from CACHED (all ones): one byte is enough
		 * unless the class serves requests 254 or more bytes short.
		 */
		lo = max(gomem_classes[cls - 1].size + 1, GOMEM_TINY_MAX);
		max_delta = gomem_classes[cls].size - min(lo, gomem_classes[cls].size);
		mcentral_setup(&gomem_mcentral[cls], cls, cls, MSPAN_SMALL,
			       max_delta + 1 < 0xff ? 1 : 2);
	}
	mcentral_setup(&gomem_mcentral[GOMEM_TINY_CLASS], GOMEM_TINY_CLASS,
		       gomem_size_class(GOMEM_TINY_MAX), MSPAN_TINY,
		       sizeof(struct gomem_tiny_meta));
}

static struct mspan *mcentral_grow(struct mcentral *c, gfp_t gfp)
{
	struct mspan tmpl = {
		.npages = c->npages,
		.kind = c->kind,
		.spanclass = c->spanclass,
		.state_width = c->state_width,
		.nelems = c->nelems,
		.nfree = c->nelems,
		.size = c->size,
		.divmul = c->divmul,
	};

	return mheap_alloc_span(&tmpl, gfp);
}

/*
 * Move n objects into objs, FREE -> CACHED, growing by spans from the
 * mheap as the class runs out.  Returns how many it moved: fewer than n
 * only if the mheap could not grow.  Called with interrupts enabled;
 * sleeps only if gfp allows, and only in the page or slab allocator.
 */
unsigned int mcentral_get(struct mcentral *c, struct gomem_obj *objs,
			  unsigned int n, gfp_t gfp)
{
	unsigned int got = 0, cached = gomem_state_cached(c->state_width), i;
	unsigned long flags;
	struct mspan *s;

	spin_lock_irqsave(&c->lock, flags);
	while (got < n) {
		s = list_first_entry_or_null(&c->partial, struct mspan, node);
		if (!s) {
			spin_unlock_irqrestore(&c->lock, flags);
			s = mcentral_grow(c, gfp);
			if (!s)
				return got;
			spin_lock_irqsave(&c->lock, flags);
			list_add(&s->node, &c->partial);
			c->nr_spans++;
			c->nr_free += s->nelems;
		}
		for (i = s->hint; got < n && s->nfree; i++) {
			if (mspan_state(s, i) != GOMEM_OBJ_FREE)
				continue;
			mspan_set_state(s, i, cached);
			objs[got].p = (void *)(s->base + (unsigned long)i * s->size);
			objs[got++].span = s;
			s->nfree--;
			c->nr_free--;
		}
		s->hint = i;
		if (!s->nfree)
			list_move(&s->node, &c->full);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return got;
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_get);

/*
 * Take n CACHED objects back, CACHED -> FREE, and give the spans that
 * become empty to the mheap.  Any context.
 */
void mcentral_put(struct mcentral *c, const struct gomem_obj *objs,
		  unsigned int n)
{
	struct mspan *s, *tmp;
	unsigned long flags, p;
	LIST_HEAD(empty);
	unsigned int i;

	spin_lock_irqsave(&c->lock, flags);
	for (; n--; objs++) {
		p = (unsigned long)objs->p;
		s = objs->span;
		i = mspan_index(s, p);
		mspan_set_state(s, i, GOMEM_OBJ_FREE);
		s->hint = min_t(unsigned int, s->hint, i);
		c->nr_free++;
		if (++s->nfree == 1)
			list_move(&s->node, &c->partial);
		if (s->nfree == s->nelems) {
			list_move(&s->node, &empty);
			c->nr_spans--;
			c->nr_free -= s->nelems;
		}
	}
	spin_unlock_irqrestore(&c->lock, flags);

	list_for_each_entry_safe(s, tmp, &empty, node)
		mheap_free_span(s);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_put);
