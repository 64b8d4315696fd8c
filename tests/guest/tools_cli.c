// SPDX-License-Identifier: GPL-2.0
/*
 * The vfio-dmabuf CLI and libvfio-dmabuf in the guest (tools topology: the
 * basic devices, an e1000 NIC and a virtio disk): every verb and its
 * errors, exit statuses 0/1/2, -o json parsed back, binding with its
 * safety check (an up interface, swap, a mounted filesystem) and rollback,
 * status while another process holds the device, and the library.
 * The CLI is the static binary built beside this program.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
		/* The CLI's --cdev fails the same way and says why. */
		EXPECT_EQ(1, tools_cli(out, sizeof(out), "probe", "--cdev", bdf, NULL));
		EXPECT_NE(NULL, strstr(out, "ENOENT")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "CONFIG_VFIO_DEVICE_CDEV")) TH_LOG("%s", out);
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
	/* The CLI's --cdev takes the same path. */
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "probe", "--cdev", bdf, NULL))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "dma_buf: supported")) TH_LOG("%s", out);
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "export", bdf, "--cdev", "--region",
			       "2", "--range", "0:0x3000", NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "size: 12288")) TH_LOG("%s", out);
}

/* ---- syntax, help, version ---- */

/*
 * Each syntax error: exit 2, nothing on stdout, exactly one line on stderr
 * that names the cause.
 */
TEST(every_syntax_error_is_one_line_and_exit_2)
{
	static const struct {
		const char *args[12];
		const char *cause;
	} cases[] = {
		{ { NULL }, "no command given" },
		{ { "frobnicate", NULL }, "unknown command 'frobnicate'" },
		{ { "--bogus", NULL }, "unknown option --bogus" },
		{ { "-o", NULL }, "option -o needs a value" },
		{ { "-o", "yaml", "status", NULL }, "unknown output format 'yaml'" },
		{ { "--version", "status", NULL }, "--version takes no command" },
		{ { "probe", NULL }, "probe: missing arguments" },
		{ { "probe", "00:05.0", "00:06.0", NULL }, "probe: too many arguments" },
		{ { "probe", "zz", NULL }, "not a PCI address: 'zz'" },
		{ { "info", "0000:00:20.0", NULL }, "not a PCI address" },
		{ { "status", "--bogus", NULL }, "status: unknown option --bogus" },
		{ { "status", "extra", NULL }, "status: too many arguments" },
		{ { "status", "-o", "xml", NULL }, "unknown output format 'xml'" },
		{ { "bind", NULL }, "bind: missing arguments" },
		{ { "bind", "00:05.0", "a/b", NULL }, "not a driver name: 'a/b'" },
		{ { "unbind", "00:05.0", "vfio-pci", NULL }, "unbind: too many arguments" },
		{ { "export", "00:05.0", NULL }, "needs --region N" },
		{ { "export", "00:05.0", "--region", "2", NULL }, "needs at least one --range" },
		{ { "export", "00:05.0", "--region", "2", "--range", "4096", NULL }, "OFF:LEN" },
		{ { "export", "00:05.0", "--region", "010x", "--range", "0:4K", NULL },
		  "--region '010x': not a number" },
		{ { "export", "00:05.0", "--region", "-1", "--range", "0:4K", NULL },
		  "--region '-1': not a number" },
		{ { "export", "00:05.0", "--region", "65536", "--range", "0:4K", NULL },
		  "--region '65536': more than 65535" },
		{ { "export", "00:05.0", "--region", NULL }, "option --region needs a value" },
		{ { "export", "00:05.0", "--region", "2", "--range", "0:4K", "--hold", "1s", NULL },
		  "--hold '1s': not a number" },
		{ { "export", "00:05.0", "--region", "2", "--range", "0:4K", "--hold", "1",
		    "--exec", "true", NULL }, "--hold and --exec exclude each other" },
		{ { "export", "00:05.0", "-z", NULL }, "unknown option -z" },
		{ { "help", "nope", NULL }, "no command 'nope'" },
		{ { "help", "bind", "unbind", NULL }, "help: too many arguments" },
	};
	char out[4096], err[4096];
	const char *const *a;
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = cases[i].args;
		ret = tools_cli_argv(out, sizeof(out), err, sizeof(err), a);
		EXPECT_EQ(2, ret) TH_LOG("case %u (%s): %s", i, cases[i].cause, err);
		EXPECT_STREQ("", out) TH_LOG("case %u", i);
		EXPECT_EQ(1, tools_lines(err)) TH_LOG("case %u: %s", i, err);
		EXPECT_NE(NULL, strstr(err, cases[i].cause)) TH_LOG("case %u: %s", i, err);
		EXPECT_EQ(0, strncmp(err, "vfio-dmabuf: ", 13)) TH_LOG("case %u: %s", i, err);
	}
}

