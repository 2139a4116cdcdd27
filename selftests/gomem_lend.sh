#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A cold class borrows objects of its kmalloc bucket, as /proc/gomem
# shows: ten 100-byte objects, asked for while their class (104 bytes)
# holds no span, are ten objects of the 128-byte class, in its row, and
# gomem holds one page for them; with 0 written to the lend parameter,
# the same objects have their own class again; and all goes back to the
# baseline.
. "$(dirname "$0")/ktap_helpers.sh"

N=10
LEND=/sys/module/gomem/parameters/lend
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

snap() {
	echo 2 >/proc/sys/vm/drop_caches
	cat /proc/gomem >"$TMP/$1"
}

col_delta() {	# col_delta CLASS COLUMN FROM TO
	echo $(($(gomem_class_col "$1" "$2" "$TMP/$4") - $(gomem_class_col "$1" "$2" "$TMP/$3")))
}

pattern() {
	pattern_load insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" sizes=100 count=$N
}

ktap_plan 10
dmesg -c >/dev/null
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
ktap_expect_eq "lend is on by default" "$(cat $LEND)" Y
snap base
own=$(gomem_class_of 100 "$TMP/base")
lender=$(gomem_class_of 128 "$TMP/base")
ktap_check "$N objects of 100 bytes, lend=Y" pattern
snap lent
ktap_expect_eq "in the 128-byte row" \
	"$(col_delta "$lender" objs_inuse base lent) $(col_delta "$lender" bytes_requested base lent)" \
	"$N $((N * 100))"
ktap_expect_eq "none in their own class's row" "$(col_delta "$own" spans base lent)" 0
rmmod gomem_pattern
echo 0 >$LEND
ktap_check "$N objects of 100 bytes, lend=N" pattern
snap owned
ktap_expect_eq "in their own row" \
	"$(col_delta "$own" objs_inuse base owned) $(col_delta "$lender" objs_inuse base owned)" \
	"$N 0"
rmmod gomem_pattern
snap freed
ktap_expect_eq "both rows back to their baseline" \
	"$(col_delta "$own" objs_inuse base freed) $(col_delta "$lender" objs_inuse base freed)" \
	"0 0"
ktap_check "rmmod gomem" rmmod gomem
ktap_expect_eq "no splat and no report in the kernel log" "$(gomem_splats; gomem_reports)" ""
ktap_finished
