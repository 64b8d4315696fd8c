// SPDX-License-Identifier: GPL-2.0
/*
 * A real VMM as our client (issue 21): Debian's QEMU 11.1 assigns the
 * ivshmem and the NVMe (with its CMB) bound to the exporter under test,
 * and its hw/vfio asks for a dma-buf of every mmap-able BAR region
 * (VFIO_DEVICE_FEATURE_DMA_BUF). Without the feature it warns "dma-buf
 * unavailable, using mmap fallback, P2P DMA will not work" (or "VFIO
 * dma-buf not supported in kernel, ..." when the kernel does not know
 * the feature) and goes on with plain mmaps.
 *
 * QEMU runs from the trixie root vm/qemu-root made (topology qemu-client:
 * a read-only virtio-9p share, tag qemuroot), entered with chroot after
 * /dev, /proc and /sys are bound into it and a tmpfs is put on its /tmp
 * (QEMU's sockets and its log). It starts paused (-S) with the qtest
 * accelerator: no guest code runs, and the test plays the guest through
 * qtest (port I/O to program a BAR and turn decoding on, memory reads and
 * writes that go through QEMU's own mapping of the region) and QMP
 * (system_reset, quit). The trace event vfio_region_dmabuf prints one
 * line per mmap area of a region: device, dma-buf fd, region, offset and
 * size; that fd is the one an importer takes from QEMU with
 * pidfd_getfd().
 *
 * Contract unless marked: against upstream's exporter (EXPORTER=vfio-pci
 * on 7.2, kernel sid72-upstream) QEMU gets the same dma-bufs. The DMA
 * tests need a P2P path: ours takes q35's host bridge (p2p_host_bridges),
 * upstream's only the switch (topology qemu-client-switch,
 * plan.upstream.d/47-qemu-client); elsewhere they skip as ours only. stock_vfio_pci_falls_back binds stock vfio-pci on
 * a kernel without the feature (6.1, 6.12) and asserts the warning.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/vfio.h>

#include "fixture.h"
#include "tools_util.h"
#include "kselftest_harness.h"

#define QROOT		"/qemu"
#define QEMU_BIN	"/usr/bin/qemu-system-x86_64"
#define QEMU_SERIES	"QEMU emulator version 11.1."
/* Sockets and log, as QEMU sees them (chroot) and as we do. */
#define Q_QMP		"/tmp/qmp.sock"
#define Q_QTEST		"/tmp/qtest.sock"
#define Q_LOG		"/tmp/qemu.log"
#define TRACE		"vfio_region_dmabuf "
#define WARN_FALLBACK	"using mmap fallback, P2P DMA will not work"
/* QEMU under TCG inside a TCG guest: starting takes a while. */
#define START_SECS	120
#define MAX_DEVS	2
#define MAX_AREAS	16

/*
 * Where the test puts the ivshmem in QEMU's q35 (the NVMe goes in the
 * next slot), and where it maps the ivshmem's BAR2 there.
 */
#define SHM_SLOT	3
#define SHM_BAR2_GPA	0xe0000000ULL

#define XFER		2048

struct area {
	uint32_t region;
	uint64_t offset, size;
};

/* What VFIO says about a device's BARs before QEMU opens it. */
struct dev_regions {
	char bdf[32];
	int nr;
	struct area a[MAX_AREAS];
};

/* One row of the trace. */
struct trace_row {
	char dev[32];
	int fd;
	uint32_t region;
	uint64_t offset, size;
};

struct qemu {
	pid_t pid;
	int qmp, qtest;
	/* QMP events read while waiting for a command's answer */
	char events[4096];
};

/* --- the QEMU root and QEMU's process ------------------------------- */

static bool is_fs(const char *path, long magic)
{
	struct statfs s;

	return !statfs(path, &s) && s.f_type == magic;
}

/*
 * Mount the share and what QEMU needs in it, once per boot (the mounts
 * outlive the test's process: one mount namespace). Returns 0, -errno,
 * or 1 when the kernel has no 9p (nothing to run QEMU from).
 */
static int qroot_setup(void)
{
	static const char *const binds[] = { "dev", "proc", "sys" };
	static const long magics[] = { TMPFS_MAGIC, PROC_SUPER_MAGIC,
				       SYSFS_MAGIC };
	char path[64];
	unsigned int i;

	/* virtio_pci first: nothing that 9p needs pulls it in (6.1) */
	if (bench_modprobe("virtio_pci", NULL) ||
	    bench_modprobe("9pnet_virtio", NULL) || bench_modprobe("9p", NULL))
		return 1;
	mkdir(QROOT, 0755);
	/* 9p's statfs reports the host file system's type: look inside */
	if (access(QROOT "/qemu-version", R_OK) &&
	    mount("qemuroot", QROOT, "9p", MS_RDONLY,
		  "trans=virtio,version=9p2000.L,cache=loose,msize=262144"))
		return -errno;
	for (i = 0; i < 3; i++) {
		char src[16];

		/* devtmpfs reports TMPFS_MAGIC */
		snprintf(path, sizeof(path), QROOT "/%s", binds[i]);
		if (is_fs(path, magics[i]))
			continue;
		snprintf(src, sizeof(src), "/%s", binds[i]);
		if (mount(src, path, NULL, MS_BIND, NULL))
			return -errno;
	}
	if (!is_fs(QROOT "/tmp", TMPFS_MAGIC) &&
	    mount("tmpfs", QROOT "/tmp", "tmpfs", 0, "size=16m"))
		return -errno;
	return 0;
}