TEST(help_for_one_command)
{
	char out[8192], err[1024];

	EXPECT_EQ(0, tools_cli2(out, sizeof(out), err, sizeof(err), "help", "export", NULL));
	EXPECT_NE(NULL, strstr(out, "usage: vfio-dmabuf export BDF --region N")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "--exec CMD")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "usage: vfio-dmabuf bind")) TH_LOG("%s", out);
	EXPECT_STREQ("", err);
	/* COMMAND --help says the same, and ignores what follows */
	EXPECT_EQ(0, tools_cli2(err, sizeof(err), err + 512, 512, "export", "--help", NULL));
	EXPECT_EQ(0, strncmp(out, err, strlen("usage: vfio-dmabuf export")));
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "bind", "--help", NULL));
	EXPECT_NE(NULL, strstr(out, "usage: vfio-dmabuf bind BDF [DRIVER] [--force]")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "previous driver")) TH_LOG("%s", out);
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "unbind", "-h", NULL));
	EXPECT_NE(NULL, strstr(out, "driver_override")) TH_LOG("%s", out);
	/* the whole manual documents every verb, option and exit status */
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "help", NULL));
	EXPECT_NE(NULL, strstr(out, "vfio-dmabuf status [-o json]")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "vfio-dmabuf unbind BDF [--force]")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "--version")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "010 is region 10")) TH_LOG("%s", out);
}

/* The module's version as sysfs shows it ("" when it has none). */
static void module_version(char *buf, size_t len)
{
	if (bench_sysfs_read("/sys/module/vfio_pci_dmabuf/version", buf, len))
		buf[0] = '\0';
}

TEST(version_names_the_cli_and_the_loaded_module)
{
	char out[1024], want[128], ver[64], s[64];

	ASSERT_EQ(0, bench_modprobe("vfio_pci_dmabuf", P2P_PARAM));
	module_version(ver, sizeof(ver));
	ASSERT_NE(0, ver[0]) TH_LOG("the module has no version in sysfs");
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "--version", NULL));
	snprintf(want, sizeof(want), "vfio-dmabuf %d.%d.%d\n", VFIO_DMABUF_VERSION_MAJOR,
		 VFIO_DMABUF_VERSION_MINOR, VFIO_DMABUF_VERSION_PATCH);
	EXPECT_EQ(0, strncmp(out, want, strlen(want))) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "module vfio_pci_dmabuf: %s\n", ver);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);

	ASSERT_EQ(0, tools_cli(out, sizeof(out), "-o", "json", "--version", NULL));
	ASSERT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_str(out, "module", s, sizeof(s)));
	EXPECT_STREQ(ver, s);
	EXPECT_EQ(1, tools_json_bool(out, "module_loaded"));
	ASSERT_EQ(0, tools_json_str(out, "tools", s, sizeof(s)));
	EXPECT_EQ(0, strncmp(want + strlen("module vfio_pci_dmabuf: "), s, strlen(s)));
}

/* ---- no such device, driver not loaded ---- */

