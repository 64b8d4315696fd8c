// SPDX-License-Identifier: GPL-2.0
/*
 * bench-detectors: a test-only module that does, on purpose, one thing the
 * debug kernel's detectors must catch. It is never loaded in normal runs;
 * the bench's detector self-test loads it with trigger=leak|lockdep|kasan
 * and expects the run to fail, proving each detector is alive.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *trigger = "";
module_param(trigger, charp, 0444);
MODULE_PARM_DESC(trigger, "what to do wrong: leak, lockdep or kasan");

/* Lose the only reference to an allocation: kmemleak must report it. */
static void bench_leak(void)
{
	void *p = kmalloc(192, GFP_KERNEL);

	/* Keep the compiler from dropping the allocation. */
	if (p)
		memset(p, 0x5a, 192);
	pr_info("bench-detectors: leaked a 192-byte object\n");
}

/*
 * Take two locks in both orders from one thread. It cannot deadlock here,
 * but lockdep must report the inversion it would cause between threads.
 */
static DEFINE_MUTEX(bench_lock_a);
static DEFINE_MUTEX(bench_lock_b);

static void bench_lock_inversion(void)
{
	mutex_lock(&bench_lock_a);
	mutex_lock(&bench_lock_b);
	mutex_unlock(&bench_lock_b);
	mutex_unlock(&bench_lock_a);

	mutex_lock(&bench_lock_b);
	mutex_lock(&bench_lock_a);
	mutex_unlock(&bench_lock_a);
	mutex_unlock(&bench_lock_b);
	pr_info("bench-detectors: took two locks in both orders\n");
}

/* Read one byte past a slab object: KASAN must report it. */
static void bench_out_of_bounds(void)
{
	size_t size = 24;
	char *p = kmalloc(size, GFP_KERNEL);

	if (!p)
		return;
	/* Hide the index from the compiler, which would reject the overflow. */
	OPTIMIZER_HIDE_VAR(size);
	pr_info("bench-detectors: read %d past the end\n", READ_ONCE(p[size]));
	kfree(p);
}

static int __init bench_detectors_init(void)
{
	if (!strcmp(trigger, "leak"))
		bench_leak();
	else if (!strcmp(trigger, "lockdep"))
		bench_lock_inversion();
	else if (!strcmp(trigger, "kasan"))
		bench_out_of_bounds();
	else
		return -EINVAL;
	return 0;
}

static void __exit bench_detectors_exit(void)
{
}

module_init(bench_detectors_init);
module_exit(bench_detectors_exit);
MODULE_DESCRIPTION("Test-only: trips KASAN, lockdep or kmemleak on purpose");
MODULE_LICENSE("GPL");
