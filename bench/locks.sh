#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench/locks.sh SIZES OPS - run in the guest by `scripts/bench locks`.
#
# Runs gomem_bench's concurrent pattern (a kthread on every online CPU
# allocating and freeing at once) for each of SIZES, with the event
# gomem:gomem_mcentral on, and prints one line per object size and
# operation (get: objects handed to a CPU, put: taken back) with how many
# sections of the central list's lock there were, the objects they moved,
# and the median, 99th percentile and maximum of the time each waited for
# the lock and held it, in local_clock() nanoseconds:
#
#   locks cpus=N size=S op=get sections=C objs=O held_med=.. held_p99=..
#     held_max=.. wait_med=.. wait_p99=.. wait_max=..
#
# Only gomem's sections are traced; the bench's kmalloc peers run too, as
# in make bench, and leave no event.
set -eu
sizes=$1 ops=$2
T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T"
cpus=$(grep -c '^processor' /proc/cpuinfo)

echo 16384 >"$T/buffer_size_kb"
echo >"$T/trace"
echo 1 >"$T/events/gomem/gomem_mcentral/enable"
insmod bench/gomem_bench.ko tests=concurrent sizes="$sizes" conc_ops="$ops"
echo 0 >"$T/events/gomem/gomem_mcentral/enable"
if grep -h '^overrun:' "$T"/per_cpu/cpu*/stats | grep -qv '^overrun: 0$'; then
	echo "locks: events were lost: a bigger buffer_size_kb or fewer OPS"
	exit 1
fi

# "size op objs wait held" per section.
sed -n 's/.* gomem_mcentral: size=\([0-9]*\) op=\([a-z]*\) objs=\([0-9]*\) wait_ns=\([0-9]*\) held_ns=\([0-9]*\)$/\1 \2 \3 \4 \5/p' \
	"$T/trace" >/tmp/sections
# pct P FILE: the P-th percentile of FILE's sorted numbers.
pct() {
	n=$(wc -l <"$2")
	sed -n "$(((n * $1 + 99) / 100))p" "$2"
}
for key in $(awk '{ print $1 "-" $2 }' /tmp/sections | sort -u); do
	s=${key%-*} op=${key#*-}
	awk -v s="$s" -v op="$op" '$1 == s && $2 == op' /tmp/sections >/tmp/one
	awk '{ print $4 }' /tmp/one | sort -n >/tmp/wait
	awk '{ print $5 }' /tmp/one | sort -n >/tmp/held
	echo "locks cpus=$cpus size=$s op=$op sections=$(wc -l </tmp/one)" \
		"objs=$(awk '{ n += $3 } END { print n }' /tmp/one)" \
		"held_med=$(pct 50 /tmp/held) held_p99=$(pct 99 /tmp/held)" \
		"held_max=$(tail -n 1 /tmp/held)" \
		"wait_med=$(pct 50 /tmp/wait) wait_p99=$(pct 99 /tmp/wait)" \
		"wait_max=$(tail -n 1 /tmp/wait)"
done
