"""The portal as each kind of visitor meets it, and the PDF download's HTTP."""

import datetime as dt
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from reports.models import AccessToken, Download, Report, Revision, TopicFollow
from reports.roles import Role
from reports.tokens import token_issue
from tests.factories import make_report, make_topic, make_user
from tests.reports.publishing_samples import latest, make_publication

# Also run on the embedded default (SQLite, in-process tasks) in CI.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64  # 16 KiB and 9 bytes


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def published():
    report = make_report(state=Report.State.PUBLISHED)
    make_publication(report, data=PDF)
    return report


@pytest.fixture
def visitors(editor, analyst, subscriber, outsider):
    return {
        "anonymous": None,
        "outsider": outsider,
        "subscriber": subscriber,
        "analyst": analyst,
        "editor": editor,
    }


# --- The download matrix ----------------------------------------------------------

MATRIX = {
    # state of the report: expected status for each visitor
    "published": {"outsider": 403, "subscriber": 200, "analyst": 200, "editor": 200},
    "draft": {"outsider": 403, "subscriber": 404, "analyst": 404, "editor": 404},
    "withdrawn": {"outsider": 403, "subscriber": 404, "analyst": 200, "editor": 200},
    "unknown": {"outsider": 403, "subscriber": 404, "analyst": 404, "editor": 404},
}


@pytest.mark.parametrize("case", list(MATRIX))
@pytest.mark.parametrize(
    "who", ["anonymous", "outsider", "subscriber", "analyst", "editor"]
)
def test_the_download_matrix(case, who, visitors):
    if case == "unknown":
        url = "/reports/987654/pdf/"
    else:
        state = {"published": "published", "draft": "draft", "withdrawn": "withdrawn"}
        report = make_report(state=state[case])
        if case != "draft":
            make_publication(report, data=PDF)
        url = f"/reports/{report.pk}/pdf/"

    response = _client(visitors[who]).get(url)

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        return
    assert response.status_code == MATRIX[case][who]
    if response.status_code == 200:
        assert _body(response) == PDF
        assert response["Content-Type"] == "application/pdf"
    else:
        assert b"%PDF" not in _body(response)


def test_a_corrected_report_serves_its_newest_bytes_and_keeps_the_old(
    subscriber, editor
):
    report = make_report(state=Report.State.PUBLISHED)
    old = make_publication(
        report, data=b"%PDF old", at=timezone.now() - dt.timedelta(hours=2)
    )
    new = make_publication(report, data=b"%PDF corrected")
    client = _client(subscriber)

    current = client.get(f"/reports/{report.pk}/pdf/")
    earlier = client.get(f"/reports/{report.pk}/publications/{old.pk}/pdf/")
    page = client.get(f"/reports/{report.pk}/")

    assert _body(current) == b"%PDF corrected"
    assert current["ETag"] == f'"{new.sha256}"'
    assert _body(earlier) == b"%PDF old"
    assert "superseded-r1" in earlier["Content-Disposition"]
    assert b"Superseded" in page.content and b"Current" in page.content


def test_a_report_under_correction_still_serves_its_last_publication(subscriber):
    report = make_report(state=Report.State.PUBLISHED)
    make_publication(report, data=PDF)
    Report.objects.filter(pk=report.pk).update(state=Report.State.DRAFT)

    response = _client(subscriber).get(f"/reports/{report.pk}/pdf/")

    assert response.status_code == 200
    assert _body(response) == PDF


def test_it_names_the_download_after_topic_and_period(published, subscriber):
    response = _client(subscriber).get(f"/reports/{published.pk}/pdf/")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{published.topic.slug}-security-report-'
        '2026-05-07-to-2026-05-14.pdf"'
    )


# --- ETag and Range ------------------------------------------------------------------


def test_it_answers_304_to_a_matching_etag(published, subscriber):
    client = _client(subscriber)
    first = client.get(f"/reports/{published.pk}/pdf/")
    etag = first["ETag"]

    again = client.get(f"/reports/{published.pk}/pdf/", HTTP_IF_NONE_MATCH=etag)
    weak = client.get(f"/reports/{published.pk}/pdf/", HTTP_IF_NONE_MATCH=f"W/{etag}")
    other = client.get(f"/reports/{published.pk}/pdf/", HTTP_IF_NONE_MATCH='"nope"')

    assert again.status_code == 304 and again["ETag"] == etag
    assert _body(again) == b""
    assert weak.status_code == 304
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, len(PDF) - 1),
        ("bytes=-500", len(PDF) - 500, len(PDF) - 1),
        ("bytes=16000-999999", 16000, len(PDF) - 1),
    ],
)
def test_it_serves_a_byte_range(published, subscriber, header, first, last):
    response = _client(subscriber).get(
        f"/reports/{published.pk}/pdf/", HTTP_RANGE=header
    )

    assert response.status_code == 206
    assert _body(response) == PDF[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(PDF)}"
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"]


