"""Text that is safe to render, and the only links a screen makes (website, phone, directions)."""

from __future__ import annotations

import html
import re
import urllib.parse

from ..core.normalize import phones


def website_url(text: object) -> str | None:
    """A clickable URL for a website field (scheme added), or None; only http(s).

    >>> website_url("www.example.org"), website_url("javascript:alert(1)"), website_url("")
    ('https://www.example.org', None, None)
    """
    value = str(text or "").strip()
    if not value:
        return None
    if not re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I):
        if ":" in value.split("/")[0] and not re.match(r"^[\w.-]+:\d+", value):
            return None
        value = "https://" + value
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        return None
    return value


def tel_url(phone: object) -> str | None:
    """``tel:+18135550100`` for a US phone number (extension kept as ``;ext=``), else None.

    >>> tel_url("813-555-0100 x12")
    'tel:+18135550100;ext=12'
    """
    found = phones(str(phone or ""))
    if not found:
        return None
    number, _, ext = found[0].partition(" x")
    return f"tel:+1{number.replace('-', '')}" + (f";ext={ext}" if ext.strip("0") else "")


#: The federal locator: its facility page (the front end's ``/details/:providerId`` route, CBHSQ/findtreatment)
#: and its search (``sAddr`` as its API takes it).
FINDTREATMENT = "https://findtreatment.gov"
_LOCATOR_ID = re.compile(r"^[0-9a-f]{64}$")


def findtreatment_url(latitude: float, longitude: float, locator_id: str = "") -> str:
    """A fixed link to FindTreatment.gov built from validated parts only: the facility's page when its
    locator id (64 hex digits, from a refresh) is known, else the locator's search at its point.

    >>> findtreatment_url(27.95, -82.46)
    'https://findtreatment.gov/locator?sAddr=27.95000%2C-82.46000'
    >>> findtreatment_url(27.95, -82.46, "x/../evil")
    'https://findtreatment.gov/locator?sAddr=27.95000%2C-82.46000'
    """
    if _LOCATOR_ID.match(locator_id or ""):
        return f"{FINDTREATMENT}/details/{locator_id}"
    return f"{FINDTREATMENT}/locator?sAddr={float(latitude):.5f}%2C{float(longitude):.5f}"


def directions_url(latitude: float, longitude: float) -> str:
    """Directions to a point on OpenStreetMap (the person enters where they start)."""
    return (
        f"https://www.openstreetmap.org/directions?route=%3B{latitude:.5f}%2C{longitude:.5f}"
        f"#map=16/{latitude:.5f}/{longitude:.5f}"
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=@/%^\"'])")
#: GitHub-flavoured markdown turns URL-, www.- and e-mail-shaped *text* into links after escapes are
#: undone; a word joiner (U+2060, invisible) inside each of those shapes keeps it text.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|xmpp|www)(?=[:.])|(@)")
_JOINER = "\u2060"
#: Bidirectional-override and invisible formatting characters: they can make text read backwards.
_BIDI = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def plain(text: object) -> str:
    r"""Facility text for a text-only place (the map's tooltips): bidi overrides and invisible
    formatting characters dropped, whitespace runs made one space.

    >>> plain("\u202eevil\u202c  text\n")
    'evil text'
    """
    return "" if text is None else re.sub(r"\s+", " ", _BIDI.sub("", str(text))).strip()


def html_escape(text: object, quote: bool = True) -> str:
    r"""Facility text for HTML (sheets, the comparison): bidi overrides and line breaks dropped, then
    HTML-escaped.

    >>> html_escape("<b>\u202eA</b>  B")
    '&lt;b&gt;A&lt;/b&gt; B'
    """
    return html.escape(plain(text), quote=quote)


def md_escape(text: object) -> str:
    """Facility text made inert for Markdown renderers (Streamlit's included): every ASCII
    punctuation character that Markdown, HTML, LaTeX (``$``) or colour directives (``:blue[``)
    could use is backslash-escaped; URL-, www.- and e-mail-shaped text gets an invisible word
    joiner so it is not auto-linked; bidi overrides are dropped; line breaks become spaces.

    >>> print(md_escape("<b>[x](javascript:1)</b> $5 :red[hi]"))
    \\<b\\>\\[x\\]\\(javascript\\:1\\)\\<\\/b\\> \\$5 \\:red\\[hi\\]
    >>> md_escape("https://x.org www.x.org a@x.org").count("\u2060")
    3
    """
    value = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + _JOINER, plain(text))
    return _MD_SPECIAL.sub(r"\\\1", value)


def md_link(text: object, url: str | None) -> str:
    """A Markdown link with escaped text and a URL with no characters that could end it early."""
    if not url:
        return md_escape(text)
    safe_url = urllib.parse.quote(url, safe=":/?#@!$&'*+,;=%~-._")
    return f"[{md_escape(text)}]({safe_url})"


#: A page component's code that sets ``<html lang>`` to the interface language (Streamlit's page says
#: "en" whatever it shows; screen readers choose their voice by it).
PAGE_LANG_JS = """export default function ({data}) {
  if (data && /^[a-z]{2}$/.test(data.lang)) document.documentElement.lang = data.lang;
  // No page of the app tells another site where a person came from (a search, a provider's link).
  let meta = document.querySelector('meta[name="referrer"]');
  if (!meta) { meta = document.createElement("meta"); meta.name = "referrer"; document.head.appendChild(meta); }
  meta.content = "no-referrer";
}
"""


def page_css() -> str:
    """The page's own style (a ``<style>`` element; the search page sends it with the crisis lines, one
    element where there were two): captions darkened to meet WCAG AA contrast (Streamlit's faded
    grey, #828180 at opacity 0.6 on white, is 3.9:1; this is 7:1), warnings' text darkened from
    Streamlit's #956b0f on #fffae5 (4.57:1, a hair above AA's 4.5) to 9:1; the crisis lines' box
    (:func:`crisis_html`) and the words under the map."""
    return (
        '<style>[data-testid="stCaptionContainer"] { color: #555555 !important; opacity: 1 !important; } '
        '[data-testid="stAlertContentWarning"] { color: #5c4108 !important; } '
        ".crisis-lines { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: 0.5rem 1rem; "
        "border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; padding: 1rem; margin-bottom: 1rem; } "
        ".crisis-lines p { margin: 0; } "
        ".map-words { font-size: 0.875rem; color: #555555; margin: 0.25rem 0 0; }</style>"
    )


def crisis_html(lines: list[tuple[str, str, str]]) -> str:
    """The crisis lines (who, what to do, a ``tel:`` link) as one HTML block: one element on the first
    screen where a box of three Markdown columns was seven (100 ms of a first load here).

    >>> crisis_html([("988 <Lifeline>", "Call or text 988", "tel:988")])[26:]
    '<p><strong>988 &lt;Lifeline&gt;</strong><br><a href="tel:988">Call or text 988</a></p></div>'
    """
    items = "".join(
        f'<p><strong>{html_escape(who)}</strong><br><a href="{html_escape(link)}">{html_escape(what)}</a></p>'
        for who, what, link in lines
    )
    return f'<div class="crisis-lines">{items}</div>'