TEST(no_such_device_and_driver_not_loaded_are_told_apart)
{
	static const char *const verbs[] = { "bind", "unbind", "info", "probe" };
	char bdf[32], out[4096], err[4096];
	unsigned int i;

	ASSERT_EQ(0, ivshmem(bdf, sizeof(bdf)));
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), verbs[i],
					"00:1f.7", NULL)) TH_LOG("%s: %s", verbs[i], err);
		EXPECT_NE(NULL, strstr(err, "no such PCI device")) TH_LOG("%s: %s", verbs[i], err);
		EXPECT_NE(NULL, strstr(err, "0000:00:1f.7")) TH_LOG("%s: %s", verbs[i], err);
		EXPECT_EQ(NULL, strstr(err, "not loaded")) TH_LOG("%s: %s", verbs[i], err);
	}
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "bind", bdf,
				"no-such-driver", NULL));
	EXPECT_NE(NULL, strstr(err, "driver no-such-driver is not loaded")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "modprobe no-such-driver")) TH_LOG("%s", err);
	EXPECT_EQ(NULL, strstr(err, "no such PCI device")) TH_LOG("%s", err);
	/* nothing was touched */
	{
		char drv[64], ovr[64], path[128];

		ASSERT_EQ(0, bench_driver_of(bdf, drv, sizeof(drv)));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
		ASSERT_EQ(0, bench_sysfs_read(path, ovr, sizeof(ovr)));
		EXPECT_NE(0, strcmp(ovr, "no-such-driver"));
	}
}

/* ---- numbers ---- */

/* 010 is ten, never eight: in --region and in ranges alike. */
TEST(numbers_are_decimal_or_hex_never_octal)
{
	char bdf[32], out[4096], err[4096];
	long long v;

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	/* region 010 = 10: not a BAR (octal would have been 8, also not, but
	 * the message says which the CLI asked for) */
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "export", bdf,
				"--region", "010", "--range", "0:4K", NULL));
	EXPECT_NE(NULL, strstr(err, "region 10 ")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "ENODEV")) TH_LOG("%s", err);
	/* 0100K = 100 KiB (25 pages); as octal it would be 64 KiB */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "export", bdf, "--region", "0x2",
			       "--range", "00:0100K", "-o", "json", NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_int(out, "size", &v));
	EXPECT_EQ(100 * 1024, v);
	ASSERT_EQ(0, tools_json_int(out, "region", &v));
	EXPECT_EQ(2, v);
	/* 010K = 10 KiB: not page aligned, and the failing range is named */
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "export", bdf,
				"--region", "2", "--range", "0:4K", "--range", "0:010K", NULL));
	EXPECT_NE(NULL, strstr(err, "EINVAL")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "range 1 (0:0x2800) is not aligned")) TH_LOG("%s", err);
}

/* ---- JSON of the read commands ---- */

TEST(probe_json_lists_regions_and_the_feature)
{
	char bdf[32], out[8192], s[64];
	long long v;
	int i, n, found = 0;
	char path[64];

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "probe", bdf, "-o", "json", NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_str(out, "device", s, sizeof(s)));
	EXPECT_STREQ(bdf, s);
	ASSERT_EQ(0, tools_json_str(out, "driver", s, sizeof(s)));
	EXPECT_STREQ(VFIO_DMABUF_DRIVER, s);
	EXPECT_EQ(1, tools_json_bool(out, "dma_buf"));
	EXPECT_EQ(0, tools_json_int(out, "iommu_group", &v));
	n = tools_json_len(out, "regions");
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "regions.%d.index", i);
		ASSERT_EQ(0, tools_json_int(out, path, &v));
		if (v != 2)
			continue;
		found = 1;
		snprintf(path, sizeof(path), "regions.%d.size", i);
		ASSERT_EQ(0, tools_json_int(out, path, &v));
		EXPECT_EQ(16 << 20, v);
		snprintf(path, sizeof(path), "regions.%d.name", i);
		ASSERT_EQ(0, tools_json_str(out, path, s, sizeof(s)));
		EXPECT_STREQ("BAR2", s);
		snprintf(path, sizeof(path), "regions.%d.mmap", i);
		EXPECT_EQ(1, tools_json_bool(out, path));
	}
	EXPECT_TRUE(found);
	/* the global form of the option works as well */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "--output", "json", "probe", bdf, NULL));
	EXPECT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
}

