// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.7 ("file: convert to SLAB_TYPESAFE_BY_RCU") made struct file
 * reusable right after it is freed and added get_file_active() to take a
 * reference only on a live file; before, get_file_rcu() was a macro doing
 * atomic_long_inc_not_zero() on the RCU-freed file.
 */
#include <linux/fs.h>
#include <linux/module.h>

struct file *probe_fn(struct file **f);
struct file *probe_fn(struct file **f)
{
	return get_file_active(f);
}

MODULE_LICENSE("GPL");