@pytest.mark.parametrize("header", ["bytes=999999-", "bytes=-0"])
def test_it_refuses_a_range_outside_the_file(published, subscriber, header):
    response = _client(subscriber).get(
        f"/reports/{published.pk}/pdf/", HTTP_RANGE=header
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(PDF)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "lines=1-2", "bytes=9-2", "x"])
def test_it_sends_the_whole_file_for_ranges_it_does_not_serve(
    published, subscriber, header
):
    response = _client(subscriber).get(
        f"/reports/{published.pk}/pdf/", HTTP_RANGE=header
    )
    assert response.status_code == 200
    assert _body(response) == PDF


def test_it_ignores_a_range_for_another_version(published, subscriber):
    response = _client(subscriber).get(
        f"/reports/{published.pk}/pdf/",
        HTTP_RANGE="bytes=0-9",
        HTTP_IF_RANGE='"an-older-version"',
    )
    assert response.status_code == 200
    assert _body(response) == PDF


def test_it_logs_every_download_but_not_revalidations(published, subscriber):
    client = _client(subscriber)
    url = f"/reports/{published.pk}/pdf/"
    etag = client.get(url)["ETag"]
    client.get(url, HTTP_RANGE="bytes=0-9")
    client.get(url, HTTP_IF_NONE_MATCH=etag)
    client.head(url)

    logged = list(Download.objects.order_by("id").values_list("user", "byte_range"))
    assert logged == [(subscriber.pk, ""), (subscriber.pk, "bytes=0-9")]


def test_it_says_so_when_the_stored_file_is_gone(published, subscriber, settings):
    publication = published.publications.get()
    Path(settings.MEDIA_ROOT, publication.pdf.name).unlink()
    response = _client(subscriber).get(f"/reports/{published.pk}/pdf/")
    assert response.status_code == 404
    assert b"missing" in response.content


# --- Pages ------------------------------------------------------------------------------


def test_the_list_shows_published_reports_newest_first(subscriber):
    topic = make_topic()
    older = make_report(topic, start=dt.date(2026, 4, 30), end=dt.date(2026, 5, 6))
    newer = make_report(topic)
    hidden = make_report(topic, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 7))
    make_publication(older, at=timezone.now() - dt.timedelta(days=7))
    make_publication(newer)
    Report.objects.filter(pk__in=[older.pk, newer.pk]).update(state="published")
    draft = make_report(topic, start=dt.date(2026, 5, 15), end=dt.date(2026, 5, 21))
    make_publication(hidden)
    Report.objects.filter(pk=hidden.pk).update(state="withdrawn")

    html = _client(subscriber).get("/reports/").content.decode()

    assert html.index(f"/reports/{newer.pk}/") < html.index(f"/reports/{older.pk}/")
    assert f"/reports/{draft.pk}/" not in html
    assert f"/reports/{hidden.pk}/" not in html
    assert "ELEVATED" in html


def test_the_list_filters_by_topic(subscriber):
    mongolia = make_report(make_topic(name="Mongolia", slug="mn"))
    kazakhstan = make_report(make_topic(name="Kazakhstan", slug="kz"))
    make_publication(mongolia)
    make_publication(kazakhstan)

    html = _client(subscriber).get("/reports/?topic=kz").content.decode()

    assert f"/reports/{kazakhstan.pk}/" in html
    assert f"/reports/{mongolia.pk}/" not in html
    assert (
        "unknown" not in _client(subscriber).get("/reports/?topic=zz").content.decode()
    )


@pytest.mark.parametrize("given", ["kz\x00", "\x00", "<b>kz</b>", "k z", "x" * 3000])
def test_it_lists_no_report_for_a_topic_that_is_not_a_slug(subscriber, given):
    kazakhstan = make_report(make_topic(name="Kazakhstan", slug="kz"))
    make_publication(kazakhstan)

    response = _client(subscriber).get("/reports/", {"topic": given})

    assert response.status_code == 200
    assert f"/reports/{kazakhstan.pk}/" not in response.content.decode()


@pytest.mark.parametrize("value", ["\x00", "x" * 6000, "-1", "99999999999999999999"])
def test_it_answers_hostile_parameters_on_every_portal_page_without_a_500(
    published, subscriber, value
):
    slug = published.topic.slug
    client = _client(subscriber)
    pages = [
        "/reports/",
        f"/reports/{published.pk}/",
        f"/reports/{published.pk}/pdf/",
        "/reports/subscriptions/",
        f"/reports/topics/{slug}/follow/",
        f"/reports/topics/{slug}/unfollow/",
        "/reports/feed/not-a-token/",
    ]
    given = dict.fromkeys(["topic", "page", "next", "action", "q"], value)

    answers = {
        (method, page): getattr(client, method)(page, given).status_code
        for page in pages
        for method in ("get", "post")
    }

    assert {key: code for key, code in answers.items() if code >= 500} == {}


