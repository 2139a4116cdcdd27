// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for what gomem promises against bad input (README, "Bad
 * input"): foreign, interior and double frees of every kind of object,
 * sequential and racing (single frees, a bulk free against a single
 * one, and a free made inside another call's window), use after free
 * through realloc and gomem_size(), a realloc racing with a free,
 * impossible sizes and bad bulk calls.  Each is refused, counted, and
 * leaves the allocator working: objects handed out afterwards are
 * distinct, and every counter comes back to its baseline.
 *
 * Every case here makes gomem report, so make check runs this suite
 * with vm-run --expect-reports; selftests/gomem_bad.sh checks the
 * reports' text.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/vmalloc.h>
#include <linux/sizes.h>

#include "gomem_test.h"

/*
 * One of each kind of object: tiny (up to GOMEM_TINY_REQ_MAX bytes), small,
 * and large of a few pages and of many.
 */
static const size_t kinds[] = { GOMEM_TINY_REQ_MAX, 64, 40 * SZ_1K, SZ_1M };

static u64 bad_frees(struct kunit *test)
{
	return gomem_test_stats(test)->bad_frees;
}

static int reports(enum gomem_bad why)
{
	return atomic_read(&gomem_reports[why]);
}

/*
 * Each call below is expected to make exactly one report, for why: the
 * count of that reason moves by one, and no other does.
 */
#define EXPECT_ONE_REPORT(test, why, call) do {				\
	enum gomem_bad __w = (why);					\
	int __total = gomem_test_reports(), __n = reports(__w);		\
	struct kunit *__t = (test);					\
	call;								\
	KUNIT_EXPECT_EQ_MSG(__t, reports(__w), __n + 1, "%s", #call);	\
	KUNIT_EXPECT_EQ_MSG(__t, gomem_test_reports(), __total + 1, "%s", #call); \
} while (0)

/*
 * The reason a stale pointer to kind k gets: "not live" while its pages
 * are gomem's, "not gomem's memory" once a large object's pages went back
 * to the page allocator, which its free does beyond the reserve.
 */
static enum gomem_bad stale(const void *p)
{
	return gomem_why((unsigned long)p) == GOMEM_BAD_FOREIGN ?
	       GOMEM_BAD_FOREIGN : GOMEM_BAD_DOUBLE;
}

static int bad_init(struct kunit *test)
{
	gomem_test_init_held(test);
	gomem_test_expect_reports(test);
	return 0;
}

/* n objects of size allocated now are distinct and hold their pattern. */
static void expect_distinct(struct kunit *test, size_t size, unsigned int n)
{
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		gomem_test_fill(p[i], size);
	}
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_check(p[i], size), size,
				    "size %zu", size);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_PTR_NE(test, p[i], p[j]);
	}
	gomem_free_bulk(n, p);
}

/*
 * A free of something gomem never handed out: a kmalloc'ed object, the
 * stack, vmalloc'ed memory, this module's text, and addresses that are
 * no memory at all.
 */
static void foreign_pointers(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	u64 bad = before->st.bad_frees;
	void *k, *v, *ptrs[] = {
		NULL, NULL, NULL, (void *)foreign_pointers,
		(void *)PAGE_OFFSET, (void *)-4096L, (void *)4096,
	};
	unsigned int i;
	int local;

	k = kmalloc(64, GFP_KERNEL);
	v = vmalloc(PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, v);
	ptrs[0] = k;
	ptrs[1] = v;
	ptrs[2] = &local;
	for (i = 0; i < ARRAY_SIZE(ptrs); i++) {
		EXPECT_ONE_REPORT(test, GOMEM_BAD_FOREIGN, gomem_free(ptrs[i]));
		KUNIT_EXPECT_EQ_MSG(test, bad_frees(test), ++bad, "free of pointer %u", i);
		EXPECT_ONE_REPORT(test, GOMEM_BAD_FOREIGN,
				  KUNIT_EXPECT_EQ(test, gomem_size(ptrs[i]), 0UL));
		EXPECT_ONE_REPORT(test, GOMEM_BAD_FOREIGN,
				  KUNIT_EXPECT_NULL(test, gomem_realloc(ptrs[i], 100, GFP_KERNEL)));
		KUNIT_EXPECT_EQ_MSG(test, bad_frees(test), ++bad, "realloc of pointer %u", i);
	}
	kfree(k);
	vfree(v);
	gomem_test_expect_baseline(test, before);
}

/* Pointers inside each kind of object are refused, the object stays. */
static void interior_pointers(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	u64 bad = before->st.bad_frees;
	unsigned int i, k;
	size_t off[3];
	u8 *p;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		p = gomem_alloc(kinds[k], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		gomem_test_fill(p, kinds[k]);
		off[0] = 1;
		off[1] = kinds[k] / 2;
		off[2] = kinds[k] - 1;
		for (i = 0; i < ARRAY_SIZE(off); i++) {
			EXPECT_ONE_REPORT(test, GOMEM_BAD_INTERIOR, gomem_free(p + off[i]));
			KUNIT_EXPECT_EQ_MSG(test, bad_frees(test), ++bad,
					    "size %zu + %zu", kinds[k], off[i]);
			EXPECT_ONE_REPORT(test, GOMEM_BAD_INTERIOR,
					  KUNIT_EXPECT_EQ(test, gomem_size(p + off[i]), 0UL));
		}
		KUNIT_EXPECT_EQ(test, gomem_test_check(p, kinds[k]), kinds[k]);
		gomem_free(p);
	}
	KUNIT_EXPECT_EQ(test, bad_frees(test), bad);
	gomem_test_expect_baseline(test, before);
}

/*
 * Pointers into the tail of a small span's pages, past its last object,
 * are refused as interior ones, where an object would start there too:
 * mspan_start() has no bound of its own, and the tail's states, read
 * instead, must say "not live", and stay so.  Every class with a tail.
 */