static int slurp(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return n < 0 ? -EIO : (int)got;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -errno;
	}
	return s;
}

/* One line from @s (without the newline) within @secs; -errno. */
static int read_line(int s, char *buf, size_t len, int secs)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r;

		if (poll(&p, 1, secs * 1000) <= 0)
			return -ETIMEDOUT;
		r = read(s, &c, 1);
		if (r <= 0)
			return r ? -errno : -ECONNRESET;
		if (c == '\n')
			break;
		if (n < len - 1)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return (int)n;
}

static int send_str(int s, const char *str)
{
	size_t len = strlen(str);

	return write(s, str, len) == (ssize_t)len ? 0 : -EIO;
}

/*
 * Send a QMP command and read its answer into @out (events before it are
 * skipped). 0 for a "return", -EREMOTEIO for an "error", else -errno.
 */
static int qmp(struct qemu *q, const char *cmd, char *out, size_t len)
{
	char line[8192];
	int ret;

	ret = send_str(q->qmp, cmd);
	if (ret)
		return ret;
	for (;;) {
		ret = read_line(q->qmp, line, sizeof(line), 60);
		if (ret < 0)
			return ret;
		if (strstr(line, "\"event\"")) {
			size_t used = strlen(q->events);

			snprintf(q->events + used, sizeof(q->events) - used,
				 "%s\n", line);
			continue;
		}
		if (out)
			snprintf(out, len, "%s", line);
		return strstr(line, "\"return\"") ? 0 : -EREMOTEIO;
	}
}

/* Wait for the QMP event @name: 0, or -ETIMEDOUT. */
static int qmp_event(struct qemu *q, const char *name, int secs)
{
	char line[8192], want[64];
	int ret;

	snprintf(want, sizeof(want), "\"event\": \"%s\"", name);
	/* QEMU may send it before the answer to the command that caused it */
	if (strstr(q->events, want)) {
		q->events[0] = '\0';
		return 0;
	}
	for (;;) {
		ret = read_line(q->qmp, line, sizeof(line), secs);
		if (ret < 0)
			return ret;
		if (strstr(line, want))
			return 0;
	}
}

/* A qtest command; the answer (after "OK ") in @out. 0 or -errno. */
static int qtest(struct qemu *q, char *out, size_t len, const char *fmt, ...)
{
	char cmd[16384], line[16384];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	strcat(cmd, "\n");
	ret = send_str(q->qtest, cmd);
	if (ret)
		return ret;
	ret = read_line(q->qtest, line, sizeof(line), 60);
	if (ret < 0)
		return ret;
	if (strncmp(line, "OK", 2))
		return -EREMOTEIO;
	if (out) {
		const char *ans = line[2] ? line + 3 : "";
		size_t n = strnlen(ans, len - 1);

		memcpy(out, ans, n);
		out[n] = '\0';
	}
	return 0;
}

static uint32_t cfg_addr(int slot, int reg)
{
	return 0x80000000u | (uint32_t)slot << 11 | (reg & 0xfc);
}

static int cfg_write32(struct qemu *q, int slot, int reg, uint32_t val)
{
	int ret = qtest(q, NULL, 0, "outl 0xcf8 0x%x", cfg_addr(slot, reg));

	return ret ? ret : qtest(q, NULL, 0, "outl 0xcfc 0x%x", val);
}

static int cfg_read32(struct qemu *q, int slot, int reg, uint32_t *val)
{
	char out[64];
	int ret = qtest(q, NULL, 0, "outl 0xcf8 0x%x", cfg_addr(slot, reg));

	if (!ret)
		ret = qtest(q, out, sizeof(out), "inl 0xcfc");
	if (!ret)
		*val = strtoul(out, NULL, 16);
	return ret;
}

/*
 * Play the guest's firmware for the ivshmem: BAR2 at SHM_BAR2_GPA, memory
 * decoding on. QEMU passes the command register to the device: the
 * exporter sees decoding come on.
 */
