"""The staff console at ``/maintain`` (hidden from the public navigation): sign-in through the
organisation's identity provider (``st.login``), then the verification queue with its first due record
open, call outcomes in one click each, the record's open problem reports, provider links, and the
activity log.

Every action calls :func:`require` first — the signed-in maintainer checked on the server, each time —
and the page draws nothing of the queue or a record to anyone else. Every text from the data, a report
or a provider goes through ``esc`` (or a text-only element)."""

from __future__ import annotations

import time
from datetime import date

import streamlit as st

from directory import Store, view
from directory.core.errors import DirectoryError, NotAllowed
from directory.core.i18n import _
from directory.core.states import STATES
from directory.curation import console
from directory.curation import queue as work
from directory.curation.reports import open_reports, review
from directory.exports.tabular import sheet_csv
from directory.pipeline.corrections import new, undoable
from directory.stores.base import live_version, open_corrections, open_live

from .session import base_url, ss

esc = view.md_escape
#: How many due records the list beside the open one shows (the calling sheet holds all).
SHOWN = 25


def claims() -> dict:
    """The signed-in person's token claims (``is_logged_in`` false when nobody is)."""
    try:
        return st.user.to_dict()
    except Exception:  # noqa: BLE001 - no auth configured: nobody is signed in
        return {"is_logged_in": False}


def require() -> str:
    """The signed-in maintainer's e-mail, checked now (:class:`NotAllowed` otherwise)."""
    return console.signed_in_maintainer(claims())


def signed_in_bar(console_page) -> None:
    """On the public page, for a signed-in person only: who they are and the way to the console. The
    identity provider sends everyone back to the app's root; a maintainer who has just signed in (a new
    session, a token issued this minute) goes straight on to the console."""
    user = claims()
    if not user.get("is_logged_in"):
        return
    fresh = "console_checked" not in ss and isinstance(user.get("iat"), int | float) and time.time() - user["iat"] < 60
    ss.console_checked = True
    if fresh and console.is_maintainer(user):
        st.switch_page(console_page)
    st.page_link(
        console_page, label=_("Signed in as {email} — open the staff console").format(email=esc(user.get("email", "")))
    )


def sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _say(kind: str, text: str) -> None:
    ss.console_said = (kind, text)


def _act(action, *args) -> None:
    """Run a console action as the signed-in maintainer (checked first), saying what happened in one line."""
    try:
        me = require()
        _say("success", action(me, *args))
    except (DirectoryError, NotAllowed) as exc:
        _say("error", str(exc))


def _record(me: str, store: Store, outcome: str, facility_id: str, next_id: str | None, report_id: str = "") -> str:
    record = store.facility(facility_id)
    if record is None:
        raise DirectoryError(f"no facility with id {facility_id!r}")
    changes = None
    if outcome == "changed":
        changes = {f: ss.get(f"edit-{facility_id}-{f}", "") for f in console.EDITABLE}
    lines = console.outcome_lines(
        outcome,
        facility_id,
        by=me,
        record=record.to_row(),
        changes=changes,
        reason=ss.get("console-reason", ""),
        report_id=report_id,
    )
    written = console.record_outcome(lines, open_corrections(store), lambda fid: store.facility(fid) is not None)
    ss.console_open = next_id
    ss.console_last = [c.id for c in written]
    ss["console-reason"] = ""
    label = _(console.OUTCOME[outcome].label)
    return _("Recorded for {name}: {outcome} (line {ids}).").format(
        name=record.name, outcome=label, ids=", ".join(f"#{c.id}" for c in written)
    )


def _undo(me: str, store: Store, line_id: int) -> str:
    corrections = open_corrections(store)
    lines = corrections.lines()
    line = next((c for c in lines if c.id == line_id), None)
    why = "no such line" if line is None else undoable(line, lines, me)
    if why:
        raise DirectoryError(why)
    corrections.add(new("", "undo", by=me, undoes=str(line_id), verified_how="phone"))
    ss.console_open = line.facility_id
    ss.console_last = []
    return _("Line #{id} undone.").format(id=line_id)


def _resolve(me: str, store: Store, report_id: str) -> str:
    note = ss.get(f"resolve-{report_id}", "").strip()
    if not note:
        raise DirectoryError(_("say how the report was resolved"))
    open_reports().resolve(report_id, note, by=me)
    return _("Report {id} resolved.").format(id=report_id)


def _issue(me: str, store: Store, facility_id: str) -> str:
    _log, links = open_live(store)
    link, secret = links.issue(facility_id, ss.get("link-contact", ""), by=me)
    ss.link_secret = (link.id, secret)  # shown once, on the next run only
    return _("Provider link {id} issued.").format(id=link.id)


def _revoke(me: str, store: Store, link_id: int) -> str:
    _log, links = open_live(store)
    links.revoke(link_id, by=me)
    return _("Provider link {id} revoked.").format(id=link_id)