static void pointers_into_a_spans_tail(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned long end, tail[3];
	unsigned int cls, i, j, n, tails = 0;
	struct mspan *s;
	void *p;

	for (cls = 1; cls < GOMEM_NR_CLASSES; cls++) {
		p = gomem_alloc(gomem_classes[cls].size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		/* A cold class's object may be its lender's: any span will do. */
		s = gomem_test_span(p);
		KUNIT_ASSERT_NOT_NULL(test, s);
		end = s->base + ((unsigned long)s->npages << PAGE_SHIFT);
		tail[0] = s->base + (unsigned long)s->nelems * s->size;
		if (s->kind != MSPAN_SMALL || tail[0] == end) {
			gomem_free(p);
			continue;
		}
		tails++;
		tail[1] = end - 8;
		tail[2] = end - 1;
		n = mspan_states(s);
		for (i = 0; i < ARRAY_SIZE(tail); i++) {
			EXPECT_ONE_REPORT(test, GOMEM_BAD_INTERIOR,
					  gomem_free((void *)tail[i]));
			EXPECT_ONE_REPORT(test, GOMEM_BAD_INTERIOR,
					  KUNIT_EXPECT_EQ(test, gomem_size((void *)tail[i]), 0UL));
			for (j = s->nelems; j < n; j++)
				KUNIT_EXPECT_EQ_MSG(test, mspan_state(s, j), GOMEM_OBJ_FREE,
						    "class %u, state %u", s->spanclass, j);
		}
		KUNIT_EXPECT_EQ(test, gomem_size(p), (size_t)gomem_classes[s->spanclass].size);
		gomem_free(p);
	}
	/* Most classes have a tail: 24 B's 16 bytes, 200 B's 96, 408 B's 88. */
	KUNIT_EXPECT_GT(test, tails, GOMEM_NR_CLASSES / 2);
	gomem_test_expect_baseline(test, before);
}

/*
 * A second free, a realloc and a gomem_size() of a freed object are
 * refused, and the object is handed out once only afterwards.
 */
static void double_free_and_use_after_free(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test);
	u64 bad = before->st.bad_frees;
	unsigned int k;
	void *p;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		p = gomem_alloc(kinds[k], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		gomem_free(p);
		if (kinds[k] <= GOMEM_MAX_SMALL)
			KUNIT_EXPECT_EQ(test, stale(p), GOMEM_BAD_DOUBLE);
		EXPECT_ONE_REPORT(test, stale(p), gomem_free(p));
		KUNIT_EXPECT_EQ_MSG(test, bad_frees(test), ++bad, "size %zu", kinds[k]);
		EXPECT_ONE_REPORT(test, stale(p),
				  KUNIT_EXPECT_NULL(test, gomem_realloc(p, 2 * kinds[k],
									GFP_KERNEL)));
		KUNIT_EXPECT_EQ_MSG(test, bad_frees(test), ++bad, "size %zu", kinds[k]);
		EXPECT_ONE_REPORT(test, stale(p),
				  KUNIT_EXPECT_EQ(test, gomem_size(p), 0UL));
		KUNIT_EXPECT_EQ(test, bad_frees(test), bad);
		expect_distinct(test, kinds[k], 64);
	}
	gomem_test_expect_baseline(test, before);
}

/*
 * Two CPUs free the same object at the same moment, round after round:
 * this test on CPU 0 and a kthread spinning on CPU 1.  Exactly one free
 * of each pair is refused, and nothing is handed out twice afterwards.
 */
struct race {
	void *p;
	/* With size, the kthread allocates c of it after each free. */
	void *c;
	size_t size;
	struct kunit *test;
	struct task_struct *task;
	atomic_t go, done;
	bool stop;
};

static int racer(void *arg)
{
	struct race *r = arg;
	int seen = 0, go;

	for (;;) {
		while ((go = atomic_read_acquire(&r->go)) == seen && !READ_ONCE(r->stop))
			cpu_relax();
		if (READ_ONCE(r->stop))
			break;
		seen = go;
		gomem_free(READ_ONCE(r->p));
		if (r->size)
			WRITE_ONCE(r->c, gomem_alloc(r->size, GFP_KERNEL));
		atomic_set_release(&r->done, go);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* The race's kthread on CPU 1, this test pinned to CPU 0. */
static struct race *race_start(struct kunit *test)
{
	struct race *r;

	gomem_test_need_cpu1(test, "needs CPU 1");
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->test = test;
	r->task = kthread_run_on_cpu(racer, r, 1, "gomem_race/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(r->task));
	return r;
}

static void race_stop(struct race *r)
{
	WRITE_ONCE(r->stop, true);
	kthread_stop(r->task);
}

/* The most objects a race's round frees at once. */
#define RACE_OBJS	8

/*
 * n objects of size in p, for a race: true, or false with none left
 * allocated.  Not an assertion, which would leave the kthread running.
 */
static bool alloc_objs(struct kunit *test, void **p, unsigned int n,
		       size_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_EXPECT_NOT_NULL(test, p[i]);
		if (!p[i]) {
			/* Not a bulk free of none: that is bad input itself. */
			if (i)
				gomem_free_bulk(i, p);
			return false;
		}
	}
	return true;
}

/*
 * rounds of a race of two frees of one object, for each of sizes[0..ns):
 * this test on CPU 0 allocates n objects (at most RACE_OBJS) and frees
 * them, by gomem_free() if n is 1, else by one gomem_free_bulk(), while
 * the kthread on CPU 1 frees one of them, each place of the array in
 * turn, so that a bulk free reaches it at once in some rounds and after
 * others of its page or run in others.  Every round runs, each refuses
 * exactly one of its two frees, the rest of the array is freed, and
 * nothing is handed out twice afterwards.
 */
static void race_frees(struct kunit *test, const size_t *sizes,
		       unsigned int ns, unsigned int rounds, unsigned int n)
{
	struct gomem_snap *before = gomem_test_snap(test);
	void *p[RACE_OBJS];
	unsigned int k, i;
	struct race *r;
	int go = 0, reported;
	u64 bad;

	r = race_start(test);
	for (k = 0; k < ns; k++) {
		bad = bad_frees(test);
		reported = gomem_test_reports();
		for (i = 0; i < rounds; i++) {
			if (!alloc_objs(test, p, n, sizes[k]))
				break;
			WRITE_ONCE(r->p, p[i % n]);
			atomic_set_release(&r->go, ++go);
			if (n == 1)
				gomem_free(p[0]);
			else
				gomem_free_bulk(n, p);
			while (atomic_read_acquire(&r->done) != go)
				cpu_relax();
		}
		KUNIT_EXPECT_EQ_MSG(test, i, rounds, "size %zu", sizes[k]);
		KUNIT_EXPECT_EQ_MSG(test, bad_frees(test), bad + i, "size %zu", sizes[k]);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_reports(), reported + i,
				    "size %zu", sizes[k]);
		expect_distinct(test, sizes[k], 256);
	}
	race_stop(r);
	gomem_test_expect_baseline(test, before);
}

/* Two gomem_free()s of one object of each kind. */
static void racing_double_frees(struct kunit *test)
{
	race_frees(test, kinds, ARRAY_SIZE(kinds), 500, 1);
}

/*
 * A bulk free and a gomem_free() of one object, of each kind and of small
 * ones that a bulk free takes in runs (64 B and 2 KiB) and one by one
 * (5,000 B): the bulk free claims each object as gomem_free() does.
 */
static void racing_bulk_and_single_frees(struct kunit *test)
{
	static const size_t sizes[] = { GOMEM_TINY_REQ_MAX, 64, SZ_2K, 5000,
					40 * SZ_1K, SZ_1M };

	race_frees(test, sizes, ARRAY_SIZE(sizes), 300, RACE_OBJS);
}

/*
 * A realloc that stays in place and a free of the same object, at the
 * same moment: this test on CPU 0 reallocs to a byte less, which keeps
 * every kind's usable size (every other round with __GFP_ZERO, which
 * holds the object while it zeroes the byte past the new size), while
 * the kthread on CPU 1 frees.  The two
 * calls either follow one another, or one of them is refused; in no
 * order does the realloc record a request in an object the free has
 * already claimed (it did: the object was then live in a CPU's cache,
 * or its freed span written to).  So after the round the object is live
 * only if the realloc kept it and the free was refused, and a free by
 * this test is refused in every other case.
 */
static void racing_realloc_and_free(struct kunit *test)
{
	const unsigned int rounds = 500;
	static const size_t sizes[] = { 64, 40 * SZ_1K, SZ_1M };
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int k, i, won[3] = { 0, 0, 0 };
	int go = 0, n, got;
	struct race *r;
	bool live;
	void *q;

	/* Where a stale pointer shows, nothing stays in place. */
	if (gomem_debug())
		kunit_skip(test, "debug=1: every realloc moves");
	r = race_start(test);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		for (i = 0; i < rounds; i++) {
			WRITE_ONCE(r->p, gomem_alloc(sizes[k], GFP_KERNEL));
			/* Not an assertion: the kthread must be stopped. */
			KUNIT_EXPECT_NOT_NULL(test, r->p);
			if (!r->p)
				break;
			n = gomem_test_reports();
			atomic_set_release(&r->go, ++go);
			q = gomem_realloc(r->p, sizes[k] - 1,
					  GFP_KERNEL | (i & 1 ? __GFP_ZERO : 0));
			while (atomic_read_acquire(&r->done) != go)
				cpu_relax();
			got = gomem_test_reports() - n;
			KUNIT_EXPECT_TRUE_MSG(test, q == r->p || (!q && got == 1),
					      "size %zu: realloc gave %p for %p, %d reports",
					      sizes[k], q, r->p, got);
			KUNIT_EXPECT_LE_MSG(test, got, 1, "size %zu", sizes[k]);
			live = q && got == 1;
			won[!q ? 0 : live ? 1 : 2]++;
			n = gomem_test_reports();
			gomem_free(r->p);
			KUNIT_EXPECT_EQ_MSG(test, gomem_test_reports() - n, live ? 0 : 1,
					    "size %zu: round %u, realloc gave %p, %d reports",
					    sizes[k], i, q, got);
			if (gomem_test_reports() - n != (live ? 0 : 1))
				break;
		}
		expect_distinct(test, sizes[k], 256);
	}
	race_stop(r);
	/* How the race went, for the log only: it depends on timing. */
	kunit_info(test, "the free won %u rounds, the realloc %u, both %u\n",
		   won[0], won[1], won[2]);
	gomem_test_expect_baseline(test, before);
}

