// SPDX-License-Identifier: GPL-2.0
/*
 * fail_gomem: fault injection for gomem's requests to the page
 * allocator, as failslab is for the slab allocator.
 *
 * The kernel's fault-injection framework exists only in kernels built
 * with CONFIG_FAULT_INJECTION, which Debian's is not, and gomem's stress
 * test needs failures everywhere.  So gomem carries its own, with the
 * framework's attribute names and meaning (see the kernel's
 * Documentation/fault-injection/fault-injection.rst), in debugfs as
 * /sys/kernel/debug/fail_gomem/:
 *
 *	probability	percent of the requests that pass the tests below
 *			which fail (0: off, the default)
 *	interval	fail only every interval-th such request
 *	times		failures left; -1 for no limit
 *	space		requests let through before any fails
 *	min-order	fail only requests of this order or more (default 0)
 *	verbose		1: log each failure (ratelimited)
 *	injected	failures injected so far (read only)
 *
 * Every request counts as one, whatever its size, and whatever the
 * context: sleeping, atomic or in a hard interrupt.  Off, it costs one
 * read on a path that is about to call the page allocator anyway.
 *
 * fail_load, a parameter of insmod's, fails the load itself: the load's
 * Nth point of failure (each allocation or registration gomem_init()
 * makes, counted in the order it makes them) fails as if out of memory,
 * so that every unwinding path can be run, as i915's
 * inject_probe_failure runs a driver's.  It is spent by the end of the
 * load: a CPU that comes online later never fails for it.
 */
#define pr_fmt(fmt) "gomem: " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/random.h>

#include "gomem_internal.h"

struct gomem_fault gomem_fail = {
	.interval = ATOMIC_INIT(1),
	.times = ATOMIC_INIT(-1),
};
EXPORT_SYMBOL_IF_KUNIT(gomem_fail);

static struct dentry *fail_dir;

static unsigned int fail_load;
module_param(fail_load, uint, 0444);
MODULE_PARM_DESC(fail_load,
		 "Fail the load at its Nth allocation or registration, as if out of memory, to test that a failed load leaves nothing behind (0: never, the default)");

/*
 * Is this the load's fail_load-th point of failure?  Only gomem_init()
 * and what it calls count, one after another, with no other gomem code
 * running yet; gomem_load_done() spends what is left.
 */
bool gomem_load_fails(void)
{
	return fail_load && !--fail_load;
}

void gomem_load_done(void)
{
	fail_load = 0;
}

bool gomem_should_fail(unsigned int order)
{
	struct gomem_fault *f = &gomem_fail;
	int prob = atomic_read(&f->probability), interval;

	if (likely(!prob))
		return false;
	if (order < READ_ONCE(f->min_order))
		return false;
	if (!atomic_read(&f->times))
		return false;
	if (atomic_read(&f->space) > 0 && atomic_dec_return(&f->space) >= 0)
		return false;
	if (prob < 100 && get_random_u32() % 100 >= prob)
		return false;
	interval = atomic_read(&f->interval);
	if (interval > 1 && atomic_inc_return(&f->count) % interval)
		return false;
	/* times == -1 stays -1: no limit. */
	if (atomic_read(&f->times) != -1 && atomic_dec_if_positive(&f->times) < 0)
		return false;
	atomic_inc(&f->injected);
	if (READ_ONCE(f->verbose))
		pr_info_ratelimited("fail_gomem: forcing a failure\n");
	return true;
}

void gomem_fault_init(void)
{
	fail_dir = debugfs_create_dir("fail_gomem", NULL);
	debugfs_create_atomic_t("probability", 0600, fail_dir, &gomem_fail.probability);
	debugfs_create_atomic_t("interval", 0600, fail_dir, &gomem_fail.interval);
	debugfs_create_atomic_t("times", 0600, fail_dir, &gomem_fail.times);
	debugfs_create_atomic_t("space", 0600, fail_dir, &gomem_fail.space);
	debugfs_create_u32("min-order", 0600, fail_dir, &gomem_fail.min_order);
	debugfs_create_u32("verbose", 0600, fail_dir, &gomem_fail.verbose);
	debugfs_create_atomic_t("injected", 0400, fail_dir, &gomem_fail.injected);
}

void gomem_fault_exit(void)
{
	debugfs_remove_recursive(fail_dir);
}
