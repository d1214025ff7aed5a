import pytest

from feeds.models import Annotation, Article
from reports import workflow
from reports.audit import Action
from reports.errors import Forbidden, NotFound, ValidationFailed
from reports.models import AuditEvent, ReviewComment
from reports.review import (
    comment_add,
    comment_resolve,
    comment_threads,
    section_label,
    source_annotate,
)
from reports.revisions import revision_save
from reports.workflow import approval_problems
from tests.factories import make_article, make_content, make_report
from tests.reports.desk_states import latest, snapshot

pytestmark = pytest.mark.django_db


def test_it_adds_a_comment_to_a_section_of_a_revision(analyst):
    report = make_report()
    revision = latest(report)

    comment = comment_add(
        revision=revision,
        actor=analyst,
        section="key_developments.0",
        text="  Which ministry?  ",
    )

    assert comment.revision == revision
    assert comment.text == "Which ministry?"
    assert comment.author == analyst
    event = AuditEvent.objects.get(report=report, action=Action.COMMENTED)
    assert event.data["section"] == "key_developments.0"


@pytest.mark.parametrize(
    "section",
    ["assessment.hotspots.0", "outlook.indicators", "executive_summary"],
)
def test_it_accepts_every_kind_of_section_path(section, editor):
    revision = latest(make_report())

    assert comment_add(revision=revision, actor=editor, section=section, text="ok")


@pytest.mark.parametrize(
    "section, text, problem",
    [
        ("key_developments.7", "x", "section: key_developments.7 is not a part"),
        ("nonsense", "x", "section: nonsense is not a part"),
        ("executive_summary", "   ", "text: the comment is empty"),
        ("executive_summary", "x" * 5001, "text: at most 5000 characters"),
    ],
)
def test_it_refuses_a_comment_on_nothing_or_saying_nothing(
    section, text, problem, analyst
):
    report = make_report()
    before = snapshot(report)

    with pytest.raises(ValidationFailed) as refused:
        comment_add(revision=latest(report), actor=analyst, section=section, text=text)

    assert refused.value.problems[0].startswith(problem)
    assert snapshot(report) == before


@pytest.mark.parametrize("who", ["subscriber", "outsider"])
def test_it_refuses_comments_from_outside_the_desk(who, request):
    report = make_report()
    before = snapshot(report)

    with pytest.raises(Forbidden):
        comment_add(
            revision=latest(report),
            actor=request.getfixturevalue(who),
            section="executive_summary",
            text="hello",
        )

    assert snapshot(report) == before


def test_it_threads_answers_and_resolves_the_thread(analyst, editor):
    report = make_report()
    revision = latest(report)
    question = comment_add(
        revision=revision, actor=analyst, section="assessment.hotspots.0", text="Why?"
    )
    answer = comment_add(
        revision=revision, actor=editor, section="", text="Ministries.", parent=question
    )
    again = comment_add(
        revision=revision, actor=analyst, section="", text="Thanks.", parent=answer
    )

    assert answer.section == "assessment.hotspots.0"
    assert again.parent == question  # one level deep
    threads = comment_threads(report=report)
    (thread,) = threads["assessment.hotspots.0"]
    assert thread.comment == question
    assert thread.answers == [answer, again]

    comment_resolve(comment=again, actor=editor)
    comment_resolve(comment=question, actor=editor)

    question.refresh_from_db()
    assert question.resolved and question.resolved_by == editor
    assert AuditEvent.objects.filter(action=Action.COMMENT_RESOLVED).count() == 1


def test_it_keeps_comments_on_the_revision_they_were_made_on(analyst, editor):
    report = make_report()
    first = latest(report)
    comment = comment_add(
        revision=first, actor=analyst, section="executive_summary", text="Vague."
    )
    revision_save(
        report=report,
        actor=editor,
        base_revision_id=first.pk,
        content=make_content(first.input_article_ids, executive_summary="Precise."),
    )

    comment.refresh_from_db()
    assert comment.revision == first
    (thread,) = comment_threads(report=report)["executive_summary"]
    assert thread.comment.revision.number == 1


def test_it_refuses_an_answer_on_another_revision(analyst, editor):
    report = make_report()
    first = latest(report)
    question = comment_add(
        revision=first, actor=analyst, section="executive_summary", text="?"
    )
    second = revision_save(
        report=report,
        actor=editor,
        base_revision_id=first.pk,
        content=make_content(first.input_article_ids),
    )

    with pytest.raises(ValidationFailed):
        comment_add(
            revision=second, actor=editor, section="", text="!", parent=question
        )
    assert ReviewComment.objects.count() == 1


def test_it_lets_an_analyst_exclude_a_cited_source_and_blocks_approval_at_once(
    analyst, editor, editor2
):
    report = make_report()
    workflow.report_submit(report=report, actor=editor)
    revision = latest(report)
    cited = revision.content["key_developments"][0]["source_ids"][0]
    article = Article.objects.get(pk=cited)
    assert approval_problems(report=report, revision=revision) == []

    annotation = source_annotate(
        report=report,
        article=article,
        actor=analyst,
        credibility=Annotation.Credibility.DOUBTFUL,
        relevance=Annotation.Relevance.LOW,
        note=" Reprint of a rumour. ",
        excluded=True,
    )

    assert annotation.analyst == analyst
    assert annotation.note == "Reprint of a rumour."
    assert annotation.excluded
    problems = approval_problems(report=report, revision=revision)
    assert any("excluded" in p for p in problems)
    event = AuditEvent.objects.get(report=report, action=Action.SOURCE_ANNOTATED)
    assert event.data["excluded"] is True
    with pytest.raises(ValidationFailed):
        workflow.report_approve(report=report, actor=editor2, revision=revision)


def test_it_annotates_an_article_outside_any_report_and_audits_it(analyst):
    article = make_article()

    annotation = source_annotate(
        article=article, actor=analyst, credibility=2, relevance=3, excluded=True
    )

    event = AuditEvent.objects.get(action=Action.SOURCE_ANNOTATED)
    assert (event.actor, event.report, event.revision) == (analyst, None, None)
    assert event.data == {
        "article_id": article.pk,
        "annotation_id": annotation.pk,
        "credibility": 2,
        "relevance": 3,
        "excluded": True,
    }


def test_it_refuses_to_annotate_an_article_that_is_not_a_source_of_the_report(
    analyst,
):
    report = make_report()
    stranger = make_article()

    with pytest.raises(NotFound):
        source_annotate(
            report=report,
            article=stranger,
            actor=analyst,
            credibility=2,
            relevance=2,
        )
    assert Annotation.objects.count() == 0


def test_it_refuses_annotations_out_of_range_or_from_subscribers(analyst, subscriber):
    report = make_report()
    article_id = latest(report).input_article_ids[0]
    article = Article.objects.get(pk=article_id)
    with pytest.raises(ValidationFailed, match="Credibility must be one of"):
        source_annotate(
            report=report, article=article, actor=analyst, credibility=9, relevance=2
        )
    with pytest.raises(Forbidden):
        source_annotate(
            report=report, article=article, actor=subscriber, credibility=2, relevance=2
        )
    assert Annotation.objects.count() == 0


def test_it_names_sections_as_people_read_them():
    assert section_label("key_developments.2") == "Key development 3"
    assert section_label("assessment.hotspots.0") == "Hotspot 1"
    assert section_label("outlook.flashpoints") == "Critical flashpoints and risk areas"
    assert section_label("executive_summary") == "Executive Summary"
