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
 * gomem frees them one by one, so every block carries a 32-bit word, its
 * state in the tiny span (see gomem_internal.h):
 *
 *	bits 0-15	a live object starts at this byte
 *	bits 16-30	an object ends at byte (bit - 16); an object whose end
 *			bit is missing ends at byte 15
 *	bit 31		the block is some CPU's current block
 *
 * The start bits catch double and interior frees; the end bits give
 * gomem_size() and bytes_requested the exact size; the block goes back to
 * the tiny span class when it has no start bit and is not current.
 * Objects are placed in increasing order during a block's life, so the
 * first end bit at or after an object's start is its own.
 *
 * The word is shared between the CPU placing objects in its current
 * block and any CPU freeing one, so it is only changed by cmpxchg: the
 * one atomic on the tiny paths.  Everything else is the mcache's and is
 * touched with interrupts disabled, as there.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/minmax.h>
#include <linux/mm.h>

#include "gomem_internal.h"

#define TINY_BLOCK	16
#define TINY_STARTS	0x0000ffffU
#define TINY_CURRENT	0x80000000U

static u32 tiny_start_bit(unsigned int o)
{
	return 1U << o;
}

static u32 tiny_end_bit(unsigned int last)
{
	return last < TINY_BLOCK - 1 ? 1U << (16 + last) : 0;
}

/* Last byte of the object starting at byte o. */
static unsigned int tiny_last(u32 meta, unsigned int o)
{
	u32 ends = (meta >> 16) & ~(tiny_start_bit(o) - 1);

	return ends ? __ffs(ends) : TINY_BLOCK - 1;
}

static u32 tiny_update(u32 *meta, u32 set, u32 clear)
{
	u32 old = READ_ONCE(*meta);

	while (!try_cmpxchg(meta, &old, (old & ~clear) | set))
		;
	return old;
}

static u32 *tiny_meta(struct mspan *s, unsigned long p)
{
	return (u32 *)s->state + mspan_index(s, p);
}

/* Why byte o of a block with this word is not a live object's start. */
static enum gomem_bad tiny_bad(u32 meta, unsigned int o)
{
	u32 below = meta & TINY_STARTS & (tiny_start_bit(o) - 1);

	if (below && tiny_last(meta, __fls(below)) >= o)
		return GOMEM_BAD_INTERIOR;
	return GOMEM_BAD_DOUBLE;
}

/* The block has no live object and is not current: back to the mcache. */
static void tiny_block_dead(struct mcache *c, u32 *meta, unsigned long block)
{
	WRITE_ONCE(*meta, GOMEM_TINY_CACHED);
	c->stats.cls[GOMEM_TINY_CLASS].frees++;
	mcache_put(c, GOMEM_TINY_CLASS, (void *)block);
}

/* Drop c's current block; interrupts disabled, or c's CPU is dead. */
void tiny_retire(struct mcache *c)
{
	u32 *meta = c->tiny_meta;
	unsigned long block = c->tiny;

	if (!block)
		return;
	c->tiny = 0;
	if (!(tiny_update(meta, 0, TINY_CURRENT) & TINY_STARTS))
		tiny_block_dead(c, meta, block);
}

void *tiny_alloc(size_t size, gfp_t gfp)
{
	unsigned int align = 1U << min(__ffs(size), 3UL), off;
	struct mcache_slot *slot;
	unsigned long flags, p;
	bool missed = false;
	struct mcache *c;
	struct mspan *s;
	u32 *meta, bits;

	for (;;) {
		local_irq_save(flags);
		c = this_cpu_read(gomem_mcache);
		off = ALIGN(c->tiny_off, align);
		if (likely(c->tiny && off + size <= TINY_BLOCK)) {
			p = c->tiny + off;
			tiny_update(c->tiny_meta, tiny_start_bit(off) |
				    tiny_end_bit(off + size - 1), 0);
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
	p = (unsigned long)slot->objs[--slot->n];
	s = gomem_span_of(p);
	meta = tiny_meta(s, p);
	bits = tiny_start_bit(0) | tiny_end_bit(size - 1);
	c->stats.cls[GOMEM_TINY_CLASS].allocs++;
	c->stats.misses += missed;
	if (!c->tiny || size < c->tiny_off) {
		WRITE_ONCE(*meta, bits | TINY_CURRENT);
		tiny_retire(c);
		c->tiny = p;
		c->tiny_meta = meta;
		c->tiny_off = size;
	} else {
		WRITE_ONCE(*meta, bits);
	}
out:
	c->stats.tiny.allocs++;
	c->stats.tiny.bytes += size;
	local_irq_restore(flags);
	return (void *)p;
}

/*
 * Size of the live tiny object at p, or 0 with *why set.  The caller
 * reads as an RCU-sched reader.
 */
size_t tiny_size(struct mspan *s, unsigned long p, enum gomem_bad *why)
{
	u32 meta = READ_ONCE(*tiny_meta(s, p));
	unsigned int o = p & (TINY_BLOCK - 1);

	if (!(meta & tiny_start_bit(o))) {
		*why = tiny_bad(meta, o);
		return 0;
	}
	return tiny_last(meta, o) - o + 1;
}

/* Free the tiny object at p; interrupts disabled, c is this CPU's. */
bool tiny_free(struct mcache *c, struct mspan *s, unsigned long p,
	       enum gomem_bad *why)
{
	unsigned int o = p & (TINY_BLOCK - 1);
	u32 *meta = tiny_meta(s, p), old;
	size_t size;

	size = tiny_size(s, p, why);
	if (!size)
		return false;
	/* Before the start bit goes: then the block may be reused. */
	if (want_init_on_free())
		memset((void *)p, 0, size);
	old = READ_ONCE(*meta);
	do {
		if (!(old & tiny_start_bit(o))) {
			/* Lost a race with another free of p. */
			*why = GOMEM_BAD_DOUBLE;
			return false;
		}
	} while (!try_cmpxchg(meta, &old, old & ~tiny_start_bit(o)));

	c->stats.tiny.frees++;
	c->stats.tiny.bytes -= size;
	if (!(old & ~tiny_start_bit(o) & (TINY_STARTS | TINY_CURRENT)))
		tiny_block_dead(c, meta, p - o);
	return true;
}

/* Shrink the live tiny object at p, owned by the caller, to new_size. */
void tiny_shrink(struct mspan *s, unsigned long p, size_t new_size)
{
	unsigned int o = p & (TINY_BLOCK - 1);
	u32 *meta = tiny_meta(s, p);

	tiny_update(meta, tiny_end_bit(o + new_size - 1),
		    tiny_end_bit(tiny_last(READ_ONCE(*meta), o)));
}
