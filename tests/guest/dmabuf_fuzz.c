// SPDX-License-Identifier: GPL-2.0
/*
 * Stateful fuzzer ("basic" topology): random sequences of operations over
 * the whole surface an exporting process and its importers reach, each
 * result checked against a model of what upstream's rules say it must be.
 *
 * The model holds the device (open or closed, memory decoding on or off),
 * the dma-buf objects exported so far (each dead once the device that
 * exported it was closed), the fds naming them (dup, passed over a unix
 * socket, inherited by children), the importer contexts (attached to
 * which object, mapped or not) and CPU mappings of buffers. Operations:
 * export with valid and near-valid arguments, dup, close, SCM_RIGHTS,
 * importer attach (p2p, no-p2p) / map / unmap / detach / DMA with the
 * bytes checked through the VFIO region, mmap and CPU access (SIGBUS while
 * revoked), PCI_COMMAND writes, VFIO_DEVICE_RESET, close and reopen of the
 * device, and children that export, attach and are killed with SIGKILL at
 * a random point. After each operation the importers' state is compared
 * with the model; now and then the debugfs export list too.
 *
 * Seeded and reproducible: FUZZ_SEED (environment; default from the clock)
 * is printed first, and the same seed replays the same sequence (children
 * killed at random points aside). FUZZ_OPS sets the number of operations
 * (default 20000). A failure prints the seed and the last operations.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fixture.h"
#include "kcov.h"
#include "kselftest_harness.h"

#define BAR		VFIO_PCI_BAR2_REGION_INDEX
#define NSLOTS		24	/* buffer fds held at once */
#define NOBJS		64	/* dma-buf objects alive at once (model) */
#define NIMP		2	/* importer contexts */
#define NMAPS		4	/* CPU mappings */
#define SPAN		(1u << 20)	/* exports stay in the first MiB */
#define MAX_RANGES	4
#define DMA_LEN		64
#define HISTORY		16
#ifndef PAGE_SIZE
#define PAGE_SIZE	4096u
#endif

struct fz_range {
	uint64_t off, len;
};

/* One exported dma-buf, as the model sees it. */
struct fz_obj {
	bool used;
	bool dead;		/* exported by a device fd since closed */
	bool rdonly;
	uint32_t nr;
	struct fz_range r[MAX_RANGES];
	uint64_t size;
};

struct fz_imp {
	int fd;
	int obj;		/* attached object, -1 if none */
	bool mapped;		/* holds a valid mapping */
};

struct fz_map {
	uint8_t *p;		/* NULL if unused */
	uint64_t len;
	int obj;
};

struct fz {
	struct rv_dev d;
	uint64_t bar_size;
	uint64_t bar_off;	/* file offset of the BAR region */
	bool dev_open;
	bool mem_on;
	bool can_reset;
	uint64_t rng;
	int slot_fd[NSLOTS];
	int slot_obj[NSLOTS];
	struct fz_obj obj[NOBJS];
	struct fz_imp imp[NIMP];
	struct fz_map map[NMAPS];
	int sock[2];
	/* Counts printed at the end. */
	unsigned long ops, op_count[32], refused, sigbus, children, killed;
	uint64_t op_ns[32];	/* time spent in each operation */
	char history[HISTORY][96];
	unsigned int hist_pos;
	/*
	 * The coverage-guided test runs a second thread (the racer) beside
	 * the model's. dev_lock guards d.v.device and dev_open against it,
	 * and keeps its exports out of a debugfs count: the racer holds it
	 * for read around each of its operations; the model's thread takes
	 * it for write (fz_quiet) to close or reopen the device and to count
	 * exports, and changes neither without it while racing.
	 */
	bool racing;
	pthread_rwlock_t dev_lock;
};

static void fz_quiet(struct fz *f)
{
	if (f->racing)
		pthread_rwlock_wrlock(&f->dev_lock);
}

static void fz_unquiet(struct fz *f)
{
	if (f->racing)
		pthread_rwlock_unlock(&f->dev_lock);
}

/* Read BAR bytes through the VFIO region (memory decoding must be on). */
static int read_bar(struct fz *f, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(f->d.v.device, buf, len, f->bar_off + off);

	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

/* splitmix64: one state word, good enough to pick operations. */
static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t fz_rand(struct fz *f)
{
	return splitmix(&f->rng);
}

static uint32_t fz_below(struct fz *f, uint32_t n)
{
	return (uint32_t)(fz_rand(f) % n);
}

static void fz_note(struct fz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fz_note(struct fz *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->history[f->hist_pos++ % HISTORY], sizeof(f->history[0]),
		  fmt, ap);
	va_end(ap);
}

static void fz_dump_history(struct fz *f)
{
	unsigned int i, n = f->hist_pos < HISTORY ? f->hist_pos : HISTORY;

	for (i = f->hist_pos - n; i < f->hist_pos; i++)
		ksft_print_msg("  op %u: %s\n", i, f->history[i % HISTORY]);
}

static bool obj_revoked(struct fz *f, int o)
{
	return f->obj[o].dead || !f->dev_open || !f->mem_on;
}

/* Is object @o still referenced by a slot, an importer or a mapping? */
static bool obj_referenced(struct fz *f, int o)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		if (f->slot_fd[i] >= 0 && f->slot_obj[i] == o)
			return true;
	for (i = 0; i < NIMP; i++)
		if (f->imp[i].obj == o)
			return true;
	for (i = 0; i < NMAPS; i++)
		if (f->map[i].p && f->map[i].obj == o)
			return true;
	return false;
}

static void obj_put(struct fz *f, int o)
{
	if (o >= 0 && !obj_referenced(f, o))
		f->obj[o].used = false;
}

static int free_slot(struct fz *f)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		if (f->slot_fd[i] < 0)
			return i;
	return -1;
}

static int used_slot(struct fz *f)
{
	int i, start = fz_below(f, NSLOTS);

	for (i = 0; i < NSLOTS; i++)
		if (f->slot_fd[(start + i) % NSLOTS] >= 0)
			return (start + i) % NSLOTS;
	return -1;
}

/* Live (linked) exports of ours: objects whose device has not closed. */
static int model_live_exports(struct fz *f)
{
	int i, n = 0;

	for (i = 0; i < NOBJS; i++)
		n += f->obj[i].used && !f->obj[i].dead;
	return n;
}

