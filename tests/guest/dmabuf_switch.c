// SPDX-License-Identifier: GPL-2.0
/*
 * P2P below a switch (switch topology): edu and ivshmem each sit on a
 * downstream port of one x3130 switch. The exporter's verdict depends on
 * ACS redirect (RR, CR or EC in the ACS control register) of the ports
 * between the two devices and their common upstream port:
 *   - any redirect enabled: requests go up to the root complex, so the
 *     buffer is mapped through the host bridge ("host-bridge": an IOVA of
 *     the importer's IOMMU domain, allowed by p2p_host_bridges=8086:29c0);
 *   - none: the switch routes them itself, the importer gets the PCI bus
 *     address ("bus", no IOMMU mapping).
 * Linux turns RR/CR on in every port with an ACS capability when an IOMMU
 * is on; the plan boots this suite twice, plainly and with
 * pci=disable_acs_redir=<both downstream ports>. The test reads the ACS
 * control registers from config space to decide what to expect, so either
 * boot checks the verdict that matches its own state.
 *
 * What QEMU 7.2 gives: its xio3130 downstream ports have no ACS capability
 * at all (only pcie-root-port has one, see "-device xio3130-downstream,
 * help": no disable-acs property), so both boots see no redirect and the
 * verdict is "bus" in both; disable_acs_redir has nothing to clear. The
 * root port's ACS is read as a check that the config parser does find an
 * ACS capability where there is one.
 *
 * A bus address only works for requests that the switch routes peer to
 * peer before any IOMMU sees them. QEMU 7.2 sends every request of edu
 * through the vIOMMU, whatever the switch, so a bus address in a
 * translated domain is a DMAR fault. The plan therefore boots the switch
 * with iommu.passthrough=1: edu's requests go untranslated, as they would
 * through a real switch with ACS redirect off, and the data check proves
 * the bus address is the right one (in host-bridge mode an identity
 * dma_map_resource() works as well).
 *
 * Contract (issue 9): this is the bench's one P2P path that upstream's
 * exporter (EXPORTER=vfio-pci on 7.2) also takes, as q35's host bridge is
 * on no upstream list: below the switch it maps by bus address too. The
 * map type read from debugfs and the p2p_host_bridges parameter are ours
 * only; against upstream the sg address alone shows the bus mapping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fixture.h"
#include "kselftest_harness.h"

#define XFER			2048

/* Copy the BDF of the bridge @levels above @bdf into @out. */
static int upstream_of(const char *bdf, int levels, char *out, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (!realpath(path, real))
		return -errno;
	while (levels--)
		*strrchr(real, '/') = '\0';
	snprintf(out, len, "%s", basename(real));
	return 0;
}

/*
 * ACS control of @bdf from its config space (sysfs gives root the whole
 * 4 KiB of a PCIe function): -ENOENT when it has no ACS capability.
 */
static int acs_ctrl(const char *bdf)
{
	uint8_t cfg[4096];
	char path[PATH_MAX];
	unsigned int pos = 0x100, hops = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n < 0x104)
		return -ENOENT;	/* conventional PCI: no extended space */
	while (pos && pos + 8 <= (size_t)n && hops++ < 64) {
		uint32_t hdr;

		memcpy(&hdr, cfg + pos, 4);
		if (!hdr || hdr == ~0u)
			break;
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_ACS)
			return cfg[pos + PCI_ACS_CTRL] |
			       cfg[pos + PCI_ACS_CTRL + 1] << 8;
		pos = hdr >> 20;
	}
	return -ENOENT;
}

FIXTURE(sw)
{
	struct bench_vfio v;
	char bdf[32], edu[32];
	uint8_t *bar;
	size_t bar_size;
	int imp;
	const char *expect;	/* "bus" or "host-bridge" */
	uint64_t bar_bus;	/* ivshmem BAR2 bus address (x86: = CPU) */
};

/* Start of BAR @bar of @bdf from sysfs "resource". */
static int bar_start(const char *bdf, int bar, uint64_t *start)
{
	unsigned long long s = 0, e, f;
	char path[PATH_MAX], line[128];
	int i, ret = -ENOENT;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	for (i = 0; i <= bar && fgets(line, sizeof(line), fp); i++)
		if (i == bar && sscanf(line, "%llx %llx %llx", &s, &e, &f) == 3)
			ret = 0;
	fclose(fp);
	*start = s;
	return ret;
}

