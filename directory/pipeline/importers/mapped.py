"""Any CSV/XLSX described by a small TOML mapping (state licence lists, a user's own spreadsheet).

A mapping names the file's columns for each facility field and how column
values turn into service codes::

    [columns]                # facility field = the file's column
    name = "facility_name"
    street1 = "address_line1"
    city = "city"
    state = "state"
    zip = "zip"
    phone = "phone"
    latitude = "latitude"
    longitude = "longitude"

    [[codes]]                # every row: state licensed
    add = ["stag"]

    [[codes]]                # rows whose offers_detox is true: detox
    column = "offers_detox"
    equals = ["true", "yes", "1"]
    add = ["dt"]

    [extra]                  # extra output column = the file's column
    license_number = "license_number"

A rule without ``equals`` fires when the column is non-empty; ``codes_column``
with ``separator`` reads a column that already holds codes (``separator = "*"`` splits on it and on
white space). In ``[extra]``, ``"@source"`` in place of a column is the source's own id (so a site
says which source states a fact); ``us_dates`` names extra columns written MM/DD/YYYY, kept as ISO
dates. ``title_case = true`` turns ALL-CAPS names, streets, cities and counties into readable capitalisation.
``[[reject]]`` rules (``column``, ``equals``, ``reason`` from
:data:`~directory.pipeline.importers.base.REJECT_REASONS`) reject matching rows, counted by reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ...core.errors import MappingError
from ...core.normalize import title_case
from .base import FIELDS, REJECT_REASONS, Adapter, Candidate, split_codes

_FIELD_NAMES = set(FIELDS) | {"zip4"}
#: In ``[extra]``: the source's own id instead of a column.
SOURCE = "@source"


@dataclass(frozen=True)
class CodeRule:
    add: tuple[str, ...]
    column: str | None = None
    equals: tuple[str, ...] = ()

    def fires(self, raw: dict[str, str]) -> bool:
        if self.column is None:
            return True
        value = raw.get(self.column, "").strip().lower()
        return value in self.equals if self.equals else bool(value)


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file."""

    columns: dict[str, str]
    rules: tuple[CodeRule, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    codes_column: str | None = None
    separator: str = ";"
    title_case: bool = False
    rejects: tuple[tuple[CodeRule, str], ...] = ()
    us_dates: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MappingError(f"{p}: no such mapping file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise MappingError(f"{p}: not valid TOML ({exc})") from None
        return cls.from_dict(data, str(p))

    @classmethod
    def from_dict(cls, data: dict, where: str = "mapping") -> Mapping:
        columns = {k: str(v).lower() for k, v in dict(data.get("columns", {})).items()}
        unknown = set(columns) - _FIELD_NAMES
        if unknown:
            raise MappingError(
                f"{where}: [columns] names unknown field(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_FIELD_NAMES))}"
            )
        if "name" not in columns:
            raise MappingError(f"{where}: [columns] must name the column holding the facility name (name = ...)")
        if "street1" not in columns and not {"latitude", "longitude"} <= set(columns):
            raise MappingError(f"{where}: [columns] needs street1, or latitude and longitude")
        rules = []
        for i, rule in enumerate(data.get("codes", []), start=1):
            add = rule.get("add")
            if not add or not isinstance(add, list):
                raise MappingError(f'{where}: [[codes]] rule {i} needs add = ["code", ...]')
            rules.append(
                CodeRule(
                    tuple(str(c).lower() for c in add),
                    str(rule["column"]).lower() if "column" in rule else None,
                    tuple(str(v).lower() for v in rule.get("equals", [])),
                )
            )
        rejects = []
        for i, rule in enumerate(data.get("reject", []), start=1):
            if "column" not in rule or rule.get("reason") not in REJECT_REASONS:
                raise MappingError(
                    f"{where}: [[reject]] rule {i} needs column = ... and a reason from: {', '.join(REJECT_REASONS)}"
                )
            rejects.append(
                (
                    CodeRule((), str(rule["column"]).lower(), tuple(str(v).lower() for v in rule.get("equals", []))),
                    rule["reason"],
                )
            )
        return cls(
            columns,
            tuple(rules),
            {k: str(v).lower() for k, v in dict(data.get("extra", {})).items()},
            str(data["codes_column"]).lower() if "codes_column" in data else None,
            str(data.get("separator", ";")),
            bool(data.get("title_case", False)),
            tuple(rejects),
            tuple(str(c) for c in data.get("us_dates", [])),
        )


class MappedAdapter(Adapter):
    """Reads a file through a :class:`Mapping`; never recognised from a header alone."""

    name = "mapped"
    description = "any CSV/XLSX described by a TOML mapping (--mapping FILE)"

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping

    @classmethod
    def matches(cls, header: list[str]) -> bool:
        return False

    def required_columns(self) -> frozenset[str]:
        needed = set(self.mapping.columns.values()) | (set(self.mapping.extra.values()) - {SOURCE})
        needed |= {r.column for r in self.mapping.rules if r.column}
        needed |= {r.column for r, _ in self.mapping.rejects if r.column}
        if self.mapping.codes_column:
            needed.add(self.mapping.codes_column)
        return frozenset(needed)

    def extra_columns(self) -> list[str]:
        return list(self.mapping.extra)

    def convert(self, raw: dict[str, str]) -> Candidate:
        fields = {f: raw.get(col, "") for f, col in self.mapping.columns.items() if f != "zip4"}
        if self.mapping.title_case:
            for f in ("name", "name2", "street1", "street2", "city", "county"):
                if f in fields:
                    fields[f] = title_case(fields[f])
        codes: list[str] = []
        for rule in self.mapping.rules:
            if rule.fires(raw):
                codes.extend(rule.add)
        if self.mapping.codes_column:
            codes.extend(split_codes(raw.get(self.mapping.codes_column, ""), (self.mapping.separator,)))
        extra = {out: raw.get(col, "") for out, col in self.mapping.extra.items() if col != SOURCE}
        for out in self.mapping.us_dates:
            extra[out] = us_date(extra.get(out, ""))
        reason = next((why for rule, why in self.mapping.rejects if rule.fires(raw)), None)
        stamped = tuple(out for out, col in self.mapping.extra.items() if col == SOURCE)
        return Candidate(fields=fields, codes=codes, extra=extra, reject=reason, source_columns=stamped)


def us_date(text: str) -> str:
    """A US date (MM/DD/YYYY) as ISO; '' when empty or not a date.

    >>> us_date("09/30/2010"), us_date(""), us_date("2010-09-30")
    ('2010-09-30', '', '')
    """
    import datetime as dt

    try:
        return dt.datetime.strptime(text.strip(), "%m/%d/%Y").date().isoformat()
    except ValueError:
        return ""
