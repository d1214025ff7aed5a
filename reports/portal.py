"""The subscriber portal: published reports, their PDFs, follows and the feed.

Views only translate HTTP to the domain functions in `reports.publishing` and
`reports.subscriptions` and back; who may see what is decided there. A
report that is not published (or, for subscribers, withdrawn) is a 404 just
like an unknown id, so the portal never reveals what the desk is working on.
"""

import logging
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.db.models import Count, Max
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_http_methods, require_POST

from feeds.models import Tlp
from reports.annex import annex_for_revision
from reports.borders import countries_in
from reports.content import THREAT_LEVELS, parse_content
from reports.downloads import pdf_response
from reports.errors import Forbidden, NotFound
from reports.models import AccessToken, Publication, Report, Topic
from reports.pdfcharts import THREAT_COLOURS
from reports.pdfmap import INTENSITY_COLOURS, INTENSITY_NAMES, is_country
from reports.publishing import (
    pdf_filename,
    publication_for_reader,
    visible_publications,
)
from reports.rendering import format_coordinates, format_period, paragraphs
from reports.roles import Capability, can
from reports.subscriptions import (
    feed_publications,
    feed_token_issue,
    feed_token_revoke,
    followed_topic_ids,
    live_feed_token,
    topic_follow,
    topic_unfollow,
)
from reports.tokens import token_user

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
View = Callable[..., HttpResponseBase]


