"""Reading source tables (CSV, XLSX) tolerantly and writing outputs atomically.

This module is the boundary where file-format and encoding errors (``csv``,
``openpyxl``, ``OSError``, ``UnicodeDecodeError``) become :class:`InputFileError`.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .errors import InputFileError

csv.field_size_limit(10_000_000)


@dataclass
class SourceTable:
    """A source file read into a header and numbered rows of strings.

    ``rows`` holds ``(line_number, cells)``; ``line_number`` is the physical line
    (or spreadsheet row) where the record starts, the header being line 1.
    ``problems`` holds ``(line_number, raw_text, reason)`` for lines that could
    not be parsed into a record at all; they count as rows read and rejected.
    """

    path: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str = "utf-8"
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    #: The workbook sheet the table was read from ('' for a CSV).
    sheet: str = ""

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """``(line_number, {column: value})`` for each row; short rows are padded with ``""``."""
        width = len(self.header)
        for line_no, cells in self.rows:
            padded = list(cells) + [""] * (width - len(cells))
            yield line_no, dict(zip(self.header, padded, strict=False))


def concat_tables(tables: list[SourceTable]) -> SourceTable:
    """Several files of one release (cuts of one export) as one table with a ``source_file`` column
    last; each row keeps its own line number. The files must have the same columns."""
    first = tables[0]
    for other in tables[1:]:
        if [h.lower() for h in other.header] != [h.lower() for h in first.header]:
            raise InputFileError(
                f"{other.path}: its columns differ from {first.path}'s; "
                "the files of one source must have the same columns"
            )
    width = len(first.header)
    rows, problems = [], []
    for table in tables:
        name = Path(table.path).name
        rows += [(n, list(cells) + [""] * (width - len(cells)) + [name]) for n, cells in table.rows]
        problems += [(n, f"{name}: {text}", reason) for n, text, reason in table.problems]
    return SourceTable(
        " + ".join(str(t.path) for t in tables), [*first.header, "source_file"], rows, first.encoding, problems
    )


def read_table(path: str | Path, choose: Callable[[list[str]], bool] | None = None) -> SourceTable:
    """Read a CSV or XLSX file; raise :class:`InputFileError` with one clear line when it cannot be read.

    A workbook's table is its first sheet whose header ``choose`` accepts (a FindTreatment.gov download
    puts a code reference beside its facilities, in either order), else its first sheet.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: no such file")
    if p.is_dir():
        raise InputFileError(f"{p}: is a folder, not a CSV or XLSX file")
    try:
        head = p.read_bytes()[:8]
    except OSError as exc:
        raise InputFileError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if head.startswith(b"PK\x03\x04"):
        sheets = read_sheets(p)
        return next((s for s in sheets if choose is not None and choose(s.header)), sheets[0])
    if p.suffix.lower() in (".xls", ".xlsm", ".xlsx", ".ods", ".parquet", ".json"):
        raise InputFileError(f"{p}: not a CSV or XLSX file (save it as .csv or .xlsx)")
    return _read_csv(p)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if b"\x00" in data[:4096]:
        raise InputFileError("binary content (NUL bytes): not a CSV file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Spreadsheets exported on Windows: cp1252 is a superset of Latin-1's printable range.
        return data.decode("cp1252", errors="replace"), "cp1252"


def _read_csv(p: Path) -> SourceTable:
    try:
        text, encoding = _decode(p.read_bytes())
    except InputFileError as exc:
        raise InputFileError(f"{p}: {exc}") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputFileError(f"{p}: empty file, expected a header row")
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    header = [h.strip() for h in next(csv.reader([lines[0]], delimiter=delimiter))]
    width = len(header)
    table = SourceTable(str(p), header, [], encoding)
    reader = csv.reader(io.StringIO("\n".join(lines[1:]) + "\n"), delimiter=delimiter)
    start = 2
    for cells in reader:
        end = reader.line_num + 1  # physical line where this record ended (header is line 1)
        if not any(c.strip() for c in cells):
            start = end + 1
            continue
        if end > start and len(cells) != width:
            # A stray quote swallowed the following lines: parse each line on its
            # own, without quote handling, so every line is still accounted for.
            for offset, raw in enumerate(lines[start - 1 : end]):
                if raw.strip():
                    table.rows.append(
                        (start + offset, next(csv.reader([raw], delimiter=delimiter, quoting=csv.QUOTE_NONE)))
                    )
        else:
            table.rows.append((start, cells))
        start = end + 1
    return table


def read_sheets(path: str | Path) -> list[SourceTable]:
    """Every sheet of an XLSX workbook as a table, header cells stripped (a FindTreatment.gov download's
    first header is ``"    name1"``). Cells are read as stored, however large the sheet: the workbook's
    own dimension record is not trusted (the site's downloads have none, and openpyxl's streaming
    reader then sees each sheet as 1 × 1). Read with calamine, about 12 times faster than openpyxl."""
    p = Path(path)
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(p))
        tables = []
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if not rows:
                continue
            header = [_cell(c).strip() for c in rows[0]]
            while header and not header[-1]:
                header.pop()
            table = SourceTable(str(p), header, [], "xlsx", sheet=name)
            for number, cells in enumerate(rows[1:], start=2):
                values = [_cell(c) for c in cells[: len(header)]]
                if any(v.strip() for v in values):
                    table.rows.append((number, values))
            tables.append(table)
    except Exception as exc:  # calamine raises its own types (and ValueError, OSError) for damaged files
        raise InputFileError(f"{p}: not a readable XLSX workbook ({type(exc).__name__})") from None
    if not tables:
        raise InputFileError(f"{p}: empty workbook, expected a header row")
    return tables


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@contextmanager
def atomic_writer(path: str | Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and move it into place only on success.

    An interruption (Ctrl-C, crash, full disk) leaves the old file untouched and no
    half-written output.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a UTF-8 CSV (``\\n`` line endings, minimal quoting) atomically."""
    with atomic_writer(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
