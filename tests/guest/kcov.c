// SPDX-License-Identifier: GPL-2.0
/* Per-thread KCOV traces folded into a shared edge map: kcov.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kcov.h>

#include "kcov.h"

#define KCOV_PATH	"/sys/kernel/debug/kcov"

int kcov_open(struct kcov *k, size_t words)
{
	void *p;
	int ret;

	k->fd = open(KCOV_PATH, O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (ioctl(k->fd, KCOV_INIT_TRACE, (unsigned long)words))
		goto fail;
	p = mmap(NULL, words * sizeof(unsigned long), PROT_READ | PROT_WRITE,
		 MAP_SHARED, k->fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	k->area = p;
	k->words = words;
	if (ioctl(k->fd, KCOV_ENABLE, KCOV_TRACE_PC)) {
		ret = -errno;
		munmap(k->area, words * sizeof(unsigned long));
		close(k->fd);
		return ret;
	}
	kcov_reset(k);
	return 0;
fail:
	ret = -errno;
	close(k->fd);
	return ret;
}

void kcov_close(struct kcov *k)
{
	ioctl(k->fd, KCOV_DISABLE, 0);
	munmap(k->area, k->words * sizeof(unsigned long));
	close(k->fd);
}

void kcov_reset(struct kcov *k)
{
	__atomic_store_n(&k->area[0], 0, __ATOMIC_RELAXED);
}

/* A 64-bit mix (murmur3's finaliser): neighbouring PCs land far apart. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static bool mark(uint8_t *slots, unsigned long *count, uint64_t h)
{
	if (__atomic_exchange_n(&slots[h & (KCOV_MAP_SLOTS - 1)], 1,
				__ATOMIC_RELAXED))
		return false;
	__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
	return true;
}

unsigned long kcov_fold(struct kcov *k, struct kcov_map *m)
{
	unsigned long n = __atomic_load_n(&k->area[0], __ATOMIC_RELAXED);
	unsigned long i, fresh = 0;
	uint64_t prev = 0, cur;

	if (n > k->words - 1)
		n = k->words - 1;	/* the trace was full: keep what it has */
	for (i = 0; i < n; i++) {
		cur = mix64(k->area[i + 1]);
		mark(m->pc, &m->pcs, cur);
		/* An edge is an ordered pair: (a, b) and (b, a) differ. */
		fresh += mark(m->edge, &m->edges, (prev >> 1) ^ cur);
		prev = cur;
	}
	kcov_reset(k);
	return fresh;
}

int kcov_map_init(struct kcov_map *m)
{
	m->edge = calloc(KCOV_MAP_SLOTS, 1);
	m->pc = calloc(KCOV_MAP_SLOTS, 1);
	m->edges = 0;
	m->pcs = 0;
	if (!m->edge || !m->pc) {
		kcov_map_free(m);
		return -ENOMEM;
	}
	return 0;
}

void kcov_map_free(struct kcov_map *m)
{
	free(m->edge);
	free(m->pc);
	m->edge = NULL;
	m->pc = NULL;
}