@st.cache_resource(max_entries=32, ttl=600, show_spinner=False)
def _queue(area: work.Area, versions: tuple, reports_seen: tuple, today: str, _store: Store) -> work.Queue:
    """The queue of ``area`` on ``today`` at these versions of the live state and counts of reports (a new
    correction, provider report or problem report is a new key)."""
    lines = _lines(_store)
    return work.build(
        _store,
        area,
        reports=review(open_reports(), lines),
        latest=_store.availability(_ids(_store, area)),
        lines=lines,
        today=date.fromisoformat(today),
    )


def _ids(store: Store, area: work.Area) -> list[str]:
    return store.select(area.selection(store.taxonomy))[0]


def _lines(store: Store):
    return open_corrections(store).lines()


def show(store: Store) -> None:
    st.markdown("## " + esc(_("Staff console")))
    if not sign_in_configured():
        st.info(esc(_("Sign-in is not configured on this server (see docs/curate.md).")))
        return
    if not claims().get("is_logged_in"):
        st.markdown(esc(_("Sign in with your organisation's account to work on the directory.")))
        st.button(_("Sign in"), on_click=st.login, type="primary", key="sign-in")
        return
    try:
        me = require()
    except NotAllowed as exc:
        st.markdown(esc(str(exc)))
        st.button(_("Sign out"), on_click=st.logout, key="sign-out")
        return
    top = st.columns([4, 1])
    top[0].caption(esc(_("Signed in as {email}").format(email=me)))
    top[1].button(_("Sign out"), on_click=st.logout, key="sign-out")
    area = _area_controls(store)
    reports = open_reports()
    reviewed = review(reports, _lines(store))
    seen = (len(reviewed), sum(1 for _r, resolution in reviewed if resolution is None))
    queue = _queue(area, live_version(store), seen, date.today().isoformat(), store)
    said = ss.pop("console_said", None)
    heading = st.columns([3, 1])
    heading[0].markdown("**" + esc(queue.summary()) + "**")
    heading[1].download_button(
        _("Calling sheet (CSV)"),
        sheet_csv(work.CSV_COLUMNS, queue.rows()),
        file_name="verification-queue.csv",
        mime="text/csv",
        key="queue-csv",
    )
    current = _current(store, queue)
    left, right = st.columns([2, 3])
    with left:
        _queue_list(queue, current)
    with right:
        # Always one container, said or not: what follows keeps its place in the page (a form the maintainer
        # opened stays open when the line above it goes).
        with st.container():
            if said:
                (st.success if said[0] == "success" else st.error)(esc(said[1]))
                _undo_button(store)
        if current is None:
            st.markdown(esc(_("Nothing is due here. Choose another area.")))
        else:
            _record_panel(store, queue, current)
    _links(store)
    _activity(store, reports)


def _area_controls(store: Store) -> work.Area:
    cols = st.columns(4)
    state = cols[0].selectbox(
        _("State"),
        ["", *sorted(STATES)],
        format_func=lambda code: _("Any state") if not code else f"{code} — {STATES[code]}",
        key="console-state",
    )
    county = cols[1].text_input(_("County"), key="console-county", max_chars=80)
    city = cols[2].text_input(_("City"), key="console-city", max_chars=80)
    group = cols[3].selectbox(
        _("Type of care"),
        ["", *[g.name for g in store.taxonomy.groups_in("service")]],
        format_func=lambda name: _("Any") if not name else store.taxonomy.group(name).label,
        key="console-group",
    )
    return work.Area(state, county.strip(), city.strip(), group)


def _current(store: Store, queue: work.Queue) -> str | None:
    """The record open: the one asked for (a click in the list, or the next after an outcome), else the
    queue's first."""
    wanted = ss.get("console_open")
    if wanted and store.facility(wanted) is not None:
        return wanted
    first = queue.next_after(None)
    return first.facility_id if first else None


def _open(facility_id: str) -> None:
    ss.console_open = facility_id
    ss.console_last = []


def _queue_list(queue: work.Queue, current: str | None) -> None:
    for rank, item in enumerate(queue.items[:SHOWN], 1):
        s = item.site
        label = f"{rank}. {s['name']} — {s['city']}, {s['state']}"
        st.button(
            label,
            key=f"open-{item.facility_id}",
            on_click=_open,
            args=(item.facility_id,),
            type="primary" if item.facility_id == current else "secondary",
            help="; ".join(work.why(item)),
            width="stretch",
        )
    if len(queue.items) > SHOWN:
        st.caption(esc(_("and {n} more in the calling sheet").format(n=len(queue.items) - SHOWN)))


