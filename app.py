"""Streamlit front end for the treatment facility directory — wiring only.

Every computation (search, counts, explanations, map layers, detail, exports, reports) comes
from the ``directory`` package; this file reads widgets, calls it, and renders what it returns.
Every text that comes from a URL, a form or the data goes through ``view.md_escape`` (or a
text-only element) before Streamlit renders it. Run with ``make run`` (binds 127.0.0.1; see
``.streamlit/config.toml``).
"""

from __future__ import annotations

import time

import streamlit as st

from directory import Store, open_store, view
from directory.core import i18n, paths
from directory.core.crisis import crisis_lines
from directory.core.errors import DirectoryError
from directory.core.filters import APP_FILTERS
from directory.core.i18n import _, ngettext, number
from directory.core.states import STATES
from directory.curation.reports import MAX_CONTACT, PROBLEMS, Report, may_report, open_reports, problem_label, trim
from directory.view import mapview

ss = st.session_state
#: The language the person's browser prefers (among the interface's); a link's ``lang`` or the switch
#: overrides it. Everything this run draws is in the session's language (never the process's).
BROWSER_LANG = i18n.negotiate(st.context.locale, st.context.headers.get("Accept-Language"))
if "w_lang" not in ss:
    ss.w_lang = i18n.negotiate(st.query_params.get("lang"), BROWSER_LANG)
i18n.activate(ss.w_lang)

st.set_page_config(page_title=_("Find substance-use treatment"), page_icon="🧭", layout="wide")
st.html(view.page_css())
esc = view.md_escape
#: Sets the page's ``<html lang>`` to the interface language (screen readers pronounce by it).
page_lang = st.components.v2.component("page_lang", html="", js=view.PAGE_LANG_JS)
page_lang(key="page-lang", data={"lang": ss.w_lang})
#: The results map: a canvas drawn by directory/web/map.js (see directory.mapview).
facility_map = st.components.v2.component("facility_map", html=mapview.MAP_HTML, css=mapview.MAP_CSS, js=mapview.MAP_JS)


@st.cache_resource(show_spinner=_("Loading the directory…"))
def load_store(data: str) -> Store:
    return open_store(data)


DATA = str(paths.facilities_file())
store = load_store(DATA)
taxonomy = store.taxonomy

#: Form field → widget key (one per field of the form, which the filter registry defines).
KEYS = {name: f"w_{name}" for name in view.PARAM_OF if name != "facility"}
#: The filters at the top of the page (on a phone: the first screen); the rest are under "More filters".
TOP = ("services",)


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
    values["lang"] = "" if ss.w_lang == i18n.DEFAULT == BROWSER_LANG else ss.w_lang
    return view.SearchForm(**values, facility=ss.get("facility") or "")


def url_form() -> tuple[view.SearchForm, list[str]]:
    params = {name: st.query_params.get_all(name) for name in st.query_params.keys()}
    return view.SearchForm.from_params(params, taxonomy)


def write_url(form: view.SearchForm) -> None:
    """Put the search in the URL — only when the URL describes another search, so loading a link
    adds no history entry (Back leaves the page) and Back/Forward land on real earlier searches."""
    if url_form()[0] != form:
        st.query_params.from_dict(form.to_params())
    ss.url_written = form


def from_link(form: view.SearchForm, warnings: list[str]) -> None:
    """Show a search a link (or Back / Forward) asked for; shortlisted ids the directory no longer has
    are dropped, with one note."""
    kept, note = view.known_shortlist(store, form.shortlist)
    set_form(form.with_(shortlist=kept))
    ss.url_warnings = warnings + ([note] if note else [])


from_url, warnings_from_url = url_form()
if "initialised" not in ss:
    from_link(from_url, warnings_from_url)
    ss.initialised = True
elif from_url != ss.get("url_written") and from_url != current_form():
    # The browser moved to another URL of this app (Back / Forward): show that search.
    from_link(from_url, [])
