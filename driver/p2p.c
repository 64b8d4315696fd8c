// SPDX-License-Identifier: GPL-2.0-only
/*
 * Peer-to-peer topology: how (and whether) an importer device can reach a
 * BAR of the exporter.
 *
 * - Both devices below a common upstream bridge (a switch port or a root
 *   port), or one device, and no ACS redirect (RR, CR or EC enabled) on
 *   either path: the importer uses the PCI bus address, no IOMMU involved
 *   (VPD_MAP_BUS).  As upstream (7.2, calc_map_type_and_dist()).
 * - Otherwise the traffic goes up to the host bridge.  That only works on
 *   root complexes known to route peer-to-peer (the list below, AMD Zen and
 *   newer, any Google device) or named by the administrator in the
 *   p2p_host_bridges module parameter (VPD_MAP_HOST_BRIDGE).
 * - Anything else, including a non-PCI importer: VPD_MAP_UNSUPPORTED.
 *
 * A verdict is made in two steps.  Attach walks the PCI bus: is there a bus
 * path, and if not, which host bridge devices are on the way
 * (vpd_p2p_verdict()).  Then the allow lists decide (vpd_hb_decide()).  The
 * second step alone is repeated by map when p2p_host_bridges changed since
 * (vpd_p2p_refresh()): map runs under the buffer's resv lock, where the bus
 * walk must not happen (pci_get_slot() takes pci_bus_sem, which the AER
 * core holds around our error handlers while they take ctx->lock and then
 * resv locks: resv -> pci_bus_sem would close that cycle).
 *
 * The first step's result for an importer is cached in the exporter's
 * context, keyed by the importer's PCI domain/bus/devfn (vpd_p2p_key()).
 * It does not depend on the allow list, but on the device at that address:
 * an entry is used only while no PCI device has been removed since it was
 * computed (vpd_p2p_topo_gen), so a device hot-added at the address of a
 * removed one is judged afresh.
 */
#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "vpd.h"

#define VPD_MAX_HB_PARAM	16

#ifndef PCI_VENDOR_ID_GOOGLE
#define PCI_VENDOR_ID_GOOGLE	0x1ae0
#endif

struct vpd_hb_id {
	u16 vendor;
	u16 device;
};

/* Administrator allow list, guarded by vpd_hb_lock. */
static DEFINE_SPINLOCK(vpd_hb_lock);
static struct vpd_hb_id vpd_hb_param[VPD_MAX_HB_PARAM];
static unsigned int vpd_hb_param_nr;
static char vpd_hb_param_str[VPD_MAX_HB_PARAM * 10 + 1];
/* Bumped on every change of the list: verdicts made before are stale. */
static atomic_t vpd_hb_gen = ATOMIC_INIT(0);

static int vpd_hb_param_set(const char *val, const struct kernel_param *kp)
{
	struct vpd_hb_id ids[VPD_MAX_HB_PARAM];
	char buf[sizeof(vpd_hb_param_str)];
	char str[sizeof(vpd_hb_param_str)];
	unsigned int nr = 0, i, len;
	char *p = buf, *tok;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -E2BIG;
	strim(buf);

	while ((tok = strsep(&p, ",")) != NULL) {
		unsigned int vendor, device;
		char extra;

		tok = strim(tok);
		if (!*tok)
			continue;
		if (nr == VPD_MAX_HB_PARAM)
			return -E2BIG;
		if (sscanf(tok, "%x:%x%c", &vendor, &device, &extra) != 2 ||
		    vendor > 0xffff || device > 0xffff)
			return -EINVAL;
		ids[nr].vendor = vendor;
		ids[nr].device = device;
		nr++;
	}

	/*
	 * Read back the list as parsed ("vvvv:dddd,..."), not as written:
	 * what the admin sees is what is in force (the raw string kept
	 * leading blanks, strim() only moves the start pointer).
	 */
	for (i = 0, len = 0; i < nr; i++)
		len += scnprintf(str + len, sizeof(str) - len, "%s%04x:%04x",
				 i ? "," : "", ids[i].vendor, ids[i].device);

	spin_lock(&vpd_hb_lock);
	memcpy(vpd_hb_param, ids, nr * sizeof(ids[0]));
	vpd_hb_param_nr = nr;
	memcpy(vpd_hb_param_str, str, sizeof(str));
	atomic_inc(&vpd_hb_gen);
	spin_unlock(&vpd_hb_lock);
	return 0;
}

