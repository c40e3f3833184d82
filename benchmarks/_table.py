"""Printing the side-by-side tables the benchmarks share."""

from __future__ import annotations


def print_table(rows: list[dict[str, object]]) -> None:
    """Print dict rows as an aligned plain-text table (keys of the first row are the columns)."""
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(row[h]).ljust(w) for h, w in zip(headers, widths, strict=True)))
    print()
