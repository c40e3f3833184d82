"""Streamlit front end for the treatment facility directory — wiring only.

Every computation (search, counts, explanations, map layers, detail, exports, reports) comes
from the ``directory`` package; this file and its screens (``screens/``: the search form, the
results, the comparison) read widgets, call it, and render what it returns. Every text that comes
from a URL, a form or the data goes through ``view.md_escape`` (or a text-only element) before
Streamlit renders it. Run with ``make run`` (binds 127.0.0.1; see ``.streamlit/config.toml``).
"""

from __future__ import annotations

import streamlit as st

from directory import Store, open_store, view
from directory.core import i18n, paths
from directory.core.i18n import _
from directory.stores.base import live_version
from directory.view import listview, mapview, tiles
from screens import compare, maintain, provider, results, search
from screens.session import Page, browser_lang, current_form, follow_url, ss, write_url

if "w_lang" not in ss:
    ss.w_lang = i18n.negotiate(st.query_params.get("lang"), browser_lang())
i18n.activate(ss.w_lang)

st.set_page_config(page_title=_("Find substance-use treatment"), page_icon="🧭", layout="wide")
if tiles_refused := tiles.tiles_problem():  # a deployer's tile setting the map cannot use: said, not used
    st.error(view.md_escape(_("Map tiles are off: {why}").format(why=tiles_refused)))
#: Sets the page's ``<html lang>`` to the interface language (screen readers pronounce by it).
page_lang = st.components.v2.component("page_lang", html="", js=view.PAGE_LANG_JS)
page_lang(key="page-lang", data={"lang": ss.w_lang})
#: The results map: a canvas drawn by directory/web/map.js (see directory.view.mapview).
facility_map = st.components.v2.component("facility_map", html=mapview.MAP_HTML, css=mapview.MAP_CSS, js=mapview.MAP_JS)
#: The results list: an HTML table drawn by directory/web/list.js (see directory.view.listview).
facility_list = st.components.v2.component(
    "facility_list", html=listview.LIST_HTML, css=listview.LIST_CSS, js=listview.LIST_JS
)


@st.cache_resource(show_spinner=_("Loading the directory…"))
def load_store(data: str) -> Store:
    return open_store(data)


DATA = str(paths.facilities_file())
store = load_store(DATA)

# -- search (before the filters, so every filter can show its counts) -------------------------------

#: A kept search expires after this many seconds, so a database store's changes show within that time.
SEARCH_TTL = 600


class NotKept(Exception):
    """A search that found no place or failed (a database down), or whose drive times were unavailable:
    not kept, so the next try searches again. (An exception is how a cached function keeps nothing.)"""

    def __init__(self, outcome: view.Outcome, shown: tuple[mapview.MapData, listview.ListData] | None = None) -> None:
        self.outcome = outcome
        self.map_data, self.list_data = shown or (None, None)


@st.cache_resource(max_entries=64, ttl=SEARCH_TTL, show_spinner=False)
def searched(
    data: str, search: str, lang: str, live: tuple[int, int], _form: view.SearchForm
) -> tuple[view.Outcome, mapview.MapData, listview.ListData]:
    """The search ``_form`` (whose signature is ``search``) of the directory file ``data``, its map and its list, in
    the language ``lang`` (their words are), at the live state of version ``live`` (a new report or
    correction is a new key: never a kept search older than it), kept for every session and expiring together (the
    whole directory's search takes 90 ms, its map 70, its list 20)."""
    outcome = view.run(store, _form)
    if outcome.result is None:
        raise NotKept(outcome)
    shown = mapview.build_map(store, outcome.result), listview.list_data(store, outcome.result)
    if outcome.result.routing_note:  # drive times failed this time: shown, not kept (the next try asks again)
        raise NotKept(outcome, shown)
    return outcome, *shown


def public() -> None:
    """The public directory: search, results, comparison (and a provider's update page from its link)."""
    maintain.signed_in_bar(STAFF)
    if provider.wanted():  # a provider's private link: its update page, nothing else
        st.html(view.page_css())
        provider.show(store)
        return
    follow_url(store)
    form = current_form()
    try:
        outcome, map_data, list_data = searched(DATA, form.signature(), ss.w_lang, live_version(store), form)
    except NotKept as not_kept:
        outcome, map_data, list_data = not_kept.outcome, not_kept.map_data, not_kept.list_data
    page = Page(
        store=store,
        form=form,
        outcome=outcome,
        map_data=map_data,
        list_data=list_data,
        mobile=view.is_phone(st.context.headers.get("User-Agent")),
        facility_map=facility_map,
        facility_list=facility_list,
    )

    search.header()
    # The form comes first, in the page and in what is sent: a person needs the place box before the map.
    # (Sent after the results, it showed up only once the map's and the list's code had loaded: 300 ms
    # later on this machine, 1 s later with the CPU slowed 6x, for no measurable gain in the map's time.)
    search.search_form(page)

    if form.view == "compare":
        compare.show_comparison(page)
        write_url(current_form(), store.taxonomy)
        return

    if page.result is None:
        search.no_place(page)
        write_url(form, store.taxonomy)
        return

    search.result_heading(page)
    results.results_area(page)
    results.downloads(page)
    st.caption(view.md_escape(view.attribution()))


def staff() -> None:
    st.html(view.page_css())
    maintain.show(store)


# The staff console is at /maintain, in no navigation menu: the public app shows no sign of it (but to
# someone signed in).
STAFF = st.Page(staff, title=_("Staff console"), url_path="maintain", visibility="hidden")
st.navigation(
    [st.Page(public, title=_("Find substance-use treatment"), url_path="", default=True), STAFF], position="hidden"
).run()
