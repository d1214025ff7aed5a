"""DESIGN.md's role table, as people meet it: every role and anonymous against
every desk action in every report state, through the admin's pages.

The expectations are written out here from the table, not read from the code
under test. A refusal must answer 403, 404 or the sign-in page and change
nothing; an action the role may take but the state does not allow is
refused with a message and changes nothing either.

(The API's matrix lives with the API's tests. No management command acts as
a person on a report: `draft_report` runs as the system, so it has no row
here.)
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from reports.models import GenerationJob, Report
from reports.revisions import revision_save
from reports.roles import Role
from tests.factories import make_user
from tests.reports.desk_states import STATES, editor_post, latest, report_in, snapshot

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "subscriber", "analyst", "editor", "author"]

# From the role table: which role may do what (states aside).
DESK_READERS = {"analyst", "editor", "author"}
EDITORS = {"editor", "author"}
# From the workflow diagram: the states each transition starts from. During
# a correction (a published report edited back to draft) withdraw also
# applies; these reports have no correction under way.
OPEN_IN = {
    "submit": {"draft"},
    "request_changes": {"in_review", "approved"},
    "approve": {"in_review"},
    "publish": {"approved"},
    "withdraw": {"published"},
}
EDITABLE = {"draft", "in_review", "approved", "published"}

LOGIN = "sign-in page"
HIDDEN = "404"
FORBIDDEN = "403"
REFUSED = "refused, nothing changed"
DONE = "done"


@dataclass(frozen=True)
class Action:
    name: str
    changes_state: bool
    run: Callable[[Client, Report], Any]


def _url(name: str, report: Report, *args: Any) -> str:
    suffix = f"_{name}" if name else ""
    return reverse(f"admin:reports_report_desk{suffix}", args=[report.pk, *args])


def _cited(report: Report) -> int:
    return int(latest(report).content["key_developments"][0]["source_ids"][0])


ACTIONS = [
    Action("read the editor page", False, lambda c, r: c.get(_url("", r))),
    Action(
        "read a diff", False, lambda c, r: c.get(_url("diff", r) + "?preset=machine")
    ),
    Action("read the audit log", False, lambda c, r: c.get(_url("audit", r))),
    Action("read the map borders", False, lambda c, r: c.get(_url("borders", r))),
    Action(
        "comment",
        False,
        lambda c, r: c.post(
            _url("comment", r),
            {
                "revision_id": latest(r).pk,
                "target": "section:executive_summary",
                "text:executive_summary": "Source?",
            },
        ),
    ),
    Action(
        "annotate",
        False,
        lambda c, r: c.post(
            _url("annotate", r, _cited(r)),
            {"credibility": "2", "relevance": "3", "note": "Solid"},
        ),
    ),
    Action("request a draft", False, lambda c, r: c.post(_url("redraft", r))),
    Action("edit", True, lambda c, r: c.post(_url("", r), editor_post(r))),
    Action("submit", True, lambda c, r: c.post(_url("action", r, "submit"))),
    Action(
        "request_changes",
        True,
        lambda c, r: c.post(_url("action", r, "request_changes"), {"reason": "Fix"}),
    ),
    Action(
        "approve",
        True,
        lambda c, r: c.post(
            _url("action", r, "approve"), {"revision_id": latest(r).pk}
        ),
    ),
    Action("publish", True, lambda c, r: c.post(_url("action", r, "publish"))),
    Action(
        "withdraw",
        True,
        lambda c, r: c.post(_url("action", r, "withdraw"), {"reason": "Retracted"}),
    ),
]


def expected(role: str, action: str, state: str) -> str:
    if role == "anonymous":
        return LOGIN
    if role not in DESK_READERS:
        return HIDDEN
    if action == "request a draft":
        return DONE if state in EDITABLE else REFUSED
    if action.startswith("read") or action in ("comment", "annotate"):
        return DONE
    if role not in EDITORS:
        return FORBIDDEN
    if action == "edit":
        return DONE if state in EDITABLE else REFUSED
    if action == "approve" and role == "author":
        return REFUSED  # four eyes: not the revision one wrote
    return DONE if state in OPEN_IN[action] else REFUSED


@pytest.fixture
def people(db: None) -> dict[str, User | None]:
    return {
        "anonymous": None,
        "outsider": make_user(None, "outsider"),
        "subscriber": make_user(Role.SUBSCRIBER, "subscriber"),
        "analyst": make_user(Role.ANALYST, "analyst"),
        "editor": make_user(Role.EDITOR, "editor"),
        "author": make_user(Role.EDITOR, "author"),
        "approver": make_user(Role.EDITOR, "approver"),
    }


def _report(state: str, people: dict[str, User | None]) -> Report:
    author, approver = people["author"], people["approver"]
    assert author is not None and approver is not None
    report = report_in(Report.State.DRAFT, editor=author, approver=approver)
    # The latest revision is the author's own, so four eyes applies to them.
    revision_save(
        report=report,
        actor=author,
        base_revision_id=latest(report).pk,
        content=latest(report).content,
        note="author's edit",
    )
    return _advance(report, state, author=author, approver=approver)


def _advance(report: Report, state: str, *, author: User, approver: User) -> Report:
    from reports import workflow

    steps = STATES[: STATES.index(state) + 1]
    if "in_review" in steps:
        workflow.report_submit(report=report, actor=author)
    if "approved" in steps:
        workflow.report_approve(report=report, actor=approver, revision=latest(report))
    if "published" in steps:
        workflow.report_publish(report=report, actor=author)
    if "withdrawn" in steps:
        workflow.report_withdraw(report=report, actor=author, reason="Superseded")
    return report


def _check(outcome: str, response: Any, before: dict, after: dict, what: str) -> None:
    if outcome == LOGIN:
        assert response.status_code == 302, what
        assert response["Location"].startswith(reverse("admin:login")), what
    elif outcome == HIDDEN:
        assert response.status_code == 404, what
    elif outcome == FORBIDDEN:
        assert response.status_code == 403, what
    elif outcome == REFUSED:
        assert response.status_code in (302, 409), what
    else:
        assert response.status_code in (200, 302), what
    if outcome != DONE:
        assert after == before, f"{what} changed the database"


@pytest.mark.parametrize("state", STATES)
def test_it_enforces_the_role_table(state, people):
    # One report per state serves every refusal (they change nothing); an
    # action that moves the report gets a report of its own.
    shared = _report(state, people)

    for role in ROLES:
        client = Client()
        user = people[role]
        if user is not None:
            client.force_login(user)
        for action in ACTIONS:
            _try(client, role, action, state, shared, people)


def _try(
    client: Client,
    role: str,
    action: Action,
    state: str,
    shared: Report,
    people: dict[str, User | None],
) -> None:
    outcome = expected(role, action.name, state)
    what = f"{role} may {action.name} in {state}? expected {outcome}"
    fresh = outcome == DONE and action.changes_state
    report = _report(state, people) if fresh else shared
    before = snapshot(report)
    jobs = GenerationJob.objects.filter(report=report).count()

    response = action.run(client, report)

    after = snapshot(report)
    _check(outcome, response, before, after, what)
    if outcome != DONE:
        return
    if action.changes_state:
        moved = after["report"] != before["report"]
        assert moved or after["revisions"] == before["revisions"] + 1, what
        assert after["audit"] > before["audit"], f"{what}: no audit event"
    elif action.name == "comment":
        assert after["comments"] == before["comments"] + 1, what
    elif action.name == "annotate":
        assert after["annotations"] == before["annotations"] + 1, what
    elif action.name == "request a draft":
        assert GenerationJob.objects.filter(report=report).count() >= max(jobs, 1)