FIXTURE_SETUP(sw)
{
	/* What the driver walks: both endpoints, their downstream ports and
	 * the common upstream port of the switch.
	 */
	char ports[5][32], root[32];
	int i, ctrl, redirect = 0;

	ASSERT_EQ(0, dmabuf_open_ivshmem(self->bdf, sizeof(self->bdf),
					 &self->v));
	if (!exporter_is_upstream())
		ASSERT_EQ(0, dmabuf_set_hb_param("8086:29c0"));
	self->bar = bench_vfio_mmap_region(self->v.device, IVSHMEM_BAR,
					   &self->bar_size);
	ASSERT_NE(MAP_FAILED, self->bar);
	self->imp = dmabuf_open_importer(self->edu, sizeof(self->edu));
	ASSERT_LE(0, self->imp);

	snprintf(ports[0], sizeof(ports[0]), "%s", self->bdf);
	snprintf(ports[1], sizeof(ports[1]), "%s", self->edu);
	ASSERT_EQ(0, upstream_of(self->bdf, 1, ports[2], sizeof(ports[2])));
	ASSERT_EQ(0, upstream_of(self->edu, 1, ports[3], sizeof(ports[3])));
	ASSERT_EQ(0, upstream_of(self->bdf, 2, ports[4], sizeof(ports[4])));
	ASSERT_EQ(0, bar_start(self->bdf, IVSHMEM_BAR, &self->bar_bus));

	/* Parser check: QEMU's pcie-root-port has ACS, Linux enables RR/CR. */
	ASSERT_EQ(0, upstream_of(self->bdf, 3, root, sizeof(root)));
	ctrl = acs_ctrl(root);
	TH_LOG("root port %s: ACS control %#x", root, ctrl);
	ASSERT_LE(0, ctrl);
	EXPECT_NE(0, ctrl & PCI_ACS_RR);

	for (i = 0; i < 5; i++) {
		ctrl = acs_ctrl(ports[i]);

		TH_LOG("%s: ACS control %s%#x", ports[i],
		       ctrl < 0 ? "none " : "", ctrl < 0 ? 0 : ctrl);
		if (ctrl > 0 && (ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC)))
			redirect = 1;
	}
	self->expect = redirect ? "host-bridge" : "bus";
	TH_LOG("ACS redirect %s: expecting map type %s",
	       redirect ? "on" : "off", self->expect);
}

FIXTURE_TEARDOWN(sw)
{
	close(self->imp);
	munmap(self->bar, self->bar_size);
	bench_vfio_close(&self->v);
}

TEST_F(sw, map_type_follows_acs_and_dma_works)
{
	struct vfio_region_dma_range r = { 0x80000, 2 * PAGE };
	uint8_t data[XFER], got[XFER];
	struct edu_imp_sg_entry ent;
	char buf[4096], line[128];
	uint32_t nents = 0;
	int fd;

	fd = dmabuf_export(self->v.device, IVSHMEM_BAR, O_CLOEXEC, &r, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, edu_attach(self->imp, fd, 0));
	ASSERT_EQ(0, edu_map(self->imp));

	/* Ours only: debugfs names the map type. */
	if (!exporter_is_upstream()) {
		ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdf, buf,
						    sizeof(buf)));
		snprintf(line, sizeof(line),
			 "  attach %s: map %s mapped yes\n", self->edu,
			 self->expect);
		EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("exports:\n%s", buf);
	}

	/* bus: the address is the BAR's bus address itself. */
	ASSERT_EQ(0, edu_sg(self->imp, &ent, 1, &nents));
	ASSERT_EQ(1, nents);
	EXPECT_EQ(2 * PAGE, ent.len);
	if (!strcmp(self->expect, "bus"))
		EXPECT_EQ(self->bar_bus + r.offset, ent.dma_addr);
	TH_LOG("sg address %#llx, BAR2 bus address %#llx",
	       (unsigned long long)ent.dma_addr,
	       (unsigned long long)self->bar_bus);

	/* BAR -> edu */
	pattern_fill(self->bar + r.offset, XFER, 0x5151);
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, edu_dma(self->imp, 0, got, XFER,
			     EDU_IMP_DIR_FROM_DMABUF));
	EXPECT_EQ(-1, pattern_check(got, XFER, 0x5151));

	/* edu -> BAR */
	pattern_fill(data, XFER, 0x5252);
	ASSERT_EQ(0, edu_dma(self->imp, PAGE + 0x40, data, XFER,
			     EDU_IMP_DIR_TO_DMABUF));
	EXPECT_EQ(-1, pattern_check(self->bar + r.offset + PAGE + 0x40, XFER,
				    0x5252));
	close(fd);
}

TEST_HARNESS_MAIN
