// SPDX-License-Identifier: GPL-2.0
/*
 * The microbenchmark behind `make bench`: gomem against SLUB in the same
 * boot, per object, for every access pattern the README lists.
 *
 * scripts/bench loads it in guests run under -icount shift=0, where the
 * guest clock advances one nanosecond per instruction, so every "insn"
 * figure is an exact instruction count, the same from run to run however
 * busy the host is.  The "concurrent" pattern is the one exception: it
 * needs real parallelism, so it runs without icount, in wall-clock
 * nanoseconds, and means something only as a ratio within one boot.
 *
 * Peers, each where it applies:
 *	gomem		gomem_alloc() and gomem_free(), or the bulk calls
 *	kmalloc		kmalloc() with a size known only at run time
 *	kmalloc_const	kmalloc() with a compile-time constant size, which
 *			is what most kernel callers get: the cache is picked
 *			at compile time
 *	kmem_cache	a kmem_cache of the size (up to 8 KiB), or its bulk
 *			calls for the bulk patterns
 *
 * What keeps the figures honest:
 *  - the same loop runs with an allocator that does nothing, and its cost
 *    is subtracted, so a figure is the allocator's alone;
 *  - every pattern first runs once per peer to warm up, then each
 *    measured run takes the peers in turn, in a fixed order, and the
 *    figure is the fewest instructions of RUNS runs (a timer tick that
 *    lands in a run adds its instructions to that run only), so no peer
 *    profits from running second;
 *  - no measurement is an argument of the pr_info() that prints it.
 *
 * Output, one line per pattern and size:
 *	gomem_bench: TEST SIZE UNIT GOMEM KMALLOC KMALLOC_CONST KMEM_CACHE
 * (TEST with "tag" appended, for runs against gomem's debug=1)
 * with "-" where a peer does not apply, then "gomem_bench: done".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/ktime.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/cpumask.h>
#include <linux/vmalloc.h>
#include <linux/sizes.h>

#include "../gomem.h"

#define RUNS		5
#define MAX_BATCH	4096
#define CACHE_MAX	8192	/* largest size given a kmem_cache peer */

/*
 * Every size the benchmark knows; kmalloc_const has a loop for each.  1
 * to 5 bytes are gomem's tiny sizes, each aligned and packed in its block
 * its own way (tiny.c), so each has its figures.
 */
static const unsigned int known_sizes[] = {
	1, 2, 3, 4, 5, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512, 1024,
	2048, 4096, 8192, 16384, 32768, 65536, 262144,
};

static unsigned int sizes[ARRAY_SIZE(known_sizes)];
static int nr_sizes;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "Sizes to measure, from the README's list (default: all 24)");

static char *tests = "pair,batch256,batch4096,bulk16,bulk128,remote";
module_param(tests, charp, 0444);
MODULE_PARM_DESC(tests, "Patterns to run, comma-separated: pair, batch256, batch4096, bulk16, bulk128, remote, concurrent (default: all but concurrent)");

static char *tag = "";
module_param(tag, charp, 0444);
MODULE_PARM_DESC(tag, "Appended to every test name, e.g. _debug for a run with gomem's debug=1 (default none)");

static unsigned int iters = 2048;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Objects per run for pair, bulk and remote (default 2048)");

static unsigned int conc_ops = 200000;
module_param(conc_ops, uint, 0444);
MODULE_PARM_DESC(conc_ops, "Objects each CPU allocates and frees in the concurrent pattern, at most 64 MiB worth (default 200000)");

enum peer { P_NONE, P_GOMEM, P_KMALLOC, P_CONST, P_CACHE, NR_PEERS };

/* What the allocator that does nothing hands out. */
static char dummy_obj[8];

static void **objs;

struct bench_ctx {
	size_t size;
	struct kmem_cache *cache;	/* NULL above CACHE_MAX */
	bool failed;
};

/*
 * One allocation or free by peer, inlined into each loop with peer a
 * constant, so that the loop calls the allocator directly: an indirect
 * call would add a retpoline thunk on Debian's kernel.
 */
static __always_inline void *b_alloc(const enum peer peer, size_t size,
				     struct kmem_cache *c)
{
	void *p = dummy_obj;

