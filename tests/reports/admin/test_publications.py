import pytest
from django.test import Client

from reports.models import Download, TopicFollow
from tests.factories import make_report
from tests.reports.publishing_samples import make_publication

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_publications_downloads_and_follows_for_the_desk(editor, subscriber):
    report = make_report()
    publication = make_publication(report, by=editor)
    Download.objects.create(publication=publication, user=subscriber)
    TopicFollow.objects.create(user=subscriber, topic=report.topic)
    client = _admin(editor)

    for url in (
        "/admin/reports/publication/",
        "/admin/reports/download/",
        "/admin/reports/topicfollow/",
        f"/admin/reports/publication/{publication.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    listing = client.get("/admin/reports/publication/").content.decode()
    assert publication.sha256[:12] in listing
    assert f"/reports/{report.pk}/publications/{publication.pk}/pdf/" in listing


def test_publications_cannot_be_changed_or_deleted_in_the_admin(editor):
    publication = make_publication(make_report(), by=editor)
    client = _admin(editor)

    response = client.post(
        f"/admin/reports/publication/{publication.pk}/change/", {"size": 1}
    )
    assert response.status_code == 403
    delete = client.post(
        f"/admin/reports/publication/{publication.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    publication.refresh_from_db()
    assert publication.size != 1
    assert client.get("/admin/reports/publication/add/").status_code == 403


def test_subscribers_have_no_admin(subscriber):
    response = _admin(subscriber).get("/admin/reports/publication/")
    assert response.status_code == 302


def test_analysts_see_the_log_but_cannot_change_follows(analyst, subscriber):
    report = make_report()
    follow = TopicFollow.objects.create(user=subscriber, topic=report.topic)
    client = _admin(analyst)

    assert client.get("/admin/reports/download/").status_code == 200
    assert client.get("/admin/reports/topicfollow/").status_code == 200
    response = client.post(
        f"/admin/reports/topicfollow/{follow.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert TopicFollow.objects.filter(pk=follow.pk).exists()
