// SPDX-License-Identifier: GPL-2.0
/*
 * One central free list per span class.
 *
 * An mcentral owns the spans of its class: on its node's "partial" list
 * those with FREE objects, on no list those without, as SLUB keeps no
 * list of full slabs: a span that fills, or empties from full, costs one
 * list operation, not two (with Debian's DEBUG_LIST, about 20
 * instructions each), which a class of one or two objects a span pays for
 * nearly every object it moves.  Unload, callers=1 and the tests find
 * full spans through their pages' marks (mspan_for_each()).  It hands
 * objects to the per-CPU mcaches and takes them back in batches, so its
 * lock is taken once per batch rather than once per object.  A request
 * names a node, the caller's own by default: objects come from that
 * node's spans, and the class grows on that node; only if the node has no
 * pages to give does another node's span serve.  A node the page
 * allocator lately had no pages of (mheap_spilled()) takes another node's
 * free objects before the class grows for it, as SLUB takes another
 * node's partial slabs: its growth would land on another node all the
 * same, in a span that served one refill, since no later request for the
 * node looks there.  Other nodes are searched nearest first
 * (mheap_next_near()), in the order the page allocator falls back in, as
 * SLUB walks the zonelist.
 *
 * A CPU's refills of a class take from a span of their own, as SLUB
 * gives each CPU a slab: the first on the node's partial list that no
 * other CPU has claimed, among the first few (mcentral_next_unclaimed()),
 * which the refill then claims if it leaves objects in it (a get of one
 * object neither claims nor passes claims over, and a get of a few only
 * claims a span it leaves as many as it took).
 * Two CPUs whose stacks held objects of one span wrote the same cache
 * lines of its states with every allocation and free: 2 vCPUs
 * allocating and freeing 1-byte or 64-byte objects at once took twice
 * the time one took alone, and with claims take about as long as one.
 * A CPU claims one span of a class at a time, so a claim lapses when its
 * CPU claims another span, or is drained.  A refill that finds only
 * other CPUs' spans grows the class if the page allocator has pages at
 * hand, and shares the first span otherwise: claims never fail a
 * request, and the class grows for them by about a span for each CPU
 * that claims one, as SLUB's does by the CPUs' slabs.
 *
 * A span all of whose objects have come back is kept, on its node's
 * "empty" list, as SLUB keeps a few empty slabs, while the kept spans of
 * all classes and the mheap's free pages stay within the pools' surplus
 * (mheap_keep_room()); past it, it goes back to the mheap, and so does a
 * span smaller than the span a class that holds many objects grows by
 * now (mcentral_keeps()).  The class's next
 * growth reuses it as it is: no page to take and mark, no struct to
 * allocate, no grace period, which is most of what a span costs, and
 * what a class of one or two objects a page pays for each object in a
 * batch.  Kept spans are free memory all the same: the mheap takes them
 * back before it takes pages from the page allocator, the scavenger
 * within a second, and the shrinker first (mcentral_release_empty()).
 * Class 0, the large objects', hands out no objects: its empty stacks
 * keep freed large spans for the next large object of their size
 * (mcentral_keep_large()).
 * The empty list is a stack, linked through next_empty: a span is only
 * ever pushed on it or taken off its top (the shrinker takes a run from
 * the top), so a span of one object, which goes from full to empty and
 * back on every trip, touches no list_head and pays no list check.
 *
 * A class grows by a span of its own size (the class table's), or, for a
 * class above PAGE_SIZE that already holds many objects, by a mid span of
 * GOMEM_MID_SPAN_OBJS objects, then by a big span of GOMEM_BIG_SPAN_OBJS
 * (mcentral_grow_pages()), asked for without retrying or warning when
 * that is more than one page, and falls back to the smallest span that
 * holds one object: a fragmented machine slows a class down but never
 * starves it, and no object up to PAGE_SIZE ever needs more than an
 * order-0 page.  A stack's refill grows it by one span at most for the
 * objects its caller may never take (mcentral_get_some()).
 *
 * Each class up to PAGE_SIZE has a transfer stack on each node, as
 * tcmalloc has a transfer cache between its per-CPU caches and its
 * central free lists: a CPU's flush of a full stack puts its objects on
 * its home node's transfer stack, CACHED as they are, as far as it has
 * room (xfer_cap, GOMEM_XFER_MAX objects), and the rest in
 * their spans; a refill, or a bulk allocation, of that node takes from
 * the stack first.  A batch freed and allocated again, on one CPU or
 * across two, then moves by memcpy(), where every object cost a state
 * written and its span counted, both ways: 20 to 60 instructions, the
 * most for classes of one or two objects a page (measured, make bench:
 * batch256 of 8 B to 4 KiB, alloc and free, 19 to 39 instructions an
 * object fewer, objects freed on another CPU 22 to 56 fewer, bulk128 8
 * to 48; and with 256 objects for every class, where at first 256 KiB
 * of them bounded those above 1 KiB, batch256 of 2 and 4 KiB 28 and 67
 * fewer again, objects freed on another CPU 41 and 82, and no replay's
 * peak more than 5 KiB higher).  A get of one object,
 * which may be held to its node, never takes from it: a CPU's stack,
 * and so the transfer stack, may hold objects of another node, taken
 * while its home node spilled.  Its objects are cached memory, as the
 * mcaches' are: the flush schedules the scavenger, which puts them back
 * in their spans (mcentral_xfer_drain()) before it gives back pages, so
 * an idle gomem holds none past a second, and a drain and the shrinker
 * put them back too.  A stack has an array only while it holds objects:
 * a take that empties it leaves the array as its node's one spare, for
 * the next flush of any class there, and a drain or a release frees it.
 * Above PAGE_SIZE a stack would hold a few objects, more than a few
 * pages, and cost the batches of those classes a lookup each way for
 * nothing.
 *
 * A class with no span is cold: its requests borrow objects of its
 * kmalloc bucket's class, until it has borrowed GOMEM_LEND_BYTES since it
 * or its lender last had no span (mcentral_cold()), or has a span again
 * (mcentral_class_for()), unless lend=0.  The borrowed objects are the
 * lender's in every way; only the lender's live states must be wide
 * enough to record the borrowers' requests (lender_of()).
 *
 * Every object that comes back must be CACHED: one that is not has been
 * freed twice or overwritten, and is reported here, under the lock, and
 * kept out of use rather than counted free.
 *
 * Invariants, under c->lock: a span with nfree == 0 is on none of c's
 * lists; one with nfree == nelems on the empty list of its own node (or
 * on none, on its way to the mheap); any other on the partial list of its
 * own node; nr_empty counts the empty lists' spans, whose pages
 * gomem_mheap.kept counts;
 * nfree counts the span's FREE states; no FREE state sits below hint;
 * c->nr_free is the sum of nfree, and nr_spans, nr_pages and nr_objs
 * count the spans on all the lists, their pages and their objects;
 * nr_grown counts every span mcentral_add() ever added, and only grows;
 * a span's owner, if not 0, is the CPU (+ 1) that took from it last;
 * c->borrowed, an atomic, is reset when c's nr_spans, or its lender's,
 * falls to 0; a transfer stack's n objects are CACHED, counted in no
 * span's nfree nor in c->nr_free, n is at most xfer_cap, and the stack
 * has an array if and only if n is not 0.
 * A transfer stack's array and count are written under c->lock, and
 * also read without it (WRITE_ONCE()), where they only steer: a flush
 * that finds no array makes one, and one that finds an array gone by
 * the time it locks puts its objects in their spans.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/minmax.h>
#include <linux/sched/clock.h>

#include "gomem_internal.h"
#include "trace.h"

struct mcentral gomem_mcentral[GOMEM_NR_SPANCLASSES];
EXPORT_SYMBOL_IF_KUNIT(gomem_mcentral);
struct gomem_live gomem_live[GOMEM_NR_SPANCLASSES] __read_mostly;

bool gomem_lend = true;
module_param_named(lend, gomem_lend, bool, 0644);
MODULE_PARM_DESC(lend,
		 "A class with no span borrows objects of its kmalloc bucket's class, a few pages' worth, so that classes of few objects share pages; writable; off, every request has its own class (default on)");
EXPORT_SYMBOL_IF_KUNIT(gomem_lend);

/*
 * A section of c->lock, timed for gomem:gomem_mcentral while the event
 * is on: how long a section waits and holds is what the number of CPUs
 * contending could make grow (scripts/bench locks measures it).
 */
struct mcentral_section {
	unsigned long flags;
	unsigned int objs;	/* objects got or put so far */
	bool timed;
	u64 asked, taken;	/* local_clock() before and after the lock */
};

static __always_inline void mcentral_lock(struct mcentral *c,
					  struct mcentral_section *sec,
					  unsigned int objs)
{
	sec->timed = trace_gomem_mcentral_enabled();
	if (sec->timed)
		sec->asked = local_clock();
	spin_lock_irqsave(&c->lock, sec->flags);
	if (sec->timed)
		sec->taken = local_clock();
	sec->objs = objs;
}