i18n.activate(ss.w_lang)  # a link may have named another language
if ss.get("drawn_lang", ss.w_lang) != ss.w_lang:
    # The language changed: the browser still holds each choice as the words it showed (a selectbox's or
    # a multiselect's options are sent as their labels), which the new labels no longer match. Setting
    # each widget's value anew sends it in the new language's words.
    for key in [*KEYS.values(), "w_sheet_format"]:
        if key != "w_lang" and key in ss:
            ss[key] = ss[key]
ss.drawn_lang = ss.w_lang


# -- callbacks: selection from the list or the map, place suggestions, clearing --------------------


def rows_of(facility_id: str | None) -> list[int]:
    """The list's row showing ``facility_id`` (none when it is not among the rows listed)."""
    ids = ss.get("table_ids", [])
    return [ids.index(facility_id)] if facility_id in ids else []


def select(facility_id: str | None, *, source: str) -> None:
    if not facility_id or facility_id == ss.get("facility"):
        return
    ss.facility = facility_id
    if source == "map" and ss.get("table_key"):
        # Select its row in the list: set through the list's state, so the list is not drawn anew.
        ss[ss.table_key] = {"selection": {"rows": rows_of(facility_id), "columns": []}}


def on_table_select(key: str) -> None:
    rows = ss[key].selection.rows
    ids = ss.get("table_ids", [])
    if rows and rows[0] < len(ids):
        select(ids[rows[0]], source="table")


def on_map_pick() -> None:
    select(mapview.selected_id(ss.map.pick, ss.map_data), source="map")


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
    set_form(view.SearchForm(near=near, radius=radius, shortlist=shortlist, facility=ss.get("facility") or ""))


def shortlisted() -> tuple[str, ...]:
    return tuple(ss[KEYS["shortlist"]])


def toggle_shortlist(facility_id: str) -> None:
    ss[KEYS["shortlist"]] = list(view.toggle_shortlist(shortlisted(), facility_id))


def clear_shortlist() -> None:
    ss[KEYS["shortlist"]] = []
    ss[KEYS["view"]] = ""


def show_screen(name: str) -> None:
    ss[KEYS["view"]] = name


# -- search (before the filters, so every filter can show its counts) -------------------------------

#: A kept search expires after this many seconds, so a database store's changes show within that time.
SEARCH_TTL = 600


class NotKept(Exception):
    """A search that found no place or failed (a database down): not kept, so the next try searches
    again. (An exception is how a cached function keeps nothing.)"""

    def __init__(self, outcome: view.Outcome) -> None:
        self.outcome = outcome


@st.cache_resource(max_entries=64, ttl=SEARCH_TTL, show_spinner=False)
def searched(data: str, search: str, lang: str, _form: view.SearchForm) -> tuple[view.Outcome, mapview.MapData]:
    """The search ``_form`` (whose signature is ``search``) of the directory file ``data``, and its map, in
    the language ``lang`` (their words are), kept for every session and expiring together (the whole
    directory's search takes 90 ms, its map 70)."""
    outcome = view.run(store, _form)
    if outcome.result is None:
        raise NotKept(outcome)
    return outcome, mapview.build_map(store, outcome.result)


form = current_form()
try:
    outcome, map_data = searched(DATA, form.signature(), ss.w_lang, form)
except NotKept as not_kept:
    outcome, map_data = not_kept.outcome, None
result = outcome.result
facets = result.facets if result is not None else {}


