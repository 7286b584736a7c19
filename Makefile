# SPDX-License-Identifier: GPL-2.0
#
# dynstack: top-level build, boot and test driver.
#
#   make run     build what is missing, boot the test kernel, show the savings
#   make test    build everything, run every suite, print "N passed, N failed"
#
# Everything is built out of tree below $(BUILD) (git-ignored). See
# docs/development.md for the layout and how to rebuild one part quickly.

SHELL := /bin/bash
.DEFAULT_GOAL := all

TOP      := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD    ?= $(TOP)/build
CONFIG   ?= fast
# Base kernel source: Debian's linux-source-6.12 tarball, or a 6.12 tree.
KERNEL_SRC ?=
KERNEL_TARBALL ?= /usr/src/linux-source-6.12.tar.xz
JOBS     ?= $(shell nproc)
TIMEOUT  ?= 900
SMP      ?= 2
MEM      ?= 2048
KVM      ?= 0

SRC      := $(BUILD)/src
# CONFIG=mainline builds the unpatched base tree (the benchmarks' reference).
KTREE    := $(if $(filter mainline,$(CONFIG)),$(BUILD)/base,$(SRC))
OBJ      := $(BUILD)/obj-$(CONFIG)
BZIMAGE  := $(OBJ)/arch/x86/boot/bzImage
MODDIR   := $(BUILD)/mod-$(CONFIG)
MODULE   := $(MODDIR)/module/dynstack.ko
TOOLDIR  := $(BUILD)/tool
TOOL     := $(TOOLDIR)/dynstackctl
KSFTDIR  := $(BUILD)/selftests
INITRD   := $(BUILD)/initramfs-$(CONFIG).cpio.gz

export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Paths under build/ hash relative to the object tree, so that a second
# clone (or CI's) hits the cache the first one filled: otherwise every new
# clone rebuilds both kernels from scratch, 13-15 minutes on 2 cores.
export CCACHE_BASEDIR ?= $(BUILD)
KMAKE := $(MAKE) -C $(KTREE) O=$(OBJ) LLVM=1 CC="ccache clang" HOSTCC="ccache clang" -j$(JOBS)

.PHONY: all deps tree config kernel module tool selftests initramfs vm run \
	test test-host bench proof clean distclean checkpatch lint devtree export-patches \
	series-check help install

all: kernel module tool selftests initramfs

help:
	@sed -n '3,9p' $(TOP)/Makefile

# apt-get only what is missing; a no-op on a prepared machine.
deps:
	@$(TOP)/scripts/deps.sh

# Unpack the base source and lay kernel/ (new files + patch series) on it.
tree: deps
	@$(TOP)/scripts/prepare-tree.sh "$(SRC)" "$(if $(KERNEL_SRC),$(KERNEL_SRC),$(KERNEL_TARBALL))"

config: tree
	@$(TOP)/scripts/kconfig.sh "$(KTREE)" "$(OBJ)" "$(CONFIG)"

# kbuild itself is incremental; the find skips its ~15 s no-op walk when no
# source file is newer than the image.
kernel: config
	@if [ ! -f $(BZIMAGE) ] || [ $(OBJ)/.config -nt $(BZIMAGE) ] || \
	    [ -n "$$(find $(KTREE) -newer $(BZIMAGE) -type f -print -quit)" ]; then \
		echo "  KERNEL  $(CONFIG)"; \
		$(KMAKE) bzImage modules >$(OBJ).log 2>&1 || \
			{ tail -40 $(OBJ).log; echo "kernel build failed: $(OBJ).log"; exit 1; }; \
	fi

module: kernel
	@mkdir -p $(MODDIR)
ifeq ($(CONFIG),mainline)
	@echo "  MODULE  (none for mainline)"
else
	@rsync -a --delete $(TOP)/module/ $(MODDIR)/module/
	@rsync -a --delete $(TOP)/uapi/ $(MODDIR)/uapi/
	@$(KMAKE) M=$(MODDIR)/module modules >$(MODDIR).log 2>&1 || \
		{ cat $(MODDIR).log; echo "module build failed"; exit 1; }
	@echo "  MODULE  $(MODULE)"
