"""Publishing benchmark: PDF render overhead and PDF download throughput.

1. Render: the demo-like week (tests/reports/publishing_samples.py) through
   `reports.rendering.report_pdf` (database reads, annex, map, chart,
   template, WeasyPrint) against WeasyPrint alone on the same HTML with the
   same fetcher, interleaved in one run. Target: overhead <= 1.2x.
2. Download: `/reports/<id>/pdf/` under gunicorn (signed-in subscriber,
   role check, ETag headers, a Download row per request) against nginx
   serving the same file statically, both on loopback, 50 concurrent
   clients driven by wrk. Target: gunicorn >= 0.5x nginx's requests/s.

Run standalone: `.venv/bin/python bench/publish.py`. It uses DATABASE_URL
when given (PostgreSQL shows the production shape), else a throwaway SQLite
file; media files go to a temporary directory. Needs `wrk` and `nginx`.
"""

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = Path(tempfile.mkdtemp(prefix="bench-publish-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ.pop("CELERY_BROKER_URL", None)  # notifications run in-process
os.environ.setdefault("LOG_LEVEL", "warning")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint.settings")
# The gunicorn it starts must read the sessions this process writes.
SECRET_KEY = "bench-only-secret-key-not-for-production-use-0123456789"
os.environ["SECRET_KEY"] = SECRET_KEY

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
)
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from weasyprint import HTML  # noqa: E402

from reports.models import Download  # noqa: E402
from reports.pdfengine import PDF_BASE_URL, StaticOnlyFetcher  # noqa: E402
from reports.publishing import publication_create  # noqa: E402
from reports.rendering import (  # noqa: E402
    document_build,
    html_render,
    report_pdf,
)
from reports.roles import Role  # noqa: E402
from tests.factories import make_user  # noqa: E402
from tests.reports.publishing_samples import SampleWeek, sample_week  # noqa: E402
from tests.services import free_port, stop_process  # noqa: E402

RENDER_ROUNDS = 7
ROUNDS = 3
CLIENTS = 50
DURATION_S = 10


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def fresh_database() -> None:
    if connection.vendor == "postgresql":
        # Start from empty tables so repeated runs measure the same thing.
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)


def bench_render(week: SampleWeek) -> tuple[float, float, int, int]:
    document = document_build(report=week.report, revision=week.revision)
    html = html_render(document)

    def ours() -> bytes:
        return report_pdf(report=week.report, revision=week.revision)

    def alone() -> bytes:
        pdf = HTML(
            string=html, base_url=PDF_BASE_URL, url_fetcher=StaticOnlyFetcher()
        ).write_pdf()
        assert pdf is not None
        return bytes(pdf)

    ours()
    alone()  # warm the font and border caches for both

    # CPU time of this process, not wall time: other work on the machine
    # must not decide the ratio. Each round runs both, alternating the order.
    ours_times, alone_times = [], []
    pdf = b""
    for round_ in range(RENDER_ROUNDS):
        for which in (ours, alone) if round_ % 2 == 0 else (alone, ours):
            start = time.process_time()
            result = which()
            spent = time.process_time() - start
            if which is ours:
                ours_times.append(spent)
                pdf = result
            else:
                alone_times.append(spent)
    return (
        statistics.median(ours_times),
        statistics.median(alone_times),
        len(pdf),
        _page_count(pdf),
    )


def _page_count(pdf: bytes) -> int:
    path = WORK / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(
        ["pdfinfo", str(path)], check=True, capture_output=True, text=True
    ).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    return int(match[1]) if match else 0


def publish_for_download(week: SampleWeek) -> tuple[str, Path, bytes, str]:
    """A real publication and a signed-in subscriber's session cookie."""
    publication = publication_create(
        report=week.report, revision=week.revision, actor=week.approver
    )
    reader = make_user(Role.SUBSCRIBER, username="bench-reader")
    session = SessionStore()
    session[SESSION_KEY] = str(reader.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = reader.get_session_auth_hash()
    session.create()
    path = Path(settings.MEDIA_ROOT) / str(publication.pdf.name)
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return f"/reports/{week.report.pk}/pdf/", path, path.read_bytes(), cookie


def wrk(url: str, *headers: str) -> dict[str, float]:
    command = [
        "wrk",
        "-t2",
        f"-c{CLIENTS}",
        f"-d{DURATION_S}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run(
        [*command, url], check=True, capture_output=True, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    done = float(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": done,
        "p99_ms": float(p99[1]) * scale[p99[2]] if p99 else float("nan"),
        "bad": float(errors[1]) if errors else 0.0,
        "socket_errors": sockets[1] if sockets else "none",  # type: ignore[dict-item]
    }


def run_gunicorn(port: int, *, asgi: bool, **extra_env: str) -> subprocess.Popen[bytes]:
    """gunicorn as `make serve` runs it (uvicorn workers on osint.asgi), or
    the plain Django view under threaded WSGI workers, for comparison."""
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_COOKIES="0",
        **extra_env,
    )
    workers = os.environ.get("WEB_CONCURRENCY") or str(os.cpu_count() or 2)
    if asgi:
        shape = ["osint.asgi:application", "-k", "uvicorn_worker.UvicornWorker"]
    else:
        shape = ["osint.wsgi:application", "-k", "gthread", "--threads", "8"]
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            *shape,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(WORK / "gunicorn.log").open("ab"),
    )


