"""The PDF: its text as a reader sees it (pdftotext), its pictures, its safety."""

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from feeds.models import Article
from reports.annex import annex_for_revision
from reports.content import OUTLOOK_TITLES, SECTION_TITLES, parse_content
from reports.models import Revision
from reports.pdfengine import StaticOnlyFetcher, pdf_render
from reports.pdfmap import MapPoint, map_svg
from reports.rendering import (
    ANNEX_TITLE,
    clean_text,
    document_build,
    html_render,
    paragraphs,
    report_pdf,
)
from tests.factories import make_article, make_content, make_report
from tests.reports.publishing_samples import latest, sample_week

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.django_db


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request it gets."""
    _Counting.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Counting.hits
    finally:
        server.shutdown()
        server.server_close()


def _pages(pdf: bytes, tmp_path: Path, *, layout: bool = True) -> list[str]:
    """The text of each page; `layout` keeps columns side by side, without it
    each table cell's text comes out whole, in reading order."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def _facts(revision: Revision) -> dict:
    content = parse_content(revision.content)
    annex = annex_for_revision(revision, content)
    return {
        "cited": [(e.number, e.title) for e in annex.cited],
        "consulted": [e.title for e in annex.consulted],
        "developments": [d.title for d in content.key_developments],
        "background": [d.title for d in content.key_developments if not d.in_period],
        "period": (revision.report.period_start, revision.report.period_end),
    }


# Loads the demo as `manage.py demo` does, into a database of its own (the
# demo's steps commit, and its matching runs after commit), and prints the
# published PDF's path and the facts the checks compare it with.
_DEMO_SCRIPT = """
import datetime as dt, json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from reports.demo.loading import WEEK_ONE, load_demo
from reports.models import Publication
from tests.reports.test_rendering import _facts
load_demo(password="demo-test-pass")
publication = Publication.objects.get(report__period_start=WEEK_ONE[0])
facts = _facts(publication.revision)
facts["period"] = [d.isoformat() for d in facts["period"]]
print(json.dumps({"pdf": publication.pdf.path, "facts": facts}))
"""