/* The section ends with objs objects got or put since the call began. */
static __always_inline void mcentral_unlock(struct mcentral *c,
					    struct mcentral_section *sec,
					    bool get, unsigned int objs)
{
	u64 left = sec->timed ? local_clock() : 0;

	spin_unlock_irqrestore(&c->lock, sec->flags);
	if (sec->timed)
		trace_gomem_mcentral(c->size, get, objs - sec->objs,
				     sec->taken - sec->asked, left - sec->taken);
}

/* debug=1 puts a redzone of this many bytes or more after each small object. */
#define GOMEM_DEBUG_REDZONE	16

/*
 * The distance between objects of size bytes: size, and under debug=1
 * room for a redzone after each, which must not cost an object the
 * alignment gomem.h promises: a power of two up to a page stays aligned
 * to its size, as kmalloc's do under slub_debug; the rest to 8.
 */
static unsigned int mcentral_stride(unsigned int size)
{
	if (!gomem_debug_checks())
		return size;
	return ALIGN(size + GOMEM_DEBUG_REDZONE,
		     is_power_of_2(size) && size <= PAGE_SIZE ? size : 8);
}

/*
 * Go's divMul for objects of size bytes, checked exact at every object
 * boundary of a span of bytes: (offset * divmul) >> 32 is monotonic, so
 * that makes it exact for every offset.  divmul is ceil(2^32 / size):
 * the low 32 bits of offset * divmul, the index's fraction, are k * e at
 * the start of object k, where e = size * divmul - 2^32 < size, and grow
 * by divmul with each byte past it.  The index of object k's last byte
 * being exact, k * e + (size - 1) * divmul < 2^32 = size * divmul - e,
 * so k * e < divmul - e: the fraction is below divmul at every object's
 * start and at or above it everywhere else, which is how mspan_start()
 * tells an object's start.
 */
static int divmul_for(unsigned int size, unsigned int bytes, u32 *divmul)
{
	u32 m = U32_MAX / size + 1;
	u64 off;

	for (off = size; off <= bytes; off += size)
		if (((off - 1) * m) >> 32 != off / size - 1 ||
		    (off * m) >> 32 != off / size)
			return -EINVAL;
	*divmul = m;
	return 0;
}

/*
 * The pages of a span of c's for objs objects of stride bytes above
 * PAGE_SIZE: as many of its own spans as hold objs objects, or fewer if
 * its divmul is not exact that far; just its own span if not even two
 * are, and for objects up to PAGE_SIZE.
 */
static unsigned int mcentral_span_for(const struct mcentral *c,
				      unsigned int stride, unsigned int objs)
{
	unsigned int mult;
	u32 divmul;

	if (stride <= PAGE_SIZE)
		return c->npages;
	for (mult = DIV_ROUND_UP(objs, c->nelems); mult > 1; mult--)
		if (!divmul_for(stride, mult * c->npages * PAGE_SIZE, &divmul) &&
		    divmul == c->divmul)
			return mult * c->npages;
	return c->npages;
}

/*
 * c's big span, for GOMEM_BIG_SPAN_OBJS objects, and its mid span, for
 * GOMEM_MID_SPAN_OBJS (mcentral_grow_pages()).
 */
static void mcentral_big_span(struct mcentral *c, unsigned int stride)
{
	c->big_npages = mcentral_span_for(c, stride, GOMEM_BIG_SPAN_OBJS);
	c->mid_npages = mcentral_span_for(c, stride, GOMEM_MID_SPAN_OBJS);
}

/*
 * Bit cls is set if class cls's transfer stacks may hold objects: set by
 * a flush that gives one objects, cleared before a release looks at
 * them, so that mcentral_xfer_release() finds them in one word, with no
 * look at each class (measured: a walk of the classes made batch4096 of
 * 8 and 32 KiB, which take pages at every few objects, 10 instructions
 * an allocation slower).  Only classes below BITS_PER_LONG have stacks.
 */
static unsigned long xfer_busy;

/*
 * By node, the array of a transfer stack that a take emptied, kept for
 * the node's next flush that needs one, or NULL; exchanged, never
 * locked.  An empty stack gives its array up at once, as its objects
 * run out, so that stacks which wait empty hold no memory (measured, the
 * net trace: 19 to 30 KiB of metadata at the peak, 1.7 to 2.6% of what
 * gomem held, by how many classes had flushed since the scavenger last
 * ran, against 19 KiB, 1.7%, in three runs of each with this, in boots
 * where no dead span still waited for its grace period there, as some
 * 60 KiB of them can: README.md, "Other shapes"), and one
 * array a node waits, since a batch that empties a stack on every wave
 * fills one again on the next: kfree() and kmalloc() a wave, with no
 * spare, cost batch256's pairs 3 to 5 instructions more from 8 B to 4
 * KiB, and objects freed on another CPU 3 to 4; with it, 0 to 2, and 0
 * to 1.
 */
static struct gomem_obj **xfer_spare;

/* Free every node's spare array. */
static void xfer_free_spares(void)
{
	int node;

	for (node = 0; node < nr_node_ids; node++)
		gomem_meta_free(xchg(&xfer_spare[node], NULL), GOMEM_XFER_ARRAY);
}

/* Keep objs, an array of node's, as its spare; free the one it replaces. */
static void xfer_park(struct gomem_obj *objs, int node)
{
	gomem_meta_free(xchg(&xfer_spare[node], objs), GOMEM_XFER_ARRAY);
}

/* A class's partial lists, empty stacks and transfer stacks, one a node. */
static size_t mcentral_lists_bytes(void)
{
	return nr_node_ids * (sizeof(struct list_head) + sizeof(struct mspan *) +
			      sizeof(struct mcentral_xfer));
}

static int mcentral_lists_setup(struct mcentral *c, unsigned int spanclass)
{
	int node;

	spin_lock_init(&c->lock);
	c->partial = gomem_meta_alloc_load(mcentral_lists_bytes(), NUMA_NO_NODE);
	if (!c->partial)
		return -ENOMEM;
	/* The empty and transfer stacks after the partial lists, empty (zeroed). */
	c->empty = (struct mspan **)(c->partial + nr_node_ids);
	c->xfer = (struct mcentral_xfer *)(c->empty + nr_node_ids);
	for (node = 0; node < nr_node_ids; node++)
		INIT_LIST_HEAD(&c->partial[node]);
	c->spanclass = spanclass;
	return 0;
}

static int mcentral_setup(struct mcentral *c, unsigned int spanclass,
			  unsigned int cls, u8 kind, u8 width)
{
	const struct gomem_sizeclass *sc = &gomem_classes[cls];
	unsigned int stride = sc->size;
	int err;

	err = mcentral_lists_setup(c, spanclass);
	if (err)
		return err;
	c->npages = sc->npages;
	c->nelems = sc->nelems;
	c->divmul = sc->divmul;
	c->kind = kind;
	c->state_width = width;
	gomem_live[spanclass].width = width;
	c->cache_cap = clamp_t(unsigned int, GOMEM_MCACHE_BYTES / sc->size,
			       1, GOMEM_STREAM_MAX);
	/*
	 * Above PAGE_SIZE a stack in a stream holds at least
	 * GOMEM_STREAM_MIN objects: with 1 or 2 at 16 and 32 KiB, every
	 * object of a batch or of another CPU's frees took a refill or a
	 * flush of its own.
	 */
	c->stream_cap = clamp_t(unsigned int, 4 * GOMEM_MCACHE_BYTES / sc->size,
				sc->size > PAGE_SIZE ? GOMEM_STREAM_MIN : 1,
				GOMEM_STREAM_MAX);
	/*
	 * A stack that swings may hold GOMEM_SWING_BYTES of objects, up to
	 * GOMEM_MCACHE_MAX, and never fewer than a stream: up to a page, a
	 * wave of the concurrent pattern (64 objects a CPU), and up to 1 KiB
	 * a batch256 wave, whose refills and flushes in place then move up
	 * to GOMEM_HELD_MAX: with 64 at most, batch256 of 8 B to 2 KiB took
	 * 12 to 20 instructions a pair more (149 from 8 to 256 B, now 129 to
	 * 134), bulk128 9 to 10 an object more, and objects freed on another
	 * CPU 7 to 10 (one icount boot of each).  With a
	 * stream's 32 at 2 KiB every wave took several lock round trips,
	 * and 4 vCPUs took 1.24 to 1.38 times kmalloc's wall time (0.65 to
	 * 0.75 with 64, three boots of each); with 32 at 4 KiB, 644
	 * instructions an object on 2 vCPUs and 1,293 on 4 under icount,
	 * 477 and 954 with 64, and 1.47 to 1.74 of kmalloc's wall time in 6
	 * boots, 0.68 to 0.93 with 64; above a page, with a stream's 8 at
	 * 8 KiB, 1.12 to 1.22 on 2 vCPUs in 3 boots, 0.55 to 0.60 with 32,
	 * and at 16 KiB 0.60 to 0.67, 0.33 to 0.45 with 16.  It doubles what
	 * a CPU may cache at most class by class; over all classes,
	 * the mcache_kib budget bounds it (README.md, "Many CPUs").
	 */
	c->swing_cap = clamp_t(unsigned int, GOMEM_SWING_BYTES / sc->size,
			       c->stream_cap, GOMEM_MCACHE_MAX);
	/* Tiny blocks, which batches rarely free whole, have none. */
	if (kind == MSPAN_SMALL && sc->size <= PAGE_SIZE && spanclass < BITS_PER_LONG)
		c->xfer_cap = GOMEM_XFER_MAX;
	if (gomem_debug()) {
		/* Every object to the lock, with debug=1 a redzone after it. */
		c->cache_cap = 0;
		c->stream_cap = 0;
		c->swing_cap = 0;
		c->xfer_cap = 0;
		stride = mcentral_stride(stride);
		c->npages = max(c->npages, DIV_ROUND_UP(stride, PAGE_SIZE));
		c->nelems = c->npages * PAGE_SIZE / stride;
		if (divmul_for(stride, c->npages * PAGE_SIZE, &c->divmul))
			return -EINVAL;
	}
	c->size = stride;
	gomem_live[spanclass].top = stride + 1;
	c->min_npages = DIV_ROUND_UP(stride, PAGE_SIZE);
	mcentral_big_span(c, stride);
	return 0;
}

