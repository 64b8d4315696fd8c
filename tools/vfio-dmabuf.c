// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-dmabuf: command-line front end of libvfio-dmabuf. See usage() (or
 * `vfio-dmabuf --help`) for the manual.
 */
#define _GNU_SOURCE
#include "../lib/vfio-dmabuf.h"
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE	2
#define MAX_RANGES	1024

static const char manual[] =
"NAME\n"
"    vfio-dmabuf - export PCI BAR ranges of a VFIO device as dma-bufs\n"
"\n"
"SYNOPSIS\n"
"    vfio-dmabuf probe BDF\n"
"    vfio-dmabuf bind BDF [DRIVER]\n"
"    vfio-dmabuf export BDF --region N --range OFF:LEN [--range OFF:LEN]...\n"
"                       [--rdonly] [--hold SECONDS | --exec CMD]\n"
"    vfio-dmabuf info BDF\n"
"    vfio-dmabuf --help | help [COMMAND]\n"
"\n"
"DESCRIPTION\n"
"    Drives VFIO_DEVICE_FEATURE_DMA_BUF (upstream Linux 6.19 uapi, served on\n"
"    older kernels by the vfio-pci-dmabuf variant driver). BDF is a PCI\n"
"    address, dddd:bb:dd.f or bb:dd.f. The device is opened through its\n"
"    IOMMU group (/dev/vfio/N) and a type1 container, so its group must be\n"
"    viable and not open elsewhere.\n"
"\n"
"COMMANDS\n"
"    probe BDF\n"
"        Open the device and ask whether its driver serves the dma-buf\n"
"        feature; list its BARs. Exit 0 if served, 1 if not.\n"
"\n"
"    bind BDF [DRIVER]\n"
"        Bind the device to DRIVER (default vfio-pci-dmabuf) through\n"
"        driver_override: set the override, unbind the current driver,\n"
"        reprobe. Lasts until reboot; the persistent equivalent is\n"
"            driverctl set-override BDF vfio-pci-dmabuf\n"
"        (and `driverctl unset-override BDF` undoes either). The module must\n"
"        be loaded: modprobe vfio-pci-dmabuf [p2p_host_bridges=VVVV:DDDD].\n"
"\n"
"    export BDF --region N --range OFF:LEN...\n"
"        Export the ranges (in order) of region N (BAR index 0-5) as one\n"
"        dma-buf and print its fd, size and exporter name. OFF and LEN take\n"
"        decimal or 0x hex with an optional K, M or G suffix and must be\n"
"        page aligned. The buffer lives only while this process keeps the\n"
"        VFIO device open: closing the device revokes it for good. So:\n"
"          --hold SECONDS  keep it for SECONDS (0: until SIGINT/SIGTERM);\n"
"          --exec CMD      run `sh -c CMD` with the dma-buf fd inherited,\n"
"                          its number in $VFIO_DMABUF_FD, the size in\n"
"                          $VFIO_DMABUF_SIZE; exit with CMD's status.\n"
"          --rdonly        open the dma-buf O_RDONLY (default O_RDWR).\n"
"        Without --hold or --exec the buffer is created and released at\n"
"        once (a check that the export works).\n"
"\n"
"    info BDF\n"
"        Show the driver bound to BDF and the driver's debugfs view of its\n"
"        live exports (" ADM_DEBUGFS "/BDF/exports;\n"
"        needs root and debugfs mounted).\n"
"\n"
"OUTPUT\n"
"    export prints \"key: value\" lines: device, region, range, fd, size,\n"
"    exp_name. Errors go to stderr as\n"
"        vfio-dmabuf: WHAT: ERRNO_NAME (strerror): what it means here\n"
"\n"
"EXIT STATUS\n"
"    0 success; 1 the operation failed; 2 usage error; with --exec, the\n"
"    command's status.\n"
"\n"
"EXAMPLES\n"
"    modprobe vfio-pci-dmabuf p2p_host_bridges=8086:29c0\n"
"    vfio-dmabuf bind 00:05.0\n"
"    vfio-dmabuf probe 00:05.0\n"
"    vfio-dmabuf export 00:05.0 --region 2 --range 0:2M --range 4M:4K --hold 60\n"
"    vfio-dmabuf export 00:05.0 --region 2 --range 0:64K \\\n"
"        --exec 'cat /proc/self/fdinfo/$VFIO_DMABUF_FD'\n";

/*
 * Operations of the CLI's own (admin.c) that the library does not know;
 * negative so they never collide with enum vfio_dmabuf_op.
 */
#define OP_BIND	(-1)
#define OP_INFO	(-2)

