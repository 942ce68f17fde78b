# SPDX-License-Identifier: GPL-2.0
#
# make            build vidshare.ko (and vidshare_kunit.ko) against KDIR
# make run        boot QEMU, share the frame buffer, draw, screenshot, unshare
# make check      the whole test suite in QEMU on a debug kernel
# make bench      time vidshare's mappings against fbdev, sysfs resource0 and
#                 VFIO on Debian's stock 6.12 and 6.1 under QEMU: tables,
#                 build/bench/results.json and build/bench/bench.png
# make tools      vidsharectl
# make install    the module (modules_install), vidsharectl with its man
#                 pages, completion and the uAPI header, and the udev rule,
#                 under DESTDIR and PREFIX (default /usr/local)
# make deb        the Debian packages vidshare-dkms and vidshare-tools in
#                 build/deb, with dpkg-buildpackage, checked by lintian
# make htmldocs   Documentation/vidshare as HTML in build/htmldocs, with
#                 Sphinx, warning-free (KSRC=... names the kernel source)
# make clean      everything the targets above made
KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local

# The project's version: PACKAGE_VERSION in dkms.conf, its one literal.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)

# The kernel source whose Sphinx extensions and kernel-doc htmldocs uses:
# KSRC=..., else the linux-source-6.12 that make run and make check unpack
# into their cache (VIDSHARE_CACHE, default /var/cache/vidshare), else one
# unpacked in /usr/src.
VIDSHARE_CACHE ?= /var/cache/vidshare
KSRC ?= $(firstword $(patsubst %/scripts/kernel-doc,%,$(wildcard \
	$(VIDSHARE_CACHE)/linux-source-6.12-*/scripts/kernel-doc \
	/usr/src/linux-source-6.12/scripts/kernel-doc)))
SPHINXBUILD ?= /usr/bin/sphinx-build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

tools:
	$(MAKE) -C tools/vidshare

# kbuild runs in KDIR and tools/vidshare's make in its directory: DESTDIR
# goes to both as an absolute path. The module goes to
# /lib/modules/RELEASE/updates (extra on older kernels, 6.1 among them);
# Debian's headers have no System.map, so kbuild skips depmod, which runs
# here instead when installing into the running system (no DESTDIR). The
# udev rule goes to PREFIX/lib/udev/rules.d: udev reads /usr/lib and
# /usr/local/lib both.
install_destdir = $(if $(DESTDIR),$(abspath $(DESTDIR)))
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(DESTDIR),INSTALL_MOD_PATH=$(install_destdir)) \
		modules_install
	$(MAKE) -C tools/vidshare install DESTDIR=$(install_destdir) PREFIX=$(PREFIX)
	install -D -m 644 tools/vidshare/udev/60-vidshare.rules \
		$(install_destdir)$(PREFIX)/lib/udev/rules.d/60-vidshare.rules
ifeq ($(DESTDIR),)
	depmod -a $$(cat $(KDIR)/include/config/kernel.release)
endif

# dpkg-buildpackage builds in a copy of the tree, build/deb/vidshare-VERSION,
# so that the tree stays clean: the files git knows (committed or not,
# ignored ones left out), or without git the whole tree but build/. The
# packages, the .changes, build.log and lintian.log land in build/deb/.
# lintian's errors fail the target; its warnings are in lintian.log.
DEB_SRC := build/deb/vidshare-$(VERSION)
deb:
	@for t in dpkg-buildpackage lintian; do command -v $$t >/dev/null || { \
		echo "deb: $$t is missing (dpkg-dev, lintian: tools/testing/vidshare/deps.sh" \
			"installs them)" >&2; exit 1; }; done
	rm -rf build/deb
	mkdir -p $(DEB_SRC)
	if [ -e .git ]; then \
		git ls-files -z --cached --others --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar -c --null -T - | tar -x -C $(DEB_SRC); \
	else \
		tar -c --exclude=./build --exclude-vcs . | tar -x -C $(DEB_SRC); \
	fi
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || { \
		tail -40 ../build.log; echo "deb: dpkg-buildpackage failed, see build/deb/build.log" >&2; \
		exit 1; }
	rm -rf $(DEB_SRC)
	ls -l build/deb/*.deb
	lintian --display-info build/deb/vidshare_$(VERSION)_*.changes > build/deb/lintian.log 2>&1; \
		rc=$$?; cat build/deb/lintian.log; \
		if [ $$rc != 0 ]; then echo "deb: lintian found errors (exit $$rc)" >&2; exit 1; fi

run:
	tools/testing/vidshare/vidshare-test run

check:
	tools/testing/vidshare/vidshare-test check

bench:
	tools/testing/vidshare/bench

# Every warning is an error (-W), all of them are reported (--keep-going),
# and every page is read again (-E), so that each build judges the whole
# documentation. kernel-abi runs $$srctree/scripts/get_abi.pl on
# $$srctree/Documentation: build/htmldocs-srctree joins the two.
htmldocs:
	@test -n "$(KSRC)" -a -f "$(KSRC)/scripts/kernel-doc" || { \
		echo "htmldocs: no kernel source; run make run once, or set KSRC=" \
		"to an unpacked linux-source-6.12" >&2; exit 1; }
	@test -x $(SPHINXBUILD) || { \
		echo "htmldocs: $(SPHINXBUILD) is missing (Debian: python3-sphinx)" >&2; exit 1; }
	rm -rf build/htmldocs build/htmldocs-srctree
	mkdir -p build/htmldocs-srctree
	ln -s "$(abspath $(KSRC))/scripts" build/htmldocs-srctree/scripts
	ln -s "$(CURDIR)/Documentation" build/htmldocs-srctree/Documentation
	KSRC="$(abspath $(KSRC))" srctree="$(CURDIR)/build/htmldocs-srctree" \
		$(SPHINXBUILD) -b html -W --keep-going -E -q \
		-d build/htmldocs-srctree/doctrees Documentation/vidshare build/htmldocs

# Through kbuild where the kernel's build directory is there; without it
# (no kernel headers installed) the same files by name, so that make clean
# never needs a kernel.
clean:
	$(MAKE) -C tools/vidshare clean
	rm -rf build
ifneq ($(wildcard $(KDIR)/Makefile),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
else
	@echo "clean: no kernel build directory $(KDIR), removing kbuild's files by name"
	find drivers -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' | xargs rm -f
	rm -f Module.symvers modules.order
endif

.PHONY: all modules modules_install tools install deb run check bench htmldocs clean
