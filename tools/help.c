// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The manual: the command table with each verb's synopsis and section,
 * `vfio-dmabuf --help`, `help [COMMAND]` and `COMMAND --help`.
 */
#include "cli.h"

#include <string.h>

const struct cli_cmd cli_cmds[] = {
	{ "probe", "BDF [--cdev] [-o json]",
"        Open the device and ask whether its driver serves the dma-buf\n"
"        feature; list its BARs. Exit 0 if served, 1 if not.\n"
"          --cdev          open it through its VFIO cdev and iommufd\n"
"                          (/dev/vfio/devices/vfioN) instead of its IOMMU\n"
"                          group; kernels with CONFIG_VFIO_DEVICE_CDEV.\n",
	  cmd_probe },
	{ "export", "BDF --region N --range OFF:LEN [--range OFF:LEN]...\n"
"           [--rdonly] [--cdev] [--hold SECONDS | --exec CMD] [-o json]",
"        Export the ranges (in order) of region N (BAR index 0-5) as one\n"
"        dma-buf and print its fd, size and exporter name. OFF and LEN are\n"
"        numbers (see NUMBERS) with an optional K, M or G suffix and must be\n"
"        page aligned. The buffer lives only while this process keeps the\n"
"        VFIO device open: closing the device revokes it for good. So:\n"
"          --hold SECONDS  keep it for SECONDS (0: until SIGINT/SIGTERM);\n"
"          --exec CMD      run `sh -c CMD` with the dma-buf fd inherited,\n"
"                          its number in $VFIO_DMABUF_FD, the size in\n"
"                          $VFIO_DMABUF_SIZE; exit with CMD's status.\n"
"          --rdonly        open the dma-buf O_RDONLY (default O_RDWR).\n"
"          --cdev          open the device as probe --cdev does.\n"
"        Without --hold or --exec the buffer is created and released at\n"
"        once (a check that the export works). When the kernel refuses,\n"
"        a second line names the range at fault (vfio_dmabuf_check()).\n",
	  cmd_export },
	{ "info", "BDF [-o json]",
"        Show the driver bound to BDF, its driver_override and IOMMU group,\n"
"        and the driver's debugfs view of its live exports\n"
"        (" ADM_DEBUGFS "/BDF/exports; needs root and debugfs\n"
"        mounted). Does not open the device. Exit 1 when the device is\n"
"        bound to " VFIO_DMABUF_DRIVER " but that file cannot be read.\n",
	  cmd_info },
	{ "status", "[-o json]",
"        Whether the module vfio_pci_dmabuf is loaded, its version and\n"
"        parameters (/sys/module/vfio_pci_dmabuf/), the devices bound to\n"
"        " VFIO_DMABUF_DRIVER " and each one's live exports from debugfs.\n"
"        Opens no device, so it works while QEMU or SPDK holds them; when\n"
"        debugfs cannot be read it says so and still exits 0.\n",
	  cmd_status },
	{ "bind", "BDF [DRIVER] [--force]",
"        Bind the device to DRIVER (default " VFIO_DMABUF_DRIVER ") through\n"
"        driver_override: set the override, unbind the current driver,\n"
"        reprobe. Lasts until reboot; the persistent equivalent is\n"
"            driverctl set-override BDF vfio-pci-dmabuf\n"
"        (and `driverctl unset-override BDF` undoes either). DRIVER must be\n"
"        loaded: modprobe vfio-pci-dmabuf [p2p_host_bridges=VVVV:DDDD].\n"
"        Refuses (exit 1) to take a device away from a driver that serves\n"
"        something active: a network interface that is up, a block device\n"
"        (or partition) that is mounted, active swap or held by another\n"
"        block device; --force binds anyway. When DRIVER does not take the\n"
"        device, the previous driver_override is restored and the previous\n"
"        driver reprobed; the message says both.\n",
	  cmd_bind },
	{ "unbind", "BDF [--force]",
"        Release the device: unbind it from its driver and clear its\n"
"        driver_override, so no driver takes it until asked (bind, or\n"
"        echo BDF > /sys/bus/pci/drivers_probe for its native driver).\n"
"        The same safety check as bind; --force skips it.\n",
	  cmd_unbind },
	{ "help", "[COMMAND]",
"        This manual, or the part of it about COMMAND (also COMMAND --help).\n",
	  cmd_help },
	{ NULL, NULL, NULL, NULL },
};