/* Every importer drops its mapping on a revoke (move_notify). */
static void model_revoke_all(struct fz *f)
{
	int i;

	for (i = 0; i < NIMP; i++)
		f->imp[i].mapped = false;
}

/* Room for one export request with up to MAX_RANGES ranges. */
#define REQ_MAX		(sizeof(struct vfio_device_feature) + \
			 sizeof(struct vfio_device_feature_dma_buf) + \
			 MAX_RANGES * sizeof(struct vfio_region_dma_range))

/*
 * Fill @mem (REQ_MAX bytes) with an export request of @nr ranges that
 * claims @nr_claimed and an argsz @argsz_delta off; returns its length.
 */
static size_t build_req(uint8_t *mem, uint32_t region, uint32_t open_flags,
			uint32_t flags, const struct fz_range *r, uint32_t nr,
			uint32_t nr_claimed, long argsz_delta)
{
	struct vfio_device_feature *hdr = (void *)mem;
	struct vfio_device_feature_dma_buf *get = (void *)hdr->data;
	struct vfio_region_dma_range *dr = get->dma_ranges;
	size_t len = sizeof(*hdr) + sizeof(*get) + nr * sizeof(*dr);
	uint32_t i;

	memset(mem, 0, REQ_MAX);
	hdr->argsz = len + argsz_delta;
	hdr->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	get->region_index = region;
	get->open_flags = open_flags;
	get->flags = flags;
	get->nr_ranges = nr_claimed;
	for (i = 0; i < nr; i++) {
		dr[i].offset = r[i].off;
		dr[i].length = r[i].len;
	}
	return len;
}

static int export_req(int device, uint32_t region, uint32_t open_flags,
		      uint32_t flags, const struct fz_range *r, uint32_t nr,
		      uint32_t nr_claimed, long argsz_delta)
{
	uint8_t mem[REQ_MAX];
	int fd;

	build_req(mem, region, open_flags, flags, r, nr, nr_claimed,
		  argsz_delta);
	fd = ioctl(device, VFIO_DEVICE_FEATURE, mem);
	return fd < 0 ? -errno : fd;
}

/*
 * Pick 1..MAX_RANGES valid page ranges inside the first SPAN of the BAR,
 * drawn from @state (the model's f->rng, or the racer's own).
 */
static uint32_t pick_ranges(uint64_t *state, struct fz_range *r)
{
	uint32_t nr = 1 + (uint32_t)(splitmix(state) % MAX_RANGES), i;
	uint32_t pages = SPAN / PAGE_SIZE;

	for (i = 0; i < nr; i++) {
		r[i].off = (uint64_t)(uint32_t)(splitmix(state) % (pages - 4)) *
			   PAGE_SIZE;
		r[i].len = (uint64_t)(1 + (uint32_t)(splitmix(state) % 4)) *
			   PAGE_SIZE;
	}
	return nr;
}

static int new_obj(struct fz *f)
{
	int i;

	for (i = 0; i < NOBJS; i++)
		if (!f->obj[i].used)
			return i;
	return -1;
}

/*
 * The refusals a near-valid request may get: whichever rule fires first,
 * it is one of these (upstream and ours agree on the set; the order of
 * checks is the uapi suite's business).
 */
static bool refusal_errno(int ret)
{
	return ret == -EINVAL || ret == -ENODEV || ret == -EOVERFLOW;
}

enum fz_op {
	OP_EXPORT, OP_EXPORT_BAD, OP_DUP, OP_CLOSE, OP_PASS, OP_ATTACH,
	OP_MAP, OP_UNMAP, OP_DETACH, OP_DMA, OP_MMAP, OP_TOUCH, OP_MUNMAP,
	OP_MEM, OP_RESET, OP_REOPEN, OP_CHILD, OP_NR
};

/* [OP_NR]: the guided mode's return to its start state (world_reset). */
static const char *const op_name[OP_NR + 1] = {
	"export", "export-bad", "dup", "close", "scm-rights", "attach",
	"map", "unmap", "detach", "dma", "mmap", "touch", "munmap",
	"memory-bit", "reset", "reopen", "child", "start-state",
};

/*
 * Relative weights (per about 4400): cheap calls often; device-wide events,
 * edu DMA (milliseconds each under TCG) and children seldom.
 */
static const unsigned int op_weight[OP_NR] = {
	[OP_EXPORT] = 600, [OP_EXPORT_BAD] = 400, [OP_DUP] = 200,
	[OP_CLOSE] = 600, [OP_PASS] = 100, [OP_ATTACH] = 500, [OP_MAP] = 500,
	[OP_UNMAP] = 200, [OP_DETACH] = 300, [OP_DMA] = 30, [OP_MMAP] = 150,
	[OP_TOUCH] = 300, [OP_MUNMAP] = 100, [OP_MEM] = 100, [OP_RESET] = 10,
	[OP_REOPEN] = 10, [OP_CHILD] = 1,
};

static enum fz_op pick_op(uint64_t *state)
{
	unsigned int total = 0, i, x;

	for (i = 0; i < OP_NR; i++)
		total += op_weight[i];
	x = (unsigned int)(splitmix(state) % total);
	for (i = 0; i < OP_NR; i++) {
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_EXPORT;
}

static sigjmp_buf touch_jmp;
static volatile sig_atomic_t touch_armed;

static void on_sigbus(int sig)
{
	(void)sig;
	if (touch_armed)
		siglongjmp(touch_jmp, 1);
	_exit(99);
}

/* Read one byte of a CPU mapping: 0 if it could, -EFAULT on SIGBUS. */
static int touch_byte(volatile uint8_t *p, uint8_t *out)
{
	if (sigsetjmp(touch_jmp, 1)) {
		touch_armed = 0;
		return -EFAULT;
	}
	touch_armed = 1;
	*out = *p;
	touch_armed = 0;
	return 0;
}

/* Send @fd to ourselves over the socket pair: a new fd, or -errno. */
static int pass_fd(int sock[2], int fd)
{
	int ret = fd_send(sock[0], fd, 0);

	return ret ? ret : fd_recv(sock[1], 0);
}

/*
 * A child with the device fd and every buffer fd inherited: it exports,
 * attaches its own importer context, maps and DMAs in a loop until the
 * parent kills it (or it finishes and exits). Whatever it made must be
 * gone once it is reaped.
 */
static void child_body(struct fz *f, unsigned int iters)
{
	struct fz_range r[MAX_RANGES];
	uint8_t data[DMA_LEN] = { 0 };
	unsigned int i;
	int imp, buf, nr;

	imp = rv_imp_open();
	for (i = 0; i < iters; i++) {
		nr = pick_ranges(&f->rng, r);
		buf = export_req(f->d.v.device, BAR, O_RDWR, 0, r, nr, nr, 0);
		if (buf < 0 || imp < 0)
			continue;
		if (!edu_attach(imp, buf, 0) &&
		    !edu_map(imp) && !(i & 3))
			edu_dma(imp, 0, data, sizeof(data),
				   EDU_IMP_DIR_FROM_DMABUF);
		if (i & 1)
			close(buf);
		else
			edu_detach(imp);
	}
	_exit(0);
}

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		ksft_print_msg("op %lu (%s): ", f->ops, op_name[op]); \
		ksft_print_msg(__VA_ARGS__); \
		ksft_print_msg("\n"); \
		return -1; \
	} \
} while (0)

