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

# Boot Debian's kernel in the QEMU bench and show what the guest sees.
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
# seconds, on both kernels.
stress: deps
	KVER=$(KVER) PLAN=vm/stress.d/race DETECTORS=0 vm/check

clean:
	-$(MAKE) -C driver KDIR=$(KDIR) clean
	-$(MAKE) -C tests/importer KDIR=$(KDIR) clean
	-$(MAKE) -C lib clean
	-$(MAKE) -C tools clean
	rm -rf results tests/guest/bin

distclean: clean
	rm -rf .cache

.PHONY: all deps demo check stress stress-bench clean distclean
