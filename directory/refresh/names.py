"""FindTreatment.gov service names → SAMHSA code-book codes.

The locator's JSON lists services by name (``{"f1": category, "f2": category code, "f3": "name;
name"}``), and its names drift from the 2021 code book ("State Substance use treatment agency"
for "State Substance Abuse agency"). A name maps through the code book's labels (within the
row's category first, then anywhere; case, punctuation and a trailing parenthesis ignored),
then through ``data/codebook/locator_aliases.csv``. A name that maps to nothing is returned as
such and counted by the caller, never dropped silently.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from .. import paths
from ..taxonomy import Taxonomy

ALIASES = paths.CODEBOOK_DIR / "locator_aliases.csv"
_PAREN = re.compile(r"\s*\([^)]*\)\s*$")
_WORDS = re.compile(r"[^a-z0-9]+")


def key(name: str) -> str:
    """A matching key: lower case, punctuation as spaces, a trailing parenthesis dropped.

    >>> key("Sliding fee scale (fee is based on income and other factors)") == key("Sliding Fee Scale")
    True
    """
    return " ".join(_WORDS.sub(" ", _PAREN.sub("", name).lower()).split())


class ServiceNames:
    """Looks up locator service names; see the module docstring."""

    def __init__(self, taxonomy: Taxonomy, aliases: Path | None = None) -> None:
        self.by_category: dict[tuple[str, str], str] = {}
        self.by_name: dict[str, str] = {}
        for code in sorted(taxonomy.services):
            service = taxonomy.services[code]
            if not service.known:
                continue
            for text in (service.label, _PAREN.sub("", service.label)):
                self.by_category.setdefault((service.category_code.upper(), key(text)), code)
                self.by_name.setdefault(key(text), code)
        with (aliases or ALIASES).open(encoding="utf-8", newline="") as fh:
            self.aliases = {key(row["name"]): row["code"] for row in csv.DictReader(fh)}

    def code(self, name: str, category: str = "") -> str | None:
        """The code a service name stands for, or None."""
        k = key(name)
        return self.by_category.get((category.upper(), k)) or self.aliases.get(k) or self.by_name.get(k)
