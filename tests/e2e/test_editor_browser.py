"""An editor works a report in a real browser: Debian's Chromium driven by
Playwright against the live test server.

The editor signs in, drags a hotspot on the map, raises the threat level and
saves; a second editor approves. Screenshots of the editor page and of the
diff are kept in test-artifacts/ for people to look at.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from reports.geo import distance_km
from reports.models import Report, Revision
from reports.roles import Role
from tests.factories import PASSWORD, make_report, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


@pytest.fixture(autouse=True)
def _async_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an event loop in this thread; Django's
    # database teardown refuses that unless told it is safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert os.path.exists(CHROMIUM), "Debian's chromium package is required"
    # Inside Playwright's event loop this thread gets other database
    # connections than outside it; close the outside ones now, so none is
    # left open (and the test database can be dropped) at the end.
    connections.close_all()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


def _sign_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    # Nothing outside the test server may be contacted.
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(base) else route.abort()
        ),
    )
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)
    return page


def _open_editor(page: Page, base: str, report: Report) -> None:
    page.goto(f"{base}/admin/reports/report/{report.pk}/desk/")
    expect(page.locator("#desk-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#desk-map")).to_have_attribute("data-borders", "ready")


def test_it_lets_an_editor_move_a_hotspot_raise_the_level_and_another_approve(
    live_server, browser
):
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    make_user(Role.EDITOR, "editor")
    approver = make_user(Role.EDITOR, "editor2")
    report = make_report()
    before = report.latest_revision
    assert before is not None
    spot = before.content["assessment"]["hotspots"][0]

    page = _sign_in(browser, base, "editor")
    _open_editor(page, base, report)
    lat_input = page.locator('[name="hs-0-lat"]')
    lng_input = page.locator('[name="hs-0-lng"]')
    assert float(lat_input.input_value()) == pytest.approx(spot["lat"])

    # Drag the marker 60 px right and 30 px down (mouse events need it on
    # screen).
    marker = page.locator('.leaflet-marker-icon[data-prefix="hs-0"]')
    marker.scroll_into_view_if_needed()
    box = marker.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 15, steps=6)
    page.mouse.move(x + 60, y + 30, steps=6)
    page.mouse.up()
    moved_lat, moved_lng = (
        float(lat_input.input_value()),
        float(lng_input.input_value()),
    )
    assert moved_lat < spot["lat"]  # down is south
    assert moved_lng > spot["lng"]  # right is east
    expect(page.locator(".desk-hotspot").first).to_have_class(
        "desk-row desk-hotspot desk-moved"
    )

    page.check("#threat-high")
    page.fill("#id_note", "Moved the hotspot; raised the level")
    page.screenshot(path=str(ARTIFACTS / "editor-page-before-save.png"), full_page=True)
    page.click("#desk-save")
    expect(page.locator(".messagelist")).to_contain_text("Saved as revision 2")

    saved = Revision.objects.get(report=report, number=2)
    assert saved.author is not None and saved.author.username == "editor"
    assert saved.content["assessment"]["threat_level"] == "high"
    hotspot = saved.content["assessment"]["hotspots"][0]
    assert hotspot["lat"] == pytest.approx(moved_lat)
    assert hotspot["lng"] == pytest.approx(moved_lng)
    km = distance_km(spot["lat"], spot["lng"], hotspot["lat"], hotspot["lng"])
    assert km > 1

    page.click("#action-submit")
    expect(page.locator(".messagelist")).to_contain_text("Submitted for review")
    # Four eyes: the author is offered no approve button.
    expect(page.locator("#action-approve")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "editor-page.png"), full_page=True)

    page.click("#diff-machine")
    expect(page.locator(".desk-diff")).to_contain_text(
        "Threat level raised from elevated to high"
    )
    expect(page.locator(".desk-diff")).to_contain_text(
        f"Hotspot {spot['label']} moved by {km:.1f} km"
    )
    page.screenshot(path=str(ARTIFACTS / "diff.png"), full_page=True)
    page.close()

    second = _sign_in(browser, base, "editor2")
    _open_editor(second, base, report)
    second.click("#action-approve")
    expect(second.locator(".messagelist")).to_contain_text("Approved.")
    second.close()

    report.refresh_from_db()
    assert report.state == Report.State.APPROVED
    assert report.approved_revision == saved
    assert report.approved_by == approver
