/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tiny allocator's free of one object, inline: a block's two state
 * words, where they are and what their bits say, and tiny_free_seen(),
 * which sets an object's freed bit.  tiny.c has the design, the
 * invariants and the rest of the layer; this is the part that
 * gomem_free() inlines (tiny_free_unlock()), so that its tiny free calls
 * nothing on the way in, as its small free does not.  Only tiny.c and
 * gomem.c include it.
 */
#ifndef _GOMEM_TINY_H
#define _GOMEM_TINY_H

#include "gomem_internal.h"

#define TINY_BLOCK	16
/* Tiny spans are of the class of GOMEM_TINY_MAX bytes (mcentral_init()). */
static_assert(TINY_BLOCK == GOMEM_TINY_MAX);
#define TINY_DONE	0xffffU
/* One generation of a block's "freed" word. */
#define TINY_GEN	0x10000U

static inline u32 tiny_start_bit(unsigned int o)
{
	return 1U << o;
}

/*
 * The end bit of the block's last byte, in the "placed" word of every
 * block handed out, from the store that hands it out on (see
 * tiny_take_block()), whether an object ends there or not: so that
 * tiny_len() needs no OR of its own to keep its bit-scan from 0 (one
 * instruction fewer on a tiny free: batch256 frees of 1 to 4 bytes 81 to
 * 90 instructions an object, not 82 to 91), and the word is never FREE
 * (0).
 * Alone, it is the word of a block handed out with no object in it, as
 * tiny_restart() leaves it for a moment, and tiny_place() a block it
 * makes current when the old one fills, until the next placement: no
 * start bit, so no object reads as live, but not FREE, which the
 * mcentral, scanning the span on another CPU, would take for a free
 * block, and hand out, while its owner places objects in it (found by
 * the stress test: an object handed out twice).
 */
#define TINY_EMPTY	BIT(31)
static_assert(TINY_EMPTY != GOMEM_OBJ_FREE && TINY_EMPTY != GOMEM_TINY_CACHED &&
	      !(TINY_EMPTY & TINY_DONE));

/*
 * Bytes of the object placed at byte o, by a block's "placed" word, in
 * which it is placed: its end bit is the first at or after o, or the
 * block's last byte's (TINY_EMPTY), so that no bit-scan is of 0.  The end
 * bits shifted down by o, not masked below it: no register for a mask on
 * the free's fast path (see tiny_free_seen()).
 */
static inline unsigned int tiny_len(u32 placed, unsigned int o)
{
	return __ffs((placed >> 16) >> o) + 1;
}

/*
 * The state of the block holding p: its "placed" and "freed" words.  The
 * blocks are TINY_BLOCK bytes: a shift, where mspan_index() multiplies.
 * The two words side by side, not in two arrays, so that the free finds
 * "freed" without the span's nelems (measured: a pair of 1-byte objects
 * 2 instructions fewer, 135, and tiny_free_unlock() saves no register).
 */
static_assert(GOMEM_TINY_STATE == 2 * sizeof(u32));

static inline u32 *tiny_placed(struct mspan *s, unsigned long p)
{
	return s->state + (p - s->base) / TINY_BLOCK * GOMEM_TINY_STATE;
}

/* A block's "freed" word, by its "placed" word, which it follows. */
static inline u32 *tiny_freed_by(u32 *placed)
{
	return placed + 1;
}

static inline u32 *tiny_freed(struct mspan *s, unsigned long p)
{
	return tiny_freed_by(tiny_placed(s, p));
}

/* Does a block's "freed" word have all 16 bits, the block complete? */
static inline bool tiny_done(u32 freed)
{
	return (u16)freed == TINY_DONE;
}

/* tiny_free_seen()'s ways out that are not its fast path, in tiny.c. */
bool tiny_block_dead(struct mcache *c, struct mspan *s, u32 *placed,
		     unsigned long block);
bool tiny_block_dead_unlock(struct mcache *c, struct mspan *s, u32 *placed,
			    unsigned long block, unsigned long flags)
	__releases(&gomem_mcache_lock);
bool tiny_free_refused(unsigned long p, unsigned long flags, unsigned long ip)
	__releases(&gomem_mcache_lock);
bool tiny_free_raced(struct mspan *s, unsigned long p, u32 seen,
		     unsigned long flags, unsigned long ip)
	__releases(&gomem_mcache_lock);
void tiny_free_unlock_zeroing(struct mspan *s, unsigned long p,
			      unsigned long flags, unsigned long ip)
	__releases(&gomem_mcache_lock);

