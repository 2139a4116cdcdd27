#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /proc/gomem moves by exactly what a known allocation pattern implies,
# agrees with itself, returns to its baseline when the pattern is freed
# and the caches are dropped, and reads the same through any buffer.
. "$(dirname "$0")/ktap_helpers.sh"

# Two tiny sizes (1 to 4 bytes), four small ones in four classes (12
# bytes in the 16-byte one), and two large ones.
TINY_MAX=4
SIZES="3 4 12 100 1000 4000 40000 300000"
N=10
BAD=2
FAIL=3
PAGE=4096
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Drop the per-CPU caches (gomem's shrinker), then read the file.
snap() {
	echo 2 >/proc/sys/vm/drop_caches
	cat /proc/gomem >"$TMP/$1"
}

delta() {	# delta KEY FROM TO
	echo $(($(gomem_key "$1" "$TMP/$3") - $(gomem_key "$1" "$TMP/$2")))
}

col_delta() {	# col_delta CLASS COLUMN FROM TO
	echo $(($(gomem_class_col "$1" "$2" "$TMP/$4") - $(gomem_class_col "$1" "$2" "$TMP/$3")))
}

# The tiny blocks N objects of each tiny size take on one CPU, by Go's
# rule: at the offset rounded up to 4 or 2 (whichever divides the size)
# if it fits, else in a fresh block, which becomes current (it always
# has more room left than the old one, as Go asks).
tiny_blocks_for() {	# SIZES N
	echo "$1" | awk -v n="$2" -v max=$TINY_MAX '{
		for (i = 1; i <= NF; i++) {
			s = $i
			if (s > max)
				continue
			a = s % 4 == 0 ? 4 : s % 2 == 0 ? 2 : 1
			for (j = 0; j < n; j++) {
				o = int((off + a - 1) / a) * a
				if (blocks && o + s <= 16) {
					off = o + s
					continue
				}
				blocks++
				off = s
			}
		}
	} END { print blocks + 0 }'
}

# What the pattern implies.
nsizes=0 sum=0 tiny=0 tiny_sum=0 large=0 large_bytes=0
for s in $SIZES; do
	nsizes=$((nsizes + 1))
	sum=$((sum + s))
	if [ "$s" -le $TINY_MAX ]; then
		tiny=$((tiny + 1))
		tiny_sum=$((tiny_sum + s))
	elif [ "$s" -gt 32768 ]; then
		large=$((large + 1))
		large_bytes=$((large_bytes + (s + PAGE - 1) / PAGE * PAGE))
	fi
done

# Every class row: spans * objs_per_span = inuse + cached + free, and
# pages = spans * span_pages (every span here has its class's preferred
# size).  And bytes_allocated = the class rows' live bytes + large_bytes;
# pages_inuse = the class rows' pages + the large objects' pages + the
# kept large spans' pages;
# tiny_blocks = the tiny row's objs_inuse.
consistent() {
	awk -v page=$PAGE '
		$1 == "class" { for (i = 1; i <= NF; i++) c[$i] = i; t = 1; next }
		!t { k[$1] = $2; next }
		{
			if ($c["spans"] * $c["objs_per_span"] != $c["objs_inuse"] + $c["objs_cached"] + $c["objs_free"] ||
			    $c["spans"] * $c["span_pages"] != $c["pages"]) {
				print "# class " $1 " does not add up"; bad = 1
			}
			live += $c["objs_inuse"] * $c["size"]
			pages += $c["pages"]
			if ($1 == "tiny")
				blocks = $c["objs_inuse"]
		}
		END {
			if (live + k["large_bytes"] != k["bytes_allocated"]) {
				print "# bytes_allocated " k["bytes_allocated"] " != " live + k["large_bytes"]; bad = 1
			}
			if (k["pages_total"] != k["pages_inuse"] + k["pages_free"]) {
				print "# pages do not add up"; bad = 1
			}
			large = (k["large_bytes"] + k["large_kept_bytes"]) / page
			if (pages + large != k["pages_inuse"]) {
				print "# pages_inuse " k["pages_inuse"] " != " pages + large; bad = 1
			}
			if (blocks != k["tiny_blocks"]) {
				print "# tiny_blocks " k["tiny_blocks"] " != " blocks; bad = 1
			}
			exit bad
		}' "$1"
}

# Column COLUMN is the same in every class row of FROM and TO.
same_column() {	# FROM TO COLUMN
	awk -v col="$3" '
		$1 == "class" { for (i = 1; i <= NF; i++) c[$i] = i; t = 1; next }
		!t { next }
		FNR == NR { v[$1] = $c[col]; next }
		$c[col] != v[$1] { print "# class " $1 ": " col " " v[$1] " -> " $c[col]; bad = 1 }
		END { exit bad }' "$TMP/$1" "$TMP/$2"
}

# Per-class deltas for the small sizes; prints mismatches, fails on any.
class_deltas() {	# FROM TO COLUMN PER_OBJECT(count|bytes) N
	rc=0
	for s in $SIZES; do
		[ "$s" -gt $TINY_MAX ] && [ "$s" -le 32768 ] || continue
		cls=$(gomem_class_of "$s" "$TMP/$2")
		want=$5
		[ "$4" = bytes ] && want=$(($5 * s))
		got=$(col_delta "$cls" "$3" "$1" "$2")
		if [ "$got" != "$want" ]; then
			echo "# class $cls ($s bytes): $3 moved by $got, not $want"
			rc=1
		fi
	done
	return $rc
}

