#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate gomem's size classes, re-deriving Go's for a kernel page size.

    scripts/mksizeclasses.py [--page-size N] [--markdown] [-o FILE]

Writes sizeclasses.h (the tables sizeclass.c compiles in) or, with
--markdown, the README's comparison with kmalloc.

Up to the page size, a span is one page: no object that fits in a page
may need more than an order-0 block from the page allocator.  So the
classes there are the densest a page allows: for every count n of
objects per page, the largest multiple of 8 that fits n times.  Every
request then gets as many objects per page as its own size allows, which
is the least waste one-page spans can give; it is at most 12.5% up to
584 bytes (short of where 8-byte granularity makes that impossible), and
beyond, the page decides: a 2049-byte object takes a page whatever the
class.  Every power of two up to the page size is such a class, so those
sizes are naturally aligned, and no request gets a bigger class than
kmalloc's.

Above the page size the method is Go's (src/runtime/mksizeclasses.go),
with the rules gomem promises instead of Go's:

1. Candidate sizes step by 256 (1/8 of 2048 and more).
2. Each candidate gets the smallest span (in pages) whose tail, the part
   too small for another object, is at most 1/8 of the span.
3. A candidate that fits as many objects in as many pages as the previous
   class replaces it, as in Go, but only when every request the merged
   class then serves still wastes at most 12.5%.
4. As in Go, a class grows to the largest multiple of 128 that still fits
   the same number of objects in its span, under the same limit.

Every rule is then checked over every request size, and the script fails
rather than write a table that breaks one.