def filter_widget(f) -> None:
    """One filter of the registry as a widget. Option values and labels never change (a browser
    sends back the label it showed); the counts among the current results are in the line below."""
    if f.kind == "group":
        st.multiselect(
            f.title(),
            [g.name for g in taxonomy.groups_in(f.family)],
            key=KEYS[f.field],
            format_func=lambda name: taxonomy.group(name).label,
            placeholder=_("Any"),
        )
    elif f.kind == "state":
        st.selectbox(
            f.title(),
            [""] + sorted(STATES),
            key=KEYS[f.field],
            format_func=lambda code: _("Any state") if not code else f"{code} — {STATES[code]}",
        )
    elif f.kind == "choice":
        st.selectbox(
            f.title(),
            ["", *(value for value, _label in f.choices)],
            key=KEYS[f.field],
            format_func=lambda value, f=f: f.choice_label(value).capitalize() if value else _("Any"),
        )
    elif f.kind == "verified":
        st.selectbox(
            f.title(),
            view.verified_options(ss[KEYS[f.field]]),
            key=KEYS[f.field],
            format_func=view.verified_label,
        )
    elif f.kind == "since":
        st.selectbox(
            f.title(),
            view.since_options(ss[KEYS[f.field]], store.listed_years()),
            key=KEYS[f.field],
            format_func=view.since_label,
        )
    else:
        st.text_input(f.title(), key=KEYS[f.field])
    line = view.facet_line(taxonomy, f, result)
    if line:
        st.caption(esc(line))
    if f.field == "services":
        st.radio(
            _("Offering"),
            ["any", "all"],
            key=KEYS["match"],
            horizontal=True,
            format_func={"any": _("any selected type"), "all": _("all selected types")}.get,
        )


title_col, lang_col = st.columns([5, 1], vertical_alignment="bottom")
title_col.markdown("## " + esc(_("Find substance-use treatment")))
lang_col.radio(
    _("Language"),
    list(i18n.LANGUAGES),
    key="w_lang",
    format_func=i18n.LANGUAGES.get,
    horizontal=True,
    label_visibility="collapsed",
)
with st.container(border=True):
    lines = crisis_lines()
    for col, (who, what, link) in zip(st.columns(len(lines)), lines, strict=True):
        col.markdown(f"**{esc(who)}**  \n{view.md_link(what, link)}")

# The form comes first, in the page and in what is sent: a person needs the place box before the map.
# (Sent after the results, it showed up only once the map's and the list's code had loaded: 300 ms
# later on this machine, 1 s later with the CPU slowed 6x, for no measurable gain in the map's time.)
with st.container(border=True):
    place_col, radius_col, type_col = st.columns([4, 2, 4])
    place_col.text_input(
        _("Where are you?"),
        key=KEYS["near"],
        placeholder=_("ZIP, City, ST, address or lat, lon"),
        help=_("For example 33602, Tampa, FL, 123 Main St, Springfield, IL or 27.95, -82.46"),
    )
    radius_col.select_slider(_("Radius (miles)"), options=view.RADII, key=KEYS["radius"])
    with type_col:
        for f in APP_FILTERS:
            if f.field in TOP:
                filter_widget(f)
    others = [f for f in APP_FILTERS if f.field not in TOP]
    active = form.changed(f.field for f in others)
    names = ", ".join(f.title().lower() for f in others)
    title = _("More filters: {names} ({n} set)") if active else _("More filters: {names}")
    with st.expander(title.format(names=names, n=active), expanded=bool(active)):
        grid = st.columns(3)
        for i, f in enumerate(others):
            with grid[i % 3]:
                filter_widget(f)
        st.button(_("Clear filters"), on_click=clear_filters)


for warning in ss.get("url_warnings", []):
    st.warning(esc(_("From the link: {warning}").format(warning=warning)))


def base_url() -> str:
    return (st.context.url or "").split("?")[0]


def show_handover(comparison) -> None:
    """The shortlist handed over: a sheet in three formats (print), a text message, an e-mail, its link,
    and the downloads every search has."""
    st.markdown("#### " + esc(_("Hand it over")))
    fmt = st.radio(_("Sheet"), list(view.SHEET_FORMATS), format_func=view.sheet_format_label, key="w_sheet_format")
    large = st.checkbox(_("Large print"), key="w_sheet_large")
    link = f"{base_url()}?{current_form().with_(facility='', view='compare').query_string()}"
    print_col, text_col, mail_col = st.columns(3)
    print_col.button(_("Print the sheet"), key="print-sheet", on_click=lambda: ss.update(print_sheet=True))
    text_col.link_button(_("Text it"), view.sms_url(comparison, link=link))
    mail_col.link_button(_("E-mail it"), view.mailto_url(comparison, link=link))
    st.caption(_("Link to this shortlist (copy it with the button at its right):"))
    st.code(link, language=None, wrap_lines=True)
    files = view.shortlist_downloads(comparison, link=link, fmt=fmt, large=large)
    for col, item in zip(st.columns(len(files)), files, strict=True):
        col.download_button(
            item.label,
            data=item.make,
            file_name=item.file_name,
            mime=item.mime,
            on_click="ignore",
            key=f"shortlist-{item.label}",
        )
    if ss.pop("print_sheet", False):
        # Built only when asked: the sheet prints itself as it loads (one click from the screen to paper).
        st.iframe(
            view.sheet_html(
                comparison, fmt, large=large, link=link, print_on_load=True, attribution=view.attribution()
            ),
            height=1,
        )


