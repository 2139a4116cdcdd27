// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for tiny.c: packing into 16-byte blocks with Go's alignment
 * rule and its choice of the roomier block, bulk allocations, exact
 * sizes, double and interior frees, one by one and in a bulk free's runs,
 * a double free stalled across its block's reuse, blocks going back when
 * their last object is freed, or starting again while current, frees on
 * another CPU, those frees racing the owner's placements, restarts and
 * retirements, and KASAN's marks, which a placement must not change under
 * a check of its neighbour.  The current block is per CPU, so each case
 * runs on one CPU after a drain has retired that CPU's block.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kasan-checks.h>

#include "gomem_test.h"
#include "tiny.h"

#define BLOCK	16UL
/*
 * The cases' usual object: ROW of them fill a block from byte 0 to 14
 * (0, 3, 6, 9, 12), where no other fits after them, and a 1-byte object
 * fills it.
 */
#define OBJ	3U
#define ROW	5U
static_assert(OBJ <= GOMEM_TINY_REQ_MAX && ROW * OBJ == BLOCK - 1);

static void fresh(struct kunit *test, unsigned int cpu)
{
	gomem_test_pin(test, cpu);
	gomem_drain();
}

static unsigned long block_of(const void *p)
{
	return (unsigned long)p & ~(BLOCK - 1);
}

static u64 live_blocks(struct kunit *test)
{
	struct gomem_stats *st = gomem_test_stats(test);

	return st->cls[GOMEM_TINY_CLASS].allocs - st->cls[GOMEM_TINY_CLASS].frees;
}

static u64 bad_frees(struct kunit *test)
{
	return gomem_test_stats(test)->bad_frees;
}

static void sixteen_bytes_fill_a_block(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	void *p[BLOCK + 1];
	unsigned int i;

	fresh(test, 0);
	for (i = 0; i <= BLOCK; i++) {
		p[i] = gomem_alloc(1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_EQ(test, gomem_size(p[i]), 1UL);
	}
	KUNIT_EXPECT_EQ(test, (unsigned long)p[0] % BLOCK, 0UL);
	for (i = 1; i < BLOCK; i++)
		KUNIT_EXPECT_PTR_EQ(test, p[i], p[0] + i);
	KUNIT_EXPECT_NE(test, block_of(p[BLOCK]), block_of(p[0]));
	KUNIT_EXPECT_EQ(test, live_blocks(test), 2ULL);
	for (i = 0; i <= BLOCK; i++)
		gomem_free(p[i]);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk allocation places tiny objects as single allocations would,
 * one after the other in blocks (3 bytes: five to a block), counts them,
 * and zeroes them for __GFP_ZERO; a bulk free gives every block back.
 */
static void bulks_pack_blocks(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test), *now;
	const unsigned int nr = 23, size = 3;
	unsigned int i, k;
	void *p[23];
	u8 *b;

	fresh(test, 0);
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(size, GFP_KERNEL, nr, p), (int)nr);
	now = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, now->st.tiny.allocs - before->st.tiny.allocs, (u64)nr);
	KUNIT_EXPECT_EQ(test, now->st.tiny.bytes - before->st.tiny.bytes,
			(s64)(nr * size));
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, gomem_size(p[i]), (size_t)size);
		if (i % 5)
			KUNIT_EXPECT_PTR_EQ(test, p[i], p[i - 1] + size);
		else
			KUNIT_EXPECT_EQ(test, (unsigned long)p[i] % BLOCK, 0UL);
		memset(p[i], 0xa5, size);
	}
	gomem_free_bulk(nr, p);

	/* The same blocks again, off the stack: zeroed. */
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(size, GFP_KERNEL | __GFP_ZERO, nr, p),
			(int)nr);
	for (i = 0; i < nr; i++)
		for (b = p[i], k = 0; k < size; k++)
			KUNIT_EXPECT_EQ_MSG(test, b[k], 0, "object %u byte %u", i, k);
	gomem_free_bulk(nr, p);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/* The "placed" word of the block of p, a live tiny object. */
static u32 placed_word(const void *p)
{
	u32 v;

	rcu_read_lock_sched();
	v = READ_ONCE(*tiny_placed(gomem_span_of((unsigned long)p),
				   (unsigned long)p));
	rcu_read_unlock_sched();
	return v;
}

/*
 * The objects of a bulk allocation of n of size bytes, after a single
 * allocation of first bytes, in p[0] to p[n - 1], and a single one of 1
 * byte after them in p[n]; their offsets and changes of block into off[]
 * and moved[], and the live blocks then, the current one among them.
 * All freed after.  With bulk false, n single allocations instead.
 */
static u64 place_after(struct kunit *test, unsigned int first,
		       unsigned int size, unsigned int n, bool bulk,
		       void **p, u8 *off, bool *moved)
{
	void *lead;
	unsigned int i;
	u64 live;

	fresh(test, 0);
	lead = gomem_alloc(first, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lead);
	if (bulk)
		KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(size, GFP_KERNEL, n, p), (int)n);
	for (i = 0; i <= n; i++) {
		if (i == n || !bulk)
			p[i] = gomem_alloc(i == n ? 1 : size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_EQ(test, gomem_size(p[i]), i == n ? 1UL : size);
		/* tiny_len() takes it as the last byte's end bit. */
		KUNIT_EXPECT_TRUE(test, placed_word(p[i]) & TINY_EMPTY);
		off[i] = (unsigned long)p[i] % BLOCK;
		moved[i] = block_of(p[i]) != block_of(i ? p[i - 1] : lead);
	}
	live = live_blocks(test);
	gomem_free_bulk(n + 1, p);
	gomem_free(lead);
	return live;
}

