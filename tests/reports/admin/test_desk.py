import copy
import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse

from feeds.models import Annotation
from reports import workflow
from reports.models import AuditEvent, GenerationJob, Report, ReviewComment, Revision
from reports.revisions import revision_save
from tests.factories import make_article, make_content, make_report, make_topic
from tests.reports.desk_states import editor_post, latest, report_in, snapshot

pytestmark = pytest.mark.django_db

State = Report.State


def _url(name, report, *args):
    suffix = f"_{name}" if name else ""
    return reverse(f"admin:reports_report_desk{suffix}", args=[report.pk, *args])


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_shows_every_part_of_the_report_on_the_editor_page(client, editor):
    report = make_report()
    client.force_login(editor)

    response = client.get(_url("", report))

    assert response.status_code == 200
    page = response.content.decode()
    for title in (
        "Executive Summary",
        "Key security developments",
        "Geopolitical Impact and Regional Dynamics",
        "Military and Defense Analysis",
        "Short-term trends (1-3 months)",
        "Critical flashpoints and risk areas",
        "Indicators to monitor",
        "Strategic recommendations",
        "Threat level",
        "Rationale for the threat level",
        "Hotspots",
        "Sources of this report",
        "Revision history",
    ):
        assert title in page, title
    assert "Significant risk: identified threat actors" in page  # a definition
    assert f'name="base_revision_id" value="{latest(report).pk}"' in page
    assert 'id="desk-map"' in page
    assert "leaflet" in page
    assert "Cyber espionage against ministries" in page


def test_it_shows_an_analyst_the_page_read_only(client, analyst):
    report = make_report()
    client.force_login(analyst)

    page = client.get(_url("", report)).content.decode()

    assert 'id="desk-save"' not in page
    assert "disabled" in page
    assert "Save judgement" in page  # analysts annotate
    assert 'value="section:executive_summary"' in page  # and comment
    assert 'id="action-submit"' not in page


def test_it_saves_the_posted_form_as_a_new_revision(client, editor):
    report = make_report()
    content = copy.deepcopy(latest(report).content)
    content["executive_summary"] = "A revised summary."
    content["assessment"]["hotspots"][0]["lat"] = 48.1
    data = editor_post(report, content)
    data["note"] = "Sharper summary"
    client.force_login(editor)

    response = client.post(_url("", report), data)

    assert response.status_code == 302
    assert _messages(response) == ["Saved as revision 2."]
    saved = latest(report)
    assert saved.number == 2
    assert saved.note == "Sharper summary"
    assert saved.content["executive_summary"] == "A revised summary."
    assert saved.content["assessment"]["hotspots"][0]["lat"] == 48.1
    assert saved.content["key_developments"] == content["key_developments"]


def test_it_adds_and_deletes_rows_through_the_formsets(client, editor):
    report = make_report()
    ids = latest(report).input_article_ids
    data = editor_post(report)
    data["kd-0-DELETE"] = "on"
    data.update(
        {
            "hs-TOTAL_FORMS": 2,
            "hs-1-label": "Zamyn-Üüd",
            "hs-1-detail": "Border crossing.",
            "hs-1-lat": "43.71",
            "hs-1-lng": "111.90",
            "hs-1-intensity": "2",
            "hs-1-source_ids": [ids[1]],
        }
    )
    client.force_login(editor)

    client.post(_url("", report), data)

    content = latest(report).content
    assert content["key_developments"] == []
    assert [h["label"] for h in content["assessment"]["hotspots"]] == [
        "Ulaanbaatar",
        "Zamyn-Üüd",
    ]


