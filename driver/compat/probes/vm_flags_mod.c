// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 6.3 ("mm: introduce vma->vm_flags wrapper functions") made
 * vm_area_struct::vm_flags read-only outside mm and added vm_flags_set(),
 * vm_flags_clear() and vm_flags_mod(); before, drivers wrote vm_flags.
 */
#include <linux/mm.h>
#include <linux/module.h>

void probe_fn(struct vm_area_struct *vma);
void probe_fn(struct vm_area_struct *vma)
{
	vm_flags_mod(vma, VM_IO, VM_MAYWRITE);
}

MODULE_LICENSE("GPL");