static int vpd_hb_param_get(char *buffer, const struct kernel_param *kp)
{
	int ret;

	spin_lock(&vpd_hb_lock);
	ret = sysfs_emit(buffer, "%s\n", vpd_hb_param_str);
	spin_unlock(&vpd_hb_lock);
	return ret;
}

static const struct kernel_param_ops vpd_hb_param_ops = {
	.set = vpd_hb_param_set,
	.get = vpd_hb_param_get,
};

module_param_cb(p2p_host_bridges, &vpd_hb_param_ops, NULL, 0644);
MODULE_PARM_DESC(p2p_host_bridges,
		 "Extra host bridges (VVVV:DDDD,...) allowed to route peer-to-peer DMA between root ports");

static bool vpd_hb_param_match(u16 vendor, u16 device)
{
	bool found = false;
	unsigned int i;

	spin_lock(&vpd_hb_lock);
	for (i = 0; i < vpd_hb_param_nr; i++) {
		if (vpd_hb_param[i].vendor == vendor &&
		    vpd_hb_param[i].device == device) {
			found = true;
			break;
		}
	}
	spin_unlock(&vpd_hb_lock);
	return found;
}

/* Known-good root complexes (facts from upstream's p2pdma whitelist). */
static const struct {
	u16 vendor;
	u16 device;
	bool same_host_bridge;	/* only between devices of one host bridge */
} vpd_hb_known[] = {
	{ PCI_VENDOR_ID_INTEL, 0x3c00, true },
	{ PCI_VENDOR_ID_INTEL, 0x3c01, true },
	{ PCI_VENDOR_ID_INTEL, 0x2f00, true },
	{ PCI_VENDOR_ID_INTEL, 0x2f01, true },
	{ PCI_VENDOR_ID_INTEL, 0x2030, false },
	{ PCI_VENDOR_ID_INTEL, 0x2031, false },
	{ PCI_VENDOR_ID_INTEL, 0x2032, false },
	{ PCI_VENDOR_ID_INTEL, 0x2033, false },
	{ PCI_VENDOR_ID_INTEL, 0x2020, false },
	{ PCI_VENDOR_ID_INTEL, 0x09a2, false },
	/* Added upstream after 6.12 (7.2's list): DSA, IAX/IAA and QAT. */
	{ PCI_VENDOR_ID_INTEL, 0x0b25, false },	/* DSA SPR0 */
	{ PCI_VENDOR_ID_INTEL, 0x0cfe, false },	/* IAX SPR0 */
	{ PCI_VENDOR_ID_INTEL, 0x11fb, false },	/* DSA GNRD */
	{ PCI_VENDOR_ID_INTEL, 0x1212, false },	/* DSA DMR */
	{ PCI_VENDOR_ID_INTEL, 0x1216, false },	/* IAA DMR */
	{ PCI_VENDOR_ID_INTEL, 0x4940, false },	/* QAT 4xxx */
	{ PCI_VENDOR_ID_INTEL, 0x4942, false },	/* QAT 401xx */
	{ PCI_VENDOR_ID_INTEL, 0x4944, false },	/* QAT 402xx */
	{ PCI_VENDOR_ID_INTEL, 0x4946, false },	/* QAT 420xx */
	{ PCI_VENDOR_ID_INTEL, 0x4948, false },	/* QAT 6xxx */
};

static bool vpd_cpu_routes_p2p(void)
{
#ifdef CONFIG_X86
	/* AMD Zen (family 0x17) and newer route P2P through the root. */
	if (boot_cpu_data.x86_vendor == X86_VENDOR_AMD &&
	    boot_cpu_data.x86 >= 0x17)
		return true;
#endif
	return false;
}

/*
 * The device identifying a host bridge: the first device of its root bus,
 * if that is devfn 00.0 or a root port (same convention as upstream).
 * Returns a referenced pci_dev or NULL.
 */
static struct pci_dev *vpd_host_bridge_dev(struct pci_dev *pdev)
{
	struct pci_host_bridge *host = pci_find_host_bridge(pdev->bus);
	struct pci_dev *root;
	unsigned int devfn;

	if (!host || !host->bus)
		return NULL;

