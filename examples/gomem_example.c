// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_example.ko - how a module uses gomem, to copy from.
 *
 * It keeps a small table of "sessions", each a fixed-size record with a
 * name string and a buffer of a size of its own, and an index of them
 * that grows as sessions are added:
 *
 *  - the records come from one gomem_alloc_bulk() call: all or none;
 *  - names are short strings, 12 bytes, which land in the 16-byte class
 *    (only requests of 1 to 4 bytes go to the tiny allocator);
 *  - buffers use gomem_zalloc(), and gomem_size() tells how much of the
 *    allocation the session may really use;
 *  - the index grows with gomem_realloc(), which keeps its contents;
 *  - each online node gets a scratch area of its own memory, from
 *    gomem_alloc_node(), as kmalloc_node() would place it;
 *  - everything goes back with gomem_free() and gomem_free_bulk().
 *
 * While it is loaded, /proc/gomem shows its objects; `make demo` shows
 * it.  It uses GFP_KERNEL because it runs in process context; in an
 * interrupt handler it would use GFP_ATOMIC, and gomem would not sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/nodemask.h>

#include "gomem.h"

static unsigned int sessions = 1000;
module_param(sessions, uint, 0444);
MODULE_PARM_DESC(sessions, "Sessions to create at load (default 1000)");

struct session {
	u64 id;
	char *name;		/* a short string, 12 bytes */
	u8 *buf;		/* zeroed, of a size that varies */
	size_t buf_room;	/* what gomem_size() says the buffer holds */
};

static struct session **table;	/* the records, from one bulk call */
static struct session **index;	/* grows with gomem_realloc() */
static unsigned int nr_index;
static void *scratch[MAX_NUMNODES];	/* one per online node, on it */

#define SCRATCH_BYTES	256

static int index_add(struct session *s)
{
	struct session **bigger;

	/* Double the index when it is full; realloc keeps what it holds. */
	if (is_power_of_2(nr_index + 1)) {
		bigger = gomem_realloc(index, 2 * (nr_index + 1) * sizeof(*index),
				       GFP_KERNEL);
		if (!bigger)
			return -ENOMEM;
		index = bigger;
	}
	index[nr_index++] = s;
	return 0;
}

static void example_teardown(unsigned int made)
{
	unsigned int i;

	for (i = 0; i < made; i++) {
		gomem_free(table[i]->name);
		gomem_free(table[i]->buf);
	}
	if (table)
		gomem_free_bulk(sessions, (void **)table);
	kfree(table);
	gomem_free(index);
	for (i = 0; i < MAX_NUMNODES; i++)
		gomem_free(scratch[i]);
}

static int __init gomem_example_init(void)
{
	size_t room = 0;
	unsigned int i;
	int node;

	if (!sessions || sessions > 1000000)
		return -EINVAL;
	table = kcalloc(sessions, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	if (!gomem_alloc_bulk(sizeof(struct session), GFP_KERNEL, sessions,
			      (void **)table)) {
		kfree(table);
		table = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < sessions; i++) {
		struct session *s = table[i];

		s->id = i;
		s->name = gomem_alloc(12, GFP_KERNEL);
		s->buf = gomem_zalloc(40 + (i * 37) % 3000, GFP_KERNEL);
		if (!s->name || !s->buf || index_add(s)) {
			gomem_free(s->name);
			gomem_free(s->buf);
			goto fail;
		}
		snprintf(s->name, 12, "session%u", i % 10000);
		s->buf_room = gomem_size(s->buf);
		room += s->buf_room;
	}
	for_each_online_node(node) {
		scratch[node] = gomem_alloc_node(SCRATCH_BYTES, GFP_KERNEL, node);
		if (!scratch[node])
			goto fail;
	}
	pr_info("%u sessions, index of %zu bytes, %zu buffer bytes usable\n",
		sessions, gomem_size(index), room);
	return 0;
fail:
	example_teardown(i);
	return -ENOMEM;
}

static void __exit gomem_example_exit(void)
{
	example_teardown(sessions);
	pr_info("%u sessions freed\n", sessions);
}

module_init(gomem_example_init);
module_exit(gomem_example_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("An example client of the gomem allocator");