/* Close the device, or open it again: the model follows (fz_quiet held). */
static int reopen(struct fz *f)
{
	enum fz_op op = OP_REOPEN;	/* for CHECK */
	uint16_t cmd;
	int o, ret;

	if (f->dev_open) {
		rv_dev_close(&f->d);
		f->dev_open = false;
		model_revoke_all(f);
		for (o = 0; o < NOBJS; o++)
			f->obj[o].dead |= f->obj[o].used;
		fz_note(f, "device closed");
	} else {
		ret = rv_dev_reopen(&f->d);
		CHECK(ret == 0, "reopen: %s", strerror(-ret));
		f->dev_open = true;
		/* vfio-pci enables memory decoding on open. */
		ret = rv_cfg_read16(&f->d, PCI_COMMAND, &cmd);
		CHECK(ret == 0, "command read: %s", strerror(-ret));
		f->mem_on = cmd & PCI_COMMAND_MEMORY;
		fz_note(f, "device reopened, memory %d", f->mem_on);
	}
	return 0;
}

static int do_op(struct fz *f, enum fz_op op)
{
	struct fz_range r[MAX_RANGES];
	uint8_t data[DMA_LEN], got[DMA_LEN];
	int s, o, i, ret, fd;
	uint32_t nr;
	uint16_t cmd;

	switch (op) {
	case OP_EXPORT: {
		bool rdonly = fz_below(f, 4) == 0;

		s = free_slot(f);
		o = new_obj(f);
		if (s < 0 || o < 0 || !f->dev_open)
			return 0;
		nr = pick_ranges(&f->rng, r);
		fd = export_req(f->d.v.device, BAR,
				(rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0,
				r, nr, nr, 0);
		CHECK(fd >= 0, "valid export refused: %s", strerror(-fd));
		f->slot_fd[s] = fd;
		f->slot_obj[s] = o;
		memset(&f->obj[o], 0, sizeof(f->obj[o]));
		f->obj[o].used = true;
		f->obj[o].rdonly = rdonly;
		f->obj[o].nr = nr;
		memcpy(f->obj[o].r, r, sizeof(r));
		for (i = 0; i < (int)nr; i++)
			f->obj[o].size += r[i].len;
		CHECK(dmabuf_size(fd) == (off_t)f->obj[o].size,
		      "size is not the sum of the ranges");
		fz_note(f, "export slot %d obj %d nr %u%s", s, o, nr,
			rdonly ? " ro" : "");
		return 0;
	}
	case OP_EXPORT_BAD: {
		uint32_t region = BAR, flags = 0, oflags = O_RDWR, claimed;
		bool accept = false;
		long delta = 0;

		if (!f->dev_open)
			return 0;
		nr = pick_ranges(&f->rng, r);
		claimed = nr;
		switch (fz_below(f, 9)) {
		case 0: claimed = 0; break;
		case 1: flags = 1u << fz_below(f, 32); break;
		case 2: region = fz_below(f, 2) ? 0 : 1;
			region = fz_below(f, 2) ? region : 6 + fz_below(f, 10);
			break;
		case 3:
			/*
			 * Upstream ignores open_flags it does not use, and
			 * reads the ranges whatever argsz says: both are
			 * accepted (contract), and the buffer closed again.
			 */
			oflags |= 1u << (24 + fz_below(f, 7));
			accept = true;
			break;
		case 4: r[fz_below(f, nr)].off += 1 + fz_below(f, PAGE_SIZE - 1);
			break;
		case 5: r[fz_below(f, nr)].len = fz_below(f, 2) ? 0 :
				PAGE_SIZE - 1 - fz_below(f, PAGE_SIZE - 1);
			break;
		case 6: r[fz_below(f, nr)].off = f->bar_size; break;
		case 7: r[fz_below(f, nr)].off = ~0ull - PAGE_SIZE + 1; break;
		default:
			delta = -1 - (long)fz_below(f, 8);
			accept = true;
			break;
		}
		fd = export_req(f->d.v.device, region, oflags, flags, r, nr,
				claimed, delta);
		if (fd >= 0)
			close(fd);
		if (accept) {
			CHECK(fd >= 0, "odd but valid export refused: %s",
			      strerror(-fd));
			return 0;
		}
		CHECK(refusal_errno(fd), "bad export got %s",
		      fd >= 0 ? "a buffer" : strerror(-fd));
		f->refused++;
		return 0;
	}
	case OP_DUP:
		s = used_slot(f);
		i = free_slot(f);
		if (s < 0 || i < 0)
			return 0;
		fd = fcntl(f->slot_fd[s], F_DUPFD_CLOEXEC, 0);
		CHECK(fd >= 0, "dup: %s", strerror(errno));
		f->slot_fd[i] = fd;
		f->slot_obj[i] = f->slot_obj[s];
		return 0;
	case OP_CLOSE:
		s = used_slot(f);
		if (s < 0)
			return 0;
		CHECK(close(f->slot_fd[s]) == 0, "close: %s", strerror(errno));
		f->slot_fd[s] = -1;
		obj_put(f, f->slot_obj[s]);
		fz_note(f, "close slot %d", s);
		return 0;
	case OP_PASS:
		s = used_slot(f);
		i = free_slot(f);
		if (s < 0 || i < 0)
			return 0;
		fd = pass_fd(f->sock, f->slot_fd[s]);
		CHECK(fd >= 0, "SCM_RIGHTS: %s", strerror(-fd));
		o = f->slot_obj[s];
		CHECK(dmabuf_size(fd) == (off_t)f->obj[o].size,
		      "received buffer has another size");
		f->slot_fd[i] = fd;
		f->slot_obj[i] = o;
		return 0;
	case OP_ATTACH: {
		struct fz_imp *im = &f->imp[fz_below(f, NIMP)];
		bool no_p2p = fz_below(f, 8) == 0;

		s = used_slot(f);
		if (s < 0)
			return 0;
		o = f->slot_obj[s];
		ret = edu_attach(im->fd, f->slot_fd[s], no_p2p ?
				    EDU_IMP_ATTACH_DYNAMIC |
				    EDU_IMP_ATTACH_NO_P2P : 0);
		fz_note(f, "attach imp %d obj %d%s -> %d",
			(int)(im - f->imp), o, no_p2p ? " no-p2p" : "", ret);
		if (im->obj >= 0)
			CHECK(ret == -EBUSY, "attach twice: %d", ret);
		else if (no_p2p)
			CHECK(ret == -EOPNOTSUPP, "attach without p2p: %d",
			      ret);
		else if (obj_revoked(f, o))
			CHECK(ret == -ENODEV, "attach to revoked: %d", ret);
		else
			CHECK(ret == 0, "attach: %s", strerror(-ret));
		if (!ret) {
			im->obj = o;
			im->mapped = false;
		}
		return 0;
	}
	case OP_MAP: {
		struct fz_imp *im = &f->imp[fz_below(f, NIMP)];

		ret = edu_map(im->fd);
		fz_note(f, "map imp %d -> %d", (int)(im - f->imp), ret);
		if (im->obj < 0)
			CHECK(ret == -ENODEV, "map unattached: %d", ret);
		else if (im->mapped)
			CHECK(ret == -EBUSY, "map twice: %d", ret);
		else if (obj_revoked(f, im->obj))
			CHECK(ret == -ENODEV, "map revoked: %d", ret);
		else
			CHECK(ret == 0, "map: %s", strerror(-ret));
		if (!ret)
			im->mapped = true;
		return 0;
	}
	case OP_UNMAP: {
		struct fz_imp *im = &f->imp[fz_below(f, NIMP)];

		ret = edu_unmap(im->fd);
		CHECK(ret == (im->obj < 0 ? -ENODEV : 0), "unmap: %d", ret);
		im->mapped = false;
		return 0;
	}
	case OP_DETACH: {
		struct fz_imp *im = &f->imp[fz_below(f, NIMP)];

		ret = edu_detach(im->fd);
		fz_note(f, "detach imp %d -> %d", (int)(im - f->imp), ret);
		CHECK(ret == (im->obj < 0 ? -ENOENT : 0), "detach: %d", ret);
		o = im->obj;
		im->obj = -1;
		im->mapped = false;
		obj_put(f, o);
		return 0;
	}
	case OP_DMA: {
		struct fz_imp *im = &f->imp[fz_below(f, NIMP)];
		const struct fz_obj *ob;

		for (i = 0; i < DMA_LEN; i++)
			data[i] = (uint8_t)fz_rand(f);
		ret = edu_dma(im->fd, 0, data, DMA_LEN,
				 EDU_IMP_DIR_TO_DMABUF);
		fz_note(f, "dma imp %d -> %d", (int)(im - f->imp), ret);
		if (im->obj < 0 || !im->mapped) {
			CHECK(ret == -ENODEV, "dma without mapping: %d", ret);
			return 0;
		}
		CHECK(ret == 0, "dma: %s", strerror(-ret));
		/* A valid mapping exists only while not revoked. */
		ob = &f->obj[im->obj];
		CHECK(!obj_revoked(f, im->obj), "mapped while revoked");
		ret = read_bar(f, ob->r[0].off, got, DMA_LEN);
		CHECK(ret == 0, "read back: %s", strerror(-ret));
		CHECK(!memcmp(got, data, DMA_LEN),
		      "DMA did not land at BAR offset %#llx",
		      (unsigned long long)ob->r[0].off);
		return 0;
	}
	case OP_MMAP: {
		struct fz_map *m = &f->map[fz_below(f, NMAPS)];
		void *p;

		s = used_slot(f);
		if (s < 0 || m->p)
			return 0;
		o = f->slot_obj[s];
		p = mmap(NULL, f->obj[o].size, PROT_READ, MAP_SHARED,
			 f->slot_fd[s], 0);
		ret = p == MAP_FAILED ? -errno : 0;
		if (obj_revoked(f, o)) {
			CHECK(ret == -ENODEV, "mmap of revoked: %d", ret);
		} else {
			CHECK(ret == 0, "mmap: %s", strerror(-ret));
			m->p = p;
			m->len = f->obj[o].size;
			m->obj = o;
		}
		return 0;
	}
	case OP_TOUCH: {
		struct fz_map *m = &f->map[fz_below(f, NMAPS)];
		uint8_t byte;

		if (!m->p)
			return 0;
		ret = touch_byte(m->p + fz_below(f, m->len), &byte);
		if (obj_revoked(f, m->obj)) {
			CHECK(ret == -EFAULT, "CPU read while revoked worked");
			f->sigbus++;
		} else {
			CHECK(ret == 0, "CPU read of a live buffer: SIGBUS");
		}
		return 0;
	}
	case OP_MUNMAP: {
		struct fz_map *m = &f->map[fz_below(f, NMAPS)];

		if (!m->p)
			return 0;
		CHECK(munmap(m->p, m->len) == 0, "munmap: %s",
		      strerror(errno));
		m->p = NULL;
		obj_put(f, m->obj);
		return 0;
	}
	case OP_MEM:
		if (!f->dev_open)
			return 0;
		ret = rv_set_memory(&f->d, !f->mem_on);
		CHECK(ret == 0, "PCI_COMMAND write: %s", strerror(-ret));
		f->mem_on = !f->mem_on;
		if (!f->mem_on)
			model_revoke_all(f);
		fz_note(f, "memory %s", f->mem_on ? "on" : "off");
		return 0;
	case OP_RESET:
		if (!f->dev_open)
			return 0;
		ret = ioctl(f->d.v.device, VFIO_DEVICE_RESET) ? -errno : 0;
		if (!f->can_reset) {
			CHECK(ret == -EINVAL, "reset without reset: %d", ret);
			return 0;
		}
		CHECK(ret == 0, "reset: %s", strerror(-ret));
		model_revoke_all(f);
		/* The reset restores the command register as it was. */
		ret = rv_cfg_read16(&f->d, PCI_COMMAND, &cmd);
		CHECK(ret == 0 && !!(cmd & PCI_COMMAND_MEMORY) == f->mem_on,
		      "command register after reset: %#x", cmd);
		fz_note(f, "reset");
		return 0;
	case OP_REOPEN:
		fz_quiet(f);
		ret = reopen(f);
		fz_unquiet(f);
		return ret;
	case OP_CHILD: {
		pid_t pid;
		int status, before;

		if (!f->dev_open)
			return 0;
		before = model_live_exports(f);
		pid = fork();
		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (!pid)
			child_body(f, 1 + fz_below(f, 50));
		f->children++;
		if (fz_below(f, 2)) {
			usleep(fz_below(f, 20000));
			kill(pid, SIGKILL);
		}
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s",
		      strerror(errno));
		if (WIFSIGNALED(status))
			f->killed++;
		else
			CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
			      "child status %#x", status);
		fz_quiet(f);
		ret = rv_debugfs_exports(f->d.bdf, &i, &s);
		fz_unquiet(f);
		CHECK(ret == before, "child's exports outlive it: %d, not %d",
		      ret, before);
		return 0;
	}
	default:
		return 0;
	}
}