/*
 * A bulk allocation places objects of each tiny size where single
 * allocations would (it fills whole blocks in one go, and places the
 * objects that leave room in a block in a run, see tiny_alloc_bulk()):
 * at the same offsets, moving to a new block at the same objects, after
 * a first object of each size, whose end the run must align; it leaves
 * the same blocks live, so that a block it filled was retired, and the
 * next made current, as a single allocation that fills one does; with
 * TINY_EMPTY's bit in every block's "placed" word; and the block the
 * next single allocation goes to is the same, the one its last object is
 * in, or the next (the counts fill a block with their last object for
 * some of the pairs of sizes, and leave room for others).
 */
static void bulks_place_as_singles(struct kunit *test)
{
	static const u8 counts[] = { 1, 3, 4, 5, 7, 9, 10, 15, 16, 2 * BLOCK + 1 };
	struct gomem_snap *before = gomem_test_snap(test);
	void *p[2 * BLOCK + 2];
	u8 off[2][ARRAY_SIZE(p)];
	bool moved[2][ARRAY_SIZE(p)];
	unsigned int size, first, k, n, i;
	u64 live[2];

	for (size = 1; size <= GOMEM_TINY_REQ_MAX; size++)
		for (first = 1; first <= GOMEM_TINY_REQ_MAX; first++)
			for (k = 0; k < ARRAY_SIZE(counts); k++) {
				n = counts[k];
				live[0] = place_after(test, first, size, n, false,
						      p, off[0], moved[0]);
				live[1] = place_after(test, first, size, n, true,
						      p, off[1], moved[1]);
				KUNIT_EXPECT_EQ_MSG(test, live[1], live[0],
						    "%u of %u B after %u B", n, size, first);
				for (i = 0; i <= n; i++) {
					KUNIT_EXPECT_EQ_MSG(test, off[1][i], off[0][i],
							    "%u of %u B after %u B: %u",
							    n, size, first, i);
					KUNIT_EXPECT_EQ_MSG(test, moved[1][i], moved[0][i],
							    "%u of %u B after %u B: %u",
							    n, size, first, i);
				}
			}
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk allocation of tiny objects that fails part-way leaves nothing
 * behind: ROW objects of OBJ bytes to a block, more than the first
 * span's blocks hold, and every span after the first refused.
 */
static void tiny_bulk_is_all_or_none(struct kunit *test)
{
	const unsigned int nr = ROW * gomem_mcentral[GOMEM_TINY_CLASS].nelems + ROW;
	void **p = kunit_kcalloc(test, nr, sizeof(*p), GFP_KERNEL);
	struct gomem_snap *before, *after;

	KUNIT_ASSERT_NOT_NULL(test, p);
	fresh(test, 0);
	gomem_test_no_reserve();
	before = gomem_test_snap(test);
	gomem_test_fail_after(1, INT_MAX);
	KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(OBJ, GFP_KERNEL, nr, p), 0);
	gomem_test_fail_left(true);
	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->st.alloc_failures,
			before->st.alloc_failures + 1);
	/* Objects were placed before the failure, and freed. */
	KUNIT_EXPECT_GE(test, after->st.tiny.allocs,
			before->st.tiny.allocs + gomem_mcentral[GOMEM_TINY_CLASS].nelems);
	KUNIT_EXPECT_EQ(test, after->st.tiny.allocs - after->st.tiny.frees,
			before->st.tiny.allocs - before->st.tiny.frees);
	gomem_test_no_reserve();
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

static unsigned int span_class_of(const void *p)
{
	unsigned int cls;

	rcu_read_lock_sched();
	cls = gomem_span_of((unsigned long)p)->spanclass;
	rcu_read_unlock_sched();
	return cls;
}

/*
 * A model of the placement rule, checked allocation by allocation: at the
 * offset rounded up to the alignment (4 or 2 if it divides the size, else
 * 1) if it fits; otherwise at the start of a fresh block, which becomes
 * current (it always has more room left than the old one, as Go asks).
 * GOMEM_TINY_REQ_MAX + 1 to 15 bytes are the 8- and 16-byte classes',
 * and leave the blocks alone.
 */