def show_comparison() -> None:
    """The shortlist side by side (a column per facility; on a phone a card each), then the hand-over."""
    st.button(_("← Back to the results"), key="back-to-results", on_click=show_screen, args=("",))
    ids = shortlisted()
    if not ids:
        st.info(_("The shortlist is empty: add facilities from the results with ☆ Add to shortlist."))
        return
    center = result.center if result is not None else None
    comparison = view.compare(store, ids, near=center, drop_unknown=True)
    n = len(comparison.records)
    st.subheader(
        ngettext("Your shortlist side by side: {n} facility", "Your shortlist side by side: {n} facilities", n).format(
            n=number(n)
        )
    )
    if n == 1:
        st.caption(_("Add another facility to compare them; the sheet below works with one."))
    if comparison.closed_note():
        st.warning(esc(comparison.closed_note()))
    names = view.short_names([cell.text for cell in comparison.row("name").cells])
    # On a phone a card per place, each with its Remove button; else a button over each column of the table.
    places = [st.container() for _fid in comparison.ids] if mobile else st.columns(n)
    for i, (place, fid, name) in enumerate(zip(places, comparison.ids, names, strict=True)):
        if mobile:
            place.html(view.card_html(comparison, i))
        place.button(
            _("Remove {name}").format(name=esc(name)), key=f"remove-{fid}", on_click=toggle_shortlist, args=(fid,)
        )
    if not mobile:
        st.html(view.table_html(comparison))
    show_handover(comparison)


#: Phones get the detail first, then a text list (no sideways scrolling), then the map.
mobile = view.is_phone(st.context.headers.get("User-Agent"))

if form.view == "compare":
    show_comparison()
    write_url(current_form())
    st.stop()

if result is None:
    st.warning(esc(outcome.message))
    if outcome.suggestions:
        st.caption(_("Did you mean:"))
        for i, suggestion in enumerate(outcome.suggestions):
            st.button(esc(suggestion), key=f"suggest-{i}", on_click=use_place, args=(suggestion,))
    write_url(form)
    st.stop()

st.subheader(esc(outcome.heading))
if outcome.alternatives:
    st.caption(_("Did you mean another place?"))
    alt_cols = st.columns(min(len(outcome.alternatives), 5))
    for i, (col, label) in enumerate(zip(alt_cols, outcome.alternatives, strict=False)):
        col.button(esc(label), key=f"alt-{i}", on_click=use_place, args=(label,))
st.markdown(f"**{esc(result.describe())}**")
for note in outcome.notes:
    st.info(esc(note))
if result.older or result.closed:
    note_col, button_col = st.columns([5, 1], vertical_alignment="center")
    note_col.caption(esc(result.older_note()))
    if result.older:
        button_col.button(_("Include older listings"), on_click=include_older)


def show_map() -> None:
    ss.map_data = map_data  # what a click's index refers to
    facility_map(key="map", data=map_data.payload(selected), on_pick_change=on_map_pick)
    if map_data.note:
        st.caption(esc(map_data.note))
    else:
        st.html(mapview.legend_html(map_data.legend, taxonomy))


