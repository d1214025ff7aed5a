"""The misbehaving feeds every fetcher test may draw on, in one place."""

from tests.feeds.builders import item, rss
from tests.feeds.servers import (
    FeedServer,
    Handler,
    Route,
    endless,
    gzip_bomb,
    redirect,
    serve,
    slow_drip,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>Laughs &lol9;</title><guid>laughs</guid>
<link>https://news.example.org/laughs</link>
<description>&lol9;</description></item>
</channel></rss>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY xxe SYSTEM "file:///etc/passwd">
<!ENTITY remote SYSTEM "http://127.0.0.2/secret">
]>
<rss version="2.0"><channel><title>Outlet</title>
<item><title>Leak &xxe;</title><guid>xxe</guid>
<link>https://news.example.org/xxe</link>
<description>Before &xxe; &remote; after</description></item>
</channel></rss>
"""

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome</title></head>"
    b"<body><h1>Our news</h1><p>No feed here.</p></body></html>"
)

# Cyrillic text in windows-1251 bytes, while the server says UTF-8.
WRONG_ENCODING = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
    "<title>Новости</title><item><title>Монголия и Китай</title>"
    "<guid>cp1251</guid><link>https://news.example.org/cp</link>"
    "<description>Учения на границе</description></item></channel></rss>"
).encode("cp1251")


def _unchanged(etag: str) -> Route:
    body = rss([item(1), item(2)])

    def route(handler: Handler) -> None:
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("Content-Length", "0")
            handler.send_header("Connection", "close")
            handler.end_headers()
            return
        handler.send_bytes(body, headers={"ETag": etag})

    return route


def install(server: FeedServer, *, forbidden_base: str) -> dict[str, str]:
    """Add every hostile route to `server`; returns name -> URL."""
    routes: dict[str, Route] = {
        "slow drip": slow_drip(interval=0.25, total_s=60),
        "endless body": endless(),
        "gzip bomb": gzip_bomb(decompressed_mib=200),
        "redirect loop": redirect("/hostile/redirect-loop-b"),
        "redirect to forbidden": redirect(forbidden_base + "/internal.xml"),
        "billion laughs": serve(BILLION_LAUGHS),
        "external entity": serve(EXTERNAL_ENTITY),
        "html not xml": serve(HTML_PAGE, content_type="text/html; charset=utf-8"),
        "wrong encoding": serve(WRONG_ENCODING),
        "429": serve(b"slow down", status=429, headers={"Retry-After": "120"}),
        "410": serve(b"gone", status=410),
        "500": serve(b"oops", status=500),
        "unchanged re-poll": _unchanged('"v1"'),
    }
    urls = {}
    for name, route in routes.items():
        path = "/hostile/" + name.replace(" ", "-")
        urls[name] = server.route(path, route)
    server.route("/hostile/redirect-loop-b", redirect("/hostile/redirect-loop"))
    return urls