static void placement_follows_go(struct kunit *test)
{
	static const u8 sizes[] = {
		1, 2, 4, 8, 3, 2, 1, 4, 6, 1, 5, 3, 12, 5, 1, 5, 7, 5, 5, 4,
		4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 13, 3, 5, 5, 4, 4, 9, 4, 1, 15,
		5, 3, 10, 1, 1, 1, 14, 11,
	};
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned long cur = 0, off = 0, want, align;
	void *p[ARRAY_SIZE(sizes)];
	unsigned int i, s;

	fresh(test, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		s = sizes[i];
		align = s % 4 == 0 ? 4 : s % 2 == 0 ? 2 : 1;
		p[i] = gomem_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		if (s > GOMEM_TINY_REQ_MAX) {
			/* Its class's, in no tiny block. */
			KUNIT_EXPECT_EQ(test, span_class_of(p[i]), gomem_size_class(s));
			continue;
		}
		want = ALIGN(off, align);
		if (cur && want + s <= BLOCK) {
			KUNIT_EXPECT_PTR_EQ_MSG(test, p[i], (void *)(cur + want),
						"allocation %u (%u bytes)", i, s);
			off = want + s;
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, (unsigned long)p[i] % BLOCK, 0UL,
				    "allocation %u (%u bytes)", i, s);
		KUNIT_EXPECT_NE_MSG(test, block_of(p[i]), cur,
				    "allocation %u (%u bytes)", i, s);
		cur = (unsigned long)p[i];
		off = s;
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		s = sizes[i];
		KUNIT_EXPECT_EQ(test, gomem_size(p[i]), s > GOMEM_TINY_REQ_MAX ?
				gomem_classes[gomem_size_class(s)].size : s);
		gomem_test_fill(p[i], sizes[i]);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_EQ(test, gomem_test_check(p[i], sizes[i]),
				(size_t)sizes[i]);
		gomem_free(p[i]);
	}
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

static void double_and_interior_frees_are_caught(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	u64 bad = bad_frees(test);
	u8 *a, *b, *c;

	gomem_test_expect_reports(test);
	fresh(test, 0);
	a = gomem_alloc(4, GFP_KERNEL);
	b = gomem_alloc(4, GFP_KERNEL);
	c = gomem_alloc(4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, block_of(a), block_of(c));
	gomem_test_fill(a, 4);
	gomem_test_fill(c, 4);
	gomem_free(b);
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad);
	gomem_free(b);				/* double */
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 1);
	gomem_free(a + 1);			/* interior */
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 2);
	gomem_free(b + 2);			/* inside a freed object */
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 3);
	KUNIT_EXPECT_EQ(test, gomem_size(b), 0UL);
	KUNIT_EXPECT_EQ(test, gomem_size(a + 1), 0UL);
	/* The neighbours are untouched and still free normally. */
	KUNIT_EXPECT_EQ(test, gomem_test_check(a, 4), 4UL);
	KUNIT_EXPECT_EQ(test, gomem_test_check(c, 4), 4UL);
	KUNIT_EXPECT_EQ(test, gomem_size(a), 4UL);
	gomem_free(a);
	gomem_free(c);
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 3);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * What a double free of p, stalled after it read p's block's "freed"
 * word, does meanwhile: p freed, then the block's next life placed, n
 * objects of OBJ bytes but the one_byte'th (of 1), and those of mask
 * freed again, as gomem_free() and gomem_alloc() on this CPU leave it.
 */
#define STALL_MAX	(ROW + 2)

struct stall {
	void *p;
	unsigned int n, one_byte, mask;
	void *next[STALL_MAX];
};

static void stall_reuse(void *arg)
{
	struct stall *st = arg;
	unsigned int i;

	gomem_free(st->p);
	for (i = 0; i < st->n; i++)
		st->next[i] = gomem_alloc(i == st->one_byte ? 1 : OBJ, GFP_KERNEL);
	for (i = 0; i < st->n; i++)
		if (st->mask & BIT(i))
			gomem_free(st->next[i]);
}

/*
 * A row of objects of OBJ bytes at bytes 0, OBJ, 2 * OBJ ... of this
 * CPU's current block, which must have been empty: all but the one at
 * byte OBJ * which freed again, and that one returned.
 */
static void *a_row(struct kunit *test, unsigned int which)
{
	void *o[ROW], *p;
	unsigned int i;

	for (i = 0; i < ROW; i++) {
		o[i] = gomem_alloc(OBJ, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o[i]);
	}
	KUNIT_ASSERT_EQ(test, (unsigned long)o[0] % BLOCK, 0UL);
	for (i = 1; i < ROW; i++)
		KUNIT_ASSERT_PTR_EQ(test, o[i], o[0] + OBJ * i);
	p = o[which];
	for (i = 0; i < ROW; i++)
		if (i != which)
			gomem_free(o[i]);
	return p;
}

/*
 * A double free that stalls between its read of the block's "freed" word
 * and its compare-and-exchange, while the block is reused, is refused,
 * and the object of the block's next life at its place stays live (before
 * the generation, it freed that object under its new owner).  Each next
 * life leaves "freed" as the stalled free read it, but for the
 * generation.  Restarted, with p at each place of a row: no other
 * object of OBJ bytes fits after it, so the next life starts at byte 0.
 * And given back and taken again as the current block: a block that a
 * row and 1 byte fill is retired, p its one live object, and the block on
 * top of the stack made current, empty; p's free puts p's block on top,
 * where the placement that fills the current block with a row and 1
 * byte again takes it, and the next OBJ bytes land at p.
 */