	for (devfn = 0; devfn < 256; devfn++) {
		root = pci_get_slot(host->bus, devfn);
		if (!root)
			continue;
		if (root->devfn == PCI_DEVFN(0, 0) ||
		    (pci_is_pcie(root) &&
		     pci_pcie_type(root) == PCI_EXP_TYPE_ROOT_PORT))
			return root;
		pci_dev_put(root);
		return NULL;
	}
	return NULL;
}

static bool vpd_hb_allowed(u16 vendor, u16 device, bool same_host_bridge)
{
	unsigned int i;

	if (vendor == PCI_VENDOR_ID_GOOGLE)
		return true;
	if (vpd_hb_param_match(vendor, device))
		return true;
	for (i = 0; i < ARRAY_SIZE(vpd_hb_known); i++) {
		if (vpd_hb_known[i].vendor != vendor ||
		    vpd_hb_known[i].device != device)
			continue;
		return same_host_bridge || !vpd_hb_known[i].same_host_bridge;
	}
	return false;
}

/*
 * First step, host-bridge part: the host bridge devices of both ends.
 * Reads the bus (pci_get_slot()): attach only, never under a resv lock.
 */
static void vpd_host_bridges_find(struct pci_dev *exp, struct pci_dev *imp,
				  struct vpd_p2p_verdict *v)
{
	struct pci_dev *hb;

	v->same_hb = pci_find_host_bridge(exp->bus) ==
		     pci_find_host_bridge(imp->bus);

	hb = vpd_host_bridge_dev(exp);
	if (hb) {
		v->hb_found = true;
		v->hb_vendor = hb->vendor;
		v->hb_device = hb->device;
		pci_dev_put(hb);
	}
	if (v->same_hb)
		return;
	hb = vpd_host_bridge_dev(imp);
	if (hb) {
		v->imp_hb_found = true;
		v->imp_hb_vendor = hb->vendor;
		v->imp_hb_device = hb->device;
		pci_dev_put(hb);
	}
}

/*
 * Second step for a host-bridge path: type and reason from what attach
 * found and the allow lists in force now.  Touches no device and does not
 * sleep (vpd_hb_lock is a spinlock), so map may call it under resv.
 */
static void vpd_hb_decide(struct vpd_p2p_verdict *v)
{
	v->type = VPD_MAP_HOST_BRIDGE;
	v->reason = VPD_P2P_OK;

	if (vpd_cpu_routes_p2p())
		return;

	if (!v->hb_found) {
		v->type = VPD_MAP_UNSUPPORTED;
		v->reason = VPD_P2P_NO_HB_DEV;
		return;
	}
	if (v->same_hb) {
		if (!vpd_hb_allowed(v->hb_vendor, v->hb_device, true)) {
			v->type = VPD_MAP_UNSUPPORTED;
			v->reason = VPD_P2P_HB_DENIED;
		}
		return;
	}
	if (!v->imp_hb_found ||
	    !vpd_hb_allowed(v->hb_vendor, v->hb_device, false) ||
	    !vpd_hb_allowed(v->imp_hb_vendor, v->imp_hb_device, false)) {
		v->type = VPD_MAP_UNSUPPORTED;
		v->reason = VPD_P2P_HB_DIFFERENT;
	}
}

static bool vpd_acs_redirect(struct pci_dev *pdev)
{
	int pos;
	u16 ctrl;

#ifdef HAVE_PCI_DEV_ACS_CAP
	pos = pdev->acs_cap;
#else
	pos = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ACS);
#endif
	if (!pos)
		return false;
	if (pci_read_config_word(pdev, pos + PCI_ACS_CTRL, &ctrl))
		return true;	/* cannot tell: assume the worst */
	return ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

/*
 * First step, bus part: whether @imp reaches @exp below a common upstream
 * bridge (any: a switch port, a root port, or the device itself) without
 * ACS redirect (v->via_hb false: bus address) or only through
 * the host bridge(s).  The references we hold on both devices keep their
 * upstream bridges alive during the walk.
 */
static void vpd_p2p_walk(struct pci_dev *exp, struct pci_dev *imp,
			 struct vpd_p2p_verdict *v)
{
	struct pci_dev *a, *b, *common = NULL;

	for (a = exp; a && !common; a = pci_upstream_bridge(a)) {
		for (b = imp; b; b = pci_upstream_bridge(b)) {
			if (a == b) {
				common = a;
				break;
			}
		}
	}