/*
 * A free of an object that a realloc is moving, on another CPU, after
 * the realloc's copy and before its own free: the object is held, so the
 * free is refused, and an allocation right after it cannot take the old
 * place; the realloc then frees the object.  Before the hold, that free
 * succeeded, the allocation took the same place (off that CPU's stack,
 * or the large span kept on its node), and the realloc's own free then
 * freed the new owner's object.  The free is made from a stub in
 * gomem_unhold()'s place, so that it lands in the window every round:
 * the kthread on CPU 1 frees and allocates, on whose node the object is.
 */
static struct race *hold_race;

/*
 * One round of the kthread's, from a stub or a watchpoint's handler: its
 * free, and its allocation if it has a size.
 */
static void race_round(struct race *r)
{
	int go = atomic_read(&r->go) + 1;

	atomic_set_release(&r->go, go);
	while (atomic_read_acquire(&r->done) != go)
		cpu_relax();
}

/*
 * The window the racing frees above land in by chance only: between a
 * call's check that its object is live and its claim.  A data watchpoint
 * on the object's state (a tiny object's: its block's "freed" word; a
 * large one's: its span's live byte) fires on the first access to it,
 * the call's own check (or, in a bulk free of tiny objects, its run's
 * through the block), and from its handler the kthread on CPU 1 frees
 * the object, in every round.  The call on CPU 0, whose claim is a
 * compare-and-exchange of what it checked, must then fail and report
 * once; a claim that only stored (or set its bit with no compare) would
 * free the object a second time, or resize or move a freed one.  The
 * handler runs in the debug exception of the CPU that made the access,
 * and waits there for the kthread's free; the call it interrupted holds
 * no lock that the free takes: a CPU's mcache lock is its own, and no
 * call holds a central lock while it checks an object.
 */
struct window {
	struct race *r;
	struct perf_event * __percpu *bp;
	atomic_t hits;
	unsigned long ip;	/* of the first access */
};

static void free_in_window(struct perf_event *bp,
			   struct perf_sample_data *data, struct pt_regs *regs)
{
	struct window *w = bp->overflow_handler_context;

	/* Only the first: the kthread's own free reads the state too. */
	if (atomic_inc_return(&w->hits) != 1)
		return;
	w->ip = instruction_pointer(regs);
	race_round(w->r);
}

/* Where a call on p checks first whether it is live, and its length. */
static unsigned long first_checked(struct kunit *test, const void *p,
				   unsigned int *len)
{
	struct mspan *s = gomem_test_span(p);
	unsigned long off;

	KUNIT_ASSERT_NOT_NULL(test, s);
	off = (unsigned long)p - s->base;
	*len = HW_BREAKPOINT_LEN_1;
	if (s->kind == MSPAN_TINY) {
		*len = HW_BREAKPOINT_LEN_4;
		/* Its block's "freed" word, after its "placed" word. */
		return (unsigned long)s->state +
		       off / GOMEM_TINY_MAX * GOMEM_TINY_STATE + sizeof(u32);
	}
	if (s->kind == MSPAN_LARGE)
		return (unsigned long)&s->live;
	return (unsigned long)s->state +
	       mspan_index(s, (unsigned long)p) * s->state_width;
}

/* A watchpoint on len bytes at addr, on every CPU, for window w. */
static struct perf_event * __percpu *window_watch(struct window *w,
						 unsigned long addr,
						 unsigned int len)
{
	return gomem_test_watch(addr, len, free_in_window, w);
}

/* Skip a case where no data watchpoint can be had, before it starts. */
static void window_needed(struct kunit *test)
{
	static unsigned long watched;
	/* Fired already: were it to fire, the handler would do nothing. */
	struct window fired = { .hits = ATOMIC_INIT(1) };
	struct perf_event * __percpu *bp;

	bp = window_watch(&fired, (unsigned long)&watched, HW_BREAKPOINT_LEN_1);
	if (IS_ERR(bp))
		kunit_skip(test, "no data watchpoint: %ld", PTR_ERR(bp));
	unregister_wide_hw_breakpoint(bp);
}

/* Watch p's state, for the kthread of r to free p at its first access. */
static void window_open(struct kunit *test, struct window *w,
			struct race *r, void *p)
{
	unsigned long addr;
	unsigned int len;