static void a_stalled_double_free_spares_the_next_life(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	u64 bad = bad_frees(test);
	struct stall st;
	unsigned int k;
	void *p, *f[ROW];
	u32 placed;

	fresh(test, 0);
	for (k = 0; k < ROW; k++) {
		p = a_row(test, k);
		KUNIT_ASSERT_EQ(test, gomem_test_span(p)->kind, MSPAN_TINY);
		st = (struct stall){ .p = p, .n = ROW, .one_byte = ROW,
				     .mask = (BIT(ROW) - 1) & ~BIT(k) };
		KUNIT_EXPECT_FALSE_MSG(test, tiny_free_stalled(p, stall_reuse, &st),
				       "p at byte %u", OBJ * k);
		KUNIT_ASSERT_PTR_EQ(test, st.next[k], p);
		KUNIT_EXPECT_EQ(test, gomem_size(p), (size_t)OBJ);
		gomem_free(p);
	}

	gomem_drain();
	p = gomem_alloc(OBJ, GFP_KERNEL);
	for (k = 0; k < ROW; k++)
		f[k] = gomem_alloc(k == ROW - 1 ? 1 : OBJ, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_PTR_EQ(test, f[ROW - 1], p + 15);
	KUNIT_ASSERT_NE(test, gomem_mcache_of(0)->tiny, 0UL);
	KUNIT_ASSERT_NE(test, gomem_mcache_of(0)->tiny, block_of(p));
	KUNIT_ASSERT_EQ(test, gomem_mcache_of(0)->tiny_off, 0UL);
	/* Empty, and never a state the mcentral would take for its own. */
	placed = READ_ONCE(*gomem_mcache_of(0)->tiny_placed);
	KUNIT_EXPECT_EQ(test, placed & 0xffff, 0U);
	KUNIT_EXPECT_NE(test, placed, (u32)GOMEM_OBJ_FREE);
	KUNIT_EXPECT_NE(test, placed, (u32)GOMEM_TINY_CACHED);
	for (k = 0; k < ROW; k++)
		gomem_free(f[k]);
	st = (struct stall){ .p = p, .n = ROW + 2, .one_byte = ROW,
			     .mask = BIT(ROW + 1) - 1 };
	KUNIT_EXPECT_FALSE(test, tiny_free_stalled(p, stall_reuse, &st));
	KUNIT_ASSERT_PTR_EQ(test, st.next[ROW + 1], p);
	KUNIT_EXPECT_EQ(test, gomem_size(p), (size_t)OBJ);
	gomem_free(p);

	/* Refused without a report: every free above was good. */
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk free frees the pointers into one block in a run, with one
 * atomic for them all (tiny_free_run()), which must still catch what
 * tiny_free() catches: a pointer twice in the run, and one inside an
 * object.  Each is refused once, and reported; the rest are freed, once,
 * and the block goes back when its last object does.
 */
static void bulk_free_runs_within_a_block(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test), *now;
	u64 blocks, bad = bad_frees(test);
	void *p[7];
	u8 *a, *b, *c;

	gomem_test_expect_reports(test);
	fresh(test, 0);
	blocks = live_blocks(test);
	a = gomem_alloc(4, GFP_KERNEL);
	b = gomem_alloc(4, GFP_KERNEL);
	c = gomem_alloc(4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_PTR_EQ(test, b, a + 4);
	KUNIT_ASSERT_PTR_EQ(test, c, a + 8);
	gomem_test_fill(c, 4);
	/* a twice and b + 1 inside b, between runs. */
	p[0] = a;
	p[1] = b;
	p[2] = a;
	p[3] = b + 1;
	gomem_free_bulk(4, p);
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 2);
	KUNIT_EXPECT_EQ(test, gomem_size(a), 0UL);
	KUNIT_EXPECT_EQ(test, gomem_size(b), 0UL);
	KUNIT_EXPECT_EQ(test, gomem_test_check(c, 4), 4UL);
	now = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, now->st.tiny.frees - before->st.tiny.frees, 2ULL);
	KUNIT_EXPECT_EQ(test, now->st.tiny.bytes - before->st.tiny.bytes, 4LL);
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 1);

	/* The block retired: a run that frees its last object gives it back. */
	gomem_drain();
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 1);
	p[0] = c;
	p[1] = c;
	gomem_free_bulk(2, p);
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 3);
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

static const void *span_of(const void *p)
{
	const void *s;

	rcu_read_lock_sched();
	s = gomem_span_of((unsigned long)p);
	rcu_read_unlock_sched();
	return s;
}

/*
 * A bulk free's run goes on from block to block (tiny_free_runs_as()):
 * across two spans, whose blocks it must not take for each other's; and
 * where the next block's pointers start with a NULL, a pointer inside an
 * object, an object of another class, or hold a pointer twice, the
 * section or the run stops there as within a block: the bad ones are
 * refused once and reported, and every object is freed once.  4-byte
 * objects, four to a block, in more blocks than a span holds.
 */
