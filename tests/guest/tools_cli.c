// SPDX-License-Identifier: GPL-2.0
/*
 * The vfio-dmabuf CLI and libvfio-dmabuf in the guest (basic topology):
 * binding, probing on our driver and on stock vfio-pci, exporting ivshmem's
 * BAR2, --exec handing the fd over, the debugfs view, and errors explained.
 * The CLI is the static binary built beside this program.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio-dmabuf.h"

#include "bench_util.h"
#include "fixture.h"
#include "kselftest_harness.h"
#include "tools_util.h"

#define P2P_PARAM	"p2p_host_bridges=8086:29c0"

static int ivshmem(char *bdf, size_t len)
{
	return bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, 0, bdf,
			      len);
}

/* ivshmem bound to @driver, its modules loaded. */
static int setup(const char *driver, char *bdf, size_t len)
{
	int ret;

	ret = ivshmem(bdf, len);
	if (ret)
		return ret;
	if (!strcmp(driver, VFIO_DMABUF_DRIVER))
		ret = bench_modprobe("vfio_pci_dmabuf", P2P_PARAM);
	else
		ret = bench_modprobe(driver, NULL);
	if (!ret)
		ret = bench_modprobe("vfio_iommu_type1", NULL);
	return ret ? ret : bench_bind(bdf, driver);
}

TEST(help_is_a_manual)
{
	char out[8192];

	EXPECT_EQ(0, tools_cli(out, sizeof(out), "--help", NULL));
	EXPECT_NE(NULL, strstr(out, "SYNOPSIS"));
	EXPECT_NE(NULL, strstr(out, "driverctl set-override"));
	EXPECT_NE(NULL, strstr(out, "EXIT STATUS"));
}

TEST(usage_errors_exit_2)
{
	char out[4096];

	EXPECT_EQ(2, tools_cli(out, sizeof(out), "frobnicate", NULL));
	EXPECT_NE(NULL, strstr(out, "unknown command"));
	EXPECT_EQ(2, tools_cli(out, sizeof(out), "export", "00:05.0", NULL));
	EXPECT_NE(NULL, strstr(out, "--region"));
	EXPECT_EQ(2, tools_cli(out, sizeof(out), "export", "00:05.0", "--region",
			       "2", "--range", "4096", NULL));
	EXPECT_NE(NULL, strstr(out, "OFF:LEN"));
}

TEST(bind_to_unloaded_driver_is_explained)
{
	char bdf[32], out[4096];

	ASSERT_EQ(0, ivshmem(bdf, sizeof(bdf)));
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "bind", bdf, "no-such-driver",
			       NULL));
	EXPECT_NE(NULL, strstr(out, "ENOENT")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "modprobe")) TH_LOG("%s", out);
}

/*
 * Stock vfio-pci serves feature 11 only from 6.19 (upstream's exporter,
 * built in on Debian's 7.2): there the CLI says so, as for ours.
 */
TEST(probe_on_stock_vfio_pci_says_not_served)
{
	char bdf[32], out[4096];
	int upstream;

	ASSERT_EQ(0, setup("vfio-pci", bdf, sizeof(bdf)));
	upstream = kernel_has_vfio_dmabuf();
	ASSERT_LE(0, upstream);
	if (upstream) {
		TH_LOG("stock vfio-pci has upstream's exporter: served");
		EXPECT_EQ(0, tools_cli(out, sizeof(out), "probe", bdf, NULL));
		EXPECT_NE(NULL, strstr(out, "driver: vfio-pci\n"))
			TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "dma_buf: supported"))
			TH_LOG("%s", out);
		return;
	}
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "probe", bdf, NULL));
	EXPECT_NE(NULL, strstr(out, "driver: vfio-pci\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "dma_buf: not supported")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "bind it to vfio-pci-dmabuf")) TH_LOG("%s", out);
}

TEST(bind_then_probe_on_vfio_pci_dmabuf)
{
	char bdf[32], out[4096], drv[64];

	ASSERT_EQ(0, setup("vfio-pci", bdf, sizeof(bdf)));
	ASSERT_EQ(0, bench_modprobe("vfio_pci_dmabuf", P2P_PARAM));
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "bind", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "bound to vfio-pci-dmabuf (was: vfio-pci)"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, bench_driver_of(bdf, drv, sizeof(drv)));
	EXPECT_STREQ("vfio-pci-dmabuf", drv);
	/* Binding again is a no-op that still succeeds. */
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "bind", bdf, NULL));

	ASSERT_EQ(0, tools_cli(out, sizeof(out), "probe", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "dma_buf: supported")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "region 2 (BAR2): size 0x1000000 mmap"))
		TH_LOG("%s", out);
}

