"""The results: map, detail, text list, table, the shortlist bar, the problem-report form and the
downloads. A selection (a row, a point, a Details button) reruns only :func:`results_area`."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import streamlit as st

from directory import view
from directory.core import i18n
from directory.core.errors import DirectoryError
from directory.core.i18n import _, ngettext, number
from directory.curation.reports import (
    MAX_CONTACT,
    PROBLEMS,
    Report,
    client_address,
    client_key,
    may_accept,
    may_report,
    open_reports,
    problem_label,
    trim,
)
from directory.view import mapwords

from .session import (
    Page,
    ask_to_print,
    clear_shortlist,
    download_buttons,
    on_list_pick,
    on_map_pick,
    select,
    shortlisted,
    show_screen,
    ss,
    toggle_shortlist,
    write_url,
)

esc = view.md_escape


def show_map(page: Page, selected: str | None) -> None:
    map_data = page.map_data
    ss.map_data = map_data  # what a click's index refers to
    page.facility_map(key="map", data=map_data.payload(selected), on_pick_change=on_map_pick)
    # Under it, in one element: its legend (or why it has none), then the map in words, for everyone and for
    # screen readers: the area, the counts, the towns, the list.
    st.html(mapwords.under_map_html(page.result, map_data, page.taxonomy))


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
                reports = open_reports()
                # Localhost connections have no address in st.context: they are the host's own (a proxy's).
                peer = st.context.ip_address or "127.0.0.1"
                address = client_address(peer, st.context.headers.get("X-Forwarded-For"))
                client = client_key(address, datetime.now(UTC).date().isoformat())
                accepted, why = may_accept(reports, client)
                if not accepted:
                    st.warning(esc(why))
                    return
                saved = reports.add(Report(facility_id, name, problem, message, contact, client=client))
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


def show_shortlist_bar(page: Page) -> None:
    """Once the shortlist holds anything: how many, which, and the way to open it (on the first screen)."""
    ids = shortlisted()
    if not ids:
        return
    with st.container(border=True):
        names = [r.name for r in (page.store.facility(i) for i in ids) if r is not None]
        n = len(ids)
        heading = ngettext("Your shortlist: {n} facility", "Your shortlist: {n} facilities", n).format(n=number(n))
        st.markdown(f"**{esc(heading)}** — " + esc("; ".join(names)))
        open_col, clear_col = st.columns([3, 1])
        if open_col.button(_("Compare side by side and hand over"), key="open-shortlist", type="primary"):
            show_screen("compare")
            st.rerun()
        clear_col.button(_("Clear the shortlist"), key="clear-shortlist", on_click=clear_shortlist)


def show_detail(page: Page, record) -> None:
    """The selected facility in a few elements (a selection draws them all anew); the report form
    opens in a dialog, drawn only when asked for."""
    if record is None:
        st.markdown(esc(_("Select a facility on the map or in the list to see its details.")))
        return
    report = page.store.availability([record.facility_id]).get(record.facility_id)
    detail = view.FacilityDetail.from_record(record, page.taxonomy, availability=report)
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


def text_rows(page: Page) -> int:
    """How many rows the text list shows: :data:`~directory.view.TEXT_LIST_STEP` for a new search, more
    once asked for (:func:`~directory.view.more_rows`)."""
    search = page.form.signature()
    if ss.get("text_list_for") != search:
        ss.text_list_for, ss.text_list_rows = search, view.TEXT_LIST_STEP
    return ss.text_list_rows


def show_more_rows(n: int) -> None:
    ss.text_list_rows += n


def show_text_list(page: Page, selected: str | None) -> None:
    """The results as text: readable without the map or the list, by a screen reader or on a phone; the
    first rows, and more on request."""
    result = page.result
    items = view.text_list(page.store, result, limit=text_rows(page))
    if not items:
        return
    for item in items:
        st.markdown(view.item_markdown(item, selected))
        with st.container(horizontal=True):
            st.button(
                _("Details"),
                key=f"details-{item.facility_id}",
                on_click=select,
                args=(item.facility_id,),
            )
            shortlist_button(item.facility_id, key=f"shortlist-row-{item.facility_id}")
    more = view.more_rows(len(items), result.total)
    if more:
        st.button(_("Show {n} more").format(n=number(more)), key="text-more", on_click=show_more_rows, args=(more,))
    if result.total > len(items):
        st.caption(
            _("The first {n} of {total}; the downloads have every one.").format(
                n=number(len(items)), total=number(result.total)
            )
        )


def show_list(page: Page, selected: str | None) -> None:
    """The results as a table beside the map (web/list.js): a name shows the facility's detail; a
    header sorts by its column."""
    ss.list_data = page.list_data  # what a click's index refers to
    page.facility_list(key="list", data=page.list_data.payload(selected), on_pick_change=on_list_pick)


@st.fragment
def results_area(page: Page) -> None:
    """Map, detail and lists. A selection (a row, a point, a Details button) reruns only this part:
    the search, the form and the downloads stay as they are."""
    i18n.activate(ss.w_lang)  # a fragment reruns on its own: in this person's language
    selected = ss.get("facility") or None
    record = page.store.facility(selected) if selected else None
    if selected and record is None:
        st.warning(esc(_("No facility with id {id} in this directory.").format(id=selected)))
        selected = None
    show_shortlist_bar(page)
    if page.mobile:
        if record is not None:
            with st.container(border=True):
                show_detail(page, record)
        show_text_list(page, selected)
        with st.expander(_("Map")):
            show_map(page, selected)
    else:
        map_col, detail_col = st.columns([3, 2], gap="medium")
        with map_col:
            show_map(page, selected)
        with detail_col:
            show_detail(page, record)
        show_list(page, selected)
        if st.toggle(_("Show the results as a text list (for screen readers and keyboards)"), key="w_text_list"):
            show_text_list(page, selected)
    # The URL (and the link to copy) follow the selection and the shortlist, which change here without a
    # full rerun.
    shown = page.form.with_(facility=selected or "", shortlist=shortlisted())
    write_url(shown, page.taxonomy)
    query = shown.query_string()
    if shown.with_(lang="").query_string():  # the bare home page (in any language) has no search to share
        # (and loads no code box: 95-230 ms)
        st.caption(_("Link to this search (copy it with the button at its right):"))
        st.code(f"{(st.context.url or '').split('?')[0]}?{query}", language=None, wrap_lines=True)


def downloads(page: Page) -> None:
    """The list as files, and printed: folded under one line, built only when it is opened (six buttons on
    the first screen were thirteen of its elements). A box in the page's flow, not a popover: a popover
    placed itself before its buttons were drawn, and at the foot of a page they could fall below the
    window, out of reach of scrolling."""
    result = page.result
    with st.expander(_("Download or print this list"), key="w_downloads", on_change="rerun") as box:
        if box.open:
            st.caption(_("Every facility found, with its sources and dates:"))
            files = view.downloads(page.store, result)
            with st.container(horizontal=True):  # side by side, wrapping on a narrow screen
                download_buttons(files, key="download")
                if result.total <= view.LIST_LIMIT:
                    st.button(_("Print this list"), on_click=ask_to_print)
            if result.total > view.LIST_LIMIT:
                st.caption(_("Narrow the search to print (at most {n} facilities).").format(n=number(view.LIST_LIMIT)))
    if ss.pop("print_requested", False):
        # Built only when asked: the page prints itself as it loads (one click from the list to paper).
        st.iframe(view.printable_list(page.store, result, print_on_load=True), height=1)
