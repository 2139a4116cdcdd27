#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Bad input, as a client module makes it: every case of the README's
# table, one per load of gomem_bad.ko.  Each is reported exactly once, on
# one line that begins "gomem: bad ", names the function that made the
# call and the reason, and is no kernel WARNING; a refused free or
# realloc is counted in bad_frees, nothing else is; and gomem still
# works afterwards.  Run with vm-run --expect-reports.
. "$(dirname "$0")/ktap_helpers.sh"

# case, bad_frees it adds, and words of the reason ("not": a large
# object's pages may have gone back to the page allocator, and then gomem
# says "not gomem's memory" rather than "not live").
CASES="
free_kmalloc 1 not gomem's memory
free_stack 1 not gomem's memory
free_vmalloc 1 not gomem's memory
free_text 1 not gomem's memory
interior_tiny 1 inside an object
interior_small 1 inside an object
interior_large 1 inside an object
interior_huge 1 inside an object
double_tiny 1 not live
double_small 1 not live
double_large 1 not
double_huge 1 not
realloc_freed 1 not live
size_freed 0 not live
size_max 0 more than the page allocator can give
size_limit 0 more than the page allocator can give
bulk_overflow 0 more objects than an int can count
bulk_zero 0 no objects
bulk_no_array 1 no array
bulk_hole 1 a NULL among the objects"

ktap_plan 22
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
while read -r name frees reason; do
	[ -n "$name" ] || continue
	dmesg -c >/dev/null
	bad=$(gomem_key bad_frees)
	insmod "$GOMEM_DIR/selftests/gomem_bad.ko" what="$name"
	rc=$?
	rmmod gomem_bad 2>/dev/null
	lines=$(dmesg | grep -c 'gomem: bad ')
	line=$(dmesg | grep -m1 'gomem: bad ')
	echo "# $line"
	ok=1
	[ $rc = 0 ] || { echo "# $name: the module failed ($rc)"; ok=0; }
	[ "$lines" = 1 ] || { echo "# $name: $lines reports, not 1"; ok=0; }
	case $line in
	*"from bad_$name+"*) ;;
	*) echo "# $name: the report does not name bad_$name"; ok=0 ;;
	esac
	case $line in
	*"$reason"*) ;;
	*) echo "# $name: the report does not say \"$reason\""; ok=0 ;;
	esac
	[ -z "$(gomem_splats)" ] || { echo "# $name: a splat"; ok=0; }
	got=$(($(gomem_key bad_frees) - bad))
	[ "$got" = "$frees" ] || { echo "# $name: bad_frees moved by $got, not $frees"; ok=0; }
	if [ $ok = 1 ]; then
		ktap_result ok "$name"
	else
		ktap_result "not ok" "$name"
	fi
done <<END
$CASES
END
ktap_check "rmmod gomem" rmmod gomem
ktap_finished
