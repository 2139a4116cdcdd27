// SPDX-License-Identifier: GPL-2.0
/*
 * Gomem's size classes.
 *
 * The tables come from scripts/mksizeclasses.py, which derives the size
 * classes for this kernel's PAGE_SIZE (one-page spans up to a page, Go's
 * above), checks every rule over every request size, and writes
 * sizeclasses.h; `make check` fails if the checked-in copy differs from a
 * fresh run.  Invariants the rest of gomem relies on, all checked by the
 * generator and again by the KUnit suite: class sizes increase, are
 * multiples of 8 (of 128 above 2048), and include every power of two up
 * to PAGE_SIZE; a class up to PAGE_SIZE has one-page spans;
 * gomem_size_class(s) is the smallest class that holds s; a span holds
 * nelems objects in npages pages; divmul divides exactly for every offset
 * inside a span.
 */
#include <linux/module.h>

#include "gomem_internal.h"

/* The tables themselves, defined here and only here. */
#define GOMEM_DEFINE_SIZECLASSES
#include "sizeclasses.h"
