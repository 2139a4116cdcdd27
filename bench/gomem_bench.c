// SPDX-License-Identifier: GPL-2.0
/*
 * A microbenchmark of the allocation and free paths: gomem against
 * kmalloc (SLUB) in the same boot.  scripts/bench (make bench) loads it
 * in a guest run with -icount shift=0, where the guest clock advances one
 * nanosecond per instruction, so its figures are instruction counts and
 * come out the same from run to run however busy the host is.
 *
 * For each size, two patterns, each timed over about "iters" allocations
 * and frees and reported per allocation and free, as the fewest of five
 * runs (a timer tick that lands in a run adds its instructions to that
 * run only):
 *
 *	pair	allocate one object and free it: both fast paths, hot
 *	batch	allocate BATCH objects, then free them all: the per-CPU
 *		caches empty and fill, so refills and flushes are included
 *
 * One line per size and pattern: "gomem_bench: PATTERN SIZE GOMEM KMALLOC".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/ktime.h>

#include "../gomem.h"

#define BATCH	256
#define RUNS	5

static unsigned int sizes[16] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096 };
static int nr_sizes = 12;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "Sizes to measure, in bytes (up to 16; default 8 to 4096)");

static unsigned int iters = 2000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Allocations per run and pattern (default 2000)");

static void *objs[BATCH];

/*
 * Direct calls, not through pointers: an indirect call costs a retpoline
 * thunk on Debian's kernel and would blur the comparison.
 */
static __always_inline void *bench_alloc(bool gomem, size_t size)
{
	return gomem ? gomem_alloc(size, GFP_KERNEL) : kmalloc(size, GFP_KERNEL);
}

static __always_inline void bench_free(bool gomem, const void *p)
{
	if (gomem)
		gomem_free(p);
	else
		kfree(p);
}

/* Nanoseconds (instructions, under icount) per allocation and free. */
static u64 bench_run(bool gomem, size_t size, bool batch)
{
	unsigned int n = batch ? BATCH : 1, rounds = max(iters / n, 1U), i, j;
	u64 t, best = U64_MAX;
	int run;

	for (run = 0; run < RUNS; run++) {
		t = ktime_get_ns();
		for (i = 0; i < rounds; i++) {
			for (j = 0; j < n; j++)
				objs[j] = bench_alloc(gomem, size);
			for (j = 0; j < n; j++)
				bench_free(gomem, objs[j]);
		}
		t = ktime_get_ns() - t;
		best = min(best, t);
		cond_resched();
	}
	return div_u64(best, (u64)rounds * n);
}

static int __init gomem_bench_init(void)
{
	unsigned int s;
	int batch;

	if (!iters)
		return -EINVAL;
	for (batch = 0; batch < 2; batch++)
		for (s = 0; s < nr_sizes; s++)
			pr_info("%s %u %llu %llu\n", batch ? "batch" : "pair",
				sizes[s], bench_run(true, sizes[s], batch),
				bench_run(false, sizes[s], batch));
	return 0;
}

static void __exit gomem_bench_exit(void)
{
}

module_init(gomem_bench_init);
module_exit(gomem_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A microbenchmark of gomem against kmalloc, for make bench");
