// SPDX-License-Identifier: GPL-2.0
/*
 * The tiny allocator: requests of 1 to GOMEM_TINY_REQ_MAX (4) bytes,
 * packed into 16-byte blocks, as Go's mcache.tiny and tinyoffset do for
 * all under 16.  Larger ones fit three times at most in a block, whose
 * state costs 8 bytes (below), and sit more densely in the 8- and
 * 16-byte classes (gomem_internal.h says what 5 bytes measured).
 *
 * Each CPU has a current block and an offset into it.  A request is placed
 * at the offset rounded up to its alignment (4 or 2, whichever divides
 * its size, else 1), if it fits; otherwise it starts a fresh block, which
 * becomes current, having more room left than the old one, as Go asks
 * (tiny_new_block() says why it always has).  Go stops there; gomem,
 * which frees objects one by one, first starts the current block again
 * at its first byte if every object placed in it was freed (and also
 * rather than fill it), so that a block is reused as long as each object
 * is freed before the block fills.  A placement that fills the current
 * block retires it and makes the next block off the CPU's stack current
 * at once, with nothing in it, so that the next placement has room.
 *
 * Go never frees a tiny object; its collector frees the whole block.
 * gomem frees them one by one, so every block has a state in its tiny
 * span (see gomem_internal.h), made of two words with one writer
 * discipline each, 8 bytes a block, side by side in span->state:
 *
 * placed	u32, bits 0-15: an object was placed starting at this byte
 *		bits 16-31: an object ends at byte (bit - 16), and bit
 *		31 is set in every block handed out (TINY_EMPTY)
 *		Written with plain stores, only by the CPU whose current
 *		block it is, and frozen once the block is retired: no CPU
 *		places objects in it any more.  The word is also the
 *		block's state for the mcentral (FREE 0, CACHED
 *		GOMEM_TINY_CACHED), which reads it under its lock only, on
 *		any CPU, scanning the span for FREE blocks: so a block
 *		handed out never holds either value, not even for a moment
 *		(see TINY_EMPTY).
 * freed	u32, bit i of 0-15: the object starting at byte i was freed,
 *		or, once the block is retired, no object starts there
 *		bits 16-31: the block's generation, random in a new span,
 *		and one more each time the block is handed out anew, empty
 *		(TINY_GEN)
 *		Changed by atomic compare-and-exchange, by frees on any CPU
 *		and by the retirement, and cleared, to the next generation,
 *		with a plain store only where no object in the block is
 *		live: by the CPU that takes the block off its stack, and by
 *		the owner's restart.
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
 * the tiny span class when "freed" has TINY_DONE, all 16 bits.  Before its
 * retirement a block's "freed" can only hold bits of placed objects, so
 * it reaches TINY_DONE only if all 16 bytes hold an object: a block that
 * fills is retired at once, by the placement that filled it, before that
 * object can be freed.  While any object is live, bits are only ever
 * added, so exactly one atomic brings "freed" to TINY_DONE, and its own
 * result says so: no CPU reads "placed" to decide.  (Reading it after the
 * atomic is wrong: by then another CPU may have given the block back and
 * rewritten it.)  A free sets its bit only if "freed" still holds what
 * it read before it read "placed", or more bits of the same generation:
 * a free that finds the block handed out anew since then is refused, so
 * that a double free that stalls while its block is reused cannot free
 * the new owner's object (tiny_free_seen()).  Everything else is the
 * mcache's and is touched under the mcache lock, as there.
 *
 * The fast path places an object in the current block, without filling
 * it, or at the start of that block again, and calls nothing; a block
 * that fills, a fresh block, a refill and zeroing are tiny_alloc_slow()'s.
 * The free of one object, tiny_free_seen(), and the block's words it
 * reads are in tiny.h, inline, so that gomem_free()'s tiny free calls
 * nothing either; its rarer ways out are here.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/module.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/random.h>

#include "tiny.h"

/* Last byte of the object placed at byte o. */
static unsigned int tiny_last(u32 placed, unsigned int o)
{
	return o + tiny_len(placed, o) - 1;
}

/*
 * "freed" of a block handed out anew, no object freed in it: the next
 * generation after old's, which its last life left.
 */
static u32 tiny_anew(u32 old)
{
	return (old & ~TINY_DONE) + TINY_GEN;
}