@st.dialog(_("Report a problem with this listing"))
def report_problem(facility_id: str, name: str) -> None:
    i18n.activate(ss.w_lang)  # a dialog reruns on its own: in this person's language
    st.markdown(f"**{esc(name)}**")
    with st.form(f"report-{facility_id}", clear_on_submit=True):
        problem = st.selectbox(_("What is wrong?"), PROBLEMS, format_func=problem_label)
        message = st.text_area(_("Details (optional)"))
        contact = st.text_input(_("Your email or phone, if we may contact you (optional)"))
        if st.form_submit_button(_("Send report")):
            allowed, wait = may_report(ss.setdefault("reports_sent", []), time.time())
            if not allowed:
                st.warning(esc(wait))
                return
            message, message_note = trim(message)
            contact, contact_note = trim(contact, MAX_CONTACT)
            try:
                saved = open_reports().add(Report(facility_id, name, problem, message, contact))
            except DirectoryError as exc:
                st.error(esc(str(exc)))
            else:
                ss.reports_sent.append(time.time())
                st.success(_("Thank you — report {id} saved.").format(id=esc(saved.report_id)))
                for note in (message_note, contact_note):
                    if note:
                        st.info(esc(note))


def shortlist_button(facility_id: str, *, key: str) -> None:
    """Add to or remove from the shortlist, in one tap."""
    on = facility_id in shortlisted()
    full = not on and len(shortlisted()) >= view.MAX_SHORTLIST
    st.button(
        _("★ On the shortlist — remove") if on else _("☆ Add to shortlist"),
        key=key,
        on_click=toggle_shortlist,
        args=(facility_id,),
        disabled=full,
        help=_("The shortlist holds {n} facilities").format(n=view.MAX_SHORTLIST) if full else None,
    )


def show_shortlist_bar() -> None:
    """Once the shortlist holds anything: how many, which, and the way to open it (on the first screen)."""
    ids = shortlisted()
    if not ids:
        return
    with st.container(border=True):
        names = [r.name for r in (store.facility(i) for i in ids) if r is not None]
        n = len(ids)
        heading = ngettext("Your shortlist: {n} facility", "Your shortlist: {n} facilities", n).format(n=number(n))
        st.markdown(f"**{esc(heading)}** — " + esc("; ".join(names)))
        open_col, clear_col = st.columns([3, 1])
        if open_col.button(_("Compare side by side and hand over"), key="open-shortlist", type="primary"):
            show_screen("compare")
            st.rerun()
        clear_col.button(_("Clear the shortlist"), key="clear-shortlist", on_click=clear_shortlist)


def show_detail() -> None:
    """The selected facility in a few elements (a selection draws them all anew); the report form
    opens in a dialog, drawn only when asked for."""
    if record is None:
        st.markdown(esc(_("Select a facility on the map or in the list to see its details.")))
        return
    detail = view.FacilityDetail.from_record(record, taxonomy)
    blocks = view.detail_markdown(detail)
    st.markdown(blocks.heading)
    if detail.closed:
        st.error(esc(f"{detail.closed} {view.closed_help()}"))
    elif detail.verified:
        st.success(esc(detail.verified))
    listed, long_ago = view.listing_note(detail)
    (st.warning if long_ago else st.caption)(esc(listed))
    if detail.stale_note:
        st.warning(esc(detail.stale_note))
    st.markdown(blocks.address)
    if detail.address_note:
        st.caption(esc(detail.address_note))
    st.markdown(blocks.contact)
    with st.expander(_("All services, by category")):
        st.markdown(blocks.services_and_glossary)
    shortlist_button(detail.facility_id, key=f"shortlist-detail-{detail.facility_id}")
    st.caption(esc(view.provenance(detail)))
    if st.button(_("Report a problem with this listing"), key=f"report-{detail.facility_id}"):
        report_problem(detail.facility_id, detail.name)


def show_text_list() -> None:
    """The results as text: readable without the map or the grid, by a screen reader or on a phone."""
    items = view.text_list(store, result)
    if not items:
        return
    for item in items:
        text_col, button_col, list_col = st.columns([5, 1, 2], vertical_alignment="center")
        text_col.markdown(view.item_markdown(item, selected))
        button_col.button(
            _("Details"),
            key=f"details-{item.facility_id}",
            on_click=select,
            args=(item.facility_id,),
            kwargs={"source": "list"},
        )
        with list_col:
            shortlist_button(item.facility_id, key=f"shortlist-row-{item.facility_id}")
    if result.total > len(items):
        st.caption(
            _("The first {n} of {total}; the downloads have every one.").format(
                n=number(len(items)), total=number(result.total)
            )
        )


