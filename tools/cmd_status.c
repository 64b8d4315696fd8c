// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The read-only views that never open a device (so they work while QEMU
 * or SPDK holds it): `info BDF`, one device, and `status`, the module, its
 * parameters and every device bound to the driver.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "exports.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct option read_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options of a read-only verb: CLI_OK to go on, else the exit status. */
static int read_options(struct cli *cli, int argc, char **argv, int min,
			int max, int *done)
{
	int ret;

	*done = 1;
	cli_opt_reset();
	ret = cli_opt(cli, argc, argv, ":ho:", read_opts);
	if (ret == CLI_OPT_HELP)
		return CLI_OK;
	if (ret != CLI_OPT_END || cli_args(cli, argc, min, max))
		return CLI_USAGE;
	*done = 0;
	return CLI_OK;
}

/* What an unreadable debugfs file means. */
static const char *debugfs_why(int err)
{
	switch (-err) {
	case EACCES:
	case EPERM:
		return "debugfs needs root";
	case ENOENT:
		return "debugfs is not mounted at /sys/kernel/debug "
		       "(mount -t debugfs none /sys/kernel/debug), or the module is too old";
	}
	return "cannot read the driver's debugfs";
}

/* "ENAME (strerror)" of @err, for the JSON "error" members. */
static const char *err_name(int err, char *buf, size_t len)
{
	const char *n = strerrorname_np(-err);

	snprintf(buf, len, "%s (%s)", n ? n : "E?", strerror(-err));
	return buf;
}

int cmd_info(struct cli *cli, int argc, char **argv)
{
	char bdf[VFIO_DMABUF_BDF_LEN], drv[ADM_NAME_LEN], ovr[ADM_NAME_LEN], path[256];
	char ebuf[64];
	int ret, done, group, n = 0;
	bool ours;
	struct json j;

	ret = read_options(cli, argc, argv, 1, 1, &done);
	if (done)
		return ret;
	if (cli_bdf(cli, argv[optind], bdf))
		return CLI_USAGE;
	ret = adm_driver_of(bdf, drv, sizeof(drv));
	if (!ret)
		ret = adm_driver_override(bdf, ovr, sizeof(ovr));
	if (ret == -ENODEV)
		return cli_fail(VFIO_DMABUF_OP_GENERIC, ret,
				"no such PCI device (not in " ADM_PCI_DEVICES ")",
				"info %s", bdf);
	if (ret)
		return cli_fail(VFIO_DMABUF_OP_GENERIC, ret, NULL,
				"cannot read %s/%s", ADM_PCI_DEVICES, bdf);
	group = adm_iommu_group(bdf);
	ours = !strcmp(drv, VFIO_DMABUF_DRIVER);
	adm_debugfs_path(bdf, path, sizeof(path));

	if (cli->json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_str(&j, "device", bdf);
		json_str(&j, "driver", drv[0] ? drv : NULL);
		json_str(&j, "driver_override", ovr[0] ? ovr : NULL);
		if (group >= 0)
			json_int(&j, "iommu_group", group);
		else
			json_null(&j, "iommu_group");
		json_bool(&j, "bound_to_vfio_pci_dmabuf", ours);
		if (ours) {
			json_str(&j, "debugfs", path);
			n = exp_show(path, &j);
			if (n < 0) {
				json_null(&j, "exports");
				json_str(&j, "debugfs_error", err_name(n, ebuf, sizeof(ebuf)));
			}
		} else {
			json_arr(&j, "exports");
			json_end(&j, ']');
		}
		json_end(&j, '}');
		json_done(&j);
	} else {
		printf("device: %s\ndriver: %s\ndriver_override: %s\n", bdf,
		       drv[0] ? drv : "(none)", ovr[0] ? ovr : "(none)");
		if (group >= 0)
			printf("iommu_group: %d\n", group);
		else
			printf("iommu_group: (none)\n");
		if (!ours) {
			printf("exports: none (not bound to " VFIO_DMABUF_DRIVER ")\n");
		} else {
			printf("exports (%s):\n", path);
			fflush(stdout);
			n = exp_show(path, NULL);
			if (!n)
				printf("  (no live exports)\n");
			else if (n < 0)
				printf("  (unknown: cannot read the file)\n");
		}
	}
	fflush(stdout);
	if (n < 0)
		return cli_fail(VFIO_DMABUF_OP_GENERIC, n, debugfs_why(n),
				"cannot read %s", path);
	return CLI_OK;
}

