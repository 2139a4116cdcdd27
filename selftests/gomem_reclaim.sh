#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gomem gives memory back when the kernel runs short.  Loaded with a
# reserve big enough to keep every page it frees, gomem serves and frees
# 24 MiB of objects (gomem_pattern.ko), so its pools hold thousands of
# free pages and its per-CPU caches hold objects.  Then gomem_hog.ko fills
# the guest's memory until the page allocator refuses a page, which it
# does only after reclaim has run.  gomem's shrinker must have been called,
# pages_free must have fallen and pages_released risen, and the pages the
# shrinker says it gave back (shrink_freed) must be exactly the pages
# gomem gave back meanwhile, since nothing else frees in this guest.
# Last, lowering the reserve through sysfs gives the pool back at once.
. "$(dirname "$0")/ktap_helpers.sh"

PARAM=/sys/module/gomem/parameters/reserve_kib

# Serve and free 24 MiB: 4096 objects of 2 KiB and 4096 of 4 KiB.
churn() {
	pattern_load insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
		sizes=2048,4096 count=4096 &&
		rmmod gomem_pattern
}

ktap_plan 11
dmesg -c >/dev/null
ktap_check "insmod gomem.ko reserve_kib=131072" \
	insmod "$GOMEM_DIR/gomem.ko" reserve_kib=131072
ktap_check "24 MiB served and freed" churn
free0=$(gomem_key pages_free)
total0=$(gomem_key pages_total)
released0=$(gomem_key pages_released)
calls0=$(gomem_key shrink_calls)
shrunk0=$(gomem_key shrink_freed)
echo "# before: pages_total $total0, pages_free $free0, pages_released $released0," \
	"shrink_calls $calls0"
# The classes keep some of the freed spans, empty, up to the mheap's
# surplus (1/128 of memory); the rest of the pages are in the pools.
ktap_expect_eq "gomem holds the freed pages, thousands in its pools" \
	"$((total0 >= 4096 && free0 >= 1024))" 1

# The hog always fails its load, on purpose: it holds nothing after.
insmod "$GOMEM_DIR/selftests/gomem_hog.ko" 2>/dev/null
dmesg | grep 'gomem_hog: held' | sed 's/^/# /'
free1=$(gomem_key pages_free)
released1=$(gomem_key pages_released)
calls1=$(gomem_key shrink_calls)
shrunk1=$(gomem_key shrink_freed)
echo "# after: pages_free $free1, pages_released $released1, shrink_calls $calls1," \
	"shrink_freed $((shrunk1 - shrunk0))"
ktap_expect_eq "reclaim called gomem's shrinker" "$((calls1 > calls0))" 1
ktap_expect_eq "pages_free fell" "$((free1 < free0))" 1
ktap_expect_eq "pages_released rose" "$((released1 > released0))" 1
ktap_expect_eq "shrink_freed counts what went back" \
	"$((shrunk1 - shrunk0))" "$((released1 - released0))"

ktap_check "the pools fill again" churn
# kswapd may still call the shrinker after the hog.  A call never runs
# beside the trim (trim_lock), but one that runs right after it and
# drains the per-CPU caches can leave pages in the pools, for the
# scavenger (once, under a busy host: 964 pages).  So the trim is tried
# again only if the shrinker ran meanwhile.
for try in 1 2 3; do
	calls=$(gomem_key shrink_calls)
	echo 0 >$PARAM
	free=$(gomem_key pages_free)
	[ "$free" = 0 ] || [ "$(gomem_key shrink_calls)" = "$calls" ] && break
	echo "# try $try: $free pages left, the shrinker ran meanwhile"
done
ktap_expect_eq "lowering the reserve to 0 gives the pools back at once" "$free" 0
ktap_check "rmmod gomem" rmmod gomem
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