def _record_panel(store: Store, queue: work.Queue, facility_id: str) -> None:
    record = store.facility(facility_id)
    if record is None:
        return
    item = next((d for d in queue.items if d.facility_id == facility_id), None)
    following = queue.next_after(facility_id)
    next_id = following.facility_id if following else None
    report = store.availability([facility_id]).get(facility_id)
    detail = view.FacilityDetail.from_record(record, store.taxonomy, availability=report)
    blocks = view.detail_markdown(detail)
    with st.container(border=True):
        st.markdown(blocks.heading)
        st.markdown(blocks.address)
        st.markdown(blocks.contact)  # every phone a tel: link
        st.caption(esc(_("Facility id: {id}").format(id=facility_id)))
        if item is not None:
            st.caption(esc("; ".join(work.why(item))))
        else:
            st.caption(esc(_("Not due: verified within the last year.")))
        st.markdown(esc(_("Confirm: {things}.").format(things=", ".join(_(t) for t in work.TO_CONFIRM))))
        for why in item.contradictions if item else ():
            st.warning(esc(_("Contradicts the record: {why}").format(why=why)))
        st.text_input(_("Note for this call (optional)"), key="console-reason", max_chars=300)
        reports_here = item.open_reports if item else ()
        buttons = st.columns(3)
        for i, outcome in enumerate(o for o in console.OUTCOMES if o.name != "changed"):
            buttons[i % 3].button(
                _(outcome.label),
                key=f"outcome-{outcome.name}",
                type="primary" if outcome.name == "verified" else "secondary",
                on_click=_act,
                args=(
                    _record,
                    store,
                    outcome.name,
                    facility_id,
                    next_id,
                    reports_here[0].report_id if reports_here else "",
                ),
                width="stretch",
            )
        with st.expander(_("Changed: edit what the call corrected")):
            row = record.to_row()
            for field in console.EDITABLE:
                key = f"edit-{facility_id}-{field}"
                if key not in ss:
                    ss[key] = row.get(field, "")
                st.text_input(_("Record's {field}").format(field=field.replace("_", " ")), key=key)
            st.button(
                _("Save the changes"),
                key="outcome-changed",
                on_click=_act,
                args=(_record, store, "changed", facility_id, next_id),
            )
    for r in reports_here:
        with st.container(border=True):
            st.markdown(
                esc(
                    _("Open problem report {id}, {when}: {problem}").format(
                        id=r.report_id, when=r.created, problem=r.problem
                    )
                )
            )
            if r.message:
                st.markdown(esc(r.message))
            if r.contact:
                st.caption(esc(_("Contact: {contact}").format(contact=r.contact)))
            st.text_input(_("How it was resolved"), key=f"resolve-{r.report_id}", max_chars=500)
            st.button(
                _("Resolve"), key=f"resolve-button-{r.report_id}", on_click=_act, args=(_resolve, store, r.report_id)
            )
    ss.console_record = facility_id


def _undo_button(store: Store) -> None:
    last = ss.get("console_last") or []
    if len(last) == 1:
        st.button(_("Undo"), key="undo", on_click=_act, args=(_undo, store, last[0]))


def _links(store: Store) -> None:
    with st.expander(_("Provider links")):
        _log, links = open_live(store)
        shown = ss.pop("link_secret", None)
        if shown:
            st.warning(
                esc(
                    _("The link for provider link {id}, shown this once — send it to the provider now:").format(
                        id=shown[0]
                    )
                )
            )
            st.code(f"{base_url().removesuffix('/maintain')}/?update={shown[1]}", language=None)
        site = ss.get("console_record") or ""
        st.text_input(_("Who it is for (name or e-mail at the site)"), key="link-contact", max_chars=200)
        st.button(
            _("Issue a link for the open record"),
            key="issue-link",
            disabled=not site,
            on_click=_act,
            args=(_issue, store, site),
        )
        for link in reversed(links.list()):
            cols = st.columns([4, 1])
            cols[0].markdown(
                esc(
                    f"#{link.id} {link.facility_id} — {link.contact} — {link.state()} (expires {link.expires:%Y-%m-%d})"
                )
            )
            if link.state() == "active":
                cols[1].button(_("Revoke"), key=f"revoke-{link.id}", on_click=_act, args=(_revoke, store, link.id))


def _activity(store: Store, reports) -> None:
    # Drawn only when asked for: the log grows with every line, and a calling session does not need it.
    if st.toggle(_("Show the activity log (who did what, when)"), key="show-activity"):
        _log, links = open_live(store)
        log = console.activity(_lines(store), reports.resolutions().values(), links.list())
        rows = [[a.when, a.who, a.what, a.facility_id] for a in log]
        st.dataframe(
            {c: [r[i] for r in rows] for i, c in enumerate(console.ACTIVITY_COLUMNS)}, hide_index=True, width="stretch"
        )
        st.download_button(
            _("Activity (CSV)"),
            sheet_csv(console.ACTIVITY_COLUMNS, rows),
            file_name="activity.csv",
            mime="text/csv",
            key="activity-csv",
        )
