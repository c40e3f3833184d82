"""FindTreatment.gov locator export (CSV or XLSX): descriptive columns + one column per service code.

The site's own "Facility listing" download is read as the site gives it (header cells stripped, the
facilities sheet found by its columns; :func:`~directory.core.tables.read_sheets`). Its rows are of four
kinds, by ``type_facility``:

* ``SU`` — a substance-use listing: every code column it sets is a service it lists;
* ``MH`` — a mental-health listing: kept when it lists substance-use treatment (``sa``, or a code the
  2023 code book gives to substance-use listings only), else rejected as "mental-health only";
* ``OTP`` — an opioid treatment program, and ``BUPREN`` — an individual practitioner who prescribes
  buprenorphine. On these rows the download sets *every* code column to 1 (270 and 271 of them, on
  each of the 98 OTP and 1,621 BUPREN rows of the 2023 Texas workbook: ``jc``, ``carf``, ``mh``,
  ``psy``, ``rtcc`` … alike), so the codes are an export artefact: such a row states only what its
  type says (:data:`TYPE_CODES`), and as a partial listing it never stands for a site's whole list of
  services. The artefact is counted in the import report.
"""

from __future__ import annotations

import re

from ...core.normalize import phones
from ...core.taxonomy import Taxonomy
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
    "frid",
)
_CODE_COLUMN = re.compile(r"^[a-z][a-z0-9]{0,9}$")
#: What an OTP or BUPREN row states, whatever its code columns say (see the module docstring).
TYPE_CODES = {"OTP": ("otp", "mu"), "BUPREN": ("bu",)}
#: The locator's listing types, as the record keeps them.
TYPES = ("SU", "MH", "OTP", "BUPREN")
#: A 64-hex-digit facility id the locator gives rows (its ``frid``), kept so the detail can link its page.
LOCATOR_ID = re.compile(r"^[0-9a-f]{64}$")


class FindTreatmentAdapter(Adapter):
    """A row per listing; a cell of ``1`` in a code column means the service is offered.

    The same site often appears as a substance-use (``SU``) and a mental-health
    (``MH``) listing: both convert to the same facility id and are merged.
    """

    name = "findtreatment"
    description = "FindTreatment.gov locator export (CSV/XLSX, one column per service code)"
    required = frozenset({"name1", "street1", "city", "state", "zip", "latitude", "longitude"})

    def __init__(self) -> None:
        taxonomy = Taxonomy.load()
        #: Codes the 2023 book gives to substance-use listings only, and ``sa`` itself.
        self.substance_use = frozenset(c for c, s in taxonomy.services.items() if s.scope == "sa") | {"sa"}

    @classmethod
    def matches(cls, header: list[str]) -> bool:
        lower = {h.lower() for h in header}
        code_columns = [h for h in lower if h not in DESCRIPTIVE and _CODE_COLUMN.match(h)]
        return cls.required <= lower and ("type_facility" in lower or len(code_columns) >= 10)

    def extra_columns(self) -> list[str]:
        return ["locator_id"]

    def convert(self, raw: dict[str, str]) -> Candidate:
        intake = [p for key in ("intake1", "intake2") for p in phones(raw.get(key, ""))]
        codes = [k for k, v in raw.items() if k not in DESCRIPTIVE and _CODE_COLUMN.match(k) and v.strip() == "1"]
        kind = raw.get("type_facility", "").strip().upper()
        kind = {"SA": "SU"}.get(kind, kind)  # the locator's JSON says SA where its downloads say SU
        artefacts: list[str] = []
        reject = None
        if kind in TYPE_CODES:
            if codes:
                artefacts.append(f"every code column set on a row of type {kind} (export artefact)")
            codes = list(TYPE_CODES[kind])
        elif kind == "MH" and not self.substance_use & set(codes):
            reject = "mental-health only"
        frid = raw.get("frid", "").strip().lower()
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
                "type_facility": kind if kind in TYPES else "",
            },
            codes=codes,
            artefacts=artefacts,
            extra={"locator_id": frid if LOCATOR_ID.match(frid) else ""},
            reject=reject,
            partial=kind in TYPE_CODES,
        )