/* The importers' own view must match the model after every operation. */
static int check_importers(struct fz *f)
{
	struct edu_imp_info info;
	int i;

	for (i = 0; i < NIMP; i++) {
		if (edu_info(f->imp[i].fd, &info))
			return -1;
		if (info.attached != (f->imp[i].obj >= 0) ||
		    info.mapped != f->imp[i].mapped) {
			ksft_print_msg("op %lu: importer %d attached %u mapped %u, model %d %d\n",
				       f->ops, i, info.attached, info.mapped,
				       f->imp[i].obj >= 0, f->imp[i].mapped);
			return -1;
		}
	}
	return 0;
}

/*
 * Coverage-guided mode (issue 22). KCOV records the PCs of our module each
 * thread runs; an operation sequence that reaches an edge no earlier one
 * reached joins the corpus, and new sequences are mostly mutations of
 * corpus entries.
 *
 * A sequence is a list of steps, each an operation and the seed its random
 * choices come from (do_op draws from f->rng, which the step sets). Every
 * sequence starts from the state world_reset() makes (device open, decoding
 * on, no buffer, attachment or mapping), so an entry replays the same calls
 * and a mutated step changes that step and what depends on it. Corpus
 * lines are "op.seed op.seed ..." (decimal op, hex seed); the saved corpus
 * (FUZZ_CORPUS, default /tests/fuzz-corpus.txt) is replayed first.
 *
 * The racer, a second thread, meanwhile exports and closes, sends feature
 * ioctls with random arguments and with arguments that run into an
 * unmapped page, maps buffers (valid and refused mappings),
 * reads fdinfo, debugfs, config space and region info, racing the model's
 * resets, PCI_COMMAND writes and closes.
 * Its results are not checked against the model (any order is legal); the
 * kernel's detectors (KASAN, lockdep, kmemleak) and the model's own checks
 * are what it can trip.
 */
