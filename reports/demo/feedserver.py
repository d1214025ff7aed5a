"""A small HTTP server on 127.0.0.1 that serves the bundled demo feeds.

It binds port 0 (the system picks a free port), serves only the files in
`reports/demo/feeds/`, each with a content type for its kind, and stops
when the `serving()` block ends.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEEDS_DIR = Path(__file__).resolve().parent / "feeds"
_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
}


class _Handler(BaseHTTPRequestHandler):
    server: "DemoFeedServer"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        name = self.path.split("?", 1)[0].lstrip("/")
        path = self.server.files.get(name)
        if path is None:
            self.send_error(404, "No such demo feed")
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", _TYPES.get(path.suffix, "application/xml"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class DemoFeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory: Path = FEEDS_DIR) -> None:
        # Only files listed here are served: no path from a request ever
        # reaches the file system.
        self.files = {
            path.name: path for path in directory.iterdir() if path.suffix in _TYPES
        }
        super().__init__(("127.0.0.1", 0), _Handler)

    def url(self, name: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/{name}"


@contextmanager
def serving(directory: Path = FEEDS_DIR) -> Iterator[DemoFeedServer]:
    server = DemoFeedServer(directory)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
