#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every size up to PAGE_SIZE is served when the page allocator has
# nothing above order 0: fail_page_alloc fails every request of order 1
# or more from one task (task-filter, min-order=1): gomem_pattern.ko's
# init, which marks itself with make_it_fail and asks for 400 objects of
# each of 14 sizes from 8 B to 4 KiB, every other one GFP_ATOMIC.  No
# failure and no allocation warning; and fail_gomem, failing every request
# of order 1 or more that gomem makes, fails none: gomem never asks for
# more than an order-0 page for these sizes.  Needs CONFIG_FAIL_PAGE_ALLOC
# (the test kernel); skipped without it.
. "$(dirname "$0")/ktap_helpers.sh"

SIZES=8,16,24,32,48,64,96,128,256,512,1024,2048,3000,4096
N=400
FPA=/sys/kernel/debug/fail_page_alloc
FG=/sys/kernel/debug/fail_gomem

ktap_plan 7
if [ ! -d $FPA ]; then
	for t in insmod load failures warnings order0 rmmod splats; do
		ktap_skip "$t" "no fail_page_alloc in this kernel"
	done
	ktap_finished
fi
dmesg -c >/dev/null
ktap_check "insmod gomem.ko" insmod "$GOMEM_DIR/gomem.ko"
before=$(gomem_key alloc_failures)
fpa_arm 1 100
echo 1 >$FG/min-order
echo -1 >$FG/times
echo 100 >$FG/probability
pattern_load insmod "$GOMEM_DIR/selftests/gomem_pattern.ko" \
	sizes=$SIZES count=$N atomic=1 make_it_fail=1
rc=$?
echo 0 >$FPA/probability
ktap_expect_eq "every object of every size allocated with order 0 alone" $rc 0
ktap_expect_eq "no allocation failed" "$(($(gomem_key alloc_failures) - before))" 0
ktap_expect_eq "no allocation warning" "$(dmesg | grep -c 'page allocation failure')" 0
# fail_gomem, set to fail every request of order 1 or more, failed none:
# gomem never asked for more than an order-0 page.
ktap_expect_eq "gomem asked for nothing above order 0" "$(cat $FG/injected)" 0
echo 0 >$FG/probability
rmmod gomem_pattern 2>/dev/null
ktap_check "rmmod gomem" rmmod gomem
ktap_expect_eq "no splat and no report in the kernel log" "$(gomem_splats; gomem_reports)" ""
ktap_finished