ktap_plan 36
dmesg -c >/dev/null
# lend=0: the model is of each request in its own class (gomem_lend.sh
# tests the borrowing of cold classes).
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko" lend=0
snap base
# On one CPU, so that tiny objects share blocks as the model says.
ktap_check "insmod gomem_pattern.ko" pattern_load taskset 1 insmod \
	"$GOMEM_DIR/selftests/gomem_pattern.ko" \
	sizes="$(echo "$SIZES" | tr ' ' ,)" count=$N bad=$BAD fail=$FAIL
cat /proc/gomem >"$TMP/loaded"
snap held

tiny_blocks=$(tiny_blocks_for "$SIZES" $N)
small_bytes=0
for s in $SIZES; do
	[ "$s" -gt $TINY_MAX ] && [ "$s" -le 32768 ] || continue
	small_bytes=$((small_bytes + $(gomem_class_col "$(gomem_class_of "$s" "$TMP/held")" size "$TMP/held")))
done

# One extra allocation and free: the object the pattern frees twice.
ktap_expect_eq "alloc_calls" "$(delta alloc_calls base held)" $((N * nsizes + FAIL + 1))
ktap_expect_eq "free_calls" "$(delta free_calls base held)" $((1 + BAD))
ktap_expect_eq "alloc_failures" "$(delta alloc_failures base held)" $FAIL
ktap_expect_eq "bad_frees" "$(delta bad_frees base held)" $BAD
ktap_expect_eq "bytes_requested" "$(delta bytes_requested base held)" $((N * sum))
ktap_expect_eq "tiny_objects" "$(delta tiny_objects base held)" $((N * tiny))
ktap_expect_eq "large_objects" "$(delta large_objects base held)" $((N * large))
ktap_expect_eq "large_bytes" "$(delta large_bytes base held)" $((N * large_bytes))
ktap_expect_eq "tiny_blocks" "$(delta tiny_blocks base held)" "$tiny_blocks"
ktap_expect_eq "bytes_allocated" "$(delta bytes_allocated base held)" \
	$((N * (small_bytes + large_bytes) + 16 * tiny_blocks))
ktap_expect_eq "tiny row: bytes_requested" \
	"$(col_delta tiny bytes_requested base held)" $((N * tiny_sum))
ktap_check "objs_inuse per class" class_deltas base held objs_inuse count $N
ktap_check "allocs per class" class_deltas base held allocs count $N
ktap_check "bytes_requested per class" class_deltas base held bytes_requested bytes $N
ktap_check "consistent while held, caches full" consistent "$TMP/loaded"
ktap_check "consistent while held, caches dropped" consistent "$TMP/held"
ktap_expect_eq "dropped caches hold nothing" \
	"$(awk '$1 == "class" { for (i = 1; i <= NF; i++) c[$i] = i; t = 1; next }
		t { n += $c["objs_cached"] } END { print n + 0 }' "$TMP/held")" 0

ktap_check "rmmod gomem_pattern" rmmod gomem_pattern
snap freed
rc=0
for k in bytes_requested bytes_allocated tiny_objects tiny_blocks large_objects \
	large_bytes pages_inuse; do
	[ "$(delta $k base freed)" = 0 ] || { echo "# $k: $(delta $k base freed)"; rc=1; }
done
ktap_expect_eq "live counters back to their baseline" $rc 0
ktap_check "objs_inuse per class back to its baseline" class_deltas base freed objs_inuse count 0
ktap_check "spans per class back to their baseline" same_column base freed spans
ktap_expect_eq "pages_released: all that pages_total lost" \
	"$(delta pages_released held freed)" "$(delta pages_total freed held)"
ktap_check "frees per class" class_deltas base freed frees count $N
ktap_expect_eq "free_calls after the frees" "$(delta free_calls base freed)" \
	$((N * nsizes + 1 + BAD))
ktap_check "consistent after the frees" consistent "$TMP/freed"

# Odd reads: the same text through any buffer, and after a seek.
cat /proc/gomem >"$TMP/whole"
tail -c +101 "$TMP/whole" >"$TMP/whole.100"
ktap_check "read one byte at a time" sh -c \
	"dd if=/proc/gomem bs=1 2>/dev/null | cmp -s - '$TMP/whole'"
ktap_check "read seven bytes at a time" sh -c \
	"dd if=/proc/gomem bs=7 2>/dev/null | cmp -s - '$TMP/whole'"
ktap_check "read after a seek" sh -c \
	"dd if=/proc/gomem bs=1 skip=100 2>/dev/null | cmp -s - '$TMP/whole.100'"

# The per-CPU view against the class table: cached objects, and the
# mcache's pops and pushes (class rows' allocs and frees).
class_sum() {
	awk -v col="$1" '$1 == "class" { for (i = 1; i <= NF; i++) c[$i] = i; t = 1; next }
		t { n += $c[col] } END { print n + 0 }' "$TMP/whole"
}
cat /proc/gomem >"$TMP/whole"
for col in "objs_cached 3" "allocs 4" "frees 5"; do
	set -- $col
	ktap_expect_eq "gomem_cpu: $1 add up to the class table's" \
		"$(gomem_cpu_col sum "$2")" "$(class_sum "$1")"
done

ktap_check "rmmod gomem" rmmod gomem
ktap_check "/proc/gomem is gone" test ! -e /proc/gomem
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