	switch (peer) {
	case P_GOMEM:
		return gomem_alloc(size, GFP_KERNEL);
	case P_KMALLOC:
		OPTIMIZER_HIDE_VAR(size);
		return kmalloc(size, GFP_KERNEL);
	case P_CONST:
		return kmalloc(size, GFP_KERNEL);
	case P_CACHE:
		return kmem_cache_alloc(c, GFP_KERNEL);
	default:
		OPTIMIZER_HIDE_VAR(p);
		return p;
	}
}

static __always_inline void b_free(const enum peer peer, void *p,
				   struct kmem_cache *c)
{
	switch (peer) {
	case P_GOMEM:
		gomem_free(p);
		break;
	case P_KMALLOC:
	case P_CONST:
		kfree(p);
		break;
	case P_CACHE:
		kmem_cache_free(c, p);
		break;
	default:
		OPTIMIZER_HIDE_VAR(p);
	}
}

/* Nanoseconds for n allocate-and-free pairs. */
static __always_inline u64 do_pair(const enum peer peer, size_t size,
				   struct bench_ctx *x, unsigned int n)
{
	unsigned int i;
	u64 t;
	void *p;

	t = ktime_get_ns();
	for (i = 0; i < n; i++) {
		p = b_alloc(peer, size, x->cache);
		if (unlikely(!p)) {
			x->failed = true;
			break;
		}
		b_free(peer, p, x->cache);
	}
	return ktime_get_ns() - t;
}

/* n allocations into objs; nanoseconds. */
static __always_inline u64 do_allocs(const enum peer peer, size_t size,
				     struct bench_ctx *x, unsigned int n)
{
	unsigned int i;
	u64 t;

	t = ktime_get_ns();
	for (i = 0; i < n; i++)
		objs[i] = b_alloc(peer, size, x->cache);
	return ktime_get_ns() - t;
}

/* The n frees of what do_allocs() put in objs; nanoseconds. */
static __always_inline u64 do_frees(const enum peer peer, struct bench_ctx *x,
				    unsigned int n)
{
	unsigned int i;
	u64 t;

	t = ktime_get_ns();
	for (i = 0; i < n; i++)
		b_free(peer, objs[i], x->cache);
	return ktime_get_ns() - t;
}

enum loop { L_PAIR, L_ALLOCS, L_FREES };

/* One of the three loops; the switch is outside what each one times. */
static __always_inline u64 do_loop(const enum peer peer, size_t size,
				   struct bench_ctx *x, enum loop loop,
				   unsigned int n)
{
	if (loop == L_PAIR)
		return do_pair(peer, size, x, n);
	if (loop == L_ALLOCS)
		return do_allocs(peer, size, x, n);
	return do_frees(peer, x, n);
}

typedef u64 (*bench_loop_fn)(struct bench_ctx *x, enum loop loop,
			     unsigned int n);

/*
 * The loops, one instance per peer.  kmalloc_const has one per size, so
 * that its size is a constant where kmalloc() sees it.
 */
#define BENCH_LOOP(name, peer, size)					\
static noinline u64 loop_##name(struct bench_ctx *x, enum loop loop,	\
				unsigned int n)				\
{									\
	return do_loop(peer, size, x, loop, n);				\
}

BENCH_LOOP(none, P_NONE, x->size)
BENCH_LOOP(gomem, P_GOMEM, x->size)
BENCH_LOOP(kmalloc, P_KMALLOC, x->size)
BENCH_LOOP(cache, P_CACHE, x->size)
BENCH_LOOP(c1, P_CONST, 1)
BENCH_LOOP(c2, P_CONST, 2)
BENCH_LOOP(c3, P_CONST, 3)
BENCH_LOOP(c4, P_CONST, 4)
BENCH_LOOP(c5, P_CONST, 5)
BENCH_LOOP(c8, P_CONST, 8)
BENCH_LOOP(c16, P_CONST, 16)
BENCH_LOOP(c24, P_CONST, 24)
BENCH_LOOP(c32, P_CONST, 32)
BENCH_LOOP(c48, P_CONST, 48)
BENCH_LOOP(c64, P_CONST, 64)
BENCH_LOOP(c96, P_CONST, 96)
BENCH_LOOP(c128, P_CONST, 128)
BENCH_LOOP(c192, P_CONST, 192)
BENCH_LOOP(c256, P_CONST, 256)
BENCH_LOOP(c512, P_CONST, 512)
BENCH_LOOP(c1k, P_CONST, 1024)
BENCH_LOOP(c2k, P_CONST, 2048)
BENCH_LOOP(c4k, P_CONST, 4096)
BENCH_LOOP(c8k, P_CONST, 8192)
BENCH_LOOP(c16k, P_CONST, 16384)
BENCH_LOOP(c32k, P_CONST, 32768)
BENCH_LOOP(c64k, P_CONST, 65536)
BENCH_LOOP(c256k, P_CONST, 262144)

