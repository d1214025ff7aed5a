"""Issuing, listing and revoking one's own API tokens."""

import pytest

from reports.models import AccessToken
from reports.tokens import token_issue
from tests.reports.api.clients import secret_client

pytestmark = pytest.mark.django_db


def test_it_shows_the_secret_once_and_the_secret_works(api_as, subscriber):
    response = api_as(subscriber).post(
        "/api/tokens/", {"name": "dashboard"}, format="json"
    )

    assert response.status_code == 201
    issued = response.json()
    assert issued["secret"].startswith("osk_")
    assert issued["name"] == "dashboard"

    listed = secret_client(issued["secret"]).get("/api/tokens/").json()["results"]
    assert issued["id"] in [t["id"] for t in listed]
    assert all("secret" not in t for t in listed)


def test_it_lists_only_ones_own_api_tokens(api_as, analyst, editor):
    own, _ = token_issue(user=analyst, kind=AccessToken.Kind.API, name="mine")
    theirs, _ = token_issue(user=editor, kind=AccessToken.Kind.API)
    feed, _ = token_issue(user=analyst, kind=AccessToken.Kind.FEED)

    ids = [t["id"] for t in api_as(analyst).get("/api/tokens/").json()["results"]]

    assert own.pk in ids
    assert theirs.pk not in ids
    assert feed.pk not in ids


def test_it_revokes_at_once_and_keeps_the_record(api_as, analyst):
    token, secret = token_issue(user=analyst, kind=AccessToken.Kind.API)

    response = api_as(analyst).delete(f"/api/tokens/{token.pk}/")

    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert secret_client(secret).get("/api/reports/").status_code == 401


def test_it_cannot_revoke_someone_elses_token(api_as, analyst, editor):
    theirs, _ = token_issue(user=editor, kind=AccessToken.Kind.API)

    response = api_as(analyst).delete(f"/api/tokens/{theirs.pk}/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_it_gives_no_tokens_to_users_without_a_role(api_as, outsider):
    response = api_as(outsider).post("/api/tokens/", {}, format="json")

    assert response.status_code == 403
    # Only the token the test client itself was given.
    assert AccessToken.objects.filter(user=outsider).count() == 1
