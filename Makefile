# SPDX-License-Identifier: GPL-2.0
#
# gomem: `make` builds gomem.ko for KDIR (and leaves Module.symvers here
# for client modules); `make check` runs every test; `make demo` shows
# gomem in the stock kernel; `make bench` measures it against SLUB;
# `make stress` runs the long stress test; `make deb` builds the
# gomem-dkms Debian package.
# Kbuild itself reads the Kbuild file.

# The running kernel's tree if it has one, else the project's test kernel
# (built once, cached in $GOMEM_CACHE, by scripts/kdir).
KDIR ?= $(if $(wildcard /lib/modules/$(shell uname -r)/build/Makefile),\
	/lib/modules/$(shell uname -r)/build,$(shell scripts/kdir test))

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(if $(wildcard Module.symvers),$(MAKE) -C $(KDIR) M=$(CURDIR) clean)
	rm -rf build

check:
	scripts/check

demo:
	scripts/demo

bench:
	scripts/bench

stress:
	scripts/stress

deb:
	scripts/deb

# Regenerate the size classes and the README's table of them.
sizeclasses:
	python3 scripts/mksizeclasses.py -o sizeclasses.h
	python3 scripts/mksizeclasses.py --markdown >build.sizeclasses.md
	sed -i -e '/<!-- sizeclasses -->/,/<!-- \/sizeclasses -->/{//!d}' \
		-e '/<!-- sizeclasses -->/r build.sizeclasses.md' README.md
	rm -f build.sizeclasses.md

.PHONY: all modules clean check demo bench stress deb sizeclasses