static const bench_loop_fn peer_loops[NR_PEERS] = {
	[P_NONE] = loop_none,
	[P_GOMEM] = loop_gomem,
	[P_KMALLOC] = loop_kmalloc,
	[P_CACHE] = loop_cache,
};

/* In the order of known_sizes[]. */
static const bench_loop_fn const_loops[] = {
	loop_c1, loop_c2, loop_c3, loop_c4, loop_c5, loop_c8, loop_c16,
	loop_c24, loop_c32, loop_c48, loop_c64, loop_c96, loop_c128, loop_c192,
	loop_c256, loop_c512, loop_c1k, loop_c2k, loop_c4k, loop_c8k,
	loop_c16k, loop_c32k, loop_c64k, loop_c256k,
};

static_assert(ARRAY_SIZE(const_loops) == ARRAY_SIZE(known_sizes));

/* The loops of peer at size; size is one of known_sizes[]. */
static u64 run_loop(enum peer peer, struct bench_ctx *x, enum loop loop,
		    unsigned int n)
{
	unsigned int i;

	if (peer != P_CONST)
		return peer_loops[peer](x, loop, n);
	for (i = 0; known_sizes[i] != x->size; i++)
		;
	return const_loops[i](x, loop, n);
}

/*
 * Did the n allocations in objs all succeed?  If not, free those that
 * did, and record the failure.
 */
static bool all_there(struct bench_ctx *x, enum peer peer, unsigned int n)
{
	unsigned int i, missing = 0;

	for (i = 0; i < n && peer != P_NONE; i++)
		missing += !objs[i];
	if (!missing)
		return true;
	for (i = 0; i < n; i++)
		if (objs[i])
			b_free(peer, objs[i], x->cache);
	x->failed = true;
	return false;
}

static bool peer_applies(enum peer peer, const struct bench_ctx *x)
{
	return peer != P_CACHE || x->cache;
}

/*
 * A figure per peer, with the empty loop's cost already subtracted;
 * U64_MAX where the peer does not apply or failed.
 */
struct bench_row {
	u64 v[NR_PEERS];
};

static void row_print(const char *test, size_t size, const char *unit,
		      const struct bench_row *r)
{
	char cell[NR_PEERS][24];
	unsigned int i;

	for (i = P_GOMEM; i < NR_PEERS; i++) {
		if (r->v[i] == U64_MAX)
			strscpy(cell[i], "-", sizeof(cell[i]));
		else
			snprintf(cell[i], sizeof(cell[i]), "%llu", r->v[i]);
	}
	pr_info("%s%s %zu %s %s %s %s %s\n", test, tag, size, unit, cell[P_GOMEM],
		cell[P_KMALLOC], cell[P_CONST], cell[P_CACHE]);
}

/* Per-object nanoseconds of a total over n objects, minus the empty loop. */
static u64 per_object(u64 total, u64 empty, unsigned int n)
{
	u64 t = div_u64(total, n);

	return t > empty ? t - empty : 0;
}

/*
 * A row from each peer's best total over n objects, less the empty
 * loop's (best[P_NONE], 0 where there is none); nothing if any failed.
 */
static void row_fill(struct bench_row *r, const u64 *best, unsigned int n,
		     bool failed)
{
	u64 empty = best[P_NONE] == U64_MAX ? 0 : div_u64(best[P_NONE], n);
	unsigned int i;

	for (i = 0; i < NR_PEERS; i++)
		r->v[i] = best[i] == U64_MAX || failed ? U64_MAX :
			  per_object(best[i], empty, n);
}