static void bulk_free_runs_go_on_across_blocks(struct kunit *test)
{
	const unsigned int per = BLOCK / 4;
	const unsigned int nb = gomem_mcentral[GOMEM_TINY_CLASS].nelems + 1;
	const unsigned int nr = nb * per;
	void **p = kunit_kcalloc(test, nr, sizeof(*p), GFP_KERNEL), **q;
	struct gomem_snap *before = gomem_test_snap(test), *now;
	unsigned int k, i, j, n, x[4];
	u64 blocks, bad = bad_frees(test);
	u8 *small;

	q = kunit_kcalloc(test, nr, sizeof(*q), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	gomem_test_expect_reports(test);
	fresh(test, 0);
	blocks = live_blocks(test);
	small = gomem_alloc(8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(4, GFP_KERNEL, nr, p), (int)nr);
	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_PTR_EQ(test, p[i], p[i - i % per] + i % per * 4);
	/* Two blocks next to each other in p, of two spans. */
	for (k = 0; k + 1 < nb; k++)
		if (span_of(p[k * per]) != span_of(p[(k + 1) * per]))
			break;
	KUNIT_ASSERT_LT(test, k + 1, nb);
	gomem_free_bulk(2 * per, p + k * per);
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad);
	for (i = k * per; i < (k + 2) * per; i++)
		KUNIT_EXPECT_EQ(test, gomem_size(p[i]), 0UL);

	/* Four other blocks, whose runs meet each kind of stop. */
	for (i = 0, j = 0; j < 4; i++)
		if (i != k && i != k + 1)
			x[j++] = i * per;
	n = 0;
	for (i = 0; i < per; i++)
		q[n++] = p[x[0] + i];
	q[n++] = NULL;
	for (i = 0; i < per; i++)
		q[n++] = p[x[1] + i];
	q[n++] = p[x[2]] + 1;
	for (i = 0; i < per; i++)
		q[n++] = p[x[2] + i];
	q[n++] = small;
	q[n++] = p[x[3]];
	q[n++] = p[x[3] + 1];
	q[n++] = p[x[3]];
	for (i = 2; i < per; i++)
		q[n++] = p[x[3] + i];
	gomem_free_bulk(n, q);
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 3);
	for (j = 0; j < 4; j++)
		for (i = 0; i < per; i++)
			KUNIT_EXPECT_EQ(test, gomem_size(p[x[j] + i]), 0UL);

	/* The rest, in one call. */
	for (n = 0, i = 0; i < nr; i++)
		if (gomem_size(p[i]))
			q[n++] = p[i];
	KUNIT_EXPECT_EQ(test, n, nr - 6 * per);
	gomem_free_bulk(n, q);
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 3);
	now = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, now->st.tiny.frees - before->st.tiny.frees, (u64)nr);
	KUNIT_EXPECT_EQ(test, now->st.tiny.bytes, before->st.tiny.bytes);
	gomem_drain();
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

static void blocks_go_back_when_empty(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	void *a, *b, *o[ROW];
	unsigned int i;
	u64 blocks;

	fresh(test, 0);
	blocks = live_blocks(test);
	/* The current block stays while current, even when empty ... */
	a = gomem_alloc(OBJ, GFP_KERNEL);
	b = gomem_alloc(OBJ, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, block_of(a), block_of(b));
	gomem_free(a);
	gomem_free(b);
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 1);
	/* ... and goes back when it is retired. */
	gomem_drain();
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks);

	/*
	 * A block that is not current goes back with its last object: a
	 * row's, retired when the OBJ bytes after the row take another
	 * block.
	 */
	for (i = 0; i < ROW; i++)
		o[i] = gomem_alloc(OBJ, GFP_KERNEL);
	a = gomem_alloc(OBJ, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_PTR_EQ(test, o[ROW - 1], o[0] + OBJ * (ROW - 1));
	KUNIT_ASSERT_NE(test, block_of(a), block_of(o[0]));
	KUNIT_EXPECT_EQ(test, gomem_mcache_of(0)->tiny, block_of(a));
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 2);
	for (i = 1; i < ROW; i++)
		gomem_free(o[i]);
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 2);
	gomem_free(o[0]);
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 1);
	gomem_free(a);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/* Place the rest of a row after p, the row's first, and free them. */
static void fill_after(struct kunit *test, u8 *p)
{
	void *f[ROW];
	unsigned int i;

	for (i = 1; i < ROW; i++) {
		f[i] = gomem_alloc(OBJ, GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, f[i], p + OBJ * i);
	}
	for (i = 1; i < ROW; i++)
		gomem_free(f[i]);
}

/*
 * The current block, once every object placed in it is freed, takes an
 * object that does not fit after them, or that would fill it, at its
 * start again rather than another block off the stack; with an object
 * still live it does not.  What was placed before is forgotten: a stale
 * free of it is refused, and KASAN's marks are the new object's alone.
 */
static void an_emptied_block_starts_again(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	u64 blocks, bad = bad_frees(test);
	void *a, *b, *c, *d;

	fresh(test, 0);
	blocks = live_blocks(test);
	a = a_row(test, 0);
	b = a + OBJ;
	gomem_free(a);
	/* OBJ bytes do not fit after 15. */
	c = gomem_alloc(OBJ, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, c, a);
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 1);
	KUNIT_EXPECT_EQ(test, gomem_test_stats(test)->tiny.bytes,
			before->st.tiny.bytes + OBJ);
	/* b's place holds no object now. */
	gomem_test_expect_reports(test);
	gomem_free(b);
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 1);
	KUNIT_EXPECT_EQ(test, gomem_size(c), (size_t)OBJ);

	/* c is live: OBJ bytes after 15 take another block. */
	fill_after(test, c);
	d = gomem_alloc(OBJ, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_NE(test, block_of(d), block_of(c));
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 2);
	gomem_free(c);
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 1);

	/* 1 byte would fill d's block after 15, once freed: at its start. */
	fill_after(test, d);
	gomem_free(d);
	a = gomem_alloc(1, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, a, d);
	KUNIT_EXPECT_EQ(test, live_blocks(test), blocks + 1);
	if (GOMEM_KASAN_MARKS) {
		KUNIT_EXPECT_EQ(test, gomem_kasan_mark(a), 0);
		KUNIT_EXPECT_NE(test, gomem_kasan_mark(a + 8), 0);
	}
	gomem_free(a);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

