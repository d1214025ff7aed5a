"""Reports through the API: saves and their conflicts, approval, diffs,
comments and the audit log."""

import pytest

from reports.models import AuditEvent, Report, Revision
from reports.revisions import revision_save
from tests.factories import make_report
from tests.reports.api.clients import bearer_client
from tests.reports.api.desk import report_in

pytestmark = pytest.mark.django_db


def _latest(report: Report) -> Revision:
    assert report.latest_revision is not None
    return report.latest_revision


def _save(client, report, base_id, **content_changes):
    content = {**report.revisions.get(number=1).content, **content_changes}
    return client.post(
        f"/api/reports/{report.pk}/save/",
        {"base_revision_id": base_id, "content": content, "note": "edit"},
        format="json",
    )


def test_it_saves_an_edit_as_the_next_revision(editor):
    report = make_report()

    response = _save(
        bearer_client(editor),
        report,
        report.latest_revision_id,
        executive_summary="A calmer week.",
    )

    assert response.status_code == 201
    saved = response.json()
    assert saved["number"] == 2
    assert saved["author"] == "editor"
    assert saved["content"]["executive_summary"] == "A calmer week."
    report.refresh_from_db()
    assert report.latest_revision_id == saved["id"]


def test_it_refuses_a_stale_save_with_409_and_the_latest_revision(editor, editor2):
    report = make_report()
    first = report.latest_revision_id
    theirs = revision_save(
        report=report,
        actor=editor2,
        base_revision_id=first,
        content=_latest(report).content,
        note="their edit",
    )

    response = _save(bearer_client(editor), report, first, executive_summary="Mine.")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["details"] == {"latest_revision_id": theirs.pk}
    assert "editor2" in error["message"]
    assert Revision.objects.filter(report=report).count() == 2


def test_it_refuses_content_that_breaks_the_schema_and_says_where(editor):
    report = make_report()
    content = _latest(report).content
    content["assessment"]["hotspots"][0]["lat"] = 123

    response = bearer_client(editor).post(
        f"/api/reports/{report.pk}/save/",
        {"base_revision_id": report.latest_revision_id, "content": content},
        format="json",
    )

    assert response.status_code == 400
    problems = response.json()["error"]["details"]["problems"]
    assert any(p.startswith("assessment.hotspots.0.lat") for p in problems)
    assert Revision.objects.filter(report=report).count() == 1


def test_it_lets_another_editor_approve_but_not_the_author(editor, editor2):
    report = make_report()
    saved = _save(
        bearer_client(editor), report, report.latest_revision_id, outlook={}
    ).json()
    Report.objects.filter(pk=report.pk).update(state=Report.State.IN_REVIEW)
    body = {"revision_id": saved["id"]}

    own = bearer_client(editor).post(f"/api/reports/{report.pk}/approve/", body)
    other = bearer_client(editor2).post(f"/api/reports/{report.pk}/approve/", body)

    assert own.status_code == 400
    assert any("four_eyes" in p for p in own.json()["error"]["details"]["problems"])
    assert other.status_code == 200
    assert other.json()["state"] == "approved"
    assert other.json()["approved_revision"] == saved["id"]
    assert other.json()["approved_by"] == "editor2"


def test_it_refuses_to_approve_a_revision_that_is_not_the_latest(editor, editor2):
    report = make_report(state=Report.State.IN_REVIEW)
    old = report.latest_revision_id
    _save(bearer_client(editor), report, old, executive_summary="Newer.")

    response = bearer_client(editor2).post(
        f"/api/reports/{report.pk}/approve/", {"revision_id": old}
    )

    assert response.status_code == 409
    report.refresh_from_db()
    assert response.json()["error"]["details"] == {
        "latest_revision_id": report.latest_revision_id
    }
    assert report.state == Report.State.IN_REVIEW