def test_it_refuses_a_conflicting_save_and_shows_the_refused_input(
    client, editor, editor2
):
    report = make_report()
    base = latest(report).pk
    revision_save(
        report=report,
        actor=editor2,
        base_revision_id=base,
        content=make_content(latest(report).input_article_ids),
        note="theirs",
    )
    before = snapshot(report)
    mine = copy.deepcopy(latest(report).content)
    mine["executive_summary"] = "My careful rewrite that must not be lost."
    client.force_login(editor)

    response = client.post(_url("", report), editor_post(report, mine, base=base))

    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: someone else saved first" in page
    assert "editor2 (revision 2" in page
    assert "My careful rewrite that must not be lost." in page
    assert f'name="rebase_to" value="{latest(report).pk}"' in page
    assert snapshot(report) == before

    # Deliberately saving over the other revision builds on it.
    data = editor_post(report, mine, base=base)
    data["rebase_to"] = str(latest(report).pk)
    client.post(_url("", report), data)
    saved = latest(report)
    assert saved.number == 3
    assert saved.content["executive_summary"] == mine["executive_summary"]


def test_it_refuses_out_of_range_numbers_and_keeps_the_input(client, editor):
    report = make_report()
    data = editor_post(report)
    data["hs-0-lat"] = "95"
    data["executive_summary"] = "Kept while the latitude is fixed."
    before = snapshot(report)
    client.force_login(editor)

    response = client.post(_url("", report), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 90" in page
    assert "Kept while the latitude is fixed." in page
    assert snapshot(report) == before


def test_it_flags_a_hotspot_outside_the_topic_area(client, editor):
    report = make_report()
    content = copy.deepcopy(latest(report).content)
    content["assessment"]["hotspots"][0].update(label="Beijing", lat=39.9, lng=116.4)
    client.force_login(editor)

    response = client.post(_url("", report), editor_post(report, content))

    assert "Beijing lies outside the area of" in " ".join(_messages(response))
    page = client.get(_url("", report)).content.decode()
    assert "Beijing lies outside the area of" in page


def test_it_serves_the_borders_of_the_topic_area(client, analyst):
    report = make_report()
    client.force_login(analyst)

    response = client.get(_url("borders", report))

    assert response.status_code == 200
    data = response.json()
    names = {f["properties"]["name"] for f in data["features"]}
    assert {"Mongolia", "China", "Russia"} <= names
    assert "Brazil" not in names
    elsewhere = make_report(
        make_topic(area_south=-34, area_west=-74, area_north=5, area_east=-34)
    )
    other = {
        f["properties"]["name"]
        for f in client.get(_url("borders", elsewhere)).json()["features"]
    }
    assert "Brazil" in other and "Mongolia" not in other


def test_it_offers_approval_only_to_an_editor_who_did_not_write_it(
    client, editor, editor2
):
    report = make_report()
    revision_save(
        report=report,
        actor=editor,
        base_revision_id=latest(report).pk,
        content=latest(report).content,
    )
    workflow.report_submit(report=report, actor=editor)

    client.force_login(editor)
    page = client.get(_url("", report)).content.decode()
    assert 'id="action-approve"' not in page
    assert "another editor must approve it (four eyes)" in page

    client.force_login(editor2)
    page = client.get(_url("", report)).content.decode()
    assert 'id="action-approve"' in page


def test_it_lists_the_reasons_when_approval_is_refused(client, editor, editor2):
    report = make_report()
    content = copy.deepcopy(latest(report).content)
    content["assessment"]["rationale"] = ""
    revision_save(
        report=report, actor=editor, base_revision_id=latest(report).pk, content=content
    )
    workflow.report_submit(report=report, actor=editor)
    before = snapshot(report)
    client.force_login(editor2)

    response = client.post(
        _url("action", report, "approve"), {"revision_id": latest(report).pk}
    )

    assert response.status_code == 302
    (message,) = _messages(response)
    assert "cannot be approved yet" in message
    assert "assessment.rationale: the threat level has no rationale" in message
    assert snapshot(report) == before
    page = client.get(_url("", report)).content.decode()
    assert "Approval is blocked until these are fixed" in page


def test_it_runs_the_workflow_from_the_page(client, editor, editor2):
    report = make_report()
    client.force_login(editor)
    client.post(_url("action", report, "submit"))
    client.force_login(editor2)
    client.post(_url("action", report, "approve"), {"revision_id": latest(report).pk})
    response = client.post(_url("action", report, "publish"))
    assert "Published (publication" in _messages(response)[-1]
    response = client.post(_url("action", report, "withdraw"), {"reason": ""})
    assert "Give a reason to withdraw the report." in _messages(response)[-1]
    client.post(_url("action", report, "withdraw"), {"reason": "Wrong week."})

    report.refresh_from_db()
    assert report.state == State.WITHDRAWN
    assert list(
        AuditEvent.objects.filter(report=report)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["submitted", "approved", "published", "withdrawn"]


def test_it_comments_answers_and_resolves_from_the_page(client, analyst, editor):
    report = make_report()
    revision = latest(report)
    client.force_login(analyst)

    client.post(
        _url("comment", report),
        {
            "revision_id": revision.pk,
            "target": "section:assessment.hotspots.0",
            "text:assessment.hotspots.0": "Is the marker on the ministry?",
            "text:executive_summary": "not this one",
        },
    )
    (question,) = ReviewComment.objects.all()
    assert question.section == "assessment.hotspots.0"
    assert question.text == "Is the marker on the ministry?"

    client.force_login(editor)
    client.post(
        _url("comment", report),
        {
            "revision_id": revision.pk,
            "target": f"reply:{question.pk}",
            f"reply:{question.pk}": "Yes, Government Palace.",
        },
    )
    client.post(_url("resolve", report, question.pk))

    question.refresh_from_db()
    assert question.resolved
    assert question.replies.get().text == "Yes, Government Palace."
    page = client.get(_url("", report)).content.decode()
    assert "Yes, Government Palace." in page
    assert "Resolved by editor" in page


def test_it_annotates_a_source_and_shows_the_block_at_once(client, analyst, editor):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)
    cited = latest(report).content["key_developments"][0]["source_ids"][0]
    client.force_login(analyst)

    response = client.post(
        _url("annotate", report, cited),
        {"credibility": "5", "relevance": "1", "note": "Rumour", "excluded": "on"},
    )

    assert "excluded but still cited" in _messages(response)[0]
    annotation = Annotation.objects.get(article_id=cited)
    assert (annotation.credibility, annotation.relevance) == (5, 1)
    assert annotation.excluded and annotation.analyst == analyst
    page = client.get(_url("", report)).content.decode()
    assert "cites articles an analyst excluded from reports" in page
    assert "excluded but still cited" in page


def test_it_opens_the_two_one_click_diffs(client, editor, editor2):
    topic = make_topic()
    previous = report_in(
        State.PUBLISHED,
        editor=editor,
        approver=editor2,
        topic=topic,
        start=dt.date(2026, 4, 30),
        end=dt.date(2026, 5, 6),
    )
    report = make_report(topic)
    content = copy.deepcopy(latest(report).content)
    content["assessment"]["threat_level"] = "high"
    revision_save(
        report=report, actor=editor, base_revision_id=latest(report).pk, content=content
    )
    client.force_login(editor)

    page = client.get(_url("", report)).content.decode()
    assert 'id="diff-machine"' in page and 'id="diff-published"' in page
    machine = client.get(_url("diff", report) + "?preset=machine").content.decode()
    assert "Threat level raised from elevated to high" in machine
    published = client.get(_url("diff", report) + "?preset=published").content.decode()
    assert "Changes since the last published report" in published
    assert f"of {previous}" in published
    assert "Threat level raised from elevated to high" in published

    first_week = client.get(_url("diff", previous) + "?preset=published")
    assert (
        "Nothing on this topic has been published before."
        in first_week.content.decode()
    )


def test_it_refuses_a_diff_with_a_revision_of_another_topic(client, editor):
    report = make_report()
    stranger = make_report()
    client.force_login(editor)

    response = client.get(
        _url("diff", report) + f"?old={latest(stranger).pk}&new={latest(report).pk}"
    )

    assert response.status_code == 404


def test_it_shows_the_audit_log_of_the_report(client, editor, analyst):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)
    client.force_login(analyst)

    response = client.get(_url("audit", report))

    assert response.status_code == 200
    page = response.content.decode()
    assert "submitted" in page and "editor" in page


