# vfio-dmabuf: top-level Makefile. It only delegates; each folder builds
# itself. KVER names the Debian kernel to build for and boot (default: the
# newest linux-image-6.12.*+deb12-amd64 the archive offers).
KVER ?= $(shell scripts/kver)
KDIR ?= /usr/src/linux-headers-$(KVER)

# Kernel modules (out of tree, against $(KDIR)) and the userspace library
# and CLI.
all: deps
	$(MAKE) -C driver KDIR=$(KDIR)
	$(MAKE) -C tests/importer KDIR=$(KDIR)
	$(MAKE) -C lib
	$(MAKE) -C tools

deps:
	scripts/deps $(KVER)

# The example programs, built the way a user builds them: against the
# library installed into a prefix (here build/prefix) and found with
# pkg-config. build/nvme-cmb/nvme-cmb: docs/nvme-cmb.md.
examples:
	$(MAKE) -C lib O=$(CURDIR)/build/lib PREFIX=$(CURDIR)/build/prefix install
	PKG_CONFIG_PATH=$(CURDIR)/build/prefix/lib/pkgconfig \
		$(MAKE) -C examples/nvme-cmb O=$(CURDIR)/build/nvme-cmb

# The manual pages (man/*.md, through pandoc) into build/man; read one
# with `man -l build/man/vfio-dmabuf.1`. Installed with
# `make -C man install PREFIX=/usr/local` (or by the Debian packages).
man:
	$(MAKE) -C man O=$(CURDIR)/build/man

# Boot Debian's kernel in the QEMU bench and show what the guest sees: the
# ivshmem story, then the NVMe CMB story (examples/nvme-cmb).
demo: deps
	KVER=$(KVER) vm/demo

# Every test: host unit tests, then every boot of vm/plan. The last line is
# "N passed, N failed, N skipped".
check: deps
	KVER=$(KVER) vm/check

# The bench's own reliability: boot the basic topology BOOTS times on
# KERNEL (debian or debug) and count failed boots; LOAD=1 runs a kernel
# compile beside the boots. Not part of `make check` (it takes long).
BOOTS ?= 20
KERNEL ?= debian
stress-bench: deps
	KVER=$(KVER) vm/stress-bench --kernel $(KERNEL) --count $(BOOTS) \
		$(if $(filter 1,$(LOAD)),--load)

# The race tests (plan 35-race) for two minutes each instead of ten
# seconds, and the fuzzer for a million operations, on both kernels.
stress: deps
	KVER=$(KVER) PLAN=vm/stress.d/race DETECTORS=0 vm/check

# Issue 22. coverage: the debug kernel's boots alone, then line, function
# and branch coverage of driver/ (results/coverage/, html/index.html).
# fuzz: the coverage-guided fuzzer for FUZZ_SECONDS (default 600) from the
# saved corpus; FUZZ_SAVE=1 keeps what it found (results/fuzz/).
coverage: deps
	KVER=$(KVER) KERNELS=debug HOST_TESTS=0 LINT=0 DETECTORS=0 vm/check

fuzz: deps
	KVER=$(KVER) vm/fuzz

clean:
	-$(MAKE) -C driver KDIR=$(KDIR) clean
	-$(MAKE) -C tests/importer KDIR=$(KDIR) clean
	-$(MAKE) -C tests/barhold KDIR=$(KDIR) clean
	-$(MAKE) -C lib clean
	-$(MAKE) -C tools clean
	-$(MAKE) -C man clean
	rm -rf results tests/guest/bin build

distclean: clean
	rm -rf .cache

# What the driver costs and how it scales (docs/performance.md): two boots
# of the benchmark program (Debian's 6.12; sid's 7.2 for ours vs upstream);
# table, CSVs and plots under results/bench/. BENCH_SCALE=tiny is the
# configuration `make check` runs; BENCH_UPSTREAM_KERNEL= skips the 7.2 boot.
bench: deps
	KVER=$(KVER) vm/bench

.PHONY: all deps examples man demo check coverage fuzz stress stress-bench bench \
	clean distclean
