// SPDX-License-Identifier: GPL-2.0
/*
 * Replays a kernel allocation trace through gomem or through kmalloc,
 * for `scripts/bench replay` (bench/replay.sh runs it in the guest and
 * measures the footprints around it).
 *
 * The trace is written to /proc/gomem_replay in the format of
 * ../shared/traces/README.md, one operation per line:
 *
 *	a ID SIZE ATOMIC	allocate SIZE bytes, with GFP_ATOMIC if ATOMIC
 *				is 1 (it is 0 or 1)
 *	f ID			free the object allocated as ID
 *
 * Fields are separated by spaces or tabs, and a line may end in CRLF.
 * IDs must increase from one allocation to the next, as they do in
 * traces recorded in allocation order; a free of an ID never allocated
 * is refused, and so is a line that is neither an operation nor a
 * command, or an operation with more after its fields, quoted in the
 * kernel log (bad_line()).  A last line with no newline would otherwise
 * swallow the command written after it, unseen: replay.sh ends every
 * trace with a newline of its own.  A request above
 * KMALLOC_MAX_SIZE is one that failed where it was traced (kmem:kmalloc
 * fires for failures too, and no kernel hands out more): it is replayed
 * as a request of nothing, which both allocators answer with
 * ZERO_SIZE_PTR, and counted as skipped.  Commands, written the same
 * way, drive it:
 *
 *	done		the trace is complete: find the peak, and release
 *			everything parsing used, so that a baseline taken
 *			after this sees none of it
 *	run ALLOC	replay with gomem, slub (kmalloc) or none (walk the
 *			trace, allocate nothing: the control) up to and
 *			including the operation where the live requested
 *			bytes peak, then stop with those objects live
 *	free		free every object the run left live
 *	reset		forget the trace (and free whatever is live)
 *
 * Reading the file gives one line of "key value" pairs: the trace's
 * size and peak, and the last run's allocator, its failures and its
 * nanoseconds to the peak and to free the rest (instructions, under
 * icount).  Every array is vmalloc'ed, so that the replay's own
 * bookkeeping never shows in /proc/slabinfo.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/ctype.h>

#include "../gomem.h"

struct rop {
	u32 slot;	/* which allocation: its index among the allocations */
	u32 size;	/* for an allocation */
	u8 free;
	u8 atomic;
};

enum replay_alloc { R_NONE, R_GOMEM, R_SLUB };
static const char *const alloc_names[] = { "none", "gomem", "slub" };

static DEFINE_MUTEX(replay_lock);	/* everything below */
static struct rop *ops;
static u32 nr_ops, cap_ops, nr_allocs, cap_ids;
static u64 *ids;			/* trace ID of each allocation */
static void **ptrs;			/* live object of each allocation */
static bool done, running;
static u32 peak_op, live_at_peak;
/* large_kib: kmalloc's pages above the caches */
static u64 peak_bytes, large_kib;
static enum replay_alloc last = R_NONE;
static u32 failures;
static u32 skipped;			/* requests no kernel could have served */
static u64 run_ns, free_ns;
static char partial[64];
static size_t partial_len;

/* Grow a vmalloc'ed array of n elements to hold at least one more. */
static int grow(void **arr, u32 *cap, u32 n, size_t elem)
{
	u32 ncap = max(*cap * 2, 1024U);
	void *p;

	if (n < *cap)
		return 0;
	p = vmalloc_array(ncap, elem);
	if (!p)
		return -ENOMEM;
	if (*arr)
		memcpy(p, *arr, (size_t)n * elem);
	vfree(*arr);
	*arr = p;
	*cap = ncap;
	return 0;
}

static void free_live(void)
{
	u64 t = ktime_get_ns();
	u32 i;

	for (i = 0; ptrs && i < nr_allocs; i++) {
		if (!ptrs[i])
			continue;
		if (last == R_GOMEM)
			gomem_free(ptrs[i]);
		else
			kfree(ptrs[i]);
		ptrs[i] = NULL;
	}
	free_ns = ktime_get_ns() - t;
	running = false;
}