/*
 * kmalloc's bucket for a size up to a page: the power of two above it,
 * or 96 or 192, which are gomem classes too.
 */
static unsigned int kmalloc_bucket(unsigned int size)
{
	if (size > 64 && size <= 96)
		return 96;
	if (size > 128 && size <= 192)
		return 192;
	return roundup_pow_of_two(size);
}

/* The smallest request class cls serves as its own. */
static unsigned int smallest_request(unsigned int cls)
{
	return min(max(gomem_classes[cls - 1].size + 1,
		       gomem_debug() ? 1U : GOMEM_TINY_REQ_MAX + 1),
		   gomem_classes[cls].size);
}

/*
 * The class cls borrows from while it is cold (mcentral_class_for()):
 * its kmalloc bucket's, so that a borrowed object never wastes more
 * than kmalloc would, if the bucket's live states can record how much
 * of its object each request of cls leaves unused (a wider state would
 * cost the bucket's own objects time and room).  Itself if it is a
 * bucket, or cannot borrow so, if its objects are bigger than a page
 * (no span of theirs is saved by borrowing), and under debug=1 or
 * callers=1, whose objects keep their own class.
 */
static unsigned int lender_of(unsigned int cls)
{
	unsigned int size = gomem_classes[cls].size, lender;

	if (size > PAGE_SIZE || gomem_debug())
		return cls;
	lender = gomem_size_class(kmalloc_bucket(size));
	if (gomem_classes[lender].size != kmalloc_bucket(size) ||
	    gomem_classes[lender].size - smallest_request(cls) + 1 >=
	    gomem_state_cached(gomem_mcentral[lender].state_width))
		return cls;
	return lender;
}

int mcentral_init(void)
{
	unsigned int cls, max_delta;
	int err;

	/* mspan->owner holds a CPU's number + 1. */
	BUILD_BUG_ON(CONFIG_NR_CPUS >= U16_MAX);
	xfer_spare = gomem_meta_alloc_load(nr_node_ids * sizeof(*xfer_spare),
					   NUMA_NO_NODE);
	if (!xfer_spare)
		return -ENOMEM;
	/* The large objects' class keeps only freed spans: no size, no cache. */
	err = mcentral_lists_setup(&gomem_mcentral[GOMEM_LARGE_CLASS],
				   GOMEM_LARGE_CLASS);
	if (err)
		goto fail;
	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		/*
		 * A live state holds 1 + the bytes a request leaves unused,
		 * and must differ from CACHED (all ones): one byte is enough
		 * unless the class serves requests 254 or more bytes short.
		 * Under debug=1 or callers=1 the tiny allocator is off, and
		 * the smallest classes serve requests from 1 byte; under
		 * debug=1 the redzone is unused too, up to a power of two's
		 * whole size (mcentral_stride()).
		 */
		max_delta = mcentral_stride(gomem_classes[cls].size) -
			    smallest_request(cls);
		err = mcentral_setup(&gomem_mcentral[cls], cls, cls, MSPAN_SMALL,
				     max_delta + 1 < 0xff ? 1 : 2);
		if (err)
			goto fail;
	}
	/* Once every state width is known, which lender_of() reads. */
	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++)
		gomem_mcentral[cls].lender = lender_of(cls);
	err = mcentral_setup(&gomem_mcentral[GOMEM_TINY_CLASS], GOMEM_TINY_CLASS,
			     gomem_size_class(GOMEM_TINY_MAX), MSPAN_TINY,
			     GOMEM_TINY_STATE);
	if (!err)
		return 0;
fail:
	mcentral_exit();
	return err;
}

/* A fresh span of c's class with npages pages, on node if it can. */
static struct mspan *mcentral_span(struct mcentral *c, unsigned int npages,
				   gfp_t gfp, int node)
{
	struct mspan tmpl = {
		.npages = npages,
		.kind = c->kind,
		.spanclass = c->spanclass,
		.state_width = c->state_width,
		.nelems = npages * PAGE_SIZE / c->size,
		.size = c->size,
		.divmul = c->divmul,
	};

	tmpl.nfree = tmpl.nelems;
	return mspan_alloc(&tmpl, node, gfp);
}

/*
 * The span c grows by, holding held pages, once it holds many objects:
 * its big span once it holds GOMEM_BIG_SPANS of them in pages, before
 * that its mid span once it holds as many of those; 0 while it holds
 * fewer.  So the span it grew by last, and the free objects in it, are at
 * most an eighth of what it holds.  The mid span keeps a class of 64 to
 * 127 objects above 8 KiB in spans of 8, not of one or two: with only the
 * big span, 128 objects of 8 KiB allocated and freed in bulk, with
 * init_on_alloc, took 1,208 instructions an object, not 1,153, and
 * replaying scripts/synth-trace 4097 32768 3000 11, about 70 objects a
 * class, 3% more instructions (make bench; bench/replay.sh).
 */
static unsigned int mcentral_tier(const struct mcentral *c,
				  unsigned long held)
{
	if (held >= GOMEM_BIG_SPANS * c->big_npages)
		return c->big_npages;
	if (held >= GOMEM_BIG_SPANS * c->mid_npages)
		return c->mid_npages;
	return 0;
}

/*
 * The pages of c's next span, by what the class holds already: its
 * smallest span, which holds one object, while that keeps it within one
 * span of its own size (one 14080-byte object then holds 4 pages, not
 * 7); then its own span; and once it holds many, its mid span, then its
 * big span (mcentral_tier()): a class of a few big objects takes no big
 * span, and a class of thousands takes them all but for its first.
 * c->nr_pages is read without the lock: it only steers the choice.
 */
static unsigned int mcentral_grow_pages(const struct mcentral *c)
{
	unsigned long held = READ_ONCE(c->nr_pages);
	unsigned int tier = mcentral_tier(c, held);

	if (tier)
		return tier;
	if (held + c->min_npages <= c->npages)
		return c->min_npages;
	return c->npages;
}

/*
 * Whether c keeps its emptied span s for its next growth, room allowing:
 * not if s is smaller than the span c would grow by even without it, one
 * of those it grew by while it held less (so a class at a threshold does
 * not give back and grow again one small span over and over).  Given back,
 * such spans leave the class's objects in bigger spans, of which a refill
 * or a flush of a stream moves objects of one span in a lock round trip,
 * not of two or three: objects of 8 to 32 KiB freed in batches on another
 * CPU, 256 at a time, took 317-330 instructions each, not 325-335, and
 * bulk128 of them 186 and 170 (make bench, with big spans of 8).  A big
 * span, or any span of a class up to PAGE_SIZE (whose big span is its
 * page), is kept with no sum: with mcentral_tier()'s, a batch of 4 KiB
 * objects, a span each, took 140 instructions a free, not 134.  c->lock
 * held.
 */
static bool mcentral_keeps(const struct mcentral *c, const struct mspan *s)
{
	return s->npages >= c->big_npages ||
	       s->npages >= mcentral_tier(c, c->nr_pages - s->npages);
}

/*
 * A span for c, of mcentral_grow_pages() if the page allocator has the
 * block at hand (more than a page is not worth reclaim or a warning),
 * else the smallest that holds an object, with all the caller's flags
 * allow.
 */
static struct mspan *mcentral_grow(struct mcentral *c, gfp_t gfp, int node)
{
	unsigned int npages = mcentral_grow_pages(c);
	struct mspan *s;

	if (npages == c->min_npages)
		return mcentral_span(c, npages, gfp, node);
	s = mcentral_span(c, npages, gfp | __GFP_NORETRY | __GFP_NOWARN, node);
	return s ?: mcentral_span(c, c->min_npages, gfp, node);
}

/*
 * A fresh span joins c's counts; mcentral_get() lists it, on its pages'
 * node, which may not be the one asked.
 */
static void mcentral_add(struct mcentral *c, struct mspan *s)
{
	lockdep_assert_held(&c->lock);
	c->nr_spans++;
	c->nr_grown++;
	c->nr_pages += s->npages;
	c->nr_objs += s->nelems;
	c->nr_free += s->nelems;
}