	/*
	 * No common bridge: through the host bridge.  A common root port
	 * counts like any other bridge, as upstream: two functions below one
	 * root port talk through it unless its ACS redirects them (which the
	 * kernel enables on root ports whenever an IOMMU is in use).
	 */
	if (!common)
		goto host_bridge;

	/* ACS on the exporter's path up to and including the common bridge. */
	for (a = exp; a; a = pci_upstream_bridge(a)) {
		if (vpd_acs_redirect(a))
			v->acs_redirect = true;
		if (a == common)
			break;
	}
	for (b = imp; b && b != common; b = pci_upstream_bridge(b)) {
		if (vpd_acs_redirect(b))
			v->acs_redirect = true;
	}
	if (!v->acs_redirect)
		return;

host_bridge:
	v->via_hb = true;
}

/*
 * Topology generation, bumped whenever a PCI device has been removed.  A
 * cache entry holds the generation its bus walk started in and counts
 * only while that is still the current one: once a device is gone, what
 * was found for its address may be wrong for the next device there (the
 * bridges above an address stay, but ACS is the new device's own, and a
 * bus number may come back below other bridges).
 *
 * One global counter rather than dropping the removed device's key from
 * every context: that would need a registry of live contexts with a lock
 * of its own, and an attach that walked the bus before the removal could
 * still store its entry after the drop.  A generation read before the
 * walk cannot be undone that way, and removals are rare: each costs every
 * exporter one bus walk per importer at the next attach.
 *
 * Bumped at BUS_NOTIFY_REMOVED_DEVICE: the device has left its driver and
 * the driver core's bus, and it is still on its PCI bus's devices list
 * (pci_destroy_dev() unlinks it after device_del() returns), so no new
 * device can have been scanned at its address yet.
 */
static atomic_t vpd_p2p_topo_gen = ATOMIC_INIT(0);

static int vpd_p2p_bus_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	if (action == BUS_NOTIFY_REMOVED_DEVICE)
		atomic_inc(&vpd_p2p_topo_gen);
	return NOTIFY_DONE;
}

static struct notifier_block vpd_p2p_nb = {
	.notifier_call = vpd_p2p_bus_notify,
};

/* Module init and exit. */
int vpd_p2p_init(void)
{
	return bus_register_notifier(&pci_bus_type, &vpd_p2p_nb);
}

void vpd_p2p_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &vpd_p2p_nb);
}

/*
 * Cache entries: xa value entries holding via_hb, acs_redirect and the
 * topology generation, truncated to what a value entry holds beside them
 * (61 bits on 64-bit, 29 on 32-bit: an entry would only be taken for
 * current again after 2^29 removals, while its device is still there).
 */
#define VPD_P2P_CACHE_VIA_HB	BIT(0)
#define VPD_P2P_CACHE_ACS	BIT(1)
#define VPD_P2P_CACHE_GEN_SHIFT	2
#define VPD_P2P_CACHE_GEN_MASK	((unsigned long)LONG_MAX >> VPD_P2P_CACHE_GEN_SHIFT)

/* Is @entry a cached result of generation @gen?  Its flags in *@val. */
static bool vpd_p2p_cache_current(void *entry, unsigned int gen,
				  unsigned long *val)
{
	if (!xa_is_value(entry))
		return false;
	*val = xa_to_value(entry);
	return *val >> VPD_P2P_CACHE_GEN_SHIFT == (gen & VPD_P2P_CACHE_GEN_MASK);
}

/*
 * Verdict for mapping the exporter's BARs for @importer.  May sleep (config
 * reads, pci_get_slot(), cache allocation); called from the attach op,
 * without the resv lock.
 */
void vpd_p2p_verdict(struct vpd_ctx *ctx, struct pci_dev *exporter,
		     struct device *importer, struct vpd_p2p_verdict *v)
{
	struct pci_dev *imp;
	unsigned long key, val;
	unsigned int topo;
	bool cacheable;
	void *entry;

	memset(v, 0, sizeof(*v));
	/* Before the walk: a removal during it makes the result stale. */
	topo = atomic_read(&vpd_p2p_topo_gen);
	/*
	 * Read before the allow list is: a change racing with this verdict
	 * leaves it with an older generation, and map decides again.
	 */
	v->gen = atomic_read(&vpd_hb_gen);
	if (!dev_is_pci(importer)) {
		v->type = VPD_MAP_UNSUPPORTED;
		v->reason = VPD_P2P_NOT_PCI;
		return;
	}
	imp = to_pci_dev(importer);

