// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `bind BDF [DRIVER]` and `unbind BDF`: driver_override, with the safety
 * check that a device serving something active is not taken from its
 * driver by accident, and a rollback when the new driver refuses.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "inuse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct bind_args {
	char bdf[VFIO_DMABUF_BDF_LEN];
	const char *driver;
	bool force;
};

static int parse(struct cli *cli, int argc, char **argv, int max,
		 struct bind_args *a)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_opt_reset();
	while ((c = cli_opt(cli, argc, argv, ":fh", opts)) >= 0)
		a->force = true;	/* 'f', the only option left to us */
	if (c == CLI_OPT_HELP)
		return CLI_OPT_HELP;
	if (c == CLI_OPT_ERROR || cli_args(cli, argc, 1, max) ||
	    cli_bdf(cli, argv[optind], a->bdf))
		return CLI_USAGE;
	a->driver = optind + 1 < argc ? argv[optind + 1] : VFIO_DMABUF_DRIVER;
	if (!*a->driver || strchr(a->driver, '/') ||
	    strlen(a->driver) >= ADM_NAME_LEN)
		return cli_usage(cli, "not a driver name: '%s'", a->driver);
	return 0;
}

static int no_device(const char *verb, const char *bdf)
{
	return cli_fail(VFIO_DMABUF_OP_GENERIC, -ENODEV,
			"no such PCI device (not in " ADM_PCI_DEVICES ")",
			"cannot %s %s", verb, bdf);
}

/*
 * The safety check: CLI_OK when @bdf's driver serves nothing active (or
 * --force), else CLI_FAILED with what is active on stderr.
 */
static int check_in_use(const struct bind_args *a, const char *verb,
			const char *cur)
{
	struct adm_uses u;
	unsigned int i;
	int n;

	n = adm_in_use("", a->bdf, &u);
	if (n <= 0)
		return CLI_OK;
	if (a->force) {
		fprintf(stderr, "vfio-dmabuf: --force: taking %s from %s although %d thing%s in use\n",
			a->bdf, cur, n, n == 1 ? " is" : "s are");
		return CLI_OK;
	}
	cli_fail(VFIO_DMABUF_OP_GENERIC, -EBUSY,
		 "its driver serves something active; stop using it first, or --force",
		 "refusing to %s %s from %s", verb, a->bdf, cur);
	for (i = 0; i < u.nr && i < ADM_USES_MAX; i++)
		fprintf(stderr, "vfio-dmabuf:   in use: %s %s: %s\n",
			u.use[i].kind, u.use[i].name, u.use[i].detail);
	if (u.nr > ADM_USES_MAX)
		fprintf(stderr, "vfio-dmabuf:   and %u more\n", u.nr - ADM_USES_MAX);
	return CLI_FAILED;
}

static int bind_failed(const struct bind_args *a, int err,
		       const struct adm_bind_report *r)
{
	char why[512];
	size_t n;

	switch (-err) {
	case ENODEV:
		return no_device("bind", a->bdf);
	case ENOENT:
		/* modprobe takes '-' for '_' in module names. */
		snprintf(why, sizeof(why),
			 "driver %s is not loaded (no " ADM_PCI_DRIVERS "/%s): modprobe %s first",
			 a->driver, a->driver, a->driver);
		break;
	case ENXIO:
		n = (size_t)snprintf(why, sizeof(why),
				     "%s did not take the device (its probe refused it; see dmesg)",
				     a->driver);
		if (r->rollback > 0 && !strcmp(r->after, r->before))
			snprintf(why + n, sizeof(why) - n,
				 "; rolled back: driver_override restored to %s%s%s, bound to %s%s",
				 r->override[0] ? "\"" : "", r->override[0] ? r->override : "none",
				 r->override[0] ? "\"" : "",
				 r->before[0] ? r->before : "no driver (as before)",
				 r->before[0] ? " again" : "");
		else if (r->rollback > 0)
			/* No driver before, and the reprobe found its own. */
			snprintf(why + n, sizeof(why) - n,
				 "; rolled back: driver_override restored to %s%s%s; now bound to %s (was: %s)",
				 r->override[0] ? "\"" : "", r->override[0] ? r->override : "none",
				 r->override[0] ? "\"" : "", r->after[0] ? r->after : "no driver",
				 r->before[0] ? r->before : "no driver");
		else if (r->rollback < 0)
			snprintf(why + n, sizeof(why) - n,
				 "; rollback FAILED (%s): now bound to %s, was %s",
				 strerrorname_np(-r->rollback) ?: "E?",
				 r->after[0] ? r->after : "no driver",
				 r->before[0] ? r->before : "no driver");
		break;
	case EACCES:
	case EPERM:
		snprintf(why, sizeof(why), "no permission on sysfs (run as root)");
		break;
	default:
		snprintf(why, sizeof(why), "%s", vfio_dmabuf_explain(VFIO_DMABUF_OP_GENERIC, err));
	}
	return cli_fail(VFIO_DMABUF_OP_GENERIC, err, why, "cannot bind %s to %s",
			a->bdf, a->driver);
}

int cmd_bind(struct cli *cli, int argc, char **argv)
{
	struct bind_args a = { .force = false };
	struct adm_bind_report r;
	char cur[ADM_NAME_LEN];
	int ret;

	ret = parse(cli, argc, argv, 2, &a);
	if (ret)
		return ret == CLI_OPT_HELP ? CLI_OK : ret;
	ret = adm_driver_of(a.bdf, cur, sizeof(cur));
	if (ret == -ENODEV)
		return no_device("bind", a.bdf);
	/* Refuse early, before touching anything, if the driver is absent. */
	if (adm_driver_loaded(a.driver) == -ENOENT)
		return bind_failed(&a, -ENOENT, NULL);
	if (!ret && cur[0] && strcmp(cur, a.driver) &&
	    check_in_use(&a, "take", cur))
		return CLI_FAILED;
	ret = adm_bind(a.bdf, a.driver, &r);
	if (ret)
		return bind_failed(&a, ret, &r);
	if (!strcmp(r.before, a.driver))
		printf("%s: already bound to %s\n", a.bdf, a.driver);
	else
		printf("%s: bound to %s (was: %s)\n", a.bdf, a.driver,
		       r.before[0] ? r.before : "no driver");
	printf("note: until reboot; persistent: driverctl set-override %s %s\n",
	       a.bdf, a.driver);
	return CLI_OK;
}

int cmd_unbind(struct cli *cli, int argc, char **argv)
{
	struct bind_args a = { .force = false };
	char cur[ADM_NAME_LEN];
	int ret;

	ret = parse(cli, argc, argv, 1, &a);
	if (ret)
		return ret == CLI_OPT_HELP ? CLI_OK : ret;
	ret = adm_driver_of(a.bdf, cur, sizeof(cur));
	if (ret == -ENODEV)
		return no_device("unbind", a.bdf);
	if (!ret && cur[0] && check_in_use(&a, "unbind", cur))
		return CLI_FAILED;
	ret = adm_unbind(a.bdf, cur, sizeof(cur));
	if (ret == -ENODEV)
		return no_device("unbind", a.bdf);
	if (ret)
		return cli_fail(VFIO_DMABUF_OP_GENERIC, ret,
				ret == -EACCES || ret == -EPERM ?
				"no permission on sysfs (run as root)" : NULL,
				"cannot unbind %s", a.bdf);
	printf("%s: unbound from %s; driver_override cleared\n", a.bdf,
	       cur[0] ? cur : "no driver (was not bound)");
	return CLI_OK;
}