@pytest.mark.parametrize(
    ("role", "state", "actions"),
    [
        ("analyst", "draft", []),
        ("editor", "draft", ["edit", "submit"]),
        ("editor", "in_review", ["edit", "request_changes", "approve"]),
        ("editor", "published", ["edit", "withdraw"]),
        ("editor", "withdrawn", []),
        ("subscriber", "published", []),
    ],
)
def test_it_tells_each_user_the_actions_open_to_them(
    request, settings, tmp_path, editor2, role, state, actions
):
    settings.MEDIA_ROOT = tmp_path
    report = report_in(state, publisher=editor2)

    shown = bearer_client(request.getfixturevalue(role)).get(
        f"/api/reports/{report.pk}/"
    )

    assert shown.json()["allowed_actions"] == actions


def test_it_shows_a_report_under_correction_to_subscribers(
    settings, tmp_path, editor, editor2, subscriber
):
    settings.MEDIA_ROOT = tmp_path
    report = report_in(Report.State.PUBLISHED, publisher=editor2)
    _save(bearer_client(editor), report, report.latest_revision_id, outlook={})

    shown = bearer_client(subscriber).get(f"/api/reports/{report.pk}/")

    # Its publication is still out there; the correction is not, yet.
    assert shown.status_code == 200
    assert shown.json()["state"] == "draft"


def test_it_diffs_the_latest_revision_against_its_parent_by_default(analyst, editor):
    report = make_report()
    content = _latest(report).content
    content["assessment"]["threat_level"] = "high"
    content["assessment"]["hotspots"][0]["lat"] = 47.0
    revision_save(
        report=report,
        actor=editor,
        base_revision_id=report.latest_revision_id,
        content=content,
    )

    diff = bearer_client(analyst).get(f"/api/reports/{report.pk}/diff/").json()

    assert (diff["old_number"], diff["new_number"]) == (1, 2)
    assert diff["threat"] == {
        "before": "elevated",
        "after": "high",
        "direction": "raised",
    }
    assert diff["hotspots_moved"][0]["km"] > 90
    assert diff["changed"] is True


def test_it_diffs_against_the_machine_draft_on_request(analyst, editor):
    report = make_report()
    for summary in ("One.", "Two."):
        revision_save(
            report=report,
            actor=editor,
            base_revision_id=report.latest_revision_id,
            content={**_latest(report).content, "executive_summary": summary},
        )

    diff = bearer_client(analyst).get(
        f"/api/reports/{report.pk}/diff/", {"compare": "machine_draft"}
    )

    assert diff.status_code == 200
    assert (diff.json()["old_number"], diff.json()["new_number"]) == (1, 3)


def test_it_will_not_diff_revisions_of_another_report(analyst):
    report, other = make_report(), make_report(start=make_report().period_end)

    response = bearer_client(analyst).get(
        f"/api/reports/{report.pk}/diff/", {"from": str(other.latest_revision_id)}
    )

    assert response.status_code == 404


def test_it_answers_404_when_there_is_nothing_to_compare_with(analyst):
    report = make_report()

    response = bearer_client(analyst).get(f"/api/reports/{report.pk}/diff/")

    assert response.status_code == 404


def test_it_lists_the_audit_log_newest_first_and_filters_it(editor):
    report = make_report()
    client = bearer_client(editor)
    client.post(f"/api/reports/{report.pk}/submit/")
    client.post(
        f"/api/reports/{report.pk}/request-changes/", {"reason": "More sources."}
    )

    log = client.get(f"/api/reports/{report.pk}/audit/").json()["results"]
    only = client.get(f"/api/reports/{report.pk}/audit/", {"action": "submitted"})

    assert [e["action"] for e in log] == ["changes_requested", "submitted"]
    assert log[0]["data"]["reason"] == "More sources."
    assert log[0]["actor"] == "editor"
    assert [e["action"] for e in only.json()["results"]] == ["submitted"]