TEST(export_json_is_the_printed_fields)
{
	char bdf[32], out[4096], err[1024], s[64];
	long long v;

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, tools_cli2(out, sizeof(out), err, sizeof(err), "export", bdf,
				"--region", "2", "--range", "0:64K", "--range", "1M:4096",
				"--rdonly", "--hold", "1", "--output=json", NULL)) TH_LOG("%s", err);
	ASSERT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_str(out, "device", s, sizeof(s)));
	EXPECT_STREQ(bdf, s);
	ASSERT_EQ(0, tools_json_int(out, "size", &v));
	EXPECT_EQ(69632, v);
	ASSERT_EQ(0, tools_json_str(out, "exp_name", s, sizeof(s)));
	EXPECT_STREQ("vfio_pci_dmabuf", s);
	EXPECT_EQ(0, tools_json_int(out, "fd", &v));
	EXPECT_LE(3, v);
	EXPECT_EQ(2, tools_json_len(out, "ranges"));
	ASSERT_EQ(0, tools_json_int(out, "ranges.1.offset", &v));
	EXPECT_EQ(1 << 20, v);
	ASSERT_EQ(0, tools_json_int(out, "ranges.1.length", &v));
	EXPECT_EQ(4096, v);
	EXPECT_EQ(1, tools_json_bool(out, "rdonly"));
	/* --hold's note went to stderr, stdout is JSON alone */
	EXPECT_NE(NULL, strstr(err, "holding for 1 s")) TH_LOG("%s", err);
}

/* A process of ours holds the device and two exports: the CLI must not
 * open it, and still tells what is exported. */
