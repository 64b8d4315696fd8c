/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KCOV for the guest suites (the debug kernel has CONFIG_KCOV; only our
 * module is instrumented, so every PC a trace holds is one of ours).
 *
 * A struct kcov is one thread's trace: KCOV collects the PCs the thread
 * executes in instrumented code, in its own syscalls only (not in other
 * tasks, not in interrupts). kcov_fold() turns a trace into edges (pairs
 * of consecutive PCs, hashed as AFL does) and marks them in a map that
 * several threads may share: marking is one atomic exchange per slot.
 */
#ifndef KCOV_H
#define KCOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kcov {
	int fd;
	unsigned long *area;	/* area[0]: PCs recorded; area[1..]: the PCs */
	size_t words;
};

/* Edges and PCs seen so far, by any thread folding into this map. */
struct kcov_map {
	uint8_t *edge;		/* KCOV_MAP_SLOTS bytes, 1 = seen */
	uint8_t *pc;		/* KCOV_MAP_SLOTS bytes */
	unsigned long edges;	/* slots set in edge[] (atomic) */
	unsigned long pcs;	/* slots set in pc[] (atomic) */
};

#define KCOV_MAP_SLOTS	(1u << 18)

/* Open and enable this thread's trace: -ENOENT on a kernel without KCOV. */
int kcov_open(struct kcov *k, size_t words);
void kcov_close(struct kcov *k);
/* Forget what the trace holds: the next fold sees only what follows. */
void kcov_reset(struct kcov *k);
/* Mark the trace's edges in @m; returns how many were new to @m. */
unsigned long kcov_fold(struct kcov *k, struct kcov_map *m);

int kcov_map_init(struct kcov_map *m);
void kcov_map_free(struct kcov_map *m);

#endif