	cacheable = vpd_p2p_key(pci_domain_nr(imp->bus), pci_dev_id(imp),
				&key);
	entry = cacheable ? xa_load(&ctx->p2p_cache, key) : NULL;
	if (vpd_p2p_cache_current(entry, topo, &val)) {
		v->via_hb = val & VPD_P2P_CACHE_VIA_HB;
		v->acs_redirect = val & VPD_P2P_CACHE_ACS;
	} else {
		vpd_p2p_walk(exporter, imp, v);
		val = (v->via_hb ? VPD_P2P_CACHE_VIA_HB : 0) |
		      (v->acs_redirect ? VPD_P2P_CACHE_ACS : 0) |
		      (topo & VPD_P2P_CACHE_GEN_MASK) << VPD_P2P_CACHE_GEN_SHIFT;
		/* Best effort: a failed store only costs another walk. */
		if (cacheable)
			xa_store(&ctx->p2p_cache, key, xa_mk_value(val),
				 GFP_KERNEL);
	}

	if (!v->via_hb) {
		v->type = VPD_MAP_BUS;
		return;
	}
	vpd_host_bridges_find(exporter, imp, v);
	vpd_hb_decide(v);
}

/*
 * Bring @v up to date with the allow list: if p2p_host_bridges changed
 * since @v was decided, decide a host-bridge path again from what attach
 * found.  Walks no bus, allocates nothing and does not sleep: fit for map,
 * under the resv lock.  Only a host-bridge verdict changes, and only
 * between VPD_MAP_HOST_BRIDGE and VPD_MAP_UNSUPPORTED (a bus path or a
 * non-PCI importer does not depend on the list).
 */
void vpd_p2p_refresh(struct vpd_p2p_verdict *v)
{
	unsigned int gen = atomic_read(&vpd_hb_gen);

	if (v->gen == gen)
		return;
	v->gen = gen;
	if (v->via_hb)
		vpd_hb_decide(v);
}

/*
 * debugfs p2p_cache of an exporter (s->private is its ctx): one line per
 * cached importer whose entry is current (what its next attach would use),
 * "<domain>:<bus>:<dev>.<fn>: path <bus|host-bridge> acs-redirect
 * <yes|no>", in key order.  xa_for_each() takes the RCU read lock for each
 * step and no lock of ours is needed: entries are single values, replaced
 * whole.
 */
int vpd_p2p_cache_show(struct seq_file *s, void *unused)
{
	unsigned int topo = atomic_read(&vpd_p2p_topo_gen);
	struct vpd_ctx *ctx = s->private;
	unsigned long key, val;
	void *entry;

	xa_for_each(&ctx->p2p_cache, key, entry) {
		if (!vpd_p2p_cache_current(entry, topo, &val))
			continue;
		seq_printf(s, "%04lx:%02lx:%02lx.%lx: path %s acs-redirect %s\n",
			   key >> 16, (key >> 8) & 0xff, PCI_SLOT(key & 0xff),
			   PCI_FUNC(key & 0xff),
			   val & VPD_P2P_CACHE_VIA_HB ? "host-bridge" : "bus",
			   val & VPD_P2P_CACHE_ACS ? "yes" : "no");
	}
	return 0;
}

const char *vpd_map_type_name(enum vpd_map_type type)
{
	switch (type) {
	case VPD_MAP_BUS:
		return "bus";
	case VPD_MAP_HOST_BRIDGE:
		return "host-bridge";
	case VPD_MAP_UNSUPPORTED:
		return "unsupported";
	default:
		return "unknown";
	}
}

