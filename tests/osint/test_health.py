import pytest
from django.test import Client, override_settings


@pytest.mark.django_db
def test_it_answers_200_when_the_database_answers(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL=""):
        response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_it_answers_503_naming_an_unreachable_broker(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == "failing"
    assert "broker" in body["errors"]


@pytest.mark.django_db
def test_it_answers_503_naming_a_failing_database(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from osint import health

    monkeypatch.setattr(health, "_check_database", lambda: "OperationalError: gone")
    with override_settings(CELERY_BROKER_URL=""):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["errors"]["database"] == "OperationalError: gone"