static void reset(void)
{
	free_live();
	vfree(ops);
	vfree(ids);
	vfree(ptrs);
	ops = NULL;
	ids = NULL;
	ptrs = NULL;
	nr_ops = 0;
	cap_ops = 0;
	nr_allocs = 0;
	cap_ids = 0;
	skipped = 0;
	done = false;
	partial_len = 0;
}

/* The allocation a trace ID names, by binary search, or -1. */
static s64 slot_of(u64 id)
{
	u32 lo = 0, hi = nr_allocs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr_allocs && ids[lo] == id ? lo : -1;
}

/* A line that is neither an operation nor a command: say which. */
static int bad_line(const char *line)
{
	pr_err("after operation %u: \"%s\" is not \"a ID SIZE ATOMIC\", \"f ID\", done, run ALLOC, free or reset\n",
	       nr_ops, line);
	return -EINVAL;
}

static int parse_op(char *line)
{
	unsigned int size, atomic;
	unsigned long long id;
	struct rop *op;
	int err, end = 0;
	s64 slot;

	err = grow((void **)&ops, &cap_ops, nr_ops, sizeof(*ops));
	if (err)
		return err;
	op = &ops[nr_ops];
	memset(op, 0, sizeof(*op));
	if (line[0] == 'a') {
		/* ATOMIC is a flag: a 2 is a line misread, not "atomic". */
		if (sscanf(line, "a %llu %u %u%n", &id, &size, &atomic, &end) != 3 ||
		    line[end] || atomic > 1)
			return bad_line(line);
		if (nr_allocs && id <= ids[nr_allocs - 1]) {
			pr_err("line %u: allocation IDs must increase\n", nr_ops + 1);
			return -EINVAL;
		}
		err = grow((void **)&ids, &cap_ids, nr_allocs, sizeof(*ids));
		if (err)
			return err;
		ids[nr_allocs] = id;
		op->slot = nr_allocs++;
		if (size > KMALLOC_MAX_SIZE) {
			skipped++;
			size = 0;
		}
		op->size = size;
		op->atomic = atomic;
	} else {
		if (sscanf(line, "f %llu%n", &id, &end) != 1 || line[end])
			return bad_line(line);
		slot = slot_of(id);
		if (slot < 0) {
			pr_err("line %u: free of ID %llu, never allocated\n",
			       nr_ops + 1, id);
			return -EINVAL;
		}
		op->slot = slot;
		op->free = 1;
	}
	nr_ops++;
	return 0;
}

/*
 * The trace is complete: find its peak and what kmalloc hands to the
 * page allocator there, and release the parsing arrays.
 */
static int finish(void)
{
	u64 live = 0, *sizes;
	u32 i, n = 0, best_n = 0;

	if (done || !nr_ops)
		return -EINVAL;
	ptrs = vzalloc(array_size(nr_allocs, sizeof(*ptrs)));
	sizes = vzalloc(array_size(nr_allocs, sizeof(*sizes)));
	if (!ptrs || !sizes) {
		vfree(sizes);
		return -ENOMEM;
	}
	peak_bytes = 0;
	peak_op = 0;
	for (i = 0; i < nr_ops; i++) {
		/* A skipped request (size 0) leaves no object live. */
		if (ops[i].free) {
			live -= sizes[ops[i].slot];
			n -= !!sizes[ops[i].slot];
			sizes[ops[i].slot] = 0;
		} else {
			sizes[ops[i].slot] = ops[i].size;
			live += ops[i].size;
			n += !!ops[i].size;
		}
		if (live > peak_bytes) {
			peak_bytes = live;
			peak_op = i;
			best_n = n;
		}
	}
	/* Replay the sizes to the peak once more, to see what is live there. */
	memset(sizes, 0, array_size(nr_allocs, sizeof(*sizes)));
	for (i = 0; i <= peak_op; i++)
		sizes[ops[i].slot] = ops[i].free ? 0 : ops[i].size;
	large_kib = 0;
	for (i = 0; i < nr_allocs; i++)
		if (sizes[i] > KMALLOC_MAX_CACHE_SIZE)
			large_kib += (PAGE_SIZE << get_order(sizes[i])) >> 10;
	vfree(sizes);
	live_at_peak = best_n;
	vfree(ids);
	ids = NULL;
	cap_ids = 0;
	done = true;
	return 0;
}

