"""The app with drive times, in Chromium: a case manager on a phone searches by minutes, narrows the limit,
and keeps working when the routing engine goes down (a real osrm-routed over a SYNTHETIC street grid around
Tampa; the shipped facilities within 20 miles of it). No request leaves 127.0.0.1."""

from __future__ import annotations

import re

import pytest

from . import osrm
from .browser import IPHONE, alerts, idle, needs_chromium, new_page, serve_app, shot

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(osrm.bin_dir() is None, reason="OSRM's binaries are not installed (make osrm)"),
]


def minutes_shown(page) -> list[int]:
    """The minutes of every row of the text list, in order ("about 12 min by car")."""
    text = page.locator('[data-testid="stMarkdownContainer"]').all_inner_texts()
    return [int(m) for t in text for m in re.findall(r"about (\d+) min by car", t)]


def test_a_phone_searches_by_drive_time_and_is_told_when_the_engine_is_down(browser, cut, server):
    env = {"DIRECTORY_FACILITIES": str(cut), "DIRECTORY_ROUTING": f"osrm:{server.url}"}
    with serve_app(env) as url:
        page = new_page(browser, url, user_agent=IPHONE, viewport={"width": 390, "height": 2400}, is_mobile=True)
        page.goto(url + "/?near=Tampa%2C+FL")
        idle(page, "within 30 minutes by car of Tampa, FL")
        # The radius control is a drive-time control; the page says what its times are.
        page.get_by_text("Drive time (minutes)").first.wait_for(state="visible", timeout=15_000)
        page.get_by_text(re.compile(r"Drive times by car, with no traffic, from OSRM")).first.wait_for(state="visible")
        first = minutes_shown(page)
        assert first and first == sorted(first) and max(first) <= 30
        shot(page, "routing-phone-30-minutes")
        # Narrow to 10 minutes: the link keeps it, the list shrinks to trips that short.
        page.goto(url + "/?near=Tampa%2C+FL&minutes=10")
        idle(page, "within 10 minutes by car of Tampa, FL")
        narrow = minutes_shown(page)
        assert narrow and max(narrow) <= 10 and len(narrow) < len(first)
        assert "minutes=10" in page.url
        # The engine goes down while the person works: the same search in straight-line miles, said once.
        server.process.terminate()
        server.process.wait(timeout=10)
        page.goto(url + "/?near=Tampa%2C+FL&minutes=10&service=detox")
        idle(page, "within 25 miles of Tampa, FL")
        said = [a for a in alerts(page) if "Drive times are unavailable" in a]
        assert said == ["Drive times are unavailable right now; distances are straight-line miles."]
        assert minutes_shown(page) == [] and page.get_by_text(re.compile(r"\d mi ·")).first.is_visible()
        shot(page, "routing-phone-engine-down")
        assert page.outside_requests == []
        page.context.close()
