#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench/replay.sh TRACE... - run in the guest by `scripts/bench replay`.
#
# Replays each trace through gomem and through kmalloc with
# bench/gomem_replay.ko, and measures both footprints by the README's
# definitions:
#
#   SLUB's footprint: the sum over all caches in /proc/slabinfo of
#   num_slabs * pagesperslab * PAGE_SIZE, at the peak minus the baseline,
#   plus PAGE_SIZE << get_order(size) for each live kmalloc object too
#   big for kmalloc's caches (gomem_replay computes those).
#
#   gomem's footprint: its pages from the page allocator (pages_total)
#   plus its metadata (metadata_bytes), at the peak minus the baseline.
#
#   gomem's span floor: what its live objects at the peak would hold in
#   as few whole spans of their classes as can hold them (full spans of
#   the class's size, the rest in its smallest spans), plus its large
#   objects: no cached or free object, no metadata.  Its class floor:
#   the live objects at their class size (a borrowed one at its
#   lender's), plus its large objects.
#
# Each replay starts from its own baseline: gomem loaded, the trace
# parsed, every slab cache shrunk and a warm-up snapshot taken.  It runs
# to the operation where the live requested bytes peak, is measured
# there, frees everything, and is measured again at rest, after 5 s idle
# and a shrink.  A replay that allocates nothing measures the control
# noise.  Sizes are KiB.
#
# A snapshot uses shell builtins only: a fork between the baseline and
# the peak would allocate a task's worth of slab objects and count them
# as the replay's.
set -u
PAGE_KIB=4
while read -r key val unit; do
	[ "$key" = KernelPageSize: ] && PAGE_KIB=$val && break
done </proc/self/smaps

# SLAB, ACTIVE and GSLAB: all slab KiB, active object KiB, and the slab
# KiB of gomem's own caches.
slab() {
	SLAB=0 ACTIVE=0 GSLAB=0
	# name active num objsize perslab pages : tunables l b s : slabdata
	# active_slabs num_slabs sharedavail
	local cache act num osz per pg nslabs
	while read -r cache act num osz per pg _ _ _ _ _ _ _ _ nslabs _; do
		case $cache in slabinfo | \#*) continue ;; esac
		SLAB=$((SLAB + nslabs * pg * PAGE_KIB))
		ACTIVE=$((ACTIVE + act * osz / 1024))
		case $cache in gomem*) GSLAB=$((GSLAB + nslabs * pg * PAGE_KIB)) ;; esac
	done </proc/slabinfo
}

# span_floor SIZE SPAN_PAGES OBJS_PER_SPAN LIVE: in SF, the fewest KiB of
# spans of a class that hold LIVE objects: full spans of the class's
# size, and the rest in its smallest spans (one object's pages) if that
# takes less.  A global, not echoed: a command substitution would fork.
span_floor() {
	local full=$(($4 / $3)) rest=$(($4 % $3)) minp per tail
	minp=$((($1 + PAGE_KIB * 1024 - 1) / (PAGE_KIB * 1024)))
	per=$((minp * PAGE_KIB * 1024 / $1))
	tail=$(((rest + per - 1) / per * minp))
	[ "$rest" = 0 ] || [ "$tail" -le "$2" ] || tail=$2
	SF=$(((full * $2 + tail) * PAGE_KIB))
}

# G: gomem's KiB held (pages and metadata), then the parts of it in
# bytes: live objects at class size, objects cached per CPU, free objects
# in spans, span tails, large objects, free pages, metadata.  FLOOR: the
# KiB the live objects would hold in as few whole spans of their classes
# as can hold them (span_floor), with the large objects and nothing
# else: what gomem must hold, with its span shapes, for those objects.
gomem() {
	local t=0 pages=0 free=0 large=0 kept=0 meta=0 live=0 cached=0 infree=0
	local tail=0
	local floor=0 a b c d e f g h i
	while read -r a b c d e f g h i _; do
		if [ $t = 1 ]; then
			# class size span_pages objs_per_span spans pages inuse
			# cached free
			live=$((live + g * b)) cached=$((cached + h * b))
			infree=$((infree + i * b))
			tail=$((tail + f * PAGE_KIB * 1024 - (g + h + i) * b))
			span_floor "$b" "$c" "$d" "$g"
			floor=$((floor + SF))
			continue
		fi
		case $a in
		pages_total) pages=$b ;;
		pages_free) free=$b ;;
		large_bytes) large=$b ;;
		large_kept_bytes) kept=$b ;;
		metadata_bytes) meta=$b ;;
		class) t=1 ;;
		esac
	done </proc/gomem
	G=$((pages * PAGE_KIB + meta / 1024))
	FLOOR=$((floor + large / 1024))
	# Free pages: the pools' and the kept large spans'.
	GPARTS="$live $cached $infree $tail $large $((free * PAGE_KIB * 1024 + kept)) $meta"
}

# Shrink every slab cache, then take a snapshot and throw it away: the
# snapshot's own allocations (an open file, seq_file buffers) then find
# their slabs already there, and the next snapshot does not count them.
settle() {
	echo 3 >/proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f"; done 2>/dev/null
	slab
	gomem
}

