"""Bearer tokens beside the browser session."""

import pytest
from rest_framework.test import APIClient

from reports.models import AccessToken
from reports.tokens import token_issue, token_revoke
from tests.factories import PASSWORD, make_report
from tests.reports.api.clients import secret_client

pytestmark = pytest.mark.django_db


def test_it_lets_a_live_token_act_as_its_user(analyst):
    _, secret = token_issue(user=analyst, kind=AccessToken.Kind.API)

    response = secret_client(secret).get("/api/revisions/")

    assert response.status_code == 200


def test_it_refuses_a_revoked_token_rather_than_treating_it_as_anonymous(analyst):
    token, secret = token_issue(user=analyst, kind=AccessToken.Kind.API)
    token_revoke(token=token)

    response = secret_client(secret).get("/api/revisions/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_it_refuses_a_feed_reader_token_for_the_api(subscriber):
    _, secret = token_issue(user=subscriber, kind=AccessToken.Kind.FEED)

    response = secret_client(secret).get("/api/reports/")

    assert response.status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(analyst):
    _, secret = token_issue(user=analyst, kind=AccessToken.Kind.API)
    analyst.is_active = False
    analyst.save()

    assert secret_client(secret).get("/api/reports/").status_code == 401


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer osk_\u00e9t\u00e9", "Bearer osk_guess"]
)
def test_it_refuses_malformed_bearer_headers_with_401(analyst, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode().decode("latin-1"))

    response = client.get("/api/reports/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_it_accepts_the_browser_session(client, editor):
    client.login(username=editor.username, password=PASSWORD)

    assert client.get("/api/reports/").status_code == 200


def test_it_requires_csrf_for_session_writes(editor):
    report = make_report()
    browser = APIClient(enforce_csrf_checks=True)
    browser.login(username=editor.username, password=PASSWORD)

    response = browser.post(f"/api/reports/{report.pk}/submit/")

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    report.refresh_from_db()
    assert report.state == "draft"
