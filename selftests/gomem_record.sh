#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# scripts/trace record, as a user runs it while a workload runs: it
# loads no module, and writes a well-formed replay (every line "a ID SIZE
# ATOMIC" or "f ID", IDs 1, 2, 3... in allocation order, each freed at
# most once and only after its allocation) that holds the workload:
# hundreds of allocations, most of them freed.  The replay is left in
# /tmp/gomem_record.replay, for make check to replay.
. "$(dirname "$0")/ktap_helpers.sh"

out=/tmp/gomem_record.replay

# Files, processes and pipes: what a busy shell asks of kmalloc.
workload() {
	i=0
	while [ $i -lt 150 ]; do
		mkdir -p /tmp/gomem_work/$i
		head -c $((i * 37)) /proc/kallsyms >/tmp/gomem_work/$i/f
		cat /proc/meminfo /proc/self/status | wc -l >/dev/null
		i=$((i + 1))
	done
	tar -czf /tmp/gomem_work.tgz -C /tmp gomem_work
	rm -rf /tmp/gomem_work /tmp/gomem_work.tgz
}

ktap_plan 5
dmesg -c >/dev/null
mods=$(cat /proc/modules)
workload &
sh "$GOMEM_DIR/trace" record 3 >"$out" 2>/tmp/gomem_record.err
rc=$?
wait
sed 's/^/# /' /tmp/gomem_record.err
ktap_expect_eq "scripts/trace record succeeds" "$rc" 0
ktap_expect_eq "it loads no module" "$(cat /proc/modules)" "$mods"
bad=$(awk '
	$1 == "a" && NF == 4 && $2 == id + 1 && $3 ~ /^[1-9][0-9]*$/ && $4 ~ /^[01]$/ {
		id = $2; live[id] = 1; next
	}
	$1 == "f" && NF == 2 && ($2 in live) { delete live[$2]; next }
	{ print NR ": " $0; exit }' "$out")
ktap_expect_eq "every line is well formed, and every free pairs" "$bad" ""
allocs=$(grep -c '^a ' "$out")
frees=$(grep -c '^f ' "$out")
echo "# $allocs allocations, $frees frees"
ktap_expect_eq "it recorded the workload: over 300 allocations" \
	"$((allocs > 300))" 1
ktap_expect_eq "and frees of over half of them" "$((frees * 2 > allocs))" 1
ktap_finished