	memset(w, 0, sizeof(*w));
	w->r = r;
	addr = first_checked(test, p, &len);
	WRITE_ONCE(r->p, p);
	w->bp = window_watch(w, addr, len);
	/* Not an assertion: the round goes on, unwatched, and fails. */
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(w->bp), "no data watchpoint: %ld",
			       PTR_ERR(w->bp));
}

/* The round is over: the watchpoint fired, and the kthread freed. */
static void window_close(struct kunit *test, struct window *w, size_t size)
{
	if (!IS_ERR(w->bp))
		unregister_wide_hw_breakpoint(w->bp);
	KUNIT_EXPECT_GT_MSG(test, atomic_read(&w->hits), 0,
			    "size %zu: the watchpoint never fired", size);
}

/*
 * Frees: by gomem_free(), and by a bulk free with the object at each
 * place of its array, of GOMEM_TINY_REQ_MAX bytes (tiny; in runs within
 * a block), 64 B (in runs) and 2 KiB (one by one).  A large object's free
 * has no window: it claims with its first access.
 */
static void a_free_inside_the_window_wins(struct kunit *test)
{
	static const size_t sizes[] = { GOMEM_TINY_REQ_MAX, 64, SZ_2K };
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int k, n, at;
	void *p[RACE_OBJS];
	struct window w;
	struct race *r;
	int total;
	u64 bad;

	window_needed(test);
	r = race_start(test);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		for (n = 1; n <= RACE_OBJS; n += RACE_OBJS - 1) {
			for (at = 0; at < n; at++) {
				if (!alloc_objs(test, p, n, sizes[k]))
					goto out;
				total = gomem_test_reports();
				bad = bad_frees(test);
				window_open(test, &w, r, p[at]);
				if (n == 1)
					gomem_free(p[0]);
				else
					gomem_free_bulk(n, p);
				window_close(test, &w, sizes[k]);
				KUNIT_EXPECT_EQ_MSG(test, gomem_test_reports(), total + 1,
						    "size %zu, %u of %u: first access at %pS",
						    sizes[k], at, n, (void *)w.ip);
				KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 1);
			}
		}
		expect_distinct(test, sizes[k], 256);
	}
out:
	race_stop(r);
	gomem_test_expect_baseline(test, before);
}

/*
 * Reallocs: of a small and a large object, one that stays in place (a
 * byte less: its new request is recorded by a compare-and-exchange of
 * the state it checked) and one that moves (twice the size: it holds the
 * object the same way before it copies).  Either is refused, and returns
 * NULL; the kthread's free stands.
 */
static void a_realloc_beaten_inside_the_window_fails(struct kunit *test)
{
	static const size_t sizes[] = { 64, 40 * SZ_1K };
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int k, move;
	struct window w;
	struct race *r;
	void *p, *q;
	int total;
	u64 bad;

	window_needed(test);
	r = race_start(test);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		for (move = 0; move < 2; move++) {
			if (!alloc_objs(test, &p, 1, sizes[k]))
				goto out;
			total = gomem_test_reports();
			bad = bad_frees(test);
			window_open(test, &w, r, p);
			q = gomem_realloc(p, move ? 2 * sizes[k] : sizes[k] - 1,
					  GFP_KERNEL);
			window_close(test, &w, sizes[k]);
			KUNIT_EXPECT_NULL_MSG(test, q, "size %zu, move %u: first access at %pS",
					      sizes[k], move, (void *)w.ip);
			KUNIT_EXPECT_EQ(test, gomem_test_reports(), total + 1);
			KUNIT_EXPECT_EQ(test, bad_frees(test), bad + 1);
			/* Resized or moved a freed object: it is someone's now. */
			if (q)
				goto out;
		}
		expect_distinct(test, sizes[k], 256);
	}
out:
	race_stop(r);
	gomem_test_expect_baseline(test, before);
}

/*
 * After a round in a realloc's window: the kthread's new object, of size
 * bytes, is live, and it and the realloc's q free without a report.
 * False if not.
 */
static bool race_new_object_lives(struct kunit *test, struct race *r,
				  void *q, size_t size, unsigned int round)
{
	int n = gomem_test_reports();

	KUNIT_EXPECT_EQ_MSG(test, gomem_size(r->c), size,
			    "size %zu, round %u: the new object", size, round);
	gomem_free(r->c);
	gomem_free(q);
	KUNIT_EXPECT_EQ(test, gomem_test_reports(), n);
	return gomem_test_reports() == n;
}

static void unhold_after_a_free(struct mspan *s, unsigned int i,
				unsigned int st)
{
	struct race *r = hold_race;

	race_round(r);
	kunit_deactivate_static_stub(r->test, gomem_unhold);
	gomem_unhold(s, i, st);
	kunit_activate_static_stub(r->test, gomem_unhold, unhold_after_a_free);
}

static void realloc_holds_what_it_moves(struct kunit *test)
{
	static const size_t sizes[] = { SZ_2K, SZ_1M };
	const unsigned int rounds = 8;
	struct gomem_snap *before = gomem_test_snap(test);
	unsigned int i, k;
	struct race *r;
	int n;
	void *q;

	if (!gomem_static_stubs())
		kunit_skip(test, "needs KUnit's static stubs (6.3)");
	r = race_start(test);
	hold_race = r;
	kunit_activate_static_stub(test, gomem_unhold, unhold_after_a_free);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		r->size = sizes[k];
		for (i = 0; i < rounds; i++) {
			WRITE_ONCE(r->p, gomem_alloc_node(sizes[k], GFP_KERNEL,
							  cpu_to_node(1)));
			/* Not an assertion: the kthread must be stopped. */
			KUNIT_EXPECT_NOT_NULL(test, r->p);
			if (!r->p)
				break;
			n = gomem_test_reports();
			q = gomem_realloc(r->p, 2 * sizes[k], GFP_KERNEL);
			/* Exactly one report: the kthread's free. */
			KUNIT_EXPECT_EQ_MSG(test, gomem_test_reports() - n, 1,
					    "size %zu, round %u", sizes[k], i);
			KUNIT_EXPECT_NOT_NULL(test, q);
			KUNIT_EXPECT_NOT_NULL(test, r->c);
			KUNIT_EXPECT_PTR_NE(test, r->c, r->p);
			if (!race_new_object_lives(test, r, q, sizes[k], i))
				break;
		}
	}
	kunit_deactivate_static_stub(test, gomem_unhold);
	race_stop(r);
	gomem_test_expect_baseline(test, before);
}

/*
 * A tiny object has no state that a realloc could hold it by.  A free of
 * it on another CPU, after the realloc's copy and before its own free,
 * wins, and an allocation right after it takes the same place: the
 * object was alone in its block, current on that CPU, which starts
 * again.  The realloc's own free then finds the block's generation
 * changed and is refused (one report), and the new owner's object stays
 * live; before, the realloc freed it.  The free is made from a stub in
 * tiny_free_moved()'s place, so that it lands in the window every round.
 */
