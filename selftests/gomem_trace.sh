#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gomem's tracepoints, as trace-cmd or perf would use them: through
# tracefs.  gomem:gomem_alloc and gomem:gomem_free have kmem:kmalloc's
# and kmem:kfree's fields, and with them enabled a known sequence of
# calls (gomem_traced.ko: every call gomem traces, from functions named
# traced_*) records exactly the events it logs that it expects, field
# by field, each naming its caller as call_site.  gomem:gomem_mcentral
# gives one event per section of a central list's lock, and the objects
# its get sections hand out are the objects its put sections take back,
# once everything is freed and the per-CPU caches are dropped: also when
# flushes put them on the transfer stacks, whose objects a refill gets
# from there (gomem_pattern.ko's thousand objects of 64 B and 1 KiB,
# twice): a put section once counted only the objects it put in their
# spans, not those a flush put on a transfer stack.
. "$(dirname "$0")/ktap_helpers.sh"

T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T" 2>/dev/null

# An event's fields, as "type name size signed", without their offsets.
fields() {
	sed -n 's/^[[:space:]]*field:\([^;]*\);[[:space:]]*offset:[0-9]*;\(.*\)$/\1;\2/p' \
		"$T/events/$1/format" | grep -v 'common_'
}

ktap_plan 11
dmesg -c >/dev/null
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
ktap_check "tracefs has the gomem events" \
	test -d "$T/events/gomem/gomem_alloc" -a -d "$T/events/gomem/gomem_free"
ktap_expect_eq "gomem_alloc has kmalloc's fields" \
	"$(fields gomem/gomem_alloc)" "$(fields kmem/kmalloc)"
ktap_expect_eq "gomem_free has kfree's fields" \
	"$(fields gomem/gomem_free)" "$(fields kmem/kfree)"

echo hash-ptr >"$T/trace_options"
echo 0 >"$T/tracing_on"
echo >"$T/trace"
echo 1 >"$T/events/gomem/enable"
echo 1 >"$T/tracing_on"
insmod "$GOMEM_DIR/selftests/gomem_traced.ko"
rc=$?
echo 0 >"$T/tracing_on"
echo 0 >"$T/events/gomem/enable"
ktap_expect_eq "the known sequence ran" "$rc" 0

# What was expected, and what was recorded, as "event: fields", with
# call_site cut to the function's name and the GFP flags to their names.
dmesg | sed -n 's/.*gomem_traced: expect //p' |
	sed 's/gfp_flags=0x[0-9a-f]*(\([^)]*\))/gfp_flags=\1/' >/tmp/gomem_trace.want
sed -n 's/.* \(gomem_[a-z]*: call_site=\)/\1/p' "$T/trace" |
	sed 's/call_site=\([A-Za-z0-9_.]*\)+0x[0-9a-f]*\/0x[0-9a-f]* \[gomem_traced\]/call_site=\1/' \
	>/tmp/gomem_trace.got
# Read while gomem_traced is loaded, so that its call sites have names.
rmmod gomem_traced 2>/dev/null
echo "# $(wc -l </tmp/gomem_trace.want) events expected, $(wc -l </tmp/gomem_trace.got) recorded"
ktap_expect_eq "the sequence expects its 34 events" \
	"$(wc -l </tmp/gomem_trace.want)" 34
diff /tmp/gomem_trace.want /tmp/gomem_trace.got | sed 's/^/# /'
ktap_expect_eq "every event, every field, in order" \
	"$(cmp -s /tmp/gomem_trace.want /tmp/gomem_trace.got && echo same)" same
# Objects each central list handed out and took back, as "get N put M".
central_sums() {
	sed -n 's/.* gomem_mcentral: size=[0-9]* op=\([a-z]*\) objs=\([0-9]*\) wait_ns=[0-9]* held_ns=[0-9]*$/\1 \2/p' \
		"$T/trace" | awk '{ n[$1] += $2 } END { printf "get %d put %d", n["get"], n["put"] }'
}
# From empty caches, so that every object counted out is counted back.
echo 2 >/proc/sys/vm/drop_caches
echo 0 >"$T/tracing_on"
echo >"$T/trace"
echo 1 >"$T/events/gomem/gomem_mcentral/enable"
echo 1 >"$T/tracing_on"
insmod "$GOMEM_DIR/selftests/gomem_traced.ko" && rmmod gomem_traced
# The second load's refills get what the first one's unload flushed.
for load in first second; do
	insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" sizes=64,1024 count=1000 ||
		echo "# gomem_pattern: the $load load failed"
	rmmod gomem_pattern 2>/dev/null
done
echo 2 >/proc/sys/vm/drop_caches
echo 0 >"$T/tracing_on"
echo 0 >"$T/events/gomem/gomem_mcentral/enable"
sums=$(central_sums)
echo "# gomem_mcentral: $sums, in $(grep -c 'gomem_mcentral:' "$T/trace") sections"
ktap_expect_eq "gomem_mcentral sections handed objects out" \
	"$(echo "$sums" | awk '{ print ($2 > 0) }')" 1
ktap_expect_eq "gomem_mcentral: all handed out came back" \
	"$(echo "$sums" | awk '{ print $2 - $4 }')" 0
ktap_check "rmmod gomem" rmmod gomem
ktap_expect_eq "no splat in the kernel log" "$(gomem_splats)" ""
ktap_finished