static const char head[] =
"NAME\n"
"    vfio-dmabuf - export PCI BAR ranges of a VFIO device as dma-bufs\n"
"\n"
"SYNOPSIS\n";

static const char description[] =
"    vfio-dmabuf --version [-o json]\n"
"    vfio-dmabuf --help\n"
"\n"
"DESCRIPTION\n"
"    Drives VFIO_DEVICE_FEATURE_DMA_BUF (upstream Linux 6.19 uapi, served on\n"
"    older kernels by the vfio-pci-dmabuf variant driver). BDF is a PCI\n"
"    address, dddd:bb:dd.f or bb:dd.f. probe and export open the device\n"
"    through its IOMMU group (/dev/vfio/N) and a type1 container, so its\n"
"    group must be viable and not open elsewhere; the other commands only\n"
"    read and write sysfs.\n"
"\n"
"COMMANDS\n";

static const char tail[] =
"\n"
"OPTIONS\n"
"    -o json, --output json\n"
"        For probe, export, info, status and --version: print one JSON\n"
"        object on stdout instead of text (-o text is the default). Errors\n"
"        stay text on stderr. With export --hold its notes go to stderr;\n"
"        with --exec the command's own output follows the object.\n"
"    -h, --help\n"
"        After a command: that command's part of this manual.\n"
"    --version\n"
"        The CLI's version (VFIO_DMABUF_VERSION of libvfio-dmabuf) and,\n"
"        when the module is loaded, its version\n"
"        (/sys/module/vfio_pci_dmabuf/version).\n"
"\n"
"NUMBERS\n"
"    Decimal, or hexadecimal with 0x. Never octal: a leading zero means\n"
"    nothing, so --region 010 is region 10. Signs, blanks and trailing\n"
"    characters are errors.\n"
"\n"
"OUTPUT\n"
"    Text output is \"key: value\" lines. Errors go to stderr as\n"
"        vfio-dmabuf: WHAT: ERRNO_NAME (strerror): what it means here\n"
"    and a syntax error as one line naming it.\n"
"\n"
"EXIT STATUS\n"
"    0 success; 1 the operation failed (or probe: not served); 2 usage\n"
"    error (a syntax error on the command line); with export --exec, the\n"
"    command's status.\n"
"\n"
"EXAMPLES\n"
"    modprobe vfio-pci-dmabuf p2p_host_bridges=8086:29c0\n"
"    vfio-dmabuf bind 00:05.0\n"
"    vfio-dmabuf probe 00:05.0\n"
"    vfio-dmabuf export 00:05.0 --region 2 --range 0:2M --range 4M:4K --hold 60\n"
"    vfio-dmabuf export 00:05.0 --region 2 --range 0:64K \\\n"
"        --exec 'cat /proc/self/fdinfo/$VFIO_DMABUF_FD'\n"
"    vfio-dmabuf status -o json\n"
"    vfio-dmabuf unbind 00:05.0\n";

const struct cli_cmd *cli_find(const char *name)
{
	const struct cli_cmd *c;

	for (c = cli_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cli_manual(FILE *f)
{
	const struct cli_cmd *c;

	fputs(head, f);
	for (c = cli_cmds; c->name; c++)
		fprintf(f, "    vfio-dmabuf %s %s\n", c->name, c->synopsis);
	fputs(description, f);
	for (c = cli_cmds; c->name; c++) {
		fprintf(f, "    %s %s\n", c->name, c->synopsis);
		fputs(c->help, f);
		if (c[1].name)
			fputc('\n', f);
	}
	fputs(tail, f);
}

void cli_cmd_help(const struct cli_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: vfio-dmabuf %s %s\n\n", cmd->name, cmd->synopsis);
	fputs(cmd->help, f);
}

int cmd_help(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_cmd *c;
	int ret;

	cli_opt_reset();
	ret = cli_opt(cli, argc, argv, ":h", opts);
	if (ret == CLI_OPT_HELP)
		return CLI_OK;
	if (ret != CLI_OPT_END)
		return CLI_USAGE;
	ret = cli_args(cli, argc, 0, 1);
	if (ret)
		return ret;
	if (optind == argc) {
		cli_manual(stdout);
		return CLI_OK;
	}
	c = cli_find(argv[optind]);
	if (!c)
		return cli_usage(cli, "no command '%s'", argv[optind]);
	cli_cmd_help(c, stdout);
	return CLI_OK;
}