static int fail(int op, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What a failed bind or info means, beyond the library's explanations. */
static const char *explain(int op, int err)
{
	if (err < 0)
		err = -err;
	if (op == OP_BIND) {
		switch (err) {
		case ENOENT:
			return "no such device, or the driver is not loaded "
			       "(modprobe vfio-pci-dmabuf first)";
		case ENODEV:
			return "the driver did not take the device; see dmesg";
		case EINVAL:
			return "not a PCI address (expected dddd:bb:dd.f or bb:dd.f) or bad driver name";
		case EACCES:
		case EPERM:
			return "no permission on sysfs (run as root)";
		}
	} else if (op == OP_INFO) {
		switch (err) {
		case ENOENT:
			return "no debugfs exports file: debugfs not mounted at /sys/kernel/debug, or "
			       "the device is not bound to " VFIO_DMABUF_DRIVER;
		case EACCES:
		case EPERM:
			return "debugfs needs root";
		}
	}
	return vfio_dmabuf_explain(op >= 0 ? (enum vfio_dmabuf_op)op :
					     VFIO_DMABUF_OP_GENERIC, err);
}

static int fail(int op, int err, const char *fmt, ...)
{
	const char *name;
	va_list ap;

	fputs("vfio-dmabuf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	name = strerrorname_np(err < 0 ? -err : err);
	fprintf(stderr, ": %s (%s): %s\n", name ? name : "E?",
		strerror(err < 0 ? -err : err), explain(op, err));
	return 1;
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("vfio-dmabuf: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'vfio-dmabuf --help'.\n", stderr);
	return EXIT_USAGE;
}

static int open_dev(const char *arg, struct vfio_dmabuf_device **dev)
{
	char drv[128] = "";
	int ret;

	ret = vfio_dmabuf_device_open(arg, 0, dev);
	if (ret) {
		adm_driver_of(arg, drv, sizeof(drv));
		fail(VFIO_DMABUF_OP_OPEN, ret, "cannot open %s as a VFIO device%s%s%s",
		     arg, drv[0] ? " (bound to " : "", drv, drv[0] ? ")" : "");
	}
	return ret;
}

static const char *region_name(unsigned int i)
{
	static const char *const names[] = { "BAR0", "BAR1", "BAR2", "BAR3",
					     "BAR4", "BAR5" };

	return i < 6 ? names[i] : "?";
}

static int cmd_probe(int argc, char **argv)
{
	struct vfio_dmabuf_device *dev;
	struct vfio_region_info ri;
	char drv[128] = "";
	const char *bdf;
	unsigned int i;
	int ret, fd;

	if (argc != 2)
		return usage_error("probe takes one BDF%s", "");
	if (open_dev(argv[1], &dev))
		return 1;
	bdf = vfio_dmabuf_device_bdf(dev);
	fd = vfio_dmabuf_device_fd(dev);
	adm_driver_of(bdf, drv, sizeof(drv));
	printf("device: %s\ndriver: %s\niommu_group: %d\n", bdf, drv,
	       adm_iommu_group(bdf));
	for (i = 0; i < 6; i++) {
		if (vfio_dmabuf_region(fd, i, &ri) || !ri.size)
			continue;
		printf("region %u (%s): size %#llx%s\n", i, region_name(i),
		       (unsigned long long)ri.size,
		       ri.flags & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "");
	}
	ret = vfio_dmabuf_probe(fd);
	if (ret) {
		printf("dma_buf: not supported\n");
		fail(VFIO_DMABUF_OP_PROBE, ret,
		     "%s (driver %s) does not export dma-bufs", bdf, drv);
	} else {
		printf("dma_buf: supported (VFIO_DEVICE_FEATURE_DMA_BUF)\n");
	}
	vfio_dmabuf_device_close(dev);
	return ret ? 1 : 0;
}

static int cmd_bind(int argc, char **argv)
{
	const char *driver = argc > 2 ? argv[2] : VFIO_DMABUF_DRIVER;
	char bdf[ADM_BDF_LEN], before[128] = "";
	int ret;

	if (argc < 2 || argc > 3)
		return usage_error("bind takes BDF [DRIVER]%s", "");
	ret = adm_bdf(argv[1], bdf, sizeof(bdf));
	if (ret)
		return fail(OP_BIND, ret, "bad PCI address %s", argv[1]);
	adm_driver_of(bdf, before, sizeof(before));
	ret = adm_bind(bdf, driver);
	if (ret)
		return fail(OP_BIND, ret, "cannot bind %s to %s", bdf,
			    driver);
	printf("%s: bound to %s (was: %s)\n", bdf, driver,
	       before[0] ? before : "no driver");
	printf("note: until reboot; persistent: driverctl set-override %s %s\n",
	       bdf, driver);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int hold(long seconds)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec end, now;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	while (!stop) {
		if (seconds) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec >= end.tv_sec)
				break;
		}
		usleep(100 * 1000);
	}
	return 0;
}

