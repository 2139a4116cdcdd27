// SPDX-License-Identifier: GPL-2.0
/*
 * The tiny allocator: requests under 16 bytes packed into
 * 16-byte blocks, as Go's mcache.tiny and tinyoffset do.
 *
 * Each CPU has a current block and an offset into it.  A request is placed
 * at the offset rounded up to its alignment (8, 4 or 2, whichever divides
 * its size, else 1), if it fits; otherwise it starts a fresh block, which
 * becomes current if it has more room left than the old one.
 *
 * Go never frees a tiny object; its collector frees the whole block.
 * gomem frees them one by one, so every block has a struct
 * gomem_tiny_meta, its state in the tiny span (see gomem_internal.h),
 * made of two words with one writer discipline each:
 *
 * placed	bits 0-15: an object was placed starting at this byte
 *		bits 16-30: an object ends at byte (bit - 16); an object whose
 *		end bit is missing ends at byte 15
 *		Written with plain stores, only by the CPU whose current
 *		block it is (or that placed the block's one object, if the
 *		block never became current), and frozen once the block is
 *		retired: no CPU places objects in it any more.
 * freed	bits 0-15: the object starting at this byte was freed, or,
 *		once the block is retired, no object starts there
 *		TINY_RETIRED: the block is no CPU's current block
 *		Changed only by atomic fetch_or, by frees on any CPU and by
 *		the retirement.
 *
 * An object is live while its start bit is placed and not freed; that
 * catches double and interior frees, and the end bits give gomem_size()
 * and bytes_requested the exact size.  Objects are placed in increasing
 * order during a block's life, so the first end bit at or after an
 * object's start is its own.
 *
 * Allocation therefore needs no atomic: it only adds bits to "placed",
 * which nobody else writes.  A free sets its bit in "freed" atomically;
 * the retirement, by the owner, which knows "placed" is final, sets
 * TINY_RETIRED and the bit of every offset where no object was placed.
 * The block goes back to the tiny span class when "freed" is TINY_DONE,
 * all of those bits.  Bits are only ever added, so exactly one atomic
 * brings "freed" to TINY_DONE, and its own result says so: no CPU reads
 * "placed" to decide.  (Reading it after the atomic is wrong: by then
 * another CPU may have given the block back and rewritten it.)
 * Everything else is the mcache's and is touched with interrupts
 * disabled, as there.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/minmax.h>
#include <linux/mm.h>

#include "gomem_internal.h"

#define TINY_BLOCK	16
#define TINY_STARTS	0x0000ffffU
#define TINY_RETIRED	0x00010000U
#define TINY_DONE	(TINY_RETIRED | TINY_STARTS)

static u32 tiny_start_bit(unsigned int o)
{
	return 1U << o;
}

static u32 tiny_end_bit(unsigned int last)
{
	return last < TINY_BLOCK - 1 ? 1U << (16 + last) : 0;
}

/* Last byte of the object starting at byte o. */
static unsigned int tiny_last(u32 placed, unsigned int o)
{
	u32 ends = (placed >> 16) & ~(tiny_start_bit(o) - 1);

	return ends ? __ffs(ends) : TINY_BLOCK - 1;
}

static struct gomem_tiny_meta *tiny_meta(struct mspan *s, unsigned long p)
{
	return (struct gomem_tiny_meta *)s->state + mspan_index(s, p);
}

/* The block is complete: back to this CPU's mcache; interrupts disabled. */
static void tiny_block_dead(struct mcache *c, struct mspan *s,
			    struct gomem_tiny_meta *m, unsigned long block)
{
	gomem_kasan_free((void *)block, TINY_BLOCK);
	WRITE_ONCE(m->placed, GOMEM_TINY_CACHED);
	c->stats.cls[GOMEM_TINY_CLASS].frees++;
	mcache_push(c, GOMEM_TINY_CLASS, (void *)block, s);
}

/* Drop c's current block; interrupts disabled, or c's CPU is dead. */
void tiny_retire(struct mcache *c)
{
	struct gomem_tiny_meta *m = c->tiny_meta;
	unsigned long block = c->tiny;
	u32 done;

	if (!block)
		return;
	c->tiny = 0;
	/* "placed" is ours, and final now: offsets never used count as freed. */
	done = TINY_RETIRED | (~READ_ONCE(m->placed) & TINY_STARTS);
	if ((atomic_fetch_or(done, &m->freed) | done) == TINY_DONE)
		tiny_block_dead(c, gomem_span_of(block), m, block);
}

