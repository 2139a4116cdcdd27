#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# callers=1: /proc/gomem_callers has a line per call site with its live
# bytes and objects, exact with nothing else allocating: gomem_sites.ko's
# tiny, small, large, bulk and realloc'd objects, each from a function of
# its own, are there to the byte while it is loaded and gone after; a
# realloc that stays records its new size, even after gomem_size().
# Without callers=1 the file does not exist.
. "$(dirname "$0")/ktap_helpers.sh"

F=/proc/gomem_callers
TOP=$GOMEM_DIR/gomemtop
[ -x "$TOP" ] || TOP=$GOMEM_DIR/scripts/gomemtop

# The function of gomemtop -c's first call site, sorted by $1.
top_site() {
	LINES=40 "$TOP" -c -n 1 -s "$1" | awk '$1 == "BYTES" { t = 1; next }
		t { sub(/\+.*/, "", $3); print $3; exit }'
}

# "bytes objects" of function FN's call sites, summed: the compiler may
# unroll a loop into several.
site() {
	awk -v fn="$1" '$3 ~ "^" fn "\\+" { b += $1; o += $2; n++ }
		END { if (n) print b, o }' "$F"
}

ktap_plan 15
dmesg -c >/dev/null
ktap_check "insmod gomem.ko callers=1" insmod "$GOMEM_DIR/gomem.ko" callers=1
ktap_expect_eq "/proc/gomem_callers starts with its version" \
	"$(head -n 1 "$F" 2>&1)" "gomem_callers version 1"
ktap_check "insmod gomem_sites.ko" insmod "$GOMEM_DIR/selftests/gomem_sites.ko"
sed 's/^/# /' "$F"
ktap_expect_eq "tiny objects: 10 of 3 bytes" "$(site sites_tiny)" "30 10"
ktap_expect_eq "small objects: 7 of 300 bytes, one gomem_size()'d and realloc'ed" \
	"$(site sites_small)" "2100 7"
ktap_expect_eq "large objects: 2 of 100000 bytes" "$(site sites_large)" "200000 2"
ktap_expect_eq "a bulk call: 4 of 64 bytes" "$(site sites_bulk)" "256 4"
ktap_expect_eq "a realloc: its caller, 4000 bytes" "$(site sites_realloc)" "4000 1"
ktap_expect_eq "the realloc'd object's first call site has nothing" \
	"$(site sites_small_first)" ""
ktap_expect_eq "gomemtop -c: most bytes first" "$(top_site bytes)" sites_large
ktap_expect_eq "gomemtop -c -s objects: most objects first" \
	"$(top_site objects)" sites_tiny
ktap_check "rmmod gomem_sites" rmmod gomem_sites
ktap_expect_eq "unloaded, none of its call sites is left" \
	"$(grep -c '\[gomem_sites\]' "$F")" 0
rmmod gomem
insmod "$GOMEM_DIR/gomem.ko"
ktap_expect_eq "without callers=1, no /proc/gomem_callers" \
	"$(test -e "$F" && echo there)" ""
rmmod gomem
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
