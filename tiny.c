// SPDX-License-Identifier: GPL-2.0
/*
 * The tiny allocator: requests under 16 bytes, but 8 (which the 8-byte
 * class serves, as densely and faster), packed into 16-byte blocks, as
 * Go's mcache.tiny and tinyoffset do.
 *
 * Each CPU has a current block and an offset into it.  A request is placed
 * at the offset rounded up to its alignment (8, 4 or 2, whichever divides
 * its size, else 1), if it fits; otherwise it starts a fresh block, which
 * becomes current if it has more room left than the old one.
 *
 * Go never frees a tiny object; its collector frees the whole block.
 * gomem frees them one by one, so every block has a state in its tiny
 * span (see gomem_internal.h), made of two words with one writer
 * discipline each, 6 bytes a block (an array of each in span->state):
 *
 * placed	u32, bits 0-15: an object was placed starting at this byte
 *		bits 16-30: an object ends at byte (bit - 16); an object whose
 *		end bit is missing ends at byte 15
 *		Written with plain stores, only by the CPU whose current
 *		block it is (or that placed the block's one object, if the
 *		block never became current), and frozen once the block is
 *		retired: no CPU places objects in it any more.
 * freed	u16, bit i: the object starting at byte i was freed, or, once
 *		the block is retired, no object starts there
 *		Changed only by atomic compare-and-exchange, by frees on any
 *		CPU and by the retirement.
 *
 * An object is live while its start bit is placed and not freed; that
 * catches double and interior frees, and the end bits give gomem_size()
 * and bytes_requested the exact size.  Objects are placed in increasing
 * order during a block's life, so the first end bit at or after an
 * object's start is its own.
 *
 * Allocation therefore needs no atomic: it only adds bits to "placed",
 * which nobody else writes.  A free sets its bit in "freed" atomically;
 * the retirement, by the owner, which knows "placed" is final, sets the
 * bit of every offset where no object was placed.  The block goes back to
 * the tiny span class when "freed" is TINY_DONE, all 16 bits.  Before its
 * retirement a block's "freed" can only hold bits of placed objects, so
 * it reaches TINY_DONE only if all 16 bytes hold an object: a block that
 * fills is retired at once, by the placement that filled it, before that
 * object can be freed.  Bits are only ever added, so exactly one atomic
 * brings "freed" to TINY_DONE, and its own result says so: no CPU reads
 * "placed" to decide.  (Reading it after the atomic is wrong: by then
 * another CPU may have given the block back and rewritten it.)
 * Everything else is the mcache's and is touched under the mcache
 * lock, as there.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "gomem_internal.h"

#define TINY_BLOCK	16
#define TINY_DONE	0xffffU

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

/* The state of the block holding p: its "placed" and "freed" words. */
static u32 *tiny_placed(struct mspan *s, unsigned long p)
{
	return (u32 *)s->state + mspan_index(s, p);
}

static u16 *tiny_freed(struct mspan *s, u32 *placed)
{
	return (u16 *)((u32 *)s->state + s->nelems) + (placed - (u32 *)s->state);
}

/* Atomically add bits to *freed; what it held before. */
static __always_inline u16 tiny_fetch_or(u16 *freed, u16 bits)
{
	u16 old = READ_ONCE(*freed);

	while (!try_cmpxchg(freed, &old, old | bits))
		;
	return old;
}

/*
 * KASAN: the block is accessible from its start to the end of its last
 * object, rounded up to KASAN's granule (8 bytes), and a redzone after.
 * Tiny objects share granules, and KASAN, checking an access of several
 * bytes, reads the mark of its last granule twice, as if a live object's
 * marks never changed.  Marked to the byte, a granule a placement widens
 * from partial to whole could be read as partial, then as whole, by a
 * check on its neighbour from another CPU or from the code the placement
 * interrupted, which reports an access in bounds.  Whole granules keep
 * their marks while any object in them lives.
 */
static void tiny_kasan_alloc(unsigned long block, unsigned int end)
{
	gomem_kasan_alloc((void *)block, round_up(end, GOMEM_KASAN_GRANULE),
			  TINY_BLOCK);
}

/* The block is complete: back to this CPU's mcache, which is locked. */
static void tiny_block_dead(struct mcache *c, struct mspan *s, u32 *placed,
			    unsigned long block)
{
	gomem_kasan_free((void *)block, TINY_BLOCK);
	WRITE_ONCE(*placed, GOMEM_TINY_CACHED);
	c->stats.cls[GOMEM_TINY_CLASS].frees++;
	mcache_push(c, GOMEM_TINY_CLASS, (void *)block, s);
}

