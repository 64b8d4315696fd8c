// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.11 ("PCI: Add managed pcim_iomap_region()") added a managed
 * request-and-map of one BAR returning the mapping or an ERR_PTR; before,
 * pcim_iomap_regions() with a BAR mask and pcim_iomap_table() did it.
 */
#include <linux/module.h>
#include <linux/pci.h>

void __iomem *probe_fn(struct pci_dev *pdev);
void __iomem *probe_fn(struct pci_dev *pdev)
{
	return pcim_iomap_region(pdev, 0, "probe");
}

MODULE_LICENSE("GPL");