static void frees_on_another_cpu(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	void *p[64];
	unsigned int i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	fresh(test, 0);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = gomem_alloc(1 + i % GOMEM_TINY_REQ_MAX, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		gomem_test_fill(p[i], 1 + i % GOMEM_TINY_REQ_MAX);
	}
	gomem_test_pin(test, 1);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		KUNIT_EXPECT_EQ(test, gomem_test_check(p[i], 1 + i % GOMEM_TINY_REQ_MAX),
				(size_t)(1 + i % GOMEM_TINY_REQ_MAX));
		gomem_free(p[i]);
	}
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * A tiny object's usable size is its size, so realloc keeps it in place
 * only for the same size; any other size moves it, contents and all, and
 * the accounting follows the new size.
 */
static void realloc_moves_unless_the_size_stays(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test), *now;
	void *p, *q, *r;

	fresh(test, 0);
	p = gomem_alloc(4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_test_fill(p, 4);
	KUNIT_EXPECT_PTR_EQ(test, gomem_realloc(p, 4, GFP_KERNEL), p);
	q = gomem_realloc(p, 3, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_EQ(test, gomem_size(q), 3UL);
	KUNIT_EXPECT_EQ(test, gomem_test_moved(q, p, 3), 3UL);
	now = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, now->st.tiny.bytes, before->st.tiny.bytes + 3);
	KUNIT_EXPECT_EQ(test, now->st.tiny.allocs - now->st.tiny.frees,
			before->st.tiny.allocs - before->st.tiny.frees + 1);
	r = gomem_realloc(q, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_PTR_NE(test, r, q);
	KUNIT_EXPECT_EQ(test, gomem_size(r), 4UL);
	KUNIT_EXPECT_EQ(test, gomem_test_moved(r, p, 3), 3UL);
	/* Past the tiny sizes: into the 16-byte class. */
	q = gomem_realloc(r, 14, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, gomem_size(q), 16UL);
	KUNIT_EXPECT_EQ(test, gomem_test_moved(q, p, 3), 3UL);
	now = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, now->st.tiny.bytes, before->st.tiny.bytes);
	gomem_free(q);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * CPU 0 allocates tiny objects and hands each to CPU 1 at once, through a
 * ring, while the test thread keeps retiring current blocks with drains:
 * the last free of a block races its owner placing objects in it,
 * starting it again and retiring it.  CPU 1 frees two objects at a time
 * when it can, in a bulk free, whose run in a block must fall back to
 * single frees when a retirement changes the block's "freed" word under
 * it.  A block given back twice would be handed out twice and spoil a
 * pattern; one never given back would stay counted as live.  A
 * fixed number of objects, not a time, so that a slow machine only
 * takes longer; the time limit is a guard against a hang.
 */
#define RING		64
#define RACE_OBJECTS	200000UL
#define RACE_GUARD	(120 * HZ)

struct race {
	void *ring[RING];
	unsigned long head, tail;	/* written by producer, consumer */
	bool stop;			/* the producer failed, or a hang */
	bool produced;			/* the producer has published its last */
	atomic_t errors, done;
	unsigned long freed;
	struct completion finished;
};

static void race_done(struct race *r)
{
	if (atomic_inc_return(&r->done) == 2)
		complete(&r->finished);
}

static int race_producer(void *data)
{
	struct race *r = data;
	unsigned long n = 0;
	size_t size;
	void *p;

	while (n < RACE_OBJECTS && !READ_ONCE(r->stop)) {
		/* Pairs with the consumer's release: the slot is free again. */
		if (r->head - smp_load_acquire(&r->tail) == RING) {
			cpu_relax();
			continue;
		}
		size = 1 + n++ % GOMEM_TINY_REQ_MAX;
		p = gomem_alloc(size, GFP_KERNEL);
		if (!p) {
			atomic_inc(&r->errors);
			WRITE_ONCE(r->stop, true);
			break;
		}
		gomem_test_fill(p, size);
		r->ring[r->head % RING] = p;
		/* Publish the slot, pattern and all, to the consumer. */
		smp_store_release(&r->head, r->head + 1);
		if (!(n % 256))
			cond_resched();
	}
	/* After the last head: a consumer that sees this sees it. */
	smp_store_release(&r->produced, true);
	race_done(r);
	return 0;
}

static int race_consumer(void *data)
{
	struct race *r = data;
	unsigned long n, i;
	bool produced;
	size_t size;
	void *p[2];

	for (;;) {
		/* Pairs with the producer's last release: head is final. */
		produced = smp_load_acquire(&r->produced);
		/* Pairs with the producer's release of the slot. */
		n = min(smp_load_acquire(&r->head) - r->tail, 2UL);
		if (!n) {
			if (produced)
				break;
			cpu_relax();
			continue;
		}
		for (i = 0; i < n; i++) {
			p[i] = r->ring[(r->tail + i) % RING];
			size = gomem_size(p[i]);
			if (!size || gomem_test_check(p[i], size) != size)
				atomic_inc(&r->errors);
		}
		/* Two at once in a bulk free: mostly a run in one block. */
		if (n == 2)
			gomem_free_bulk(n, p);
		else
			gomem_free(p[0]);
		r->freed += n;
		/* Give the slots back to the producer. */
		smp_store_release(&r->tail, r->tail + n);
	}
	race_done(r);
	return 0;
}

static void frees_race_placement_and_retirement(struct kunit *test)
{
	struct race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned long guard = jiffies + RACE_GUARD;
	struct task_struct *t[2];
	unsigned int drains = 0, i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	KUNIT_ASSERT_NOT_NULL(test, r);
	init_completion(&r->finished);
	t[0] = kthread_create(race_producer, r, "gomem_tiny_alloc");
	t[1] = kthread_create(race_consumer, r, "gomem_tiny_free");
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
		kthread_bind(t[i], i);
	}
	wake_up_process(t[0]);
	wake_up_process(t[1]);
	while (!completion_done(&r->finished) && time_before(jiffies, guard)) {
		gomem_drain();
		drains++;
		usleep_range(100, 200);
	}
	if (!completion_done(&r->finished))
		WRITE_ONCE(r->stop, true);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&r->finished, RACE_GUARD),
			0UL);
	kunit_info(test, "%lu objects freed across CPUs, %u drains\n", r->freed,
		   drains);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->errors), 0);
	KUNIT_EXPECT_EQ(test, r->freed, RACE_OBJECTS);
	KUNIT_EXPECT_EQ(test, gomem_test_snap(test)->st.bad_frees,
			before->st.bad_frees);
	gomem_test_expect_baseline(test, before);
}

