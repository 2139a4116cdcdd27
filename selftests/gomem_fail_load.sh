#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A load that fails leaves nothing behind.  insmod's fail_load=N fails
# the load's Nth allocation or registration (fault.c), so the loads
# with N = 1, 2, ... run every unwinding path of gomem_init(), until N
# passes the load's last point and the load succeeds; again with
# callers=1, whose load has a /proc file more.  Each failed load must
# return an error, log that it left no metadata and no page behind, by
# gomem's own accounting, and leave no /proc file, no CPU hotplug state,
# no slab cache and no workqueue rescuer behind it.  Then gomem serves
# and unloads as ever, and the kernel log has no splat: KASAN and
# lockdep watch the unwinding in the test kernel.
. "$(dirname "$0")/ktap_helpers.sh"

ktap_plan 11
dmesg -c >/dev/null
splats=

# What a load leaves that a failed one must not: one line each.
leftovers() {
	ls /proc/gomem /proc/gomem_cpu /proc/gomem_callers 2>/dev/null
	grep gomem /sys/devices/system/cpu/hotplug/states
	grep -s '^gomem_mspan' /proc/slabinfo
	ls -d /sys/kernel/slab/gomem_mspan* 2>/dev/null
	# The workqueue's rescuer: gomem_drain, or kworker/R-gomem (6.9 on).
	grep -lE '^(gomem_drain|kworker/R-gomem)' /proc/[0-9]*/comm 2>/dev/null
}

unloaded_clean() {
	gomem_pages_back && [ -z "$(leftovers)" ]
}

# Load with fail_load=FIRST, FIRST + 1, ... and OPTS until a load
# succeeds; sets points (the last that failed, FIRST - 1 if none did) and
# bad (what went wrong, and where), and gathers the splats of each
# load's log before clearing it.
fail_loads() {	# FIRST OPTS
	points=$(($1 - 1)) bad=
	while [ $points -lt 1000 ]; do
		splats="$splats$(gomem_splats)"
		dmesg -c >/dev/null
		# shellcheck disable=SC2086 # OPTS are separate parameters
		if insmod "$GOMEM_DIR/gomem.ko" fail_load=$((points + 1)) $2 \
			2>/tmp/insmod.err; then
			return
		fi
		points=$((points + 1))
		grep -q 'Cannot allocate memory' /tmp/insmod.err ||
			bad="$bad load $points: $(cat /tmp/insmod.err);"
		# busybox's insmod runs a failed init twice: both must say so.
		line=$(dmesg | grep 'gomem: load failed' | grep -v \
			'load failed (-12): 0 bytes of metadata and 0 pages left behind')
		[ -z "$line" ] && [ "$(dmesg | grep -c 'gomem: load failed')" -ge 1 ] ||
			bad="$bad load $points: '$line';"
		left=$(leftovers)
		[ -z "$left" ] || bad="$bad load $points left $left;"
	done
	bad="$bad no load succeeded;"
}

# callers=1 adds a point after the last of the default load's, which
# are the same steps in the same order: its loads start at that last.
first=1
for opts in "" callers=1; do
	what=${opts:-default}
	fail_loads $first "$opts"
	echo "# $what: $points points of failure"
	first=$points
	ktap_expect_eq "$what: every failed load logged nothing left behind, and left nothing" \
		"$bad" ""
	# mheap, mspan, every class, the workqueue, the notifier, a cache
	# per online CPU and /proc: a count this low missed some.
	ktap_expect_eq "$what: the load has a point of failure at each step" \
		"$((points >= 8))" 1
	ktap_check "$what: the load past its last point is up" test -r /proc/gomem
	pattern_load insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
		sizes=8,64,4096,65536 count=100 &&
		rmmod gomem_pattern
	ktap_expect_eq "$what: it serves" $? 0
	rmmod gomem
	ktap_check "$what: it unloads with every page given back, and nothing left" \
		unloaded_clean
done
ktap_expect_eq "no splat in the kernel log" "$splats$(gomem_splats)" ""
ktap_finished