#define SEQ_MAX		16
#define CORPUS_MAX	4096
#define TRACE_WORDS	(1u << 16)

struct fz_step {
	uint8_t op;
	uint32_t seed;
};

struct fz_seq {
	unsigned int n;
	struct fz_step s[SEQ_MAX];
};

struct fz_guide {
	struct fz_seq *corpus;		/* CORPUS_MAX entries */
	unsigned int ncorpus;
	unsigned int loaded;		/* of which read from the saved corpus */
	struct kcov_map map;		/* shared with the racer */
	struct kcov kcov;		/* the model thread's trace */
	uint64_t gen;			/* picks sequences and mutations */
	unsigned long execs;
	bool stop;			/* atomic: the racer ends */
	unsigned long racer_ops;	/* written by the racer only */
	struct fz *f;
};

static uint32_t gen_below(struct fz_guide *g, uint32_t n)
{
	return (uint32_t)(splitmix(&g->gen) % n);
}

static void random_step(struct fz_guide *g, struct fz_step *st)
{
	st->op = pick_op(&g->gen);
	st->seed = (uint32_t)splitmix(&g->gen);
}

/* A fresh random sequence, or a corpus entry changed in one to three ways. */
static void make_seq(struct fz_guide *g, struct fz_seq *q)
{
	unsigned int rounds, at, i;
	const struct fz_seq *o;

	if (!g->ncorpus || gen_below(g, 8) == 0) {
		q->n = 1 + gen_below(g, SEQ_MAX);
		for (i = 0; i < q->n; i++)
			random_step(g, &q->s[i]);
		return;
	}
	*q = g->corpus[gen_below(g, g->ncorpus)];
	for (rounds = 1 + gen_below(g, 3); rounds; rounds--) {
		at = gen_below(g, q->n);
		switch (gen_below(g, 5)) {
		case 0:		/* same operation, other choices */
			q->s[at].seed = (uint32_t)splitmix(&g->gen);
			break;
		case 1:		/* another operation, same seed */
			q->s[at].op = pick_op(&g->gen);
			break;
		case 2:		/* insert a step */
			if (q->n == SEQ_MAX)
				break;
			memmove(&q->s[at + 1], &q->s[at],
				(q->n - at) * sizeof(q->s[0]));
			random_step(g, &q->s[at]);
			q->n++;
			break;
		case 3:		/* drop a step */
			if (q->n == 1)
				break;
			memmove(&q->s[at], &q->s[at + 1],
				(q->n - at - 1) * sizeof(q->s[0]));
			q->n--;
			break;
		default:	/* splice: another entry's steps from here on */
			o = &g->corpus[gen_below(g, g->ncorpus)];
			for (i = 0; at + 1 + i < SEQ_MAX && i < o->n; i++)
				q->s[at + 1 + i] = o->s[i];
			q->n = at + 1 + i;
			break;
		}
	}
}

