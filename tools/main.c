// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-dmabuf: command-line front end of libvfio-dmabuf. Global options
 * and the dispatch to the verbs; the manual is in help.c
 * (`vfio-dmabuf --help`).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define STR(x)	#x
#define XSTR(x)	STR(x)
#define TOOLS_VERSION	XSTR(VFIO_DMABUF_VERSION_MAJOR) "." \
			XSTR(VFIO_DMABUF_VERSION_MINOR) "." \
			XSTR(VFIO_DMABUF_VERSION_PATCH)

/* The loaded module's version: 1 found, 0 not loaded, -errno otherwise. */
static int module_version(char *buf, size_t len)
{
	FILE *f = fopen(ADM_MODULE "/version", "re");

	if (!f) {
		if (errno != ENOENT)
			return -errno;
		/* Loaded without a version, or not loaded at all. */
		f = fopen(ADM_MODULE "/refcnt", "re");
		if (f)
			fclose(f);
		buf[0] = '\0';
		return f ? 1 : 0;
	}
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 1;
}

static int version(const struct cli *cli)
{
	char mod[64];
	int ret = module_version(mod, sizeof(mod));
	struct json j;

	if (cli->json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_str(&j, "tools", TOOLS_VERSION);
		json_bool(&j, "module_loaded", ret > 0);
		json_str(&j, "module", ret > 0 && mod[0] ? mod : NULL);
		json_end(&j, '}');
		json_done(&j);
		return CLI_OK;
	}
	printf("vfio-dmabuf %s\n", TOOLS_VERSION);
	if (ret > 0)
		printf("module vfio_pci_dmabuf: %s\n", mod[0] ? mod : "loaded, no version");
	else if (!ret)
		printf("module vfio_pci_dmabuf: not loaded\n");
	else
		printf("module vfio_pci_dmabuf: unknown (%s)\n", strerror(-ret));
	return CLI_OK;
}

#define GO_ON	(-1)

/*
 * Options before the command: --help, --version, -o/--output. Returns
 * GO_ON with the command word's index in *@first, or the exit status when
 * the run ends here.
 */
static int global_options(struct cli *cli, int argc, char **argv, int *first)
{
	const char *fmt;
	bool want_version = false;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cli_manual(stdout);
			return CLI_OK;
		} else if (!strcmp(a, "--version")) {
			want_version = true;
			continue;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (i + 1 == argc)
				return cli_usage(cli, "option %s needs a value", a);
			fmt = argv[++i];
		} else if (!strncmp(a, "--output=", 9)) {
			fmt = a + 9;
		} else if (!strncmp(a, "-o", 2)) {
			fmt = a + 2;
		} else {
			return cli_usage(cli, "unknown option %s", a);
		}
		if (!strcmp(fmt, "json"))
			cli->json = true;
		else if (!strcmp(fmt, "text"))
			cli->json = false;
		else
			return cli_usage(cli, "unknown output format '%s' (want text or json)",
					  fmt);
	}
	if (want_version) {
		if (i < argc)
			return cli_usage(cli, "--version takes no command");
		return version(cli);
	}
	if (i == argc)
		return cli_usage(cli, "no command given (usage: vfio-dmabuf COMMAND ARGS...)");
	*first = i;
	return GO_ON;
}

int main(int argc, char **argv)
{
	struct cli cli = { .cmd = NULL, .json = false };
	const struct cli_cmd *cmd;
	int i = 0, ret;

	ret = global_options(&cli, argc, argv, &i);
	if (ret != GO_ON)
		return ret;
	cmd = cli_find(argv[i]);
	if (!cmd)
		return cli_usage(&cli, "unknown command '%s'", argv[i]);
	cli.cmd = cmd;
	return cmd->run(&cli, argc - i, argv + i);
}