TEST(info_and_status_while_another_process_holds_the_device)
{
	const struct vfio_region_dma_range r[2] = {
		{ .offset = 0x10000, .length = 0x3000 },
		{ .offset = 0, .length = 0x1000 },
	};
	struct vfio_dmabuf_device *dev;
	char bdf[32], out[16384], s[64], path[64], ver[64];
	int fd, i, n, mine = -1;
	long long v;

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, vfio_dmabuf_device_open(bdf, 0, &dev));
	fd = vfio_dmabuf_export(vfio_dmabuf_device_fd(dev), 2, r, 2, O_RDWR);
	ASSERT_LE(0, fd);

	/* info -o json */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, "-o", "json", NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_str(out, "driver", s, sizeof(s)));
	EXPECT_STREQ(VFIO_DMABUF_DRIVER, s);
	ASSERT_EQ(0, tools_json_str(out, "driver_override", s, sizeof(s)));
	EXPECT_STREQ(VFIO_DMABUF_DRIVER, s);
	EXPECT_EQ(1, tools_json_len(out, "exports")) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_int(out, "exports.0.size", &v));
	EXPECT_EQ(0x4000, v);
	ASSERT_EQ(0, tools_json_int(out, "exports.0.region", &v));
	EXPECT_EQ(2, v);
	EXPECT_EQ(0, tools_json_bool(out, "exports.0.revoked"));
	EXPECT_EQ(2, tools_json_len(out, "exports.0.ranges"));
	ASSERT_EQ(0, tools_json_int(out, "exports.0.ranges.0.offset", &v));
	EXPECT_EQ(0x10000, v);
	EXPECT_EQ(0, tools_json_len(out, "exports.0.attachments"));

	/* status, text */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "status", NULL)) TH_LOG("%s", out);
	module_version(ver, sizeof(ver));
	snprintf(path, sizeof(path), "module vfio_pci_dmabuf: loaded (version %s)", ver);
	EXPECT_NE(NULL, strstr(out, path)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "  p2p_host_bridges: 8086:29c0\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "driver vfio-pci-dmabuf: registered")) TH_LOG("%s", out);
	snprintf(path, sizeof(path), "device %s: iommu_group ", bdf);
	EXPECT_NE(NULL, strstr(out, path)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "region 2 size 0x4000 nr_ranges 2 revoked no")) TH_LOG("%s", out);

	/* status, JSON */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "status", "-o", "json", NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	EXPECT_EQ(1, tools_json_bool(out, "module.loaded"));
	ASSERT_EQ(0, tools_json_str(out, "module.version", s, sizeof(s)));
	EXPECT_STREQ(ver, s);
	ASSERT_EQ(0, tools_json_str(out, "module.parameters.p2p_host_bridges", s, sizeof(s)));
	EXPECT_STREQ("8086:29c0", s);
	EXPECT_NE(NULL, tools_json_find(out, "module.parameters.revoke_timeout_ms"));
	EXPECT_EQ(1, tools_json_bool(out, "driver.registered"));
	EXPECT_EQ(1, tools_json_bool(out, "debugfs.readable"));
	EXPECT_TRUE(tools_json_null(out, "debugfs.error"));
	n = tools_json_len(out, "devices");
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "devices.%d.device", i);
		ASSERT_EQ(0, tools_json_str(out, path, s, sizeof(s)));
		if (!strcmp(s, bdf))
			mine = i;
	}
	ASSERT_LE(0, mine) TH_LOG("%s not among the devices: %s", bdf, out);
	snprintf(path, sizeof(path), "devices.%d.exports", mine);
	EXPECT_EQ(1, tools_json_len(out, path));
	snprintf(path, sizeof(path), "devices.%d.exports.0.nr_ranges", mine);
	ASSERT_EQ(0, tools_json_int(out, path, &v));
	EXPECT_EQ(2, v);

	/* the CLI could not have opened it: the group is ours */
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "probe", bdf, NULL));
	EXPECT_NE(NULL, strstr(out, "EBUSY")) TH_LOG("%s", out);
	close(fd);
	vfio_dmabuf_device_close(dev);
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, "-o", "json", NULL));
	EXPECT_EQ(0, tools_json_len(out, "exports")) TH_LOG("%s", out);
}

/* debugfs not mounted: status says so and succeeds; info fails, saying why. */
TEST(status_says_when_debugfs_is_unreadable)
{
	char bdf[32], out[8192], err[2048], s[128];

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, umount("/sys/kernel/debug"));
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "status", NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "debugfs: cannot read /sys/kernel/debug/vfio-pci-dmabuf: ENOENT"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "exports unknown")) TH_LOG("%s", out);
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "status", "-o", "json", NULL)) TH_LOG("%s", out);
	EXPECT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	EXPECT_EQ(0, tools_json_bool(out, "debugfs.readable"));
	EXPECT_EQ(0, tools_json_str(out, "debugfs.error", s, sizeof(s)));
	EXPECT_NE(NULL, strstr(s, "ENOENT")) TH_LOG("%s", s);
	EXPECT_TRUE(tools_json_null(out, "devices.0.exports")) TH_LOG("%s", out);
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "info", bdf, NULL));
	EXPECT_NE(NULL, strstr(out, "driver: vfio-pci-dmabuf")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(err, "debugfs is not mounted")) TH_LOG("%s", err);
	ASSERT_EQ(0, mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL));
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, NULL)) TH_LOG("%s", out);
}

