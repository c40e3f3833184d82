"""Streamlit front end for the treatment facility directory — wiring only.

Every computation (search, counts, map layers, detail, exports, reports) comes from the
``directory`` package; this file reads widgets, calls it, and renders what it returns.
Run with ``make run`` (binds 127.0.0.1; see ``.streamlit/config.toml``).
"""

from __future__ import annotations

import streamlit as st

from directory import Store, mapview, open_store, paths, view
from directory.crisis import CRISIS_LINES
from directory.errors import DirectoryError
from directory.filters import APP_FILTERS
from directory.reports import PROBLEMS, Report, ReportStore
from directory.states import STATES

st.set_page_config(page_title="Find substance-use treatment", page_icon="🧭", layout="wide")


@st.cache_resource(show_spinner="Loading the directory…")
def load_store(data: str) -> Store:
    return open_store(data)


store = load_store(str(paths.facilities_file()))
taxonomy = store.taxonomy
ss = st.session_state

#: Form field → widget key (one per field of the form, which the filter registry defines).
KEYS = {name: f"w_{name}" for name in view.PARAM_OF if name != "facility"}


def set_form(form: view.SearchForm) -> None:
    for attr, key in KEYS.items():
        value = getattr(form, attr)
        ss[key] = list(value) if isinstance(value, tuple) else value
    ss.facility = form.facility


def current_form() -> view.SearchForm:
    values = {attr: (tuple(ss[key]) if isinstance(ss[key], list) else ss[key]) for attr, key in KEYS.items()}
    return view.SearchForm(**values, facility=ss.get("facility") or "")


if "initialised" not in ss:
    params = {name: st.query_params.get_all(name) for name in st.query_params.keys()}
    first_form, ss.url_warnings = view.SearchForm.from_params(params, taxonomy)
    set_form(first_form)
    ss.table_gen = ss.map_gen = 0
    ss.initialised = True


# -- callbacks: selection from the list or the map, place suggestions, clearing --------------------


def select(facility_id: str | None, *, source: str) -> None:
    if not facility_id or facility_id == ss.get("facility"):
        return
    ss.facility = facility_id
    if source == "map":
        ss.table_gen += 1  # redraw the list with this row selected
    else:
        ss.map_gen += 1  # redraw the map without its own earlier selection; the ring marks this one


def on_table_select(key: str) -> None:
    rows = ss[key].selection.rows
    ids = ss.get("table_ids", [])
    if rows and rows[0] < len(ids):
        select(ids[rows[0]], source="table")


def on_map_select(key: str) -> None:
    select(mapview.selected_id(ss[key], ss.get("map_ids", {})), source="map")


def use_place(label: str) -> None:
    ss[KEYS["near"]] = label
    ss.facility = ""


def clear_filters() -> None:
    near, radius = ss[KEYS["near"]], ss[KEYS["radius"]]
    set_form(view.SearchForm(near=near, radius=radius))


# -- search (before the sidebar, so every option can show its count) --------------------------------

form = current_form()
outcome = view.run(store, form)
result = outcome.result
facets = result.facets if result is not None else {}

with st.sidebar:
    st.header("Search")
    st.text_input("Where are you?", key=KEYS["near"], placeholder="ZIP, City, ST, address or lat, lon",
                  help="For example 33602, Tampa, FL, 123 Main St, Springfield, IL or 27.95, -82.46")
    st.select_slider("Radius (miles)", options=view.RADII, key=KEYS["radius"])
    for f in APP_FILTERS:
        if f.kind == "group":
            counts = facets.get(f.family, {})
            st.multiselect(f.label, [g.name for g in taxonomy.groups_in(f.family)], key=KEYS[f.field],
                           format_func=lambda name, c=counts: view.option_label(taxonomy, name, c),
                           placeholder="Any")
            if f.field == "services":
                st.radio("Offering", ["any", "all"], key=KEYS["match"], horizontal=True,
                         format_func={"any": "any selected type", "all": "all selected types"}.get)
        elif f.kind == "state":
            state_counts = facets.get("state", {})
            st.selectbox(f.label, [""] + sorted(STATES), key=KEYS[f.field],
                         format_func=lambda code: "Any state" if not code else f"{code} ({state_counts.get(code, 0):,})")
        else:
            st.text_input(f.label, key=KEYS[f.field])
    st.button("Clear filters", on_click=clear_filters)

# -- main area ----------------------------------------------------------------------------------

st.title("Find substance-use treatment")
with st.container(border=True):
    cols = st.columns(len(CRISIS_LINES))
    for col, (who, what, link) in zip(cols, CRISIS_LINES):
        col.markdown(f"**{view.md_escape(who)}**  \n{view.md_link(what, link)}")

for warning in ss.get("url_warnings", []):
    st.warning(f"From the link: {warning}")