static int shm_map_bar2(struct qemu *q)
{
	uint32_t v;
	int ret;

	ret = cfg_write32(q, SHM_SLOT, PCI_BASE_ADDRESS_2, (uint32_t)SHM_BAR2_GPA);
	if (!ret)
		ret = cfg_write32(q, SHM_SLOT, PCI_BASE_ADDRESS_3, 0);
	if (!ret)
		ret = cfg_read32(q, SHM_SLOT, PCI_COMMAND, &v);
	if (!ret)
		ret = cfg_write32(q, SHM_SLOT, PCI_COMMAND,
				  (v & 0xffff) | PCI_COMMAND_MEMORY);
	if (!ret)
		ret = cfg_read32(q, SHM_SLOT, PCI_BASE_ADDRESS_2, &v);
	if (!ret && (v & ~0xfu) != (uint32_t)SHM_BAR2_GPA)
		ret = -EIO;
	return ret;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Read @len bytes of QEMU's guest-physical memory at @gpa. */
static int gpa_read(struct qemu *q, uint64_t gpa, uint8_t *buf, uint32_t len)
{
	static char out[2 * EDU_IMP_DMA_MAX_LEN + 16];
	uint32_t i;
	int ret;

	ret = qtest(q, out, sizeof(out), "read 0x%llx 0x%x",
		    (unsigned long long)gpa, len);
	if (ret)
		return ret;
	if (strncmp(out, "0x", 2) || strlen(out) != 2 + 2 * (size_t)len)
		return -EPROTO;
	for (i = 0; i < len; i++)
		buf[i] = hexval(out[2 + 2 * i]) << 4 | hexval(out[3 + 2 * i]);
	return 0;
}

static int gpa_write(struct qemu *q, uint64_t gpa, const uint8_t *buf,
		     uint32_t len)
{
	static char hex[2 * EDU_IMP_DMA_MAX_LEN + 1];
	uint32_t i;

	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", buf[i]);
	return qtest(q, NULL, 0, "write 0x%llx 0x%x 0x%s",
		     (unsigned long long)gpa, len, hex);
}

/*
 * Start QEMU paused with @n devices assigned (the first at SHM_SLOT), its
 * stderr (trace, warnings) in QROOT Q_LOG; connect QMP and qtest. The
 * monitor answers only once every device is realized: by then each has
 * asked for its dma-bufs.
 */
static int qemu_start(struct qemu *q, const char *const *bdfs, int n)
{
	char dev[MAX_DEVS][96], greet[4096];
	const char *argv[64] = {
		"qemu-system-x86_64", "-S", "-M", "q35", "-accel", "qtest",
		"-m", "64", "-nodefaults", "-no-user-config", "-display", "none",
		"-qmp", "unix:" Q_QMP ",server=on,wait=off",
		"-qtest", "unix:" Q_QTEST ",server=on,wait=off",
		"-trace", "vfio_region_dmabuf",
	};
	static const char *const envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL,
	};
	int argc = 0, i, ret, secs;

	while (argv[argc])
		argc++;
	for (i = 0; i < n; i++) {
		snprintf(dev[i], sizeof(dev[i]), "vfio-pci,host=%s,id=hostdev%d,addr=0x%x",
			 bdfs[i], i, SHM_SLOT + i);
		argv[argc++] = "-device";
		argv[argc++] = dev[i];
	}
	unlink(QROOT Q_QMP);
	unlink(QROOT Q_QTEST);
	q->qmp = q->qtest = -1;
	q->events[0] = '\0';
	q->pid = fork();
	if (q->pid < 0)
		return -errno;
	if (!q->pid) {
		int fd = open(QROOT Q_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
		    chroot(QROOT) || chdir("/"))
			_exit(126);
		execve(QEMU_BIN, (char **)argv, (char **)envp);
		_exit(127);
	}
	for (secs = 0; secs < START_SECS; secs++) {
		q->qmp = unix_connect(QROOT Q_QMP);
		if (q->qmp >= 0)
			break;
		if (waitpid(q->pid, NULL, WNOHANG) == q->pid) {
			q->pid = -1;
			return -ECHILD;
		}
		sleep(1);
	}
	if (q->qmp < 0)
		return -ETIMEDOUT;
	ret = read_line(q->qmp, greet, sizeof(greet), START_SECS);
	if (ret < 0)
		return ret;
	ret = qmp(q, "{\"execute\":\"qmp_capabilities\"}", NULL, 0);
	if (ret)
		return ret;
	q->qtest = unix_connect(QROOT Q_QTEST);
	return q->qtest < 0 ? q->qtest : 0;
}

/* Where each thread of @pid waits in the kernel: for failure reports. */
static void dump_task(pid_t pid)
{
	char path[300], buf[4096];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, de->d_name);
		if (slurp(path, buf, sizeof(buf)) > 0)
			ksft_print_msg("task %d/%s %s", pid, de->d_name, buf);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, de->d_name);
		if (slurp(path, buf, sizeof(buf)) > 0)
			ksft_print_msg("%s", buf);
	}
	closedir(dir);
}

