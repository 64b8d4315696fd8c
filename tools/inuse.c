// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The in-use safety check of bind and unbind: see inuse.h.
 */
#define _GNU_SOURCE
#include "inuse.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IFF_UP_FLAG	0x1	/* <net/if.h>'s IFF_UP */

/* snprintf() that says whether it fitted: 0, or -ENAMETOOLONG. */
static int path_of(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int path_of(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void add_use(struct adm_uses *u, const char *kind, const char *name,
		    const char *detail)
{
	struct adm_use *e;

	if (u->nr < ADM_USES_MAX) {
		e = &u->use[u->nr];
		snprintf(e->kind, sizeof(e->kind), "%s", kind);
		snprintf(e->name, sizeof(e->name), "%s", name);
		snprintf(e->detail, sizeof(e->detail), "%s", detail);
	}
	u->nr++;
}

/* First line of @path, newline stripped; -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	fclose(f);
	if (!ret)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

/* Does the sysfs entry @dir/@name resolve to a path below @dev? */
static int below(const char *dir, const char *name, const char *dev)
{
	char path[PATH_MAX], real[PATH_MAX];
	size_t n = strlen(dev);

	if (path_of(path, sizeof(path), "%s/%s", dir, name))
		return 0;
	if (!realpath(path, real))
		return 0;
	return !strncmp(real, dev, n) && real[n] == '/';
}

/*
 * Call @fn for each entry of /sys/class/@class (below @root) whose device
 * lies below @dev, with the class folder's path and the entry's name.
 */
static void for_each_below(const char *root, const char *class,
			   const char *dev, struct adm_uses *u,
			   void (*fn)(const char *root, const char *dir,
				      const char *name, struct adm_uses *u))
{
	char dir[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	if (path_of(dir, sizeof(dir), "%s/sys/class/%s", root, class))
		return;
	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp)))
		if (d->d_name[0] != '.' && below(dir, d->d_name, dev))
			fn(root, dir, d->d_name, u);
	closedir(dp);
}

/* Is network interface @name up? Say so, with its operstate. */
static void check_net(const char *root, const char *dir, const char *name,
		      struct adm_uses *u)
{
	char path[PATH_MAX], val[64], oper[32], detail[128];
	unsigned long flags;

	(void)root;
	if (path_of(path, sizeof(path), "%s/%s/flags", dir, name) ||
	    read_line(path, val, sizeof(val)))
		return;
	flags = strtoul(val, NULL, 16);
	if (!(flags & IFF_UP_FLAG))
		return;
	if (path_of(path, sizeof(path), "%s/%s/operstate", dir, name) ||
	    read_line(path, oper, sizeof(oper)))
		strcpy(oper, "unknown");
	snprintf(detail, sizeof(detail), "interface is up (operstate %s)", oper);
	add_use(u, "net", name, detail);
}

/* Is block device @name (dev_t "maj:min" @mm) mounted? Say where. */
static void check_mounts(const char *root, const char *name, const char *mm,
			 struct adm_uses *u)
{
	char path[PATH_MAX], line[4096], dev[PATH_MAX], detail[192];
	char *sep, *mnt, *src;
	FILE *f;

	if (path_of(path, sizeof(path), "%s/proc/self/mountinfo", root) ||
	    path_of(dev, sizeof(dev), "/dev/%s", name))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts... - fstype source sb */
		char *fields[5], *save = NULL, *p = line;
		int i;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (i = 0; i < 5 && (fields[i] = strtok_r(p, " ", &save)); i++)
			p = NULL;
		if (i < 5)
			continue;
		mnt = fields[4];
		save = NULL;
		strtok_r(sep + 3, " ", &save);		/* fstype */
		src = strtok_r(NULL, " \n", &save);
		if (strcmp(fields[2], mm) && (!src || strcmp(src, dev)))
			continue;
		snprintf(detail, sizeof(detail), "mounted on %s", mnt);
		add_use(u, "mount", name, detail);
	}
	fclose(f);
}

static void check_swaps(const char *root, const char *name, struct adm_uses *u)
{
	char path[PATH_MAX], line[1024], dev[PATH_MAX];
	FILE *f;

	if (path_of(path, sizeof(path), "%s/proc/swaps", root) ||
	    path_of(dev, sizeof(dev), "/dev/%s", name))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\n")] = '\0';
		if (!strcmp(line, dev))
			add_use(u, "swap", name, "active swap");
	}
	fclose(f);
}

static void check_holders(const char *dir, const char *name, struct adm_uses *u)
{
	char path[PATH_MAX], detail[192];
	struct dirent *d;
	DIR *dp;

	if (path_of(path, sizeof(path), "%s/%s/holders", dir, name))
		return;
	dp = opendir(path);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		path_of(detail, sizeof(detail), "held by %.64s", d->d_name);
		add_use(u, "holder", name, detail);
	}
	closedir(dp);
}

/* Is block device @name (a disk or a partition) mounted, swap or held? */
static void check_block(const char *root, const char *dir, const char *name,
			struct adm_uses *u)
{
	char path[PATH_MAX], mm[32];

	if (path_of(path, sizeof(path), "%s/%s/dev", dir, name) ||
	    read_line(path, mm, sizeof(mm)))
		mm[0] = '\0';
	check_mounts(root, name, mm, u);
	check_swaps(root, name, u);
	check_holders(dir, name, u);
}

int adm_in_use(const char *root, const char *bdf, struct adm_uses *u)
{
	char path[PATH_MAX], dev[PATH_MAX];

	u->nr = 0;
	if (path_of(path, sizeof(path), "%s/sys/bus/pci/devices/%s", root, bdf))
		return -ENAMETOOLONG;
	if (!realpath(path, dev))
		return errno == ENOENT ? -ENODEV : -errno;
	for_each_below(root, "net", dev, u, check_net);
	/* /sys/class/block lists disks and partitions alike. */
	for_each_below(root, "block", dev, u, check_block);
	return (int)u->nr;
}