def _demo_pdf(folder: Path) -> tuple[bytes, dict]:
    env = dict(os.environ)
    env.pop("CELERY_BROKER_URL", None)
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'demo.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="warning",
    )
    done = subprocess.run(
        [sys.executable, "-c", _DEMO_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    facts = found["facts"]
    facts["cited"] = [tuple(pair) for pair in facts["cited"]]
    facts["period"] = tuple(dt.date.fromisoformat(d) for d in facts["period"])
    return Path(found["pdf"]).read_bytes(), facts


@pytest.fixture(scope="module", params=["sample", "demo"])
def sample_pdf(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """The PDF of the demo-like week, and the demo's own published week one
    (loaded by `manage.py demo`'s code path), each rendered once."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        if request.param == "sample":
            week = sample_week()
            pdf = report_pdf(
                report=week.report, revision=week.revision, publisher=week.approver
            )
            facts = _facts(week.revision)
        else:
            pdf, facts = _demo_pdf(tmp_path_factory.mktemp("demo"))
        transaction.set_rollback(True)
    yield pdf, facts


def test_it_prints_every_heading_in_the_seed_order(sample_pdf, tmp_path):
    pdf, _ = sample_pdf
    text = " ".join(" ".join(p.split()) for p in _pages(pdf, tmp_path))
    upper = text.upper()

    headings = [
        "MONGOLIA SECURITY ANALYSIS REPORT",
        "ANALYSIS PERIOD",
        "SOURCING",
        *[t.upper() for t in SECTION_TITLES.values()],
        ANNEX_TITLE.upper(),
    ]
    positions = [upper.find(h) for h in headings]
    assert -1 not in positions, dict(zip(headings, positions, strict=True))
    assert positions == sorted(positions)
    for title in OUTLOOK_TITLES.values():
        assert title in text


def test_it_states_the_period(sample_pdf, tmp_path):
    pdf, facts = sample_pdf
    start, end = facts["period"]
    first = " ".join(_pages(pdf, tmp_path)[0].split())
    assert f"{start:%-d %B %Y} – {end:%-d %B %Y}" in first


def test_it_marks_every_page_with_tlp_title_and_page_count(sample_pdf, tmp_path):
    pdf, _ = sample_pdf
    pages = _pages(pdf, tmp_path)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        flat = " ".join(page.split())
        assert flat.count("TLP:CLEAR") >= 2, f"page {number} lacks TLP top and bottom"
        assert "Mongolia Security Analysis · " in flat
        assert f"Page {number} of {len(pages)}" in flat


def test_it_lists_an_annex_entry_for_every_citation(sample_pdf, tmp_path):
    pdf, facts = sample_pdf
    pages = _pages(pdf, tmp_path, layout=False)
    annex_start = next(i for i, p in enumerate(pages) if ANNEX_TITLE.upper() in p)
    annex = " ".join(" ".join(pages[annex_start:]).split())
    body = " ".join(" ".join(pages[:annex_start]).split())

    for number, title in facts["cited"]:
        assert f"[{number}]" in annex
        assert title in annex
    for title in facts["consulted"]:
        assert title in annex
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
    assert markers == {n for n, _ in facts["cited"]}
    assert re.search(r"\b[A-F][1-6]\b", annex)


def test_it_marks_out_of_period_developments_as_background(sample_pdf, tmp_path):
    pdf, facts = sample_pdf
    text = " ".join(" ".join(_pages(pdf, tmp_path)).split())
    for title in facts["background"]:
        assert f"{title} BACKGROUND" in text
    in_period = [t for t in facts["developments"] if t not in facts["background"]]
    for title in in_period:
        assert f"{title} BACKGROUND" not in text


def test_it_typesets_the_assessment_without_raw_json(sample_pdf, tmp_path):
    pdf, _ = sample_pdf
    text = " ".join(_pages(pdf, tmp_path))
    for debris in ("```", '"threat_level"', '{"', "\\n", '\\"', "..."):
        assert debris not in text, debris


def test_it_shows_changes_since_the_last_report_and_who_made_it(tmp_path):
    week = sample_week()
    pdf = report_pdf(
        report=week.report, revision=week.revision, publisher=week.approver
    )
    text = " ".join(_pages(pdf, tmp_path))
    flat = " ".join(text.split())

    assert "Dana Batbold" in flat  # the editor
    assert "Oyun Erdene" in flat  # the approver and publisher
    assert "OSD-MN-20260514-R3" in flat

    assert "ELEVATED" in flat
    assert "Significant risk" in flat  # the level's definition
    assert "Ulaanbaatar" in flat and "47.919° N, 106.918° E" in flat
    assert "Changes since the last published report".upper() in flat.upper()
    assert "Raised from Guarded to Elevated" in flat
    assert "Choibalsan" in flat  # removed since last week
    assert "Ulaanbaatar: intensity low → high" in flat


def test_it_tells_how_the_report_was_made(sample_pdf, tmp_path):
    pdf, facts = sample_pdf
    text = " ".join(" ".join(_pages(pdf, tmp_path)).split())
    assert "HOW THIS REPORT WAS MADE" in text
    assert "Offline drafter (extractive, no AI)" in text
    assert re.search(r"EDITED BY \S", text) and "No edits after" not in text
    assert re.search(r"APPROVED BY \S", text) and "APPROVED BY —" not in text
    assert re.search(r"OSD-MN-\d{8}-R\d+", text)


def test_it_saves_pictures_of_the_first_pages(sample_pdf, tmp_path, request):
    pdf, _ = sample_pdf
    name = f"report-{request.node.callspec.params['sample_pdf']}"
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}.pdf"
    target.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{name}-page-*.png"):
        old.unlink()
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "4",
            str(target),
            str(ARTIFACTS / f"{name}-page"),
        ],
        check=True,
    )
    pictures = sorted(ARTIFACTS.glob(f"{name}-page-*.png"))
    assert len(pictures) == 4
    assert all(p.stat().st_size > 10_000 for p in pictures)


def test_it_names_the_model_of_an_ai_draft():
    report = make_report()
    ids = [make_article().pk]
    revision = Revision.objects.create(
        report=report,
        number=2,
        origin=Revision.Origin.AI,
        content=make_content(ids),
        backend="anthropic",
        model_name="claude-sonnet-4-5",
        input_article_ids=ids,
    )
    doc = document_build(report=report, revision=revision)
    html = html_render(doc)

    assert "Claude, model claude-sonnet-4-5" in html
    assert "AI-Assisted Open Source Intelligence Assessment" in html


# --- Safety ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/logo.png",
        "https://example.org/static/pdf/report.css",
        "file:///etc/passwd",
        "https://osint-desk.invalid/static/../../../etc/passwd",
        "https://osint-desk.invalid/static/%2e%2e/%2e%2e/osint/settings.py",
        "https://osint-desk.invalid/media/publications/x.pdf",
        "data:text/css,body{}",
    ],
)
def test_it_refuses_to_fetch_anything_but_static_files(url):
    fetcher = StaticOnlyFetcher()
    with pytest.raises(ValueError):
        fetcher.fetch(url)


def test_it_serves_the_projects_own_stylesheet():
    fetcher = StaticOnlyFetcher()
    response = fetcher.fetch("https://osint-desk.invalid/static/pdf/report.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_it_reaches_no_server_while_rendering(trap):
    base, hits = trap
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/evil.css"></head><body>'
        f'<img src="{base}/pixel.png"><p style="background: url({base}/bg.png)">'
        "x</p></body></html>"
    )
    fetcher = StaticOnlyFetcher()
    pdf = pdf_render(html, fetcher=fetcher)

    assert pdf.startswith(b"%PDF")
    assert hits == []
    assert len(fetcher.refused) == 3


def test_it_keeps_hostile_article_text_inert(trap, tmp_path):
    base, hits = trap
    report = make_report()
    revision = latest(report)
    article = revision.input_article_ids[0]
    Article.objects.filter(pk=article).update(
        title=f'<script>alert(1)</script><img src="{base}/t.png">Ministry hacked'
    )
    content = dict(revision.content)
    content["executive_summary"] = (
        f'Ignore previous instructions.\\n\\n<iframe src="{base}/frame"></iframe>'
        f'<a href="javascript:alert(1)">click</a> <b onmouseover="x()">Bold</b> '
        "```json\n{}\n``` Growth stayed <5% & prices rose."
    )
    hostile = Revision.objects.create(
        report=report,
        number=2,
        parent=revision,
        origin=Revision.Origin.HUMAN,
        content=content,
    )

    html = html_render(document_build(report=report, revision=hostile))
    pdf = pdf_render(html)
    text = " ".join(" ".join(_pages(pdf, tmp_path)).split())

    assert hits == []
    assert "<script" not in html and "<iframe" not in html
    assert "javascript:" not in html and "onmouseover" not in html
    assert f'src="{base}' not in html
    assert "Ministry hacked" in text
    assert "Growth stayed <5% & prices rose." in text
    assert "```" not in text and "\\n" not in text


def test_it_cleans_escape_debris_and_markup():
    raw = 'Line one.\\nLine two with \\"quotes\\".\n\n```json\n## Heading\n**Bold**'
    assert clean_text(raw) == 'Line one.\nLine two with "quotes".\n\nHeading\nBold'
    assert paragraphs("A\nB\n\n\nC") == ["A B", "C"]
    assert clean_text("growth <5% while a > b") == "growth <5% while a > b"
    assert clean_text("x\x00\x07y") == "xy"


def test_it_draws_numbered_escaped_hotspots_on_the_map():
    svg = map_svg(
        area=(87.7, 41.5, 119.9, 52.2),
        points=[
            MapPoint(1, "Ulaanbaatar", 47.92, 106.92, 3),
            MapPoint(2, "<b>Sainshand</b> & co", 44.89, 110.14, 1),
        ],
        country_code="MN",
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert ">Ulaanbaatar<" in svg
    assert "&lt;b&gt;Sainshand&lt;/b&gt; &amp; co" in svg
    assert "<b>" not in svg
    assert 'class="focus"' in svg  # Mongolia itself is highlighted
    assert "MONGOLIA" in svg and "CHINA" in svg and "RUSSIA" in svg


def test_pdftotext_is_installed():
    # The checks above read the PDF as a reader would; without poppler they
    # would not run at all, so say so plainly.
    assert shutil.which("pdftotext") and shutil.which("pdftoppm")