/* Every QEMU still around (a failed test's): where it waits. */
static void dump_qemus(void)
{
	char path[300], comm[64];
	struct dirent *de;
	DIR *dir = opendir("/proc");

	while (dir && (de = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (slurp(path, comm, sizeof(comm)) > 0 && !strncmp(comm, "qemu-system", 11))
			dump_task(atoi(de->d_name));
	}
	if (dir)
		closedir(dir);
}

/* Reap QEMU if it exits within 30 s (q->pid becomes -1). */
static void qemu_reap(struct qemu *q)
{
	int i;

	for (i = 0; q->pid > 0 && i < 300; i++) {
		if (waitpid(q->pid, NULL, WNOHANG) == q->pid)
			q->pid = -1;
		else
			usleep(100000);
	}
}

/*
 * QMP quit, or SIGKILL when QEMU does not go; reaps it. A QEMU that does
 * not even die is reported, where it waits, and left: blocking here
 * would hide why.
 */
static void qemu_stop(struct qemu *q)
{
	if (q->pid > 0 && q->qmp >= 0 &&
	    qmp(q, "{\"execute\":\"quit\"}", NULL, 0))
		ksft_print_msg("QEMU did not answer quit\n");
	qemu_reap(q);
	if (q->pid > 0) {
		ksft_print_msg("QEMU did not quit: SIGKILL\n");
		dump_task(q->pid);
		kill(q->pid, SIGKILL);
		qemu_reap(q);
		if (q->pid > 0) {
			ksft_print_msg("QEMU does not die:\n");
			dump_task(q->pid);
		}
	}
	if (q->qmp >= 0)
		close(q->qmp);
	if (q->qtest >= 0)
		close(q->qtest);
	q->qmp = q->qtest = -1;
}

/* The trace rows of QEMU's log; -errno. */
static int trace_rows(struct trace_row *rows, int max, char *log, size_t len)
{
	char *line, *save, *copy;
	int n = 0, ret;

	ret = slurp(QROOT Q_LOG, log, len);
	if (ret < 0)
		return ret;
	copy = strdup(log);
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, TRACE);
		unsigned long long off, size;
		struct trace_row *r = &rows[n];

		/* "Device %s, dmabuf fd %d region %d "%s", offset: 0x%lx, size: 0x%lx" */
		if (!p || sscanf(p, TRACE "Device %31[^,], dmabuf fd %d region %u",
				 r->dev, &r->fd, &r->region) != 3)
			continue;
		p = strstr(p, "offset: ");
		if (!p || sscanf(p, "offset: 0x%llx, size: 0x%llx", &off, &size) != 2)
			continue;
		r->offset = off;
		r->size = size;
		n++;
	}
	free(copy);
	return n;
}

/*
 * The mmap areas VFIO offers for every BAR of @bdf (bound, not open):
 * one per sparse area, else the whole region when it is mmap-able. What
 * QEMU's hw/vfio maps, and so what it asks dma-bufs for.
 */
static int vfio_areas(const char *bdf, struct dev_regions *d)
{
	struct bench_vfio v;
	uint32_t idx;
	int ret;

	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	ret = bench_vfio_open(bdf, &v);
	if (ret)
		return ret;
	for (idx = VFIO_PCI_BAR0_REGION_INDEX; idx <= VFIO_PCI_BAR5_REGION_INDEX; idx++) {
		union {
			struct vfio_region_info info;
			char buf[4096];
		} u;
		struct vfio_info_cap_header *cap;
		bool sparse = false;

		memset(&u, 0, sizeof(u));
		u.info.argsz = sizeof(u);
		u.info.index = idx;
		if (ioctl(v.device, VFIO_DEVICE_GET_REGION_INFO, &u.info)) {
			ret = -errno;
			break;
		}
		if (!u.info.size || !(u.info.flags & VFIO_REGION_INFO_FLAG_MMAP))
			continue;
		if ((u.info.flags & VFIO_REGION_INFO_FLAG_CAPS) && u.info.cap_offset) {
			uint32_t off = u.info.cap_offset;

			while (off && off < sizeof(u)) {
				cap = (void *)(u.buf + off);
				if (cap->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
					struct vfio_region_info_cap_sparse_mmap *sp = (void *)cap;
					uint32_t i;

					sparse = true;
					for (i = 0; i < sp->nr_areas && d->nr < MAX_AREAS; i++) {
						if (!sp->areas[i].size)
							continue;
						d->a[d->nr++] = (struct area){ idx,
							sp->areas[i].offset, sp->areas[i].size };
					}
				}
				off = cap->next;
			}
		}
		if (!sparse && d->nr < MAX_AREAS)
			d->a[d->nr++] = (struct area){ idx, 0, u.info.size };
	}
	bench_vfio_close(&v);
	return ret;
}

/* dma-buf fds QEMU holds: count, and the sizes of the first @max. */
static int qemu_dmabufs(pid_t pid, int *fds, off_t *sizes, int max,
			char *flags, size_t flen)
{
	char path[300], info[1024], *p;
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	if (flen)
		flags[0] = '\0';
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, de->d_name);
		if (slurp(path, info, sizeof(info)) < 0 || !strstr(info, "\nexp_name:"))
			continue;
		if (n < max) {
			fds[n] = atoi(de->d_name);
			p = strstr(info, "\nsize:");
			sizes[n] = p ? strtoll(p + 6, NULL, 10) : -1;
		}
		/* open flags of the fd, as QEMU asked for them (octal) */
		p = strstr(info, "flags:");
		if (p && flen && !flags[0])
			sscanf(p, "flags:\t%31s", flags);
		n++;
	}
	closedir(dir);
	return n;
}

/* QEMU's mappings of dma-bufs and of the VFIO device, for the record. */
static void print_maps(pid_t pid)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "dmabuf") || strstr(line, "vfio"))
			ksft_print_msg("maps: %s", line);
	fclose(f);
}

static int pidfd_getfd_of(pid_t pid, int fd)
{
	int pidfd, got;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (got < 0)
		got = -errno;
	close(pidfd);
	return got;
}

/*
 * Can the importer DMA into the exporter's BAR? Ours: everywhere
 * (p2p_host_bridges). Upstream's: only below the switch (topology
 * qemu-client-switch), q35's host bridge being on no upstream list.
 */