static struct race *moved_race;

static bool free_moved_after_a_free(const void *p, struct mspan *s, u32 seen)
{
	struct race *r = moved_race;
	bool freed;

	race_round(r);
	kunit_deactivate_static_stub(r->test, tiny_free_moved);
	freed = tiny_free_moved(p, s, seen);
	kunit_activate_static_stub(r->test, tiny_free_moved,
				   free_moved_after_a_free);
	return freed;
}

static void realloc_of_a_tiny_object_spares_the_next_life(struct kunit *test)
{
	const unsigned int rounds = 8, size = GOMEM_TINY_REQ_MAX;
	struct gomem_snap *before = gomem_test_snap(test);
	void *p, *q, *fill[2];
	unsigned int i;
	struct race *r;
	int n;

	if (!gomem_static_stubs())
		kunit_skip(test, "needs KUnit's static stubs (6.3)");
	if (gomem_debug())
		kunit_skip(test, "debug=1 serves tiny sizes from small classes");
	r = race_start(test);
	moved_race = r;
	r->size = size;
	kunit_activate_static_stub(test, tiny_free_moved, free_moved_after_a_free);
	for (i = 0; i < rounds; i++) {
		/*
		 * Alone at the start of CPU 1's current block, fresh after
		 * the drain, which the kthread's uses: the fillers after it
		 * leave the kthread's object room only to fill the block,
		 * and a block whose objects were all freed starts again
		 * rather than fill, at p.
		 */
		gomem_drain();
		gomem_test_pin(test, 1);
		p = gomem_alloc(size, GFP_KERNEL);
		fill[0] = gomem_alloc(size, GFP_KERNEL);
		fill[1] = gomem_alloc(size, GFP_KERNEL);
		gomem_test_pin(test, 0);
		/* Not an assertion: the kthread must be stopped. */
		KUNIT_EXPECT_NOT_NULL(test, p);
		KUNIT_EXPECT_PTR_EQ(test, fill[1], p + 2 * size);
		gomem_free(fill[0]);
		gomem_free(fill[1]);
		if (!p)
			break;
		WRITE_ONCE(r->p, p);
		n = gomem_test_reports();
		q = gomem_realloc(p, 3 * size, GFP_KERNEL);
		/* Exactly one report: the realloc's own free. */
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_reports() - n, 1, "round %u", i);
		KUNIT_EXPECT_NOT_NULL(test, q);
		/* The window was hit: the kthread's object took p's place. */
		KUNIT_EXPECT_PTR_EQ_MSG(test, r->c, p, "round %u", i);
		if (!race_new_object_lives(test, r, q, size, i))
			break;
	}
	kunit_deactivate_static_stub(test, tiny_free_moved);
	race_stop(r);
	gomem_test_expect_baseline(test, before);
}

/* The first bit past the last gfp flag. */
#define GOMEM_NO_GFP_FLAG	((__force gfp_t)(1U << __GFP_BITS_SHIFT))

/*
 * Sizes no allocator can give, and flags gomem cannot honour, fail
 * cleanly: one report each, none with __GFP_NOWARN, counted as failed
 * allocations and not as frees.  A realloc that cannot grow leaves the
 * object as it was.
 */

static void impossible_requests(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test), *after;
	static const size_t sizes[] = {
		SIZE_MAX, SIZE_MAX - PAGE_SIZE + 2, GOMEM_MAX_SIZE + 1,
		GOMEM_MAX_SIZE + PAGE_SIZE, (size_t)1 << 40,
	};
	unsigned int i, fails = 0;
	void *ptrs[4], *p;
	int total;

	gomem_test_own_classes();
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_ONE_REPORT(test, GOMEM_BAD_SIZE,
				  KUNIT_EXPECT_NULL(test, gomem_alloc(sizes[i], GFP_KERNEL)));
		EXPECT_ONE_REPORT(test, GOMEM_BAD_SIZE,
				  KUNIT_EXPECT_NULL(test, gomem_zalloc(sizes[i], GFP_KERNEL)));
		EXPECT_ONE_REPORT(test, GOMEM_BAD_SIZE,
				  KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(sizes[i], GFP_KERNEL,
									 2, ptrs), 0));
		total = gomem_test_reports();
		KUNIT_EXPECT_NULL(test, gomem_alloc(sizes[i], GFP_KERNEL | __GFP_NOWARN));
		KUNIT_EXPECT_EQ(test, gomem_test_reports(), total);
		fails += 4;
	}
	EXPECT_ONE_REPORT(test, GOMEM_BAD_FLAGS,
			  KUNIT_EXPECT_NULL(test, gomem_alloc(64, GFP_KERNEL | GFP_DMA)));
	EXPECT_ONE_REPORT(test, GOMEM_BAD_FLAGS,
			  KUNIT_EXPECT_NULL(test, gomem_alloc(64, GFP_KERNEL | GFP_DMA32)));
	EXPECT_ONE_REPORT(test, GOMEM_BAD_FLAGS,
			  KUNIT_EXPECT_NULL(test, gomem_alloc(3, GFP_KERNEL | __GFP_NOFAIL)));
	EXPECT_ONE_REPORT(test, GOMEM_BAD_FLAGS,
			  KUNIT_EXPECT_NULL(test, gomem_alloc(SZ_1M, GFP_KERNEL | __GFP_NOFAIL)));
	/* A bit past the last flag: no flag at all. */
	EXPECT_ONE_REPORT(test, GOMEM_BAD_FLAGS,
			  KUNIT_EXPECT_NULL(test, gomem_alloc(64, GFP_KERNEL | GOMEM_NO_GFP_FLAG)));
	EXPECT_ONE_REPORT(test, GOMEM_BAD_FLAGS,
			  KUNIT_EXPECT_NULL(test, gomem_alloc(3, GFP_ATOMIC |
							      (__force gfp_t)(1U << 31))));
	fails += 6;
	/* nr that no array of pointers can hold, or an int cannot count. */
	EXPECT_ONE_REPORT(test, GOMEM_BAD_BULK,
			  KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(8, GFP_KERNEL, SIZE_MAX,
								 ptrs), 0));
	EXPECT_ONE_REPORT(test, GOMEM_BAD_BULK,
			  KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(8, GFP_KERNEL,
								 (size_t)INT_MAX + 1, ptrs), 0));
	fails += 2;

	p = gomem_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_test_fill(p, 100);
	EXPECT_ONE_REPORT(test, GOMEM_BAD_SIZE,
			  KUNIT_EXPECT_NULL(test, gomem_realloc(p, SIZE_MAX, GFP_KERNEL)));
	fails++;
	KUNIT_EXPECT_EQ(test, gomem_test_check(p, 100), 100UL);
	KUNIT_EXPECT_EQ(test, gomem_size(p), gomem_classes[gomem_size_class(100)].size);
	gomem_free(p);

	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->st.bad_frees, before->st.bad_frees);
	KUNIT_EXPECT_EQ(test, after->st.alloc_failures, before->st.alloc_failures + fails);
	gomem_test_expect_baseline(test, before);
}