endif

tool: deps
	@$(MAKE) -s -C $(TOP)/tools/dynstackctl BUILD=$(TOOLDIR)

selftests: tree
	@$(MAKE) -s -C $(TOP)/selftests/dynstack OUTPUT=$(KSFTDIR) KSRC=$(SRC)

initramfs: module tool selftests
	@$(TOP)/scripts/mkinitramfs.sh "$(INITRD)" "$(MODDIR)" "$(TOOL)" "$(KSFTDIR)" "$(TOP)/scripts/guest"

# Stable interface: boot the test kernel and run SCRIPT in it as root.
# The module is at /lib/modules/dynstack/dynstack.ko ($$DYNSTACK_KO).
vm: all
	@test -n "$(SCRIPT)" || { echo "usage: make vm SCRIPT=<file> [EXTRA=<dir>] [APPEND=<args>] [ICOUNT=1]"; exit 2; }
	@$(TOP)/scripts/vm.sh --kernel $(BZIMAGE) --initrd $(INITRD) \
		--script "$(SCRIPT)" $(if $(EXTRA),--extra "$(EXTRA)") \
		$(if $(APPEND),--append "$(APPEND)") $(if $(filter 1,$(ICOUNT)),--icount) \
		--timeout $(TIMEOUT) --smp $(SMP) --mem $(MEM) --kvm $(KVM) \
		--log $(BUILD)/vm-$(CONFIG).log

run: all
	@$(TOP)/scripts/vm.sh --kernel $(BZIMAGE) --initrd $(INITRD) \
		--script $(TOP)/scripts/guest/run-demo.sh \
		--timeout $(TIMEOUT) --smp $(SMP) --mem $(MEM) --kvm $(KVM) \
		--log $(BUILD)/run-$(CONFIG).log

# Benchmarks: memory, context switch and creation against mainline.
# QUICK=1 for the short version; results in build/bench/.
bench: deps
	@$(TOP)/scripts/bench.sh $(if $(QUICK),quick,full)

# The Spin model of the stack-page protocol, exhaustively, and its mutants
# (docs/proof.md).
proof: deps
	@$(TOP)/scripts/proof.sh

# Every suite, in both kernel configurations. CONFIGS="fast" for a quick pass.
CONFIGS ?= fast debug
test: deps
	@$(TOP)/scripts/test.sh "$(CONFIGS)"

test-host: deps
	@$(MAKE) -s -C $(TOP)/tools/dynstackctl BUILD=$(TOOLDIR) test

checkpatch: tree
	@$(TOP)/scripts/checkpatch.sh "$(SRC)"

# checkpatch, kernel-doc, clang-format, clang-tidy (also part of make test).
lint: tree
	@$(TOP)/scripts/lint.sh "$(SRC)"

# A git tree (build/dev) with the series applied, for working on patches;
# export-patches writes it back to kernel/patches.
devtree: tree
	@$(TOP)/scripts/devtree.sh init

export-patches:
	@$(TOP)/scripts/devtree.sh export

# git am the series onto the pristine base, build after every patch, boot
# the last (not part of make test).
series-check: tree initramfs
	@$(TOP)/scripts/series-check.sh

# dynstackctl (dynamically linked), its man page and bash completion, under
# PREFIX (default /usr/local); DESTDIR for staging.
PREFIX ?= /usr/local
install: deps
	@cmake -S $(TOP)/tools/dynstackctl -B $(BUILD)/tool-install -DCMAKE_CXX_COMPILER=clang++ \
		-DCMAKE_BUILD_TYPE=Release -DDYNSTACKCTL_TESTS=OFF \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD)/tool-install -j2 >$(BUILD)/tool-install.log 2>&1 || \
		{ cat $(BUILD)/tool-install.log; exit 1; }
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)/tool-install

clean:
	rm -rf $(BUILD)/obj-* $(BUILD)/mod-* $(BUILD)/tool $(BUILD)/selftests \
		$(BUILD)/initramfs-* $(BUILD)/*.log $(BUILD)/results-*

distclean:
	rm -rf $(BUILD)