TEST(export_prints_fd_size_and_exporter)
{
	char bdf[32], out[4096];

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "export", bdf, "--region", "2",
			       "--range", "0:64K", "--range", "1M:4096", NULL))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "size: 69632\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "exp_name: vfio_pci_dmabuf\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "fd: ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "range: 0x100000:0x1000")) TH_LOG("%s", out);
}

TEST(export_exec_hands_the_fd_over)
{
	char bdf[32], out[4096];

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "export", bdf, "--region", "2",
			       "--range", "0x2000:8K", "--exec",
			       "echo size=$VFIO_DMABUF_SIZE; cat /proc/self/fdinfo/$VFIO_DMABUF_FD",
			       NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "size=8192")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "exp_name:\tvfio_pci_dmabuf")) TH_LOG("%s", out);
	/* --exec returns the command's status */
	EXPECT_EQ(3, tools_cli(out, sizeof(out), "export", bdf, "--region", "2",
			       "--range", "0:4K", "--exec", "exit 3", NULL));
}

TEST(export_hold_keeps_then_releases)
{
	char bdf[32], out[4096];

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "export", bdf, "--region", "2",
			       "--range", "0:4K", "--hold", "1", NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "holding for 1 s")) TH_LOG("%s", out);
	EXPECT_EQ(2, tools_cli(out, sizeof(out), "export", bdf, "--region", "2",
			       "--range", "0:4K", "--hold", "1", "--exec", "true",
			       NULL));
	/* The CLI's exit closed the device: nothing stays exported. */
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, NULL));
	EXPECT_NE(NULL, strstr(out, "(no live exports)")) TH_LOG("%s", out);
}

TEST(export_errors_are_explained)
{
	char bdf[32], out[4096];

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "export", bdf, "--region", "2",
			       "--range", "0:100", NULL));
	EXPECT_NE(NULL, strstr(out, "EINVAL")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not page aligned")) TH_LOG("%s", out);
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "export", bdf, "--region", "2",
			       "--range", "0:32M", NULL));
	EXPECT_NE(NULL, strstr(out, "EINVAL")) TH_LOG("%s", out);
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "export", bdf, "--region", "7",
			       "--range", "0:4K", NULL));
	EXPECT_NE(NULL, strstr(out, "ENODEV")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not a BAR")) TH_LOG("%s", out);
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "export", bdf, "--region", "2",
			       "--range", "0xfffffffffffff000:0x2000", NULL));
	EXPECT_NE(NULL, strstr(out, "EOVERFLOW")) TH_LOG("%s", out);
}

TEST(library_export_and_cli_info_agree)
{
	const struct vfio_region_dma_range r[2] = {
		{ .offset = 0x10000, .length = 0x3000 },
		{ .offset = 0, .length = 0x1000 },
	};
	struct vfio_dmabuf_device *dev;
	char bdf[32], out[8192], name[64];
	int fd, dfd;

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, vfio_dmabuf_device_open(bdf, 0, &dev));
	EXPECT_STREQ(bdf, vfio_dmabuf_device_bdf(dev));
	dfd = vfio_dmabuf_device_fd(dev);
	EXPECT_EQ(0, vfio_dmabuf_probe(dfd));
	fd = vfio_dmabuf_export(dfd, 2, r, 2, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("export: %s", strerrorname_np(-fd));
	/* O_CLOEXEC whether asked for or not. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0x4000, vfio_dmabuf_size(fd));
	ASSERT_EQ(0, vfio_dmabuf_exp_name(fd, name, sizeof(name)));
	EXPECT_STREQ("vfio_pci_dmabuf", name);
	EXPECT_EQ(-ERANGE, vfio_dmabuf_exp_name(fd, name, 4));

	/* The group is ours now: the CLI cannot open it, and says why. */
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "probe", bdf, NULL));
	EXPECT_NE(NULL, strstr(out, "EBUSY")) TH_LOG("%s", out);

	EXPECT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "driver: vfio-pci-dmabuf")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "region 2 size 0x4000 nr_ranges 2 revoked no"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "offset 0x10000 length 0x3000")) TH_LOG("%s", out);

	close(fd);
	vfio_dmabuf_device_close(dev);
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, NULL));
	EXPECT_NE(NULL, strstr(out, "(no live exports)")) TH_LOG("%s", out);
}

