# SPDX-License-Identifier: GPL-2.0
#
# make            build vidshare.ko (and vidshare_kunit.ko) against KDIR
# make run        boot QEMU, share the frame buffer, draw, screenshot, unshare
# make check      the whole test suite in QEMU on a debug kernel
# make tools      vidsharectl
KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

tools:
	$(MAKE) -C tools/vidshare

run:
	tools/testing/vidshare/vidshare-test run

check:
	tools/testing/vidshare/vidshare-test check

clean:
	$(MAKE) -C tools/vidshare clean
	rm -rf build
	find drivers -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' | xargs rm -f
	rm -f Module.symvers modules.order

.PHONY: all modules modules_install tools run check clean