/* Atomically add bits to *freed; what it held before. */
static __always_inline u32 tiny_fetch_or(u32 *freed, u16 bits)
{
	u32 old = READ_ONCE(*freed);

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

/*
 * The block is complete: back to this CPU's mcache, which is locked.
 * True, so that the free of its last object may end in a tail call here.
 */
noinline bool tiny_block_dead(struct mcache *c, struct mspan *s, u32 *placed,
			      unsigned long block)
{
	gomem_kasan_free((void *)block, TINY_BLOCK);
	WRITE_ONCE(*placed, GOMEM_TINY_CACHED);
	c->slot[GOMEM_TINY_CLASS].stats.frees++;
	mcache_push(c, GOMEM_TINY_CLASS, (void *)block, s, placed);
	return true;
}

/*
 * The block whose words are at placed and freed retired: "placed" is
 * final, so the offsets where no object starts count as freed.  Is it
 * complete, every object in it freed?  A block every byte of which
 * holds an object has no such offset, and was filled just now by an
 * object still live, so it cannot be: no atomic then (bulk calls of 1
 * byte, 1 instruction an object fewer).
 */
static __always_inline bool tiny_retired_complete(u32 *placed, u32 *freed)
{
	u16 done = ~READ_ONCE(*placed) & TINY_DONE;

	return done && tiny_done(tiny_fetch_or(freed, done) | done);
}

/* Drop c's current block; the mcache locked, or c's CPU is dead. */
void tiny_retire(struct mcache *c)
{
	unsigned long block = c->tiny;

	if (!block)
		return;
	c->tiny = 0;
	c->tiny_off = TINY_BLOCK;
	if (tiny_retired_complete(c->tiny_placed, c->tiny_freed))
		tiny_block_dead(c, c->tiny_span, c->tiny_placed, block);
}

/*
 * What a request of size bytes needs, looked up by its size rather than
 * worked out on the fast path, one instruction each (measured, with
 * c->tiny_off a long, which then needs no widening: a pair of 1-byte
 * objects 7 instructions fewer, 142 to 137 with the first two, 135 to
 * 133 with the third).  Entry 0 is for no request.
 *
 * tiny_below	its alignment less one: Go aligns a tiny object to 4 or
 *		2 if that divides its size, else to 1 (Go's 8 divides no
 *		size up to GOMEM_TINY_REQ_MAX)
 * tiny_mask	~tiny_below
 * tiny_marks	its start and end bits in a block's "placed" word, were
 *		it placed at byte 0: shifted by its offset, they are its own
 *
 * The KUnit case placement_follows_go checks the first two, and
 * gomem_size() of each size the third.
 */
static const unsigned long tiny_below[] = { 0, 0, 1, 0, 3 };

static const unsigned long tiny_mask[] = { ~0UL, ~0UL, ~1UL, ~0UL, ~3UL };

/* The start bit of byte 0, and the end bit of byte size - 1 (bit 16 + it). */
#define TINY_MARKS(size)	(BIT(0) | BIT(16 + (size) - 1))
static const u32 tiny_marks[] = {
	0, TINY_MARKS(1), TINY_MARKS(2), TINY_MARKS(3), TINY_MARKS(4)
};

/*
 * A block filled from byte 0 with objects of size bytes, one after the
 * other, by a bulk allocation (tiny_put_blocks()): how many it holds,
 * and its "placed" word, TINY_MARKS(size) at each multiple of size below
 * that many times size (for 3 bytes: starts 0, 3, 6, 9 and 12, ends 2,
 * 5, 8, 11 and 14).  The KUnit case bulks_place_as_singles checks both,
 * by the sizes and frees of what a bulk allocation placed with them.
 */
static const u8 tiny_per[] = { 0, 16, 8, 5, 4 };

static const u32 tiny_row[] = {
	0, 0xffffffff, 0xaaaa5555, 0x49241249, 0x88881111
};

static_assert(ARRAY_SIZE(tiny_below) == GOMEM_TINY_REQ_MAX + 1 &&
	      ARRAY_SIZE(tiny_mask) == GOMEM_TINY_REQ_MAX + 1 &&
	      ARRAY_SIZE(tiny_marks) == GOMEM_TINY_REQ_MAX + 1 &&
	      ARRAY_SIZE(tiny_per) == GOMEM_TINY_REQ_MAX + 1 &&
	      ARRAY_SIZE(tiny_row) == GOMEM_TINY_REQ_MAX + 1);

/*
 * Place size bytes at off in c's current block, which has room for them.
 * The mcache locked, c this CPU's.
 */
static __always_inline unsigned long tiny_put(struct mcache *c,
					      unsigned long off, size_t size)
{
	u32 *placed = c->tiny_placed;

	/* This CPU alone writes its current block's word. */
	WRITE_ONCE(*placed, *placed | tiny_marks[size] << off);
	tiny_kasan_alloc(c->tiny, off + size);
	c->tiny_off = off + size;
	return c->tiny + off;
}

/*
 * Has c a current block every object placed in which was freed?  Its
 * "freed" word in *was if so.  The mcache locked, c this CPU's.
 */
static __always_inline bool tiny_restartable(struct mcache *c, u32 *was)
{
	if (!c->tiny)
		return false;
	*was = READ_ONCE(*c->tiny_freed);
	return (u16)*was == (READ_ONCE(*c->tiny_placed) & TINY_DONE);
}

/*
 * Start c's current block again at its first byte with size bytes, which
 * do not fit after its last object, or would fill the block, if every
 * object placed in it was freed: 0 if not.  Without this, a block whose
 * room is too small for the sizes asked for stays current with nothing
 * in it, and each of them takes a block of its own off the stack and
 * gives it back at its free: pairs of 12 bytes, when they were tiny,
 * cost 305 instructions, not 257 (measured).  "freed" starts the
 * block's next generation, as when a block is given back and taken
 * again, so that a double free that read it before, and stalled, is
 * refused (tiny_free_seen()).  The mcache locked, c this CPU's.
 */
static __always_inline unsigned long tiny_restart(struct mcache *c,
						  size_t size)
{
	u32 *placed = c->tiny_placed, *freed = c->tiny_freed, was;

	if (!tiny_restartable(c, &was))
		return 0;
	/*
	 * Against a free, which reads "freed" first (tiny_free_as()):
	 * "placed" is emptied first, so that in between no object reads as
	 * live, then "freed", and only then is the new object placed.
	 * Emptied to TINY_EMPTY, never to FREE: see there.
	 */
	WRITE_ONCE(*placed, TINY_EMPTY);
	/* "placed" empty before "freed" is: pairs with tiny_free_as(). */
	smp_wmb();
	WRITE_ONCE(*freed, tiny_anew(was));
	/* "freed" empty before the new object is placed: as above. */
	smp_wmb();
	return tiny_put(c, 0, size);
}

/*
 * Hand out the block on top of a CPU's stack of blocks, slot, and count
 * it: its "freed" word a new generation with the bits done set, its
 * "placed" word marks and TINY_EMPTY.  Nobody else sees the block until
 * it is current or its objects are returned, so plain stores.  The stack
 * not empty; the mcache locked, slot this CPU's.
 */
static __always_inline const struct gomem_obj *
tiny_pop(struct mcache_slot *slot, u32 marks, u32 done)
{
	const struct gomem_obj *o = &slot->objs[--slot->n];
	u32 *placed = o->state, *freed = tiny_freed_by(placed);

	WRITE_ONCE(*freed, tiny_anew(READ_ONCE(*freed)) | done);
	WRITE_ONCE(*placed, marks | TINY_EMPTY);
	slot->stats.allocs++;
	return o;
}

/* Block p, whose "placed" word is at placed, of span s, c's current. */
static __always_inline void tiny_make_current(struct mcache *c,
					      unsigned long p, u32 *placed,
					      struct mspan *s)
{
	c->tiny = p;
	c->tiny_placed = placed;
	c->tiny_freed = tiny_freed_by(placed);
	c->tiny_span = s;
	c->tiny_off = 0;
}

/*
 * tiny_take_block()'s end when the block it retired, old, was complete:
 * the new block p current, old back on the stack, and p returned.  Out
 * of line and reached by a tail call, so that tiny_take_block() keeps
 * nothing across a call: it saved five registers when it retired the
 * old block before the new one was current, with tiny_block_dead() to
 * call in between, and two now, for the compare-and-exchange's loop
 * (measured, one boot each of the command tiny_alloc_bulk() names:
 * batch256 allocations of 1 to 4 bytes 57, 66, 74 and 88 instructions
 * an object with tiny_retire() called, before 569925e; 56, 64, 72 and
 * 84 with its body inline, with tiny_alloc_slow() going straight to
 * tiny_place_rest() and "freed" found from "placed"; 55, 63, 70 and 82
 * with this).
 */
static noinline unsigned long tiny_took_complete(struct mcache *c,
						 unsigned long p, u32 *placed,
						 struct mspan *s,
						 unsigned long old,
						 u32 *old_placed)
{
	struct mspan *old_span = c->tiny_span;

	tiny_make_current(c, p, placed, s);
	tiny_block_dead(c, old_span, old_placed, old);
	return p;
}

/*
 * Make the block on top of c's stack c's current block, its "placed"
 * word marks and TINY_EMPTY, at offset 0 (for the caller to move), and
 * retire the old current block; the block, or 0 if the stack is empty,
 * when nothing changes.  The mcache locked, c this CPU's.
 */
static unsigned long tiny_take_block(struct mcache *c, u32 marks, bool missed)
{
	struct mcache_slot *slot = &c->slot[GOMEM_TINY_CLASS];
	unsigned long p, old = c->tiny;
	u32 *placed, *old_placed = c->tiny_placed;
	const struct gomem_obj *o;
	struct mspan *s;

	if (!slot->n)
		return 0;
	o = tiny_pop(slot, marks, 0);
	p = (unsigned long)o->p;
	s = gomem_obj_span(o);
	placed = o->state;
	c->stats.misses += missed;
	/* The old block retired, as by tiny_retire(). */
	if (old && tiny_retired_complete(old_placed, c->tiny_freed))
		return tiny_took_complete(c, p, placed, s, old, old_placed);
	tiny_make_current(c, p, placed, s);
	return p;
}

/*
 * Place size bytes at the start of a fresh block off c's stack, if it
 * has one; 0 if not.  The block becomes current, as in Go when it has
 * more room left than the current one, which it always has here: size
 * bytes did not fit after the current block's offset, which is then more
 * than 17 - 2 * size (its alignment pads at most size - 1 bytes), and so
 * more than size, the fresh block's offset, as long as three of the
 * largest fit in a block.  The mcache locked, c this CPU's.
 */
static_assert(3 * GOMEM_TINY_REQ_MAX <= TINY_BLOCK + 1);

static unsigned long tiny_new_block(struct mcache *c, size_t size, bool missed)
{
	unsigned long p = tiny_take_block(c, tiny_marks[size], missed);

	if (p) {
		tiny_kasan_alloc(p, size);
		c->tiny_off = size;
	}
	return p;
}

/*
 * off rounded up to Go's alignment of a tiny object of size bytes, by
 * the tables above: no bit-scan, no shift, and no register saved in
 * tiny_alloc() (measured, when this computed size ^ (size - 1) rather
 * than scan for size's lowest bit and shift by it: a pair of 1-byte
 * objects 6 instructions fewer, 159 to 153).
 */
static unsigned long tiny_align(unsigned long off, size_t size)
{
	return (off + tiny_below[size]) & tiny_mask[size];
}

/*
 * The placements of size bytes at off that call nothing: in c's current
 * block, if they leave room there, else at its start again
 * (tiny_restart()); false if neither, else true with the object's
 * address in *p.  With no current block, c->tiny_off is TINY_BLOCK, which
 * leaves room for nothing, so the test of the room needs no test of
 * c->tiny, and the caller, told by a constant true, none of *p (measured:
 * a pair of 1-byte objects 5 instructions fewer).  The mcache locked, c
 * this CPU's.
 */
static __always_inline bool tiny_place_fast(struct mcache *c, size_t size,
					    unsigned long off, unsigned long *p)
{
	if (likely(off + size < TINY_BLOCK)) {
		*p = tiny_put(c, off, size);
		return true;
	}
	*p = tiny_restart(c, size);
	return *p;
}

/*
 * tiny_place() of size bytes at off, the offset aligned, once
 * tiny_place_fast() placed nothing.
 */
static __always_inline unsigned long tiny_place_rest(struct mcache *c,
						     size_t size,
						     unsigned long off,
						     bool missed)
{
	unsigned long p;

	/* With no current block too: see tiny_place_fast(). */
	if (off + size > TINY_BLOCK)
		return tiny_new_block(c, size, missed);
	p = tiny_put(c, off, size);
	/*
	 * Full: retired before this object can be freed, and the next
	 * block off the stack made current at once, empty (TINY_EMPTY: no
	 * object, not FREE), so that the next placement finds room on the
	 * fast path rather than come here again to find none (measured, one
	 * boot of make bench's loops at 1 byte: a batch's allocations 58
	 * instructions an object, not 62, and objects freed on another CPU
	 * 152, not 155).  The block is the one the next placement would
	 * have taken; the CPU holds it, not its stack, until then.
	 */
	if (!tiny_take_block(c, TINY_EMPTY, false))
		tiny_retire(c);
	return p;
}

/*
 * Place size bytes, aligned as tiny_align() says, wherever they go: as
 * tiny_place_fast() does, else in c's current block if they fill it
 * (retired then), else at the start of a fresh block off c's stack; 0 if
 * the stack is empty.  Not counted.  The mcache locked, c this CPU's.
 */
static __always_inline unsigned long tiny_place(struct mcache *c, size_t size,
						bool missed)
{
	unsigned long off = tiny_align(c->tiny_off, size);
	unsigned long p;

	if (likely(tiny_place_fast(c, size, off, &p)))
		return p;
	return tiny_place_rest(c, size, off, missed);
}

/* n tiny objects of size bytes placed: counted.  The mcache locked. */
static void tiny_count(struct mcache *c, unsigned int n, size_t size)
{
	c->stats.tiny.allocs += n;
	c->stats.tiny.bytes += n * size;
}

/*
 * A tiny object zeroed, for its caller: out of line, so that
 * tiny_alloc() reaches it in a tail call.  tiny_kasan_alloc() marked it.
 */
static noinline void *tiny_zeroed(void *p, size_t size)
{
	memset(p, 0, size);
	return p;
}

/*
 * Everything tiny_alloc()'s fast path leaves, entered in its section of
 * the mcache lock, with flags as mcache_lock_irqsave() saved them, and
 * left unlocked: a placement that fills the current block or needs
 * another, refills of this CPU's stack of blocks (after each of which it
 * locks again: interrupts, or a move to another CPU, may empty the stack
 * in between), zeroing and failure.  Its first placement is in the
 * section where tiny_alloc()'s fast path placed nothing, so it goes
 * straight to tiny_place_rest().
 */
static noinline void *tiny_alloc_slow(size_t size, gfp_t gfp,
				      unsigned long flags)
	__releases(&gomem_mcache_lock)
{
	struct mcache *c = this_cpu_read(gomem_mcache);
	unsigned long p;

	p = tiny_place_rest(c, size, tiny_align(c->tiny_off, size), false);
	for (;;) {
		if (p)
			tiny_count(c, 1, size);
		mcache_unlock_irqrestore(flags);
		if (p)
			break;
		might_alloc(gfp);
		if (!mcache_refill(GOMEM_TINY_CLASS, gfp, NULL, 1)) {
			gomem_count_failure();
			return NULL;
		}
		mcache_lock_irqsave(flags);
		c = this_cpu_read(gomem_mcache);
		p = tiny_place(c, size, true);
	}
	if (want_init_on_alloc(gfp))
		return tiny_zeroed((void *)p, size);
	return (void *)p;
}

/*
 * A tiny object, or NULL, counted.  Its fast path is tiny_place_fast():
 * it calls nothing (zeroing is a tail call), so it saves no register
 * (tiny_align() says how it stopped saving its last one; measured, with
 * tiny_alloc_slow() split off and gomem_alloc() ending in a tail call
 * here, pairs of 1-byte objects took 237 instructions before, 194
 * after); all else is tiny_alloc_slow()'s,
 * in the same lock section.  With the mcache locked, as at every use of
 * the current block, nothing else on this CPU touches the block's
 * "placed" word or the offset, and no other CPU writes them.
 */
void *tiny_alloc(size_t size, gfp_t gfp)
{
	unsigned long flags, p;
	struct mcache *c;

	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	if (unlikely(!tiny_place_fast(c, size, tiny_align(c->tiny_off, size),
				      &p)))
		return tiny_alloc_slow(size, gfp, flags);
	tiny_count(c, 1, size);
	mcache_unlock_irqrestore(flags);
	/* A tail call: no register saved for it. */
	if (want_init_on_alloc(gfp))
		return tiny_zeroed((void *)p, size);
	return (void *)p;
}

/*
 * Up to n objects of size bytes into p, each where tiny_place_fast()
 * would put it in c's current block, as long as they leave room there,
 * with one store of the block's "placed" word for them all.  Once the
 * first is aligned, each starts where the last ends: every tiny size is a
 * multiple of its own alignment (tiny_below[]).  How many; none with no
 * current block, whose offset leaves no room.  The mcache locked, c this
 * CPU's.
 */
static __always_inline unsigned int tiny_put_run(struct mcache *c,
						 size_t size, void **p,
						 unsigned int n)
{
	unsigned long off = tiny_align(c->tiny_off, size), block = c->tiny;
	u32 marks = 0, *placed = c->tiny_placed;
	unsigned int i;

	for (i = 0; i < n && off + size < TINY_BLOCK; i++, off += size) {
		marks |= tiny_marks[size] << off;
		p[i] = (void *)(block + off);
	}
	if (i) {
		/* This CPU alone writes its current block's word. */
		WRITE_ONCE(*placed, *placed | marks);
		tiny_kasan_alloc(block, off);
		c->tiny_off = off;
	}
	return i;
}

/*
 * Would tiny_place() put the next object of size bytes at byte 0 of a
 * fresh block?  It would if the object does not fit after the current
 * block's offset, and the block cannot start again.  The mcache locked,
 * c this CPU's.
 */
static __always_inline bool tiny_next_fresh(struct mcache *c, size_t size)
{
	u32 was;

	return tiny_align(c->tiny_off, size) + size > TINY_BLOCK &&
	       !tiny_restartable(c, &was);
}

/*
 * For a bulk allocation whose next object tiny_place() would put in a
 * fresh block (tiny_next_fresh()), or in c's current block, taken empty
 * when the last one filled: whole blocks straight off c's stack, filled
 * with up to n objects of size bytes into p, as long as more than a
 * block's worth are left, so that the last block the call places in
 * goes the usual way, and becomes current.  Each block is filled as
 * tiny_place() would fill it, and complete at once, never current: its
 * "placed" word final (with TINY_EMPTY, as every block handed out has
 * it), and "freed" the next generation with the bits of the bytes where
 * no object starts, as tiny_retire() would leave it, both written by
 * tiny_pop(): no other CPU sees the block until the call returns its
 * objects.  How many objects.  The mcache locked, c this CPU's.
 */
static unsigned int tiny_put_blocks(struct mcache *c, size_t size, void **p,
				    unsigned int n)
{
	struct mcache_slot *slot = &c->slot[GOMEM_TINY_CLASS];
	unsigned int per = tiny_per[size], i = 0, k;
	u32 row = tiny_row[size];
	unsigned long b;

	while (n - i > per && slot->n) {
		b = (unsigned long)tiny_pop(slot, row, ~row & TINY_DONE)->p;
		tiny_kasan_alloc(b, per * size);
		for (k = 0; k < per; k++)
			p[i++] = (void *)(b + k * size);
	}
	return i;
}

/*
 * Up to n tiny objects of size bytes into p, placed one after the other
 * as tiny_alloc() places them, in one section of the mcache lock, and
 * handed out; if the stack of blocks is empty, one object from
 * tiny_alloc_slow().  Returns how many: 0 only if that failed, which it
 * counts.  Whole blocks are filled by tiny_put_blocks() while an empty
 * block is next and more than a block's worth is left, the objects that
 * leave room in the current block are placed in a run (tiny_put_run()),
 * and the object that fills a block, or needs a new one, by
 * tiny_place().  Measured, one boot each of scripts/bench
 * sizes=1,2,3,4,8 tests=pair,batch256,bulk16,bulk128,remote: bulk16 of
 * 1 to 4 bytes took 78, 93, 105 and 123 instructions an object, both
 * calls, with each object placed by tiny_place() and each block's run
 * freed from the bulk free's section, and 74, 77, 83 and 88 with runs,
 * whole blocks and tiny_free_runs_as(); bulk128 63, 78, 93 and 108, then
 * 43, 49, 57 and 62.  The allocation alone of bulk16 of 4 bytes (timed
 * apart in a throwaway build) took 888 instructions a call with runs but
 * no whole blocks, and 498 with both.
 */
unsigned int tiny_alloc_bulk(size_t size, gfp_t gfp, void **p, unsigned int n)
{
	unsigned int i, j;
	unsigned long flags, q;
	struct mcache *c;

	mcache_lock_irqsave(flags);
	c = this_cpu_read(gomem_mcache);
	for (i = 0; i < n; i++) {
		/* The current block taken empty, when the last one filled. */
		if (!c->tiny_off)
			i += tiny_put_blocks(c, size, p + i, n - i);
		i += tiny_put_run(c, size, p + i, n - i);
		if (i < n && tiny_next_fresh(c, size))
			i += tiny_put_blocks(c, size, p + i, n - i);
		if (i == n)
			break;
		q = tiny_place(c, size, false);
		if (!q)
			break;
		p[i] = (void *)q;
	}
	tiny_count(c, i, size);
	mcache_unlock_irqrestore(flags);
	if (!i) {
		mcache_lock_irqsave(flags);
		p[0] = tiny_alloc_slow(size, gfp, flags);
		return !!p[0];
	}
	if (want_init_on_alloc(gfp))
		for (j = 0; j < i; j++)
			tiny_zeroed(p[j], size);
	return i;
}

/* The starts of the live objects, by a block's two words. */
static u32 tiny_live(u32 placed, u32 freed)
{
	return placed & ~freed & TINY_DONE;
}

/*
 * The size of the object placed at byte o, if it is live by a block's two
 * words, else 0.
 */
static __always_inline size_t tiny_size_by(u32 placed, u32 freed,
					   unsigned int o)
{
	if (!(tiny_live(placed, freed) & tiny_start_bit(o)))
		return 0;
	return tiny_len(placed, o);
}

/*
 * Size of the live tiny object at p, or 0 if p is not one's start, and
 * in *seen the block's "freed" word that says it is live: its generation
 * is the one a later free of p must still find (tiny_free_moved()).  The
 * caller reads as an RCU-sched reader.
 */
size_t tiny_size_seen(struct mspan *s, unsigned long p, u32 *seen)
{
	u32 *placed = tiny_placed(s, p);

	*seen = READ_ONCE(*tiny_freed(s, p));
	/* In the order tiny_free_as() reads them, for tiny_restart(). */
	smp_rmb();
	return tiny_size_by(READ_ONCE(*placed), *seen, p & (TINY_BLOCK - 1));
}

/* Size of the live tiny object at p, or 0: as tiny_size_seen(). */
size_t tiny_size(struct mspan *s, unsigned long p)
{
	u32 seen;

	return tiny_size_seen(s, p, &seen);
}

/* Why p, in a tiny span, is not a live object's start. */
enum gomem_bad tiny_why(struct mspan *s, unsigned long p)
{
	unsigned int o = p & (TINY_BLOCK - 1);
	u32 *placed = tiny_placed(s, p), now = READ_ONCE(*placed);
	u32 below = tiny_live(now, READ_ONCE(*tiny_freed(s, p))) &
		    (tiny_start_bit(o) - 1);

	if (below && tiny_last(now, __fls(below)) >= o)
		return GOMEM_BAD_INTERIOR;
	return GOMEM_BAD_DOUBLE;
}

/*
 * The block is complete, and this free was its last: tiny_block_dead(),
 * then the mcache unlocked, for tiny_free_unlock().
 */
noinline bool tiny_block_dead_unlock(struct mcache *c, struct mspan *s,
				     u32 *placed, unsigned long block,
				     unsigned long flags)
	__releases(&gomem_mcache_lock)
{
	tiny_block_dead(c, s, placed, block);
	mcache_unlock_irqrestore(flags);
	return true;
}

/* p is not a live tiny object's start: for tiny_free_unlock(). */
noinline bool tiny_free_refused(unsigned long p, unsigned long flags,
				unsigned long ip)
	__releases(&gomem_mcache_lock)
{
	mcache_unlock_irqrestore(flags);
	gomem_report_bad_free("gomem_free", (void *)p, ip);
	return false;
}

/*
 * gomem_free()'s tiny free, once its compare-and-exchange lost a race:
 * tiny_free_seen() again, from the reads of that free, looping.
 */
noinline bool tiny_free_raced(struct mspan *s, unsigned long p, u32 seen,
			      unsigned long flags, unsigned long ip)
	__releases(&gomem_mcache_lock)
{
	return tiny_free_seen(NULL, s, p, seen, false, true, flags, ip, false);
}

/* tiny_free_seen() by a free that reads "freed" now, and loops. */
static __always_inline bool tiny_free_as(struct mcache *c, struct mspan *s,
					 unsigned long p, bool zero, bool unlock,
					 unsigned long flags, unsigned long ip)
{
	return tiny_free_seen(c, s, p, READ_ONCE(*tiny_freed(s, p)), zero,
			      unlock, flags, ip, false);
}

/*
 * Out of line, so that the usual free, with init_on_free off, saves no
 * registers for the memset() it never calls: measured, a tiny object's
 * free took 10 fewer instructions (of 73) once it was.
 */
static noinline bool tiny_free_zeroing(struct mcache *c, struct mspan *s,
				       unsigned long p)
{
	return tiny_free_as(c, s, p, true, false, 0, 0);
}

/* tiny_free_unlock() under init_on_free, out of line as tiny_free_zeroing(). */
noinline void tiny_free_unlock_zeroing(struct mspan *s, unsigned long p,
				       unsigned long flags, unsigned long ip)
	__releases(&gomem_mcache_lock)
{
	tiny_free_as(NULL, s, p, true, true, flags, ip);
}

/*
 * The run of pointers from ptrs[i] (before end) into the block that
 * ptrs[i] is in, of tiny span s, freed as tiny_free_as() frees them,
 * zeroed first if zero, but with one compare-and-exchange of the block's
 * "freed" word for them all (bulk16 of 1 B: 134 instructions an object
 * before runs, 94 with them).  It stops at a pointer outside the block,
 * and at one that is not a live object's start or is twice in the run,
 * for tiny_free_as() to take, and refuse; if "freed" changed since the
 * run read it, the run frees nothing, and tiny_free_as() takes its
 * objects one by one.  Returns where it stopped.  The mcache locked, c
 * this CPU's.
 */
static __always_inline size_t
tiny_free_run_as(struct mcache *c, struct mspan *s, void **ptrs, size_t i,
		 size_t end, bool zero)
{
	unsigned long block = (unsigned long)ptrs[i] & ~(TINY_BLOCK - 1UL), o;
	u32 *placed = tiny_placed(s, block), now;
	u32 *freed = tiny_freed(s, block), was = READ_ONCE(*freed);
	u16 bits = 0;
	size_t j, bytes = 0;
	unsigned int size;

	/* "freed" before "placed", as in tiny_free_as(). */
	smp_rmb();
	now = READ_ONCE(*placed);
	for (j = i; j < end; j++) {
		/* Below the block too, NULL and ZERO_SIZE_PTR among them. */
		o = (unsigned long)ptrs[j] - block;
		if (o >= TINY_BLOCK ||
		    !(tiny_live(now, was | bits) & tiny_start_bit(o)))
			break;
		size = tiny_len(now, o);
		/* Before the freed bits are set, as in tiny_free_as(). */
		if (zero)
			memset(ptrs[j], 0, size);
		bits |= tiny_start_bit(o);
		bytes += size;
	}
	if (!bits || !try_cmpxchg(freed, &was, was | bits))
		return i;
	c->stats.tiny.frees += j - i;
	c->stats.tiny.bytes -= bytes;
	if (tiny_done(was | bits))
		tiny_block_dead(c, s, placed, block);
	return j;
}

/*
 * tiny_free_run_as() of the run at ptrs[i], and of each run after it, as
 * long as it freed all of the last, and the next starts in another block
 * of s (a pointer in s's pages is of s, or is refused by its states, as
 * in gomem_free_section()) with at least two pointers into that block:
 * the objects of a bulk allocation fill block after block, and a run
 * that went back to the bulk free's section for each block paid the
 * section's tests, tiny_free_bulk() and this function's entry again
 * (the free alone of bulk16 of 4 bytes, timed apart in a throwaway
 * build: 1,167 instructions a call, then 906).  Returns where it
 * stopped.  The mcache locked, c this CPU's.
 */
static __always_inline size_t tiny_free_runs_as(struct mcache *c,
						struct mspan *s, void **ptrs,
						size_t i, size_t end, bool zero)
{
	unsigned long bytes = (unsigned long)s->npages << PAGE_SHIFT;
	size_t j;

	for (;;) {
		j = tiny_free_run_as(c, s, ptrs, i, end, zero);
		if (j == i || j + 1 >= end ||
		    (unsigned long)ptrs[j] - s->base >= bytes ||
		    ((unsigned long)ptrs[j] ^ (unsigned long)ptrs[j + 1]) >= TINY_BLOCK)
			return j;
		i = j;
	}
}

/*
 * tiny_free_runs_as() for zero, out of line, where its setup costs less
 * than the registers it made tiny_free_bulk() save (bulk16 of 12 B, a
 * block each: 224 instructions an object with it inline, 198 without
 * runs); if the first run frees nothing, ptrs[i] alone.  How many it
 * freed.
 */
static noinline size_t tiny_free_run(struct mcache *c, struct mspan *s,
				     void **ptrs, size_t i, size_t end,
				     bool zero)
{
	size_t j = zero ? tiny_free_runs_as(c, s, ptrs, i, end, true) :
			  tiny_free_runs_as(c, s, ptrs, i, end, false);

	if (j != i)
		return j - i;
	return tiny_free_as(c, s, (unsigned long)ptrs[i], zero, false, 0, 0);
}

/*
 * Free ptrs[i], of tiny span s, and as many after it as
 * tiny_free_runs_as() takes if the next is in the same block (a run of
 * one costs more than tiny_free_as()), zeroed first if zero.  Returns
 * how many it freed: 0 only if ptrs[i] is not a live object's start.
 * The mcache locked, c this CPU's.
 */
size_t tiny_free_bulk(struct mcache *c, struct mspan *s, void **ptrs,
		      size_t i, size_t end, bool zero)
{
	if (i + 1 < end &&
	    ((unsigned long)ptrs[i] ^ (unsigned long)ptrs[i + 1]) < TINY_BLOCK)
		return tiny_free_run(c, s, ptrs, i, end, zero);
	return tiny_free(c, s, (unsigned long)ptrs[i]);
}

/*
 * Free the tiny object at p; false if p is not a live one's start.
 * The mcache locked, c is this CPU's.
 */
bool tiny_free(struct mcache *c, struct mspan *s, unsigned long p)
{
	if (want_init_on_free())
		return tiny_free_zeroing(c, s, p);
	return tiny_free_as(c, s, p, false, false, 0, 0);
}

/*
 * The free of p, a tiny object that gomem_realloc() found live in span s
 * by the "freed" word seen (tiny_size_seen()), once it has copied it
 * elsewhere; false, without a report, if p was freed meanwhile by a
 * racing free, even if its block was reused since and an object of its
 * new life sits at p: the generation in seen tells.  A tiny object has
 * no state that a realloc could hold it by, as it holds a small one
 * (gomem_hold()), so here the racing free wins and the realloc's own free
 * is refused: either way one of the two frees is, and the realloc never
 * frees another owner's object.  s is not read before p's page is found marked
 * with it again under the mcache lock, which keeps it a span until the
 * unlock.  The bad input suite frees p from a stub in this function's
 * place.
 */
bool tiny_free_moved(const void *p, struct mspan *s, u32 seen)
{
	unsigned long addr = (unsigned long)p, flags;
	bool freed = false;

	KUNIT_STATIC_STUB_REDIRECT(tiny_free_moved, p, s, seen);
	mcache_lock_irqsave(flags);
	if (gomem_span_of(addr) == s && s->kind == MSPAN_TINY)
		freed = tiny_free_seen(this_cpu_read(gomem_mcache), s, addr,
				       seen, want_init_on_free(), false, 0, 0,
				       false);
	mcache_unlock_irqrestore(flags);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(tiny_free_moved);

/*
 * A new tiny span's "freed" words: one random generation for all its
 * blocks, so that a span made again on the same pages, in the same
 * struct, does not start its blocks at the generations its last life
 * may have left them at, which tiny_free_moved() could take for the
 * ones it saw before a realloc's copy.
 */
void tiny_span_init(struct mspan *s)
{
	u32 gen = get_random_u32() & ~TINY_DONE;
	unsigned int i;

	for (i = 0; i < s->nelems; i++)
		*tiny_freed(s, s->base + i * TINY_BLOCK) = gen;
}

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * For KUnit: the free of p, which must be a tiny object's pointer, by a
 * free that reads the "freed" word of p's block, then stalls in
 * stall(arg), with the mcache unlocked, before it goes on with what it
 * read, as a realloc's move does (tiny_free_moved()): the window that
 * the generation closes.  False, and no report, if refused.  The span
 * must outlive the call.
 */
bool tiny_free_stalled(const void *p, void (*stall)(void *arg), void *arg)
{
	unsigned long addr = (unsigned long)p;
	struct mspan *s;
	u32 seen;

	preempt_disable();
	s = gomem_span_of(addr);
	tiny_size_seen(s, addr, &seen);
	preempt_enable();
	stall(arg);
	return tiny_free_moved(p, s, seen);
}
EXPORT_SYMBOL_IF_KUNIT(tiny_free_stalled);
#endif
