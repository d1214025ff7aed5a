"""The role table of DESIGN.md through the API: every role and anonymous
against every action, in every state of a report.

A refusal is 401 (anonymous), 403 (role) or 404 (existence private) and
changes nothing in the database; an allowed action in the wrong state is a
409; an allowed action in its state succeeds and leaves its mark.
"""

from typing import Any

import pytest
from django.apps import apps

from reports.models import Report
from tests.reports.api.clients import bearer_client
from tests.reports.api.desk import STATES, report_in

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "subscriber", "analyst", "editor"]
DESK = {"analyst", "editor"}
D, R, A, P, W = (
    Report.State.DRAFT,
    Report.State.IN_REVIEW,
    Report.State.APPROVED,
    Report.State.PUBLISHED,
    Report.State.WITHDRAWN,
)

# action: (who may, states it applies in, state after, success status)
EDITOR_ACTIONS: dict[str, tuple[set[str], dict[str, str], int]] = {
    "submit": ({D}, {D: R}, 200),
    "request-changes": ({R, A}, {R: D, A: D}, 200),
    "approve": ({R}, {R: A}, 200),
    "publish": ({A}, {A: P}, 201),
    "withdraw": ({P}, {P: W}, 200),
    # A human edit during review stays in review; after approval or
    # publication it starts again from draft.
    "save": ({D, R, A, P}, {D: D, R: R, A: D, P: D}, 201),
}


def _user(request: pytest.FixtureRequest, role: str) -> Any:
    return None if role == "anonymous" else request.getfixturevalue(role)


def _snapshot() -> dict[str, Any]:
    """Every row the desk writes, so a refusal can be shown to change none."""
    names = [
        "reports.Report",
        "reports.Revision",
        "reports.AuditEvent",
        "reports.Publication",
        "reports.ReviewComment",
        "reports.GenerationJob",
        "feeds.Annotation",
    ]
    return {
        name: list(apps.get_model(name).objects.order_by("pk").values())
        for name in names
    }


def _body(action: str, report: Report) -> dict[str, Any]:
    revision = report.latest_revision
    assert revision is not None
    bodies: dict[str, dict[str, Any]] = {
        "request-changes": {"reason": "Tighten the outlook."},
        "withdraw": {"reason": "The period was wrong."},
        "approve": {"revision_id": revision.pk},
        "save": {
            "base_revision_id": revision.pk,
            "content": {**revision.content, "executive_summary": "Rewritten."},
            "note": "matrix",
        },
    }
    return bodies.get(action, {})


def _assert_refused(response: Any, role: str, before: dict[str, Any]) -> None:
    expected = {"anonymous": {401}}.get(role, {403, 404})
    assert response.status_code in expected, response.json()
    assert response.json()["error"]["code"] in {
        "not_authenticated",
        "forbidden",
        "not_found",
    }
    assert _snapshot() == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(EDITOR_ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_editors_run_the_workflow_and_save(
    request, settings, tmp_path, editor2, role, action, state
):
    settings.MEDIA_ROOT = tmp_path
    report = report_in(state, publisher=editor2)
    client = bearer_client(_user(request, role))
    before = _snapshot()

    response = client.post(
        f"/api/reports/{report.pk}/{action}/", _body(action, report), format="json"
    )

    if role != "editor":
        _assert_refused(response, role, before)
        return
    states, after, success = EDITOR_ACTIONS[action]
    if state not in states:
        assert response.status_code == 409, response.json()
        assert response.json()["error"]["code"] == "invalid_transition"
        assert _snapshot() == before
        return
    assert response.status_code == success, response.json()
    report.refresh_from_db()
    assert report.state == after[state]
    if action == "save":
        saved = report.latest_revision
        assert saved is not None and saved.author is not None
        assert saved.number == 2
        assert saved.author.username == "editor"


def _desk_action(name: str, report: Report) -> tuple[str, dict[str, Any], int]:
    revision = report.latest_revision
    assert revision is not None
    if name == "comment":
        return (
            "/api/comments/",
            {"revision": revision.pk, "section": "outlook", "text": "Sources?"},
            201,
        )
    if name == "redraft":
        return f"/api/reports/{report.pk}/redraft/", {}, 202
    if name == "resolve":
        comment = revision.comments.get()
        return f"/api/comments/{comment.pk}/resolve/", {}, 200
    if name == "annotate":
        return (
            "/api/annotations/",
            {
                "report": report.pk,
                "article": revision.input_article_ids[0],
                "credibility": 2,
                "relevance": 3,
                "note": "Confirmed by a second outlet.",
            },
            201,
        )
    return (
        "/api/jobs/",
        {
            "topic": report.topic.slug,
            "period_start": report.period_start.isoformat(),
            "period_end": report.period_end.isoformat(),
            "drafter": "offline",
        },
        202,
    )


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(
    "action", ["comment", "resolve", "annotate", "request_draft", "redraft"]
)
@pytest.mark.parametrize("role", ROLES)
def test_it_lets_analysts_and_editors_review_annotate_and_ask_for_drafts(
    request, settings, tmp_path, editor2, role, action, state
):
    settings.MEDIA_ROOT = tmp_path
    report = report_in(state, publisher=editor2)
    client = bearer_client(_user(request, role))
    path, body, success = _desk_action(action, report)
    before = _snapshot()

    response = client.post(path, body, format="json")

    if role not in DESK:
        _assert_refused(response, role, before)
        return
    if action == "redraft" and state == Report.State.WITHDRAWN:
        # A withdrawn report is closed: no new drafts.
        assert response.status_code == 409, response.json()
        assert _snapshot() == before
        return
    assert response.status_code == success, response.json()
    assert _snapshot() != before


def _visible_to_readers(state: str) -> bool:
    return state == Report.State.PUBLISHED


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_it_shows_drafts_only_to_the_desk_and_publications_to_readers(
    request, settings, tmp_path, editor2, role, state
):
    settings.MEDIA_ROOT = tmp_path
    report = report_in(state, publisher=editor2)
    client = bearer_client(_user(request, role))
    revision_id = report.latest_revision_id
    before = _snapshot()

    answers = {
        "report": client.get(f"/api/reports/{report.pk}/"),
        "list": client.get("/api/reports/"),
        "revision": client.get(f"/api/revisions/{revision_id}/"),
        "audit": client.get(f"/api/reports/{report.pk}/audit/"),
        "comments": client.get(f"/api/comments/?report={report.pk}"),
        "publications": client.get(f"/api/publications/?report={report.pk}"),
    }
    publication = report.publications.first()
    if publication is not None:
        answers["pdf"] = client.get(f"/api/publications/{publication.pk}/pdf/")

    if role == "anonymous":
        assert {a.status_code for a in answers.values()} == {401}
    elif role == "outsider":
        assert {a.status_code for a in answers.values()} == {403}
    elif role == "subscriber":
        for desk_only in ("revision", "audit", "comments"):
            assert answers[desk_only].status_code == 403
        listed = [r["id"] for r in answers["list"].json()["results"]]
        shown = [p["id"] for p in answers["publications"].json()["results"]]
        if _visible_to_readers(state):
            assert answers["report"].status_code == 200
            assert listed == [report.pk]
            assert publication is not None
            assert shown == [publication.pk]
            assert answers["pdf"].status_code == 200
        else:
            assert answers["report"].status_code == 404
            assert listed == []
            assert shown == []
            if "pdf" in answers:
                assert answers["pdf"].status_code == 404
    else:
        assert {a.status_code for a in answers.values()} == {200}
        assert answers["report"].json()["state"] == state

    # Reading changes nothing but the download log.
    assert _snapshot() == before
