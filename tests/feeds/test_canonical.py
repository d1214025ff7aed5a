import pytest

from feeds.canonical import canonical_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://News.Example.org/a?utm_source=rss&utm_medium=feed&id=3#top",
            "https://news.example.org/a?id=3",
        ),
        ("http://example.org:80/a?fbclid=x", "http://example.org/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org:8443/a?b=1&c=2", "https://example.org:8443/a?b=1&c=2"),
        ("javascript:alert(1)", ""),
        ("not a url", ""),
        ("https://example.org:99999/a", ""),
    ],
)
def test_it_removes_tracking_and_fragments(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