static __always_inline void *replay_alloc(enum replay_alloc a, size_t size,
					  gfp_t gfp)
{
	if (a == R_GOMEM)
		return gomem_alloc(size, gfp);
	return kmalloc(size, gfp);
}

static __always_inline void replay_free(enum replay_alloc a, void *p)
{
	if (a == R_GOMEM)
		gomem_free(p);
	else
		kfree(p);
}

/* The operations up to the peak, one allocator's way; nanoseconds. */
static __always_inline u64 play(const enum replay_alloc a)
{
	const struct rop *op;
	u64 t = ktime_get_ns();
	void *p;
	u32 i;

	for (i = 0; i <= peak_op; i++) {
		op = &ops[i];
		if (a == R_NONE) {
			p = ops;
			OPTIMIZER_HIDE_VAR(p);
			continue;
		}
		if (op->free) {
			replay_free(a, ptrs[op->slot]);
			ptrs[op->slot] = NULL;
		} else {
			p = replay_alloc(a, op->size,
					 op->atomic ? GFP_ATOMIC : GFP_KERNEL);
			failures += !p;
			ptrs[op->slot] = p;
		}
	}
	return ktime_get_ns() - t;
}

static int run(const char *name)
{
	int a = match_string(alloc_names, ARRAY_SIZE(alloc_names), name);

	if (a < 0 || !done || running)
		return -EINVAL;
	last = a;
	failures = 0;
	running = true;
	if (a == R_GOMEM)
		run_ns = play(R_GOMEM);
	else if (a == R_SLUB)
		run_ns = play(R_SLUB);
	else
		run_ns = play(R_NONE);
	free_ns = 0;
	return 0;
}

static int command(char *line)
{
	line = strim(line);
	if (!*line)
		return 0;
	if ((line[0] == 'a' || line[0] == 'f') && isspace(line[1]))
		return done ? -EBUSY : parse_op(line);
	if (!strcmp(line, "done"))
		return finish();
	if (!strncmp(line, "run ", 4))
		return run(line + 4);
	if (!strcmp(line, "free")) {
		if (!running)
			return -EINVAL;
		free_live();
		return 0;
	}
	if (!strcmp(line, "reset")) {
		reset();
		return 0;
	}
	return bad_line(line);
}

static ssize_t replay_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *pos)
{
	char buf[256];
	size_t n, i, done_len = 0;
	int err = 0;

	mutex_lock(&replay_lock);
	while (done_len < len && !err) {
		n = min(len - done_len, sizeof(buf));
		if (copy_from_user(buf, ubuf + done_len, n)) {
			err = -EFAULT;
			break;
		}
		for (i = 0; i < n && !err; i++) {
			if (buf[i] != '\n') {
				if (partial_len == sizeof(partial) - 1)
					err = -EINVAL;
				else
					partial[partial_len++] = buf[i];
				continue;
			}
			partial[partial_len] = 0;
			partial_len = 0;
			err = command(partial);
		}
		done_len += n;
	}
	if (err)
		partial_len = 0;
	mutex_unlock(&replay_lock);
	return err ?: len;
}

static int replay_show(struct seq_file *m, void *v)
{
	mutex_lock(&replay_lock);
	seq_printf(m, "ops %u allocs %u skipped %u peak_op %u peak_bytes %llu live_at_peak %u kmalloc_large_kib %llu alloc %s running %d failures %u run_ns %llu free_ns %llu\n",
		   nr_ops, nr_allocs, skipped, peak_op, peak_bytes,
		   live_at_peak, large_kib, alloc_names[last], running,
		   failures, run_ns, free_ns);
	mutex_unlock(&replay_lock);
	return 0;
}

static int replay_open(struct inode *inode, struct file *file)
{
	return single_open(file, replay_show, NULL);
}

static const struct proc_ops replay_fops = {
	.proc_open = replay_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = replay_write,
};

static int __init gomem_replay_init(void)
{
	if (!proc_create("gomem_replay", 0600, NULL, &replay_fops))
		return -ENOMEM;
	return 0;
}

static void __exit gomem_replay_exit(void)
{
	remove_proc_entry("gomem_replay", NULL);
	reset();
}

module_init(gomem_replay_init);
module_exit(gomem_replay_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Replays a kernel allocation trace through gomem or kmalloc, for scripts/bench replay");
