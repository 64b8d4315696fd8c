// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel dropped pfn_t after 6.12 (7.2 has no <linux/pfn_t.h>), and
 * with it vmf_insert_mixed() went from a pfn_t (6.1, 6.12: built with
 * __pfn_to_pfn_t()) to a plain unsigned long pfn.
 */
#include <linux/mm.h>
#include <linux/module.h>

vm_fault_t probe_fn(struct vm_area_struct *vma, unsigned long addr,
		    unsigned long pfn);
vm_fault_t probe_fn(struct vm_area_struct *vma, unsigned long addr,
		    unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, pfn);
}

MODULE_LICENSE("GPL");
