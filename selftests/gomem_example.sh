#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The example client loads, shows up in /proc/gomem, and unloads leaving
# nothing behind.
. "$(dirname "$0")/ktap_helpers.sh"

ktap_plan 7
dmesg -c >/dev/null
insmod "$GOMEM_DIR/gomem.ko"
ktap_check "insmod gomem_example.ko" insmod "$GOMEM_DIR/examples/gomem_example.ko"
ktap_check "its 1000 names are in the 16-byte class" \
	test "$(gomem_class_col "$(gomem_class_of 12)" objs_inuse)" -ge 1000
ktap_check "it holds memory" test "$(gomem_key bytes_requested)" -gt 1000000
ktap_check "rmmod gomem_example" rmmod gomem_example
ktap_expect_eq "nothing left" "$(gomem_key bytes_requested) $(gomem_key tiny_objects)" "0 0"
ktap_check "rmmod gomem" rmmod gomem
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
