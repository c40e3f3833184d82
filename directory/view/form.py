"""The search screen's form: its fields (derived from the filter registry), its URL, its outcome."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, make_dataclass, replace

from ..core.errors import DirectoryError, LocationNotFound, UnknownNameError
from ..core.filters import APP_FILTERS, MAX_TEXT, Filter, by_param, parse_since
from ..core.i18n import LANGUAGES, _, compact, ngettext, number
from ..core.states import state_code
from ..core.taxonomy import Taxonomy
from ..search import Query, SearchResult
from ..search.drive import limit_words
from ..search.result import since_text
from ..stores.base import Store
from .compare import MAX_SHORTLIST

#: The form's ``listed_since`` unless a person widens it ("any") — the registry's default, as text.
DEFAULT_SINCE = since_text(by_param("listed_since").default)
#: The radius choices offered, in miles.
RADII = (5, 10, 25, 50, 100, 250, 500)
DEFAULT_RADIUS = 25
#: The drive-time choices offered when a routing engine is set up (the radius control becomes minutes).
MINUTES = (10, 15, 20, 30, 45, 60, 90, 120)
DEFAULT_MINUTES = 30


#: URL query-string name of each form field.
def _param_names() -> dict[str, str]:
    names = {"near": "near", "radius": "radius", "minutes": "minutes", "travel": "travel"}
    for f in APP_FILTERS:
        names[f.field] = f.param
        if f.field == "services":
            names["match"] = "match"  # right after the treatment type, as on the screen
    return {**names, "facility": "facility", "shortlist": "shortlist", "view": "view", "lang": "lang"}


PARAM_OF = _param_names()
_REPEATED = {f.field for f in APP_FILTERS if f.repeatable} | {"shortlist"}
#: The screens a link can open besides the results: the shortlist side by side.
VIEWS = ("compare",)
#: A facility id as the directory makes them.
_FACILITY_ID = re.compile(r"^f[0-9a-f]{12}$")


class _FormMethods:
    @classmethod
    def from_params(
        cls, params: Mapping[str, object], taxonomy: Taxonomy | None = None
    ) -> tuple[SearchForm, list[str]]:
        """Read a URL query string leniently: values that cannot be used are dropped, each with a warning.

        ``params`` maps names to a string or a list of strings (repeatable names).

        >>> form, warnings = SearchForm.from_params({"near": "Tampa, FL", "service": ["detox", "mat"], "radius": "50"})
        >>> form.near, form.services, form.radius, warnings
        ('Tampa, FL', ('detox', 'mat'), 50, [])
        >>> SearchForm.from_params({"radius": "7", "service": "detx", "lang": "es"})[1]
        ['radius 7 is not offered; using 5 miles', "unknown treatment type 'detx' (did you mean detox, residential?)"]
        """
        taxonomy = taxonomy or Taxonomy.load()
        warnings: list[str] = []
        values: dict[str, object] = {}

        def all_of(key: str) -> list[str]:
            raw = params.get(key)
            if raw is None:
                return []
            items = [raw] if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
            return [str(v).strip()[:MAX_TEXT] for v in items if str(v).strip()]

        def last(key: str) -> str:
            items = all_of(key)
            return items[-1] if items else ""

        for attr in ("near", "facility"):
            values[attr] = last(PARAM_OF[attr])
        shortlist: list[str] = []
        for fid in all_of("shortlist"):
            if not _FACILITY_ID.match(fid):
                warnings.append(_("{value} is not a facility id; left off the shortlist").format(value=repr(fid[:40])))
            elif fid not in shortlist:
                shortlist.append(fid)
        if len(shortlist) > MAX_SHORTLIST:
            warnings.append(
                _("a shortlist holds {n} facilities; the first {n} are kept").format(n=number(MAX_SHORTLIST))
            )
        values["shortlist"] = tuple(shortlist[:MAX_SHORTLIST])
        screen = last("view").lower()
        if screen in VIEWS:
            values["view"] = screen
        elif screen:
            warnings.append(_("unknown view {value}; showing the results").format(value=repr(screen)))
        language = last("lang").lower()
        if language in LANGUAGES:
            values["lang"] = language
        elif language:
            warnings.append(
                _("no interface language {value}; the languages are {languages}").format(
                    value=repr(language[:10]), languages=", ".join(LANGUAGES)
                )
            )
        radius = last("radius")
        if radius:
            values["radius"] = _nearest_radius(radius, warnings)
        minutes = last("minutes")
        if minutes:
            values["minutes"] = _nearest_minutes(minutes, warnings)
        travel = last("travel").lower()
        if travel and travel.isidentifier() and len(travel) <= 20:
            values["travel"] = travel  # a profile this server lacks is said by the search, in one line
        elif travel:
            warnings.append(_("travel {value} is not a way to travel; going by car").format(value=repr(travel[:20])))
        match = last("match").lower()
        if match:
            if match in ("any", "all"):
                values["match"] = match
            else:
                warnings.append(_("match must be 'any' or 'all', not {value}; using 'any'").format(value=repr(match)))
        for f in APP_FILTERS:
            if f.kind == "group":
                chosen: list[str] = []
                for value in all_of(f.param):
                    try:
                        group = taxonomy.resolve(value, f.family)
                    except UnknownNameError as exc:
                        hint = (
                            _(" (did you mean {names}?)").format(names=", ".join(exc.suggestions))
                            if exc.suggestions
                            else ""
                        )
                        warnings.append(
                            _("unknown {what} {value}").format(what=f.title().lower(), value=repr(value)) + hint
                        )
                        continue
                    if group.name not in chosen:
                        chosen.append(group.name)
                values[f.field] = tuple(chosen)
            elif f.kind == "state":
                state = last(f.param)
                if state:
                    code = state_code(state)
                    if code:
                        values[f.field] = code
                    else:
                        warnings.append(_("unknown state {value}; showing every state").format(value=repr(state)))
            elif f.kind == "choice":
                text = last(f.param).lower()
                if text in dict(f.choices):
                    values[f.field] = text
                elif text:
                    warnings.append(
                        _("unknown {what} {value}; showing every {what}").format(
                            what=f.title().lower(), value=repr(text)
                        )
                    )
            elif f.kind == "since":
                text = last(f.param)
                if text:
                    try:
                        when = parse_since(text)
                    except ValueError:
                        warnings.append(
                            _(
                                "{param} must be a year (2021), a date (2021-06-01) or 'any', not {value}; "
                                "showing sites listed since {default}"
                            ).format(param=f.param, value=repr(text[:40]), default=DEFAULT_SINCE)
                        )
                    else:
                        values[f.field] = "any" if when is None else since_text(when)
            elif f.kind == "verified":
                text = last(f.param)
                if text:
                    try:
                        when = parse_since(text)
                    except ValueError:
                        warnings.append(
                            _(
                                "{param} must be a year (2026) or a date (2026-06-01), not {value}; showing every site"
                            ).format(param=f.param, value=repr(text[:40]))
                        )
                    else:
                        values[f.field] = "" if when is None else when.isoformat()
            else:
                values[f.field] = last(f.param)
        return cls(**values), warnings  # type: ignore[return-value]

    def to_params(self) -> dict[str, str | list[str]]:
        """The form as a URL query string: what differs from the defaults, and the radius whenever
        there is a place (so a shared link keeps its radius if the default changes).

        >>> SearchForm(near="Tampa, FL", services=("detox",)).to_params()
        {'near': 'Tampa, FL', 'radius': '25', 'service': ['detox']}
        >>> SearchForm(state="FL").to_params()
        {'state': 'FL'}
        """
        params: dict[str, str | list[str]] = {}
        default = SearchForm()
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value == getattr(default, f.name) and not (f.name == "radius" and self.near):
                continue
            if f.name == "radius" and not self.near:
                continue
            key = PARAM_OF[f.name]
            params[key] = list(value) if f.name in _REPEATED else str(value)
        return params

    def query_string(self) -> str:
        """``near=Tampa%2C+FL&service=detox`` — for links that reopen this search."""
        return urllib.parse.urlencode(self.to_params(), doseq=True)

    def signature(self) -> str:
        """A short stable key for the search (everything but the selected facility, the shortlist, the
        view and the language: none of them changes what is searched)."""
        search = self.with_(facility="", shortlist=(), view="", lang="")
        return hashlib.sha1(search.query_string().encode()).hexdigest()[:12]

    def to_query(self, routed: bool = False) -> Query:
        """The library :class:`~directory.search.Query` this form asks for; ``routed`` (a routing engine is
        set up): limited by :attr:`minutes` of driving rather than the radius (which a search falls back
        to when the engine fails)."""
        chosen = {
            f.field: (getattr(self, f.field) if f.repeatable else getattr(self, f.field).strip() or None)
            for f in APP_FILTERS
            if f.kind != "since"
        }
        chosen.update({f.field: getattr(self, f.field) or DEFAULT_SINCE for f in APP_FILTERS if f.kind == "since"})
        near = self.near.strip() or None
        minutes = self.minutes if routed and near else None
        return Query(
            near=near,
            radius_miles=self.radius,
            max_minutes=minutes,
            travel=self.travel if routed else "car",
            match=self.match,
            **chosen,
        )

    def with_(self, **changes: object) -> SearchForm:
        return replace(self, **changes)  # type: ignore[type-var]

    def changed(self, names) -> int:
        """How many of the named fields differ from their defaults."""
        default = SearchForm()
        return sum(1 for name in names if getattr(self, name) != getattr(default, name))


def _fields() -> list[tuple]:
    specs: list[tuple] = [
        ("near", "str", field(default="")),
        ("radius", "int", field(default=DEFAULT_RADIUS)),
        ("minutes", "int", field(default=DEFAULT_MINUTES)),
        ("travel", "str", field(default="car")),
    ]
    for f in APP_FILTERS:
        if f.repeatable:
            specs.append((f.field, "tuple[str, ...]", field(default=())))
        elif f.kind == "since":
            specs.append((f.field, "str", field(default=DEFAULT_SINCE)))
        else:
            specs.append((f.field, "str", field(default="")))
        if f.field == "services":
            specs.append(("match", "str", field(default="any")))
    specs += [
        ("facility", "str", field(default="")),
        ("shortlist", "tuple[str, ...]", field(default=())),
        ("view", "str", field(default="")),
        ("lang", "str", field(default="")),
    ]
    return specs


SearchForm = make_dataclass("SearchForm", _fields(), bases=(_FormMethods,), frozen=True)
SearchForm.__module__ = __name__
SearchForm.__doc__ = """The search screen's inputs, in friendly names (``detox``, ``joint-commission``):
the place, the radius, one field per app filter of the registry, and the selected facility."""


def since_options(current: str, listed_years: tuple[int, ...]) -> list[str]:
    """The choices of the ``listed_since`` box: the default, any date, each later year in which a
    source listed facilities (``listed_years``, from the store: a newer source brings its year), and
    the current value when a link asked for another.

    >>> since_options("2021", (2015, 2020, 2021, 2022, 2025, 2026))
    ['2021', 'any', '2022', '2025', '2026']
    >>> since_options("2019-06-01", (2015, 2026))
    ['2021', 'any', '2026', '2019-06-01']
    """
    default = by_param("listed_since").default
    options = [DEFAULT_SINCE, "any", *(str(year) for year in listed_years if year > default.year)]
    return options if current in options or not current else [*options, current]


def verified_options(current: str, today: dt.date | None = None) -> list[str]:
    """The choices of the ``verified_since`` box: any time, the last 12 months (as the date it starts,
    so a link keeps meaning the same search), and the current value when a link asked for another.

    >>> verified_options("", dt.date(2026, 12, 5))
    ['', '2025-12-05']
    """
    year_ago = ((today or dt.date.today()) - dt.timedelta(days=365)).isoformat()
    options = ["", year_ago]
    return options if current in options else [*options, current]


def verified_label(value: str, today: dt.date | None = None) -> str:
    """How a ``verified_since`` choice reads.

    >>> verified_label("2025-12-05", dt.date(2026, 12, 5)), verified_label("")
    ('Within the last 12 months', 'Any time, verified or not')
    """
    if not value:
        return _("Any time, verified or not")
    if value == verified_options("", today)[1]:
        return _("Within the last 12 months")
    return _("Since {date}").format(date=value)


def since_label(value: str) -> str:
    """How a ``listed_since`` choice reads: ``2021 or later (default)``, ``Any date, older listings too``."""
    if value == "any":
        return _("Any date, older listings too")
    if value == DEFAULT_SINCE:
        return _("{year} or later (default)").format(year=value)
    return _("{year} or later").format(year=value)


def _nearest_radius(text: str, warnings: list[str]) -> int:
    try:
        wanted = float(text)
    except ValueError:
        warnings.append(
            _("radius {value} is not a number; using {miles} miles").format(value=repr(text), miles=DEFAULT_RADIUS)
        )
        return DEFAULT_RADIUS
    if not math.isfinite(wanted) or wanted <= 0:
        warnings.append(
            _("radius {value} is not offered; using {miles} miles").format(value=repr(text), miles=DEFAULT_RADIUS)
        )
        return DEFAULT_RADIUS
    best = min(RADII, key=lambda r: (abs(r - wanted), -r))
    if best != wanted:
        warnings.append(_("radius {value} is not offered; using {miles} miles").format(value=text, miles=best))
    return best


def _nearest_minutes(text: str, warnings: list[str]) -> int:
    try:
        wanted = float(text)
    except ValueError:
        wanted = math.nan
    if not math.isfinite(wanted) or wanted <= 0:
        warnings.append(
            _("minutes {value} is not a number of minutes; using {minutes}").format(
                value=repr(text[:20]), minutes=DEFAULT_MINUTES
            )
        )
        return DEFAULT_MINUTES
    best = min(MINUTES, key=lambda m: (abs(m - wanted), -m))
    if best != wanted:
        warnings.append(_("{value} minutes is not offered; using {minutes}").format(value=text[:20], minutes=best))
    return best


@dataclass
class Outcome:
    """The answer to a form: a result, or one readable message (with suggestions)."""

    form: SearchForm
    result: SearchResult | None = None
    message: str = ""
    suggestions: list[str] = field(default_factory=list)
    #: When nothing matched: which filter empties the area, with its coverage
    #: (:func:`~directory.view.explain.why_empty`).
    explanations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def heading(self) -> str:
        """``Showing results near Washington, IN`` (or for the whole directory)."""
        if self.result is None:
            return ""
        center = self.result.center
        if center is None:
            return _("Showing facilities in the whole directory — type a place to search near it")
        return _("Showing results near {place}").format(place=center.label)

    @property
    def notes(self) -> list[str]:
        """What to tell a person about the result: the nearest were shown instead, or nothing matched."""
        if self.result is None:
            return []
        notes = []
        query = self.result.query
        if self.result.note and self.result.total and self.result.by_minutes:
            notes.append(
                _("No facility matched within {limit}, so the nearest by drive time are shown ({note}).").format(
                    limit=limit_words(query), note=self.result.note
                )
            )
        elif self.result.note and self.result.total:
            notes.append(
                _(
                    "No facility matched within {radius} miles, so the nearest matching ones within {miles} miles "
                    "are shown ({note})."
                ).format(radius=self.form.radius, miles=compact(query.nearest_within_miles), note=self.result.note)
            )
        if self.result.total == 0:
            if self.result.note:
                notes.append(
                    _("No facility matches these filters within {miles} miles.").format(
                        miles=compact(query.nearest_within_miles)
                    )
                )
            else:
                notes.append(_("No facility matches these filters."))
            notes.extend(self.explanations or [_("Remove a filter or search a wider area.")])
        return notes

    @property
    def alternatives(self) -> list[str]:
        """Other places the typed text could mean (labels), when it was ambiguous."""
        if self.result is None or self.result.center is None:
            return []
        return [a.label for a in self.result.center.alternatives if a.label]


def run(store: Store, form: SearchForm) -> Outcome:
    """Search; a bad place or value becomes a message, never an exception."""
    try:
        query = form.to_query(routed=getattr(store, "router", None) is not None)
        result = store.search(query)
        outcome = Outcome(form, result)
        if result.total == 0:
            from .explain import why_empty

            outcome.explanations = why_empty(store, query)
        return outcome
    except LocationNotFound as exc:
        return Outcome(
            form,
            None,
            _('We could not find {place}. Try a ZIP code, "City, ST", an address or "latitude, longitude".').format(
                place=repr(form.near.strip())
            ),
            list(exc.suggestions),
        )
    except UnknownNameError as exc:
        return Outcome(form, None, str(exc), list(exc.suggestions))
    except DirectoryError as exc:
        return Outcome(form, None, str(exc))


def facet_line(taxonomy: Taxonomy, f: Filter, result: SearchResult | None) -> str:
    """What a filter's counts are among the current results, in one line ('' when there is nothing to
    count): ``In these results: Detox 12 · MAT 30``; for a group filter other than the treatment type,
    its coverage first (``Listed for 12 of 43 results.``); for the state, the six largest.

    The options themselves keep fixed labels: a browser sends back an option's label, so a label
    with a count in it breaks as soon as the count changes.
    """
    if result is None or f.facet is None:
        return ""
    counts: Mapping[str, int] = result.facets.get(f.facet, {})
    if f.kind == "state":
        top = ", ".join(f"{code} {number(n)}" for code, n in list(counts.items())[:6])
        return _("In these results: {counts}").format(counts=top) if top else ""
    if f.kind == "choice":
        parts = [f"{f.choice_label(value)} {number(count)}" for value, count in counts.items() if count]
        return _("In these results: {counts}").format(counts=" · ".join(parts) if parts else _("none"))
    parts = [f"{taxonomy.group(name).label} {number(count)}" for name, count in counts.items() if count]
    line = _("In these results: {counts}").format(counts=" · ".join(parts) if parts else _("none listed"))
    if f.field != "services" and result.total:
        listed = ngettext("Listed for {n} of {total} result.", "Listed for {n} of {total} results.", result.total)
        line = listed.format(n=number(result.listed.get(f.family, 0)), total=number(result.total)) + " " + line
    return line