void vpd_p2p_log_refusal(struct pci_dev *exporter, struct device *importer,
			 const struct vpd_p2p_verdict *v)
{
	const char *acs = v->acs_redirect ? "ACS redirect on path, " : "";

	switch (v->reason) {
	case VPD_P2P_NOT_PCI:
		dev_info_ratelimited(&exporter->dev,
				     "dma-buf map refused: no P2P path to %s (importer is not a PCI device)\n",
				     dev_name(importer));
		break;
	case VPD_P2P_NO_HB_DEV:
		dev_info_ratelimited(&exporter->dev,
				     "dma-buf map refused: no P2P path to %s (%sno host bridge device)\n",
				     dev_name(importer), acs);
		break;
	case VPD_P2P_HB_DIFFERENT:
		dev_info_ratelimited(&exporter->dev,
				     "dma-buf map refused: no P2P path to %s (%sdifferent host bridges, not both allowed)\n",
				     dev_name(importer), acs);
		break;
	default:
		dev_info_ratelimited(&exporter->dev,
				     "dma-buf map refused: no P2P path to %s (%shost bridge %04x:%04x not allowed)\n",
				     dev_name(importer), acs, v->hb_vendor,
				     v->hb_device);
		break;
	}
}

/*
 * Record each BAR's physical window and, for memory BARs, the offset
 * between CPU physical and PCI bus addresses (non-zero on some non-x86
 * hosts).  The resources cannot move while a driver is bound.
 */
void vpd_bars_init(struct vpd_device *vd)
{
	struct pci_dev *pdev = vd->core.pdev;
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vpd_bar *bar = &vd->bars[i];

		bar->mem = pci_resource_flags(pdev, i) & IORESOURCE_MEM;
		bar->phys = pci_resource_start(pdev, i);
		bar->len = pci_resource_len(pdev, i);
		bar->bus_off = bar->mem && bar->len ?
			(u64)pci_bus_address(pdev, i) - (u64)bar->phys : 0;
	}
}

/*
 * Reserve and map BAR @i the way vfio-pci does on first use
 * (vfio_pci_core_setup_barmap()), when the first export of it asks: an
 * export needs the region reserved by vfio-pci (upstream: -ENODEV
 * otherwise).  Doing it at open instead made every open and close of the
 * device map and unmap each BAR (a 16 MiB ioremap() for the bench's
 * ivshmem), which stock vfio-pci of 6.1 and 6.12 does not: a variant
 * driver should cost nothing until a buffer is exported.  What we map
 * stays in barmap[] for vfio-pci's own read/write and mmap paths, and
 * vfio_pci_core_disable() (close) unmaps and releases it, as its own.
 *
 * vfio-pci's first use is not locked: a read, write or mmap of the BAR
 * by another thread of the owner may be between its request of the
 * region and its store to barmap[] while we try.  Our request then fails
 * with the region busy; we wait for barmap[] to show vfio-pci's mapping
 * (or the region to come free, if its ioremap() failed) a bounded number
 * of times.  The other way round, that thread's first use fails with
 * -EBUSY while we hold the region unmapped, as it would against a
 * concurrent first use of its own through another path (read vs mmap)
 * on stock vfio-pci.  ctx->lock serializes our own exports.
 *
 * On 7.x vfio_pci_core_enable() has already tried every BAR and left an
 * IOMEM_ERR_PTR() in barmap[] for one it could not reserve or map (the
 * region is someone else's); 6.1 and 6.12 leave NULL until first use.
 * Such a BAR is not ours to export, as upstream's vfio_pci_core_get_iomap()
 * check says, and is not retried here: 7.x's own paths keep the error.
 *
 * Returns whether the BAR is reserved by vfio-pci, mapped in barmap[].
 */
bool vpd_bar_reserve(struct vpd_device *vd, u32 i)
{
	struct pci_dev *pdev = vd->core.pdev;
	int tries = VPD_BAR_RESERVE_TRIES;
	void __iomem *io;

	lockdep_assert_held(&vd->ctx->lock);

	for (;;) {
		io = READ_ONCE(vd->core.barmap[i]);
		if (IS_ERR(io)) {
			pci_dbg(pdev, "BAR%u: not reserved by vfio-pci, not exportable\n",
				i);
			return false;
		}
		if (io)
			return true;
		if (!pci_request_selected_regions(pdev, 1 << i, "vfio"))
			break;
		if (!--tries) {
			pci_dbg(pdev, "BAR%u: region busy, not exportable\n", i);
			return false;
		}
		usleep_range(50, 100);
	}
	io = pci_iomap(pdev, i, 0);
	if (!io) {
		pci_dbg(pdev, "BAR%u: cannot be mapped, not exportable\n", i);
		pci_release_selected_regions(pdev, 1 << i);
		return false;
	}
	WRITE_ONCE(vd->core.barmap[i], io);
	return true;
}
