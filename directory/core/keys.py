"""The keys every store indexes a site by, computed from the record the same way everywhere: the words
the APIs' ``search`` reads and the date ``modified_after`` compares. They live beside the record (not in
an export format) so that both stores and both APIs share one definition.
"""

from __future__ import annotations

import re

from .taxonomy import Taxonomy, groups_of

_WORD = re.compile(r"[\w']+")


def search_text(name: str, name2: str, codes: str, city: str, state: str, taxonomy: Taxonomy) -> str:
    """What the API's ``search`` reads for a site: its name and program (the service's and the
    organization's names), its treatment types (the service's description) and its city and state,
    lower-cased, words separated by one space.

    >>> search_text("DACCO", "Detox Unit", "dt;sa", "Tampa", "FL", Taxonomy.load())
    'dacco detox unit detox tampa fl'
    """
    names = tuple(g.name for g in taxonomy.groups_in("service"))
    labels = [taxonomy.group(g).label_en for g in groups_of(taxonomy, codes, names)]
    return " ".join(_WORD.findall(" ".join((name, name2, *labels, city, state)).lower()))


def search_words(text: str) -> tuple[str, ...]:
    """The words a ``search`` asks for, each of which a site's :func:`search_text` must hold.

    >>> search_words("Detox,  TAMPA!")
    ('detox', 'tampa')
    """
    return tuple(dict.fromkeys(_WORD.findall(str(text).lower())))


def modified_key(last_listed: str, verified_on: str, details_as_of: str) -> str:
    """A site's newest date as ISO text (when a source listed it, a maintainer verified it, or a source
    stated its hours): its ``last_modified``, what ``modified_after`` compares ('' when none).

    >>> modified_key("2021-07-28", "2026-11-30", "")
    '2026-11-30'
    """
    return max((str(d)[:10] for d in (last_listed, verified_on, details_as_of) if d), default="")