/* List s, which has objects both FREE and not, as partial; c->lock held. */
static void mcentral_list_partial(struct mcentral *c, struct mspan *s)
{
	list_add(&s->node_list, &c->partial[s->node]);
}

/*
 * Keep the empty span s on the stack of its node; c->lock held.  The
 * caller adds its pages to gomem_mheap.kept before the lock goes.
 */
static void mcentral_push_empty(struct mcentral *c, struct mspan *s)
{
	s->next_empty = c->empty[s->node];
	c->empty[s->node] = s;
	c->nr_empty++;
}

/*
 * The kept span *link (a stack's top, or the next_empty of a span on it)
 * off its stack, its pages kept no more; c->lock held.
 */
static struct mspan *mcentral_pop_empty(struct mcentral *c, struct mspan **link)
{
	struct mspan *s = *link;

	*link = s->next_empty;
	c->nr_empty--;
	atomic_long_sub(s->npages, &gomem_mheap.kept);
	return s;
}

/*
 * A kept empty span of node's, off the empty list for mcentral_get() to
 * list, or NULL; c->lock held.  It is the class's as it was: its pages
 * marked, its states all FREE.
 */
static struct mspan *mcentral_reuse(struct mcentral *c, int node)
{
	return c->empty[node] ? mcentral_pop_empty(c, &c->empty[node]) : NULL;
}

/*
 * A span of node's with FREE objects: a partial one (*listed), else a
 * kept one, on no list now; c->lock held.  Inline: out of line, as GCC
 * left it once mcentral_get() had a body for each width, a batch of
 * 4 KiB objects, a span each, took 6 more instructions an allocation.
 */
static __always_inline struct mspan *mcentral_next(struct mcentral *c, int node,
						   bool *listed)
{
	struct mspan *s = list_first_entry_or_null(&c->partial[node], struct mspan,
						   node_list);

	*listed = s;
	return s ?: mcentral_reuse(c, node);
}

/*
 * Spans a refill looks at, from the head of its node's partial list, for
 * one that no other CPU has claimed: as many as the CPUs that most often
 * share a class's list on a small machine, few enough that a refill
 * never walks far under the lock.
 */
#define MCENTRAL_CLAIM_LOOK	4

/* This CPU as mspan->owner names it; c->lock held, so it stays. */
static __always_inline unsigned int mcentral_me(void)
{
	return smp_processor_id() + 1;
}

/*
 * Whether another CPU than this one takes from s for c's class now: its
 * latest claim is s (its claim stamp is still the one s recorded).
 * c->lock held; the other CPU's mcache exists, since it claimed s.
 */
static __always_inline bool mcentral_claimed(const struct mcentral *c,
					     const struct mspan *s)
{
	unsigned int owner = s->owner;

	return owner && owner != mcentral_me() &&
	       READ_ONCE(gomem_mcache_of(owner - 1)->claim[c->spanclass]) == s->claim;
}

/*
 * This CPU takes from s again next time: its claim on any other span of
 * c's lapses.  c->lock held.
 */
static void mcentral_claim(const struct mcentral *c, struct mspan *s)
{
	u16 *claim = &this_cpu_read(gomem_mcache)->claim[c->spanclass];
	unsigned int me = mcentral_me();

	if (s->owner == me && s->claim == *claim)
		return;
	WRITE_ONCE(*claim, *claim + 1);
	s->owner = me;
	s->claim = *claim;
}

/*
 * mcentral_next_unclaimed()'s walk past first, claimed by another CPU:
 * out of line, as two CPUs' refills rarely meet at one class.
 */
static noinline struct mspan *mcentral_pass_claimed(struct mcentral *c,
						    struct mspan *first,
						    bool *listed, bool *shared)
{
	unsigned int looked = 1;
	struct mspan *s = first;

	list_for_each_entry_continue(s, &c->partial[first->node], node_list) {
		if (looked++ == MCENTRAL_CLAIM_LOOK)
			break;
		if (!mcentral_claimed(c, s)) {
			*listed = true;
			return s;
		}
	}
	*listed = false;
	s = mcentral_reuse(c, first->node);
	*shared = !s;
	return s;
}

/*
 * As mcentral_next(), but with claims, a partial span that another CPU
 * has claimed is passed over, among the first
 * MCENTRAL_CLAIM_LOOK (see the top of this file).  *shared says that only
 * claimed spans were found: the caller grows the class if pages are at
 * hand, else shares the first.
 */
static __always_inline struct mspan *mcentral_next_unclaimed(struct mcentral *c,
							     int node, bool claims,
							     bool *listed, bool *shared)
{
	struct mspan *s = mcentral_next(c, node, listed);

	*shared = false;
	if (unlikely(*listed && claims && mcentral_claimed(c, s)))
		return mcentral_pass_claimed(c, s, listed, shared);
	return s;
}

/*
 * The flags of a growth only to spare a refill a claimed span: pages
 * at hand, no reclaim and no warning for them, which the span it would
 * otherwise share does not need.
 */
static gfp_t mcentral_gfp_unshared(gfp_t gfp)
{
	return (gfp & ~__GFP_DIRECT_RECLAIM) | __GFP_NORETRY | __GFP_NOWARN;
}

/*
 * A span with FREE objects of the node nearest to node that has one, or
 * NULL: node's own, if another CPU gave it one meanwhile, else the one
 * the page allocator would fall back to first, where the spans grown for
 * node while it spilled landed, and not a far node's, whose own CPUs use
 * them; c->lock held.
 */
static struct mspan *mcentral_any_partial(struct mcentral *c, int node,
					  bool *listed)
{
	struct mspan *s;
	int n;

	for (n = node; n < MAX_NUMNODES; n = mheap_next_near(node, n)) {
		s = mcentral_next(c, n, listed);
		if (s)
			return s;
	}
	return NULL;
}

/*
 * Up to n objects off the top of x, a transfer stack, into objs, CACHED
 * as they are: how many.  Out of line, as xfer_take_live(), so that
 * mcentral_get_as()'s loop over spans is compiled as it was without
 * them (measured: with them inline, batches of 8 KiB, which have no
 * transfer stack, took 5 instructions an allocation more).  c->lock held.
 */
static noinline unsigned int xfer_take(struct mcentral_xfer *x,
				       struct gomem_obj *objs, unsigned int n)
{
	unsigned int take = min(n, x->n);

	WRITE_ONCE(x->n, x->n - take);
	memcpy(objs, x->objs + x->n, take * sizeof(*objs));
	return take;
}

/*
 * As xfer_take(), but the objects made live, each state of width bytes
 * set to state, and only their addresses, into ptrs: for
 * mcentral_get_live().  c->lock held.
 */
static noinline unsigned int xfer_take_live(struct mcentral_xfer *x,
					    void **ptrs, unsigned int n,
					    unsigned int state, unsigned int width)
{
	unsigned int take = min(n, x->n), i;
	const struct gomem_obj *top;

	WRITE_ONCE(x->n, x->n - take);
	top = x->objs + x->n;
	for (i = 0; i < take; i++, top++) {
		gomem_set_state_at(top->state, state, width);
		ptrs[i] = top->p;
	}
	return take;
}

/*
 * mcentral_get_some() for a class whose states are width bytes wide, a
 * constant in each of its calls, as in mcentral_put_as(), or
 * mcentral_get() with firm n; or, with ptrs, mcentral_get_live(), req the
 * bytes requested of each object, firm n; without grow,
 * mcentral_get_held(), which stops where the class would grow.
 */
