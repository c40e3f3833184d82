"""Maintainers' corrections seen live by the in-memory store, without a rebuild.

The facilities file was built with the corrections of its day applied; lines written since (from the
staff console or ``directory correct``) are applied on top of the loaded rows the moment the corrections
file changes. Applying every line again to a record that already holds them gives the same record (each
line sets what it sets; the last one wins), so the overlay applies *all* lines to each corrected site's
row *as loaded*, and a site whose lines are all undone gets that loaded row back. (An undo of a line the
build itself applied cannot restore what the sources said until the next ``directory build``, which
starts from the sources.)

Only what a correction may change is kept up to date: the record, its name keys, its city, its
verification date and its closure — the structures a search reads for them.
"""

from __future__ import annotations

import threading

import numpy as np

from ..core.facility import Facility
from ..core.normalize import norm_city, norm_name
from ..pipeline.corrections import CorrectionsFile, apply


class CorrectionOverlay:
    """The corrections file over one :class:`~directory.stores.memory.Directory` (``store`` below; not
    imported here, so the store and its overlay form no circle)."""

    def __init__(self, corrections: CorrectionsFile) -> None:
        self.file = corrections
        self._applied_version = -1
        #: The newest line applied (lines are only ever appended).
        self._newest = 0
        #: Row position → the row as loaded, for every site a line has touched.
        self._loaded: dict[int, dict[str, str]] = {}
        self._lock = threading.Lock()

    @property
    def version(self) -> int:
        return self.file.version

    def refresh(self, store) -> None:
        """Apply the file to ``store`` if it changed since the last time: the sites of the new lines (an
        undo line carries its target's site) are made again from their loaded rows with all their lines;
        a file that lost lines (replaced, not appended to) makes every corrected site again."""
        lines = self.file.lines()
        if self.file.version == self._applied_version:
            return
        with self._lock:
            if self.file.version == self._applied_version:
                return
            newest = max((c.id for c in lines), default=0)
            if newest < self._newest:
                sites = {store._ids[fid] for fid in {c.facility_id for c in lines} if fid in store._ids}
                sites |= set(self._loaded)
            else:
                changed = {c.facility_id for c in lines if c.id > self._newest}
                sites = {store._ids[fid] for fid in changed if fid in store._ids}
            if sites:
                undone = {c.undoes for c in lines if c.action == "undo"}
                by_site: dict[str, list] = {}
                for c in lines:
                    if c.action not in ("undo", "attempt") and str(c.id) not in undone:
                        by_site.setdefault(c.facility_id, []).append(c)
                for i in sites:
                    if i not in self._loaded:
                        self._loaded[i] = _row(store, i)
                    loaded = self._loaded[i]
                    fixes = by_site.get(loaded["facility_id"])
                    if fixes:
                        (record,), _ = apply([Facility.from_row(loaded)], fixes)
                        _set_row(store, i, {**loaded, **record.to_row()})
                    else:
                        _set_row(store, i, loaded)
                store._since.clear()
                store._any_closed = bool(store._closed.any())
                store.__dict__.pop("_listing", None)  # the HSDA listing's words and dates: made again on use
            self._newest = newest
            self._applied_version = self.file.version


def _row(store, i: int) -> dict[str, str]:
    return {k: str(v) for k, v in store.frame.iloc[i].to_dict().items()}


def _set_row(store, i: int, row: dict[str, str]) -> None:
    """Write ``row`` at position ``i`` and the search structures that follow from it."""
    frame = store.frame
    old_city = norm_city(str(frame.iat[i, frame.columns.get_loc("city")]))
    frame.iloc[i] = [row.get(c, "") for c in frame.columns]
    verified = row.get("verified_on", "")[:10]
    listed = row.get("last_listed", "")[:10]
    store._verified_on[i] = verified
    store._last_listed[i] = max(verified, listed)
    store._closed[i] = row.get("status", "") == "closed"
    store._names[i] = norm_name(f"{row.get('name', '')} {row.get('name2', '')}")
    store._sort_names[i] = row.get("name", "").lower()
    new_city = norm_city(row.get("city", ""))
    if new_city != old_city:
        if old_city in store._by_city:
            store._by_city[old_city] = store._by_city[old_city][store._by_city[old_city] != i]
        if new_city:
            store._by_city[new_city] = np.sort(np.append(store._by_city.get(new_city, np.empty(0, np.int64)), i))
