"""Entity resolution: which records of different sources are one treatment site.

=================  ==================================================================
:mod:`.address`    street addresses as the linker compares them
:mod:`.rules`      the match rules (:func:`compare`) and duplicates within a source
:mod:`.assign`     one-to-one assignment per source, and the merge policy
=================  ==================================================================
"""

from .address import (
    Address,
    address_key,
    house_number,
    nearby_number,
    parse_address,
    same_address,
    same_street_words,
    units,
    units_conflict,
)
from .assign import SiteIndex, block_keys, link_sources, merge
from .rules import (
    DUPLICATE_METRES,
    DUPLICATE_NAME,
    MAX_METRES,
    NEAR_METRES,
    NEAR_NAME,
    PROGRAMS_DIFFER,
    SAME_ADDRESS_NAME,
    SHARED_WORDS,
    Verdict,
    Words,
    acronym_match,
    compare,
    duplicate_pairs,
    full_name,
    is_duplicate,
    metres,
    name_score,
    near_identical,
    numbers_differ,
    programs_differ,
)

__all__ = [
    "DUPLICATE_METRES",
    "DUPLICATE_NAME",
    "MAX_METRES",
    "NEAR_METRES",
    "NEAR_NAME",
    "PROGRAMS_DIFFER",
    "SAME_ADDRESS_NAME",
    "SHARED_WORDS",
    "Address",
    "SiteIndex",
    "Verdict",
    "Words",
    "acronym_match",
    "address_key",
    "block_keys",
    "compare",
    "duplicate_pairs",
    "full_name",
    "house_number",
    "is_duplicate",
    "link_sources",
    "merge",
    "metres",
    "name_score",
    "near_identical",
    "nearby_number",
    "numbers_differ",
    "parse_address",
    "programs_differ",
    "same_address",
    "same_street_words",
    "units",
    "units_conflict",
]