static __always_inline unsigned int mcentral_get_as(struct mcentral *c,
						    struct gomem_obj *objs,
						    void **ptrs, size_t req,
						    unsigned int n,
						    unsigned int firm,
						    gfp_t gfp, int node,
						    unsigned int width,
						    bool grow)
{
	unsigned int got = 0, take, stride = gomem_state_stride(width);
	struct gomem_obj *o = objs;
	void *at, **q = ptrs;
	unsigned long p, size;
	/* A live state is 1 + what the request leaves unused (mspan.c). */
	unsigned int state = ptrs ? c->size - req + 1 : gomem_state_cached(width);
	struct mcentral_section sec;
	bool listed, shared, grew = false;
	struct mspan *s = NULL;
	struct gomem_obj *emptied = NULL;
	/*
	 * Only a get of several objects claims, one for a stack or a bulk
	 * call, which comes back for more: the debug=1 and callers=1 paths,
	 * and a cold class's first, take one object at a time, and with n
	 * the constant 1 (mcentral_get()) their code has no claims in it.
	 */
	const bool claims = n > 1;

	mcentral_lock(c, &sec, got);
	/*
	 * A get for a stack or a bulk call first takes what the node's CPUs
	 * flushed; one of a single object, which may be held to the node
	 * (__GFP_THISNODE), never does: a stack may hold objects of another
	 * node's spans, taken while its own node spilled.
	 */
	if (claims && c->xfer_cap && c->xfer[node].n) {
		if (objs) {
			got = xfer_take(&c->xfer[node], objs, n);
			o += got;
		} else {
			got = xfer_take_live(&c->xfer[node], ptrs, n, state, width);
			q += got;
		}
		/* Emptied, it gives its array up, to be parked unlocked. */
		if (!c->xfer[node].n) {
			emptied = c->xfer[node].objs;
			WRITE_ONCE(c->xfer[node].objs, NULL);
		}
	}
	while (got < n) {
		s = mcentral_next_unclaimed(c, node, claims, &listed, &shared);
		if (!s && unlikely(mheap_spilled(node)) && !(gfp & __GFP_THISNODE))
			s = mcentral_any_partial(c, node, &listed);
		/* Past firm, no second span, and none at all with n / 2. */
		if (!s && (!grow || (got >= firm && (grew || 2 * got >= n))))
			break;
		if (!s) {
			mcentral_unlock(c, &sec, true, got);
			s = mcentral_grow(c, shared ? mcentral_gfp_unshared(gfp) : gfp,
					  node);
			mcentral_lock(c, &sec, got);
			listed = false;
			grew = s;
			if (s)
				mcentral_add(c, s);
			else if (shared)
				s = mcentral_next(c, node, &listed);
			if (!s && !(gfp & __GFP_THISNODE))
				s = mcentral_any_partial(c, node, &listed);
			if (!s)
				break;
		}
		/*
		 * nfree objects are FREE, none below the hint: the scan
		 * finds take of them, counted here once, not once each.
		 */
		take = min_t(unsigned int, n - got, s->nfree);
		s->nfree -= take;
		c->nr_free -= take;
		got += take;
		/*
		 * The loop keeps what it needs of the span in locals: each
		 * store to objs or ptrs, of a pointer, might change the
		 * span's fields for all the compiler knows, which reloaded
		 * three of them an object (measured: a batch's allocations 1
		 * to 4 instructions an object fewer).  And it walks pointers,
		 * the state's, the object's and the entry's, where a 32-bit
		 * index made the compiler widen it, and multiply, for each
		 * object: 11
		 * instructions an object, not 17 (measured: batches'
		 * allocations 4 to 6 instructions an object fewer from 8 B to
		 * 1 KiB and at 8 and 32 KiB, 2 to 3 at 2 KiB; but callers=1's
		 * gets of one object 13 to 19 more from 2 to 32 KiB, their
		 * code compiled anew around the loop).
		 */
		size = s->size;
		at = mspan_state_ptr(s, s->hint, width);
		p = s->base + s->hint * size;
		for (; take; at += stride, p += size) {
			if (gomem_state_at(at, width) != GOMEM_OBJ_FREE)
				continue;
			gomem_set_state_at(at, state, width);
			if (ptrs) {
				*q++ = (void *)p;
			} else {
				o->p = (void *)p;
				o->state = at;
				o++;
			}
			take--;
		}
		s->hint = mspan_state_index(s, at, width);
		/* A span new to the lists goes straight where it belongs. */
		if (!listed && s->nfree)
			mcentral_list_partial(c, s);
		else if (listed && !s->nfree)
			list_del(&s->node_list);
	}
	/*
	 * Only the last span can have objects left, as they end the get:
	 * claimed once a get, not tested for each span, and only if it has
	 * objects left, so a span of one object never is.  A get of a few
	 * objects, as a class above PAGE_SIZE takes in a stream
	 * (GOMEM_STREAM_MIN), claims it only if it keeps as many as the
	 * get took, for the CPU's next get, which would empty a span that
	 * keeps fewer anyway.  Claiming those too, a batch of 8 KiB
	 * objects (spans of 8, gets of 8) took 163 instructions an
	 * allocation, not 160 (157 with no claims), and 2 vCPUs allocating
	 * and freeing 8 KiB at once were slower in 5 boots of 5 (937-1,133
	 * ns against 864-1,045).  A larger get claims any span it leaves
	 * objects in: at 64 B, 64 a span and gets of up to 64, the pattern
	 * was slower in 4 boots of 5 with those spans' ends unclaimed
	 * (228-405 ns against 205-444).
	 */
	if (claims && s && s->nfree &&
	    (s->nfree >= n || n > GOMEM_STREAM_MIN))
		mcentral_claim(c, s);
	mcentral_unlock(c, &sec, true, got);
	if (emptied)
		xfer_park(emptied, node);
	return got;
}

/* mcentral_get_as() for objs, with c's state width as a constant. */
static __always_inline unsigned int mcentral_get_width(struct mcentral *c,
						       struct gomem_obj *objs,
						       unsigned int n,
						       unsigned int firm,
						       gfp_t gfp, int node,
						       bool grow)
{
	if (c->state_width == 1)
		return mcentral_get_as(c, objs, NULL, 0, n, firm, gfp, node, 1,
				       grow);
	if (c->state_width == 2)
		return mcentral_get_as(c, objs, NULL, 0, n, firm, gfp, node, 2,
				       grow);
	return mcentral_get_as(c, objs, NULL, 0, n, firm, gfp, node,
			       GOMEM_TINY_STATE, grow);
}

/*
 * mcentral_get(), or mcentral_get_some() if firm is less than n: one body
 * for both, out of line, so that the loop over spans is compiled for
 * each state width once, not once for each of them.
 */
static noinline unsigned int mcentral_get_firm(struct mcentral *c,
					       struct gomem_obj *objs,
					       unsigned int n,
					       unsigned int firm, gfp_t gfp,
					       int node)
{
	if (node == NUMA_NO_NODE)
		node = gomem_home_node();
	/*
	 * The width tested once, as by mcentral_put(): measured, batches
	 * of 8 B to 32 KiB took 2 to 4 fewer instructions an allocation.
	 * A get of one object (debug=1, callers=1, a cold class's first)
	 * has code of its own, with no claims in it: with the claims' code
	 * in its loop, callers=1 took 13 more instructions an allocation.
	 */
	if (n == 1)
		return mcentral_get_width(c, objs, 1, 1, gfp, node, true);
	return mcentral_get_width(c, objs, n, firm, gfp, node, true);
}

/*
 * Move n objects into objs, FREE -> CACHED, from node's spans (NUMA_NO_NODE:
 * this CPU's node), growing by spans from the mheap on that node as the
 * class runs out there, and taking another node's objects only if that
 * fails, or first if node spilled (mheap_spilled()); never with
 * __GFP_THISNODE, as kmalloc_node() never does.  Returns how many it
 * moved: fewer than n only if no node had them (node, with
 * __GFP_THISNODE) and the mheap could not grow.  Called with interrupts
 * enabled; sleeps only if gfp allows, and only in the page or slab
 * allocator.
 */
unsigned int mcentral_get(struct mcentral *c, struct gomem_obj *objs,
			  unsigned int n, gfp_t gfp, int node)
{
	return mcentral_get_firm(c, objs, n, n, gfp, node);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_get);

/*
 * As mcentral_get(), of this CPU's node, for a stack's refill, of which
 * only firm objects (1 or more) are sure to be taken at once, and the
 * rest, up to n, are a guess at what comes next: past firm, the class
 * grows by no second span, and by none at all once half of n is in
 * hand, so fewer than n may come back.  Objects free in the spans, on
 * the transfer stack or in kept spans cost no memory, and all of them
 * are taken; but a span grown for a guess is pages held, and a workload
 * that grows to its peak, where the guess is never used up, holds them
 * there: with every refill growing the class until it had n, gomem held
 * 1,182 KiB at the peak of the net shape (scripts/synth-trace --shape
 * net 1), 191 at the few shape's and 3,061 at boot2g's, and 1,055 to
 * 1,097 (in four boots), 167 and 3,011 with this (bench/replay.sh),
 * most of it stacks of classes of a few objects a span, each refill of
 * which grew several spans.  It costs refills that come again sooner:
 * in make bench, batch256 of 48, 96 and 192 B took 2 more instructions
 * an allocation and 3 more a free, where the class had held a span more
 * than a batch needs, and batch256 of 8 and 16 KiB 6 and 7 fewer an
 * allocation.
 */
unsigned int mcentral_get_some(struct mcentral *c, struct gomem_obj *objs,
			       unsigned int n, unsigned int firm, gfp_t gfp)
{
	return mcentral_get_firm(c, objs, n, min(max(firm, 1U), n), gfp,
				 NUMA_NO_NODE);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_get_some);

/*
 * As mcentral_get(), of this CPU's node, but only from the spans the
 * class holds: it grows by no span, so it never sleeps and never calls
 * the page allocator, and may be called wherever gomem may be, the
 * mcache lock held too (mcache_refill_held()).  Returns how many it
 * moved: fewer than n, or none, if the class would have to grow for more.
 */
unsigned int mcentral_get_held(struct mcentral *c, struct gomem_obj *objs,
			       unsigned int n)
{
	return mcentral_get_width(c, objs, n, n, 0, gomem_home_node(), false);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_get_held);