#define P2P_OR_SKIP()							\
	do {								\
		const char *t = getenv("BENCH_TOPOLOGY");		\
									\
		if (exporter_is_upstream() &&				\
		    (!t || strcmp(t, "qemu-client-switch")))		\
			SKIP(return, "ours only: P2P through q35's host bridge (p2p_host_bridges)"); \
	} while (0)

/* `make demo` (QEMU_CLIENT_STORY=1): a heading for each step. */
static void story(const char *what)
{
	if (getenv("QEMU_CLIENT_STORY"))
		ksft_print_msg("==== %s ====\n", what);
}

/* --- the fixture: QEMU with the ivshmem and the nvme assigned -------- */

FIXTURE(qc)
{
	struct qemu q;
	struct dev_regions regs[MAX_DEVS];
	const char *bdfs[MAX_DEVS];
	char shm[32], nvme[32], edu[32];
	int ndev, imp, buf;
	int dmabufs_before;
	struct trace_row rows[2 * MAX_AREAS];
	int nrows;
	char log[16384];
};

FIXTURE_SETUP(qc)
{
	char ver[256];
	int i, ret;

	self->q.pid = -1;
	self->q.qmp = self->q.qtest = -1;
	self->imp = self->buf = -1;
	ret = qroot_setup();
	if (ret == 1)
		SKIP(return, "this kernel has no virtio-9p: no QEMU root");
	ASSERT_EQ(0, ret) TH_LOG("cannot mount the QEMU root: %s", strerror(-ret));
	ASSERT_LT(0, slurp(QROOT "/qemu-version", ver, sizeof(ver)));
	ASSERT_EQ(0, strncmp(ver, QEMU_SERIES, strlen(QEMU_SERIES))) TH_LOG("%s", ver);

	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, 0,
				    self->shm, sizeof(self->shm)));
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT, PCI_DID_QEMU_NVME, 0,
				    self->nvme, sizeof(self->nvme)));
	self->bdfs[0] = self->shm;
	self->bdfs[1] = self->nvme;
	self->ndev = 2;
	self->dmabufs_before = rv_dmabuf_count();
	for (i = 0; i < self->ndev; i++) {
		ASSERT_EQ(0, bench_bind(self->bdfs[i], exporter_driver()));
		ret = vfio_areas(self->bdfs[i], &self->regs[i]);
		if (ret)
			dump_qemus();
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->bdfs[i], strerror(-ret));
	}
	ret = qemu_start(&self->q, self->bdfs, self->ndev);
	slurp(QROOT Q_LOG, self->log, sizeof(self->log));
	ASSERT_EQ(0, ret) TH_LOG("QEMU did not start (%s); its log:\n%s",
				 strerror(-ret), self->log);
	self->nrows = trace_rows(self->rows, 2 * MAX_AREAS, self->log,
				 sizeof(self->log));
	ASSERT_LE(0, self->nrows);
}

FIXTURE_TEARDOWN(qc)
{
	if (self->imp >= 0)
		close(self->imp);
	if (self->buf >= 0)
		close(self->buf);
	qemu_stop(&self->q);
}

/* QEMU's warning for one BAR whose dma-buf the kernel refused. */
static void bar_warning(char *buf, size_t len, const char *bdf, uint32_t bar)
{
	snprintf(buf, len, "%s BAR %u: dma-buf unavailable, " WARN_FALLBACK, bdf, bar);
}

/* The row of @bdf's area @a, or NULL. */
static const struct trace_row *row_of(const struct trace_row *rows, int nrows,
				      const char *bdf, const struct area *a)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (!strcmp(rows[i].dev, bdf) && rows[i].region == a->region &&
		    rows[i].offset == a->offset && rows[i].size == a->size)
			return &rows[i];
	return NULL;
}

/*
 * One trace line, with a dma-buf fd, per mmap area of every BAR that is
 * whole pages; no other line, and no fallback warning for those BARs. A
 * BAR smaller than a page (ivshmem's 256-byte BAR0), which vfio-pci lets
 * QEMU mmap, is refused as upstream refuses it (its length is not page
 * aligned: EINVAL), and QEMU warns for that BAR alone.
 */
static void expect_one_per_area(struct __test_metadata *_metadata,
				const struct dev_regions *regs, int ndev,
				const struct trace_row *rows, int nrows,
				const char *log)
{
	int i, j, whole = 0;
	char warn[160];

	for (i = 0; i < ndev; i++) {
		for (j = 0; j < regs[i].nr; j++) {
			const struct area *a = &regs[i].a[j];
			const struct trace_row *r = row_of(rows, nrows, regs[i].bdf, a);
			bool pages = !(a->offset % PAGE) && !(a->size % PAGE);

			bar_warning(warn, sizeof(warn), regs[i].bdf, a->region);
			ksft_print_msg("%s BAR%u: mmap area 0x%llx+0x%llx: %s fd %d\n",
				       regs[i].bdf, a->region,
				       (unsigned long long)a->offset,
				       (unsigned long long)a->size,
				       r ? "dma-buf" : "no trace line", r ? r->fd : -1);
			if (!pages) {
				EXPECT_EQ(NULL, r);
				strcat(warn, ": Invalid argument");
				EXPECT_NE(NULL, strstr(log, warn))
					TH_LOG("no \"%s\" in\n%s", warn, log);
				continue;
			}
			whole++;
			EXPECT_NE(NULL, r) TH_LOG("log:\n%s", log);
			if (r)
				EXPECT_LE(0, r->fd) TH_LOG("log:\n%s", log);
			EXPECT_EQ(NULL, strstr(log, warn)) TH_LOG("log:\n%s", log);
		}
	}
	EXPECT_LT(0, whole);
	EXPECT_EQ(whole, nrows) TH_LOG("log:\n%s", log);
	EXPECT_EQ(NULL, strstr(log, "dma-buf not supported in kernel"))
		TH_LOG("log:\n%s", log);
}