TEST(library_refuses_before_the_kernel)
{
	const struct vfio_region_dma_range r = { 0, 4096 };
	const struct vfio_region_dma_range beyond = { 1ull << 40, 4096 };
	struct vfio_dmabuf_device *dev;
	char bdf[32];
	int dfd;

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, vfio_dmabuf_device_open(bdf, 0, &dev));
	dfd = vfio_dmabuf_device_fd(dev);
	EXPECT_EQ(-EINVAL, vfio_dmabuf_export(dfd, 2, &r, 0, 0));
	EXPECT_EQ(-EOVERFLOW, vfio_dmabuf_export(dfd, 2, &r, UINT32_MAX, 0));
	/*
	 * and passes the kernel's refusal through as -errno: a range beyond
	 * the BAR (the kernel, like upstream, ignores open_flags it does not
	 * use, so those are no longer a way to provoke one)
	 */
	EXPECT_EQ(-EINVAL, vfio_dmabuf_export(dfd, 2, &beyond, 1, 0));
	vfio_dmabuf_device_close(dev);
}

/*
 * vfio_dmabuf_check() foresees the kernel: for each bad request it returns
 * the errno the export then gets, and names the range at fault. ivshmem's
 * BAR2 is 16 MiB; BAR0 is its 256-byte register BAR (sub-page, so any
 * page-aligned range ends beyond it); BAR1 is MSI-X, BAR3-5 are absent.
 */
TEST(check_names_the_range_the_kernel_refuses)
{
	static const struct {
		unsigned int region, nr;
		struct vfio_region_dma_range r[3];
		int err;
		long bad;
		const char *why;
	} cases[] = {
		{ 2, 2, { { 0, 4096 }, { 4096, 0 } }, -EINVAL, 1, "length 0" },
		{ 2, 3, { { 0, 4096 }, { 8192, 4096 }, { 0x800, 4096 } }, -EINVAL, 2,
		  "not aligned" },
		{ 2, 2, { { 0, 4096 }, { 16 << 20, 4096 } }, -EINVAL, 1, "beyond BAR2" },
		{ 2, 1, { { -4096ull, 4096 } }, -EOVERFLOW, 0, "wraps" },
		{ 2, 2, { { 0, 1ull << 62 }, { 0, 1ull << 62 } }, -EINVAL, -1, "2^63" },
		{ 5, 1, { { 0, 4096 } }, -ENODEV, -1, "size 0" },
		{ 7, 1, { { 0, 4096 } }, -ENODEV, -1, "not a BAR" },
		{ 0, 1, { { 0, 4096 } }, -EINVAL, 0, "beyond BAR0" },
		{ 2, 2, { { 0, 4096 }, { 8192, 8192 } }, 0, -1, "" },
	};
	struct vfio_dmabuf_device *dev;
	unsigned int i;
	char bdf[32], why[160];
	int dfd, got, fd;
	long bad;

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, vfio_dmabuf_device_open(bdf, 0, &dev));
	dfd = vfio_dmabuf_device_fd(dev);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = vfio_dmabuf_check(dfd, cases[i].region, cases[i].r,
					cases[i].nr, &bad, why, sizeof(why));
		EXPECT_EQ(cases[i].err, got) TH_LOG("case %u: %s", i, why);
		EXPECT_EQ(cases[i].bad, bad) TH_LOG("case %u: %s", i, why);
		EXPECT_NE(NULL, strstr(why, cases[i].why)) TH_LOG("case %u: %s", i, why);
		fd = vfio_dmabuf_export(dfd, cases[i].region, cases[i].r,
					cases[i].nr, O_RDWR);
		/* What the kernel says, check foresaw. */
		EXPECT_EQ(cases[i].err, fd < 0 ? fd : 0) TH_LOG("case %u", i);
		if (fd >= 0)
			close(fd);
	}
	vfio_dmabuf_device_close(dev);
}