/*
 * As mcentral_get(), from this CPU's node, but FREE -> live, for requests
 * of req bytes each, and only their addresses, into ptrs: objects for a
 * caller straight away (a bulk allocation past an empty stack, bulk_get()
 * in gomem.c), which skips the CACHED state and the index each would be
 * found by again (measured: bulk128 of 8 to 512 B 8 to 10% fewer
 * instructions an object, 88 down to 79 at 8 B).  Small classes only.
 * As mcentral_get() otherwise.
 */
unsigned int mcentral_get_live(struct mcentral *c, void **ptrs, size_t req,
			       unsigned int n, gfp_t gfp)
{
	int node = gomem_home_node();

	if (c->state_width == 1)
		return mcentral_get_as(c, NULL, ptrs, req, n, n, gfp, node, 1,
				       true);
	return mcentral_get_as(c, NULL, ptrs, req, n, n, gfp, node, 2, true);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_get_live);

/*
 * c has no span left: cold again, it may borrow again if it borrows at
 * all, and none of the objects its borrowers took from it can be live (a
 * borrowed object is its lender's), so they may borrow their whole
 * GOMEM_LEND_BYTES again too (mcentral_class_for()).  Else a class that
 * never holds a span, and asks for a few objects now and then, runs out
 * at last and takes a page for one or two: the 312-byte class did, in
 * work61 replayed after boot2g, with 25 borrows behind it.  The borrowers
 * of a lender are classes below it of more than half its size: a class of
 * s bytes has a power-of-two bucket below 2s, so a lender of 2s bytes or
 * more is never its kmalloc bucket (kmalloc_bucket()).
 */
static void mcentral_cold(struct mcentral *c)
{
	unsigned int self = c - gomem_mcentral, cls;

	atomic_set(&c->borrowed, 0);
	if (self == GOMEM_LARGE_CLASS)
		return;
	for (cls = self - 1; cls && gomem_mcentral[cls].size > c->size / 2; cls--)
		if (gomem_mcentral[cls].lender == self)
			atomic_set(&gomem_mcentral[cls].borrowed, 0);
}

/*
 * nr empty spans, of npages pages and nelems objects in all, leave c for
 * the mheap; c->lock held.
 */
static void mcentral_unlink(struct mcentral *c, unsigned long nr,
			    unsigned long npages, unsigned long nelems)
{
	c->nr_spans -= nr;
	if (!c->nr_spans)
		mcentral_cold(c);
	c->nr_pages -= npages;
	c->nr_objs -= nelems;
	c->nr_free -= nelems;
}

/* Free a chain of spans, linked through next_empty, that left a class. */
static void mcentral_free_gone(struct mspan *s)
{
	struct mspan *next;

	for (; s; s = next) {
		/* mspan_free() may reuse the link, for its grace period. */
		next = s->next_empty;
		mspan_free(s);
	}
}

/*
 * Take kept empty spans off c's stacks, from the top, until at least want
 * pages have gone (ULONG_MAX: every one), onto the chain *gone; returns
 * their pages.  Under the lock, with interrupts off, they are only
 * counted, and moved off each stack in one piece: a class may keep
 * thousands (the mheap's surplus is up to 16 MiB).
 */
static unsigned long mcentral_take_empty(struct mcentral *c, unsigned long want,
					 struct mspan **gone)
{
	unsigned long flags, nr = 0, npages = 0, nelems = 0;
	struct mspan *s, *last;
	int node;

	if (!READ_ONCE(c->nr_empty))
		return 0;
	spin_lock_irqsave(&c->lock, flags);
	for (node = 0; node < nr_node_ids; node++) {
		last = NULL;
		for (s = c->empty[node]; s && npages < want; s = s->next_empty) {
			nr++;
			npages += s->npages;
			nelems += s->nelems;
			last = s;
		}
		/* The run from the top to last goes, in one piece. */
		if (last) {
			last->next_empty = *gone;
			*gone = c->empty[node];
			c->empty[node] = s;
		}
	}
	mcentral_unlink(c, nr, npages, nelems);
	c->nr_empty -= nr;
	spin_unlock_irqrestore(&c->lock, flags);
	/* Before they go: the pools may take them as they stop being kept. */
	atomic_long_sub(npages, &gomem_mheap.kept);
	return npages;
}

/*
 * Give kept empty spans back, class by class, the large ones first, until
 * at least want pages have gone (ULONG_MAX: every one); returns their
 * pages.  A small or tiny span's go to the mheap's pools, a large one's
 * to the page allocator.  Any context where mcentral_put() may run.
 */
unsigned long mcentral_release_empty(unsigned long want)
{
	unsigned long pages = 0;
	struct mspan *gone = NULL;
	unsigned int cls;

	for (cls = 0; cls < GOMEM_NR_SPANCLASSES && pages < want; cls++)
		pages += mcentral_take_empty(&gomem_mcentral[cls], want - pages,
					     &gone);
	mcentral_free_gone(gone);
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_release_empty);

/*
 * Give kept large spans back to the page allocator, until at least want
 * pages have gone; returns their pages, which no longer count as gomem's.
 * Any context.
 */
unsigned long mcentral_release_large(unsigned long want)
{
	struct mspan *gone = NULL;
	unsigned long pages;

	pages = mcentral_take_empty(&gomem_mcentral[GOMEM_LARGE_CLASS], want,
				    &gone);
	mcentral_free_gone(gone);
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_release_large);

/*
 * Large spans, kept.  A large object's span is the costliest gomem
 * makes: a block of the page allocator (from its zone lock above order
 * 3), a struct, its first page's mark, and a grace period when it goes.
 * A freed one is kept, whole and marked, on class 0's empty stack of its
 * node, within the room the mheap's surplus leaves (mheap_keep_room()),
 * and the next large allocation of the same pages on that node takes it
 * as it is: as Go's heap reuses a freed large span's pages, and as the
 * small classes' kept spans are reused.  Kept large spans are free
 * memory like the others: growth, the scavenger and the shrinker take
 * them back first (mcentral_release_empty()).  Not under debug=1 or
 * callers=1, whose spans carry their own records, nor with init_on_free,
 * whose pages the page allocator must clear as they go.
 */

/*
 * Keep the freed large spans spans[0..n), as many of the first as there
 * is room for, in one section of the lock: a bulk free pays one lock
 * round trip, not one a span.  Returns how many; the caller owns the
 * rest.
 */
static __always_inline unsigned int keep_large(struct mspan **spans,
					       unsigned int n)
{
	struct mcentral *c = &gomem_mcentral[GOMEM_LARGE_CLASS];
	unsigned long flags, room, pages = 0;
	unsigned int kept, i;

	/*
	 * The room is asked before the lock, which a batch bigger than the
	 * surplus would take for nothing on each free past it: frees at
	 * the same time may each keep as much again (mheap_keep_room()).
	 */
	if (want_init_on_free() || gomem_debug())
		return 0;
	room = mheap_keep_room();
	for (kept = 0; kept < n && pages + spans[kept]->npages <= room; kept++)
		pages += spans[kept]->npages;
	if (!kept)
		return 0;
	spin_lock_irqsave(&c->lock, flags);
	for (i = 0; i < kept; i++) {
		/* Its one object FREE, as on any class's empty stack. */
		spans[i]->nfree = spans[i]->nelems;
		mcentral_push_empty(c, spans[i]);
		mcentral_add(c, spans[i]);
	}
	/* Counted before the lock goes, as a release would subtract them. */
	atomic_long_add(pages, &gomem_mheap.kept);
	spin_unlock_irqrestore(&c->lock, flags);
	reclaim_scavenge_soon();
	return kept;
}

/*
 * keep_large() of one span, and of many: two bodies, so that a single
 * free pays for no loop (measured: 25 instructions a free of 64 KiB).
 */
bool mcentral_keep_large(struct mspan *s)
{
	return keep_large(&s, 1);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_keep_large);

unsigned int mcentral_keep_large_bulk(struct mspan **spans, unsigned int n)
{
	return keep_large(spans, n);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_keep_large_bulk);

/*
 * How deep a large allocation looks into a node's stack for a span of
 * its own size: the last few sizes freed, not every kept span, under a
 * lock with interrupts off.
 */
#define LARGE_REUSE_DEPTH	8

/*
 * Up to n kept large spans of npages pages on node, no longer kept, in
 * spans; returns how many.  All in one section of the lock, each the
 * first of its size within LARGE_REUSE_DEPTH of the top: a bulk
 * allocation pays one lock round trip, not one a span.  Their pages are
 * still marked with them, and they are not live: the caller makes them
 * live.  Any context.
 */
static __always_inline unsigned int reuse_large(unsigned int npages, int node,
						struct mspan **spans,
						unsigned int n)
{
	struct mcentral *c = &gomem_mcentral[GOMEM_LARGE_CLASS];
	unsigned int depth, got = 0;
	struct mspan *s, **link;
	unsigned long flags;

	if (!READ_ONCE(c->nr_empty))
		return 0;
	spin_lock_irqsave(&c->lock, flags);
	while (got < n) {
		depth = 0;
		for (link = &c->empty[node]; (s = *link) && s->npages != npages;
		     link = &s->next_empty) {
			if (++depth == LARGE_REUSE_DEPTH) {
				s = NULL;
				break;
			}
		}
		if (!s)
			break;
		mcentral_pop_empty(c, link);
		s->nfree = 0;
		spans[got++] = s;
	}
	/* A large span holds one object. */
	if (got)
		mcentral_unlink(c, got, (unsigned long)got * npages, got);
	spin_unlock_irqrestore(&c->lock, flags);
	return got;
}

