"""The N-SSATS national directory (parsed from SAMHSA's PDF): ``service_codes`` is a ``/``-separated list."""

from __future__ import annotations

import re

from ...core.normalize import phones
from ...core.taxonomy import Taxonomy
from .base import Adapter, Candidate, split_codes

_INTAKE = re.compile(r"intakes?\s*:", re.IGNORECASE)


class NssatsAdapter(Adapter):
    """One row per facility, three name and three address lines, phones in free text.

    Tokens in ``service_codes`` that are not shaped like codes (``Methadone``,
    ``and``, ``Only`` — words of a note the PDF parser spilled into the list) are
    reported as artefacts, not kept.
    """

    name = "nssats"
    description = "N-SSATS national directory (service_codes as a '/'-separated list)"
    required = frozenset({"name1", "address1", "city", "state", "zip", "service_codes"})

    def convert(self, raw: dict[str, str]) -> Candidate:
        names = [raw.get(k, "").strip() for k in ("name1", "name2", "name3")]
        lines = [raw.get(k, "").strip() for k in ("address1", "address2", "address3")]
        lines = [line for line in lines if line]
        # The street is the first line that starts with a number ("Potomac Street Center" is a building).
        street_at = next((i for i, line in enumerate(lines) if line[:1].isdigit()), 0)
        street1 = lines[street_at] if lines else ""
        street2 = ", ".join(line for i, line in enumerate(lines) if i != street_at)
        contact = raw.get("contact", "")
        parts = _INTAKE.split(contact, maxsplit=1)
        main = parts[0]
        intake_text = parts[1] if len(parts) > 1 else ""
        main_phones, intake_phones = phones(main), phones(intake_text)
        codes, artefacts = [], []
        for token in split_codes(raw.get("service_codes", ""), ("/",)):
            (codes if Taxonomy.looks_like_code(token, upper=True) else artefacts).append(token)
        return Candidate(
            fields={
                "name": names[0],
                "name2": ", ".join(n for n in names[1:] if n),
                "street1": street1,
                "street2": street2,
                "city": raw.get("city", ""),
                "state": raw.get("state", ""),
                "zip": raw.get("zip", ""),
                "phone": main_phones[0] if main_phones else contact,
                "intake_phone": intake_phones[0] if intake_phones else "",
                "latitude": raw.get("latitude", ""),
                "longitude": raw.get("longitude", ""),
                "notes": raw.get("note", ""),
            },
            codes=codes,
            artefacts=artefacts,
        )
