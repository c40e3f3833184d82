"""Interface languages: every word a person reads comes from a message catalog, in the language of the
person it is for.

The catalogs are gettext ``.po`` files, one per language, in ``directory/locale/<lang>/LC_MESSAGES/
messages.po`` (English, the source language, needs none). They are compiled with Babel the first time
a language is used in a process (no compiled file is kept in the tree). :func:`extract` finds every
translatable string in the code: the argument of :func:`_` (a literal: never an f-string), the
singular and plural of :func:`ngettext`, and :func:`N_`, which marks a string kept in a constant and
translated where it is shown (``_(NOT_LISTED)``).

**One translator per person, never per process.** The language is a :mod:`contextvars` variable:
:func:`using` (a ``with`` block) or :func:`activate` sets it for the current thread or task only, so
two people served at once — two Streamlit sessions, two API requests — each read their own language;
nothing is installed into builtins. Code that makes text just calls :func:`_`.

>>> with using("es"):
...     _("Treatment type"), ngettext("{n} facility", "{n} facilities", 9).format(n=number(9))
('Tipo de tratamiento', '9 centros')
>>> _("Treatment type")  # outside the block: the default, English
'Treatment type'
>>> with using("es"):
...     month(dt.date(2026, 11, 30)), day(dt.date(2026, 11, 30)), number(12345)
('nov 2026', '30 nov 2026', '12,345')

Numbers, distances and dates go through Babel for the language's locale (:func:`number`,
:func:`decimal`, :func:`percent`, :func:`month`, :func:`day`). Adding a language is a new ``.po``
file (``make messages LANG=xx`` starts it) and the vocabulary's column of labels (see
``docs/languages.md``); ``tests/test_i18n.py`` proves every listed language complete.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gettext
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

#: The languages of the interface: code → its own name (what the switch shows).
LANGUAGES = {"en": "English", "es": "Español"}
#: The locale each language formats numbers and dates in: the United States' (Spanish as written in
#: the US: 12,345 and 3.5, as HHS's Spanish pages write them).
LOCALES = {"en": "en_US", "es": "es_US"}
#: The source language (the strings in the code).
DEFAULT = "en"
#: Where the catalogs are.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: The catalog domain.
DOMAIN = "messages"
#: The functions :func:`extract` reads (Babel's keyword spec: which arguments are messages).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


@dataclass(frozen=True)
class Translator:
    """One language's catalog and locale. Immutable and shared: which one applies is the context's."""

    lang: str
    catalog: gettext.NullTranslations
    locale: Locale

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message) if message else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.catalog.pgettext(context, message)


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translator(lang: str) -> Translator:
    """The translator of ``lang`` (one of :data:`LANGUAGES`), its ``.po`` compiled on first use."""
    if lang not in LANGUAGES:
        raise ValueError(f"no interface language {lang!r}; the languages are {', '.join(LANGUAGES)}")
    if lang == DEFAULT:
        return Translator(lang, gettext.NullTranslations(), Locale.parse(LOCALES[lang]))
    with catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translator(lang, gettext.GNUTranslations(compiled), Locale.parse(LOCALES[lang]))


_current: contextvars.ContextVar[Translator | None] = contextvars.ContextVar("directory_translator", default=None)


def current() -> Translator:
    """The translator of the current context (English when none was chosen)."""
    return _current.get() or translator(DEFAULT)


def lang() -> str:
    """The current context's language code."""
    return current().lang


def activate(language: str) -> None:
    """Set the current thread's (or task's) language until it changes again: for a script run that
    draws one person's page (a Streamlit run). Elsewhere prefer :func:`using`."""
    _current.set(translator(language))


@contextlib.contextmanager
def using(language: str) -> Iterator[Translator]:
    """Text made in this block is in ``language``; the language before it is restored after."""
    token = _current.set(translator(language))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """``message`` in the current language (the message itself in English or when untranslated)."""
    return current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or the plural of a message, by the current language's plural rule."""
    return current().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, as meant in ``context`` (one English word, two uses)."""
    return current().pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it here (a constant translated where shown)."""
    return message


# -- the locale's numbers and dates -------------------------------------------------------------------