/*
 * tiny_free(), zeroing the object first if zero, and if unlock, with
 * the mcache unlocked on each way out, flags as mcache_lock_irqsave()
 * saved them, and a refused p reported as gomem_free()'s, with ip; by
 * a free that read p's block's "freed" word as seen, then "placed".  If
 * once, the free tries its compare-and-exchange once, and hands a race
 * lost to tiny_free_raced(), out of line, which loops: the loop kept
 * seen, and the values its next turn reads again, in registers that
 * gomem_free()'s tiny free saved (measured: 5 registers saved there
 * with the loop inline, 3 without, and with the object's length taken
 * before the compare-and-exchange, and the block's address from p's
 * bits, not from its offset kept across it; a pair of 1-byte objects 3
 * instructions fewer).  The live test reads the start bit in each word
 * rather than mask one word with the other's complement, and the length
 * takes no mask (tiny_len()): 1 register saved then, not 3, and a pair
 * of 1-byte objects 11 instructions fewer, 153 to 142.
 *
 * The bit is set only while "freed" holds what was read, or, after
 * another object's free changed it, more bits of the same generation:
 * of two racing frees of p, one sets it and the other finds it set.  A
 * free that stalls between its reads and its set while its block is
 * reused (restarted, or given back and taken again, each of which first
 * needs every object in it freed, p too, and then starts the next
 * generation) finds the generation changed and is refused, even if an
 * object of the block's new life sits at p: otherwise it would free that
 * object under its new owner.  (The generation is 16 bits: only a stall
 * across 65,536 reuses of one block could miss it.)
 */
static __always_inline bool tiny_free_seen(struct mcache *c, struct mspan *s,
					   unsigned long p, u32 seen, bool zero,
					   bool unlock, unsigned long flags,
					   unsigned long ip, bool once)
{
	unsigned int o = p & (TINY_BLOCK - 1);
	unsigned long len;
	u32 *placed = tiny_placed(s, p), bit = tiny_start_bit(o), now;
	u32 *freed = tiny_freed(s, p), was = seen;

	for (;;) {
		/* "freed" before "placed": pairs with tiny_restart(). */
		smp_rmb();
		now = READ_ONCE(*placed);
		if (!(now & bit) || (was & bit))
			goto refused;
		len = tiny_len(now, o);
		/* Before the freed bit is set: then the block may be reused. */
		if (zero)
			memset((void *)p, 0, len);
		if (likely(try_cmpxchg(freed, &was, was | bit)))
			break;
		if (once)
			return tiny_free_raced(s, p, seen, flags, ip);
		if ((was ^ seen) & ~TINY_DONE)
			goto refused;
	}
	/* Read only now: one register fewer to keep across the loop. */
	if (unlock)
		c = this_cpu_read(gomem_mcache);
	c->stats.tiny.frees++;
	c->stats.tiny.bytes -= len;
	if (!tiny_done(was | bit)) {
		if (unlock)
			mcache_unlock_irqrestore(flags);
		return true;
	}
	/* Found again from s and p: one register fewer, as c above. */
	p &= ~(TINY_BLOCK - 1UL);
	if (unlock)
		return tiny_block_dead_unlock(c, s, tiny_placed(s, p), p, flags);
	return tiny_block_dead(c, s, tiny_placed(s, p), p);
refused:
	return unlock ? tiny_free_refused(p, flags, ip) : false;
}

/*
 * gomem_free() of the tiny object at p, in tiny span s, with the mcache
 * locked (flags as mcache_lock_irqsave() saved them): as tiny_free(), but
 * it unlocks the mcache itself and reports a refused p, naming ip.
 * Inline, so that gomem_free()'s tiny free calls nothing, and leaves
 * only by tail calls (measured: a pair of 1-byte objects took 179
 * instructions, 187 with tiny_free() called from gomem_free(), and 192
 * with a function in gomem.c between them that unlocked after it; then,
 * with this out of line and reached by a tail call, 132, and inline,
 * 124).  It tests init_on_free itself, as it did out of line, rather
 * than take gomem_free()'s "zero" for it: with no test, gomem_free()
 * kept the object's length in a register it saved on every path.
 */
static __always_inline void tiny_free_unlock(struct mspan *s, unsigned long p,
					     unsigned long flags,
					     unsigned long ip)
	__releases(&gomem_mcache_lock)
{
	if (want_init_on_free())
		tiny_free_unlock_zeroing(s, p, flags, ip);
	else
		/* The fast path: its compare-and-exchange tried once. */
		tiny_free_seen(NULL, s, p, READ_ONCE(*tiny_freed(s, p)), false,
			       true, flags, ip, true);
}

#endif /* _GOMEM_TINY_H */