/*
 * Back to the start state: every mapping, attachment and buffer fd gone,
 * the device open with decoding on, and debugfs listing no export (what
 * the model holds was all there was: anything else leaked).
 */
static int world_reset(struct fz *f)
{
	enum fz_op op = OP_NR;	/* for CHECK: not one operation's fault */
	int i, n, yes, no, ret = 0;
	uint16_t cmd;

	for (i = 0; i < NMAPS; i++) {
		if (f->map[i].p)
			munmap(f->map[i].p, f->map[i].len);
		f->map[i].p = NULL;
	}
	for (i = 0; i < NIMP; i++) {
		if (f->imp[i].obj >= 0)
			CHECK(edu_detach(f->imp[i].fd) == 0, "reset: detach");
		f->imp[i].obj = -1;
		f->imp[i].mapped = false;
	}
	for (i = 0; i < NSLOTS; i++) {
		if (f->slot_fd[i] >= 0)
			close(f->slot_fd[i]);
		f->slot_fd[i] = -1;
	}
	memset(f->obj, 0, sizeof(f->obj));
	fz_quiet(f);
	if (!f->dev_open) {
		ret = rv_dev_reopen(&f->d);
		f->dev_open = !ret;
	}
	if (!ret && rv_cfg_read16(&f->d, PCI_COMMAND, &cmd) == 0)
		f->mem_on = cmd & PCI_COMMAND_MEMORY;
	if (!ret && !f->mem_on) {
		ret = rv_set_memory(&f->d, true);
		f->mem_on = !ret;
	}
	n = ret ? 0 : rv_debugfs_exports(f->d.bdf, &yes, &no);
	fz_unquiet(f);
	CHECK(ret == 0, "reset: device: %s", strerror(-ret));
	CHECK(n == 0, "reset: debugfs lists %d exports after every fd closed",
	      n);
	return 0;
}

/* Run @q from the start state; *fresh: edges no earlier sequence reached. */
static int run_seq(struct fz *f, struct fz_guide *g, const struct fz_seq *q,
		   unsigned long *fresh)
{
	unsigned int i;
	enum fz_op op;
	int ret;

	*fresh = 0;
	kcov_reset(&g->kcov);
	for (i = 0; i < q->n; i++, f->ops++) {
		op = q->s[i].op < OP_NR ? q->s[i].op : OP_EXPORT;
		f->rng = q->s[i].seed;
		f->op_count[op]++;
		if (do_op(f, op) || check_importers(f))
			return -1;
		*fresh += kcov_fold(&g->kcov, &g->map);
	}
	ret = world_reset(f);
	*fresh += kcov_fold(&g->kcov, &g->map);
	return ret;
}

static void corpus_load(struct fz_guide *g, const char *path)
{
	unsigned int op, seed;
	struct fz_seq *q;
	char line[1024], *p;
	int used;
	FILE *in;

	in = fopen(path, "re");
	if (!in)
		return;
	while (g->ncorpus < CORPUS_MAX && fgets(line, sizeof(line), in)) {
		q = &g->corpus[g->ncorpus];
		q->n = 0;
		for (p = line; q->n < SEQ_MAX &&
		     sscanf(p, " %u.%x%n", &op, &seed, &used) == 2; p += used) {
			q->s[q->n].op = op < OP_NR ? op : OP_EXPORT;
			q->s[q->n++].seed = seed;
		}
		if (q->n)
			g->ncorpus++;
	}
	fclose(in);
	g->loaded = g->ncorpus;
}

static void corpus_print(const struct fz_seq *q)
{
	char line[SEQ_MAX * 16 + 1];
	unsigned int i, len = 0;

	for (i = 0; i < q->n; i++)
		len += snprintf(line + len, sizeof(line) - len, "%s%u.%x",
				i ? " " : "", q->s[i].op, q->s[i].seed);
	ksft_print_msg("fuzz-corpus: %s\n", line);
}

/* Read a whole file and drop it: what debugfs and fdinfo print. */
static void racer_read(const char *path)
{
	char *buf = rv_slurp(path);

	free(buf);
}

/*
 * A mapping of an export with random protection, sharing, length and
 * offset: the valid ones are mapped and unmapped untouched (only the model
 * thread touches, under its SIGBUS handler), the others refused.
 */
static void racer_mmap(int fd, uint64_t size, uint64_t *rng)
{
	int prot = splitmix(rng) & 1 ? PROT_READ : PROT_READ | PROT_WRITE;
	int flags = splitmix(rng) % 4 ? MAP_SHARED : MAP_PRIVATE;
	uint64_t len = (1 + splitmix(rng) % (size / PAGE_SIZE + 1)) * PAGE_SIZE;
	off_t off = splitmix(rng) % 3 ? 0 : PAGE_SIZE;
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p != MAP_FAILED)
		munmap(p, len);
}

/*
 * An export request that runs into an unmapped page (@guard is the last
 * readable page before one): the header stays readable, the cut falls in
 * the feature's arguments or in its ranges, so the copy from the user
 * fails there (EFAULT), or the request is refused before reading that far.
 */
static void racer_efault(struct fz *f, uint8_t *guard, uint32_t nr,
			 const struct fz_range *r, uint64_t *rng)
{
	uint8_t mem[REQ_MAX];
	size_t len = build_req(mem, BAR, O_RDWR | O_CLOEXEC, 0, r, nr, nr, 0);
	size_t cut = 1 + splitmix(rng) %
			 (len - sizeof(struct vfio_device_feature));
	uint8_t *at = guard + PAGE_SIZE - (len - cut);
	int fd;

	memcpy(at, mem, len - cut);
	fd = ioctl(f->d.v.device, VFIO_DEVICE_FEATURE, at);
	if (fd >= 0)
		close(fd);
}