static void bench_pair(struct bench_ctx *x)
{
	u64 best[NR_PEERS], t;
	struct bench_row r;
	unsigned int run, i;

	for (i = 0; i < NR_PEERS; i++)
		best[i] = U64_MAX;
	for (run = 0; run <= RUNS; run++) {
		for (i = 0; i < NR_PEERS; i++) {
			if (!peer_applies(i, x))
				continue;
			t = run_loop(i, x, L_PAIR, iters);
			/* Run 0 is the warm-up. */
			if (run)
				best[i] = min(best[i], t);
			cond_resched();
		}
	}
	row_fill(&r, best, iters, x->failed);
	row_print("pair", x->size, "insn", &r);
}

static void bench_batch(struct bench_ctx *x, unsigned int n)
{
	u64 ba[NR_PEERS], bf[NR_PEERS], ta, tf;
	unsigned int run, i, runs = n > 256 ? 3 : RUNS;
	struct bench_row ra, rf;
	char name[24];

	for (i = 0; i < NR_PEERS; i++) {
		ba[i] = U64_MAX;
		bf[i] = U64_MAX;
	}
	for (run = 0; run <= runs; run++) {
		for (i = 0; i < NR_PEERS; i++) {
			if (!peer_applies(i, x))
				continue;
			ta = run_loop(i, x, L_ALLOCS, n);
			if (!all_there(x, i, n))
				break;
			tf = run_loop(i, x, L_FREES, n);
			if (run) {
				ba[i] = min(ba[i], ta);
				bf[i] = min(bf[i], tf);
			}
			cond_resched();
		}
	}
	row_fill(&ra, ba, n, x->failed);
	row_fill(&rf, bf, n, x->failed);
	snprintf(name, sizeof(name), "batch%u_alloc", n);
	row_print(name, x->size, "insn", &ra);
	snprintf(name, sizeof(name), "batch%u_free", n);
	row_print(name, x->size, "insn", &rf);
}

/*
 * One bulk allocation of n objects and one bulk free, per object:
 * gomem's bulk calls against kmem_cache_alloc_bulk() and
 * kmem_cache_free_bulk().  The loop around them is one call each, so
 * there is no empty loop to subtract.
 */
static void bench_bulk(struct bench_ctx *x, unsigned int n)
{
	unsigned int rounds = max(iters / n, 1U), run, i, k;
	u64 best[NR_PEERS], t;
	struct bench_row r;
	char name[16];
	bool gomem;
	int got;

	for (i = 0; i < NR_PEERS; i++)
		best[i] = U64_MAX;
	for (run = 0; run <= RUNS; run++) {
		for (i = P_GOMEM; i <= P_CACHE; i += P_CACHE - P_GOMEM) {
			gomem = i == P_GOMEM;
			if (!gomem && !x->cache)
				continue;
			t = ktime_get_ns();
			for (k = 0; k < rounds; k++) {
				got = gomem ? gomem_alloc_bulk(x->size, GFP_KERNEL, n, objs) :
				      kmem_cache_alloc_bulk(x->cache, GFP_KERNEL, n, objs);
				if (got != n) {
					x->failed = true;
					break;
				}
				if (gomem)
					gomem_free_bulk(n, objs);
				else
					kmem_cache_free_bulk(x->cache, n, objs);
			}
			t = ktime_get_ns() - t;
			if (run)
				best[i] = min(best[i], t);
			cond_resched();
		}
	}
	row_fill(&r, best, rounds * n, x->failed);
	snprintf(name, sizeof(name), "bulk%u", n);
	row_print(name, x->size, "insn", &r);
}

/*
 * remote: this CPU allocates a batch, a kthread on another CPU frees it,
 * and each side times its own half.  Under icount the CPU that waits is
 * idle and executes nothing, so the halves add up to the instructions
 * spent per object.
 */
#define REMOTE_BATCH	256

struct remote_ctx {
	struct bench_ctx *x;
	enum peer peer;
	bool stop;
	u64 free_ns;
	struct completion go, done;
};

static int remote_freer(void *arg)
{
	struct remote_ctx *rc = arg;

	for (;;) {
		wait_for_completion(&rc->go);
		if (rc->stop)
			break;
		rc->free_ns = run_loop(rc->peer, rc->x, L_FREES, REMOTE_BATCH);
		complete(&rc->done);
	}
	complete(&rc->done);
	return 0;
}

