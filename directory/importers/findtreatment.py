"""FindTreatment.gov locator export (CSV or XLSX): descriptive columns + one column per service code."""

from __future__ import annotations

import re

from ..normalize import phones
from .base import Adapter, Candidate

DESCRIPTIVE = (
    "name1",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "zip4",
    "county",
    "phone",
    "intake_prompt",
    "intake1",
    "intake2",
    "website",
    "latitude",
    "longitude",
    "type_facility",
)
_CODE_COLUMN = re.compile(r"^[a-z][a-z0-9]{0,9}$")


class FindTreatmentAdapter(Adapter):
    """A row per listing; a cell of ``1`` in a code column means the service is offered.

    The same site often appears as a substance-use (``SU``) and a mental-health
    (``MH``) listing: both convert to the same facility id and are merged.
    """

    name = "findtreatment"
    description = "FindTreatment.gov locator export (CSV/XLSX, one column per service code)"
    required = frozenset({"name1", "street1", "city", "state", "zip", "latitude", "longitude"})

    @classmethod
    def matches(cls, header: list[str]) -> bool:
        lower = {h.lower() for h in header}
        code_columns = [h for h in lower if h not in DESCRIPTIVE and _CODE_COLUMN.match(h)]
        return cls.required <= lower and ("type_facility" in lower or len(code_columns) >= 10)

    def convert(self, raw: dict[str, str]) -> Candidate:
        intake = [p for key in ("intake1", "intake2") for p in phones(raw.get(key, ""))]
        codes = [k for k, v in raw.items() if k not in DESCRIPTIVE and _CODE_COLUMN.match(k) and v.strip() == "1"]
        return Candidate(
            fields={
                "name": raw.get("name1", ""),
                "name2": raw.get("name2", ""),
                "street1": raw.get("street1", ""),
                "street2": raw.get("street2", ""),
                "city": raw.get("city", ""),
                "state": raw.get("state", ""),
                "zip": raw.get("zip", ""),
                "county": raw.get("county", ""),
                "phone": raw.get("phone", ""),
                "intake_phone": intake[0] if intake else "",
                "website": raw.get("website", ""),
                "latitude": raw.get("latitude", ""),
                "longitude": raw.get("longitude", ""),
            },
            codes=codes,
        )