/*
 * KASAN: the granule a 4-byte object shares with the 3-byte object placed
 * after it is marked whole from the first placement on, so the second
 * does not change it (see tiny_kasan_alloc()); the bytes past the last
 * object's granule stay a redzone until an object is placed there.
 */
static void placements_keep_their_neighbours_kasan_marks(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	void *a, *b, *c;

	if (!GOMEM_KASAN_MARKS)
		kunit_skip(test, "gomem has no KASAN marks in this kernel");
	fresh(test, 0);
	a = gomem_alloc(4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_EQ(test, (unsigned long)a % BLOCK, 0UL);
	KUNIT_EXPECT_EQ(test, gomem_kasan_mark(a), 0);
	KUNIT_EXPECT_NE(test, gomem_kasan_mark(a + 8), 0);
	b = gomem_alloc(3, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, b, a + 4);
	KUNIT_EXPECT_EQ(test, gomem_kasan_mark(a), 0);
	KUNIT_EXPECT_NE(test, gomem_kasan_mark(a + 8), 0);
	c = gomem_alloc(2, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, c, a + 8);
	KUNIT_EXPECT_EQ(test, gomem_kasan_mark(a), 0);
	KUNIT_EXPECT_EQ(test, gomem_kasan_mark(a + 8), 0);
	gomem_free(a);
	gomem_free(b);
	gomem_free(c);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * The same, racing, as the stress test found it: CPU 1 checks a 3-byte
 * object again and again, as a memcpy() in a KASAN kernel does, while
 * CPU 0 places a neighbour in its granule.  KASAN reads the mark of an
 * access's last granule twice (but for an access of 1, 2, 4 or 8 bytes,
 * which it checks with one read: a 4-byte object here never failed with
 * marks to the byte); a mark widened from 5 bytes to whole in between
 * made it report an access in bounds (over 1,000 times in 20,000 such
 * rounds, with kasan_multi_shot, when 5 bytes were tiny; here the first
 * report is enough).
 */
#define MARK_ROUNDS	2000

struct mark_race {
	void *obj;		/* the object CPU 1 checks, or NULL */
	atomic_t loops, bad;
	bool stop;
};

static int mark_race_check(void *data)
{
	struct mark_race *r = data;
	void *p;

	while (!READ_ONCE(r->stop)) {
		p = READ_ONCE(r->obj);
		if (p && !kasan_check_write(p, 3))
			atomic_inc(&r->bad);
		atomic_inc(&r->loops);
	}
	return 0;
}

/* Let CPU 1 go twice round its loop, or give up at the deadline. */
static bool mark_race_wait(struct mark_race *r, unsigned long deadline)
{
	int loops = atomic_read(&r->loops);

	while (atomic_read(&r->loops) - loops < 2)
		if (time_after(jiffies, deadline))
			return false;
	return true;
}

static void a_check_races_a_neighbours_placement(struct kunit *test)
{
	struct mark_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned long deadline = jiffies + RACE_GUARD;
	unsigned int i, j, raced = 0;
	struct task_struct *t;
	void *p[4];
	bool ok = true;

	if (!GOMEM_KASAN_MARKS)
		kunit_skip(test, "gomem has no KASAN marks in this kernel");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	KUNIT_ASSERT_NOT_NULL(test, r);
	fresh(test, 0);
	t = kthread_create(mark_race_check, r, "gomem_tiny_check");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, 1);
	get_task_struct(t);
	wake_up_process(t);
	/* 3 + 4 + 4 + 4 bytes (at 0, 4, 8, 12): each round fills its block. */
	for (i = 0; i < MARK_ROUNDS && ok; i++) {
		p[0] = gomem_alloc(3, GFP_KERNEL);
		ok = p[0];
		WRITE_ONCE(r->obj, p[0]);
		ok = mark_race_wait(r, deadline);
		p[1] = gomem_alloc(4, GFP_KERNEL);
		ok = ok && mark_race_wait(r, deadline);
		WRITE_ONCE(r->obj, NULL);
		/* CPU 1 is done with p[0] before it is freed. */
		ok = ok && mark_race_wait(r, deadline);
		p[2] = gomem_alloc(4, GFP_KERNEL);
		p[3] = gomem_alloc(4, GFP_KERNEL);
		/* The race as meant: a at a block's start, b next to it. */
		raced += p[0] && (unsigned long)p[0] % BLOCK == 0 && p[1] == p[0] + 4;
		for (j = 0; j < ARRAY_SIZE(p); j++)
			gomem_free(p[j]);
		cond_resched();
	}
	WRITE_ONCE(r->stop, true);
	kthread_stop(t);
	put_task_struct(t);
	KUNIT_EXPECT_TRUE_MSG(test, ok, "no memory, or CPU 1 stopped checking");
	KUNIT_EXPECT_EQ(test, raced, MARK_ROUNDS);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->bad), 0);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * A block's "placed" word is also its state for the mcentral, which
 * reads it on any CPU, under its own lock only, when it scans the span
 * for FREE blocks.  A restart empties the word before it places the new
 * object: emptied to FREE, for those few instructions, it let a refill
 * on another CPU take the current block for a free one and hand it out
 * a second time (the stress test's object handed out twice, at a block's
 * start).  CPU 1 reads the word of CPU 0's current block while CPU 0
 * restarts it, a row of objects at a time, which leaves no room for
 * another, and must never find it FREE or CACHED, nor without TINY_EMPTY's
 * bit, which tiny_len() takes for the last byte's end: with the old
 * restart it read FREE 52,954 times in RESTART_ROUNDS restarts of pairs
 * of 12-byte objects, tiny then (measured).  CPU 0 runs them with
 * preemption off, so that no drain (a work item on CPU 0, which the
 * shrinker may queue) retires the block meanwhile.
 */