/* Bulk calls with nothing to do, no array, or a hole in the array. */
static void bad_bulk_calls(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test), *after;
	void *ptrs[4];

	EXPECT_ONE_REPORT(test, GOMEM_BAD_BULK,
			  KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(64, GFP_KERNEL, 0, ptrs), 0));
	EXPECT_ONE_REPORT(test, GOMEM_BAD_BULK,
			  KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(64, GFP_KERNEL, 4, NULL), 0));
	EXPECT_ONE_REPORT(test, GOMEM_BAD_BULK, gomem_free_bulk(0, ptrs));
	EXPECT_ONE_REPORT(test, GOMEM_BAD_BULK, gomem_free_bulk(4, NULL));
	KUNIT_EXPECT_EQ(test, bad_frees(test), before->st.bad_frees + 2);

	/* NULLs among the objects: one report, each counted; the rest freed. */
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(64, GFP_KERNEL, 4, ptrs), 4);
	gomem_free(ptrs[1]);
	gomem_free(ptrs[2]);
	ptrs[1] = NULL;
	ptrs[2] = NULL;
	EXPECT_ONE_REPORT(test, GOMEM_BAD_NULL, gomem_free_bulk(4, ptrs));
	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->st.bad_frees, before->st.bad_frees + 4);
	KUNIT_EXPECT_EQ(test, after->st.alloc_failures, before->st.alloc_failures + 2);
	gomem_test_expect_baseline(test, before);
}

/*
 * Memory hot-added after the load lies past the sections the mheap
 * counts, where gomem_free() leaves its fast path and looks the page up
 * the full way: a tiny, a small and a two-byte-state object there are
 * freed and counted as anywhere, and a second free of each is reported.
 * The sections are hidden only while nothing moves pages: every class is
 * warm, so the frees land on this CPU's stacks, and no scavenger runs
 * (bad_init()).
 */
static void frees_past_the_counted_sections(struct kunit *test)
{
	static const size_t sizes[] = { GOMEM_TINY_REQ_MAX, 64, 5000 };
	unsigned long nr = gomem_nr_sections;
	void *p[ARRAY_SIZE(sizes)];
	struct gomem_snap *before;
	unsigned int i;

	gomem_test_pin(test, raw_smp_processor_id());
	before = gomem_test_snap(test);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		gomem_test_warm(sizes[i]);
		p[i] = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_ASSERT_EQ(test, gomem_test_span(p[2])->state_width, 2);
	WRITE_ONCE(gomem_nr_sections, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		gomem_free(p[i]);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		EXPECT_ONE_REPORT(test, GOMEM_BAD_DOUBLE, gomem_free(p[i]));
	WRITE_ONCE(gomem_nr_sections, nr);
	gomem_test_unpin();
	gomem_test_expect_baseline(test, before);
}

/*
 * An object that reaches its mcentral in a state it cannot be in (here:
 * given back twice, as if two caches held it) is reported under the lock
 * and not counted free, so it is never handed out twice.
 */
static void caught_under_the_lock(struct kunit *test)
{
	struct mcentral *c = &gomem_mcentral[gomem_size_class(256)];
	struct gomem_snap *before;
	struct gomem_obj o[2];
	unsigned long free;

	gomem_drain();
	before = gomem_test_snap(test);
	KUNIT_ASSERT_EQ(test, mcentral_get(c, o, 2, GFP_KERNEL, NUMA_NO_NODE), 2U);
	mcentral_put(c, o, 1);
	free = c->nr_free;
	EXPECT_ONE_REPORT(test, GOMEM_BAD_STATE, mcentral_put(c, o, 1));
	KUNIT_EXPECT_EQ(test, c->nr_free, free);
	mcentral_put(c, o + 1, 1);
	expect_distinct(test, 256, 64);
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk free of 100 objects, more than one lock section's worth, of
 * every kind, with a NULL, a ZERO_SIZE_PTR and a pointer freed already
 * among them: each object is freed, each bad entry reported once and
 * counted, whatever section it falls in, and gomem is back where it was.
 */
static void bulk_free_of_every_kind(struct kunit *test)
{
	static const size_t sizes[] = { 3, 8, 64, 700, 5000, 50 * SZ_1K };
	struct gomem_snap *before = gomem_test_snap(test), *after;
	const unsigned int n = 100, null = 40, zero = 41, freed = 77;
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	int total = gomem_test_reports(), nulls = reports(GOMEM_BAD_NULL);
	enum gomem_bad why;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < n; i++) {
		p[i] = gomem_alloc(sizes[i % ARRAY_SIZE(sizes)], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	gomem_free(p[null]);
	p[null] = NULL;
	gomem_free(p[zero]);
	p[zero] = ZERO_SIZE_PTR;
	gomem_free(p[freed]);
	why = stale(p[freed]);
	i = reports(why);
	gomem_free_bulk(n, p);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_NULL), nulls + 1);
	KUNIT_EXPECT_EQ(test, reports(why), i + 1);
	KUNIT_EXPECT_EQ(test, gomem_test_reports(), total + 2);
	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->st.bad_frees, before->st.bad_frees + 2);
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk free whose array holds the same objects twice, a, b, a, b, for
 * each kind of object and for small ones freed in runs (64 B and 2 KiB,
 * whose a and b may sit in two pages) and one by one (5,000 B): a and b
 * are freed once, their second entries are reported as double frees,
 * once each, and gomem is back where it was.  The first entries of a
 * tiny block's run, or of a large object, are still being freed when the
 * second ones come, in the same section of the lock.  (A
 * large object's second entry is "not gomem's memory" where its pages
 * went back first: under debug=1, whose bulk free frees one by one.)
 */
static void bulk_free_of_the_same_object_twice(struct kunit *test)
{
	static const size_t sizes[] = { GOMEM_TINY_REQ_MAX, 64, SZ_2K, 5000,
					40 * SZ_1K, SZ_1M };
	struct gomem_snap *before = gomem_test_snap(test), *after;
	int total, twice, gone;
	void *p[4];
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		p[0] = gomem_alloc(sizes[k], GFP_KERNEL);
		p[1] = gomem_alloc(sizes[k], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[0]);
		KUNIT_ASSERT_NOT_NULL(test, p[1]);
		p[2] = p[0];
		p[3] = p[1];
		total = gomem_test_reports();
		twice = reports(GOMEM_BAD_DOUBLE);
		gone = reports(GOMEM_BAD_FOREIGN);
		gomem_free_bulk(ARRAY_SIZE(p), p);
		if (sizes[k] <= GOMEM_MAX_SMALL)
			KUNIT_EXPECT_EQ_MSG(test, reports(GOMEM_BAD_DOUBLE), twice + 2,
					    "size %zu", sizes[k]);
		else
			KUNIT_EXPECT_EQ_MSG(test, reports(GOMEM_BAD_DOUBLE) - twice +
					    reports(GOMEM_BAD_FOREIGN) - gone, 2,
					    "size %zu", sizes[k]);
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_reports(), total + 2,
				    "size %zu", sizes[k]);
		expect_distinct(test, sizes[k], 64);
	}
	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->st.bad_frees,
			before->st.bad_frees + 2 * ARRAY_SIZE(sizes));
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk free looks a page up once for the objects in it that follow one
 * another, and frees them as a run, and still judges each pointer as
 * gomem_free() would: of two objects a and b of one page, given as a, a
 * pointer inside b, b, a, the pointer inside b and the second a are
 * reported, once each, and a and b are freed.
 */