def number(n: int) -> str:
    """``12,345`` (the US groups digits so in both languages)."""
    return format_decimal(n, locale=current().locale)


def decimal(x: float, digits: int = 1) -> str:
    """``3.5``, with ``digits`` decimals."""
    return format_decimal(x, format=f"#,##0.{'0' * digits}", locale=current().locale)


def compact(x: float) -> str:
    """A radius as people say it: ``25``, ``2.5`` (no trailing zeros)."""
    return format_decimal(x, format="0.###", locale=current().locale)


def percent(share: float) -> str:
    """``61 %`` (a space before the sign in both languages: the directory's habit, and Spanish usage)."""
    text = format_percent(share, format="#,##0%", locale=current().locale)
    return re.sub(r"\s*%", " %", text)


def month(when: dt.date) -> str:
    """``Nov 2026`` / ``nov 2026``."""
    return _dated(current().lang, when, "MMM y")


def day(when: dt.date) -> str:
    """``30 Nov 2026`` / ``30 nov 2026``."""
    return _dated(current().lang, when, "d MMM y")


@functools.lru_cache(maxsize=8192)
def _dated(language: str, when: dt.date, pattern: str) -> str:
    """A date in a language's words (Babel takes some 50 µs; a list repeats a few dates many times)."""
    return format_date(when, pattern, locale=translator(language).locale).replace(".", "")


def negotiate(*preferences: str | None) -> str:
    """The first interface language among ``preferences`` (``lang`` values, browser locales such as
    ``es-US``, or ``Accept-Language`` headers), else :data:`DEFAULT`.

    >>> negotiate(None, "es-US,es;q=0.9,en;q=0.8"), negotiate("fr-FR"), negotiate("en-GB", "es")
    ('es', 'en', 'en')
    """
    for preference in preferences:
        if not preference:
            continue
        ranked = []
        for i, part in enumerate(preference.split(",")):
            tag, _sep, params = part.strip().partition(";")
            quality = 1.0
            match = re.search(r"q=([0-9.]+)", params)
            if match:
                with contextlib.suppress(ValueError):
                    quality = float(match.group(1))
            ranked.append((-quality, i, tag.strip().lower().replace("_", "-").split("-")[0]))
        for _q, _i, code in sorted(ranked):
            if code in LANGUAGES:
                return code
    return DEFAULT


# -- the catalog: what the code asks to translate -------------------------------------------------------

#: Where :func:`extract` looks: the library, the app and its screens.
SOURCES = ("directory", "app.py", "screens")


def source_files(root: Path | None = None) -> list[Path]:
    """Every Python file whose strings a person may read (:data:`SOURCES`), in a stable order."""
    root = root or LOCALE_DIR.parent.parent
    files: list[Path] = []
    for source in SOURCES:
        path = root / source
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def extract(root: Path | None = None):
    """Every translatable string of the code, as a Babel catalog (the template of every language)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    root = root or LOCALE_DIR.parent.parent
    template = Catalog(project="treatment-directory", domain=DOMAIN, charset="utf-8")
    for path in source_files(root):
        relative = path.relative_to(root).as_posix()
        for lineno, message, comments, context in extract_from_file(
            "python", str(path), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            template.add(message, None, [(relative, lineno)], auto_comments=comments, context=context)
    return template


def update(root: Path | None = None) -> dict[str, int]:
    """Bring every language's ``.po`` up to the code (``make messages``): new strings are added
    untranslated, strings the code no longer has are dropped, translations are kept. Returns, per
    language, how many entries still need a translation."""
    from babel.messages.pofile import write_po

    from .tables import atomic_writer

    template = extract(root)
    missing = {}
    for language in LANGUAGES:
        if language == DEFAULT:
            continue
        path = catalog_path(language)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=language, domain=DOMAIN)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=language, domain=DOMAIN, project="treatment-directory", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path, "wb") as fh:
            write_po(fh, catalog, width=120, include_previous=False, include_lineno=False)
        missing[language] = sum(1 for m in catalog if m.id and not all(_forms(m.string)))
    return missing


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


def main() -> None:
    """``make messages``: update the catalogs and say what is left to translate."""
    for language, count in update().items():
        print(f"{catalog_path(language)}: {count} entries to translate")