/*
 * reuse_large() on the other nodes, nearest first, for what node's own
 * stack did not have, if node spilled (mheap_spilled()) and gfp does not
 * hold the request to node (__GFP_THISNODE): a new large span for a full
 * node lands on another node, the nearest the page allocator could give,
 * and is kept there when freed, where the full node's next large
 * allocation would not look, so that each took a new block of the page
 * allocator until the kept spans filled the surplus.  Out of line, and a
 * lock round trip a node: node's own stack serves all but these, and the
 * path goes on to a new block otherwise.
 */
static noinline unsigned int reuse_large_spilled(unsigned int npages, int node,
						 gfp_t gfp, struct mspan **spans,
						 unsigned int n)
{
	unsigned int got = 0;
	int other;

	if ((gfp & __GFP_THISNODE) || !mheap_spilled(node))
		return 0;
	for (other = mheap_next_near(node, node); got < n && other < MAX_NUMNODES;
	     other = mheap_next_near(node, other))
		got += reuse_large(npages, other, spans + got, n - got);
	return got;
}

/* reuse_large_spilled() of one span: its own frame, not the caller's. */
static noinline struct mspan *reuse_large_spilled_one(unsigned int npages,
						      int node, gfp_t gfp)
{
	struct mspan *s;

	return reuse_large_spilled(npages, node, gfp, &s, 1) ? s : NULL;
}

/*
 * reuse_large() of one span, and of many, as mcentral_keep_large(), for
 * node: node's own, or while it spilled, any node's.  The single span's
 * address goes to no call out of line, which would cost this frame a
 * stack canary (measured: 9 instructions a large allocation); and on a
 * machine of one node, where nothing spills, a miss makes no call
 * (measured: batch4096_alloc of 64 KiB, which mostly misses, 1,419
 * instructions an object with the call, 1,371 without; cd0122b: 1,354).
 */
struct mspan *mcentral_reuse_large(unsigned int npages, int node, gfp_t gfp)
{
	struct mspan *s;

	if (reuse_large(npages, node, &s, 1))
		return s;
	if (!static_branch_unlikely(&gomem_numa_key))
		return NULL;
	return reuse_large_spilled_one(npages, node, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_reuse_large);

unsigned int mcentral_reuse_large_bulk(unsigned int npages, int node, gfp_t gfp,
				       struct mspan **spans, unsigned int n)
{
	unsigned int got = reuse_large(npages, node, spans, n);

	if (got < n && static_branch_unlikely(&gomem_numa_key))
		got += reuse_large_spilled(npages, node, gfp, spans + got, n - got);
	return got;
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_reuse_large_bulk);

/*
 * The class whose object serves a request of class cls: cls, unless cls
 * is cold.  A class with no span borrows its lender's objects
 * (lender_of()), GOMEM_LEND_BYTES of them at most since it or its
 * lender last had no span (mcentral_cold()): a workload that asks for a
 * few objects each of many classes then fills a few pages, not one a
 * class, and a class asked for more gets spans of its own, and with them
 * the fast path, having wasted on what it borrowed no more than kmalloc
 * would.  A borrowed object is an object of its lender's class, freed as
 * one and counted in its row.  Read without the lock, which a few
 * concurrent borrowers overstep by an object each: it only steers.
 */
unsigned int mcentral_class_for(unsigned int cls)
{
	struct mcentral *c = &gomem_mcentral[cls];
	unsigned int lender = c->lender, bytes = gomem_mcentral[lender].size;

	if (lender == cls || !READ_ONCE(gomem_lend) || READ_ONCE(c->nr_spans) ||
	    atomic_read(&c->borrowed) + bytes > GOMEM_LEND_BYTES)
		return cls;
	atomic_add(bytes, &c->borrowed);
	return lender;
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_class_for);

/*
 * Of n CACHED objects that a CPU flushed, as many as x, one of c's
 * transfer stacks, has room for, onto it as they are, the oldest first;
 * x made of *spare if it has none.  How many.  c->lock held.
 */
static __always_inline unsigned int xfer_give(const struct mcentral *c,
					      struct mcentral_xfer *x,
					      const struct gomem_obj *objs,
					      unsigned int n,
					      struct gomem_obj **spare)
{
	unsigned int give;

	if (!x->objs) {
		if (!*spare)
			return 0;
		WRITE_ONCE(x->objs, *spare);
		*spare = NULL;
	}
	give = min(n, c->xfer_cap - x->n);
	memcpy(x->objs + x->n, objs, give * sizeof(*objs));
	WRITE_ONCE(x->n, x->n + give);
	if (!(READ_ONCE(xfer_busy) & BIT(c->spanclass)))
		set_bit(c->spanclass, &xfer_busy);
	return give;
}

/* What mcentral_put_as() carries from one span's run to the next. */
struct mcentral_put_ctx {
	/* Pages this call may keep (ULONG_MAX: not asked yet), and kept. */
	unsigned long room, kept;
	/* Emptied spans to free; a span taken from full, not listed yet. */
	struct mspan *gone, *unlisted;
};

/*
 * Of span s, run objects were put back, now FREE, the lowest of index
 * hint: count them, and move s between lists as they leave it.  A span
 * the put finds full goes on its partial list only when the put finds
 * another span full, or ends (unlisted): objects come back in runs of
 * one span, a stack flushed or a batch freed, and a run that takes a span
 * from full to empty then pays no list_add() and list_del() between,
 * each a check of its own under CONFIG_DEBUG_LIST, as Debian builds it
 * (measured: batches of 512 B to 2 KiB freed with 5 to 17% fewer
 * instructions an object, and no pattern more than 2 instructions
 * slower).  The lock held, nothing else sees the list meanwhile.
 */
static __always_inline void mcentral_put_run(struct mcentral *c,
					     struct mcentral_put_ctx *x,
					     struct mspan *s, unsigned int run,
					     unsigned int hint)
{
	bool was_full = !s->nfree;

	s->hint = min_t(unsigned int, s->hint, hint);
	s->nfree += run;
	/* Full to empty at once, as a span of one object goes: one add. */
	if (s->nfree == s->nelems) {
		/* Emptied by one run: never listed. */
		if (s == x->unlisted)
			x->unlisted = NULL;
		else if (!was_full)
			list_del(&s->node_list);
		if (x->room == ULONG_MAX)
			x->room = mheap_keep_room();
		if (s->npages <= x->room && mcentral_keeps(c, s)) {
			x->room -= s->npages;
			x->kept += s->npages;
			mcentral_push_empty(c, s);
			return;
		}
		s->next_empty = x->gone;
		x->gone = s;
		mcentral_unlink(c, 1, s->npages, s->nelems);
	} else if (was_full) {
		if (x->unlisted)
			mcentral_list_partial(c, x->unlisted);
		x->unlisted = s;
	}
}

/*
 * mcentral_put() for a class whose states are width bytes wide, a
 * constant in each of its calls.  With runs, the objects of one span in a
 * row are counted as one run (mcentral_put_run()), and an object in the
 * page of the one before it is of its span without a look at the page
 * (measured: a batch's frees of 8 to 256 B 4 to 7 instructions an object
 * fewer, of 1 KiB 2, than with each object's span looked up and counted
 * on its own).  Without, each object is a run of its own, put at once:
 * the classes of 2-byte states, 1,360 B and up, have 1 to 5 objects a
 * span, and runs of those took a batch's frees of 2 KiB 3 instructions
 * an object more, of 4 KiB 14 to 17 (and the loop of runs with its
 * tests forced true, for one loop in place of two paths, 8 to 10 more
 * from 2 to 32 KiB).
 */
static __always_inline void mcentral_put_as(struct mcentral *c,
					    const struct gomem_obj *objs,
					    unsigned int n, unsigned int width,
					    bool runs, struct mcentral_xfer *to,
					    struct gomem_obj **spare)
{
	unsigned int cached = gomem_state_cached(width), i, k, bad = 0;
	/* The section's objects, the transfer stack's too, for its event. */
	const unsigned int all = n;
	unsigned int run = 0;
	struct mcentral_put_ctx x = { .room = ULONG_MAX };
	void *low = NULL, *st;
	unsigned long page = 0, pg;
	struct mcentral_section sec;
	struct mspan *s = NULL, *t;