TEST(status_without_the_module)
{
	char bdf[32], out[8192];

	ASSERT_EQ(0, ivshmem(bdf, sizeof(bdf)));
	ASSERT_EQ(0, bench_modprobe("vfio_pci_dmabuf", P2P_PARAM));
	/* rmmod unbinds whatever is bound to it */
	ASSERT_EQ(0, bench_rmmod("vfio_pci_dmabuf"));
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "status", NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "module vfio_pci_dmabuf: not loaded")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not registered, 0 devices bound")) TH_LOG("%s", out);
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "-o", "json", "status", NULL));
	EXPECT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	EXPECT_EQ(0, tools_json_bool(out, "module.loaded"));
	EXPECT_EQ(0, tools_json_bool(out, "driver.registered"));
	EXPECT_EQ(0, tools_json_len(out, "devices"));
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "--version", NULL));
	EXPECT_NE(NULL, strstr(out, "module vfio_pci_dmabuf: not loaded")) TH_LOG("%s", out);
	/* and bind says the driver is not loaded */
	EXPECT_EQ(1, tools_cli(out, sizeof(out), "bind", bdf, NULL));
	EXPECT_NE(NULL, strstr(out, "driver vfio-pci-dmabuf is not loaded")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "modprobe vfio-pci-dmabuf")) TH_LOG("%s", out);
	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
}

/* ---- unbind, rollback ---- */

static void override_of(const char *bdf, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (bench_sysfs_read(path, buf, len))
		buf[0] = '\0';
}

TEST(unbind_releases_and_clears_the_override)
{
	char bdf[32], out[4096], drv[64], ovr[64];

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "unbind", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "unbound from vfio-pci-dmabuf; driver_override cleared"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, bench_driver_of(bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	override_of(bdf, ovr, sizeof(ovr));
	EXPECT_STREQ("(null)", ovr);
	/* again: nothing to unbind, still fine */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "unbind", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "no driver (was not bound)")) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "info", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "driver: (none)\ndriver_override: (none)\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "exports: none (not bound to vfio-pci-dmabuf)")) TH_LOG("%s", out);
	/* and bind from no driver */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "bind", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "bound to vfio-pci-dmabuf (was: no driver)")) TH_LOG("%s", out);
}