def test_it_lists_the_whole_audit_log_by_cursor_with_events_naming_no_report(
    editor, analyst
):
    report = make_report()
    client = bearer_client(editor)
    client.post(f"/api/reports/{report.pk}/submit/")
    feed = client.post("/api/feeds/", {"url": "https://example.org/wire.xml"}).json()
    client.patch(f"/api/feeds/{feed['id']}/", {"reliability": "B"}, format="json")

    first = client.get("/api/audit/", {"page_size": 2}).json()
    rest = client.get(first["next"]).json()
    unattached = client.get("/api/audit/", {"without_report": "true"}).json()
    of_report = client.get("/api/audit/", {"report": report.pk}).json()

    assert "count" not in first
    assert [e["action"] for e in first["results"] + rest["results"]] == [
        "feed_changed",
        "feed_added",
        "submitted",
    ]
    assert [e["action"] for e in unattached["results"]] == [
        "feed_changed",
        "feed_added",
    ]
    assert unattached["results"][0]["data"]["changes"] == {"reliability": ["F", "B"]}
    assert [e["action"] for e in of_report["results"]] == ["submitted"]
    assert bearer_client(analyst).get("/api/audit/").status_code == 200


@pytest.mark.parametrize("role", ["subscriber", "outsider"])
def test_it_keeps_the_whole_audit_log_from_readers(request, role):
    response = bearer_client(request.getfixturevalue(role)).get("/api/audit/")

    assert response.status_code == 403


def test_it_requires_a_reason_to_request_changes(editor):
    report = make_report(state=Report.State.IN_REVIEW)

    response = bearer_client(editor).post(
        f"/api/reports/{report.pk}/request-changes/", {"reason": "   "}
    )

    assert response.status_code == 400
    report.refresh_from_db()
    assert report.state == Report.State.IN_REVIEW
    assert not AuditEvent.objects.filter(report=report).exists()


def test_it_comments_answers_and_resolves_a_thread(analyst, editor):
    report = make_report()
    revision_id = report.latest_revision_id

    asked = bearer_client(analyst).post(
        "/api/comments/",
        {"revision": revision_id, "section": "key_developments.0", "text": "Source?"},
        format="json",
    )
    answered = bearer_client(editor).post(
        "/api/comments/",
        {
            "revision": revision_id,
            "section": "ignored for answers",
            "text": "ESET.",
            "parent": asked.json()["id"],
        },
        format="json",
    )
    resolved = bearer_client(analyst).post(
        f"/api/comments/{answered.json()['id']}/resolve/"
    )

    assert asked.status_code == answered.status_code == 201
    assert answered.json()["section"] == "key_developments.0"
    assert answered.json()["parent"] == asked.json()["id"]
    assert resolved.status_code == 200
    assert resolved.json()["id"] == asked.json()["id"]
    assert resolved.json()["resolved_by"] == "analyst"
    listed = bearer_client(editor).get("/api/comments/", {"report": report.pk})
    assert listed.json()["count"] == 2


def test_it_refuses_a_comment_on_a_section_the_revision_lacks(analyst):
    report = make_report()

    response = bearer_client(analyst).post(
        "/api/comments/",
        {
            "revision": report.latest_revision_id,
            "section": "key_developments.9",
            "text": "?",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["problems"]


def test_it_filters_reports_by_topic_state_and_period(analyst):
    early = make_report()
    late = make_report(
        early.topic,
        start=early.period_end,
        end=early.period_end.replace(day=early.period_end.day + 7),
    )
    Report.objects.filter(pk=late.pk).update(state=Report.State.IN_REVIEW)
    client = bearer_client(analyst)

    def ids(**params):
        return [r["id"] for r in client.get("/api/reports/", params).json()["results"]]

    assert ids(topic=early.topic_id) == [late.pk, early.pk]
    assert ids(state="in_review") == [late.pk]
    assert ids(period_after=late.period_start.isoformat()) == [late.pk, early.pk]
    assert ids(period_after=late.period_end.isoformat()) == [late.pk]
    assert ids(period_before=early.period_start.isoformat()) == [early.pk]
    assert ids(ordering="period_end", topic=early.topic_id) == [early.pk, late.pk]
