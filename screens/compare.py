"""The shortlist side by side (a column per facility; on a phone a card each), and its hand-over: a
sheet in three formats (print), a text message, an e-mail, its link and the downloads."""

from __future__ import annotations

import streamlit as st

from directory import view
from directory.core.i18n import _, ngettext, number

from .session import Page, base_url, current_form, download_buttons, shortlisted, show_screen, ss, toggle_shortlist

esc = view.md_escape


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
    download_buttons(files, st.columns(len(files)), key="shortlist")
    if ss.pop("print_sheet", False):
        # Built only when asked: the sheet prints itself as it loads (one click from the screen to paper).
        st.iframe(
            view.sheet_html(
                comparison, fmt, large=large, link=link, print_on_load=True, attribution=view.attribution()
            ),
            height=1,
        )


def show_comparison(page: Page) -> None:
    """The shortlist side by side (a column per facility; on a phone a card each), then the hand-over."""
    st.button(_("← Back to the results"), key="back-to-results", on_click=show_screen, args=("",))
    ids = shortlisted()
    if not ids:
        st.info(_("The shortlist is empty: add facilities from the results with ☆ Add to shortlist."))
        return
    center = page.result.center if page.result is not None else None
    comparison = view.compare(page.store, ids, near=center, drop_unknown=True)
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
    places = [st.container() for _fid in comparison.ids] if page.mobile else st.columns(n)
    for i, (place, fid, name) in enumerate(zip(places, comparison.ids, names, strict=True)):
        if page.mobile:
            place.html(view.card_html(comparison, i))
        place.button(
            _("Remove {name}").format(name=esc(name)), key=f"remove-{fid}", on_click=toggle_shortlist, args=(fid,)
        )
    if not page.mobile:
        st.html(view.table_html(comparison))
    show_handover(comparison)