#define RESTART_ROUNDS	20000

struct restart_race {
	u32 *placed;		/* CPU 0's current block's word */
	atomic_t reads, bad;
	bool stop;
};

static int restart_race_read(void *data)
{
	struct restart_race *r = data;
	u32 v;

	while (!READ_ONCE(r->stop)) {
		v = READ_ONCE(*r->placed);
		if (v == GOMEM_OBJ_FREE || v == GOMEM_TINY_CACHED ||
		    !(v & TINY_EMPTY))
			atomic_inc(&r->bad);
		atomic_inc(&r->reads);
	}
	return 0;
}

static void a_restart_never_shows_a_free_block(struct kunit *test)
{
	struct restart_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned long deadline = jiffies + RACE_GUARD;
	unsigned int i, j, restarts = 0;
	struct task_struct *t;
	void *p, *q, *f[ROW];

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	/* Where the mcache lock sleeps, gomem may not run with preemption off. */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "needs preemption off around gomem calls");
	KUNIT_ASSERT_NOT_NULL(test, r);
	fresh(test, 0);
	p = a_row(test, 0);
	KUNIT_ASSERT_EQ(test, gomem_mcache_of(0)->tiny, (unsigned long)p);
	r->placed = gomem_mcache_of(0)->tiny_placed;
	t = kthread_create(restart_race_read, r, "gomem_tiny_read");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, 1);
	get_task_struct(t);
	wake_up_process(t);
	while (!atomic_read(&r->reads) && time_before(jiffies, deadline))
		cond_resched();
	/* OBJ bytes do not fit after 15: each round restarts the block. */
	preempt_disable();
	for (i = 0; i < RESTART_ROUNDS; i++) {
		gomem_free(p);
		q = gomem_alloc(OBJ, GFP_ATOMIC);
		restarts += q == p;
		p = q;
		if (!p)
			break;
		for (j = 1; j < ROW; j++)
			f[j] = gomem_alloc(OBJ, GFP_ATOMIC);
		for (j = 1; j < ROW; j++)
			gomem_free(f[j]);
	}
	preempt_enable();
	WRITE_ONCE(r->stop, true);
	kthread_stop(t);
	put_task_struct(t);
	gomem_free(p);
	kunit_info(test, "%u restarts, %d reads on CPU 1\n", restarts,
		   atomic_read(&r->reads));
	KUNIT_EXPECT_EQ(test, restarts, RESTART_ROUNDS);
	KUNIT_EXPECT_GT(test, atomic_read(&r->reads), RESTART_ROUNDS);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->bad), 0);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

static struct kunit_case tiny_cases[] = {
	KUNIT_CASE(sixteen_bytes_fill_a_block),
	KUNIT_CASE(bulks_pack_blocks),
	KUNIT_CASE(bulks_place_as_singles),
	KUNIT_CASE(tiny_bulk_is_all_or_none),
	KUNIT_CASE(placement_follows_go),
	KUNIT_CASE(double_and_interior_frees_are_caught),
	KUNIT_CASE(a_stalled_double_free_spares_the_next_life),
	KUNIT_CASE(bulk_free_runs_within_a_block),
	KUNIT_CASE(bulk_free_runs_go_on_across_blocks),
	KUNIT_CASE(blocks_go_back_when_empty),
	KUNIT_CASE(an_emptied_block_starts_again),
	KUNIT_CASE(frees_on_another_cpu),
	KUNIT_CASE(realloc_moves_unless_the_size_stays),
	KUNIT_CASE_SLOW(frees_race_placement_and_retirement),
	KUNIT_CASE(placements_keep_their_neighbours_kasan_marks),
	KUNIT_CASE(a_check_races_a_neighbours_placement),
	KUNIT_CASE(a_restart_never_shows_a_free_block),
	{}
};

static struct kunit_suite tiny_suite = {
	.name = "gomem_tiny",
	.init = gomem_test_init,
	.exit = gomem_test_exit,
	.test_cases = tiny_cases,
};

kunit_test_suite(tiny_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem's tiny allocator");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
