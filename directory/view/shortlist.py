"""The shortlist on a screen: adding and removing, which ids a link may keep, and a comparison drawn as a
table (a desktop: one column per facility) or as cards (a phone: one card per facility, scrolled down,
never sideways). Everything from the data is HTML-escaped; the only links are the comparison's own."""

from __future__ import annotations

import pandas as pd

from ..core.i18n import _, ngettext, number
from ..stores.base import Store
from .compare import MAX_SHORTLIST, Cell, Comparison, Row
from .text import html_escape as escape


def _differs() -> str:
    """Marks a row where the facilities differ (with words for screen readers)."""
    words = escape(_("differs:"))
    return f'<span aria-hidden="true">≠ </span><span class="sr">{words} </span>'


CSS = """<style>
.cmp { border-collapse: collapse; width: 100%; font-size: .92rem; }
.cmp caption { text-align: left; font-size: .85rem; color: #444; padding: 0 0 .4rem; }
.cmp th, .cmp td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid #d9d9d9; }
.cmp thead th { font-size: .95rem; background: #f4f4f4; }
.cmp tbody th { font-weight: 600; width: 11rem; }
.cmp tr.differs th, .cmp tr.differs td { background: #fff8dc; }
.cmp .none, .card .none { color: #555; font-style: italic; }
.cmp .note { font-size: .85rem; color: #444; }
.sr { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
.card { border: 1px solid #ccc; border-radius: .5rem; padding: .6rem .8rem; margin: 0 0 .8rem;
  overflow-wrap: anywhere; }
.card h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
.card dl { margin: 0; padding: 0; }
.card dt { font-weight: 600; margin: .35rem 0 0; padding: 0; font-size: .85rem; color: #333; }
.card dd { margin: 0; padding: 0; } .card .differs dt { background: #fff8dc; } .card .note { font-size: .85rem; }
</style>"""


def toggle(ids: tuple[str, ...], facility_id: str) -> tuple[str, ...]:
    """The shortlist with ``facility_id`` removed if it is on it, else added at the end (unless full).

    >>> toggle(("a", "b"), "a"), toggle(("a",), "c")
    (('b',), ('a', 'c'))
    """
    if facility_id in ids:
        return tuple(i for i in ids if i != facility_id)
    return ids + (facility_id,) if len(ids) < MAX_SHORTLIST else ids


def short_name(name: str, width: int = 32) -> str:
    """A name cut to ``width`` characters at a word, for a button.

    >>> short_name("DACCO Behavioral Health Inc — (DACCO)/Medication Assisted Trt Prog")
    'DACCO Behavioral Health Inc…'
    """
    if len(name) <= width:
        return name
    cut = name[:width].rsplit(" ", 1)[0].rstrip(" —-,")
    return cut + "…"


def short_names(names: list[str], width: int = 32) -> list[str]:
    """:func:`short_name` of each, told apart: where two would read the same, each shows its program's
    name (after " — ") or else the end of its name, so three buttons "Remove DACCO…" become three.

    >>> short_names(["DACCO Behavioral Health, Inc. — Drug Abuse Comprehensive Coord Office",
    ...              "DACCO Behavioral Health Inc — (DACCO)/Medication Assisted Trt Prog",
    ...              "DACCO Behavioral Health Inc — (DACCO)/Adult Drug Court", "Gracepoint"])
    ['DACCO Behavioral Health, Inc.…', '(DACCO)/Medication Assisted Trt…', '(DACCO)/Adult Drug Court', 'Gracepoint']
    """
    shorts = [short_name(n, width) for n in names]
    out = []
    for name, short in zip(names, shorts, strict=True):
        if shorts.count(short) > 1:
            program = name.split(" — ", 1)[1] if " — " in name else ""
            short = short_name(program, width) if program else "…" + name[-(width - 1) :].lstrip()
        out.append(short)
    return out


def known(store: Store, ids: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The ids a link asked for that the directory has, in order, and a note for those it no longer has
    ("1 facility in this link is no longer in the directory"; '' when none)."""
    kept = tuple(i for i in ids if store.facility(i) is not None)
    gone = len(ids) - len(kept)
    if not gone:
        return kept, ""
    return kept, ngettext(
        "{n} facility in this link is no longer in the directory.",
        "{n} facilities in this link are no longer in the directory.",
        gone,
    ).format(n=number(gone))


def _value(cell: Cell) -> str:
    text = escape(cell.text)
    if not cell.listed:
        return f'<span class="none">{text}</span>'
    if cell.link and cell.link.startswith(("tel:", "https://", "http://")):
        return f'<a href="{escape(cell.link, quote=True)}">{text}</a>'
    return text


def _label(row: Row) -> str:
    return (_differs() if row.differs else "") + escape(row.label)


def table_html(comparison: Comparison) -> str:
    """The comparison as one table: a column per facility, a row per fact; rows where they differ are
    marked (≠ and a tint), a fact none of them lists reads "not listed in the sources" once."""
    names = comparison.row("name").cells
    head = "".join(f'<th scope="col">{escape(c.text)}</th>' for c in names)
    body = []
    for row in comparison.rows:
        if row.key == "name":
            continue
        if row.unknown:
            none = _("{not_listed} for any of them").format(not_listed=row.cells[0].text)
            cells = f'<td colspan="{len(names)}" class="none">{escape(none)}</td>'
        else:
            cells = "".join(f"<td>{_value(c)}</td>" for c in row.cells)
        css = ' class="differs"' if row.differs and not row.unknown else ""
        body.append(f'<tr{css}><th scope="row">{_label(row)}</th>{cells}</tr>')
        if row.note:  # how well the sources cover it, under the row, across every column
            body.append(f'<tr><td></td><td colspan="{len(names)}" class="note">{escape(row.note)}</td></tr>')
    caption = ngettext(
        "{n} facility. Every fact is as the sources state it, with its date: call to confirm.",
        "{n} facilities side by side. Rows marked ≠ differ between them. Every fact is as the sources state it, "
        "with its date: call to confirm.",
        len(names),
    ).format(n=number(len(names)))
    fact = _("Fact")
    return (
        f'{CSS}<table class="cmp"><caption>{escape(caption)}</caption>'
        f'<thead><tr><th scope="col"><span class="sr">{escape(fact)}</span></th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def card_html(comparison: Comparison, index: int) -> str:
    """One facility of the comparison as a card (a phone's comparison: cards one under the other)."""
    name = comparison.row("name").cells[index].text
    facts = []
    for row in comparison.rows:
        if row.key == "name":
            continue
        css = ' class="differs"' if row.differs and not row.unknown else ""
        note = f'<dd class="note">{escape(row.note)}</dd>' if row.note else ""
        facts.append(f"<div{css}><dt>{_label(row)}</dt><dd>{_value(row.cells[index])}</dd>{note}</div>")
    return f'{CSS}<div class="card"><h3>{escape(name)}</h3><dl>{"".join(facts)}</dl></div>'


def shortlist_frame(comparison: Comparison) -> pd.DataFrame:
    """The shortlist as a result frame (storage columns, with ``distance_miles`` when there is a place),
    for the downloads every search has."""
    frame = pd.DataFrame([r.to_row() for r in comparison.records])
    if comparison.center is not None and len(frame):
        frame.insert(1, "distance_miles", comparison.distances)
    return frame