def run_nginx(port: int, pdf: Path) -> subprocess.Popen[bytes]:
    prefix = WORK / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    # nginx's workers drop root: give them a readable copy of the same bytes.
    docroot = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    docroot.chmod(0o755)
    served = docroot / "file.pdf"
    shutil.copyfile(pdf, served)
    served.chmod(0o644)
    pdf = served
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""
worker_processes {os.cpu_count() or 2};
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location = /file.pdf {{
      alias {pdf};
      default_type application/pdf;
    }}
  }}
}}
"""
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextmanager
def serving(
    pdf: bytes, cookie: str, url_path: str, *, asgi: bool, **extra_env: str
) -> Iterator[str]:
    """A gunicorn, checked to serve the right bytes; yields the PDF's URL."""
    port = free_port()
    gunicorn = run_gunicorn(port, asgi=asgi, **extra_env)
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}{url_path}"
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        # The first answer waits for the workers to boot.
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.read() == pdf, "gunicorn served other bytes"
        yield url
    finally:
        stop_process(gunicorn, timeout=15)


def bench_download(week: SampleWeek) -> dict[str, Any]:
    """wrk against nginx and the served desk, alternating for ROUNDS rounds
    (the ratio of each round is taken: the machine's load drifts), then the
    desk with every download checked and the Django view, once each."""
    url_path, pdf_path, pdf, cookie = publish_for_download(week)
    header = f"Cookie: {cookie}"
    nginx_port = free_port()
    nginx = run_nginx(nginx_port, pdf_path)
    static_url = f"http://127.0.0.1:{nginx_port}/file.pdf"
    rounds: list[tuple[dict[str, float], dict[str, float]]] = []
    try:
        wait_port(nginx_port)
        with urllib.request.urlopen(static_url, timeout=10) as response:
            assert response.read() == pdf, "nginx served other bytes"
        with serving(pdf, cookie, url_path, asgi=True) as url:
            for round_ in range(ROUNDS):
                if round_ % 2 == 0:
                    ours, static = wrk(url, header), wrk(static_url)
                else:
                    static, ours = wrk(static_url), wrk(url, header)
                rounds.append((ours, static))
        with serving(
            pdf, cookie, url_path, asgi=True, OSINT_DOWNLOAD_GRANT_SECONDS="0"
        ) as url:
            unreused = wrk(url, header)
        with serving(pdf, cookie, url_path, asgi=False) as url:
            view = wrk(url, header)
    finally:
        stop_process(nginx, timeout=15)
    logged = Download.objects.filter(publication__report=week.report).count()
    completed = sum(r[0]["requests"] for r in rounds)
    completed += unreused["requests"] + view["requests"] + 3  # 3 checks
    return {
        "rounds": rounds,
        "unreused": unreused,
        "view": view,
        "size": len(pdf),
        "logged": logged,
        "completed": completed,
    }


def main() -> None:
    for tool in ("wrk", "nginx"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            sys.exit(f"bench/publish.py needs {tool}: apt-get install {tool}")
    fresh_database()
    print(f"database: {connection.vendor}; cores: {os.cpu_count()}")

    week = sample_week()
    ours, alone, size, pages = bench_render(week)
    ratio = ours / alone
    print()
    print(f"Render of the demo-like report ({pages} pages, {size / 1024:.0f} KiB),")
    print(f"median CPU seconds of {RENDER_ROUNDS} interleaved rounds")
    print(f"{'':34}{'cpu s':>10}{'ratio':>9}")
    print(f"{'WeasyPrint alone, same HTML':34}{alone:>10.3f}{1.0:>9.2f}")
    print(f"{'report_pdf (desk: data+map+HTML)':34}{ours:>10.3f}{ratio:>9.2f}")
    print(f"overhead target <= 1.20x: {'met' if ratio <= 1.2 else 'NOT met'}")

    result = bench_download(week)
    rounds = result["rounds"]
    shares = sorted(ours["rps"] / static["rps"] for ours, static in rounds)
    share = statistics.median(shares)
    static_rps = statistics.median(static["rps"] for _, static in rounds)
    print()
    print(
        f"Download of the {result['size'] / 1024:.0f} KiB PDF, {CLIENTS} clients, "
        f"{DURATION_S} s a run, wrk on loopback; desk and nginx alternated "
        f"for {ROUNDS} rounds"
    )
    print(f"{'':42}{'req/s':>9}{'p99 ms':>9}{'bad':>6}{'x nginx':>9}")

    def row(label: str, figures: dict[str, float], ratio: float) -> None:
        print(
            f"{label:42}{figures['rps']:>9.0f}{figures['p99_ms']:>9.1f}"
            f"{figures['bad']:>6.0f}{ratio:>9.2f}"
        )

    for number, (ours, static) in enumerate(rounds, 1):
        row(f"round {number}: nginx, static file", static, 1.0)
        row(
            f"round {number}: desk, osint.asgi under gunicorn",
            ours,
            ours["rps"] / static["rps"],
        )
    row(
        "desk, every download checked (grants 0 s)",
        result["unreused"],
        result["unreused"]["rps"] / static_rps,
    )
    row(
        "Django view alone, WSGI gthread",
        result["view"],
        result["view"]["rps"] / static_rps,
    )
    print(
        f"downloads logged in the database: {result['logged']:,} "
        f"(requests wrk saw completed: {result['completed']:,.0f})"
    )
    print(
        f"throughput, median of rounds: {share:.2f}x nginx (rounds "
        f"{', '.join(f'{s:.2f}' for s in shares)}); target >= 0.50x: "
        f"{'met' if share >= 0.5 else 'NOT met'}"
    )
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