def test_anonymous_visitors_are_sent_to_sign_in():
    for url in ("/reports/", "/reports/1/", "/reports/subscriptions/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    page = Client().get("/accounts/login/")
    assert page.status_code == 200 and b"Sign in" in page.content


def test_the_report_page_shows_summary_threat_map_and_download(published, subscriber):
    response = _client(subscriber).get(f"/reports/{published.pk}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "A quiet week with one notable cyber incident." in html
    assert "ELEVATED" in html and "Significant risk" in html
    assert 'id="hotspot-map"' in html and 'id="map-data"' in html
    assert "leaflet/leaflet" in html and "portal/map.js" in html
    assert f"/reports/{published.pk}/pdf/" in html
    assert "Ulaanbaatar" in html
    # The GDAL-backed widget of django-leaflet is never loaded.
    assert "leaflet.forms.widgets" not in sys.modules
    assert "django.contrib.gis.gdal" not in sys.modules


def test_the_report_page_hides_drafts_from_subscribers_not_from_the_desk(
    subscriber, editor
):
    report = make_report()
    assert _client(subscriber).get(f"/reports/{report.pk}/").status_code == 404
    desk = _client(editor).get(f"/reports/{report.pk}/")
    assert desk.status_code == 200 and b"has not been published" in desk.content


def test_the_report_page_escapes_drafted_text(subscriber):
    report = make_report()
    revision = latest(report)
    content = dict(revision.content)
    content["executive_summary"] = "<script>alert('x')</script>Summary"
    content["assessment"] = dict(content["assessment"])
    content["assessment"]["hotspots"] = [
        dict(content["assessment"]["hotspots"][0], label="</script><b>UB</b>")
    ]
    evil = Revision.objects.create(
        report=report, number=2, origin="human", content=content
    )
    make_publication(report, revision=evil)

    html = _client(subscriber).get(f"/reports/{report.pk}/").content.decode()

    assert "<script>alert" not in html
    assert "</script><b>UB" not in html


# --- Following and the feed ------------------------------------------------------------


def test_subscribers_follow_and_unfollow_topics(subscriber):
    topic = make_topic()
    client = _client(subscriber)

    client.post(f"/reports/topics/{topic.slug}/follow/", {"next": "/reports/"})
    assert TopicFollow.objects.filter(user=subscriber, topic=topic).exists()
    client.post(f"/reports/topics/{topic.slug}/follow/")
    assert TopicFollow.objects.filter(user=subscriber).count() == 1

    response = client.post(
        f"/reports/topics/{topic.slug}/unfollow/", {"next": "https://evil.example/"}
    )
    assert not TopicFollow.objects.filter(user=subscriber).exists()
    assert response["Location"] == "/reports/subscriptions/"


def test_people_without_a_role_cannot_follow(outsider):
    topic = make_topic()
    response = _client(outsider).post(f"/reports/topics/{topic.slug}/follow/")
    assert response.status_code == 403
    assert not TopicFollow.objects.exists()


def _issue_feed(client) -> str:
    response = client.post("/reports/subscriptions/", {"action": "issue"})
    html = response.content.decode()
    start = html.index("http://testserver/reports/feed/")
    return html[start : html.index('"', start)].removeprefix("http://testserver")


def test_the_atom_feed_lists_publications_until_its_token_is_revoked(
    published, subscriber
):
    client = _client(subscriber)
    feed_url = _issue_feed(client)

    response = Client().get(feed_url)  # a feed reader: no session
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [
        e.findtext("a:title", default="", namespaces=ns)
        for e in root.findall("a:entry", ns)
    ]
    assert titles and "Security Analysis Report" in titles[0]
    assert "7–14 May 2026" in titles[0]

    client.post("/reports/subscriptions/", {"action": "revoke"})
    assert Client().get(feed_url).status_code == 404


def test_a_new_feed_token_stops_the_old_one(published, subscriber):
    client = _client(subscriber)
    first = _issue_feed(client)
    second = _issue_feed(client)

    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    live = AccessToken.objects.filter(user=subscriber, revoked_at__isnull=True)
    assert live.count() == 1


def test_the_feed_follows_the_readers_topics(subscriber):
    followed = make_report(make_topic(slug="followed"))
    other = make_report(make_topic(slug="other"))
    make_publication(followed)
    make_publication(other)
    TopicFollow.objects.create(user=subscriber, topic=followed.topic)

    body = Client().get(_issue_feed(_client(subscriber))).content.decode()

    assert f"/reports/{followed.pk}/" in body
    assert f"/reports/{other.pk}/" not in body


def test_unknown_feed_tokens_are_404():
    assert Client().get("/reports/feed/osf_nothing/").status_code == 404
    user = make_user(Role.SUBSCRIBER)
    _, api_secret = token_issue(user=user, kind=AccessToken.Kind.API)
    assert Client().get(f"/reports/feed/{api_secret}/").status_code == 404