/* edu-importer's probe refuses anything but an edu: the old state returns. */
TEST(bind_rolls_back_when_the_new_driver_refuses)
{
	char bdf[32], out[4096], err[4096], drv[64], ovr[64];

	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
	ASSERT_EQ(0, bench_modprobe("edu-importer", NULL));
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "bind", bdf,
				"edu-importer", NULL));
	EXPECT_NE(NULL, strstr(err, "cannot bind")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "ENXIO")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "edu-importer did not take the device")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "rolled back: driver_override restored to \"vfio-pci-dmabuf\", "
			       "bound to vfio-pci-dmabuf again")) TH_LOG("%s", err);
	ASSERT_EQ(0, bench_driver_of(bdf, drv, sizeof(drv)));
	EXPECT_STREQ(VFIO_DMABUF_DRIVER, drv);
	override_of(bdf, ovr, sizeof(ovr));
	EXPECT_STREQ(VFIO_DMABUF_DRIVER, ovr);

	/* from no driver and no override, back to exactly that */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "unbind", bdf, NULL)) TH_LOG("%s", out);
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "bind", bdf,
				"edu-importer", NULL));
	EXPECT_NE(NULL, strstr(err, "rolled back: driver_override restored to none, "
			       "bound to no driver (as before)")) TH_LOG("%s", err);
	ASSERT_EQ(0, bench_driver_of(bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	override_of(bdf, ovr, sizeof(ovr));
	EXPECT_STREQ("(null)", ovr);
	ASSERT_EQ(0, setup(VFIO_DMABUF_DRIVER, bdf, sizeof(bdf)));
}

/* ---- the safety check: devices in use by their host driver ---- */

/* The one device of the tools topology that @driver module serves. */
static int busy_device(struct __test_metadata *_metadata, uint16_t vid,
		       const uint16_t *dids, const char *const *modules,
		       char *bdf, size_t len)
{
	unsigned int i;

	for (i = 0; dids[i]; i++)
		if (!bench_find_pci(vid, dids[i], 0, bdf, len))
			break;
	if (!dids[i])
		return -ENODEV;
	for (i = 0; modules[i]; i++) {
		if (bench_modprobe(modules[i], NULL)) {
			TH_LOG("no %s module in this kernel", modules[i]);
			return -ENOENT;
		}
	}
	return 0;
}

/* The first entry of @dir (a sysfs folder), "" if none. */
static void first_entry(const char *dir, char *name, size_t len)
{
	struct dirent *d;
	DIR *dp = opendir(dir);

	name[0] = '\0';
	while (dp && (d = readdir(dp)))
		if (d->d_name[0] != '.') {
			snprintf(name, len, "%.31s", d->d_name);
			break;
		}
	if (dp)
		closedir(dp);
}

static int set_up(const char *ifname, bool up)
{
	struct ifreq ifr = { 0 };
	int s, ret = 0;

	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	if (!ret) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(s);
	return ret;
}

TEST(bind_refuses_an_up_interface_and_force_takes_it)
{
	static const uint16_t dids[] = { 0x100e, 0 };
	static const char *const mods[] = { "e1000", NULL };
	char bdf[32], out[4096], err[4096], drv[64], ifname[32], dir[128], want[128];
	int ret;

	ret = busy_device(_metadata, 0x8086, dids, mods, bdf, sizeof(bdf));
	if (ret == -ENODEV)
		SKIP(return, "no e1000 in this topology");
	if (ret)
		SKIP(return, "no e1000 driver in this kernel");
	ASSERT_EQ(0, bench_modprobe("vfio_pci_dmabuf", P2P_PARAM));
	ASSERT_EQ(0, bench_modprobe("vfio_iommu_type1", NULL));
	ASSERT_EQ(0, bench_bind(bdf, "e1000"));
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/net", bdf);
	first_entry(dir, ifname, sizeof(ifname));
	ASSERT_NE(0, ifname[0]);
	/* down: nothing in use, unbind and bind need no --force */
	ASSERT_EQ(0, set_up(ifname, false));
	EXPECT_EQ(0, tools_cli(out, sizeof(out), "unbind", bdf, NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "bind", bdf, "e1000", NULL)) TH_LOG("%s", out);
	first_entry(dir, ifname, sizeof(ifname));
	ASSERT_NE(0, ifname[0]);

	ASSERT_EQ(0, set_up(ifname, true));
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "bind", bdf, NULL));
	EXPECT_NE(NULL, strstr(err, "refusing to take")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "EBUSY")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "--force")) TH_LOG("%s", err);
	snprintf(want, sizeof(want), "in use: net %s: interface is up", ifname);
	EXPECT_NE(NULL, strstr(err, want)) TH_LOG("%s", err);
	EXPECT_STREQ("", out);
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "unbind", bdf, NULL));
	EXPECT_NE(NULL, strstr(err, want)) TH_LOG("%s", err);
	ASSERT_EQ(0, bench_driver_of(bdf, drv, sizeof(drv)));
	EXPECT_STREQ("e1000", drv);

	ASSERT_EQ(0, tools_cli2(out, sizeof(out), err, sizeof(err), "bind", bdf,
				"--force", NULL)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(out, "bound to vfio-pci-dmabuf (was: e1000)")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(err, "--force")) TH_LOG("%s", err);
	ASSERT_EQ(0, bench_driver_of(bdf, drv, sizeof(drv)));
	EXPECT_STREQ(VFIO_DMABUF_DRIVER, drv);
	/* back to its own driver (nothing of ours is in use) */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "bind", bdf, "e1000", NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, bench_driver_of(bdf, drv, sizeof(drv)));
	EXPECT_STREQ("e1000", drv);
}

