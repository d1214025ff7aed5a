"""The admin site as a whole: no page answers hostile input with a 500."""

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from tests.factories import make_article, make_report

# The overflow some of these once hit is SQLite's: CI runs them on it too.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

# What a careless paste or a hostile user puts in every field of a form.
HOSTILE_VALUES = ["x" * 6000, "\x00", "-1", "99999999999999999999", ""]
HOSTILE_QUERIES = [
    "?q=%00",
    "?q=" + "x" * 3000,
    "?o=99",
    "?p=99999999999999999999",
    "?published_at__gte=garbage",
    "?feed__id__exact=99999999999999999999",
    "?id__in=1,99999999999999999999",
    "?e=1",
]


def _pages(model: type[Model]) -> list[str]:
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    pages = [reverse(f"{info}_add")]
    row = model._default_manager.first()
    if row is not None:
        pages.append(reverse(f"{info}_change", args=[row.pk]))
    return pages


def _form_fields(response: Any) -> list[str]:
    context = getattr(response, "context", None) or {}
    return list(context["adminform"].form.fields) if "adminform" in context else []


def _server_errors(user: User) -> list[str]:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    errors = []
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = reverse(f"{info}_changelist")
        for query in HOSTILE_QUERIES:
            if client.get(changelist + query).status_code >= 500:
                errors.append(f"GET {changelist}{query[:40]}")
        for page in _pages(model):
            shown = client.get(page)
            if shown.status_code >= 500:
                errors.append(f"GET {page}")
            for value in HOSTILE_VALUES:
                posted = client.post(page, dict.fromkeys(_form_fields(shown), value))
                if posted.status_code >= 500:
                    errors.append(f"POST {page} every field {value[:24]!r}")
    return errors


@pytest.mark.parametrize("role", ["editor", "analyst"])
def test_it_answers_hostile_input_on_every_admin_page_without_a_500(
    role: str, request: pytest.FixtureRequest
) -> None:
    make_report()
    make_article()

    assert _server_errors(request.getfixturevalue(role)) == []
