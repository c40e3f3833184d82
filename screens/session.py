"""The session's search and what every screen shares: widget keys, the search in the URL, a link
opened, the page's context and the callbacks of the list, the map and the shortlist."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import streamlit as st

from directory import Store, view
from directory.core import i18n
from directory.view import listview, mapview

ss = st.session_state
#: Form field → widget key (one per field of the form, which the filter registry defines).
KEYS = {name: f"w_{name}" for name in view.PARAM_OF if name != "facility"}
#: The filters at the top of the page (on a phone: the first screen); the rest are under "More filters".
TOP = ("services",)


@dataclass(frozen=True)
class Page:
    """What a run of the page found, handed to each screen."""

    store: Store
    form: view.SearchForm
    outcome: view.Outcome
    map_data: mapview.MapData | None
    list_data: listview.ListData | None
    #: Phones get the detail first, then a text list (no sideways scrolling), then the map.
    mobile: bool
    #: The results map's component (a canvas drawn by directory/web/map.js).
    facility_map: Callable
    #: The results list's component (a table drawn by directory/web/list.js).
    facility_list: Callable

    @property
    def result(self):
        return self.outcome.result

    @property
    def taxonomy(self):
        return self.store.taxonomy


def browser_lang() -> str:
    """The language this person's browser prefers (among the interface's); a link's ``lang`` or the
    switch overrides it. Asked on every run (the module is imported once for every session)."""
    return i18n.negotiate(st.context.locale, st.context.headers.get("Accept-Language"))


def set_form(form: view.SearchForm) -> None:
    for attr, key in KEYS.items():
        if attr == "lang":
            continue
        value = getattr(form, attr)
        ss[key] = list(value) if isinstance(value, tuple) else value
    ss.w_lang = form.lang or ss.w_lang  # a link without one keeps the language being read
    ss.facility = form.facility


def current_form() -> view.SearchForm:
    values = {
        attr: (tuple(ss[key]) if isinstance(ss[key], list) else ss[key]) for attr, key in KEYS.items() if attr != "lang"
    }
    # The language goes into links unless it is English read in an English browser (a bare link then
    # opens in the reader's own language).
    values["lang"] = "" if ss.w_lang == i18n.DEFAULT == browser_lang() else ss.w_lang
    return view.SearchForm(**values, facility=ss.get("facility") or "")


def url_form(taxonomy) -> tuple[view.SearchForm, list[str]]:
    params = {name: st.query_params.get_all(name) for name in st.query_params.keys()}
    return view.SearchForm.from_params(params, taxonomy)


def write_url(form: view.SearchForm, taxonomy) -> None:
    """Put the search in the URL — only when the URL describes another search, so loading a link
    adds no history entry (Back leaves the page) and Back/Forward land on real earlier searches."""
    if url_form(taxonomy)[0] != form:
        st.query_params.from_dict(form.to_params())
    ss.url_written = form


def from_link(store: Store, form: view.SearchForm, warnings: list[str]) -> None:
    """Show a search a link (or Back / Forward) asked for; shortlisted ids the directory no longer has
    are dropped, with one note."""
    kept, note = view.known_shortlist(store, form.shortlist)
    set_form(form.with_(shortlist=kept))
    ss.url_warnings = warnings + ([note] if note else [])


def follow_url(store: Store) -> None:
    """Take the search from the URL: a first visit or a link, or Back / Forward to another search. On a
    language change, re-send every widget's value in the new language's words."""
    from_url, warnings_from_url = url_form(store.taxonomy)
    if "initialised" not in ss:
        from_link(store, from_url, warnings_from_url)
        ss.initialised = True
    elif from_url != ss.get("url_written") and from_url != current_form():
        # The browser moved to another URL of this app (Back / Forward): show that search.
        from_link(store, from_url, [])
    i18n.activate(ss.w_lang)  # a link may have named another language
    if ss.get("drawn_lang", ss.w_lang) != ss.w_lang:
        # The language changed: the browser still holds each choice as the words it showed (a selectbox's or
        # a multiselect's options are sent as their labels), which the new labels no longer match. Setting
        # each widget's value anew sends it in the new language's words.
        keep(key for key in [*KEYS.values(), "w_sheet_format"] if key != "w_lang" and key in ss)
    ss.drawn_lang = ss.w_lang


def keep(keys: Iterable[str]) -> None:
    """Set each widget's value anew, as it is: a widget not drawn in a run keeps its value so (Streamlit
    forgets the value of a widget a run does not draw), and a widget drawn anew sends it in the words it
    now shows."""
    for key in keys:
        ss[key] = ss[key]


def base_url() -> str:
    return (st.context.url or "").split("?")[0]


# -- callbacks: selection from the list or the map, place suggestions, clearing --------------------


def select(facility_id: str | None) -> None:
    """Show ``facility_id``'s detail (chosen on the map, in the list or by a Details button): the map and
    the list mark it at the rerun this starts."""
    if not facility_id or facility_id == ss.get("facility"):
        return
    ss.facility = facility_id


def on_list_pick() -> None:
    select(listview.picked_id(ss.list.pick, ss.list_data))


def on_map_pick() -> None:
    select(mapview.selected_id(ss.map.pick, ss.map_data))


def use_place(label: str) -> None:
    ss[KEYS["near"]] = label
    ss.facility = ""


def ask_to_print() -> None:
    ss.print_requested = True


def include_older() -> None:
    ss[KEYS["listed_since"]] = "any"
    ss.facility = ""


def clear_filters() -> None:
    near, radius, shortlist = ss[KEYS["near"]], ss[KEYS["radius"]], tuple(ss[KEYS["shortlist"]])
    kept = view.SearchForm(
        near=near, radius=radius, minutes=ss[KEYS["minutes"]], travel=ss[KEYS["travel"]], shortlist=shortlist
    )
    set_form(kept.with_(facility=ss.get("facility") or ""))


def shortlisted() -> tuple[str, ...]:
    return tuple(ss[KEYS["shortlist"]])


def toggle_shortlist(facility_id: str) -> None:
    ss[KEYS["shortlist"]] = list(view.toggle_shortlist(shortlisted(), facility_id))


def clear_shortlist() -> None:
    ss[KEYS["shortlist"]] = []
    ss[KEYS["view"]] = ""


def show_screen(name: str) -> None:
    ss[KEYS["view"]] = name


def download_buttons(files, columns=None, *, key: str) -> None:
    """A download button per file (built only when clicked), one to a column (or, with no columns, one
    after another where they are called)."""
    for col, item in zip(columns or [st] * len(files), files, strict=False):
        col.download_button(
            item.label,
            data=item.make,
            file_name=item.file_name,
            mime=item.mime,
            on_click="ignore",
            key=f"{key}-{item.label}",
        )
