"""Property-based fuzzing of the whole API against its own OpenAPI document.

Schemathesis reads the document the API serves at /api/schema/, generates
requests for every operation (valid ones, and in its coverage phase boundary
and invalid ones too) and sends them to the real WSGI application, signed in
as each role. Every answer must be no 500, carry a documented status code
and content type, and match the documented schema.

Path ids are steered, two times in three, to rows that exist, so the fuzzing
reaches past the 404s into the views' real work.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from feeds.models import Annotation, Feed
from osint.wsgi import application
from reports.models import AccessToken, GenerationJob, ReviewComment
from reports.roles import Role
from reports.tokens import token_issue
from tests.factories import make_user
from tests.reports.api.desk import STATES, report_in

pytestmark = [pytest.mark.django_db]

# Examples per operation, bounded so the whole fuzz (every operation, four
# roles) stays within about two minutes in CI; raise it locally with
# FUZZ_EXAMPLES for a longer hunt.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Editors reach deepest, so they get the coverage phase too: every boundary
# and invalid value the document implies, for every parameter and field.
# The other roles are refused early and get random examples only.
deep_schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", application, config=SchemathesisConfig.from_dict({})
)
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json",
    application,
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)

# Ids of existing rows by the collection their path names, filled per test.
_KNOWN: dict[str, list[int]] = {}


def map_path_parameters(context: Any, path_parameters: Any) -> Any:
    if not isinstance(path_parameters, dict):
        return path_parameters
    path = context.operation.path
    collection = path.split("/")[2]
    for name, value in list(path_parameters.items()):
        known = _KNOWN.get("reports" if name == "report_pk" else collection, [])
        if known and isinstance(value, int) and value % 3:
            path_parameters[name] = known[value % len(known)]
    return path_parameters


for _schema in (deep_schema, schema):
    _schema.hook(map_path_parameters)


def _desk_world(editor: User) -> None:
    """A desk with a report in every state and a row of every kind."""
    reports = [report_in(state, publisher=editor) for state in STATES]
    revisions = [r.revisions.get() for r in reports]
    articles = [i for rev in revisions for i in rev.input_article_ids]
    analyst = make_user(Role.ANALYST)
    for article_id in articles[:3]:
        Annotation.objects.create(article_id=article_id, analyst=analyst)
    for report in reports[:2]:
        GenerationJob.objects.create(
            topic=report.topic,
            period_start=report.period_start,
            period_end=report.period_end,
            report=report,
            drafter="offline",
        )
    spare, _ = token_issue(user=editor, kind=AccessToken.Kind.API, name="spare")

    _KNOWN.clear()
    _KNOWN.update(
        reports=[r.pk for r in reports],
        revisions=[rev.pk for rev in revisions],
        articles=articles,
        feeds=list(Feed.objects.values_list("pk", flat=True)),
        topics=[r.topic_id for r in reports],
        annotations=list(Annotation.objects.values_list("pk", flat=True)),
        comments=list(ReviewComment.objects.values_list("pk", flat=True)),
        jobs=list(GenerationJob.objects.values_list("pk", flat=True)),
        publications=[
            p for r in reports for p in r.publications.values_list("pk", flat=True)
        ],
        tokens=[spare.pk],
    )


def _headers(user: User | None) -> dict[str, str]:
    if user is None:
        return {}
    _, secret = token_issue(user=user, kind=AccessToken.Kind.API, name="fuzz")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def fuzz_world(settings: Any, tmp_path: Any, editor2: User) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path
    _HEADERS.clear()
    _desk_world(editor2)

    # Requests go straight to the WSGI application, not through Django's
    # test client, so do what that client does: keep the end of a request
    # from closing the connection that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


_HEADERS: dict[int | None, dict[str, str]] = {}


def _fuzz(case: Any, user: User | None) -> None:
    key = user.pk if user else None
    if key not in _HEADERS:
        _HEADERS[key] = _headers(user)
    case.call_and_validate(headers=_HEADERS[key], checks=CHECKS)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@deep_schema.parametrize()
@_settings(MAX_EXAMPLES)
def test_it_holds_to_its_schema_for_editors(case, fuzz_world, editor):
    _fuzz(case, editor)


@schema.parametrize()
@_settings(MAX_EXAMPLES)
def test_it_holds_to_its_schema_for_analysts(case, fuzz_world, analyst):
    _fuzz(case, analyst)


@schema.parametrize()
@_settings(MAX_EXAMPLES * 2 // 3)
def test_it_holds_to_its_schema_for_subscribers(case, fuzz_world, subscriber):
    _fuzz(case, subscriber)


# Everything is refused at the door; a few examples show the refusals hold
# to the document too.
@schema.parametrize()
@_settings(MAX_EXAMPLES // 2)
def test_it_holds_to_its_schema_for_anonymous_clients(case, fuzz_world):
    _fuzz(case, None)