TEST(export_bar_covers_the_whole_bar)
{
	struct vfio_dmabuf_device *dev;
	char bdf[32];
	int dfd, fd;

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, vfio_dmabuf_device_open(bdf, 0, &dev));
	dfd = vfio_dmabuf_device_fd(dev);
	fd = vfio_dmabuf_export_bar(dfd, 2, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s", strerrorname_np(-fd));
	EXPECT_EQ(16 << 20, vfio_dmabuf_size(fd));
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	close(fd);
	EXPECT_EQ(-ENODEV, vfio_dmabuf_export_bar(dfd, 5, O_RDWR));
	EXPECT_EQ(-ENODEV, vfio_dmabuf_export_bar(dfd, VFIO_PCI_ROM_REGION_INDEX, O_RDWR));
	/* ivshmem is not an NVMe controller. */
	{
		struct vfio_region_dma_range cmb;
		unsigned int region;

		EXPECT_EQ(-ENODEV, vfio_dmabuf_nvme_cmb(dfd, &region, &cmb));
	}
	/* The group path hands out the container for the caller's DMA maps. */
	{
		uint32_t ioas = 7;

		EXPECT_LE(0, vfio_dmabuf_device_iommu_fd(dev, &ioas));
		EXPECT_EQ(0, ioas);
	}
	vfio_dmabuf_device_close(dev);
}

/*
 * The cdev path where the kernel has one (the debug kernel: IOMMUFD,
 * VFIO_DEVICE_CDEV), a clean -ENOENT where it has none (Debian's builds):
 * export through a device bound to an iommufd context, the group path
 * blocked meanwhile, and the export gone once the device is closed.
 */
TEST(cdev_path_where_the_kernel_has_one)
{
	const struct vfio_region_dma_range r = { .offset = 0x2000, .length = 0x6000 };
	struct vfio_dmabuf_device *dev, *other;
	char bdf[32], out[8192];
	uint32_t ioas = 0;
	int dfd, fd;

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	/*
	 * sysfs lists a vfioN for every VFIO device; only kernels with
	 * CONFIG_VFIO_DEVICE_CDEV have /dev/vfio/devices/vfioN behind it.
	 */
	if (access("/dev/vfio/devices", F_OK)) {
		EXPECT_EQ(-ENOENT, vfio_dmabuf_device_open(bdf, VFIO_DMABUF_OPEN_CDEV,
							   &dev));
		SKIP(return, "no VFIO cdev on this kernel (CONFIG_VFIO_DEVICE_CDEV=n); "
			     "-ENOENT checked");
	}
	/* iommufd may be a module: /dev/iommu appears once it is loaded. */
	bench_modprobe("iommufd", NULL);
	ASSERT_EQ(0, vfio_dmabuf_device_open(bdf, VFIO_DMABUF_OPEN_CDEV, &dev));
	EXPECT_EQ(VFIO_DMABUF_OPEN_CDEV, vfio_dmabuf_device_path(dev));
	EXPECT_LE(0, vfio_dmabuf_device_iommu_fd(dev, &ioas));
	EXPECT_NE(0, ioas);
	dfd = vfio_dmabuf_device_fd(dev);
	EXPECT_EQ(0, vfio_dmabuf_probe(dfd));
	fd = vfio_dmabuf_export(dfd, 2, &r, 1, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("%s", strerrorname_np(-fd));
	EXPECT_EQ(0x6000, vfio_dmabuf_size(fd));
	/* While the cdev is bound, the group path is refused. */
	EXPECT_EQ(-EBUSY, vfio_dmabuf_device_open(bdf, 0, &other));
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "offset 0x2000 length 0x6000")) TH_LOG("%s", out);
	vfio_dmabuf_device_close(dev);
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, NULL));
	EXPECT_NE(NULL, strstr(out, "(no live exports)")) TH_LOG("%s", out);
	close(fd);
	/* And the group path works again. */
	ASSERT_EQ(0, vfio_dmabuf_device_open(bdf, 0, &other));
	EXPECT_EQ(VFIO_DMABUF_OPEN_GROUP, vfio_dmabuf_device_path(other));
	vfio_dmabuf_device_close(other);
}

TEST_HARNESS_MAIN
