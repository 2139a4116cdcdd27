#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What a user does first: load gomem, read /proc/gomem, unload it, and
# the kernel log stays free of splats.  Loaded with nothing allocated,
# gomem holds no page and at most 64 KiB of metadata plus 4 KiB per
# possible CPU.
. "$(dirname "$0")/ktap_helpers.sh"

ktap_plan 8
dmesg -c >/dev/null
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
ktap_check "/proc/gomem is readable" test -r /proc/gomem
cpus=$(awk -F- '{ print $NF + 1 }' /sys/devices/system/cpu/possible)
meta=$(gomem_key metadata_bytes)
echo "# loaded: $meta bytes of metadata, $cpus possible CPUs"
ktap_expect_eq "loaded, it holds no page" "$(gomem_key pages_total)" 0
ktap_expect_eq "loaded, its metadata is at most 64 KiB + 4 KiB per CPU" \
	"$((meta <= 65536 + 4096 * cpus))" 1
ktap_expect_eq "/proc/gomem starts with its version" \
	"$(head -n 1 /proc/gomem)" "gomem version 2"
ktap_expect_eq "/proc/gomem_cpu has a line per possible CPU" \
	"$(($(wc -l </proc/gomem_cpu) - 2))" "$cpus"
ktap_check "rmmod gomem" rmmod gomem
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
