# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# KTAP output for gomem's selftests, in the style of the kernel's
# tools/testing/selftests/kselftest/ktap_helpers.sh, for busybox sh.
#
#   ktap_plan N            print the header and the plan
#   ktap_check NAME CMD... run CMD; ok if it exits 0, else not ok
#   ktap_expect_eq NAME GOT WANT
#   ktap_skip NAME REASON
#   ktap_finished          exit 0 if every test passed, else 1
#   pattern_load CMD...    load gomem_pattern.ko by CMD, its init run once
#   gomem_pages_back       did gomem's last unload give back every page?
#
# The scripts run as root in a guest; GOMEM_DIR is where gomem's modules
# are (default: the parent of this directory), and it may be set to run
# them elsewhere.

GOMEM_DIR=${GOMEM_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
ktap_n=0
ktap_failed=0

ktap_plan() {
	echo "KTAP version 1"
	echo "1..$1"
}

ktap_result() {	# ok|not ok, name, [directive]
	ktap_n=$((ktap_n + 1))
	echo "$1 $ktap_n $2${3:+ # $3}"
	[ "$1" = ok ] || ktap_failed=$((ktap_failed + 1))
}

ktap_check() {
	name=$1
	shift
	if "$@"; then
		ktap_result ok "$name"
	else
		ktap_result "not ok" "$name"
	fi
}

ktap_expect_eq() {
	if [ "$2" = "$3" ]; then
		ktap_result ok "$1"
	else
		echo "# $1: got '$2', expected '$3'"
		ktap_result "not ok" "$1"
	fi
}

ktap_skip() {
	ktap_result ok "$1" "SKIP $2"
}

ktap_finished() {
	[ "$ktap_failed" -eq 0 ]
	exit $?
}

# Arm the kernel's fail_page_alloc (debugfs, at $FPA): fail PERCENT% of
# the page-allocator requests of order MIN_ORDER or more made by tasks
# marked make-it-fail, whatever their flags, with no limit and quietly.
fpa_arm() {	# MIN_ORDER PERCENT
	echo Y >"$FPA/task-filter"
	echo "$1" >"$FPA/min-order"
	echo N >"$FPA/ignore-gfp-wait"
	echo N >"$FPA/ignore-gfp-highmem"
	echo 0 >"$FPA/verbose"
	echo 0 >"$FPA/space"
	echo -1 >"$FPA/times"
	echo 1 >"$FPA/interval"
	echo "$2" >"$FPA/probability"
}

# Run CMD, a load of gomem_pattern.ko: ok if it loaded and its init ran
# once.  busybox's insmod runs a failed init a second time (init_module()
# after finit_module()), and the second run's success would hide the
# first one's failure; each run logs one "gomem_pattern: load" line.
pattern_load() {	# CMD...
	pl_runs=$(dmesg | grep -c 'gomem_pattern: load')
	"$@" || return
	pl_runs=$(($(dmesg | grep -c 'gomem_pattern: load') - pl_runs))
	[ "$pl_runs" -eq 1 ] && return
	echo "# gomem_pattern.ko's init ran $pl_runs times: a failed run hid"
	return 1
}

# The value of a "key value" line of /proc/gomem, or of FILE.
gomem_key() {
	awk -v k="$1" '$1 == k { print $2; exit }' "${2:-/proc/gomem}"
}

# The sum, or the most, of column COL over the CPUs of /proc/gomem_cpu.
gomem_cpu_col() {	# sum|max COL
	awk -v op="$1" -v c="$2" 'NR > 2 { n += $c; if ($c > m) m = $c }
		END { print (op == "max" ? m : n) + 0 }' /proc/gomem_cpu
}

# Column COL of the class table row whose first field is CLASS.
gomem_class_col() {
	awk -v c="$1" -v col="$2" '
		$1 == "class" { for (i = 1; i <= NF; i++) idx[$i] = i; table = 1; next }
		table && $1 == c { print $idx[col]; exit }' "${3:-/proc/gomem}"
}

# The class a request of SIZE bytes (6 to 32768) lands in.
gomem_class_of() {
	awk -v s="$1" '
		$1 == "class" { table = 1; next }
		table && $1 ~ /^[0-9]+$/ && $2 >= s { print $1; exit }' "${2:-/proc/gomem}"
}

# "TAKEN GIVEN": the pages gomem's last unload says it took from the
# page allocator and gave back, from the kernel log, or from TEXT.
# shellcheck disable=SC2120 # gomem_unload.sh passes TEXT
gomem_unload_pages() {	# [TEXT]
	{ if [ $# -gt 0 ]; then echo "$1"; else dmesg; fi; } |
		sed -n 's/.*unload: \([0-9]*\) pages taken from the page allocator, \([0-9]*\) given back.*/\1 \2/p' |
		tail -n 1
}

# Did gomem's last unload give back every page it took?
gomem_pages_back() {
	gomem_unload_pages | {
		read -r taken given
		[ -n "$taken" ] && [ "$taken" = "$given" ]
	}
}

# Lines of the kernel log that are splats, since the log was last cleared:
# splats.awk's, which vm-run uses too.  gomem's reports are counted apart.
gomem_splats() {
	dmesg | awk -v reports=1 -f "$GOMEM_DIR/selftests/splats.awk"
}

# gomem's reports of bad input, since the log was last cleared.
gomem_reports() {
	dmesg | grep 'gomem: bad '
}