/* Contract: as expect_one_per_area() says, for the ivshmem and the NVMe. */
TEST_F_TIMEOUT(qc, one_dmabuf_per_mmap_region, 300)
{
	story("QEMU starts with both devices assigned: a dma-buf per mmap-able BAR");
	expect_one_per_area(_metadata, self->regs, self->ndev, self->rows,
			    self->nrows, self->log);
}

/*
 * The exports are QEMU's: its fds (fdinfo) are dma-bufs of the exporter,
 * opened O_RDWR, one per region; debugfs and `vfio-dmabuf status` list
 * them (ours only: upstream has neither) with QEMU's ranges, and nothing
 * else holds one.
 */
TEST_F_TIMEOUT(qc, exports_held_by_qemu, 300)
{
	int fds[16], i, j, n, regions = 0, listed = 0, yes, no, k;
	char flags[32], out[16384], path[64], s[64], *db;
	off_t sizes[16];
	story("The exports are QEMU's: its fds, debugfs, vfio-dmabuf status");

	n = qemu_dmabufs(self->q.pid, fds, sizes, 16, flags, sizeof(flags));
	for (i = 0; i < self->nrows; i++) {
		/* rows of one region share its fd */
		for (j = 0; j < i; j++)
			if (self->rows[j].fd == self->rows[i].fd)
				break;
		regions += j == i;
	}
	ksft_print_msg("QEMU (pid %d) holds %d dma-bufs for %d regions, fd flags %s\n",
		       self->q.pid, n, regions, flags);
	print_maps(self->q.pid);
	ASSERT_EQ(regions, n);
	/* O_RDWR, as QEMU asks: the CPU mapping it may make is writable */
	EXPECT_EQ(O_RDWR, (int)(strtol(flags, NULL, 8) & O_ACCMODE)) TH_LOG("flags %s", flags);
	EXPECT_EQ(self->dmabufs_before + n, rv_dmabuf_count());
	for (i = 0; i < n; i++) {
		off_t want = 0;

		for (j = 0; j < self->nrows; j++)
			if (self->rows[j].fd == fds[i])
				want += self->rows[j].size;
		EXPECT_EQ(want, sizes[i]) TH_LOG("fd %d", fds[i]);
	}
	if (exporter_is_upstream())
		return;

	db = malloc(65536);
	ASSERT_NE(NULL, db);
	for (i = 0; i < self->ndev; i++) {
		k = rv_debugfs_exports(self->bdfs[i], &yes, &no);
		ASSERT_LE(0, k);
		listed += k;
		ASSERT_EQ(0, dmabuf_debugfs_exports(self->bdfs[i], db, 65536));
		ksft_print_msg("debugfs %s:\n%s", self->bdfs[i], db);
		for (j = 0; j < self->nrows; j++) {
			char want[128];

			if (strcmp(self->rows[j].dev, self->bdfs[i]))
				continue;
			snprintf(want, sizeof(want), "offset 0x%llx length 0x%llx\n",
				 (unsigned long long)self->rows[j].offset,
				 (unsigned long long)self->rows[j].size);
			EXPECT_NE(NULL, strstr(db, want)) TH_LOG("no \"%s\" in\n%s", want, db);
		}
	}
	free(db);
	EXPECT_EQ(n, listed);

	ASSERT_EQ(0, tools_cli(out, sizeof(out), "status", "-o", "json", NULL)) TH_LOG("%s", out);
	ASSERT_EQ(0, tools_json_check(out)) TH_LOG("%s", out);
	k = 0;
	for (i = 0; i < tools_json_len(out, "devices"); i++) {
		snprintf(path, sizeof(path), "devices.%d.device", i);
		ASSERT_EQ(0, tools_json_str(out, path, s, sizeof(s)));
		snprintf(path, sizeof(path), "devices.%d.exports", i);
		for (j = 0; j < self->ndev; j++)
			if (!strcmp(s, self->bdfs[j]))
				k += tools_json_len(out, path);
	}
	EXPECT_EQ(n, k) TH_LOG("%s", out);
}

/* The ivshmem BAR2's dma-buf fd in QEMU (its one area), or -1. */
static int shm_bar2_fd(FIXTURE_DATA(qc) *self)
{
	int i;

	for (i = 0; i < self->nrows; i++)
		if (!strcmp(self->rows[i].dev, self->shm) &&
		    self->rows[i].region == IVSHMEM_BAR)
			return self->rows[i].fd;
	return -1;
}

/*
 * Take QEMU's BAR2 buffer with pidfd_getfd(), turn decoding on through
 * QEMU (the buffer is revoked until then: QEMU's first reset turned it
 * off) and attach edu-importer to it, mapped.
 */