/* The module's parameters, one "name: value" line or JSON member each. */
static void show_params(const struct cli *cli, struct json *j)
{
	char dir[] = ADM_MODULE "/parameters", path[PATH_MAX], val[256];
	struct dirent **names;
	FILE *f;
	int i, n;

	n = scandir(dir, &names, NULL, alphasort);
	if (cli->json)
		json_obj(j, "parameters");
	else
		printf("parameters:%s\n", n > 2 ? "" : " (none)");
	for (i = 0; i < n; i++) {
		const char *p = names[i]->d_name;
		bool ok = false;

		if (p[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, p);
			f = fopen(path, "re");
			if (f) {
				ok = fgets(val, sizeof(val), f) != NULL;
				fclose(f);
			}
			if (ok)
				val[strcspn(val, "\n")] = '\0';
			if (cli->json)
				json_str(j, p, ok ? val : NULL);
			else
				printf("  %s: %s\n", p, ok ? val : "(unreadable)");
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (cli->json)
		json_end(j, '}');
}

/* Devices bound to the driver: the BDF-named links of its sysfs folder. */
static int bound_devices(struct dirent ***names)
{
	char dir[] = ADM_PCI_DRIVERS "/" VFIO_DMABUF_DRIVER;
	int n, i, k = 0;
	char bdf[VFIO_DMABUF_BDF_LEN];

	n = scandir(dir, names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		if (!vfio_dmabuf_bdf((*names)[i]->d_name, bdf, sizeof(bdf)) &&
		    !strcmp(bdf, (*names)[i]->d_name))
			(*names)[k++] = (*names)[i];
		else
			free((*names)[i]);
	}
	return k;
}

static void show_device(const struct cli *cli, struct json *j, const char *bdf,
			bool debugfs_ok)
{
	char path[256], ebuf[64];
	int group = adm_iommu_group(bdf), n = -ENOENT;

	adm_debugfs_path(bdf, path, sizeof(path));
	if (cli->json) {
		json_obj(j, NULL);
		json_str(j, "device", bdf);
		if (group >= 0)
			json_int(j, "iommu_group", group);
		else
			json_null(j, "iommu_group");
		if (debugfs_ok)
			n = exp_show(path, j);
		if (n < 0) {
			json_null(j, "exports");
			json_str(j, "debugfs_error", err_name(n, ebuf, sizeof(ebuf)));
		}
		json_end(j, '}');
		return;
	}
	printf("device %s: iommu_group %d\n", bdf, group);
	fflush(stdout);
	if (debugfs_ok)
		n = exp_show(path, NULL);
	if (!n)
		printf("  (no live exports)\n");
	else if (n < 0)
		printf("  exports unknown (debugfs unreadable)\n");
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	char ver[64] = "", ebuf[64];
	struct dirent **devs = NULL;
	int ret, done, i, nr_devs, dbg = 0;
	bool loaded, registered;
	struct json j;
	DIR *d;
	FILE *f;

	ret = read_options(cli, argc, argv, 0, 0, &done);
	if (done)
		return ret;
	d = opendir(ADM_MODULE);
	loaded = d != NULL;
	if (d)
		closedir(d);
	f = fopen(ADM_MODULE "/version", "re");
	if (f) {
		if (fgets(ver, sizeof(ver), f))
			ver[strcspn(ver, "\n")] = '\0';
		fclose(f);
	}
	registered = !adm_driver_loaded(VFIO_DMABUF_DRIVER);
	nr_devs = registered ? bound_devices(&devs) : 0;
	if (nr_devs < 0)
		nr_devs = 0;
	d = opendir(ADM_DEBUGFS);
	if (!d)
		dbg = -errno;
	else
		closedir(d);

	if (cli->json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_obj(&j, "module");
		json_str(&j, "name", "vfio_pci_dmabuf");
		json_bool(&j, "loaded", loaded);
		json_str(&j, "version", ver[0] ? ver : NULL);
		if (loaded)
			show_params(cli, &j);
		json_end(&j, '}');
		json_obj(&j, "driver");
		json_str(&j, "name", VFIO_DMABUF_DRIVER);
		json_bool(&j, "registered", registered);
		json_end(&j, '}');
		json_obj(&j, "debugfs");
		json_str(&j, "path", ADM_DEBUGFS);
		json_bool(&j, "readable", !dbg);
		json_str(&j, "error", dbg ? err_name(dbg, ebuf, sizeof(ebuf)) : NULL);
		json_end(&j, '}');
		json_arr(&j, "devices");
	} else {
		if (loaded)
			printf("module vfio_pci_dmabuf: loaded%s%s%s\n",
			       ver[0] ? " (version " : "", ver, ver[0] ? ")" : "");
		else
			printf("module vfio_pci_dmabuf: not loaded (modprobe vfio-pci-dmabuf)\n");
		if (loaded)
			show_params(cli, NULL);
		printf("driver %s: %s, %d device%s bound\n", VFIO_DMABUF_DRIVER,
		       registered ? "registered" : "not registered", nr_devs,
		       nr_devs == 1 ? "" : "s");
		if (!loaded)
			printf("debugfs: not consulted (module not loaded)\n");
		else if (dbg)
			printf("debugfs: cannot read %s: %s: %s; exports unknown\n",
			       ADM_DEBUGFS, err_name(dbg, ebuf, sizeof(ebuf)),
			       debugfs_why(dbg));
		else
			printf("debugfs: %s\n", ADM_DEBUGFS);
	}
	for (i = 0; i < nr_devs; i++) {
		show_device(cli, &j, devs[i]->d_name, !dbg);
		free(devs[i]);
	}
	free(devs);
	if (cli->json) {
		json_end(&j, ']');
		json_end(&j, '}');
		json_done(&j);
	}
	return CLI_OK;
}