# The value after KEY in the replay module's status line.
status() {
	local k=$1
	set -- $(cat /proc/gomem_replay)
	while [ $# -gt 1 ]; do
		[ "$1" = "$k" ] && { echo "$2"; return; }
		shift
	done
}

# G / S to three places, or n/a if S is not above 0.
ratio_of() {
	awk -v g="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.3f", g / s; else print "n/a" }'
}

# Each part of "$2" minus the same part of "$1", in KiB, named.
parts() {
	echo "$1 $2" | awk '{
		split("live_at_class cached_per_cpu free_in_spans span_tails large free_pages metadata", n, " ")
		for (i = 1; i <= 7; i++)
			printf "%s%s=%d", (i > 1 ? " " : ""), n[i], ($(i + 7) - $i) / 1024
	}'
}

# measure ALLOC: replay with ALLOC; the results are deltas from this
# replay's own baseline, in the globals below.
measure() {
	settle
	slab; b_slab=$SLAB b_act=$ACTIVE b_gs=$GSLAB
	gomem; b_g=$G b_parts=$GPARTS b_floor=$FLOOR
	echo "run $1" >/proc/gomem_replay || return 1
	slab; p_slab=$((SLAB - b_slab)) p_act=$((ACTIVE - b_act)) p_gs=$((GSLAB - b_gs))
	gomem; p_g=$((G - b_g)) p_parts=$GPARTS p_floor=$((FLOOR - b_floor))
	echo free >/proc/gomem_replay || return 1
	run_ns=$(status run_ns) free_ns=$(status free_ns) failures=$(status failures)
	sleep 5
	settle
	slab; r_slab=$((SLAB - b_slab))
	gomem; r_g=$((G - b_g))
	breakdown=$(parts "$b_parts" "$p_parts")
	insn=$((run_ns + free_ns))
}

rc=0
for trace in "$@"; do
	name=${trace##*/}
	echo reset >/proc/gomem_replay
	# The echo ends a last line that has no newline of its own, which
	# "done" would otherwise be glued to; an empty line is ignored.
	if ! { cat "$trace" && echo; } >/proc/gomem_replay ||
		! echo done >/proc/gomem_replay; then
		echo "replay $name: the trace does not parse (the kernel log quotes the line)"
		rc=1
		continue
	fi
	echo "replay $name: $(cat /proc/gomem_replay)"
	skipped=$(status skipped)
	[ "$skipped" = 0 ] ||
		echo "replay $name: $skipped requests above KMALLOC_MAX_SIZE, which failed where they were traced, replayed as requests of nothing"
	large=$(status kmalloc_large_kib)

	measure none || rc=1
	echo "replay $name: control noise (a replay that allocates nothing): slub_kib=$p_slab gomem_kib=$p_g rest_slub_kib=$r_slab rest_gomem_kib=$r_g"

	measure gomem || rc=1
	g_kib=$p_g g_rest=$r_g g_insn=$insn g_fail=$failures g_floor=$p_floor
	# The metadata's growth in bytes, not the breakdown's KiB, which
	# rounds a small trace's to nothing: for metadata_pct below.
	g_meta=$(echo "$b_parts $p_parts" | awk '{ print $14 - $7 }')
	# Its live objects at class size and its large objects, in KiB: what
	# no span shape, cache or metadata of gomem's can go below.
	g_class=$(echo "$b_parts $p_parts" | awk '{ print int(($8 + $12 - $1 - $5) / 1024) }')
	echo "replay $name: gomem peak breakdown (KiB): $breakdown"
	echo "replay $name: gomem's own slab caches grew ${p_gs} KiB; all slab caches ${p_slab} KiB during its replay"

	measure slub || rc=1
	s_kib=$((p_slab + large)) s_rest=$r_slab s_insn=$insn s_fail=$failures
	echo "replay $name: slub active_kib=$p_act slab_kib=$p_slab large_kib=$large"

	[ "$g_fail" = 0 ] && [ "$s_fail" = 0 ] ||
		{ echo "replay $name: allocations failed: gomem $g_fail, slub $s_fail"; rc=1; }
	ratio=$(ratio_of "$g_kib" "$s_kib")
	floor_ratio=$(ratio_of "$g_floor" "$s_kib")
	echo "replay $name: gomem span floor (its live objects in as few whole spans as hold them, large objects, nothing else): floor_kib=$g_floor floor_ratio=$floor_ratio"
	class_ratio=$(ratio_of "$g_class" "$s_kib")
	echo "replay $name: gomem class floor (its live objects at their class size, large objects, nothing else): class_floor_kib=$g_class class_floor_ratio=$class_ratio"
	# Metadata as the memory issue measures it: against the pages held.
	meta_pct=$(awk -v m="$g_meta" -v g="$g_kib" 'BEGIN { m /= 1024; if (g > m) printf "%.1f", 100 * m / (g - m); else print "n/a" }')
	echo "replay $name: gomem_kib=$g_kib slub_kib=$s_kib ratio=$ratio rest_gomem_kib=$g_rest rest_slub_kib=$s_rest gomem_insn=$g_insn slub_insn=$s_insn metadata_pct=$meta_pct"
done
exit $rc