static void bulk_free_within_a_page(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test), *after;
	const unsigned int n = 64;
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	int total = gomem_test_reports(), inside = reports(GOMEM_BAD_INTERIOR);
	int twice = reports(GOMEM_BAD_DOUBLE);
	unsigned int i, j = 0;
	void *ptrs[4];

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(64, GFP_KERNEL, n, p), n);
	/* A page holds 64 of them, so two of n share one. */
	for (i = 1; i < n; i++)
		for (j = 0; j < i; j++)
			if (virt_to_page(p[i]) == virt_to_page(p[j]))
				goto found;
	KUNIT_FAIL(test, "no two of %u objects of 64 bytes share a page", n);
	return;
found:
	ptrs[0] = p[i];
	ptrs[1] = p[j] + 8;
	ptrs[2] = p[j];
	ptrs[3] = p[i];
	gomem_free_bulk(ARRAY_SIZE(ptrs), ptrs);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_INTERIOR), inside + 1);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_DOUBLE), twice + 1);
	KUNIT_EXPECT_EQ(test, gomem_test_reports(), total + 2);
	KUNIT_EXPECT_EQ(test, gomem_why((unsigned long)p[i]), GOMEM_BAD_DOUBLE);
	KUNIT_EXPECT_EQ(test, gomem_why((unsigned long)p[j]), GOMEM_BAD_DOUBLE);
	/* Freed objects are KASAN's redzone again, where it runs. */
	if (GOMEM_KASAN_MARKS) {
		KUNIT_EXPECT_NE(test, gomem_kasan_mark(p[i]), 0);
		KUNIT_EXPECT_NE(test, gomem_kasan_mark(p[j]), 0);
	}
	after = gomem_test_snap(test);
	KUNIT_EXPECT_EQ(test, after->st.bad_frees, before->st.bad_frees + 2);
	p[i] = NULL;
	p[j] = NULL;
	for (i = 0; i < n; i++)
		gomem_free(p[i]);
	gomem_test_expect_baseline(test, before);
}

/*
 * For bulk_free_across_pages(), with two nodes: n - 2 objects of 2 KiB
 * and two of another node's, near the end, freed in bulk on CPU 0 after
 * a drain, so that the last objects the free pushes are still on the
 * stack after it (debug=1 stacks none): none of them may be the other
 * node's.  p: room for n.
 */
static void bulk_free_with_another_nodes(struct kunit *test, void **p,
					 unsigned int n)
{
	unsigned int i, cls = gomem_size_class(SZ_2K);
	struct mcache_slot *slot;
	int home, node;

	home = gomem_test_home(0);
	for_each_node_state(node, N_NORMAL_MEMORY)
		if (node != home)
			break;
	if (node >= MAX_NUMNODES)
		return;
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(SZ_2K, GFP_KERNEL, n - 2, p), n - 2);
	p[n - 1] = p[n - 3];
	p[n - 3] = gomem_alloc_node(SZ_2K, GFP_KERNEL | __GFP_THISNODE, node);
	p[n - 2] = gomem_alloc_node(SZ_2K, GFP_KERNEL | __GFP_THISNODE, node);
	KUNIT_ASSERT_NOT_NULL(test, p[n - 3]);
	KUNIT_ASSERT_NOT_NULL(test, p[n - 2]);
	gomem_drain();
	gomem_free_bulk(n, p);
	slot = &gomem_mcache_of(0)->slot[cls];
	for (i = 0; i < slot->n; i++)
		KUNIT_EXPECT_EQ_MSG(test, gomem_obj_span(&slot->objs[i])->node, home,
				    "stacked object %u", i);
}

/*
 * n objects of size into p by a bulk allocation, and besides them one of
 * 1 KiB, a tiny one and a large one, of other kinds and classes to put
 * among them in a bulk free's array.
 */
static void alloc_with_others(struct kunit *test, size_t size, void **p,
			      unsigned int n, void **kib, void **tiny,
			      void **large)
{
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(size, GFP_KERNEL, n, p), n);
	*kib = gomem_alloc(SZ_1K, GFP_KERNEL);
	*tiny = gomem_alloc(3, GFP_KERNEL);
	*large = gomem_alloc(40 * SZ_1K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *kib);
	KUNIT_ASSERT_NOT_NULL(test, *tiny);
	KUNIT_ASSERT_NOT_NULL(test, *large);
}

/*
 * A run of a bulk free goes on into the next page of its class
 * (gomem_free_run_as()) and must stop at whatever is not one of its
 * class's live objects of this CPU's node there.  Objects of 2 KiB, two
 * a page, in an array broken up by one object of 1 KiB, a tiny one, a
 * large one, a pointer inside a 2 KiB object of another page and one
 * freed already (not live, or not gomem's memory once its page went
 * back, as under debug=1, where it has a page of its own): every object
 * is freed once and each bad pointer reported once, whatever page and
 * run it falls in.  Then, with two nodes, 2 KiB objects with two of the
 * other node's among them: this CPU's stack holds none of those.  A run
 * that took the 1 KiB object for one of its own pushed it on the 2 KiB
 * stack, and one that took the bad pointers freed them.
 */