	mcentral_lock(c, &sec, 0);
	if (to) {
		k = xfer_give(c, to, objs, n, spare);
		objs += k;
		n -= k;
	}
	for (k = 0; k < n; k++, objs++) {
		/* Read once: the stores to states might change objs. */
		st = objs->state;
		if (unlikely(gomem_state_at(st, width) != cached)) {
			/* Counting it free would hand it out twice. */
			gomem_report("object", "mcentral_put", objs->p,
				     GOMEM_BAD_STATE, _RET_IP_);
			bad++;
			continue;
		}
		if (!runs) {
			s = gomem_obj_span(objs);
			i = mspan_state_index(s, st, width);
			gomem_set_state_at(st, GOMEM_OBJ_FREE, width);
			mcentral_put_run(c, &x, s, 1, i);
			continue;
		}
		/* No span starts at page 0: the first object looks. */
		pg = (unsigned long)objs->p >> PAGE_SHIFT;
		if (pg != page) {
			page = pg;
			t = gomem_obj_span(objs);
			if (t != s) {
				if (run)
					mcentral_put_run(c, &x, s, run,
							 mspan_state_index(s, low, width));
				s = t;
				run = 0;
				low = st;
			}
		}
		gomem_set_state_at(st, GOMEM_OBJ_FREE, width);
		/*
		 * The lowest state; its index is taken once a run, not
		 * once an object (measured: batches' frees 2 to 3
		 * instructions an object fewer from 8 B to 1 KiB).
		 */
		if (st < low)
			low = st;
		run++;
	}
	if (run)
		mcentral_put_run(c, &x, s, run, mspan_state_index(s, low, width));
	if (x.unlisted)
		mcentral_list_partial(c, x.unlisted);
	/*
	 * Every object put back is FREE, counted once for them all (the
	 * spans that left subtracted theirs above).
	 */
	c->nr_free += n - bad;
	/* Counted before the lock goes, as a release would subtract them. */
	if (x.kept)
		atomic_long_add(x.kept, &gomem_mheap.kept);
	mcentral_unlock(c, &sec, false, all);

	mcentral_free_gone(x.gone);
	if (x.kept)
		reclaim_scavenge_soon();
}

/*
 * mcentral_put_as() for c's state width, tested once, not for every
 * object (measured: frees of batches of 1 to 32 KiB objects took 3 to 7
 * fewer instructions each); in runs if runs, but for the classes of
 * 2-byte states, never.
 */
static __always_inline void mcentral_put_width(struct mcentral *c,
					       const struct gomem_obj *objs,
					       unsigned int n, bool runs,
					       struct mcentral_xfer *x,
					       struct gomem_obj **spare)
{
	if (c->state_width == 1)
		mcentral_put_as(c, objs, n, 1, runs, x, spare);
	else if (c->state_width == 2)
		mcentral_put_as(c, objs, n, 2, false, x, spare);
	else
		mcentral_put_as(c, objs, n, GOMEM_TINY_STATE, runs, x, spare);
}

/*
 * mcentral_put() of one object, as debug=1's and callers=1's frees and a
 * cold class's first put theirs: no run to count (measured: runs took
 * their pairs 33 to 38 instructions more).  Out of line, so that each
 * width's loop is not inlined twice.
 */
static noinline void mcentral_put_one(struct mcentral *c,
				      const struct gomem_obj *objs)
{
	mcentral_put_width(c, objs, 1, false, NULL, NULL);
}

/*
 * Take n CACHED objects back, CACHED -> FREE, and give the spans that
 * become empty to the mheap.  Any context.
 */
void mcentral_put(struct mcentral *c, const struct gomem_obj *objs,
		  unsigned int n)
{
	if (n == 1)
		mcentral_put_one(c, objs);
	else
		mcentral_put_width(c, objs, n, true, NULL, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_put);

/*
 * mcentral_put() of the n oldest objects of a full stack of this CPU's,
 * flushed by the CPU itself (mcache_make_room()): onto the transfer
 * stack of its home node as far as that has room, the rest into their
 * spans.  A transfer stack is made here, on its first flush, where its
 * flags let the mcache's stacks be made too; with none to be had, the
 * objects go to their spans.  The mcache locked.
 */
void mcentral_put_flushed(struct mcentral *c, const struct gomem_obj *objs,
			  unsigned int n)
{
	int node = gomem_home_node();
	struct mcentral_xfer *x = &c->xfer[node];
	struct gomem_obj *spare = NULL;

	if (!READ_ONCE(x->objs)) {
		spare = xchg(&xfer_spare[node], NULL);
		if (!spare)
			spare = gomem_meta_alloc(GOMEM_XFER_ARRAY, GFP_ATOMIC | __GFP_NOWARN |
						 __GFP_NOMEMALLOC, node);
	}
	mcentral_put_width(c, objs, n, true, x, &spare);
	/* Another CPU of the node made the stack meanwhile. */
	if (spare)
		xfer_park(spare, node);
	/* Its objects, and the stack, go back within the scavenger's delay. */
	reclaim_scavenge_soon();
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_put_flushed);

/* The objects on all of c's transfer stacks, read without the lock. */
unsigned long mcentral_xfer_objs(const struct mcentral *c)
{
	unsigned long n = 0;
	int node;

	if (!c->xfer_cap)
		return 0;
	for (node = 0; node < nr_node_ids; node++)
		n += mcentral_xfer_held(c, node);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_xfer_objs);

/*
 * Put the objects of node's transfer stack of c back in their spans, and
 * free its array: the bytes of those objects.  The stack is taken whole
 * in a get section, and its objects put back in a put section, so that
 * gomem:gomem_mcentral's gets and puts still count every object that
 * came and went (selftests/gomem_trace.sh), the flush that put it on
 * the stack being a put too.
 */
static unsigned long xfer_empty(struct mcentral *c, int node)
{
	struct mcentral_xfer *x = &c->xfer[node];
	struct mcentral_section sec;
	struct gomem_obj *objs;
	unsigned int n;

	if (!READ_ONCE(x->objs))
		return 0;
	mcentral_lock(c, &sec, 0);
	objs = x->objs;
	n = x->n;
	WRITE_ONCE(x->objs, NULL);
	WRITE_ONCE(x->n, 0);
	mcentral_unlock(c, &sec, true, n);
	if (n)
		mcentral_put(c, objs, n);
	gomem_meta_free(objs, GOMEM_XFER_ARRAY);
	return (unsigned long)n * c->size;
}

/* All of class cls's transfer stacks emptied: the bytes of their objects. */
static unsigned long xfer_empty_class(unsigned int cls)
{
	unsigned long bytes = 0;
	int node;

	clear_bit(cls, &xfer_busy);
	/*
	 * Cleared before the stacks are looked at: a flush that gives one
	 * objects after the look sets it again, and one before it left its
	 * objects under the lock the look takes.
	 */
	smp_mb__after_atomic();
	for (node = 0; node < nr_node_ids; node++)
		bytes += xfer_empty(&gomem_mcentral[cls], node);
	return bytes;
}

/*
 * The transfer stacks' objects back in their spans, class by class, the
 * smallest first, until want bytes of them went or none are left: for
 * the mheap, before it takes pages from the page allocator, so that the
 * spans they empty serve it instead.  Without it, objects waiting there
 * kept their spans from emptying while other classes grew: on the net
 * trace, gomem held 1,304 KiB at the peak, not 1,198.  Bounded: each
 * class's stacks hold xfer_cap objects at most.  The bytes that went.
 * Any context where mcentral_put() may run.
 */
unsigned long mcentral_xfer_release(unsigned long want)
{
	unsigned long busy = READ_ONCE(xfer_busy), bytes = 0;

	while (busy && bytes < want) {
		bytes += xfer_empty_class(__ffs(busy));
		busy &= busy - 1;
	}
	return bytes;
}

/*
 * Every transfer stack's objects back into their spans, and the stacks
 * freed: for the scavenger, gomem_drain() and the shrinker, once the
 * CPUs' stacks are drained, so that no object stays cached.  A flush
 * meanwhile makes a stack again.  Any context where mcentral_put() may
 * run.
 */
void mcentral_xfer_drain(void)
{
	unsigned int cls;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++)
		if (gomem_mcentral[cls].xfer_cap)
			xfer_empty_class(cls);
	xfer_free_spares();
}
EXPORT_SYMBOL_IF_KUNIT(mcentral_xfer_drain);

/*
 * Unload: forget every span; mspan_exit() then frees them all, with
 * whatever objects are live in them (gomem.c has reported them), found
 * through their pages, since full spans are on no list.  Nothing else
 * runs now.
 */
void mcentral_exit(void)
{
	struct mcentral *c;
	unsigned int cls;
	int node;

	for (cls = 0; cls < GOMEM_NR_SPANCLASSES; cls++) {
		c = &gomem_mcentral[cls];
		if (!c->partial)
			continue;	/* never set up: a failed init */
		/* Their objects are free: the mheap frees their pages. */
		for (node = 0; node < nr_node_ids; node++)
			gomem_meta_free(c->xfer[node].objs, GOMEM_XFER_ARRAY);
		gomem_meta_free(c->partial, mcentral_lists_bytes());
		c->partial = NULL;
		c->empty = NULL;
		c->nr_empty = 0;
		c->nr_spans = 0;
		c->nr_pages = 0;
		c->nr_objs = 0;
		c->nr_free = 0;
	}
	if (xfer_spare) {
		xfer_free_spares();
		gomem_meta_free(xfer_spare, nr_node_ids * sizeof(*xfer_spare));
		xfer_spare = NULL;
	}
	atomic_long_set(&gomem_mheap.kept, 0);
}
