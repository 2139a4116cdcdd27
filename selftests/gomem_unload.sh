#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unloading gomem with objects still allocated reports them per class,
# with count and bytes, and gives every page back anyway.  "Every page"
# is proved from gomem's own accounting, the pages it took from the page
# allocator against the pages it gave back, which it prints at unload:
# MemFree moves for reasons of the kernel's own (KASAN frees its vmalloc
# shadow lazily), so it cannot prove it.
#
# Then rmmod races with writes of reserve_kib: a module's parameters stay
# in sysfs until after its exit function has returned, and each such write
# trimmed a gomem that was being torn down.  With objects freed just
# before, the classes keep empty spans, which the write gave back while
# the unload freed them too (list corruption in the mheap's runs, a page
# freed twice), in the first round of each run.
. "$(dirname "$0")/ktap_helpers.sh"

# Tiny, three small classes, and two large sizes: about 24 MiB in all.
SMALL="64 1000 4096"
N=20

ktap_plan 11
dmesg -c >/dev/null
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
ktap_check "insmod gomem_pattern.ko leak=1" pattern_load insmod \
	"$GOMEM_DIR/selftests/gomem_pattern.ko" \
	sizes="4,$(echo $SMALL | tr ' ' ,),100000,1048576" count=$N leak=1
held=$(gomem_key pages_inuse)
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
	"$(echo "$report" | grep -c "tiny: $N objects, $((N * 4)) bytes requested")" 1
ktap_expect_eq "large objects reported" \
	"$(echo "$report" | grep -c "large: $((2 * N)) objects, $((N * (100000 + 1048576))) bytes requested")" 1
# 20 MiB of large objects alone is 5,120 pages.
ktap_check "the leak was real: gomem held its pages at unload" test "$held" -gt 5120
pages=$(gomem_unload_pages "$report")
echo "# pages taken and given back: $pages"
set -- $pages
ktap_check "every page taken was given back" test -n "${1:-}" -a "${1:-0}" = "${2:-}" -a "${1:-0}" -ge "$held"

rounds=10
r=0
unloaded=0
while [ $r -lt $rounds ]; do
	r=$((r + 1))
	insmod "$GOMEM_DIR/gomem.ko" &&
		pattern_load insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
			sizes=64,4096,100000 count=300 &&
		rmmod gomem_pattern || break
	(while :; do echo 0 >/sys/module/gomem/parameters/reserve_kib; done) \
		2>/dev/null &
	writer=$!
	rmmod gomem && unloaded=$((unloaded + 1))
	kill $writer
	wait $writer
done
ktap_expect_eq "$rounds unloads, each racing with writes of reserve_kib" \
	$unloaded $rounds
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