def test_it_opens_reports_from_the_admin_list_on_the_editor_page(client, editor):
    report = make_report()
    client.force_login(editor)

    listing = client.get(reverse("admin:reports_report_changelist"))
    change = client.get(reverse("admin:reports_report_change", args=[report.pk]))

    assert listing.status_code == 200
    assert "07 May – 14 May 2026" in listing.content.decode()
    assert change.status_code == 302
    assert change["Location"] == _url("", report)


def test_it_lists_reports_with_the_same_queries_however_many_there_are(client, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_report()
    client.force_login(editor)
    url = reverse("admin:reports_report_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(8):
        make_report()
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)


def test_it_asks_for_a_new_draft_from_the_page(client, analyst):
    report = make_report()
    client.force_login(analyst)

    response = client.post(_url("redraft", report))

    assert response.status_code == 302
    job = GenerationJob.objects.get(report=report)
    assert job.requested_by == analyst
    assert "A new draft was requested" in _messages(response)[0]
    assert Revision.objects.filter(report=report).count() == 1


def test_it_draws_tiles_only_when_a_tile_server_is_configured(client, editor, settings):
    report = make_report()
    client.force_login(editor)

    offline = client.get(_url("", report)).context["map_config"]
    settings.OSINT_MAP_TILES = "https://tiles.example.invalid/{z}/{x}/{y}.png"
    online = client.get(_url("", report)).context["map_config"]

    assert offline["tiles"] == ""
    assert offline["bordersUrl"] == _url("borders", report)
    assert online["tiles"] == settings.OSINT_MAP_TILES
    assert offline["area"]["south"] == report.topic.area_south


@pytest.mark.parametrize(
    "name", ["reports_revision", "reports_auditevent", "reports_reviewcomment"]
)
def test_it_shows_desk_records_read_only_to_analysts(client, analyst, name):
    make_report()
    client.force_login(analyst)

    listing = client.get(reverse(f"admin:{name}_changelist"))

    assert listing.status_code == 200
    assert client.get(reverse(f"admin:{name}_add")).status_code == 403


def test_it_warns_before_a_save_voids_an_approval_or_starts_a_correction(
    client, editor, editor2
):
    approved = report_in(State.APPROVED, editor=editor, approver=editor2)
    published = report_in(State.PUBLISHED, editor=editor, approver=editor2)
    client.force_login(editor)

    assert (
        "Saving voids the approval" in client.get(_url("", approved)).content.decode()
    )
    assert (
        "Saving starts a correction" in client.get(_url("", published)).content.decode()
    )


def test_it_audits_an_annotation_made_in_the_admin(client, analyst):
    article = make_article()
    client.force_login(analyst)

    response = client.post(
        reverse("admin:feeds_annotation_add"),
        {"article": article.pk, "credibility": 4, "relevance": 1, "excluded": "on"},
    )

    assert response.status_code == 302
    annotation = Annotation.objects.get()
    event = AuditEvent.objects.get(action="source_annotated")
    assert (event.actor, event.report) == (analyst, None)
    assert event.data["annotation_id"] == annotation.pk
    assert event.data["excluded"] is True


def test_it_lets_only_a_role_that_annotates_add_annotations_in_the_admin(client):
    staff = User.objects.create_user("staff", password="x", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="add_annotation"),
        Permission.objects.get(codename="view_annotation"),
    )
    client.force_login(staff)

    response = client.post(
        reverse("admin:feeds_annotation_add"),
        {"article": make_article().pk, "credibility": 4, "relevance": 1},
    )

    assert response.status_code == 403
    assert not Annotation.objects.exists()
