// SPDX-License-Identifier: GPL-2.0
/*
 * bar-hold: a test-only module that holds the memory region of one BAR of
 * one PCI device for as long as it is loaded, as another driver claiming
 * that address range would.  vfio-pci's own claim of the BAR
 * (pci_request_selected_regions(), at open or on first use) then fails
 * with -EBUSY, and the BAR must not be exportable as a dma-buf.
 *
 *   modprobe bar-hold dev=0000:00:05.0 bar=2
 *
 * Load it while the device is bound to a VFIO driver but not open (an open
 * device already holds its BARs: the load then fails with -EBUSY); unload
 * it with the device closed again.
 */
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/pci.h>

static char *dev;
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "PCI device (DDDD:BB:DD.F) whose BAR to hold");

static unsigned int bar;
module_param(bar, uint, 0444);
MODULE_PARM_DESC(bar, "BAR to hold (0-5; a memory BAR)");

static struct pci_dev *held_pdev;
static struct resource *held;

static int __init bar_hold_init(void)
{
	unsigned int domain, bus, slot, fn;
	struct pci_dev *pdev;

	if (!dev || sscanf(dev, "%x:%x:%x.%x", &domain, &bus, &slot,
			   &fn) != 4 || bar >= PCI_STD_NUM_BARS)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENODEV;
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
	    !pci_resource_len(pdev, bar)) {
		pci_dev_put(pdev);
		return -EINVAL;
	}
	/*
	 * A busy child of the BAR's resource, as pci_request_region() would
	 * make: any later claim of an overlapping range conflicts with it.
	 */
	held = request_mem_region(pci_resource_start(pdev, bar),
				  pci_resource_len(pdev, bar), "bar-hold");
	if (!held) {
		pci_dev_put(pdev);
		return -EBUSY;
	}
	held_pdev = pdev;
	pci_info(pdev, "bar-hold: holding BAR%u %pR\n", bar, held);
	return 0;
}
module_init(bar_hold_init);

static void __exit bar_hold_exit(void)
{
	release_mem_region(held->start, resource_size(held));
	pci_info(held_pdev, "bar-hold: released BAR%u\n", bar);
	pci_dev_put(held_pdev);
}
module_exit(bar_hold_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test only: hold one BAR's memory region of a PCI device");
