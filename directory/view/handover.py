"""Handing a shortlist over: a printed sheet in three formats, a text message and an e-mail.

* :func:`sheet_html` — the referral sheet: ``line`` (one line per place: name, phone, address),
  ``summary`` (name, phone, address, treatment types, payment) or ``full`` (every row of the
  comparison), optionally in large print; it prints cleanly (a place is never split across pages in
  the summary and full formats), with the date, "call to confirm" and the crisis lines at the end.
* :func:`sms_url` and :func:`mailto_url` — ``sms:`` and ``mailto:`` links whose body carries the
  names, phones and addresses and the shortlist's link, as plain text. Every part is percent-encoded,
  and text from the data is made plain first (line breaks and bidirectional overrides dropped), so a
  name with a newline, ``%0A`` or ``&cc=`` stays inside the body: no header, no recipient can be
  added. A text message is kept within :data:`SMS_LIMIT` characters: the link is kept, addresses go
  first, and the message says so.

Nothing here records who the list is for: the shortlist lives in the link and the session only.
"""

from __future__ import annotations

import urllib.parse
from datetime import date

from ..core.crisis import HELPLINE_NUMBER, crisis_lines, helpline_name
from ..core.i18n import N_, _, day, lang, ngettext, number
from .compare import Comparison
from .text import html_escape as escape
from .text import plain

#: The sheet's formats, with how the app names them.
FORMATS = {
    "line": N_("One line per place"),
    "summary": N_("Summary (phone, address, treatment, payment)"),
    "full": N_("Full profile (every fact compared)"),
}
#: Rows of the comparison the summary format prints (besides the name).
SUMMARY_ROWS = ("drive", "phone", "intake", "availability", "address", "treatment", "payment")
#: A text message's body is kept within this many characters (longer ones arrive split, or not at all).
SMS_LIMIT = 1000
#: An e-mail link's body is kept within this many characters (mail programs cut longer links).
MAILTO_LIMIT = 1800
TITLE = N_("Treatment options")
CONFIRM = N_("Call before going: hours, intake and insurance change.")


def format_label(fmt: str) -> str:
    """How the app names a sheet format, in the current language."""
    return _(FORMATS[fmt])


_CSS = """
body { font: 11pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #111; margin: 2em; }
body.large { font-size: 16pt; }
h1 { font-size: 1.5em; margin: 0 0 .2em; } .sub { color: #333; margin: 0 0 1em; }
ol { padding-left: 1.4em; } li.place { margin: 0 0 .9em; break-inside: avoid; page-break-inside: avoid; }
.name { font-weight: 700; }
dl { margin: .3em 0 0; display: grid; grid-template-columns: max-content 1fr; gap: .1em .8em; }
dt { color: #333; } dd { margin: 0; } .line .place { margin: 0 0 .4em; }
.end { margin-top: 1.2em; break-inside: avoid; page-break-inside: avoid; }
.crisis { padding: .7em 1em; border: 2px solid #b00020; border-radius: 6px; margin-top: .6em; }
.crisis p, .end p { margin: .2em 0; } .foot { margin-top: 1em; font-size: .8em; color: #444; }
.noprint { margin-bottom: 1em; }
@media print { body { margin: 0; } .noprint { display: none; } a { color: inherit; text-decoration: none; } }
@page { margin: 1.5cm; }
"""


def today_text(today: date | None = None) -> str:
    """The date as printed on a sheet: ``5 Dec 2026``."""
    return day(today or date.today())