static void bench_remote(struct bench_ctx *x)
{
	static const enum peer peers[] = { P_NONE, P_GOMEM, P_KMALLOC, P_CONST, P_CACHE };
	unsigned int rounds = max(iters / REMOTE_BATCH, 1U), run, i, k;
	unsigned int there = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	struct remote_ctx rc = { .x = x };
	struct task_struct *task;
	u64 best[NR_PEERS], t;
	struct bench_row r;
	enum peer peer;

	if (there >= nr_cpu_ids) {
		pr_info("remote: needs a second CPU, skipped\n");
		return;
	}
	init_completion(&rc.go);
	init_completion(&rc.done);
	task = kthread_run_on_cpu(remote_freer, &rc, there, "gomem_bench/%u");
	if (IS_ERR(task)) {
		pr_err("remote: no kthread (%ld)\n", PTR_ERR(task));
		return;
	}
	for (i = 0; i < NR_PEERS; i++)
		best[i] = U64_MAX;
	for (run = 0; run <= RUNS; run++) {
		for (i = 0; i < ARRAY_SIZE(peers); i++) {
			peer = peers[i];
			if (!peer_applies(peer, x))
				continue;
			rc.peer = peer;
			for (t = 0, k = 0; k < rounds && !x->failed; k++) {
				t += run_loop(peer, x, L_ALLOCS, REMOTE_BATCH);
				if (!all_there(x, peer, REMOTE_BATCH))
					break;
				complete(&rc.go);
				wait_for_completion(&rc.done);
				t += rc.free_ns;
			}
			if (run)
				best[peer] = min(best[peer], t);
			cond_resched();
		}
	}
	rc.stop = true;
	complete(&rc.go);
	wait_for_completion(&rc.done);
	kthread_stop(task);
	row_fill(&r, best, rounds * REMOTE_BATCH, x->failed);
	row_print("remote", x->size, "insn", &r);
}

/*
 * concurrent: a kthread on every online CPU allocates and frees at once,
 * in batches of CONC_BATCH; the figure is the wall time from the common
 * start to the last thread's end, per object each CPU handled.
 */
#define CONC_BATCH	64

struct conc_ctx {
	struct bench_ctx *x;
	unsigned int ops;	/* objects per CPU, a multiple of CONC_BATCH */
	enum peer peer;
	atomic_t left;
	struct completion start, done;
	bool failed;
};

static __always_inline void conc_loop(const enum peer peer, struct conc_ctx *cc)
{
	void *local[CONC_BATCH];
	unsigned int i, k;

	for (k = 0; k < cc->ops / CONC_BATCH; k++) {
		for (i = 0; i < CONC_BATCH; i++)
			local[i] = b_alloc(peer, cc->x->size, cc->x->cache);
		for (i = 0; i < CONC_BATCH; i++) {
			if (unlikely(!local[i]))
				cc->failed = true;
			else
				b_free(peer, local[i], cc->x->cache);
		}
	}
}

static int conc_thread(void *arg)
{
	struct conc_ctx *cc = arg;

	wait_for_completion(&cc->start);
	if (cc->peer == P_GOMEM)
		conc_loop(P_GOMEM, cc);
	else if (cc->peer == P_KMALLOC)
		conc_loop(P_KMALLOC, cc);
	else
		conc_loop(P_CACHE, cc);
	if (atomic_dec_and_test(&cc->left))
		complete(&cc->done);
	return 0;
}

/*
 * Objects per CPU: conc_ops, but no more than 64 MiB worth, so that big
 * sizes do not take minutes.
 */
static unsigned int conc_n(const struct bench_ctx *x)
{
	size_t n = max_t(size_t, SZ_64M / x->size, 16 * CONC_BATCH);

	return rounddown(min_t(size_t, n, conc_ops), CONC_BATCH) ?: CONC_BATCH;
}

