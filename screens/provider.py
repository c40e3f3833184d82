"""The provider's update page: opened from a private link (``/?update=<secret>``), it shows its site
and a short form pre-filled with the last report. The secret leaves the URL at once (it is kept in the
session only, never shown); every save checks it again on the server, with the hourly limit."""

from __future__ import annotations

import streamlit as st

from directory import Store, view
from directory.core.errors import DirectoryError, NotAllowed
from directory.core.i18n import _
from directory.live.availability import MAX_NOTE, current_days
from directory.live.submit import submit
from directory.stores.base import open_live
from directory.view import provider as form
from directory.view.availability import dated, facts

from .session import ss

esc = view.md_escape
#: The query parameter a provider's link carries its secret in (read once, then removed from the URL).
PARAM = "update"


def wanted() -> bool:
    """True when this session is a provider's: a link just opened, or one opened before."""
    return PARAM in st.query_params or bool(ss.get("provider_secret"))


def _take_secret() -> None:
    """Move the secret from the URL into the session (the URL keeps only the language)."""
    secret = st.query_params.get(PARAM)
    if secret:
        ss.provider_secret = secret
        lang = st.query_params.get("lang")
        st.query_params.clear()
        if lang:
            st.query_params["lang"] = lang


def _yes_no(label: str, value: object, key: str) -> str:
    """A yes / no / not saying question, as one row of choices."""
    return st.radio(
        label, form.YES_NO, index=form.YES_NO.index(value), format_func=form.yes_no_label, horizontal=True, key=key
    )


def show(store: Store) -> None:
    _take_secret()
    log, links = open_live(store)
    try:
        link = links.check(ss.get("provider_secret"))
    except NotAllowed as exc:
        st.markdown("## " + esc(_("Update your availability")))
        st.error(esc(_("This link does not work: {why}").format(why=str(exc))))
        return
    record = store.facility(link.facility_id)
    if record is None:
        st.error(esc(_("This link's facility is no longer in the directory.")))
        return
    st.markdown("## " + esc(_("Update your availability")))
    st.markdown(f"**{esc(record.name)}**" + (f"  \n{esc(record.name2)}" if record.name2 else ""))
    st.caption(esc(f"{record.street1}, {record.city}, {record.state} {record.zip}".strip(", ")))
    last = store.availability([record.facility_id]).get(record.facility_id)
    if last is not None:
        st.caption(
            esc(
                _("Your last report: {what} ({when}).").format(
                    what="; ".join(facts(last, store.taxonomy)), when=dated(last)
                )
            )
        )
    levels = form.levels_offered(record, store.taxonomy)
    values = form.defaults(last, levels)
    with st.form("availability", border=True):
        chosen: dict[str, object] = {}
        chosen["accepting_new_patients"] = st.radio(
            _("Are you accepting new patients?"),
            form.ACCEPTING,
            index=form.ACCEPTING.index(values["accepting_new_patients"]),
            format_func=form.accepting_label,
            key="p_accepting",
        )
        chosen["wait_days"] = st.number_input(
            _("If waitlisted: expected wait (days)"),
            min_value=0,
            max_value=365,
            value=values["wait_days"],
            step=1,
            key="p_wait",
        )
        st.markdown("**" + esc(_("Open beds or slots")) + "**")
        for level in levels:
            left, right = st.columns(2)
            label = store.taxonomy.group(level).label
            chosen[f"beds_{level}"] = left.number_input(
                _("{level}: open now").format(level=label),
                min_value=0,
                max_value=10_000,
                value=values[f"beds_{level}"],
                step=1,
                key=f"p_beds_{level}",
            )
            chosen[f"max_{level}"] = right.number_input(
                _("{level}: total").format(level=label),
                min_value=0,
                max_value=10_000,
                value=values[f"max_{level}"],
                step=1,
                key=f"p_max_{level}",
            )
        chosen["same_day_intake"] = _yes_no(_("Same-day or walk-in intake?"), values["same_day_intake"], "p_same_day")
        chosen["intake_hours"] = st.text_input(
            _("Intake hours (optional)"), value=values["intake_hours"], max_chars=120, key="p_hours"
        )
        chosen["same_day_buprenorphine"] = _yes_no(
            _("Same-day buprenorphine start?"), values["same_day_buprenorphine"], "p_bup"
        )
        chosen["note"] = st.text_area(
            _("A short note (optional)"), value=values["note"], max_chars=MAX_NOTE, key="p_note"
        )
        sent = st.form_submit_button(_("Send update"), type="primary")
    if sent:
        try:  # checked again on the server, every time: the link may have been revoked meanwhile
            saved = submit(log, links, ss.get("provider_secret"), record.facility_id, form.body(chosen, levels))
        except DirectoryError as exc:  # refused (NotAllowed, ReportRejected) or not saved: one line
            st.error(esc(str(exc)))
        else:
            st.success(
                esc(
                    _("Saved. People searching now see: {what}").format(
                        what="; ".join([*facts(saved, store.taxonomy), dated(saved)])
                    )
                )
            )
    st.caption(
        esc(
            _("Your report is shown as yours, with its time, for {days} days. Keep this link private.").format(
                days=current_days()
            )
        )
    )
