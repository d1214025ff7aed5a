"""The OpenAPI document at /api/schema/ and the page for people at /api/docs/."""

import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

# Also run on the embedded default (SQLite, in-process tasks) by CI.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def _document():
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_it_serves_a_valid_openapi_3_document_without_signing_in():
    document = _document()

    assert document["openapi"].startswith("3.")
    validate_schema(document)


def test_it_documents_the_error_shape_on_every_operation():
    document = _document()

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("401", "403", "429"):
                assert code in responses, (method, path, code)
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}


def test_it_documents_conflicts_on_saves_and_workflow_actions():
    paths = _document()["paths"]

    for action in ("save", "submit", "request-changes", "approve", "publish"):
        assert "409" in paths[f"/api/reports/{{id}}/{action}/"]["post"]["responses"]


def test_it_describes_every_route_of_the_api():
    documented = set(_document()["paths"])
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    routed = {
        path.replace("{pk}", "{id}")
        for path, *_ in generator.endpoints or []
        if path not in ("/api/schema/", "/api/docs/")
    }

    assert routed == documented
    assert len(documented) >= 25


def test_it_documents_the_content_schema_of_a_save():
    components = _document()["components"]["schemas"]
    field = components["RevisionSaveRequest"]["properties"]["content"]
    assert field["allOf"] == [{"$ref": "#/components/schemas/ReportContent"}]
    content = components["ReportContent"]

    hotspot = content["properties"]["assessment"]["properties"]["hotspots"]["items"]
    assert hotspot["properties"]["intensity"]["enum"] == [1, 2, 3]
    assert hotspot["properties"]["lat"]["maximum"] == 90


def test_it_serves_the_docs_page_from_local_static_files():
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "/static/drf_spectacular_sidecar/" in page
    # Every script, style sheet and image the page loads is served by the
    # desk itself. (A search for "cdn" in the page once failed on a random
    # CSRF token that happened to hold those letters.)
    loaded = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)""", page, re.I)
    assert loaded
    outside = [url for url in loaded if url.startswith("//") or "://" in url]
    assert outside == []
    assert "https://" not in page and "http://" not in page
