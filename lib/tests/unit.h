/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host unit tests' one harness (lib/tests, tools/tests): each case is a
 * function that records its first failed CHECK; unit_run() prints one
 * "PASS host/<group>/<case>" or "FAIL host/<group>/<case> <detail>" line
 * per case and returns 1 if any failed.
 */
#ifndef VFIO_DMABUF_UNIT_H
#define VFIO_DMABUF_UNIT_H

#include <stdio.h>

struct ctx {
	char detail[256];
};

struct unit_case {
	const char *name;
	void (*fn)(struct ctx *c);
};

/* Record the first failed condition of a case (format, then arguments). */
#define CHECK(c, cond, ...)						\
	do {								\
		if (!(cond) && !(c)->detail[0])				\
			snprintf((c)->detail, sizeof((c)->detail),	\
				 "line %d: " __VA_ARGS__);		\
	} while (0)

static inline int unit_run(const char *group, const struct unit_case *cases,
			   unsigned int n)
{
	struct ctx c;
	unsigned int i;
	int failed = 0;

	for (i = 0; i < n; i++) {
		c.detail[0] = '\0';
		cases[i].fn(&c);
		if (c.detail[0])
			printf("FAIL host/%s/%s %s\n", group, cases[i].name,
			       c.detail);
		else
			printf("PASS host/%s/%s\n", group, cases[i].name);
		failed |= !!c.detail[0];
	}
	return failed;
}

#endif /* VFIO_DMABUF_UNIT_H */