if result is None:
    st.warning(outcome.message)
    if outcome.suggestions:
        st.caption("Did you mean:")
        for i, suggestion in enumerate(outcome.suggestions):
            st.button(suggestion, key=f"suggest-{i}", on_click=use_place, args=(suggestion,))
    st.query_params.from_dict(form.to_params())
    st.stop()

st.subheader(outcome.heading)
if outcome.alternatives:
    st.caption("Did you mean another place?")
    alt_cols = st.columns(min(len(outcome.alternatives), 5))
    for i, (col, label) in enumerate(zip(alt_cols, outcome.alternatives)):
        col.button(label, key=f"alt-{i}", on_click=use_place, args=(label,))
st.markdown(f"**{view.md_escape(result.describe())}**")
for note in outcome.notes:
    st.info(note)

selected = ss.get("facility") or None
record = store.facility(selected) if selected else None
if selected and record is None:
    st.warning("The facility in the link is not in this directory any more.")
    selected = None

points = mapview.map_points(store, result.frame, result.coordinates())
ss.map_ids = mapview.layer_ids(points)
map_col, detail_col = st.columns([3, 2], gap="medium")
with map_col:
    deck = mapview.build_deck(store, result, selected=selected, points=points)
    map_key = f"map-{ss.map_gen}"
    st.pydeck_chart(deck, on_select=lambda: on_map_select(map_key), selection_mode="single-object",
                    key=map_key, height=520, alt="Map of the facilities found")
    st.html(mapview.legend_html(mapview.legend(points)))

with detail_col:
    if record is None:
        st.markdown("Select a facility on the map or in the list to see its details.")
    else:
        detail = view.FacilityDetail.from_record(record, taxonomy)
        st.markdown(f"### {view.md_escape(detail.name)}")
        if detail.program:
            st.markdown(f"*{view.md_escape(detail.program)}*")
        if detail.stale_note:
            st.warning(detail.stale_note)
        st.markdown("  \n".join(view.md_escape(line) for line in detail.address_lines))
        st.markdown("  \n".join((f"{label}: " if label else "") + view.md_link(text, link)
                                 for label, text, link in view.contacts(detail)))
        for heading, values in view.highlights(detail):
            st.markdown(f"**{heading}:** " + ", ".join(view.md_escape(v) for v in values))
        with st.expander("All services, by category"):
            for category, labels in detail.services.items():
                st.markdown(f"**{view.md_escape(category)}**  \n" + ", ".join(view.md_escape(v) for v in labels))
        if detail.licence:
            st.markdown(view.md_escape(detail.licence))
        st.caption(view.md_escape(view.provenance(detail)))
        with st.expander("Report a problem with this listing"):
            with st.form(f"report-{detail.facility_id}", clear_on_submit=True):
                problem = st.selectbox("What is wrong?", PROBLEMS)
                message = st.text_area("Details (optional)", max_chars=2000)
                contact = st.text_input("Your email or phone, if we may contact you (optional)", max_chars=200)
                if st.form_submit_button("Send report"):
                    try:
                        saved = ReportStore().add(Report(detail.facility_id, detail.name, problem, message, contact))
                    except DirectoryError as exc:
                        st.error(str(exc))
                    else:
                        st.success(f"Thank you — report {saved.report_id} saved.")

table = view.result_table(store, result)
list_note = view.list_note(result)
if list_note:
    st.caption(list_note)
ss.table_ids = table["facility_id"].tolist()
table_key = f"table-{form.signature()}-{ss.table_gen}"
default_rows = [ss.table_ids.index(selected)] if selected in ss.table_ids else []
st.dataframe(
    table, key=table_key, on_select=lambda: on_table_select(table_key), selection_mode="single-row",
    selection_default={"selection": {"rows": default_rows, "columns": []}},
    hide_index=True, height=min(420, 38 + 35 * max(len(table), 1)), placeholder="",
    column_order=["distance_miles", "name", "city", "phone", "website", "services"],
    column_config={
        "distance_miles": st.column_config.NumberColumn("Miles", format="%.1f", width="small"),
        "name": st.column_config.TextColumn("Name", width="large"),
        "city": st.column_config.TextColumn("City"),
        "phone": st.column_config.TextColumn("Phone"),
        "website": st.column_config.LinkColumn("Website", display_text=r"https?://(?:www\.)?([^/]+).*"),
        "services": st.column_config.ListColumn("Treatment", width="large"),
    },
)

st.caption("Download this list")
download_cols = st.columns(4)
for col, item in zip(download_cols, view.downloads(store, result)):
    col.download_button(item.label, data=item.make, file_name=item.file_name, mime=item.mime,
                        on_click="ignore", key=f"download-{item.label}")

st.caption(view.ATTRIBUTION)
st.query_params.from_dict(form.to_params())