def _domain_errors(view: View) -> View:
    """Forbidden becomes a 403 page and NotFound a 404, never a 500."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            return render(
                request, "portal/error.html", {"message": exc.message}, status=403
            )
        except NotFound as exc:
            return render(
                request, "portal/error.html", {"message": exc.message}, status=404
            )

    return wrapper


def _require_reader(user: Any) -> None:
    if not can(user, Capability.READ_PUBLISHED):
        raise Forbidden(
            "Your account does not give access to published reports. "
            "Ask the desk to add you as a subscriber."
        )


# --- Pages ---------------------------------------------------------------------


@login_required
@_domain_errors
def report_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_reader(user)
    publications = visible_publications(user)
    reports = (
        Report.objects.filter(pk__in=publications.values("report_id"))
        .select_related("topic")
        .annotate(
            last_published=Max("publications__published_at"),
            versions=Count("publications"),
        )
        .order_by("-last_published", "-id")
    )
    topics = Topic.objects.filter(reports__in=reports).distinct().order_by("name")
    slug = request.GET.get("topic", "")
    chosen = None
    if slug:
        # Only a slug can name a topic; anything else (a NUL, which
        # PostgreSQL refuses in a query, or stray text) names none.
        chosen = (
            Topic.objects.filter(slug=slug).first() if slug_re.match(slug) else None
        )
        reports = reports.filter(topic=chosen) if chosen else reports.none()

    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    levels = _current_threat_levels([r.pk for r in page.object_list])
    rows = [
        {
            "report": r,
            "period": format_period(r.period_start, r.period_end),
            "threat_level": levels.get(r.pk, ""),
            "threat_colour": THREAT_COLOURS.get(levels.get(r.pk, ""), "#4a5563"),
            "corrected": getattr(r, "versions", 1) > 1,
        }
        for r in page.object_list
    ]
    return render(
        request,
        "portal/report_list.html",
        {
            "rows": rows,
            "page": page,
            "topics": topics,
            "chosen": chosen,
            "slug": slug,
            "followed": followed_topic_ids(user),
        },
    )


def _current_threat_levels(report_ids: list[int]) -> dict[int, str]:
    levels: dict[int, str] = {}
    rows = (
        Publication.objects.filter(report_id__in=report_ids)
        .order_by("report_id", "-published_at", "-id")
        .values_list("report_id", "revision__content")
    )
    for report_id, content in rows:
        if report_id not in levels:
            levels[report_id] = ((content or {}).get("assessment") or {}).get(
                "threat_level", ""
            )
    return levels


@login_required
@_domain_errors
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    user = request.user
    _require_reader(user)
    publications = list(
        visible_publications(user)
        .filter(report_id=report_id)
        .order_by("-published_at", "-id")
    )
    if not publications:
        report = Report.objects.filter(pk=report_id).select_related("topic").first()
        if report is not None and can(user, Capability.READ_DESK):
            return render(request, "portal/report_pending.html", {"report": report})
        raise NotFound("There is no published report with that number.")

    current = publications[0]
    report = current.report
    content = parse_content(current.revision.content)
    annex = annex_for_revision(current.revision, content)
    level = content.assessment.threat_level
    hotspots = [
        {
            "number": i,
            "label": spot.label,
            "detail": spot.detail,
            "lat": spot.lat,
            "lng": spot.lng,
            "intensity": spot.intensity,
            "intensity_name": INTENSITY_NAMES[spot.intensity],
            "colour": INTENSITY_COLOURS[spot.intensity],
            "coordinates": format_coordinates(spot.lat, spot.lng),
            "markers": annex.markers(spot.source_ids),
        }
        for i, spot in enumerate(content.assessment.hotspots, start=1)
    ]
    topic = report.topic
    area = (topic.area_west, topic.area_south, topic.area_east, topic.area_north)
    return render(
        request,
        "portal/report_detail.html",
        {
            "report": report,
            "topic": topic,
            "period": format_period(report.period_start, report.period_end),
            "current": current,
            "superseded": publications[1:],
            "summary": paragraphs(content.executive_summary),
            "developments": [
                {
                    "title": dev.title,
                    "background": not dev.in_period,
                    "markers": annex.markers(dev.source_ids),
                }
                for dev in content.key_developments
            ],
            "threat_level": level,
            "threat_colour": THREAT_COLOURS.get(level, "#4a5563"),
            "threat_definition": THREAT_LEVELS.get(level, ""),
            "rationale": paragraphs(content.assessment.rationale),
            "hotspots": hotspots,
            "map_data": {
                "area": area,
                "hotspots": hotspots,
                "borders": area_borders(area, topic.country_code),
                "tiles": settings.OSINT_MAP_TILES,
            },
            "annex": annex,
            "tlp_label": Tlp(report.tlp).label,
            "withdrawn": report.state == Report.State.WITHDRAWN,
            "following": topic.pk in followed_topic_ids(user),
            "filename": pdf_filename(current),
            "is_desk": can(user, Capability.READ_DESK),
        },
    )


@lru_cache(maxsize=32)
def area_borders(
    area: tuple[float, float, float, float], country_code: str = ""
) -> dict[str, Any]:
    """Country borders around an area, small enough to embed in a page.

    Points beyond a margin around the area are pulled onto the margin's edge
    and repeated points dropped, so Russia's Arctic coast does not travel to
    a browser that shows only Mongolia; then points closer than a fraction of
    the view are thinned out.
    """
    west, south, east, north = area
    span = max(east - west, north - south, 1.0)
    margin = span * 0.6
    box = (west - margin, south - margin, east + margin, north + margin)
    tolerance = span / 600
    features: list[dict[str, Any]] = []
    for country in countries_in(*box):
        polygons = []
        for polygon in country.polygons:
            rings = []
            for ring in polygon:
                points: list[list[float]] = []
                for lng, lat in ring:
                    x = round(min(max(lng, box[0]), box[2]), 4)
                    y = round(min(max(lat, box[1]), box[3]), 4)
                    if points and (
                        abs(x - points[-1][0]) < tolerance
                        and abs(y - points[-1][1]) < tolerance
                    ):
                        continue
                    points.append([x, y])
                if len(points) >= 4:
                    rings.append(points)
            if rings:
                polygons.append(rings)
        if polygons:
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "name": country.name,
                        "focus": is_country(country, country_code),
                    },
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                }
            )
    # The topic's own country last, so its outline sits on top.
    features.sort(key=lambda f: f["properties"]["focus"])
    return {"type": "FeatureCollection", "features": features}


# --- Downloads ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
@_domain_errors
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponseBase:
    """The current PDF of a report."""
    publication = publication_for_reader(user=request.user, report_id=report_id)
    return pdf_response(request, publication, current=True)


@login_required
@require_http_methods(["GET", "HEAD"])
@_domain_errors
def publication_pdf(
    request: HttpRequest, report_id: int, publication_id: int
) -> HttpResponseBase:
    """One particular publication of a report, current or superseded."""
    publication = publication_for_reader(
        user=request.user, report_id=report_id, publication_id=publication_id
    )
    newest = (
        Publication.objects.filter(report_id=report_id)
        .order_by("-published_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return pdf_response(request, publication, current=newest == publication.pk)


# --- Following and the feed ---------------------------------------------------------


@login_required
@require_POST
@_domain_errors
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    topic_follow(user=request.user, topic=topic)
    messages.success(
        request, f"You now follow {topic.name}; each new report will be e-mailed."
    )
    return _back(request)


@login_required
@require_POST
@_domain_errors
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    topic_unfollow(user=request.user, topic=topic)
    messages.success(request, f"You no longer follow {topic.name}.")
    return _back(request)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    # Only paths on this site; never an absolute URL given by the form.
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("portal:subscriptions")
    return redirect(target)


@login_required
@_domain_errors
def subscriptions(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_reader(user)
    secret = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            _, secret = feed_token_issue(user=user)
            messages.success(
                request,
                "Your new feed address is below. Copy it now: it is shown only "
                "once. Any older address has stopped working.",
            )
        elif action == "revoke":
            feed_token_revoke(user=user)
            messages.success(request, "Your feed address has stopped working.")
            return redirect("portal:subscriptions")
    followed = followed_topic_ids(user)
    topics = Topic.objects.order_by("name")
    return render(
        request,
        "portal/subscriptions.html",
        {
            "topics": [(t, t.pk in followed) for t in topics],
            "token": live_feed_token(user),
            "feed_url": (
                request.build_absolute_uri(reverse("portal:feed", args=[secret]))
                if secret
                else ""
            ),
        },
    )


@require_http_methods(["GET", "HEAD"])
def publication_feed(request: HttpRequest, token: str) -> HttpResponse:
    """An Atom feed of the token owner's publications; no session needed."""
    user = token_user(token, kind=AccessToken.Kind.FEED)
    if user is None or not can(user, Capability.READ_PUBLISHED):
        raise Http404("This feed address is unknown or has been revoked.")
    site = settings.OSINT_SITE_URL
    feed = Atom1Feed(
        title="OSINT Desk: published reports",
        link=site + reverse("portal:reports"),
        description=f"Reports published for {user.get_username()}",
        feed_url=request.build_absolute_uri(),
        language="en",
    )
    for publication in feed_publications(user):
        report = publication.report
        period = format_period(report.period_start, report.period_end)
        content = publication.revision.content or {}
        level = (content.get("assessment") or {}).get("threat_level", "")
        summary = (
            " ".join(paragraphs(content.get("executive_summary", "")))
            if report.tlp in (Tlp.CLEAR, Tlp.GREEN)
            else "Sign in to read this report."
        )
        feed.add_item(
            title=(
                f"{report.topic.name} Security Analysis Report, {period} "
                f"[{Tlp(report.tlp).label}]"
            ),
            link=site + reverse("portal:report", args=[report.pk]),
            description=(f"Threat level: {level.upper() or 'not assessed'}. {summary}"),
            unique_id=f"tag:osint-desk,{publication.published_at:%Y-%m-%d}:"
            f"publication/{publication.pk}",
            unique_id_is_permalink=False,
            pubdate=publication.published_at,
            updateddate=publication.published_at,
            categories=[report.topic.name],
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