void *tiny_alloc(size_t size, gfp_t gfp)
{
	unsigned int align = 1U << min(__ffs(size), 3UL), off;
	struct gomem_tiny_meta *m;
	struct mcache_slot *slot;
	unsigned long flags, p;
	bool missed = false;
	struct mcache *c;
	struct mspan *s;
	u32 placed;

	for (;;) {
		local_irq_save(flags);
		c = this_cpu_read(gomem_mcache);
		off = ALIGN(c->tiny_off, align);
		if (likely(c->tiny && off + size <= TINY_BLOCK)) {
			/* This CPU alone writes its current block's word. */
			m = c->tiny_meta;
			WRITE_ONCE(m->placed, m->placed | tiny_start_bit(off) |
				   tiny_end_bit(off + size - 1));
			gomem_kasan_alloc((void *)c->tiny, off + size, TINY_BLOCK);
			p = c->tiny + off;
			c->tiny_off = off + size;
			goto out;
		}
		slot = &c->slot[GOMEM_TINY_CLASS];
		if (slot->n)
			break;
		local_irq_restore(flags);
		if (!mcache_refill(GOMEM_TINY_CLASS, gfp))
			return NULL;
		missed = true;
	}

	/* A fresh block, the object at its start; nobody else sees it yet. */
	p = (unsigned long)slot->objs[--slot->n].p;
	s = slot->objs[slot->n].span;
	m = tiny_meta(s, p);
	placed = tiny_start_bit(0) | tiny_end_bit(size - 1);
	gomem_kasan_alloc((void *)p, size, TINY_BLOCK);
	c->stats.cls[GOMEM_TINY_CLASS].allocs++;
	c->stats.misses += missed;
	if (!c->tiny || size < c->tiny_off) {
		atomic_set(&m->freed, 0);
		WRITE_ONCE(m->placed, placed);
		tiny_retire(c);
		c->tiny = p;
		c->tiny_meta = m;
		c->tiny_off = size;
	} else {
		/* Never current: its one object's free gives it back. */
		atomic_set(&m->freed, TINY_DONE & ~tiny_start_bit(0));
		WRITE_ONCE(m->placed, placed);
	}
out:
	c->stats.tiny.allocs++;
	c->stats.tiny.bytes += size;
	local_irq_restore(flags);
	return (void *)p;
}

/* The starts of the block's live objects. */
static u32 tiny_live(struct gomem_tiny_meta *m, u32 placed)
{
	return placed & ~atomic_read(&m->freed) & TINY_STARTS;
}

/*
 * Size of the live tiny object at p, or 0 if p is not one's start.  The
 * caller reads as an RCU-sched reader.
 */
size_t tiny_size(struct mspan *s, unsigned long p)
{
	struct gomem_tiny_meta *m = tiny_meta(s, p);
	unsigned int o = p & (TINY_BLOCK - 1);
	u32 placed = READ_ONCE(m->placed);

	if (!(tiny_live(m, placed) & tiny_start_bit(o)))
		return 0;
	return tiny_last(placed, o) - o + 1;
}

/* Why p, in a tiny span, is not a live object's start. */
enum gomem_bad tiny_why(struct mspan *s, unsigned long p)
{
	struct gomem_tiny_meta *m = tiny_meta(s, p);
	unsigned int o = p & (TINY_BLOCK - 1);
	u32 placed = READ_ONCE(m->placed);
	u32 below = tiny_live(m, placed) & (tiny_start_bit(o) - 1);

	if (below && tiny_last(placed, __fls(below)) >= o)
		return GOMEM_BAD_INTERIOR;
	return GOMEM_BAD_DOUBLE;
}

/*
 * Free the tiny object at p; false if p is not a live one's start.
 * Interrupts disabled, c is this CPU's.
 */
bool tiny_free(struct mcache *c, struct mspan *s, unsigned long p)
{
	struct gomem_tiny_meta *m = tiny_meta(s, p);
	unsigned int o = p & (TINY_BLOCK - 1);
	size_t size;
	u32 freed;

	size = tiny_size(s, p);
	if (!size)
		return false;
	/* Before the freed bit is set: then the block may be reused. */
	if (want_init_on_free())
		memset((void *)p, 0, size);
	freed = atomic_fetch_or(tiny_start_bit(o), &m->freed);
	if (freed & tiny_start_bit(o))
		return false;	/* lost a race with another free of p */
	c->stats.tiny.frees++;
	c->stats.tiny.bytes -= size;
	if ((freed | tiny_start_bit(o)) == TINY_DONE)
		tiny_block_dead(c, s, m, p - o);
	return true;
}