/* The racer's operations: see the comment above struct fz_step. */
static void racer_op(struct fz *f, uint8_t *guard, uint64_t *rng)
{
	uint8_t mem[sizeof(struct vfio_device_feature) + 64];
	struct vfio_device_feature *hdr = (void *)mem;
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct fz_range r[MAX_RANGES];
	uint32_t nr = pick_ranges(rng, r), i;
	uint64_t size = 0;
	char path[128];
	uint16_t cmd;
	int fd;

	for (i = 0; i < nr; i++)
		size += r[i].len;
	switch (splitmix(rng) % 8) {
	case 0:		/* export, read its views, maybe map, close */
		fd = export_req(f->d.v.device, BAR,
				(splitmix(rng) & 1 ? O_RDONLY : O_RDWR) |
				O_CLOEXEC, 0, r, nr, nr, 0);
		if (fd < 0)
			break;
		if (splitmix(rng) & 1)
			racer_mmap(fd, size, rng);
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		racer_read(path);
		close(fd);
		break;
	case 1:		/* export with random flags, region and size */
		fd = export_req(f->d.v.device, splitmix(rng) % 8,
				(uint32_t)splitmix(rng) | O_CLOEXEC,
				splitmix(rng) & 1 ? (uint32_t)splitmix(rng) : 0,
				r, nr, (uint32_t)splitmix(rng) % (MAX_RANGES + 2),
				(long)(splitmix(rng) % 64) - 32);
		if (fd >= 0)
			close(fd);
		break;
	case 2:		/* the feature with random flags and argsz */
		memset(mem, 0, sizeof(mem));
		hdr->argsz = splitmix(rng) % sizeof(mem);
		hdr->flags = VFIO_DEVICE_FEATURE_DMA_BUF |
			     ((uint32_t)splitmix(rng) & ~VFIO_DEVICE_FEATURE_MASK);
		fd = ioctl(f->d.v.device, VFIO_DEVICE_FEATURE, mem);
		if (fd > 2)
			close(fd);
		break;
	case 3:		/* what debugfs says of the device */
		snprintf(path, sizeof(path), VPD_DEBUGFS "/%s/%s", f->d.bdf,
			 splitmix(rng) & 1 ? "exports" : "p2p_cache");
		racer_read(path);
		break;
	case 4:
		rv_cfg_read16(&f->d, PCI_COMMAND, &cmd);
		break;
	case 5:
		racer_efault(f, guard, nr, r, rng);
		break;
	default:
		ri.index = splitmix(rng) % VFIO_PCI_NUM_REGIONS;
		ioctl(f->d.v.device, VFIO_DEVICE_GET_REGION_INFO, &ri);
		break;
	}
}

static void *racer_main(void *arg)
{
	struct fz_guide *g = arg;
	struct fz *f = g->f;
	uint64_t rng = g->gen ^ 0x7261636572ull;	/* "racer" */
	struct kcov k;
	bool traced = kcov_open(&k, TRACE_WORDS) == 0;
	uint8_t *guard;

	/* Two pages, the second never readable: see racer_efault(). */
	guard = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED ||
	    mprotect(guard + PAGE_SIZE, PAGE_SIZE, PROT_NONE)) {
		ksft_print_msg("fuzz: racer: no guard page: %s\n",
			       strerror(errno));
		if (traced)
			kcov_close(&k);
		return NULL;
	}
	while (!__atomic_load_n(&g->stop, __ATOMIC_RELAXED)) {
		pthread_rwlock_rdlock(&f->dev_lock);
		if (f->dev_open)
			racer_op(f, guard, &rng);
		pthread_rwlock_unlock(&f->dev_lock);
		if (traced)
			kcov_fold(&k, &g->map);
		g->racer_ops++;
	}
	if (traced)
		kcov_close(&k);
	munmap(guard, 2 * PAGE_SIZE);
	return NULL;
}

FIXTURE(fuzz) {
	struct fz f;
};

FIXTURE_SETUP(fuzz)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = BAR };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct fz *f = &self->f;
	pthread_rwlockattr_t attr;
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < NSLOTS; i++)
		f->slot_fd[i] = -1;
	for (i = 0; i < NIMP; i++)
		f->imp[i].fd = -1;
	ASSERT_EQ(0, rv_load_modules());
	ASSERT_EQ(0, rv_dev_open(PCI_VID_REDHAT_QUMRANET, PCI_DID_IVSHMEM,
				 &f->d));
	f->dev_open = true;
	f->mem_on = true;
	ASSERT_EQ(0, ioctl(f->d.v.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
	f->bar_size = ri.size;
	f->bar_off = ri.offset;
	ASSERT_LE(SPAN, f->bar_size);
	ASSERT_EQ(0, ioctl(f->d.v.device, VFIO_DEVICE_GET_INFO, &di));
	f->can_reset = di.flags & VFIO_DEVICE_FLAGS_RESET;
	for (i = 0; i < NIMP; i++) {
		f->imp[i].fd = rv_imp_open();
		ASSERT_LE(0, f->imp[i].fd);
		f->imp[i].obj = -1;
	}
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
				f->sock));
	ASSERT_EQ(SIG_ERR != signal(SIGBUS, on_sigbus), 1);
	/*
	 * Writers first: the racer takes the lock for read again right after
	 * dropping it, and would otherwise keep the model's thread out.
	 */
	ASSERT_EQ(0, pthread_rwlockattr_init(&attr));
	ASSERT_EQ(0, pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP));
	ASSERT_EQ(0, pthread_rwlock_init(&f->dev_lock, &attr));
	pthread_rwlockattr_destroy(&attr);
}

FIXTURE_TEARDOWN(fuzz)
{
	struct fz *f = &self->f;
	int i;

	for (i = 0; i < NMAPS; i++)
		if (f->map[i].p)
			munmap(f->map[i].p, f->map[i].len);
	for (i = 0; i < NIMP; i++)
		if (f->imp[i].fd >= 0)
			close(f->imp[i].fd);
	for (i = 0; i < NSLOTS; i++)
		if (f->slot_fd[i] >= 0)
			close(f->slot_fd[i]);
	close(f->sock[0]);
	close(f->sock[1]);
	rv_dev_close(&f->d);
}

