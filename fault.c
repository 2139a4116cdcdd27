// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for gomem's requests to the page allocator,
 * like failslab is for the slab allocator.  Built only in kernels with
 * CONFIG_FAULT_INJECTION; the attributes are in debugfs as
 * /sys/kernel/debug/fail_gomem/ (see
 * Documentation/fault-injection/fault-injection.rst).  Every time gomem
 * would call the page allocator it asks should_fail() first, with a size
 * of 1, so "space" counts requests: space=N lets N through, then fails.
 */
#include <linux/fault-inject.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/module.h>

#include "gomem_internal.h"

struct fault_attr gomem_fail = FAULT_ATTR_INITIALIZER;
EXPORT_SYMBOL_IF_KUNIT(gomem_fail);

static struct dentry *gomem_fail_dir;

bool gomem_should_fail(gfp_t gfp)
{
	return should_fail(&gomem_fail, 1);
}

void gomem_fault_init(void)
{
	gomem_fail_dir = fault_create_debugfs_attr("fail_gomem", NULL,
						   &gomem_fail);
	if (IS_ERR(gomem_fail_dir))
		gomem_fail_dir = NULL;
}

void gomem_fault_exit(void)
{
	debugfs_remove_recursive(gomem_fail_dir);
}
