// SPDX-License-Identifier: GPL-2.0
/*
 * Where gomem's tracepoints are defined: trace.h declares them and says
 * what they promise, and gomem.c emits them, at its API's edge.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
