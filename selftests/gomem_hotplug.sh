#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Memory hot-added after gomem was loaded is memory gomem can use: QEMU
# adds a DIMM to a node (vm-run --hotplug-mem 512M@NODE) once gomem is
# in, and a task on a CPU of that node then asks for more than the node
# had before, so that some of gomem's pages must come from the new
# memory.  Every allocation succeeds, the objects keep their patterns,
# and every page goes back.  If the node had CPUs but no memory before
# (vm-run --memoryless, node 1), its CPUs took the nearest node's memory
# until now; gomem looks again when memory comes online, so their small
# objects now come from the node, which is the new memory.  If vm-run
# onlined the DIMM movable (--hotplug-movable), gomem may not use it:
# its pages cannot move, so none of them lands there, and the node's
# CPUs keep the nearest node's memory.  Skipped unless vm-run offered the
# DIMM to a node with CPUs.
. "$(dirname "$0")/ktap_helpers.sh"

MEM=/sys/devices/system/memory
ktap_plan 8
# /gomem/hotplug: the DIMM's size in MiB, its zone (normal or movable)
# and its node.
zone=$(awk '{ print $2 }' "$GOMEM_DIR/hotplug" 2>/dev/null)
node=$(awk '{ print $3 }' "$GOMEM_DIR/hotplug" 2>/dev/null)
NODE=/sys/devices/system/node/node$node
# The node's first CPU, as a taskset mask.
cpu=$(sed 's/[-,].*//' "$NODE/cpulist" 2>/dev/null)
if [ -z "$node" ] || [ -z "$cpu" ]; then
	for t in insmod added allocated reached home rmmod pages splats; do
		ktap_skip "$t" "needs vm-run --hotplug-mem SIZE@NODE, on a node with CPUs"
	done
	ktap_finished
fi
mask=$(printf '%x' $((1 << cpu)))
dmesg -c >/dev/null
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
blocks() { ls -d $MEM/memory[0-9]* | wc -l; }
before=$(blocks)
free1=$(awk '/MemFree/ { print $4 }' "$NODE/meminfo")
echo "vm-run: hotplug memory"
i=0
while [ "$(blocks)" -le "$before" ] && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
sleep 2
bs=$(printf '%d' "0x$(cat $MEM/block_size_bytes)")
low=
for b in $MEM/memory[0-9]*; do
	[ "$(cat "$b/state")" = online ] ||
		if [ "$zone" = movable ]; then echo online_movable; else echo online_kernel; fi >"$b/state"
done
# The new blocks are the highest: the lowest of them starts the new memory.
n=$(blocks)
low=$(for b in $MEM/memory[0-9]*; do printf '%d\n' "0x$(cat "$b/phys_index")"; done |
	sort -n | tail -n $((n - before)) | head -n 1)
echo "# $((n - before)) blocks of $((bs >> 20)) MiB added; node $node had $((free1 >> 10)) MiB free before"
ktap_check "the DIMM was added and onlined" test "$n" -gt "$before"
start_pfn=$((low * bs / 4096))
# More 1 MiB objects than the node had room for before, on its CPU.
count=$((free1 / 1024 + 64))
pattern_load taskset "$mask" insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
	sizes=1048576 count=$count where=1
ktap_expect_eq "$count MiB allocated on node $node" $? 0
reach() { dmesg | sed -n 's/.*gomem_pattern: objects reach pfn \([0-9]*\).*/\1/p' | tail -n 1; }
top=$(reach)
echo "# objects reach pfn $top; the new $zone memory starts at pfn $start_pfn"
if [ "$zone" = movable ]; then
	ktap_check "none of them in the new movable memory" test "${top:-0}" -lt "$start_pfn"
else
	ktap_check "some of them in the new memory" test "${top:-0}" -ge "$start_pfn"
fi
rmmod gomem_pattern
if [ "$free1" = 0 ]; then
	pattern_load taskset "$mask" insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
		sizes=64 count=4096 where=1
	top=$(reach)
	echo "# 64-byte objects of node $node's CPU $cpu reach pfn $top"
	if [ "$zone" = movable ]; then
		ktap_check "the node's CPU keeps the nearest node's memory for small objects" \
			test "${top:-0}" -lt "$start_pfn"
	else
		ktap_check "the node's CPU takes its new memory for small objects" \
			test "${top:-0}" -ge "$start_pfn"
	fi
	rmmod gomem_pattern
else
	ktap_skip "the node's CPU takes its new memory for small objects" \
		"node $node had memory before (vm-run --memoryless leaves node 1 none)"
fi
ktap_check "rmmod gomem" rmmod gomem
ktap_check "every page given back" gomem_pages_back
ktap_expect_eq "no splat and no report in the kernel log" "$(gomem_splats; gomem_reports)" ""
ktap_finished
