// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.17 ("workqueue: Add new WQ_PERCPU flag") added WQ_PERCPU; later
 * kernels warn at alloc_workqueue() when a caller names neither WQ_PERCPU
 * nor WQ_UNBOUND, on the way to making unbound the default.
 */
#include <linux/module.h>
#include <linux/workqueue.h>

unsigned int probe_fn(void);
unsigned int probe_fn(void)
{
	return WQ_PERCPU;
}

MODULE_LICENSE("GPL");