static int import_from_qemu(FIXTURE_DATA(qc) *self)
{
	int fd = shm_bar2_fd(self), ret;

	if (fd < 0)
		return -ENOENT;
	ret = shm_map_bar2(&self->q);
	if (ret)
		return ret;
	self->buf = pidfd_getfd_of(self->q.pid, fd);
	if (self->buf < 0)
		return self->buf;
	self->imp = dmabuf_open_importer(self->edu, sizeof(self->edu));
	if (self->imp < 0)
		return self->imp;
	ret = edu_attach(self->imp, self->buf, 0);
	return ret ? ret : edu_map(self->imp);
}

/* edu writes a pattern at @off; QEMU reads it back at BAR2 + @off, and
 * the other way round. */
static void dma_round_trip(struct __test_metadata *_metadata,
			   FIXTURE_DATA(qc) *self, uint64_t off, uint32_t seed)
{
	uint8_t out[XFER], in[XFER];

	pattern_fill(out, XFER, seed);
	ASSERT_EQ(0, edu_dma(self->imp, off, out, XFER, EDU_IMP_DIR_TO_DMABUF));
	ASSERT_EQ(0, gpa_read(&self->q, SHM_BAR2_GPA + off, in, XFER));
	EXPECT_EQ(-1, pattern_check(in, XFER, seed))
		TH_LOG("QEMU's mapping does not show what edu wrote at 0x%llx",
		       (unsigned long long)off);

	pattern_fill(out, XFER, seed + 1);
	ASSERT_EQ(0, gpa_write(&self->q, SHM_BAR2_GPA + off + XFER, out, XFER));
	ASSERT_EQ(0, edu_dma(self->imp, off + XFER, in, XFER, EDU_IMP_DIR_FROM_DMABUF));
	EXPECT_EQ(-1, pattern_check(in, XFER, seed + 1))
		TH_LOG("edu does not read what QEMU wrote at 0x%llx",
		       (unsigned long long)off + XFER);
}

/*
 * Ours only (q35's host bridge is on no upstream list): an importer DMAs
 * into QEMU's own buffer, and the bytes are those QEMU's mapping of the
 * BAR shows its guest.
 */
TEST_F_TIMEOUT(qc, importer_dmas_into_qemus_buffer, 300)
{
	story("edu takes QEMU's BAR2 buffer and DMAs; QEMU's mapping shows the bytes");
	P2P_OR_SKIP();
	ASSERT_EQ(0, import_from_qemu(self));
	dma_round_trip(_metadata, self, 0x3000, 0x21);
	dma_round_trip(_metadata, self, (16UL << 20) - 2 * XFER, 0x22);
}

/*
 * Ours only (as above): QMP system_reset makes QEMU turn the device's
 * decoding off (and reset it where it can): the importer is notified and
 * its mapping dropped. When the "guest" maps the BAR again, it maps and
 * DMAs again.
 */
TEST_F_TIMEOUT(qc, system_reset_revokes_then_maps_again, 300)
{
	struct edu_imp_info info;
	uint64_t notes;
	int yes, no;

	P2P_OR_SKIP();
	story("QMP system_reset revokes; the guest maps the BAR again, edu DMAs again");
	ASSERT_EQ(0, import_from_qemu(self));
	ASSERT_EQ(0, edu_info(self->imp, &info));
	ASSERT_EQ(1, info.mapped);
	notes = info.move_notify_count;

	ASSERT_EQ(0, qmp(&self->q, "{\"execute\":\"system_reset\"}", NULL, 0));
	if (qmp_event(&self->q, "RESET", 60)) {
		slurp(QROOT Q_LOG, self->log, sizeof(self->log));
		ksft_print_msg("no RESET event; QEMU's log:\n%s", self->log);
		dump_task(self->q.pid);
		ASSERT_TRUE(0);
	}
	ASSERT_EQ(0, edu_info(self->imp, &info));
	EXPECT_LT(notes, info.move_notify_count);
	EXPECT_EQ(0, info.mapped);
	if (!exporter_is_upstream()) {
		ASSERT_EQ(1, rv_debugfs_exports(self->shm, &yes, &no));
		EXPECT_EQ(1, yes);
	}
	EXPECT_EQ(-ENODEV, edu_map(self->imp));

	/* the reset cleared QEMU's BAR too: map it as firmware would */
	ASSERT_EQ(0, shm_map_bar2(&self->q));
	if (!exporter_is_upstream()) {
		ASSERT_EQ(1, rv_debugfs_exports(self->shm, &yes, &no));
		EXPECT_EQ(1, no);
	}
	ASSERT_EQ(0, edu_map(self->imp));
	dma_round_trip(_metadata, self, 0x5000, 0x31);
}

/*
 * QMP quit (and device_del, which QEMU ends the same way: close of the
 * device) leaves no export: debugfs lists none, a copy still held is
 * dead for good (attach ENODEV), and once it is closed no dma-buf is
 * left behind.
 */