static int run_cmd(const char *cmd, int fd, int64_t size)
{
	char num[32];
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail(VFIO_DMABUF_OP_GENERIC, -errno, "fork");
	if (pid == 0) {
		/* Only the dma-buf crosses exec; the VFIO fds are O_CLOEXEC. */
		fcntl(fd, F_SETFD, 0);
		snprintf(num, sizeof(num), "%d", fd);
		setenv("VFIO_DMABUF_FD", num, 1);
		snprintf(num, sizeof(num), "%" PRId64, size);
		setenv("VFIO_DMABUF_SIZE", num, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return fail(VFIO_DMABUF_OP_GENERIC, -errno, "waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "range", required_argument, NULL, 'R' },
		{ "hold", required_argument, NULL, 'H' },
		{ "exec", required_argument, NULL, 'x' },
		{ "rdonly", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct vfio_region_dma_range ranges[MAX_RANGES];
	unsigned int nr = 0, i;
	long region = -1, hold_s = -1;
	const char *exec_cmd = NULL;
	int accmode = O_RDWR;
	struct vfio_dmabuf_device *dev;
	char name[64], why[160], *end;
	long bad;
	int c, ret, fd;
	int64_t size;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:R:H:x:o", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			region = strtol(optarg, &end, 0);
			if (*end || region < 0 || region > 0xffff)
				return usage_error("bad --region %s", optarg);
			break;
		case 'R':
			if (nr == MAX_RANGES)
				return usage_error("more than 1024 ranges%s", "");
			ret = adm_parse_range(optarg, &ranges[nr]);
			if (ret)
				return usage_error("bad --range %s (want OFF:LEN)", optarg);
			nr++;
			break;
		case 'H':
			hold_s = strtol(optarg, &end, 0);
			if (*end || hold_s < 0)
				return usage_error("bad --hold %s", optarg);
			break;
		case 'x':
			exec_cmd = optarg;
			break;
		case 'o':
			accmode = O_RDONLY;
			break;
		default:
			return usage_error("bad export option%s", "");
		}
	}
	if (optind != argc - 1)
		return usage_error("export takes one BDF%s", "");
	if (region < 0)
		return usage_error("export needs --region N%s", "");
	if (!nr)
		return usage_error("export needs at least one --range OFF:LEN%s", "");
	if (exec_cmd && hold_s >= 0)
		return usage_error("--hold and --exec exclude each other%s", "");

	if (open_dev(argv[optind], &dev))
		return 1;
	fd = vfio_dmabuf_export(vfio_dmabuf_device_fd(dev), (unsigned int)region,
				ranges, nr, accmode);
	if (fd < 0) {
		fail(VFIO_DMABUF_OP_EXPORT, fd, "export of %s region %ld (%u range%s)",
		     vfio_dmabuf_device_bdf(dev), region, nr, nr == 1 ? "" : "s");
		/* Name the range at fault: non-root users cannot read dmesg. */
		if (vfio_dmabuf_check(vfio_dmabuf_device_fd(dev),
				      (unsigned int)region, ranges, nr, &bad,
				      why, sizeof(why)) == fd)
			fprintf(stderr, "vfio-dmabuf: %s\n", why);
		vfio_dmabuf_device_close(dev);
		return 1;
	}
	printf("device: %s\nregion: %ld\n", vfio_dmabuf_device_bdf(dev), region);
	for (i = 0; i < nr; i++)
		printf("range: %#llx:%#llx\n", (unsigned long long)ranges[i].offset,
		       (unsigned long long)ranges[i].length);
	size = vfio_dmabuf_size(fd);
	ret = vfio_dmabuf_exp_name(fd, name, sizeof(name));
	printf("fd: %d\nsize: %" PRId64 "\nexp_name: %s\n", fd, size,
	       ret ? "?" : name);
	fflush(stdout);

	ret = 0;
	if (exec_cmd) {
		ret = run_cmd(exec_cmd, fd, size);
	} else if (hold_s >= 0) {
		if (hold_s)
			printf("holding for %ld s\n", hold_s);
		else
			printf("holding until SIGINT/SIGTERM\n");
		fflush(stdout);
		hold(hold_s);
	}
	close(fd);
	vfio_dmabuf_device_close(dev);
	return ret;
}

static int cmd_info(int argc, char **argv)
{
	char bdf[ADM_BDF_LEN], drv[128], path[256], line[512];
	int ret, lines = 0;
	FILE *f;

	if (argc != 2)
		return usage_error("info takes one BDF%s", "");
	ret = adm_bdf(argv[1], bdf, sizeof(bdf));
	if (!ret)
		ret = adm_driver_of(bdf, drv, sizeof(drv));
	if (ret)
		return fail(OP_INFO, ret, "no PCI device %s", argv[1]);
	printf("device: %s\ndriver: %s\n", bdf, drv[0] ? drv : "(none)");
	adm_debugfs_path(bdf, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return fail(OP_INFO, -errno, "cannot read %s", path);
	printf("exports (%s):\n", path);
	while (fgets(line, sizeof(line), f)) {
		printf("  %s", line);
		lines++;
	}
	fclose(f);
	if (!lines)
		printf("  (no live exports)\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		fputs(manual, stdout);
		return cmd ? 0 : EXIT_USAGE;
	}
	if (!strcmp(cmd, "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(cmd, "bind"))
		return cmd_bind(argc - 1, argv + 1);
	if (!strcmp(cmd, "export"))
		return cmd_export(argc - 1, argv + 1);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	return usage_error("unknown command %s", cmd);
}