def show_grid() -> None:
    table = view.result_table(store, result)
    list_note = view.list_note(result)
    if list_note:
        st.caption(esc(list_note))
    ss.table_ids = table["facility_id"].tolist()
    table_key = ss.table_key = f"table-{form.signature()}"
    st.dataframe(
        table,
        key=table_key,
        on_select=lambda: on_table_select(table_key),
        selection_mode="single-row",
        selection_default={"selection": {"rows": rows_of(selected), "columns": []}},
        hide_index=True,
        height=min(420, 38 + 35 * max(len(table), 1)),
        placeholder="",
        column_order=["name", "distance_miles", "phone", "city", "services", "listed", "verified", "website"],
        column_config={
            "name": st.column_config.TextColumn(
                _("Name"), width="large", pinned=True
            ),  # the program line tells sites apart
            "distance_miles": st.column_config.NumberColumn(_("Miles"), format="%.1f", width=60),
            "phone": st.column_config.TextColumn(_("Phone"), width=125),
            "city": st.column_config.TextColumn(_("City")),
            "services": st.column_config.ListColumn(_("Treatment"), width="large"),
            "listed": st.column_config.TextColumn(_("Listed"), width=60, help=_("The year a source last listed it")),
            "verified": st.column_config.TextColumn(
                _("Verified"), width=80, help=_("When a maintainer verified it (in the last 12 months)")
            ),
            "website": st.column_config.LinkColumn(_("Website"), display_text=r"https?://(?:www\.)?([^/]+).*"),
        },
    )


@st.fragment
def results_area() -> None:
    """Map, detail and lists. A selection (a row, a point, a Details button) reruns only this part:
    the search, the form and the downloads stay as they are."""
    global selected, record
    i18n.activate(ss.w_lang)  # a fragment reruns on its own: in this person's language
    selected = ss.get("facility") or None
    record = store.facility(selected) if selected else None
    if selected and record is None:
        st.warning(esc(_("No facility with id {id} in this directory.").format(id=selected)))
        selected = None
    show_shortlist_bar()
    if mobile:
        if record is not None:
            with st.container(border=True):
                show_detail()
        show_text_list()
        with st.expander(_("Map")):
            show_map()
    else:
        map_col, detail_col = st.columns([3, 2], gap="medium")
        with map_col:
            show_map()
        with detail_col:
            show_detail()
        show_grid()
        if st.toggle(_("Show the results as a text list (for screen readers and keyboards)"), key="w_text_list"):
            show_text_list()
    # The URL (and the link to copy) follow the selection and the shortlist, which change here without a
    # full rerun.
    shown = form.with_(facility=selected or "", shortlist=shortlisted())
    write_url(shown)
    query = shown.query_string()
    if shown.with_(lang="").query_string():  # the bare home page (in any language) has no search to share
        # (and loads no code box: 95-230 ms)
        st.caption(_("Link to this search (copy it with the button at its right):"))
        st.code(f"{(st.context.url or '').split('?')[0]}?{query}", language=None, wrap_lines=True)


selected: str | None = None
record = None
results_area()

st.caption(_("Download or print this list"))
files = view.downloads(store, result)
download_cols = st.columns(len(files) + 1)  # the last for printing
for col, item in zip(download_cols, files, strict=False):
    col.download_button(
        item.label,
        data=item.make,
        file_name=item.file_name,
        mime=item.mime,
        on_click="ignore",
        key=f"download-{item.label}",
    )
with download_cols[-1]:
    if result.total <= view.LIST_LIMIT:
        st.button(_("Print this list"), on_click=ask_to_print)
    else:
        st.caption(_("Narrow the search to print (at most {n} facilities).").format(n=number(view.LIST_LIMIT)))
if ss.pop("print_requested", False):
    # Built only when asked: the page prints itself as it loads (one click from the list to paper).
    st.iframe(view.printable_list(store, result, print_on_load=True), height=1)

st.caption(esc(view.attribution()))
