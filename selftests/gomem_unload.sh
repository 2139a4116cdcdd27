#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unloading gomem with objects still allocated reports them per class,
# with count and bytes, and gives every page back anyway.
. "$(dirname "$0")/ktap_helpers.sh"

# Tiny, three small classes, large and huge: about 24 MiB in all.
SMALL="64 1000 4096"
N=20

mem_free_kb() {
	echo 3 >/proc/sys/vm/drop_caches
	awk '$1 == "MemFree:" { print $2 }' /proc/meminfo
}

ktap_plan 10
dmesg -c >/dev/null
before=$(mem_free_kb)
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
ktap_check "insmod gomem_pattern.ko leak=1" insmod \
	"$GOMEM_DIR/selftests/gomem_pattern.ko" \
	sizes="7,$(echo $SMALL | tr ' ' ,),100000,1048576" count=$N leak=1
held=$(mem_free_kb)
# The report lines to expect, while /proc/gomem can still name the classes.
want=""
for s in $SMALL; do
	c=$(gomem_class_of "$s")
	want="$want|class $c ($(gomem_class_col "$c" size) bytes): $N objects, $((N * s)) bytes requested"
done
ktap_check "rmmod gomem_pattern" rmmod gomem_pattern
ktap_check "rmmod gomem" rmmod gomem

report=$(dmesg | grep 'gomem: unload:')
echo "$report" | sed 's/^/# /'
found=0
IFS='|'
for line in ${want#|}; do
	echo "$report" | grep -qF "$line" && found=$((found + 1))
done
unset IFS
ktap_expect_eq "each small class reported with count and bytes" $found 3
ktap_expect_eq "tiny objects reported" \
	"$(echo "$report" | grep -c "tiny: $N objects, $((N * 7)) bytes requested")" 1
ktap_expect_eq "large objects reported" \
	"$(echo "$report" | grep -c "large: $((2 * N)) objects, $((N * (100000 + 1048576))) bytes requested")" 1
after=$(mem_free_kb)
echo "# MemFree: $before kB before, $held kB while held, $after kB after"
ktap_check "the leak was real" test $((before - held)) -gt 20000
# Every page is back, give or take what the kernel moved meanwhile.
ktap_check "every page came back" test $((before - after)) -lt 2048
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