def sheet_html(
    comparison: Comparison,
    fmt: str = "summary",
    *,
    large: bool = False,
    today: date | None = None,
    link: str = "",
    print_on_load: bool = False,
    attribution: str = "",
) -> str:
    """The referral sheet of a shortlist as a printable HTML page (see the module docstring). Every text
    from the data or the link is HTML-escaped; the only links are the comparison's own (``tel:``, the
    validated website, directions)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")  # a programming error
    keys = [r.key for r in comparison.rows if r.key != "name"]
    shown = {"line": ("phone", "address"), "summary": SUMMARY_ROWS, "full": tuple(keys)}[fmt]
    rows = [r for r in comparison.rows if r.key in shown]
    names = comparison.row("name").cells
    places = []
    for i, name in enumerate(names):
        if fmt == "line":
            parts = [_cell(r.cells[i]) for r in rows if r.cells[i].listed]
            places.append(
                f'<li class="place"><span class="name">{escape(name.text)}</span> — ' + " — ".join(parts) + "</li>"
            )
            continue
        facts = "".join(
            f"<dt>{escape(r.label)}</dt><dd>{_cell(r.cells[i])}</dd>"
            for r in rows
            if not (r.key == "intake" and not r.cells[i].listed)
        )
        places.append(f'<li class="place"><div class="name">{escape(name.text)}</div><dl>{facts}</dl></li>')
    crisis = "".join(f"<p><strong>{escape(who)}:</strong> {escape(what)}</p>" for who, what, _link in crisis_lines())
    count = ngettext("{n} place", "{n} places", len(names)).format(n=number(len(names)))
    if comparison.center:
        count = _("{places} near {place}").format(places=count, place=comparison.center.label)
    helpline = _("Where no phone is listed, {helpline} answers at {number} (free, confidential, 24/7).").format(
        helpline=helpline_name(), number=HELPLINE_NUMBER
    )
    title, confirm, print_word = _(TITLE), _(CONFIRM), _("Print this sheet")
    sub = _("{count} · printed {date}").format(count=count, date=today_text(today))
    online = _("This list online: {link}").format(link=link)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang()}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f'<body class="{"large" if large else "normal"} {fmt}">\n'
        f'<p class="noprint"><button onclick="window.print()">{escape(print_word)}</button></p>\n'
        + (
            '<script>window.addEventListener("load", function () { window.print(); });</script>\n'
            if print_on_load
            else ""
        )
        + f"<h1>{escape(title)}</h1>\n"
        f'<p class="sub">{escape(sub)}</p>\n'
        f'<ol class="{fmt}">' + "\n".join(places) + "</ol>\n"
        f'<div class="end"><p><strong>{escape(confirm)}</strong> {escape(helpline)}</p>'
        f'<div class="crisis">{crisis}</div></div>\n'
        + (f'<p class="foot">{escape(online)}</p>\n' if link else "")
        + (f'<p class="foot">{escape(attribution)}</p>\n' if attribution else "")
        + "</body></html>\n"
    )


def _cell(cell) -> str:
    text = escape(cell.text)
    if cell.link and cell.link.startswith(("tel:", "https://", "http://")):
        return f'<a href="{escape(cell.link, quote=True)}">{text}</a>'
    return text


def message_text(comparison: Comparison, *, link: str = "", today: date | None = None, limit: int | None = None) -> str:
    """The shortlist as plain text: a line per place (name, phone, address), "call to confirm", 988 and
    the link. Within ``limit`` characters: addresses are left out first (saying so), then the later
    places' lines are cut short; the link is always kept.

    >>> from directory import open_store
    >>> from directory.view.compare import compare
    >>> from directory.search import Query
    >>> store = open_store()
    >>> c = compare(store, store.search(Query(near="Tampa, FL", services=("detox",))).ids[:2])
    >>> print(message_text(c, link="https://example.org/?shortlist=x", today=date(2026, 12, 5)).splitlines()[0])
    Treatment options, 5 Dec 2026:
    """
    names = [plain(c.text) for c in comparison.row("name").cells]
    phones = [
        plain(c.text) if c.listed else _("no phone listed (helpline {number})").format(number=HELPLINE_NUMBER)
        for c in comparison.row("phone").cells
    ]
    addresses = [plain(c.text) for c in comparison.row("address").cells]
    # The provider's word with its age, where there is a report (the place's line says it after the phone).
    said = [plain(c.text) if c.listed else "" for c in comparison.row("availability").cells]
    phones = [f"{p} ({s})" if s else p for p, s in zip(phones, said, strict=True)]
    if comparison.drive is not None:  # "about 12 min by car" before the phone, where there is a route
        trips = [c.text if c.listed else "" for c in comparison.row("drive").cells]
        phones = [f"{t} — {p}" if t else p for t, p in zip(trips, phones, strict=True)]
    head = _("{title}, {date}:").format(title=_(TITLE), date=today_text(today))
    tail = [
        _(CONFIRM),
        _("Crisis: call or text 988."),
        *([_("List: {link}").format(link=plain(link))] if link else []),
    ]

    note = _("(Addresses left out to keep this message short: they are on the list's link.)")

    def places(with_addresses: bool, width: int | None = None) -> list[str]:
        lines = []
        for i, (name, phone) in enumerate(zip(names, phones, strict=True), 1):
            end = f" — {phone}" + (f" — {addresses[i - 1]}" if with_addresses else "")
            if width is not None and len(f"{i}. {name}{end}") > width:
                name = name[: max(width - len(f"{i}. …{end}"), 8)] + "…"
            lines.append(f"{i}. {name}{end}")
        return lines

    text = "\n".join([head, *places(True), *tail])
    if limit is None or len(text) <= limit:
        return text
    # Too long: addresses go first (saying so), then long names are cut; the tail (the link) stays whole.
    fixed = [head, note, *tail]
    budget = limit - sum(len(x) + 1 for x in fixed)
    lines = places(False)
    if sum(len(x) + 1 for x in lines) > budget:
        lines = places(False, width=max(budget // max(len(names), 1) - 1, 20))
    body = "\n".join(lines)[: max(budget - 1, 0)]
    return "\n".join([head, body, note, *tail])


def sms_url(comparison: Comparison, *, link: str = "", today: date | None = None) -> str:
    """An ``sms:`` link with the shortlist in its body (``sms:?&body=`` opens a new message on iOS and
    Android alike), at most :data:`SMS_LIMIT` characters of text."""
    body = message_text(comparison, link=link, today=today, limit=SMS_LIMIT)
    return "sms:?&body=" + urllib.parse.quote(body, safe="")


def mailto_url(comparison: Comparison, *, link: str = "", today: date | None = None) -> str:
    """A ``mailto:`` link with a subject and the shortlist as its body; no recipient (the person types
    one), and nothing from the data can add a header or a recipient."""
    n = len(comparison.records)
    subject = _("{title}: {places}").format(
        title=_(TITLE), places=ngettext("{n} place", "{n} places", n).format(n=number(n))
    )
    body = message_text(comparison, link=link, today=today, limit=MAILTO_LIMIT)
    return f"mailto:?subject={urllib.parse.quote(subject, safe='')}&body={urllib.parse.quote(body, safe='')}"
