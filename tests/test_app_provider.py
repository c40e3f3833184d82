"""A provider updates its availability from its private link on a phone, and a case manager's search in
another browser shows it with its age; the page in Spanish; a revoked link; hostile text in the note."""

from __future__ import annotations

import shutil

import pytest

from directory import Query
from directory.live.links import ProviderLinks

from .browser import IPHONE, idle, needs_chromium, new_page, serve_app, shot
from .conftest import REPO, national_directory
from .test_app_payloads import PAYLOADS, assert_inert

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    site = national_directory().search(Query(near="Tampa, FL", services=("detox",))).records[0]
    with serve_app({"DIRECTORY_REPORTS_DIR": str(folder)}) as url:
        yield url, folder, site


def fill(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def test_a_provider_reports_on_a_phone_and_a_search_shows_it(browser, live):
    server, folder, site = live
    _link, secret = ProviderLinks(folder).issue(site.facility_id, "intake@example.org")
    # A case manager already searching near the site for open beds: none yet (the same search again,
    # after the report, must not be an answer kept from before it).
    desk = new_page(browser, server)
    search = f"{server}/?near=Tampa%2C+FL&service=detox&available_now=beds&facility={site.facility_id}"
    desk.goto(search)
    idle(desk, "Detox (with open beds now) within 25 miles of Tampa, FL: 0 facilities")
    phone = new_page(browser, server, viewport={"width": 390, "height": 844}, user_agent=IPHONE)
    phone.goto(f"{server}/?update={secret}")
    idle(phone, "Update your availability")
    assert secret not in phone.url  # the secret left the URL (and the history) at once
    # The page's component sets the referrer policy once it has loaded (after the first paint).
    phone.wait_for_function("document.querySelector('meta[name=referrer]')?.content === 'no-referrer'")
    assert site.name in phone.inner_text("body") and secret not in phone.content()
    phone.get_by_text("Waitlist", exact=True).click()
    fill(phone, "If waitlisted: expected wait (days)", "10")
    fill(phone, "Detox: open now", "2")
    phone.get_by_role("button", name="Send update").click()
    idle(phone, "Saved. People searching now see:")
    shutil.copyfile(shot(phone, "provider-update-phone"), REPO / "docs" / "screenshot-provider.png")  # docs show it
    said = phone.get_by_text("Saved. People searching now see:").inner_text()
    assert "Waitlist — about 10 days" in said and "Detox: 2 beds or slots open" in said
    # The case manager's same search, again: the site, with the provider's word and its age.
    desk.goto(search)
    idle(desk, "reported today by the provider")
    body = desk.inner_text("body")
    assert "Detox (with open beds now) within 25 miles of Tampa, FL: 1 facility" in body
    assert "Availability (reported today by the provider)" in body and "Waitlist — about 10 days" in body
    assert desk.locator("h3").filter(has_text=site.name).count() == 1  # the detail's heading is the site's
    shot(desk, "provider-update-seen")
    assert phone.outside_requests == [] and desk.outside_requests == []
    phone.context.close()
    desk.context.close()


def test_the_page_in_spanish_and_a_hostile_note(browser, live):
    server, folder, site = live
    _link, secret = ProviderLinks(folder).issue(site.facility_id, "intake@example.org")
    page = new_page(browser, server, locale="es-US", extra_http_headers={"Accept-Language": "es-US,es"})
    page.goto(f"{server}/?update={secret}&lang=es")
    idle(page, "Actualice su disponibilidad")
    assert "lang=es" in page.url and secret not in page.url
    note = " ".join(PAYLOADS)[:270]
    page.get_by_label("Una nota breve (opcional)").fill(note)
    page.get_by_role("button", name="Enviar actualización").click()
    idle(page, "Guardado.")
    assert_inert(page, server)
    found = national_directory().search(Query(near="Tampa, FL"))  # the shipped file: the note is live state only
    assert site.facility_id in found.ids
    detail = new_page(browser, server)
    detail.goto(f"{server}/?near=Tampa%2C+FL&service=detox&facility={site.facility_id}")
    idle(detail, "Availability (reported today by the provider)")
    assert_inert(detail, server)
    page.context.close()
    detail.context.close()


def test_a_revoked_link_says_so_and_writes_nothing(browser, live):
    server, folder, site = live
    links = ProviderLinks(folder)
    link, secret = links.issue(site.facility_id, "someone")
    links.revoke(link.id)
    before = (folder / "availability.jsonl").read_text() if (folder / "availability.jsonl").exists() else ""
    page = new_page(browser, server)
    page.goto(f"{server}/?update={secret}")
    idle(page, "This link does not work")
    assert "revoked" in page.inner_text("body") and page.locator("form").count() == 0
    after = (folder / "availability.jsonl").read_text() if (folder / "availability.jsonl").exists() else ""
    assert after == before
    page.context.close()