/* Drop c's current block; the mcache locked, or c's CPU is dead. */
void tiny_retire(struct mcache *c)
{
	unsigned long block = c->tiny;
	u32 *placed = c->tiny_placed;
	u16 done;

	if (!block)
		return;
	c->tiny = 0;
	/* "placed" is ours, and final now: offsets never used count as freed. */
	done = ~READ_ONCE(*placed) & TINY_DONE;
	if ((tiny_fetch_or(tiny_freed(c->tiny_span, placed), done) | done) == TINY_DONE)
		tiny_block_dead(c, c->tiny_span, placed, block);
}

/*
 * Place size bytes, aligned to align, in c's current block, if it has
 * one with room; 0 if not.  The mcache locked, c this CPU's.
 */
static __always_inline unsigned long tiny_place(struct mcache *c, size_t size,
						unsigned int align)
{
	unsigned int off = ALIGN(c->tiny_off, align);
	u32 *placed = c->tiny_placed;
	unsigned long p;

	if (unlikely(!c->tiny || off + size > TINY_BLOCK))
		return 0;
	/* This CPU alone writes its current block's word. */
	WRITE_ONCE(*placed, *placed | tiny_start_bit(off) |
		   tiny_end_bit(off + size - 1));
	tiny_kasan_alloc(c->tiny, off + size);
	p = c->tiny + off;
	c->tiny_off = off + size;
	/* Full: retired before this object can be freed. */
	if (c->tiny_off == TINY_BLOCK)
		tiny_retire(c);
	return p;
}

/*
 * Place size bytes at the start of a fresh block off c's stack, if it
 * has one; 0 if not.  The block becomes current if it has more room left
 * than the current one.  The mcache locked, c this CPU's.
 */
static unsigned long tiny_new_block(struct mcache *c, size_t size, bool missed)
{
	struct mcache_slot *slot = &c->slot[GOMEM_TINY_CLASS];
	unsigned long p;
	struct mspan *s;
	u32 *placed;

	if (!slot->n)
		return 0;
	/* Nobody else sees the block yet. */
	p = (unsigned long)slot->objs[--slot->n].p;
	s = slot->objs[slot->n].span;
	placed = tiny_placed(s, p);
	tiny_kasan_alloc(p, size);
	c->stats.cls[GOMEM_TINY_CLASS].allocs++;
	c->stats.misses += missed;
	if (!c->tiny || size < c->tiny_off) {
		WRITE_ONCE(*tiny_freed(s, placed), 0);
		WRITE_ONCE(*placed, tiny_start_bit(0) | tiny_end_bit(size - 1));
		tiny_retire(c);
		c->tiny = p;
		c->tiny_placed = placed;
		c->tiny_span = s;
		c->tiny_off = size;
	} else {
		/* Never current: its one object's free gives it back. */
		WRITE_ONCE(*tiny_freed(s, placed), TINY_DONE & ~tiny_start_bit(0));
		WRITE_ONCE(*placed, tiny_start_bit(0) | tiny_end_bit(size - 1));
	}
	return p;
}

/*
 * A tiny object of size bytes, aligned to align, in this CPU's current
 * block or in a fresh one off its stack, counted; 0 if both fail.
 */
static __always_inline unsigned long tiny_take(size_t size, unsigned int align,
					       bool missed)
{
	unsigned long flags, p;
	struct mcache *c;

	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	p = tiny_place(c, size, align) ?: tiny_new_block(c, size, missed);
	if (likely(p)) {
		c->stats.tiny.allocs++;
		c->stats.tiny.bytes += size;
	}
	mcache_unlock_irqrestore(flags);
	return p;
}

/*
 * tiny_alloc() or tiny_alloc_bulk() found this CPU's stack of blocks
 * empty: refill, and again.
 */
static noinline void *tiny_alloc_refill(size_t size, gfp_t gfp,
					unsigned int align)
{
	unsigned long p;

	do {
		might_alloc(gfp);
		if (!mcache_refill(GOMEM_TINY_CLASS, gfp, NULL, 1))
			return NULL;
		/* Interrupts, or a move to another CPU, may empty it again. */
		p = tiny_take(size, align, true);
	} while (!p);
	return (void *)p;
}

