"""The service vocabulary: SAMHSA codes, their labels and categories, and friendly groups.

Vocabulary is data. Labels come, in order of precedence, from

1. ``samhsa_locator_service_codes_2023.csv`` — the locator's code book of 2023 (the "service code
   reference" sheet of a FindTreatment.gov download, mental-health codes included): names,
   descriptions and whether a code belongs to substance-use or mental-health listings;
   ``samhsa_locator_service_codes_2021.csv`` — SAMHSA's 2021 book, for the codes 2023 lacks, and
   its older names kept as aliases (so sources that use them still map);
2. ``supplement_codes.csv`` — codes the book lacks, with the label the current
   FindTreatment.gov locator shows for them (or the 2017 legend, cleaned by hand),
   each row naming its ``label_source``;
3. ``nssats_directory_legend_2017.json`` — the 2017 directory legend, cleaned of
   its PDF artefacts, only for codes neither of the above has;
4. ``unlabelled_codes.csv`` — codes seen in a shipped source for which no public
   label was found: kept, labelled as unknown, acknowledged one by one.

Labels in other languages are data too: ``vocabulary_<lang>.csv`` (``kind``, ``key``, ``label``,
``description``, ``source``) gives each group, category and service its label — and each service what it
means — in that language, with where the term comes from (a SAMHSA, 988 or HHS publication, or "our
translation"). :attr:`Service.label`, :attr:`Service.category`, :attr:`Service.description` and
:attr:`Group.label` read in the current language (:mod:`directory.core.i18n`); ``label_en`` and the other
``*_en`` fields are the code book's own English.

Friendly groups (``groups.csv``) map a name such as ``detox`` or ``medicaid`` to
codes; in a group's ``includes``, ``@name`` pulls in another group, ``%CAT`` every labelled
code of a code-book category (``%AIL``: the American Indian or Alaska Native languages) and
``-code`` leaves a code out.

>>> tax = Taxonomy.load()
>>> tax.label("dt")
'Detoxification'
>>> "bu" in tax.group("mat").codes
True
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process

from . import i18n, paths
from .errors import UnknownNameError

#: A token shaped like a service code (the 2015 directory's PDF text adds words such as "Methadone").
_CODE_SHAPE = re.compile(r"^[a-z][a-z0-9]{0,9}$")
_UPPER_CODE_SHAPE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")

# PDF ligature and punctuation glyphs seen in the 2017 legend, and what they stood for.
_GLYPHS = {"˝": "fi", "˙": "ff", "˜": "Th", "ˆ": "ft", "˚": "Q", "™": "'", "Š": "—"}
# Two entries the PDF run together ("EdoF25, Farsi"): label, next code, next label.
_MERGED = re.compile(r"^(?P<label>.+?)(?P<code>[FN]\d+), (?P<next>.+)$")
# Legend keys that are line-wrap debris, not codes ("AIDS": "or, hepatitis").
_LEGEND_DEBRIS = {"AIDS"}
# Categories for legend-only codes, by what the legend's own sections say they are.
_LEGEND_CATEGORIES = {
    "SAF": ("FF", "Facility focus (2017 directory)"),
    "MHF": ("FF", "Facility focus (2017 directory)"),
    "MHSAF": ("FF", "Facility focus (2017 directory)"),
    "GHF": ("FF", "Facility focus (2017 directory)"),
    "PVT": ("FOP", "Facility Operation (e.g., Private, Public)"),
    "BM": ("OT", "Type of Opioid Treatment"),
}
_LANGUAGE = re.compile(r"^(?P<kind>[FN])(?P<num>\d+)$")
_LANGUAGE_CATEGORIES = {
    "F": ("OL", "Other Languages"),
    "N": ("AIL", "American Indian or Alaskan Native Languages"),
}


def clean_legend_label(label: str) -> str:
    """Undo the 2017 legend's PDF artefacts.

    >>> clean_legend_label("Buprenorphine, detoxi˝cation")
    'Buprenorphine detoxification'
    >>> clean_legend_label("Lesbian,, gay,, bisexual,, or, transgender, (LGBT)")
    'Lesbian, gay, bisexual, or transgender (LGBT)'
    >>> clean_legend_label("Local, county, or community government")
    'Local, county, or community government'
    """
    for glyph, text in _GLYPHS.items():
        label = label.replace(glyph, text)
    parts = label.split(", ")
    # The PDF extractor put ", " between every word of some labels; a real list
    # has at least one multi-word item, so only all-single-word splits are undone.
    if len(parts) > 1 and all(" " not in part for part in parts):
        label = " ".join(parts)
    return re.sub(r"\s+", " ", label).strip()


#: The vocabulary files' columns.
VOCABULARY_COLUMNS = ("kind", "key", "label", "description", "source")
#: What a vocabulary row names.
VOCABULARY_KINDS = ("group", "category", "service", "source")


@lru_cache(maxsize=8)
def vocabulary(lang: str, folder: Path | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """``(kind, key)`` → the row of ``vocabulary_<lang>.csv`` ({} for English, the code book's own)."""
    if lang == i18n.DEFAULT:
        return {}
    path = (folder or paths.CODEBOOK_DIR) / f"vocabulary_{lang}.csv"
    return {(r["kind"], r["key"]): r for r in _read_csv(path)}


def localized(kind: str, key: str, english: str, column: str = "label") -> str:
    language = i18n.lang()
    if language == i18n.DEFAULT:
        return english
    row = vocabulary(language).get((kind, key))
    return row[column] if row and row[column] else english


@dataclass(frozen=True)
class Service:
    """One service code with its label and category (in English; the properties read in the current
    language)."""

    code: str
    label_en: str
    category_code: str
    category_en: str
    description_en: str = ""
    label_source: str = "codebook-2021"
    #: Other names the code has had (the 2021 book's, where 2023 renamed it).
    aliases: tuple[str, ...] = ()
    #: Which listings the 2023 book says the code belongs to: "sa" (substance use only), "mh" (mental
    #: health only), "both", or "" where it does not say.
    scope: str = ""

    @property
    def known(self) -> bool:
        """True when a public label exists for the code."""
        return self.label_source not in ("unlabelled", "unknown")

    @property
    def label(self) -> str:
        return localized("service", self.code, self.label_en)

    @property
    def category(self) -> str:
        return localized("category", self.category_code, self.category_en)

    @property
    def description(self) -> str:
        return localized("service", self.code, self.description_en, "description")


@dataclass(frozen=True)
class Group:
    """A friendly name for a set of codes (``detox`` → dt, hid, od …)."""

    family: str
    name: str
    label_en: str
    codes: frozenset[str]

    @property
    def label(self) -> str:
        """The label in the current language (a raw code's group reads as its service)."""
        if self.family == "code" or self.name not in _group_names():
            return localized("service", self.name, self.label_en)
        return localized("group", self.name, self.label_en)


@lru_cache(maxsize=1)
def _group_names() -> frozenset[str]:
    return frozenset(r["group"] for r in _read_csv(paths.CODEBOOK_DIR / "groups.csv"))


class Taxonomy:
    """Codes, labels, categories and friendly groups, loaded from the code-book folder."""

    def __init__(self, services: dict[str, Service], groups: dict[str, Group]) -> None:
        self.services = services
        self.groups = groups

    # -- loading -----------------------------------------------------------------
    @classmethod
    def load(cls, folder: Path | None = None) -> Taxonomy:
        """Load the vocabulary from ``folder`` (default: ``data/codebook``); cached per folder."""
        return _load(Path(folder) if folder else paths.CODEBOOK_DIR)

    # -- lookups -------------------------------------------------------------------
    def get(self, code: str) -> Service:
        """The :class:`Service` for ``code``; an unknown code gets an explicit 'unknown' entry."""
        code = code.lower()
        found = self.services.get(code)
        if found is not None:
            return found
        fallback = language_fallback(code)
        if fallback is not None:
            return fallback
        return Service(code, f"Unknown code {code.upper()}", "UNK", "Unknown", "", "unknown")

    def label(self, code: str) -> str:
        return self.get(code).label

    def is_known(self, code: str) -> bool:
        """True when the code is in the vocabulary with a public label."""
        service = self.services.get(code.lower())
        return service is not None and service.known

    def in_vocabulary(self, code: str) -> bool:
        """True when the code is in the vocabulary at all: labelled, a language code, or acknowledged as unlabelled."""
        return code.lower() in self.services or language_fallback(code) is not None

    @staticmethod
    def looks_like_code(token: str, *, upper: bool = False) -> bool:
        """True for tokens shaped like a directory code (``SAF``, ``f48``), false for words (``Methadone``).

        ``upper=True`` accepts only upper-case codes, as printed in the N-SSATS directory,
        so that stray words such as ``and`` are not mistaken for codes.
        """
        if upper:
            return bool(_UPPER_CODE_SHAPE.match(token))
        return bool(_UPPER_CODE_SHAPE.match(token) or _CODE_SHAPE.match(token))

    def group(self, name: str) -> Group:
        """The group called ``name``; raises :class:`UnknownNameError` with close names."""
        key = name.strip().lower().replace("_", "-").replace(" ", "-")
        if key in self.groups:
            return self.groups[key]
        raise UnknownNameError("group", name, _close(key, self.groups))

    def groups_in(self, family: str) -> list[Group]:
        """The groups of a family, in ``groups.csv`` order; ``KeyError`` for a family it has none of
        (a misspelt family would otherwise count nothing, silently)."""
        found = [g for g in self.groups.values() if g.family == family]
        if not found:
            raise KeyError(f"no group family {family!r} in the code book (families: {', '.join(self.families())})")
        return found

    def family_codes(self, family: str) -> frozenset[str]:
        """Every code of a family's groups: a site with any of them lists something in it.

        >>> "jc" in Taxonomy.load().family_codes("accreditation")
        True
        """
        return frozenset().union(*(g.codes for g in self.groups_in(family)))

    def families(self) -> list[str]:
        """The group families, in the order ``groups.csv`` first uses them."""
        return list(dict.fromkeys(g.family for g in self.groups.values()))

    def resolve(self, name: str, family: str | None = None) -> Group:
        """Resolve a friendly group name, or a raw code, to a :class:`Group`.

        ``family`` restricts group names to one family (``"payment"``); raw codes
        are accepted in any family. Unknown names raise with suggestions.
        """
        key = name.strip().lower().replace("_", "-").replace(" ", "-")
        group = self.groups.get(key)
        if group is not None and (family is None or group.family == family):
            return group
        if key in self.services:
            service = self.services[key]
            return Group(family or "code", key, service.label_en, frozenset({key}))
        choices = [g.name for g in self.groups.values() if family is None or g.family == family]
        kind = f"{family} name" if family else "service name or code"
        raise UnknownNameError(kind, name, _close(key, choices))

    def categories(self) -> dict[str, str]:
        """Category code → category name (in the current language), in code-book order."""
        return {s.category_code: s.category for s in self.services.values()}


def _close(name: str, choices: Iterable[str]) -> list[str]:
    return [c for c, score, _ in process.extract(name, list(choices), limit=3) if score >= 60]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


#: The 2023 book's Y/N columns → :attr:`Service.scope`.
_SCOPES = {("Y", "N"): "sa", ("N", "Y"): "mh", ("Y", "Y"): "both"}


@lru_cache(maxsize=4)
def _load(folder: Path) -> Taxonomy:
    services: dict[str, Service] = {}
    for row in _read_csv(folder / "samhsa_locator_service_codes_2023.csv"):
        code = row["service_code"].lower()
        services[code] = Service(
            code,
            row["service_name"].strip(),
            row["category_code"],
            row["category_name"],
            row["service_description"].strip(),
            "codebook-2023",
            scope=_SCOPES.get((row["sa_code"], row["mh_code"]), ""),
        )
    for row in _read_csv(folder / "samhsa_locator_service_codes_2021.csv"):
        if not row["service_name"]:
            continue  # four codes the book lists without a label: filled below
        code = row["service_code"].lower()
        name, description = row["service_name"].strip(), row["service_description"].strip()
        newer = services.get(code)
        if newer is not None:  # 2023 names it: the 2021 name is an alias, its description a fallback
            aliases = (name,) if name.lower() != newer.label_en.lower() else ()
            services[code] = replace(newer, aliases=aliases, description_en=newer.description_en or description)
            continue
        services[code] = Service(code, name, row["category_code"], row["category_name"], description, "codebook-2021")
    for row in _read_csv(folder / "supplement_codes.csv"):
        code = row["service_code"].lower()
        services.setdefault(
            code,
            Service(
                code,
                row["service_name"],
                row["category_code"],
                row["category_name"],
                "",
                row["label_source"],
            ),
        )
    legend = json.loads((folder / "nssats_directory_legend_2017.json").read_text(encoding="utf-8"))
    for code, label in _legend_entries(legend):
        if code.lower() in services:
            continue
        lang = _LANGUAGE.match(code)
        if lang:
            cat_code, cat = _LANGUAGE_CATEGORIES[lang["kind"]]
        else:
            cat_code, cat = _LEGEND_CATEGORIES.get(code, ("LEG", "Other (2017 directory legend)"))
        services[code.lower()] = Service(code.lower(), label, cat_code, cat, "", "legend-2017")
    for row in _read_csv(folder / "unlabelled_codes.csv"):
        code = row["service_code"].lower()
        services.setdefault(
            code,
            Service(
                code,
                f"Unlabelled code {code.upper()}",
                row["category_code"],
                row["category_name"],
                row["note"],
                "unlabelled",
            ),
        )
    return Taxonomy(services, _load_groups(folder / "groups.csv", services))


def _legend_entries(legend: dict[str, str]) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    for code, label in legend.items():
        if code in _LEGEND_DEBRIS:
            continue
        merged = _MERGED.match(label)
        if merged and _LANGUAGE.match(code):
            entries.append((code, clean_legend_label(merged["label"])))
            entries.append((merged["code"], clean_legend_label(merged["next"])))
        else:
            entries.append((code, clean_legend_label(label)))
    return entries


def language_fallback(code: str) -> Service | None:
    """A language code (``F16``) missing from every legend gets a pattern label, not silence."""
    lang = _LANGUAGE.match(code.upper())
    if not lang:
        return None
    cat_code, cat = _LANGUAGE_CATEGORIES[lang["kind"]]
    return Service(
        code.lower(), f"Language code {code.upper()} (name not in the 2017 legend)", cat_code, cat, "", "pattern"
    )


def _load_groups(path: Path, services: dict[str, Service]) -> dict[str, Group]:
    rows = _read_csv(path)
    raw = {r["group"]: r for r in rows}
    resolved: dict[str, frozenset[str]] = {}

    def expand(name: str, seen: tuple[str, ...] = ()) -> frozenset[str]:
        if name in resolved:
            return resolved[name]
        if name in seen:
            raise ValueError(f"{path}: group {name!r} includes itself")
        codes: set[str] = set()
        left_out: set[str] = set()
        for item in raw[name]["includes"].split(";"):
            item = item.strip()
            if item.startswith("@"):
                codes |= expand(item[1:].lower(), seen + (name,))
            elif item.startswith("%"):
                category = {c for c, s in services.items() if s.category_code == item[1:] and s.known}
                if not category:
                    raise ValueError(f"{path}: group {name!r} names category {item[1:]!r}, which has no codes")
                codes |= category
            elif item.startswith("-"):
                left_out.add(item[1:].lower())
            elif item:
                item = item.lower()
                if item not in services:
                    raise ValueError(f"{path}: group {name!r} names code {item!r}, which has no label")
                codes.add(item)
        resolved[name] = frozenset(codes - left_out)
        return resolved[name]

    return {r["group"]: Group(r["family"], r["group"], r["label"], expand(r["group"])) for r in rows}


@lru_cache(maxsize=200_000)
def groups_of(taxonomy: Taxonomy, codes: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """Which of the groups ``names`` a record with these ``;``-separated codes belongs to, in that order.

    >>> groups_of(Taxonomy.load(), "dt;sa", ("detox", "mat"))
    ('detox',)
    """
    have = set(codes.split(";"))
    return tuple(name for name in names if taxonomy.group(name).codes & have)