Lookup is one table, an entry per 8 bytes of request up to 32768 (4 KiB),
where Go has two, of 8-byte steps to 1024 and 128-byte steps above: the
allocation's fast path then tests no size against the first table's end
(measured: a pair 1 instruction fewer up to 2 KiB, 2 at 4 KiB), for 3.6
KiB more of the module's read-only data.
"""

import argparse
import sys

MAX_SMALL = 32768     # largest size class
SIZE_STEP = 8         # size_to_class step, for every size up to MAX_SMALL
CLASS_ALIGN = 128     # rule 4: a grown class is a multiple of this
TINY_MAX = 16         # requests below this go to the tiny allocator


def pow2(n):
    return n & (n - 1) == 0


def waste_ok(cls, req):
    """Round-up waste (cls - req) / cls is at most 1/8."""
    return (cls - req) * 8 <= cls


def best_possible(req):
    """The class a request must get when no multiple of 8 is within 1/8."""
    return -(-req // 8) * 8


def span_pages(size, page):
    """Smallest page count whose tail waste is at most 1/8 of the span."""
    n = 1
    while (n * page) % size > (n * page) // 8:
        n += 1
    return n


def serves_ok(prev, cls):
    """Can class cls serve every request in (prev, cls]?"""
    lo = max(prev + 1, TINY_MAX)
    return all(waste_ok(cls, s) or cls == best_possible(s)
               for s in range(lo, cls + 1))


def one_page_classes(page):
    """For each count of objects per page, the largest size that fits."""
    return sorted({page // n // 8 * 8 for n in range(1, page // 8 + 1)} - {0})


def make_classes(page):
    classes = [[size, 1] for size in one_page_classes(page)]
    size = page + 256
    while size <= MAX_SMALL:
        npages = span_pages(size, page)
        psize, pnpages = classes[-1]
        prev2 = classes[-2][0]
        same = (npages == pnpages and
                npages * page // size == pnpages * page // psize)
        if same and psize > page and serves_ok(prev2, size):
            classes[-1][0] = size
        else:
            classes.append([size, npages])
        size += 256

    for i, c in enumerate(classes):
        size, npages = c
        if size <= page:
            continue
        span = npages * page
        grown = (span // (span // size)) & ~(CLASS_ALIGN - 1)
        nxt = classes[i + 1][0] if i + 1 < len(classes) else MAX_SMALL + 1
        prev = classes[i - 1][0]
        if (size < grown < nxt and span_pages(grown, page) == npages and
                serves_ok(prev, grown)):
            c[0] = grown
    return classes


def div_magic(size, span):
    """Go's divMul: (n * magic) >> 32 == n // size for 0 <= n <= span."""
    magic = (0xFFFFFFFF // size) + 1
    for n in range(span + 1):
        if (n * magic) >> 32 != n // size:
            sys.exit(f"mksizeclasses: no exact divMul for size {size}")
    return magic


def lookup_table(classes):
    sizes = [0] + [c[0] for c in classes]   # class 0 is "not small"

    def class_of(s):
        return next(i for i in range(1, len(sizes)) if sizes[i] >= s)
    return [class_of(max(i * SIZE_STEP, 1)) for i in
            range(MAX_SMALL // SIZE_STEP + 1)]


def lookup(table, s):
    return table[(s + SIZE_STEP - 1) // SIZE_STEP]


def verify(classes, table, page):
    sizes = [0] + [c[0] for c in classes]
    fail = []
    if sizes[1] != 8 or sizes[-1] != MAX_SMALL:
        fail.append("classes must run from 8 to 32768")
    for i in range(1, len(sizes)):
        size, npages = classes[i - 1]
        if size % 8:
            fail.append(f"class {i}: {size} is not a multiple of 8")
        if size > page and size % CLASS_ALIGN:
            fail.append(f"class {i}: {size} is not a multiple of {CLASS_ALIGN}")
        if size <= page and npages != 1:
            fail.append(f"class {i}: up to a page, a span is one page")
        if size > page and npages != span_pages(size, page):
            fail.append(f"class {i}: span is not the smallest")
        if i > 1 and size <= sizes[i - 1]:
            fail.append(f"class {i}: sizes must increase")
    p = 8
    while p <= page:
        if p not in sizes:
            fail.append(f"power of two {p} is not a class")
        p *= 2
    for s in range(1, MAX_SMALL + 1):
        c = lookup(table, s)
        if sizes[c] < s or (c > 1 and sizes[c - 1] >= s):
            fail.append(f"size {s}: lookup gives class {c}, not the smallest")
        if s <= page and page // sizes[c] != page // best_possible(s):
            fail.append(f"size {s}: fewer objects per page than its size allows")
        if s > page and not waste_ok(sizes[c], s):
            fail.append(f"size {s}: class {sizes[c]} wastes over 12.5%")
        if sizes[c] > kmalloc_class(s, page):
            fail.append(f"size {s}: class {sizes[c]} is bigger than kmalloc's")
    if fail:
        sys.exit("mksizeclasses: " + "\n".join(fail[:20]))


def header(classes, table, page, argv):
    out = []
    w = out.append
    w("/* SPDX-License-Identifier: GPL-2.0 */")
    w(f"/* Generated by {argv}; do not edit. */")
    w("/*")
    w(" * gomem's size classes for a %d-byte page.  The rules, and how they" % page)
    w(" * are derived from Go's, are in scripts/mksizeclasses.py.")
    w(" *")
    w(" * class  bytes/obj  bytes/span  objects  tail waste  max waste")
    prev = 0
    for i, (size, npages) in enumerate(classes, 1):
        span = npages * page
        n = span // size
        lo = max(prev + 1, TINY_MAX) if size >= TINY_MAX else prev + 1
        mw = 100.0 * ((size - lo) * n + span % size) / span
        w(" * %5d  %9d  %10d  %7d  %10d  %8.2f%%" %
          (i, size, span, n, span % size, mw))
        prev = size
    w(" */")
    w("")
    w("#ifndef _GOMEM_SIZECLASSES_H")
    w("#define _GOMEM_SIZECLASSES_H")
    w("")
    w(f"#if PAGE_SIZE != {page}")
    w(f'#error "these size classes are for {page}-byte pages: run scripts/mksizeclasses.py --page-size"')
    w("#endif")
    w("")
    w(f"#define GOMEM_NR_CLASSES\t{len(classes) + 1}")
    w(f"#define GOMEM_MAX_SMALL\t\t{MAX_SMALL}")
    w(f"#define GOMEM_SIZE_STEP\t\t{SIZE_STEP}")
    w(f"#define GOMEM_CLASS_ALIGN\t{CLASS_ALIGN}")
    w(f"#define GOMEM_TINY_MAX\t\t{TINY_MAX}")
    w(f"#define GOMEM_CLASS_LEN\t\t{len(table)}")
    w("")
    w("#endif /* _GOMEM_SIZECLASSES_H */")
    w("")
    w("#ifdef GOMEM_DEFINE_SIZECLASSES")
    w("const struct gomem_sizeclass gomem_classes[GOMEM_NR_CLASSES] = {")
    w("\t{ .size = 0 },\t/* class 0: not a small object */")
    for size, npages in classes:
        span = npages * page
        w(f"\t{{ .size = {size}, .npages = {npages}, .nelems = {span // size}, "
          f".divmul = {div_magic(size, span):#x} }},")
    w("};")
    w("EXPORT_SYMBOL_IF_KUNIT(gomem_classes);")
    w("")

    def emit(name, length, vals, per=16):
        w(f"const u8 {name}[{length}] = {{")
        for i in range(0, len(vals), per):
            w("\t" + " ".join(f"{v}," for v in vals[i:i + per]).rstrip())
        w("};")
        w(f"EXPORT_SYMBOL_IF_KUNIT({name});")
        w("")
    emit("gomem_size_to_class", "GOMEM_CLASS_LEN", table)
    out[-1:] = ["#endif /* GOMEM_DEFINE_SIZECLASSES */"]
    return "\n".join(out).rstrip() + "\n"


KMALLOC = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192]


def kmalloc_class(s, page):
    for k in KMALLOC:
        if s <= k:
            return k
    n = page
    while n < s:
        n *= 2
    return n


def markdown(classes, page):
    rows = ["| requests (bytes) | gomem class | worst waste | "
            "kmalloc class | worst waste |",
            "|---|---|---|---|---|"]
    prev = TINY_MAX - 1
    for size, _ in classes:
        if size < TINY_MAX:
            continue
        lo = prev + 1
        kset = sorted({kmalloc_class(s, page) for s in (lo, size)})
        kw = max(100.0 * (kmalloc_class(s, page) - s) / kmalloc_class(s, page)
                 for s in range(lo, size + 1))
        rng = f"{lo}" if lo == size else f"{lo}-{size}"
        rows.append(f"| {rng} | {size} | {100.0 * (size - lo) / size:.1f}% | "
                    f"{'/'.join(map(str, kset))} | {kw:.1f}% |")
        prev = size
    return "\n".join(rows) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--page-size", type=int, default=4096)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    if not pow2(a.page_size) or a.page_size < 4096:
        sys.exit("mksizeclasses: the page size must be a power of two >= 4096")
    classes = make_classes(a.page_size)
    table = lookup_table(classes)
    verify(classes, table, a.page_size)
    if a.markdown:
        text = markdown(classes, a.page_size)
    else:
        text = header(classes, table, a.page_size,
                      "scripts/mksizeclasses.py" +
                      ("" if a.page_size == 4096 else
                       f" --page-size {a.page_size}"))
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
