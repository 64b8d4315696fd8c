// SPDX-License-Identifier: GPL-2.0-only
/*
 * "mm: introduce new flag to indicate wc safe" added VM_ALLOW_ANY_UNCACHED
 * (in 6.12, not in 6.1), which vfio-pci sets on its BAR mappings so that
 * KVM on arm64 may map them Normal-NC at stage 2.
 */
#include <linux/mm.h>
#include <linux/module.h>

unsigned long probe_fn(void);
unsigned long probe_fn(void)
{
	return VM_ALLOW_ANY_UNCACHED;
}

MODULE_LICENSE("GPL");
