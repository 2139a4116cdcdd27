#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What a user does first: load gomem, read /proc/gomem, unload it, and
# the kernel log stays free of splats.  Loaded with nothing allocated,
# gomem holds no page and at most 64 KiB of metadata plus 4 KiB per
# present CPU: a CPU that is possible but has never been online costs
# nothing (make check boots the stock guest with more possible CPUs than
# present ones).  A CPU first brought online after the load gets its
# cache then, and is served.  mcache_kib, the most one CPU's caches may
# hold, refuses a value below the widest stack a class may have (256 KiB)
# and leaves nothing behind; at that least value, the stacks of classes
# in streams stay within it, freeing each other's.
. "$(dirname "$0")/ktap_helpers.sh"

ktap_plan 15
dmesg -c >/dev/null
# CPU 1 offline at the load, online after.
CPU1=/sys/devices/system/cpu/cpu1/online
[ -w "$CPU1" ] && echo 0 >"$CPU1"
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
ktap_check "/proc/gomem is readable" test -r /proc/gomem
cpus=$(awk -F- '{ print $NF + 1 }' /sys/devices/system/cpu/possible)
present=$(awk -F- '{ print $NF + 1 }' /sys/devices/system/cpu/present)
meta=$(gomem_key metadata_bytes)
echo "# loaded: $meta bytes of metadata, $cpus possible CPUs, $present present"
ktap_expect_eq "loaded, it holds no page" "$(gomem_key pages_total)" 0
ktap_expect_eq "loaded, its metadata is at most 64 KiB + 4 KiB per present CPU" \
	"$((meta <= 65536 + 4096 * present))" 1
if [ -w "$CPU1" ]; then
	echo 1 >"$CPU1"
	grown=$(($(gomem_key metadata_bytes) - meta))
	echo "# CPU 1 online: $grown bytes more metadata"
	ktap_expect_eq "a CPU first online after the load gets one cache" \
		"$((grown > 0 && grown <= 4096))" 1
	pattern_load taskset 2 insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
		sizes=64 count=10 &&
		rmmod gomem_pattern
	ktap_expect_eq "that CPU's cache serves it" \
		"$(awk '$1 == 1 { print $4 }' /proc/gomem_cpu)" 10
else
	ktap_skip "a CPU first online after the load gets one cache" "no CPU 1 to offline"
	ktap_skip "that CPU's cache serves it" "no CPU 1 to offline"
fi
ktap_expect_eq "/proc/gomem starts with its version" \
	"$(head -n 1 /proc/gomem)" "gomem version 3"
ktap_expect_eq "/proc/gomem_cpu has a line per possible CPU" \
	"$(($(wc -l </proc/gomem_cpu) - 2))" "$cpus"
ktap_check "rmmod gomem" rmmod gomem

dmesg -c >/dev/null
if insmod "$GOMEM_DIR/gomem.ko" mcache_kib=255 2>/tmp/insmod.err; then
	rc=0
	rmmod gomem
else
	rc=1
fi
ktap_expect_eq "mcache_kib=255 fails the load with EINVAL" \
	"$rc$(grep -c 'Invalid argument' /tmp/insmod.err)" 11
# busybox's insmod runs a failed init twice: each run must say why.
fails=$(dmesg | grep -c 'gomem: load failed')
why=$(dmesg | grep -c 'gomem: mcache_kib=255 is less than the widest stack of a class, 256 KiB')
clean=$(dmesg | grep -c 'gomem: load failed (-22): 0 bytes of metadata and 0 pages left behind')
ktap_expect_eq "and says why, leaving nothing behind" \
	"$((fails >= 1 && why == fails && clean == fails))" 1
ktap_check "insmod gomem.ko mcache_kib=256" insmod "$GOMEM_DIR/gomem.ko" mcache_kib=256
# Streams of 200 objects of each of five classes on CPU 0: the stack
# of each grows, 32 KiB's to a stream's 8 objects, 256 KiB alone, so
# that each must free the others' stacks.
for _ in 1 2; do
	pattern_load taskset 1 insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
		sizes=32768,16384,8192,4096,2048 count=200 &&
		taskset 1 rmmod gomem_pattern
done
# stack_bytes and evictions.
most=$(gomem_cpu_col max 10)
evicted=$(gomem_cpu_col sum 11)
echo "# mcache_kib=$(cat /sys/module/gomem/parameters/mcache_kib): stacks of at most $most bytes on a CPU, $evicted freed to keep within it"
ktap_expect_eq "stacks within 256 KiB, having freed each other" \
	"$((most <= 262144 && evicted > 0))" 1
ktap_check "rmmod gomem" rmmod gomem
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
