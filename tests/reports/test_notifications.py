"""Followers hear of each publication by e-mail, after commit, once."""

import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from feeds.models import Tlp
from reports.models import PublicationNotice, Report, TopicFollow
from reports.publishing import publication_create, publication_notify
from reports.roles import Role
from reports.tasks import notify_publication
from tests.factories import make_report, make_user
from tests.reports.publishing_samples import latest, make_publication
from tests.services import celery_worker, need_broker, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OSINT_SITE_URL = "https://desk.example.org"


def _approved(editor, approver, **report_fields) -> Report:
    report = make_report(author=editor)
    for key, value in report_fields.items():
        setattr(report, key, value)
    report.state = Report.State.APPROVED
    report.approved_revision = latest(report)
    report.approved_by = approver
    report.save()
    return report


def _follower(topic, role=Role.SUBSCRIBER, **fields):
    fields.setdefault("email", f"reader{TopicFollow.objects.count()}@example.org")
    user = make_user(role, **fields)
    TopicFollow.objects.create(user=user, topic=topic)
    return user


@pytest.fixture
def in_process(monkeypatch):
    """Tasks run in this process even when a broker is configured."""
    monkeypatch.setitem(notify_publication.app.conf, "task_always_eager", True)


def test_it_emails_each_follower_after_the_commit(
    editor, editor2, django_capture_on_commit_callbacks, in_process
):
    report = _approved(editor, editor2)
    alice = _follower(report.topic, first_name="Alice")
    bob = _follower(report.topic, Role.ANALYST)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publication_create(report=report, revision=latest(report), actor=editor2)
    assert mail.outbox == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()

    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    message = next(m for m in mail.outbox if m.to == [alice.email])
    assert message.subject == (
        f"[TLP:CLEAR] {report.topic.name} Security Analysis Report, 7–14 May 2026"
    )
    assert "Hello Alice" in message.body
    assert "A quiet week with one notable cyber incident." in message.body
    assert "ELEVATED" in message.body
    assert f"https://desk.example.org/reports/{report.pk}/" in message.body
    assert "https://desk.example.org/reports/subscriptions/" in message.body
    assert isinstance(message, EmailMultiAlternatives)
    html, kind = message.alternatives[0]
    assert kind == "text/html" and "Read the report" in str(html)
    assert PublicationNotice.objects.count() == 2


def test_it_tells_only_followers_who_may_read_and_can_be_reached(editor):
    report = make_report()
    publication = make_publication(report, by=editor)
    reader = _follower(report.topic)
    _follower(report.topic, is_active=False)
    _follower(report.topic, email="")
    _follower(report.topic, role=None)  # signed up, but no role
    make_user(Role.SUBSCRIBER, email="not-following@example.org")

    sent = publication_notify(publication_id=publication.pk)

    assert sent == 1
    assert [m.to for m in mail.outbox] == [[reader.email]]


def test_it_keeps_restricted_content_out_of_email(editor):
    report = make_report()
    Report.objects.filter(pk=report.pk).update(tlp=Tlp.AMBER)
    report.refresh_from_db()
    publication = make_publication(report, by=editor)
    _follower(report.topic)

    publication_notify(publication_id=publication.pk)

    (message,) = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.subject.startswith("[TLP:AMBER]")
    assert "A quiet week" not in message.body
    assert "A quiet week" not in str(message.alternatives[0][0])
    assert "not sent by e-mail" in message.body


def test_a_retried_task_tells_nobody_twice(editor):
    report = make_report()
    publication = make_publication(report, by=editor)
    _follower(report.topic)
    _follower(report.topic)

    assert publication_notify(publication_id=publication.pk) == 2
    assert publication_notify(publication_id=publication.pk) == 0
    assert len(mail.outbox) == 2


def test_a_mail_server_failure_leaves_the_rest_for_the_retry(editor, monkeypatch):
    report = make_report()
    publication = make_publication(report, by=editor)
    first = _follower(report.topic)
    second = _follower(report.topic)
    real_send = EmailMultiAlternatives.send

    def flaky(message, *args, **kwargs):
        if message.to == [second.email]:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky)
    with pytest.raises(smtplib.SMTPException):
        publication_notify(publication_id=publication.pk)
    assert [m.to for m in mail.outbox] == [[first.email]]

    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    assert publication_notify(publication_id=publication.pk) == 1
    assert [m.to for m in mail.outbox] == [[first.email], [second.email]]


def test_the_task_retries_on_mail_server_errors(monkeypatch):
    def down(**kwargs):
        raise smtplib.SMTPConnectError(421, "try later")

    monkeypatch.setattr("reports.tasks.publication_notify", down)
    # Run eagerly, the task's request for a retry surfaces as Retry; a
    # worker would schedule it a minute later.
    with pytest.raises(Retry) as caught:
        notify_publication.apply(args=(1,), throw=True)
    assert caught.value.when == 60


def test_a_correction_says_so(editor):
    report = make_report()
    make_publication(report, by=editor, data=b"%PDF first")
    correction = make_publication(report, by=editor, data=b"%PDF second")
    _follower(report.topic)

    publication_notify(publication_id=correction.pk)

    assert "Corrected:" in mail.outbox[0].subject
    assert "corrected version" in mail.outbox[0].body


def test_nobody_is_told_of_a_withdrawn_report(editor):
    report = make_report()
    publication = make_publication(report, by=editor)
    Report.objects.filter(pk=report.pk).update(state=Report.State.WITHDRAWN)
    _follower(report.topic)

    assert publication_notify(publication_id=publication.pk) == 0
    assert mail.outbox == []


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_notice_through_redis(tmp_path, settings):
    need_broker()
    editor = make_user(Role.EDITOR)
    approver = make_user(Role.EDITOR)
    report = _approved(editor, approver)
    reader = _follower(report.topic)
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media

    with celery_worker(
        extra_env={
            "MEDIA_ROOT": str(media),
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        }
    ) as worker:
        publication = publication_create(
            report=report, revision=latest(report), actor=approver
        )
        wait_for(
            lambda: PublicationNotice.objects.filter(
                publication=publication, user=reader
            ).exists(),
            timeout=60,
        )
        assert worker.poll() is None
    assert mail.outbox == []  # sent by the worker, not by this process
