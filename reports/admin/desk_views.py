"""The editor's pages for one report, inside the admin.

Every view here checks the role table before anything else, turns the
domain's errors into words on the page (403 for a forbidden action, 404 for
what the user may not know exists), and leaves every rule to the domain
functions of `reports.workflow`, `reports.revisions` and `reports.review`.
"""

import logging
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import site as admin_site
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from feeds.models import Annotation, Article
from reports import workflow
from reports.borders import as_geojson, countries_in
from reports.content import THREAT_LEVELS, cited_source_ids, parse_content
from reports.diffing import (
    diff_html,
    last_published_revision,
    machine_draft_of,
    revision_diff,
)
from reports.errors import (
    Conflict,
    DeskError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from reports.geo import in_area
from reports.models import AuditEvent, Report, ReviewComment, Revision
from reports.review import (
    comment_add,
    comment_resolve,
    comment_threads,
    section_label,
    source_annotate,
)
from reports.revisions import revision_author_name, revision_save
from reports.roles import Capability, can
from reports.sources import source_rows

from .desk_forms import content_from_forms, editor_forms

logger = logging.getLogger(__name__)

DeskView = Callable[..., HttpResponse]

# Widening of the topic's box for the "outside the area" flag, in degrees.
AREA_MARGIN_DEG = 1.0


def desk_page(view: DeskView) -> DeskView:
    """Sign-in, desk membership and the report, for every desk view.

    Anonymous users go to the admin's sign-in; anyone without desk access
    gets 404, since even a draft's existence is private; a domain refusal is
    a page saying why, with nothing changed.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, report_id: int, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not can(request.user, Capability.READ_DESK):
            raise Http404("No such report.")
        report = get_object_or_404(
            Report.objects.select_related("topic", "latest_revision"), pk=report_id
        )
        try:
            return view(request, report, **kwargs)
        except Forbidden as exc:
            return _refusal(request, report, exc, status=403)
        except NotFound:
            raise Http404("Not found.") from None

    return never_cache(wrapper)


def _refusal(
    request: HttpRequest, report: Report, exc: DeskError, *, status: int
) -> HttpResponse:
    context = {
        **admin_site.each_context(request),
        "title": "Not allowed",
        "report": report,
        "message": exc.message,
    }
    return render(request, "admin/reports/desk/refused.html", context, status=status)


def _editor_url(report: Report) -> str:
    return reverse("admin:reports_report_desk", args=[report.pk])


def _back(report: Report, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(_editor_url(report) + (f"#{anchor}" if anchor else ""))


def _tell(request: HttpRequest, exc: DeskError) -> None:
    """An error message for the next page, with each listed problem."""
    text = exc.message
    problems = getattr(exc, "problems", [])
    if problems:
        text += " " + " ".join(f"• {p}." for p in problems)
    messages.error(request, text)


# --- the editor page ----------------------------------------------------------


def _source_choices(rows: list[Any]) -> list[tuple[int, str]]:
    return [
        (
            row.article.pk,
            f"[{row.article.pk}] {row.article.feed} · "
            f"{row.article.published_at:%d %b} · {row.article.title}"
            + (" · EXCLUDED" if row.excluded else ""),
        )
        for row in rows
    ]


def hotspot_flags(report: Report, content: dict[str, Any]) -> dict[int, str]:
    """Hotspots outside the topic's area (with a margin), by index."""
    topic = report.topic
    flags = {}
    for i, spot in enumerate(content.get("assessment", {}).get("hotspots", [])):
        try:
            lat, lng = float(spot["lat"]), float(spot["lng"])
        except (KeyError, TypeError, ValueError):
            continue
        if not in_area(
            lat,
            lng,
            south=topic.area_south,
            west=topic.area_west,
            north=topic.area_north,
            east=topic.area_east,
            margin_deg=AREA_MARGIN_DEG,
        ):
            flags[i] = (
                f"{spot.get('label') or 'This hotspot'} lies outside the area "
                f"of {topic.name}; check its coordinates."
            )
    return flags


def _render_editor(
    request: HttpRequest,
    report: Report,
    *,
    forms: tuple[Any, Any, Any] | None = None,
    conflict: Conflict | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    latest = report.latest_revision
    if latest is None:
        raise Http404("This report has no revision yet.")
    user = request.user
    content = latest.content
    rows = source_rows(revision=latest, cited=cited_source_ids(parse_content(content)))
    if forms is None:
        forms = editor_forms(
            content=content,
            base_revision_id=latest.pk,
            source_choices=_source_choices(rows),
        )
    text, developments, hotspots = forms
    flags = hotspot_flags(report, {"assessment": {"hotspots": _shown(hotspots)}})
    for i, form in enumerate(developments.forms):
        form.path = f"key_developments.{i}"
    for i, form in enumerate(hotspots.forms):
        form.path = f"assessment.hotspots.{i}"
        form.flag = flags.get(i, "")
    actions = workflow.allowed_actions(report=report, user=user)
    revisions = list(report.revisions.select_related("author").order_by("-number"))
    for revision in revisions:
        revision.author_name = revision_author_name(revision)  # type: ignore[attr-defined]
    machine = machine_draft_of(report)
    published = last_published_revision(report=report, excluding=latest)
    threads = comment_threads(report=report)
    context = {
        **admin_site.each_context(request),
        "title": f"{report}",
        "report": report,
        "latest": latest,
        "text_form": text,
        "developments": developments,
        "hotspots": hotspots,
        "can_edit": workflow.EDIT in actions,
        "actions": [
            (a, workflow.ACTION_LABELS[a]) for a in actions if a != workflow.EDIT
        ],
        "approval_problems": workflow.approval_problems(report=report, revision=latest),
        "four_eyes_blocked": (
            report.state == Report.State.IN_REVIEW
            and can(user, Capability.RUN_WORKFLOW)
            and workflow.APPROVE not in actions
        ),
        "threat_levels": THREAT_LEVELS,
        "source_rows": rows,
        "credibility_choices": Annotation.Credibility.choices,
        "relevance_choices": Annotation.Relevance.choices,
        "can_annotate": can(user, Capability.ANNOTATE),
        "can_comment": can(user, Capability.COMMENT),
        "threads": threads,
        "open_comments": sum(
            1 for ts in threads.values() for t in ts if not t.comment.resolved
        ),
        "revisions": revisions,
        "latest_author": revision_author_name(latest),
        "machine": machine,
        "published": published,
        "conflict": conflict,
        "conflict_latest": (
            Revision.objects.select_related("author").get(
                pk=conflict.latest_revision_id
            )
            if conflict and conflict.latest_revision_id
            else None
        ),
        "problems": problems or [],
        "map_config": _map_config(report, editable=workflow.EDIT in actions),
        "can_redraft": workflow.may_redraft(report=report, user=user),
        "section_label": section_label,
    }
    return render(request, "admin/reports/desk/editor.html", context, status=status)


def _map_config(report: Report, *, editable: bool) -> dict[str, Any]:
    """What the map script needs: where borders come from, tiles, the area."""
    topic = report.topic
    return {
        "bordersUrl": reverse("admin:reports_report_desk_borders", args=[report.pk]),
        "tiles": settings.OSINT_MAP_TILES,
        "area": {
            "south": topic.area_south,
            "west": topic.area_west,
            "north": topic.area_north,
            "east": topic.area_east,
            "margin": AREA_MARGIN_DEG,
        },
        "topic": topic.name,
        "editable": editable,
    }


def _shown(hotspots: Any) -> list[dict[str, Any]]:
    """The hotspots as the form shows them: posted values, or the saved ones."""
    if not hotspots.is_bound:
        return [form.initial for form in hotspots.forms]
    return [getattr(form, "cleaned_data", None) or {} for form in hotspots.forms]


@desk_page
def editor(request: HttpRequest, report: Report) -> HttpResponse:
    if request.method != "POST":
        return _render_editor(request, report)

    if not can(request.user, Capability.EDIT_REPORT):
        raise Forbidden("Your role does not allow you to edit reports.")
    latest = report.latest_revision
    if latest is None:
        raise Http404("This report has no revision yet.")
    rows = source_rows(revision=latest, cited=[])
    forms = editor_forms(
        data=request.POST,
        content=latest.content,
        base_revision_id=latest.pk,
        source_choices=_source_choices(rows),
    )
    text, developments, hotspots = forms
    if not (text.is_valid() and developments.is_valid() and hotspots.is_valid()):
        return _render_editor(
            request,
            report,
            forms=forms,
            problems=["Some fields need attention; see the marked fields below."],
            status=400,
        )

    # "Save anyway" after a conflict names the revision it now builds on.
    base = text.cleaned_data["base_revision_id"]
    rebase = request.POST.get("rebase_to", "")
    if rebase.isdigit():
        base = int(rebase)
    try:
        revision = revision_save(
            report=report,
            actor=request.user,
            base_revision_id=base,
            content=content_from_forms(text, developments, hotspots),
            note=text.cleaned_data["note"],
        )
    except Conflict as exc:
        report.refresh_from_db()
        return _render_editor(request, report, forms=forms, conflict=exc, status=409)
    except ValidationFailed as exc:
        return _render_editor(
            request,
            report,
            forms=forms,
            problems=[exc.message] + exc.problems,
            status=400,
        )
    except InvalidTransition as exc:
        return _render_editor(
            request, report, forms=forms, problems=[exc.message], status=409
        )

    messages.success(request, f"Saved as revision {revision.number}.")
    for warning in hotspot_flags(report, revision.content).values():
        messages.warning(request, warning)
    return _back(report)


@desk_page
@require_GET
def borders(request: HttpRequest, report: Report) -> HttpResponse:
    topic = report.topic
    data = _borders_geojson(
        round(topic.area_west, 2),
        round(topic.area_south, 2),
        round(topic.area_east, 2),
        round(topic.area_north, 2),
    )
    response = JsonResponse(data)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@lru_cache(maxsize=32)
def _borders_geojson(west: float, south: float, east: float, north: float) -> dict:
    # The neighbours matter for judging a hotspot near a border: widen the
    # box generously before picking countries.
    pad = 10.0
    countries = countries_in(west - pad, south - pad, east + pad, north + pad)
    data = as_geojson(countries)
    # Four decimals (about 10 m) is finer than the 1:50m data itself.
    for feature in data["features"]:
        feature["geometry"]["coordinates"] = [
            [[[round(x, 4), round(y, 4)] for x, y in ring] for ring in poly]
            for poly in feature["geometry"]["coordinates"]
        ]
    return data


# --- workflow -----------------------------------------------------------------------


@desk_page
@require_POST
def transition(request: HttpRequest, report: Report, action: str) -> HttpResponse:
    user = request.user
    reason = request.POST.get("reason", "")
    try:
        if action == workflow.SUBMIT:
            workflow.report_submit(report=report, actor=user)
            done = "Submitted for review."
        elif action == workflow.REQUEST_CHANGES:
            workflow.report_request_changes(report=report, actor=user, reason=reason)
            done = "Sent back to draft with your request for changes."
        elif action == workflow.APPROVE:
            revision_id = request.POST.get("revision_id", "")
            if not revision_id.isdigit():
                raise ValidationFailed("Say which revision you approve.")
            workflow.report_approve(
                report=report, actor=user, revision=int(revision_id)
            )
            done = "Approved."
        elif action == workflow.PUBLISH:
            publication = workflow.report_publish(report=report, actor=user)
            done = f"Published (publication {publication.pk})."
        elif action == workflow.WITHDRAW:
            workflow.report_withdraw(report=report, actor=user, reason=reason)
            done = "Withdrawn. Its publications stay in its history."
        else:
            raise Http404("No such action.")
    except (InvalidTransition, ValidationFailed, Conflict) as exc:
        _tell(request, exc)
        return _back(report, "workflow")
    messages.success(request, done)
    return _back(report, "workflow")


@desk_page
@require_POST
def redraft(request: HttpRequest, report: Report) -> HttpResponse:
    try:
        job = workflow.report_redraft(report=report, actor=request.user)
    except (InvalidTransition, ValidationFailed) as exc:
        _tell(request, exc)
        return _back(report)
    messages.success(
        request,
        f"A new draft was requested (job {job.pk}); it lands as a new revision.",
    )
    return _back(report)


# --- review -----------------------------------------------------------------------


@desk_page
@require_POST
def comment(request: HttpRequest, report: Report) -> HttpResponse:
    """A new comment (`target=section:<path>`) or an answer (`reply:<id>`).

    The page posts every comment box through one form; the pressed button
    names the box, so only its text is read.
    """
    revision = get_object_or_404(
        Revision, pk=_int(request.POST.get("revision_id")), report=report
    )
    kind, _, key = request.POST.get("target", "").partition(":")
    parent = None
    if kind == "reply":
        parent = get_object_or_404(ReviewComment, pk=_int(key), revision__report=report)
        section, text = parent.section, request.POST.get(f"reply:{key}", "")
        # An answer joins the thread on the revision the comment was made on.
        revision = parent.revision
    elif kind == "section":
        section, text = key, request.POST.get(f"text:{key}", "")
    else:
        section, text = request.POST.get("section", ""), request.POST.get("text", "")
    try:
        comment_add(
            revision=revision,
            actor=request.user,
            section=section,
            text=text,
            parent=parent,
        )
    except ValidationFailed as exc:
        _tell(request, exc)
    else:
        messages.success(request, f"Comment added on {section_label(section)}.")
    return _back(report, f"comments-{section}")


@desk_page
@require_POST
def resolve(request: HttpRequest, report: Report, comment_id: int) -> HttpResponse:
    target = get_object_or_404(ReviewComment, pk=comment_id, revision__report=report)
    comment_resolve(comment=target, actor=request.user)
    messages.success(request, "Comment resolved.")
    return _back(report, f"comments-{target.section}")


@desk_page
@require_POST
def annotate(request: HttpRequest, report: Report, article_id: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=article_id)
    excluded = request.POST.get("excluded") == "on"
    try:
        source_annotate(
            report=report,
            article=article,
            actor=request.user,
            credibility=_int(request.POST.get("credibility")),
            relevance=_int(request.POST.get("relevance")),
            note=request.POST.get("note", ""),
            excluded=excluded,
        )
    except ValidationFailed as exc:
        _tell(request, exc)
        return _back(report, "sources")
    text = f"Annotation saved for source [{article.pk}]."
    if excluded and report.latest_revision is not None:
        cited = cited_source_ids(parse_content(report.latest_revision.content))
        if article.pk in cited:
            text += " It is excluded but still cited: approval is blocked until "
            text += "the citation is removed."
    messages.success(request, text)
    return _back(report, "sources")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# --- reading changes ------------------------------------------------------------


@desk_page
@require_GET
def diff(request: HttpRequest, report: Report) -> HttpResponse:
    latest = report.latest_revision
    if latest is None:
        raise Http404("This report has no revision yet.")
    preset = request.GET.get("preset", "")
    old: Revision | None
    new: Revision | None = latest
    if preset == "machine":
        old = machine_draft_of(report)
        heading = "What editors changed from the machine draft"
    elif preset == "published":
        old = last_published_revision(report=report, excluding=latest)
        heading = "Changes since the last published report"
    else:
        old = _topic_revision(report, request.GET.get("old"))
        new = _topic_revision(report, request.GET.get("new")) or latest
        heading = "Compare revisions"
    context: dict[str, Any] = {
        **admin_site.each_context(request),
        "title": heading,
        "report": report,
        "old": old,
        "new": new,
        "revisions": report.revisions.order_by("-number"),
    }
    if old is None or new is None:
        context["missing"] = {
            "machine": "This report has no machine draft.",
            "published": "Nothing on this topic has been published before.",
        }.get(preset, "Choose two revisions to compare.")
    else:
        context["diff_body"] = diff_html(revision_diff(old=old, new=new))
    return render(request, "admin/reports/desk/diff.html", context)


def _topic_revision(report: Report, raw: str | None) -> Revision | None:
    # Either side may be a revision of another report on the same topic (the
    # last published one), never of another topic.
    if not raw or not raw.isdigit():
        return None
    revision = (
        Revision.objects.select_related("report")
        .filter(pk=int(raw), report__topic_id=report.topic_id)
        .first()
    )
    if revision is None:
        raise Http404("No such revision on this topic.")
    return revision


@desk_page
@require_GET
def audit(request: HttpRequest, report: Report) -> HttpResponse:
    events = (
        AuditEvent.objects.filter(report=report)
        .select_related("actor", "revision")
        .order_by("-created_at", "-id")
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    context = {
        **admin_site.each_context(request),
        "title": f"Audit log: {report}",
        "report": report,
        "page": page,
    }
    return render(request, "admin/reports/desk/audit.html", context)
