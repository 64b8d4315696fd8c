// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Argument parsing and error reporting shared by the verbs: see cli.h.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cli_usage(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("vfio-dmabuf: ", stderr);
	if (cli->cmd)
		fprintf(stderr, "%s: ", cli->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cli->cmd)
		fprintf(stderr, " (see 'vfio-dmabuf help %s')\n", cli->cmd->name);
	else
		fputs(" (see 'vfio-dmabuf --help')\n", stderr);
	return CLI_USAGE;
}

int cli_fail(enum vfio_dmabuf_op op, int err, const char *why,
	     const char *fmt, ...)
{
	const char *name;
	va_list ap;

	if (err < 0)
		err = -err;
	fputs("vfio-dmabuf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	name = strerrorname_np(err);
	fprintf(stderr, ": %s (%s): %s\n", name ? name : "E?", strerror(err),
		why ? why : vfio_dmabuf_explain(op, err));
	return CLI_FAILED;
}

void cli_opt_reset(void)
{
	optind = 0;	/* GNU getopt: start over, state included */
	opterr = 0;	/* our own messages, one line each */
}

int cli_opt(struct cli *cli, int argc, char **argv, const char *shortopts,
	    const struct option *opts)
{
	const char *bad;
	int c;

	for (;;) {
		c = getopt_long(argc, argv, shortopts, opts, NULL);
		bad = argv[optind - 1];
		switch (c) {
		case 'h':
			cli_cmd_help(cli->cmd, stdout);
			return CLI_OPT_HELP;
		case 'o':
			if (!strcmp(optarg, "json")) {
				cli->json = true;
			} else if (!strcmp(optarg, "text")) {
				cli->json = false;
			} else {
				cli_usage(cli, "unknown output format '%s' (want text or json)",
					  optarg);
				return CLI_OPT_ERROR;
			}
			continue;
		case 'C':
			cli->open_flags = VFIO_DMABUF_OPEN_CDEV;
			continue;
		case ':':
			cli_usage(cli, "option %s needs a value", bad);
			return CLI_OPT_ERROR;
		case '?':
			if (optopt)
				cli_usage(cli, "unknown option -%c", optopt);
			else
				cli_usage(cli, "unknown option %s", bad);
			return CLI_OPT_ERROR;
		case -1:
			return CLI_OPT_END;
		default:
			return c;
		}
	}
}

int cli_args(const struct cli *cli, int argc, int min, int max)
{
	int n = argc - optind;

	if (n < min || n > max)
		return cli_usage(cli, "%s arguments: %s %s",
				 n < min ? "missing" : "too many",
				 cli->cmd->name, cli->cmd->synopsis);
	return 0;
}

int cli_bdf(const struct cli *cli, const char *arg, char *bdf)
{
	if (vfio_dmabuf_bdf(arg, bdf, VFIO_DMABUF_BDF_LEN))
		return cli_usage(cli, "not a PCI address: '%s' (want dddd:bb:dd.f or bb:dd.f)",
				 arg);
	return 0;
}

int cli_number(const struct cli *cli, const char *opt, const char *arg,
	       uint64_t max, uint64_t *v)
{
	int ret = adm_parse_u64(arg, max, v);

	if (ret == -ERANGE)
		return cli_usage(cli, "%s '%s': more than %llu", opt, arg,
				 (unsigned long long)max);
	if (ret)
		return cli_usage(cli, "%s '%s': not a number (decimal, or hexadecimal with 0x)",
				 opt, arg);
	return 0;
}

int cli_open(const struct cli *cli, const char *bdf,
	     struct vfio_dmabuf_device **dev)
{
	char drv[ADM_NAME_LEN] = "";
	int ret;

	ret = vfio_dmabuf_device_open(bdf, cli->open_flags, dev);
	if (ret) {
		if (adm_device_exists(bdf) == -ENODEV) {
			cli_fail(VFIO_DMABUF_OP_OPEN, -ENODEV,
				 "no such PCI device (not in " ADM_PCI_DEVICES ")",
				 "cannot open %s", bdf);
			return ret;
		}
		if (ret == -ENOENT && (cli->open_flags & VFIO_DMABUF_OPEN_CDEV)) {
			cli_fail(VFIO_DMABUF_OP_OPEN, ret,
				 "no /dev/vfio/devices node for it, or no /dev/iommu "
				 "(a kernel without CONFIG_VFIO_DEVICE_CDEV, or modprobe iommufd)",
				 "cannot open %s through its VFIO cdev", bdf);
			return ret;
		}
		adm_driver_of(bdf, drv, sizeof(drv));
		cli_fail(VFIO_DMABUF_OP_OPEN, ret, NULL,
			 "cannot open %s as a VFIO device (bound to %s)", bdf,
			 drv[0] ? drv : "no driver");
	}
	return ret;
}

const char *cli_region_name(unsigned int i)
{
	static const char *const names[] = { "BAR0", "BAR1", "BAR2", "BAR3",
					     "BAR4", "BAR5" };

	return i < 6 ? names[i] : "?";
}
