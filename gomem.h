/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The public API of gomem, a slab-style allocator for kernel
 * modules built on the design of the Go runtime's allocator.
 *
 * The calls follow kmalloc's conventions: a size of 0 gives ZERO_SIZE_PTR,
 * freeing NULL or ZERO_SIZE_PTR does nothing, failure returns NULL and
 * leaves nothing half-done, GFP_ATOMIC and GFP_NOWAIT work in any context
 * (hard interrupts included), and only flags that allow sleeping may sleep.
 * A request gomem cannot honour fails at once, with a message in the
 * kernel log unless __GFP_NOWARN is set: a size above the page allocator's
 * largest block (4 MiB with 4 KiB pages), a zone flag (GFP_DMA, GFP_DMA32,
 * __GFP_HIGHMEM, __GFP_MOVABLE), __GFP_NOFAIL, or a bit that is no gfp
 * flag.  An object may be freed
 * on any CPU.  Sizes of 16 or more, and multiples of 8, are 8-byte
 * aligned; power-of-two sizes up to PAGE_SIZE are naturally aligned;
 * smaller objects are aligned to the largest of 8, 4 or 2 that divides
 * their size.  That is less than kmalloc promises (any power of two
 * aligned to its size, any other size to its largest power-of-two
 * divisor): for an alignment above 8, ask for a power of two up to
 * PAGE_SIZE.
 *
 * Freeing a pointer gomem did not hand out, freeing one twice, or freeing
 * an interior pointer is refused with an error in the kernel log and
 * counted in /proc/gomem; the memory is left alone.
 *
 * NUMA: gomem_alloc() gives memory of the calling CPU's node, as kmalloc
 * does.  gomem_alloc_node() asks for node's memory, like kmalloc_node():
 * NUMA_NO_NODE means the caller's node; a node that is not online falls
 * back to the caller's; a node without memory gomem can use (none, or only
 * ZONE_MOVABLE's, which gomem's unmovable pages never take) means the
 * nearest that has; a node that cannot exist is refused ("bad node").
 * The page allocator may still fall back to another node when node has no
 * memory left.  Another node's objects cost a lock round trip each.
 */
#ifndef _GOMEM_H
#define _GOMEM_H

#include <linux/types.h>
#include <linux/gfp.h>

void *gomem_alloc(size_t size, gfp_t flags);
void *gomem_zalloc(size_t size, gfp_t flags);
void *gomem_alloc_node(size_t size, gfp_t flags, int node);
void *gomem_realloc(const void *p, size_t new_size, gfp_t flags);
void gomem_free(const void *p);
size_t gomem_size(const void *p);
int gomem_alloc_bulk(size_t size, gfp_t flags, size_t nr, void **ptrs);
void gomem_free_bulk(size_t nr, void **ptrs);

#endif /* _GOMEM_H */
