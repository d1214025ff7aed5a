"""Request rates per user and per anonymous client, read from settings."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.reports.api.clients import bearer_client

pytestmark = pytest.mark.django_db


def test_it_slows_down_a_user_past_their_rate(settings, analyst, editor):
    settings.API_THROTTLE_RATES = {"user": "3/minute", "anon": None}
    cache.clear()
    client = bearer_client(analyst)

    codes = [client.get("/api/reports/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/reports/")
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["details"]["retry_after_seconds"] > 0
    # The rate is per user: another editor is unaffected.
    assert bearer_client(editor).get("/api/reports/").status_code == 200


def test_it_slows_down_anonymous_clients_by_address(settings):
    settings.API_THROTTLE_RATES = {"user": None, "anon": "2/minute"}
    cache.clear()
    client = APIClient()

    codes = [client.get("/api/reports/").status_code for _ in range(3)]

    assert codes == [401, 401, 429]


def test_it_slows_down_guesses_at_tokens(settings):
    settings.API_THROTTLE_RATES = {"user": None, "anon": "2/minute"}
    cache.clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer osk_guess")

    codes = [client.get("/api/reports/").status_code for _ in range(3)]

    assert codes == [401, 401, 429]
