// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 5.11 ("PCI: Cache ACS capability offset in device") added
 * pci_dev::acs_cap; older kernels need pci_find_ext_capability().
 */
#include <linux/module.h>
#include <linux/pci.h>

int probe_fn(struct pci_dev *pdev);
int probe_fn(struct pci_dev *pdev)
{
	return pdev->acs_cap;
}

MODULE_LICENSE("GPL");
