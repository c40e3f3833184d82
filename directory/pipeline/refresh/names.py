"""FindTreatment.gov service names → SAMHSA code-book codes.

The locator's JSON lists services by name (``{"f1": category, "f2": category code, "f3": "name;
name"}``), and its names drift ("State Substance use treatment agency" for the 2021 book's "State
Substance Abuse agency", "Opioids detoxification" for "Opioid Detoxification"). A name maps through
the code book's labels — the 2023 book's names and every older name kept as an alias — within the
row's category first, then anywhere (case, punctuation, slashes and a trailing parenthesis ignored),
then through ``data/codebook/locator_aliases.csv``. A name that maps to nothing is returned as
such and counted by the caller, never dropped silently.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ...core import paths
from ...core.taxonomy import Taxonomy

ALIASES = paths.CODEBOOK_DIR / "locator_aliases.csv"
_PAREN = re.compile(r"\s*\([^)]*\)\s*$")
_WORDS = re.compile(r"[^a-z0-9]+")


def key(name: str, *, parenthesis: bool = False) -> str:
    """A matching key: lower case, punctuation (slashes too) as spaces, a trailing parenthesis dropped
    unless ``parenthesis`` (it tells "Naltrexone (oral)" from "Naltrexone (extended-release, injectable)").

    >>> key("Sliding fee scale (fee is based on income and other factors)") == key("Sliding Fee Scale")
    True
    >>> key("Telemedicine / telehealth therapy") == key("Telemedicine/telehealth therapy")
    True
    >>> key("Naltrexone (oral)", parenthesis=True)
    'naltrexone oral'
    """
    return " ".join(_WORDS.sub(" ", (name if parenthesis else _PAREN.sub("", name)).lower()).split())


class ServiceNames:
    """Looks up locator service names; see the module docstring."""

    def __init__(self, taxonomy: Taxonomy, aliases: Path | None = None) -> None:
        self.by_category: dict[tuple[str, str], str] = {}
        self.by_name: dict[str, str] = {}
        # A name two codes share goes to the one the newest book names so: current labels of the 2023
        # book first, then the other labels, then older names (aliases).
        known = [taxonomy.services[c] for c in sorted(taxonomy.services) if taxonomy.services[c].known]
        passes = (
            [(s, s.label_en) for s in known if s.label_source == "codebook-2023"],
            [(s, s.label_en) for s in known if s.label_source != "codebook-2023"],
            [(s, alias) for s in known for alias in s.aliases],
        )
        # Whole names (parenthesis kept) before names without their parenthesis, in each pass.
        for parenthesis in (True, False):
            for names in passes:
                for service, text in names:
                    k = key(text, parenthesis=parenthesis)
                    self.by_category.setdefault((service.category_code.upper(), k), service.code)
                    self.by_name.setdefault(k, service.code)
        with (aliases or ALIASES).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        self.aliases = {key(r["name"], parenthesis=p): r["code"] for p in (False, True) for r in rows}

    def code(self, name: str, category: str = "") -> str | None:
        """The code a service name stands for, or None."""
        whole, k = key(name, parenthesis=True), key(name)
        cat = category.upper()
        return (
            self.by_category.get((cat, whole))
            or self.by_category.get((cat, k))
            or self.aliases.get(whole)
            or self.aliases.get(k)
            or self.by_name.get(whole)
            or self.by_name.get(k)
        )