TEST_F_TIMEOUT(fuzz, random_sequences, 1800)
{
	struct fz *f = &self->f;
	uint64_t seed, nops, t0;
	int yes, no, n, i;
	enum fz_op op;

	seed = env_u64("FUZZ_SEED", rv_now_ns() ^ (uint64_t)getpid() << 32);
	nops = env_u64("FUZZ_OPS", 20000);
	f->rng = seed;
	ksft_print_msg("fuzz: seed %llu, %llu operations (replay with FUZZ_SEED=%llu)\n",
		       (unsigned long long)seed, (unsigned long long)nops,
		       (unsigned long long)seed);
	t0 = rv_now_ns();
	for (f->ops = 0; f->ops < nops; f->ops++) {
		uint64_t t = rv_now_ns();
		int bad;

		op = pick_op(&f->rng);
		f->op_count[op]++;
		bad = do_op(f, op) || check_importers(f);
		f->op_ns[op] += rv_now_ns() - t;
		if (bad) {
			fz_dump_history(f);
			ASSERT_TRUE(false) TH_LOG("seed %llu failed at op %lu",
						  (unsigned long long)seed,
						  f->ops);
		}
		if (f->dev_open && (f->ops & 255) == 0) {
			n = rv_debugfs_exports(f->d.bdf, &yes, &no);
			ASSERT_EQ(model_live_exports(f), n)
				TH_LOG("seed %llu, op %lu: debugfs lists %d exports",
				       (unsigned long long)seed, f->ops, n);
		}
	}
	for (i = 0; i < OP_NR; i++)
		ksft_print_msg("fuzz: %-11s %7lu  %6llu ms\n", op_name[i],
			       f->op_count[i],
			       (unsigned long long)(f->op_ns[i] / 1000000));
	ksft_print_msg("fuzz: %lu operations in %llu ms, %lu refusals checked, %lu SIGBUS, %lu children (%lu killed), seed %llu\n",
		       f->ops,
		       (unsigned long long)((rv_now_ns() - t0) / 1000000),
		       f->refused, f->sigbus, f->children, f->killed,
		       (unsigned long long)seed);
}

/*
 * Coverage-guided (debug kernel: KCOV). FUZZ_SECONDS is the budget (the
 * plan sets 60; vm/fuzz runs longer), FUZZ_SEED picks the sequences (the
 * racer's timing aside, the same seed and corpus replay the same calls).
 * Prints "fuzz-edges: ms edges pcs sequences corpus" once a second, the
 * new corpus entries ("fuzz-corpus: ...") and the edges per second.
 */
TEST_F_TIMEOUT(fuzz, coverage_guided, 7200)
{
	struct fz *f = &self->f;
	unsigned long fresh, last_edges = 0;
	uint64_t seed, budget, t0, now, next;
	const char *path;
	struct fz_guide *g;
	pthread_t racer;
	struct fz_seq q;
	unsigned int i;
	int ret;

	budget = env_u64("FUZZ_SECONDS", 0) * 1000000000ull;
	if (!budget)
		SKIP(return, "FUZZ_SECONDS not set (plan 38-fuzz sets it on the debug kernel)");
	g = calloc(1, sizeof(*g));
	ASSERT_NE(NULL, g);
	g->corpus = calloc(CORPUS_MAX, sizeof(*g->corpus));
	ASSERT_NE(NULL, g->corpus);
	ret = kcov_open(&g->kcov, TRACE_WORDS);
	if (ret == -ENOENT)
		SKIP(return, "kernel without KCOV (no /sys/kernel/debug/kcov)");
	ASSERT_EQ(0, ret) TH_LOG("kcov: %s", strerror(-ret));
	ASSERT_EQ(0, kcov_map_init(&g->map));
	g->f = f;
	seed = env_u64("FUZZ_SEED", rv_now_ns() ^ (uint64_t)getpid() << 32);
	g->gen = seed;
	path = getenv("FUZZ_CORPUS") ?: "/tests/fuzz-corpus.txt";
	corpus_load(g, path);
	ksft_print_msg("fuzz: guided, seed %llu, %llu s, %u sequences from %s (replay with FUZZ_SEED=%llu)\n",
		       (unsigned long long)seed,
		       (unsigned long long)(budget / 1000000000ull), g->loaded,
		       path, (unsigned long long)seed);

	f->racing = true;
	ASSERT_EQ(0, pthread_create(&racer, NULL, racer_main, g));
	t0 = rv_now_ns();
	next = t0;
	for (now = t0; now - t0 < budget; now = rv_now_ns()) {
		if (g->execs < g->loaded)
			q = g->corpus[g->execs];	/* replay the saved ones */
		else
			make_seq(g, &q);
		ret = run_seq(f, g, &q, &fresh);
		g->execs++;
		if (ret) {
			fz_dump_history(f);
			corpus_print(&q);
			break;
		}
		if (fresh && g->execs > g->loaded && g->ncorpus < CORPUS_MAX) {
			g->corpus[g->ncorpus++] = q;
			corpus_print(&q);
		}
		if (now >= next) {
			ksft_print_msg("fuzz-edges: %llu %lu %lu %lu %u\n",
				       (unsigned long long)((now - t0) / 1000000),
				       g->map.edges, g->map.pcs, g->execs,
				       g->ncorpus);
			last_edges = g->map.edges;
			next += 1000000000ull;
		}
	}
	__atomic_store_n(&g->stop, true, __ATOMIC_RELAXED);
	pthread_join(racer, NULL);
	f->racing = false;
	now = rv_now_ns();
	ksft_print_msg("fuzz-edges: %llu %lu %lu %lu %u\n",
		       (unsigned long long)((now - t0) / 1000000),
		       g->map.edges, g->map.pcs, g->execs, g->ncorpus);
	for (i = 0; i < OP_NR; i++)
		ksft_print_msg("fuzz: %-11s %7lu\n", op_name[i], f->op_count[i]);
	ksft_print_msg("fuzz: guided: %lu edges, %lu PCs, %.1f edges/s, %lu new in the last second; %lu sequences (%lu operations), %lu racer operations, corpus %u (%u saved + %u new), seed %llu\n",
		       g->map.edges, g->map.pcs,
		       g->map.edges * 1e9 / (double)(now - t0),
		       g->map.edges - last_edges, g->execs, f->ops,
		       g->racer_ops, g->ncorpus, g->loaded,
		       g->ncorpus - g->loaded, (unsigned long long)seed);
	kcov_close(&g->kcov);
	kcov_map_free(&g->map);
	ASSERT_EQ(0, ret) TH_LOG("seed %llu failed in sequence %lu (printed above)",
				 (unsigned long long)seed, g->execs);
	ASSERT_LT(0, g->map.edges) TH_LOG("KCOV saw none of our module's code");
	ASSERT_LT(0, g->racer_ops) TH_LOG("the racer thread did not run");
	free(g->corpus);
	free(g);
}

TEST_HARNESS_MAIN
