#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What a user does first: load gomem, read /proc/gomem, unload it, and
# the kernel log stays free of splats.
. "$(dirname "$0")/ktap_helpers.sh"

ktap_plan 6
dmesg -c >/dev/null
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
ktap_check "/proc/gomem is readable" test -r /proc/gomem
ktap_expect_eq "/proc/gomem starts with its version" \
	"$(head -n 1 /proc/gomem)" "gomem version 2"
ktap_expect_eq "/proc/gomem_cpu has a line per possible CPU" \
	"$(($(wc -l </proc/gomem_cpu) - 2))" \
	"$(awk -F- '{ print $NF + 1 }' /sys/devices/system/cpu/possible)"
ktap_check "rmmod gomem" rmmod gomem
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
