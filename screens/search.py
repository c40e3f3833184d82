"""The first screen's top: title, language switch, crisis lines and the search form, whose filters
are the registry's (:data:`directory.core.filters.APP_FILTERS`), each with its counts."""

from __future__ import annotations

import streamlit as st

from directory import view
from directory.core import i18n
from directory.core.crisis import crisis_lines
from directory.core.filters import APP_FILTERS
from directory.core.i18n import _
from directory.core.states import STATES

from .session import KEYS, TOP, Page, clear_filters, include_older, keep, ss, use_place

esc = view.md_escape


def filter_widget(page: Page, f) -> None:
    """One filter of the registry as a widget. Option values and labels never change (a browser
    sends back the label it showed); the counts among the current results are in the line below."""
    taxonomy = page.taxonomy
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
            view.since_options(ss[KEYS[f.field]], page.store.listed_years()),
            key=KEYS[f.field],
            format_func=view.since_label,
        )
    else:
        st.text_input(f.title(), key=KEYS[f.field])
    line = view.facet_line(taxonomy, f, page.result)
    if line:
        st.caption(esc(line))
    if f.field == "services":
        if len(ss[KEYS["services"]]) > 1:  # any or all of them: a choice only once there are two
            st.radio(
                _("Offering"),
                ["any", "all"],
                key=KEYS["match"],
                horizontal=True,
                format_func={"any": _("any selected type"), "all": _("all selected types")}.get,
            )
        else:  # not drawn: its value kept
            keep([KEYS["match"]])


def header() -> None:
    """The title, the language switch and the crisis lines."""
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
    # The page's style with them, in one element; Markdown (whose code the page has from the start), not
    # st.html (whose code is fetched when first used: on a loaded machine they showed seconds after the rest).
    # Only the app's own constants are in it, escaped.
    st.markdown(view.page_css() + view.crisis_html(crisis_lines()), unsafe_allow_html=True)


def search_form(page: Page) -> None:
    """The place, the radius, the top filters and the rest under "More filters"."""
    with st.container(border=True):
        place_col, radius_col, type_col = st.columns([4, 2, 4])
        place_col.text_input(
            _("Where are you?"),
            key=KEYS["near"],
            placeholder=_("ZIP, City, ST, address or lat, lon"),
            help=_("For example 33602, Tampa, FL, 123 Main St, Springfield, IL or 27.95, -82.46"),
        )
        router = getattr(page.store, "router", None)
        if router is not None:  # drive times: the radius becomes minutes
            radius_col.selectbox(
                _("Drive time (minutes)") if ss[KEYS["travel"]] == "car" else _("Travel time (minutes)"),
                options=view.MINUTES,
                key=KEYS["minutes"],
                help=_("With no traffic, from the routing engine (OSRM)"),
            )
            if len(router.profiles) > 1:  # a second profile (on foot) named by the deployer
                radius_col.radio(
                    _("Travel"),
                    list(router.profiles),
                    key=KEYS["travel"],
                    horizontal=True,
                    format_func=view.travel_words,
                )
        else:
            # A box, not a slider: the same stops, and the slider's code was 80 ms of a first load here.
            radius_col.selectbox(_("Radius (miles)"), options=view.RADII, key=KEYS["radius"])
        with type_col:
            for f in APP_FILTERS:
                if f.field in TOP:
                    filter_widget(page, f)
        others = [f for f in APP_FILTERS if f.field not in TOP]
        active = page.form.changed(f.field for f in others)
        names = ", ".join(f.title().lower() for f in others)
        title = _("More filters: {names} ({n} set)") if active else _("More filters: {names}")
        # Its widgets are drawn only while it is open (opening it reruns the page): closed, they were a
        # third of the first screen's elements and 500 ms of its first load. Closed, their values are kept
        # as they are (a widget not drawn in a run would lose its value).
        more = st.expander(title.format(names=names, n=active), expanded=bool(active), key="w_more", on_change="rerun")
        if more.open:
            with more:
                grid = st.columns(3)
                for i, f in enumerate(others):
                    with grid[i % 3]:
                        filter_widget(page, f)
                st.button(_("Clear filters"), on_click=clear_filters)
        else:
            keep(KEYS[f.field] for f in others)
    for warning in ss.get("url_warnings", []):
        st.warning(esc(_("From the link: {warning}").format(warning=warning)))


def no_place(page: Page) -> None:
    """A search that found no place (or failed): the one line, and the places it may have meant."""
    outcome = page.outcome
    st.warning(esc(outcome.message))
    if outcome.suggestions:
        st.caption(_("Did you mean:"))
        for i, suggestion in enumerate(outcome.suggestions):
            st.button(esc(suggestion), key=f"suggest-{i}", on_click=use_place, args=(suggestion,))


def result_heading(page: Page) -> None:
    """What was searched, the sentence that describes the result, its notes and what it leaves out."""
    outcome, result = page.outcome, page.result
    st.subheader(esc(outcome.heading))
    if outcome.alternatives:
        st.caption(_("Did you mean another place?"))
        alt_cols = st.columns(min(len(outcome.alternatives), 5))
        for i, (col, label) in enumerate(zip(alt_cols, outcome.alternatives, strict=False)):
            col.button(esc(label), key=f"alt-{i}", on_click=use_place, args=(label,))
    st.markdown(f"**{esc(result.describe())}**")
    if result.routing_note:  # drive times were asked for and are missing: one visible line
        st.warning(esc(result.basis))
    elif result.basis:
        st.caption(esc(result.basis))
    for note in outcome.notes:
        st.info(esc(note))
    if result.older or result.closed:
        note_col, button_col = st.columns([5, 1], vertical_alignment="center")
        note_col.caption(esc(result.older_note()))
        if result.older:
            button_col.button(_("Include older listings"), on_click=include_older)