/* Wall nanoseconds for every online CPU to do conc_n() objects, or 0. */
static u64 conc_run(struct bench_ctx *x, enum peer peer)
{
	struct conc_ctx cc = { .x = x, .ops = conc_n(x), .peer = peer };
	unsigned int cpu, n = 0, i, max = num_online_cpus();
	struct task_struct **task;
	u64 t;

	task = kcalloc(max, sizeof(*task), GFP_KERNEL);
	if (!task) {
		x->failed = true;
		return 0;
	}
	init_completion(&cc.start);
	init_completion(&cc.done);
	for_each_online_cpu(cpu) {
		if (n == max)
			break;
		task[n] = kthread_create_on_cpu(conc_thread, &cc, cpu, "gomem_conc/%u");
		if (IS_ERR(task[n])) {
			/* None has run yet: stopping them never calls them. */
			for (i = 0; i < n; i++)
				kthread_stop(task[i]);
			kfree(task);
			x->failed = true;
			return 0;
		}
		n++;
	}
	atomic_set(&cc.left, n);
	for (i = 0; i < n; i++)
		wake_up_process(task[i]);
	kfree(task);
	t = ktime_get_ns();
	complete_all(&cc.start);
	wait_for_completion(&cc.done);
	t = ktime_get_ns() - t;
	x->failed |= cc.failed;
	return t;
}

static void bench_concurrent(struct bench_ctx *x)
{
	static const enum peer peers[] = { P_GOMEM, P_KMALLOC, P_CACHE };
	u64 best[NR_PEERS], t;
	unsigned int run, i;
	struct bench_row r;

	for (i = 0; i < NR_PEERS; i++)
		best[i] = U64_MAX;
	for (run = 0; run <= 3; run++) {
		for (i = 0; i < ARRAY_SIZE(peers); i++) {
			if (!peer_applies(peers[i], x))
				continue;
			t = conc_run(x, peers[i]);
			if (run)
				best[peers[i]] = min(best[peers[i]], t);
		}
	}
	row_fill(&r, best, conc_n(x), x->failed);
	row_print("concurrent", x->size, "ns", &r);
}

static bool want(const char *test)
{
	size_t n = strlen(test);
	const char *t = tests;

	while ((t = strstr(t, test))) {
		if ((t == tests || t[-1] == ',') && (t[n] == ',' || !t[n]))
			return true;
		t += n;
	}
	return false;
}

static int bench_size(size_t size)
{
	struct bench_ctx x = { .size = size };
	char name[32];

	if (size <= CACHE_MAX) {
		snprintf(name, sizeof(name), "gomem_bench_%zu", size);
		x.cache = kmem_cache_create(name, size, 0, 0, NULL);
		if (!x.cache)
			return -ENOMEM;
	}
	if (want("pair"))
		bench_pair(&x);
	if (want("batch256"))
		bench_batch(&x, 256);
	if (want("batch4096"))
		bench_batch(&x, MAX_BATCH);
	if (want("bulk16"))
		bench_bulk(&x, 16);
	if (want("bulk128"))
		bench_bulk(&x, 128);
	if (want("remote"))
		bench_remote(&x);
	if (want("concurrent"))
		bench_concurrent(&x);
	kmem_cache_destroy(x.cache);
	if (x.failed)
		pr_err("size %zu: an allocation failed; its figures are left out\n",
		       size);
	return 0;
}

static int __init gomem_bench_init(void)
{
	unsigned int i, j;
	int err = 0;

	if (!iters)
		return -EINVAL;
	if (!nr_sizes) {
		memcpy(sizes, known_sizes, sizeof(sizes));
		nr_sizes = ARRAY_SIZE(known_sizes);
	}
	for (i = 0; i < nr_sizes; i++) {
		for (j = 0; j < ARRAY_SIZE(known_sizes); j++)
			if (sizes[i] == known_sizes[j])
				break;
		if (j == ARRAY_SIZE(known_sizes)) {
			pr_err("size %u is not one the benchmark knows\n", sizes[i]);
			return -EINVAL;
		}
	}
	objs = vcalloc(MAX_BATCH, sizeof(void *));
	if (!objs)
		return -ENOMEM;
	for (i = 0; i < nr_sizes && !err; i++)
		err = bench_size(sizes[i]);
	vfree(objs);
	pr_info("done\n");
	return err;
}

static void __exit gomem_bench_exit(void)
{
}

module_init(gomem_bench_init);
module_exit(gomem_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A microbenchmark of gomem against SLUB, for make bench");
