#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# scripts/gomemtop: one screen of the totals and the busiest classes,
# sorted by the column asked for, no taller than the terminal, and a
# clear error for a bad option or a missing /proc/gomem.
. "$(dirname "$0")/ktap_helpers.sh"

TOP=$GOMEM_DIR/gomemtop
[ -x "$TOP" ] || TOP=$GOMEM_DIR/scripts/gomemtop
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

# Rows of the table (after the CLASS header), field N non-increasing.
sorted_by() {
	awk -v f="$1" '
		$1 == "CLASS" { t = 1; next }
		t { if (n++ && $f > last) bad = 1; last = $f }
		END { exit bad || n < 5 }' "$OUT"
}

ktap_plan 10
dmesg -c >/dev/null
insmod "$GOMEM_DIR/gomem.ko"
pattern_load insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
	sizes=20,200,600,1500,3000,9000,20000 count=30

LINES=40 "$TOP" -n 1 -s allocs >"$OUT"
ktap_expect_eq "one screen, exit 0" "$?" 0
ktap_check "it starts with the totals" grep -q '^gomem: pages [0-9]* total' "$OUT"
ktap_check "the live line shows what is requested" \
	grep -q '^live: .* requested, .* allocated' "$OUT"
ktap_check "sorted by allocs" sorted_by 7
LINES=40 "$TOP" -n 1 -s objs_inuse >"$OUT"
ktap_check "sorted by objs_inuse" sorted_by 4
LINES=14 "$TOP" -n 1 >"$OUT"
ktap_check "no taller than the terminal" test "$(wc -l <"$OUT")" -le 14
ktap_expect_eq "two screens with -n 2" \
	"$(LINES=20 "$TOP" -n 2 -d 1 | grep -c '^gomem:')" 2
"$TOP" -n 1 -s nosuch >/dev/null 2>&1
ktap_expect_eq "an unknown column is refused" "$?" 2
"$TOP" -n 1 -d 0 >/dev/null 2>&1
ktap_expect_eq "a zero interval is refused" "$?" 2
rmmod gomem_pattern
rmmod gomem
"$TOP" -n 1 >/dev/null 2>&1
ktap_expect_eq "no /proc/gomem: a clear error" "$?" 1
ktap_finished
