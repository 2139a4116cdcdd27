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

/**
 * gomem_alloc() - allocate an object, as kmalloc() does
 * @size: bytes wanted
 * @flags: gfp flags, as kmalloc()'s (see above for those refused)
 *
 * Context: any context with GFP_ATOMIC or GFP_NOWAIT, hard interrupts
 * included but on PREEMPT_RT, where kmalloc() may not be called there
 * either; with flags that allow sleeping, process context, and it may
 * sleep in the page allocator.
 *
 * Return: at least @size bytes, aligned as said above, of the calling
 * CPU's node while it has memory to give; ZERO_SIZE_PTR if @size is 0;
 * NULL if there is no memory or the request is refused.
 */
void *gomem_alloc(size_t size, gfp_t flags);

/**
 * gomem_zalloc() - allocate a zeroed object
 * @size: bytes wanted
 * @flags: gfp flags, as gomem_alloc()'s
 *
 * gomem_alloc() with __GFP_ZERO.
 *
 * Context: as gomem_alloc().
 *
 * Return: as gomem_alloc(), the object's @size bytes zero.
 */
void *gomem_zalloc(size_t size, gfp_t flags);

/**
 * gomem_alloc_node() - allocate an object of a node's memory
 * @size: bytes wanted
 * @flags: gfp flags, as gomem_alloc()'s; with __GFP_THISNODE, the object
 *	is @node's or none
 * @node: the node wanted, as kmalloc_node()'s (see above)
 *
 * Context: as gomem_alloc().
 *
 * Return: as gomem_alloc(); NULL, with a message unless __GFP_NOWARN, if
 * @node cannot exist (negative, other than NUMA_NO_NODE, or past the
 * possible nodes).
 */
void *gomem_alloc_node(size_t size, gfp_t flags, int node);

/**
 * gomem_realloc() - change an object's size, as krealloc() does
 * @p: the object, or NULL
 * @new_size: bytes wanted; 0 frees @p
 * @flags: gfp flags, as gomem_alloc()'s
 *
 * Keeps the contents up to the smaller of gomem_size(@p) and @new_size,
 * in place if a new object of @new_size would have the same usable size,
 * else in a new object, @p freed.  Only __GFP_ZERO and init_on_alloc zero
 * anything: the bytes a move adds, or those past @new_size of an object
 * that stays.  A pointer that is not a live object's start is refused
 * and reported, as by gomem_free().
 *
 * Context: as gomem_alloc().
 *
 * Return: the object, moved or not; gomem_alloc(@new_size, @flags) if @p
 * is NULL; ZERO_SIZE_PTR if @new_size is 0; NULL, @p left as it was, on
 * failure or if @p is refused.
 */
void *gomem_realloc(const void *p, size_t new_size, gfp_t flags);

/**
 * gomem_free() - free an object
 * @p: what gomem_alloc() and the others returned, or NULL, or
 *	ZERO_SIZE_PTR, which do nothing
 *
 * A pointer that is not a live object's start (another allocator's, an
 * interior one, one freed already, even by a racing free on another
 * CPU) is refused, reported in the kernel log and counted in
 * /proc/gomem's bad_frees; no memory is touched.
 *
 * Context: any CPU, any context gomem_alloc() with GFP_ATOMIC may be
 * called in.
 */
void gomem_free(const void *p);

/**
 * gomem_size() - the usable size of an object, as ksize() gives it
 * @p: a live object's start
 *
 * All of it may be written from then on.  A pointer that is not a live
 * object's start is refused and reported, as by gomem_free().
 *
 * Context: as gomem_free().
 *
 * Return: at least the size asked for (a tiny object's is exactly it);
 * 0 for NULL, ZERO_SIZE_PTR and refused pointers.
 */
size_t gomem_size(const void *p);

/**
 * gomem_alloc_bulk() - allocate several objects of one size at once
 * @size: bytes wanted for each
 * @flags: gfp flags, as gomem_alloc()'s
 * @nr: how many, 1 to INT_MAX
 * @ptrs: where the objects go, @nr of them
 *
 * All @nr objects or none: on failure those already allocated are freed.
 * An @nr of 0 or above INT_MAX, or a NULL @ptrs, is refused and reported.
 *
 * Context: as gomem_alloc().
 *
 * Return: @nr, or 0 on failure.
 */
int gomem_alloc_bulk(size_t size, gfp_t flags, size_t nr, void **ptrs);

/**
 * gomem_free_bulk() - free several objects, of any sizes, at once
 * @nr: how many
 * @ptrs: the objects, as gomem_free() takes each
 *
 * Each is freed as by gomem_free(), and one refused does not stop the
 * others.  A NULL among them is counted in bad_frees, reported once a
 * call; an @nr of 0, or a NULL @ptrs, is reported and frees nothing.
 *
 * Context: as gomem_free().
 */
void gomem_free_bulk(size_t nr, void **ptrs);

#endif /* _GOMEM_H */