static void bulk_free_across_pages(struct kunit *test)
{
	struct gomem_snap *before = gomem_test_snap(test), *after;
	const unsigned int n = 24, inside = 13, freed = 17;
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	void **ptrs = kunit_kcalloc(test, n + 3, sizeof(void *), GFP_KERNEL);
	int total = gomem_test_reports(), interior = reports(GOMEM_BAD_INTERIOR);
	int twice = reports(GOMEM_BAD_DOUBLE) + reports(GOMEM_BAD_FOREIGN);
	unsigned int i, k = 0, pages = 1, cls = gomem_size_class(SZ_2K);
	void *kib, *tiny, *large;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, ptrs);
	alloc_with_others(test, SZ_2K, p, n, &kib, &tiny, &large);
	for (i = 1; i < n; i++)
		pages += virt_to_page(p[i]) != virt_to_page(p[i - 1]);
	/* Otherwise no run would cross a page. */
	KUNIT_ASSERT_GE(test, pages, n / 2);
	gomem_free(p[freed]);
	for (i = 0; i < n; i++) {
		if (i == 5)
			ptrs[k++] = kib;
		if (i == 9)
			ptrs[k++] = tiny;
		if (i == 20)
			ptrs[k++] = large;
		ptrs[k++] = i == inside ? p[i] + 8 : p[i];
	}
	gomem_free_bulk(k, ptrs);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_INTERIOR), interior + 1);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_DOUBLE) + reports(GOMEM_BAD_FOREIGN),
			twice + 1);
	KUNIT_EXPECT_EQ(test, gomem_test_reports(), total + 2);
	/* Of them all, only the object the bad pointer was inside lives. */
	after = gomem_test_snap(test);
	for (i = 0; i < GOMEM_NR_SPANCLASSES; i++)
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_live(&after->st, i),
				    gomem_test_live(&before->st, i) + (i == cls),
				    "live objects in class %u", i);
	KUNIT_EXPECT_EQ(test, after->st.tiny.allocs - after->st.tiny.frees,
			before->st.tiny.allocs - before->st.tiny.frees);
	KUNIT_EXPECT_EQ(test, after->st.bad_frees, before->st.bad_frees + 2);
	gomem_free(p[inside]);
	bulk_free_with_another_nodes(test, p, n);
	kunit_kfree(test, ptrs);
	kunit_kfree(test, p);
	expect_distinct(test, SZ_2K, 64);
	expect_distinct(test, SZ_1K, 64);
	gomem_test_expect_baseline(test, before);
}

/*
 * A bulk free remembers the span it looked up last, all of its pages
 * (gomem_free_section()): objects of 6,912 B, four to a span of 7 pages
 * (sixteen to a big span), each in other pages than the one before it,
 * three of one span freed with two of another, a large object between
 * two of the three, a tiny and a 1 KiB one, and a pointer inside the
 * first span's fourth: each goes back to its own span once, the large
 * one's lookup forgets the span before it, and the pointer inside is
 * reported once, as an interior pointer.
 */
static void bulk_free_within_a_span_of_pages(struct kunit *test)
{
	const unsigned int n = 16, cls = gomem_size_class(6912);
	struct gomem_snap *before = gomem_test_snap(test), *after;
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	int total = gomem_test_reports(), interior = reports(GOMEM_BAD_INTERIOR);
	void *x[4], *y[2], *ptrs[9], *kib, *tiny, *large;
	struct mspan *s1 = NULL, *s2 = NULL, *s;
	unsigned int i, j, in, nx = 0, ny = 0;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, gomem_mcentral[cls].nelems, 4U);
	alloc_with_others(test, 6912, p, n, &kib, &tiny, &large);
	/*
	 * Four objects of one span, and two of another (a class's first
	 * spans hold one object: mcentral_grow_pages()).
	 */
	for (i = 0; i < n; i++) {
		s = gomem_test_span(p[i]);
		for (in = 0, j = 0; j < n; j++)
			in += gomem_test_span(p[j]) == s;
		if (in >= 4 && !s1)
			s1 = s;
		else if (in >= 2 && s != s1 && !s2)
			s2 = s;
	}
	KUNIT_ASSERT_NOT_NULL(test, s1);
	KUNIT_ASSERT_NOT_NULL(test, s2);
	for (i = 0; i < n; i++) {
		s = gomem_test_span(p[i]);
		if (s == s1 && nx < 4) {
			x[nx++] = p[i];
			p[i] = NULL;
		} else if (s == s2 && ny < 2) {
			y[ny++] = p[i];
			p[i] = NULL;
		}
	}
	KUNIT_ASSERT_EQ(test, nx, 4U);
	KUNIT_ASSERT_EQ(test, ny, 2U);
	ptrs[0] = x[0];
	ptrs[1] = x[1];
	ptrs[2] = large;
	ptrs[3] = x[2];
	ptrs[4] = y[0];
	ptrs[5] = y[1];
	ptrs[6] = x[3] + 8;
	ptrs[7] = tiny;
	ptrs[8] = kib;
	gomem_free_bulk(ARRAY_SIZE(ptrs), ptrs);
	KUNIT_EXPECT_EQ(test, reports(GOMEM_BAD_INTERIOR), interior + 1);
	KUNIT_EXPECT_EQ(test, gomem_test_reports(), total + 1);
	/* The span's last object lives, and the rest of the bulk's. */
	after = gomem_test_snap(test);
	for (i = 0; i < GOMEM_NR_SPANCLASSES; i++)
		KUNIT_EXPECT_EQ_MSG(test, gomem_test_live(&after->st, i),
				    gomem_test_live(&before->st, i) +
				    (i == cls ? n - 5 : 0),
				    "live objects in class %u", i);
	KUNIT_EXPECT_EQ(test, after->st.tiny.allocs - after->st.tiny.frees,
			before->st.tiny.allocs - before->st.tiny.frees);
	gomem_free(x[3]);
	for (i = 0; i < n; i++)
		gomem_free(p[i]);
	kunit_kfree(test, p);
	expect_distinct(test, 6912, 16);
	gomem_test_expect_baseline(test, before);
}

static struct kunit_case bad_cases[] = {
	KUNIT_CASE(foreign_pointers),
	KUNIT_CASE(interior_pointers),
	KUNIT_CASE(pointers_into_a_spans_tail),
	KUNIT_CASE_SLOW(double_free_and_use_after_free),
	KUNIT_CASE_SLOW(racing_double_frees),
	KUNIT_CASE_SLOW(racing_bulk_and_single_frees),
	KUNIT_CASE(a_free_inside_the_window_wins),
	KUNIT_CASE(a_realloc_beaten_inside_the_window_fails),
	KUNIT_CASE_SLOW(racing_realloc_and_free),
	KUNIT_CASE(realloc_holds_what_it_moves),
	KUNIT_CASE(realloc_of_a_tiny_object_spares_the_next_life),
	KUNIT_CASE(impossible_requests),
	KUNIT_CASE(bad_bulk_calls),
	KUNIT_CASE(bulk_free_of_every_kind),
	KUNIT_CASE(bulk_free_within_a_page),
	KUNIT_CASE(bulk_free_across_pages),
	KUNIT_CASE(bulk_free_within_a_span_of_pages),
	KUNIT_CASE_SLOW(bulk_free_of_the_same_object_twice),
	KUNIT_CASE(caught_under_the_lock),
	KUNIT_CASE(frees_past_the_counted_sections),
	{}
};

static struct kunit_suite bad_suite = {
	.name = "gomem_bad_input",
	.init = bad_init,
	.exit = gomem_test_exit,
	.test_cases = bad_cases,
};

kunit_test_suite(bad_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for gomem against bad input");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