/* Go's alignment of a tiny object: 8, 4 or 2 if it divides size, else 1. */
static unsigned int tiny_align(size_t size)
{
	return 1U << min(__ffs(size), 3UL);
}

void *tiny_alloc(size_t size, gfp_t gfp)
{
	unsigned int align = tiny_align(size);
	unsigned long p = tiny_take(size, align, false);

	return p ? (void *)p : tiny_alloc_refill(size, gfp, align);
}

/*
 * Up to n tiny objects of size bytes into p, placed one after the other
 * as tiny_alloc() places them, in one section of the mcache lock; if the
 * stack of blocks is empty, one object after a refill.  Returns how many:
 * 0 only if the refill failed.
 */
unsigned int tiny_alloc_bulk(size_t size, gfp_t gfp, void **p, unsigned int n)
{
	unsigned int align = tiny_align(size), i;
	unsigned long flags, q;
	struct mcache *c;

	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	for (i = 0; i < n; i++) {
		q = tiny_place(c, size, align) ?: tiny_new_block(c, size, false);
		if (!q)
			break;
		p[i] = (void *)q;
	}
	c->stats.tiny.allocs += i;
	c->stats.tiny.bytes += i * size;
	mcache_unlock_irqrestore(flags);
	if (i)
		return i;
	p[0] = tiny_alloc_refill(size, gfp, align);
	return !!p[0];
}

/* The starts of the live objects of the block whose state is placed. */
static u32 tiny_live(struct mspan *s, u32 *placed, u32 now)
{
	return now & ~READ_ONCE(*tiny_freed(s, placed)) & TINY_DONE;
}

/* tiny_size(), for the block whose state is placed. */
static __always_inline size_t tiny_size_in(struct mspan *s, u32 *placed,
					   unsigned int o)
{
	u32 now = READ_ONCE(*placed);

	if (!(tiny_live(s, placed, now) & tiny_start_bit(o)))
		return 0;
	return tiny_last(now, o) - o + 1;
}

/*
 * Size of the live tiny object at p, or 0 if p is not one's start.  The
 * caller reads as an RCU-sched reader.
 */
size_t tiny_size(struct mspan *s, unsigned long p)
{
	return tiny_size_in(s, tiny_placed(s, p), p & (TINY_BLOCK - 1));
}

/* Why p, in a tiny span, is not a live object's start. */
enum gomem_bad tiny_why(struct mspan *s, unsigned long p)
{
	unsigned int o = p & (TINY_BLOCK - 1);
	u32 *placed = tiny_placed(s, p), now = READ_ONCE(*placed);
	u32 below = tiny_live(s, placed, now) & (tiny_start_bit(o) - 1);

	if (below && tiny_last(now, __fls(below)) >= o)
		return GOMEM_BAD_INTERIOR;
	return GOMEM_BAD_DOUBLE;
}

/* tiny_free(), zeroing the object first if zero. */
static __always_inline bool tiny_free_as(struct mcache *c, struct mspan *s,
					 unsigned long p, bool zero)
{
	unsigned int o = p & (TINY_BLOCK - 1);
	u32 *placed = tiny_placed(s, p);
	size_t size;
	u16 freed;

	size = tiny_size_in(s, placed, o);
	if (!size)
		return false;
	/* Before the freed bit is set: then the block may be reused. */
	if (zero)
		memset((void *)p, 0, size);
	freed = tiny_fetch_or(tiny_freed(s, placed), tiny_start_bit(o));
	if (freed & tiny_start_bit(o))
		return false;	/* lost a race with another free of p */
	c->stats.tiny.frees++;
	c->stats.tiny.bytes -= size;
	if ((freed | tiny_start_bit(o)) == TINY_DONE)
		tiny_block_dead(c, s, placed, p - o);
	return true;
}

/*
 * Out of line, so that the usual free, with init_on_free off, saves no
 * registers for the memset() it never calls: measured, a tiny object's
 * free took 10 fewer instructions (of 73) once it was.
 */
static noinline bool tiny_free_zeroing(struct mcache *c, struct mspan *s,
				       unsigned long p)
{
	return tiny_free_as(c, s, p, true);
}

/*
 * Free the tiny object at p; false if p is not a live one's start.
 * The mcache locked, c is this CPU's.
 */
bool tiny_free(struct mcache *c, struct mspan *s, unsigned long p)
{
	if (want_init_on_free())
		return tiny_free_zeroing(c, s, p);
	return tiny_free_as(c, s, p, false);
}
