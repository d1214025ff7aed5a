"""Canonical article URLs: one spelling per page, whatever tracking was added."""

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feeds.sanitising import safe_http_url

# Query parameters that identify a campaign or a click, never a page.
_TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "igshid",
        "ref_src",
        "cmpid",
        "ncid",
        "ocid",
        "sr_share",
    }
)


@lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    """The URL without tracking parameters and fragment, host in lower case.

    Returns "" for anything that is not an absolute http(s) URL.
    """
    url = safe_http_url(url)
    if not url:
        return ""
    parts = urlsplit(url)
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if (scheme, port) in (("http", 80), ("https", 443)):
        port = None
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)