TEST_F_TIMEOUT(qc, quit_leaves_no_export, 300)
{
	int fd = shm_bar2_fd(self), yes, no, i, imp;

	story("QMP quit: no export is left");
	ASSERT_LE(0, fd);
	self->buf = pidfd_getfd_of(self->q.pid, fd);
	ASSERT_LE(0, self->buf);
	qemu_stop(&self->q);
	if (!exporter_is_upstream())
		for (i = 0; i < self->ndev; i++)
			EXPECT_EQ(0, rv_debugfs_exports(self->bdfs[i], &yes, &no));
	imp = dmabuf_open_importer(self->edu, sizeof(self->edu));
	ASSERT_LE(0, imp);
	EXPECT_EQ(-ENODEV, edu_attach(imp, self->buf, 0));
	close(imp);
	EXPECT_EQ(self->dmabufs_before + 1, rv_dmabuf_count());
	close(self->buf);
	self->buf = -1;
	EXPECT_EQ(self->dmabufs_before, rv_dmabuf_count());
}

/*
 * The order a guest that is reset and then shut down gives: an importer
 * mapped, system_reset revokes (decoding off, the device reset where it
 * can be), the importer goes, then QEMU quits while the buffers are
 * revoked. Afterwards nothing holds the device: it opens again, and no
 * export is left.
 */
TEST_F_TIMEOUT(qc, quit_after_reset_frees_the_device, 300)
{
	struct dev_regions regs;
	int yes, no, i;

	P2P_OR_SKIP();
	ASSERT_EQ(0, import_from_qemu(self));
	ASSERT_EQ(0, qmp(&self->q, "{\"execute\":\"system_reset\"}", NULL, 0));
	ASSERT_EQ(0, qmp_event(&self->q, "RESET", 60));
	close(self->imp);
	self->imp = -1;
	close(self->buf);
	self->buf = -1;
	qemu_stop(&self->q);
	ASSERT_EQ(-1, self->q.pid);
	for (i = 0; i < self->ndev; i++) {
		EXPECT_EQ(0, vfio_areas(self->bdfs[i], &regs)) TH_LOG("%s", self->bdfs[i]);
		if (!exporter_is_upstream())
			EXPECT_EQ(0, rv_debugfs_exports(self->bdfs[i], &yes, &no));
	}
	EXPECT_EQ(self->dmabufs_before, rv_dmabuf_count());
}

/*
 * The same QEMU on stock vfio-pci: on a kernel without the feature (6.1,
 * 6.12) it warns that P2P DMA will not work and hands out no dma-buf;
 * where stock vfio-pci has upstream's exporter (7.x) it gets them, one
 * per mmap area, as with ours. Not run against upstream: there every
 * test of this suite is on stock vfio-pci already.
 */
FIXTURE(stock) {
	int unused;
};

FIXTURE_SETUP(stock)
{
}

FIXTURE_TEARDOWN(stock)
{
}

TEST_F_TIMEOUT(stock, vfio_pci_falls_back, 300)
{
	struct trace_row rows[2 * MAX_AREAS];
	struct dev_regions regs;
	static char log[16384];
	struct qemu q;
	char shm[32];
	int n, i, ret, fds[4];
	off_t sizes[4];
	bool feature;

	OURS_ONLY("every test here runs on stock vfio-pci against upstream");
	story("The same QEMU on stock vfio-pci");
	ret = qroot_setup();
	if (ret == 1)
		SKIP(return, "this kernel has no virtio-9p: no QEMU root");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, bench_find_pci(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM, 0,
				    shm, sizeof(shm)));
	ASSERT_EQ(0, bench_modprobe(UPSTREAM_DRIVER, NULL));
	/* an unbind waits for the device's release: not while one holds it */
	ret = vfio_areas(shm, &regs);
	if (ret)
		dump_qemus();
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, bench_bind(shm, UPSTREAM_DRIVER));
	feature = kernel_has_vfio_dmabuf() == 1;
	ASSERT_EQ(0, vfio_areas(shm, &regs));
	ASSERT_LT(0, regs.nr);
	{
		const char *bdfs[] = { shm };

		ret = qemu_start(&q, bdfs, 1);
	}
	slurp(QROOT Q_LOG, log, sizeof(log));
	if (ret)
		qemu_stop(&q);
	ASSERT_EQ(0, ret) TH_LOG("QEMU did not start: %s\n%s", strerror(-ret), log);
	n = trace_rows(rows, 2 * MAX_AREAS, log, sizeof(log));
	i = qemu_dmabufs(q.pid, fds, sizes, 4, NULL, 0);
	qemu_stop(&q);
	ksft_print_msg("stock vfio-pci, kernel %s the feature: %d trace lines, %d dma-bufs held\n",
		       feature ? "with" : "without", n, i);
	ksft_print_msg("QEMU's log:\n%s", log);
	ASSERT_EQ(0, bench_bind(shm, exporter_driver()));
	if (feature) {
		expect_one_per_area(_metadata, &regs, 1, rows, n, log);
		EXPECT_EQ(n, i);
	} else {
		/* the kernel does not know the feature (ENOTTY): said once */
		EXPECT_NE(NULL, strstr(log, "VFIO dma-buf not supported in kernel, "
				       WARN_FALLBACK)) TH_LOG("%s", log);
		EXPECT_EQ(0, i);
		for (i = 0; i < n; i++)
			EXPECT_GT(0, rows[i].fd);
	}
}

TEST_HARNESS_MAIN
