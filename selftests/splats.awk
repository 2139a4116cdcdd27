# SPDX-License-Identifier: GPL-2.0
#
# splats.awk - print the lines of a kernel log that are splats, less
# those of two scheduler bugs of the 6.12 kernels that are not gomem's.
#
#	awk [-v reports=1] -f splats.awk LOG
#
# vm-run reads a guest's console through it, and the selftests' dmesg
# (gomem_splats in ktap_helpers.sh): one list of what a splat is, for
# both.  gomem's reports of bad input ("gomem: bad ...") are splats
# unless reports=1, where the caller counts them itself.
#
# The bugs left out.  6.12.118's deadline server (the fair server) warns
# now and then across CPU hotplug, or when its runtime is written: a
# running_bw underflow (WARNING at kernel/sched/deadline.c), or "Dying
# CPU not properly vacated!" from sched_cpu_dying().  The warning is
# printed under the runqueue's lock, and lockdep then reports the
# console's lock taken inside it as a possible circular dependency.  A
# fresh-clone make check failed on exactly that, 2 s into a stress
# test, with no gomem frame in either.  So when the log holds one of
# those two warnings, these lines are left out: the warnings' own, the
# "Call Trace:" lines (every other splat still has a header line of its
# own, which is printed), and a circular-dependency report where the
# lock being acquired is the console's and the one held the runqueue's,
# which gomem never takes.  Every other splat is printed, then too.

BEGIN {
	splat = "BUG:|WARNING:|KASAN:|Oops|possible circular locking|" \
		"inconsistent lock state|" \
		"sleeping function called from invalid context|" \
		"Call Trace:|Kernel panic"
	if (!reports)
		splat = splat "|gomem: bad "
	sched_bug = "WARNING: CPU: [0-9]+ PID: [0-9]+ at " \
		"(kernel/sched/deadline\\.c:|[^ ]* sched_cpu_dying\\+)"
}

{ line[NR] = $0 }
$0 ~ sched_bug { known = 1 }

# The name of the lock on a lockdep line: "ADDRESS (NAME){...}, at: ...",
# where the function after "at:" may name the console too.
function lock_name(s) {
	return match(s, /\([^)]*\)/) ? substr(s, RSTART, RLENGTH) : ""
}

# Is the circular-dependency report that starts at line i the console's
# lock acquired under the runqueue's?  Its lock lines follow the header
# within a few lines: "... is trying to acquire lock:", the lock, "but
# task is already holding lock:", the lock.
function printk_under_rq(i,	j, acquire, held) {
	for (j = i + 1; j <= NR && j <= i + 8; j++) {
		if (line[j] ~ /is trying to acquire lock:/)
			acquire = lock_name(line[j + 1])
		else if (line[j] ~ /is already holding lock:/)
			held = lock_name(line[j + 1])
	}
	return acquire ~ /console|port_lock/ && held == "(&rq->__lock)"
}

function left_out(i) {
	if (line[i] ~ sched_bug || line[i] ~ /Call Trace:/)
		return 1
	return line[i] ~ /possible circular locking/ && printk_under_rq(i)
}

END {
	for (i = 1; i <= NR; i++)
		if (line[i] ~ splat && !(known && left_out(i)))
			print line[i]
}