/* The virtio disk: its PCI device, driver and block device name. */
static int virtio_disk(struct __test_metadata *_metadata, char *bdf, size_t len,
		       char *drv, size_t dlen, char *disk, size_t disklen)
{
	static const uint16_t dids[] = { 0x1001, 0x1042, 0 };
	static const char *const mods[] = { "virtio_pci", "virtio_blk", NULL };
	char dir[256], sub[64];
	int ret;

	ret = busy_device(_metadata, 0x1af4, dids, mods, bdf, len);
	if (ret)
		return ret;
	ret = bench_driver_of(bdf, drv, dlen);
	if (ret)
		return ret;
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	/* .../BDF/virtioN/block/vdX */
	{
		struct dirent *d;
		DIR *dp = opendir(dir);

		sub[0] = '\0';
		while (dp && (d = readdir(dp)))
			if (!strncmp(d->d_name, "virtio", 6))
				snprintf(sub, sizeof(sub), "%.63s", d->d_name);
		if (dp)
			closedir(dp);
	}
	if (!sub[0])
		return -ENODEV;
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%s/block", sub);
	first_entry(dir, disk, disklen);
	return disk[0] ? 0 : -ENODEV;
}

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

TEST(bind_refuses_a_disk_in_use_as_swap_or_mounted)
{
	char bdf[32], out[4096], err[4096], drv[64], now[64], disk[32], cmd[256], want[128];
	int ret;

	ret = virtio_disk(_metadata, bdf, sizeof(bdf), drv, sizeof(drv), disk, sizeof(disk));
	if (ret == -ENODEV)
		SKIP(return, "no virtio disk in this topology");
	if (ret)
		SKIP(return, "no virtio block driver in this kernel");
	ASSERT_EQ(0, bench_modprobe("vfio_pci_dmabuf", P2P_PARAM));
	ASSERT_EQ(0, bench_modprobe("vfio_iommu_type1", NULL));

	/* swap */
	snprintf(cmd, sizeof(cmd), "mkswap /dev/%s >/dev/null && swapon /dev/%s", disk, disk);
	ASSERT_EQ(0, sh(cmd));
	EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "bind", bdf, NULL));
	snprintf(want, sizeof(want), "in use: swap %s: active swap", disk);
	EXPECT_NE(NULL, strstr(err, want)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "EBUSY")) TH_LOG("%s", err);
	snprintf(cmd, sizeof(cmd), "swapoff /dev/%s", disk);
	ASSERT_EQ(0, sh(cmd));

	/* a mounted filesystem */
	/* ext4 asks the crypto API for crc32c; busybox modprobe skips the
	 * soft dependency that would load it (none needed where built in). */
	bench_modprobe("crc32c_generic", NULL);
	if (bench_modprobe("ext4", NULL)) {
		TH_LOG("no ext4 module: the mount case is not checked");
	} else {
		snprintf(cmd, sizeof(cmd),
			 "mke2fs -q /dev/%s >/dev/null && mkdir -p /tmp/cli-mnt && "
			 "mount -t ext2 /dev/%s /tmp/cli-mnt", disk, disk);
		ASSERT_EQ(0, sh(cmd));
		EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "bind", bdf, NULL));
		snprintf(want, sizeof(want), "in use: mount %s: mounted on /tmp/cli-mnt", disk);
		EXPECT_NE(NULL, strstr(err, want)) TH_LOG("%s", err);
		EXPECT_EQ(1, tools_cli2(out, sizeof(out), err, sizeof(err), "unbind", bdf, NULL));
		EXPECT_NE(NULL, strstr(err, want)) TH_LOG("%s", err);
		ASSERT_EQ(0, sh("umount /tmp/cli-mnt"));
	}
	ASSERT_EQ(0, bench_driver_of(bdf, now, sizeof(now)));
	EXPECT_STREQ(drv, now);

	/* idle: bind goes ahead, and back */
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "bind", bdf, NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, bench_driver_of(bdf, now, sizeof(now)));
	EXPECT_STREQ(VFIO_DMABUF_DRIVER, now);
	ASSERT_EQ(0, tools_cli(out, sizeof(out), "bind", bdf, drv, NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, bench_driver_of(bdf, now, sizeof(now)));
	EXPECT_STREQ(drv, now);
}

TEST_HARNESS_MAIN
