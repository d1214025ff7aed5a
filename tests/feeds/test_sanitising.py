from unittest import mock

import pytest
from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds import sanitising
from feeds.sanitising import clean_text, html_to_text, one_line, safe_http_url

HOSTILE = (
    '<p onclick="steal()">Hi<script>alert(1)</script>'
    '<iframe src="https://evil.example/"></iframe>'
    '<a href="javascript:alert(2)">link</a>'
    '<img src=x onerror="alert(3)"><style>body{}</style>'
    "<svg><script>alert(4)</script></svg></p>"
)


def _rendered(text: str) -> str:
    return Template("<div>{{ text }}</div>").render(Context({"text": text}))


def test_it_drops_scripts_iframes_and_handlers_with_their_content() -> None:
    text = html_to_text(HOSTILE)

    assert text == "Hilink"


def test_it_keeps_paragraph_breaks_and_decodes_entities() -> None:
    text = html_to_text("<p>One &amp; two</p><p>Three&nbsp;four<br>five</p>")

    assert text == "One & two\n\nThree four\nfive"


def test_it_removes_what_databases_refuse() -> None:
    assert clean_text("a\x00b\x07c\ud800d") == "abc?d"


@pytest.mark.parametrize("text", ["plain ascii", "non-ascii: Улаанбаатар"])
def test_it_removes_every_control_but_tab_and_line_breaks(text: str) -> None:
    controls = "".join(chr(c) for c in [*range(0x20), 0x7F])
    assert clean_text(controls + text) == "\t\n\r" + text
    assert clean_text(text) == text


def test_it_flattens_titles_and_cuts_them() -> None:
    assert one_line("<b>Big</b>\n  news", limit=100) == "Big news"
    assert one_line("word " * 50, limit=20).endswith("…")
    assert len(one_line("word " * 50, limit=20)) == 20


def test_it_keeps_only_http_links() -> None:
    assert safe_http_url("https://a.example/x") == "https://a.example/x"
    assert safe_http_url("javascript:alert(1)") == ""
    assert safe_http_url("JaVaScRiPt:alert(1)") == ""
    assert safe_http_url("data:text/html,<script>") == ""
    assert safe_http_url("//a.example/x") == ""
    assert safe_http_url("https://a.example/x y") == ""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<script>",
                "</script>",
                "<iframe src=x>",
                "<a href='javascript:x()'>",
                "<b onmouseover=x()>",
                "&lt;script&gt;",
                "<p>",
                "text",
                "&amp;",
                "<",
                ">",
                '"',
                "<!--",
                "-->",
                "<svg onload=x()>",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_it_never_lets_markup_reach_a_rendered_page(markup: str) -> None:
    html = _rendered(html_to_text(markup))

    inner = html[len("<div>") : -len("</div>")]
    assert "<" not in inner
    assert ">" not in inner


def _parsed_text(markup: str) -> str:
    """html_to_text() with every fragment given to the HTML parser."""
    with mock.patch.object(sanitising, "_plain_text", return_value=None):
        return html_to_text(markup)


_PLAIN_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<P CLASS=lead>",
        "<br>",
        "<br/>",
        "<BR />",
        "</br>",
        '<a href="https://a.example/?q=1&amp;r=2" title="it\'s <b>">',
        "<a href=x/>",
        "</a>",
        "<b>",
        "</b>",
        "<i\tclass\n=\f'x'>",
        "</i >",
        "<div>",
        "</div>",
        "<li>",
        "<ul>",
        "</ul>",
        "<h2>",
        "</h2>",
        "<blockquote>",
        "<img src=x alt='a > b'>",
        "<hr>",
        "<span lang=mn>",
        "</span>",
        "<strong>",
        "<em>",
        "</strong>",
    ]
)
_OTHER_PIECES = st.sampled_from(
    [
        "<table><tr><td>",
        "</td></tr></table>",
        "<pre>\n",
        "</pre>",
        "<script>x()</script>",
        "<textarea>",
        "<!-- note -->",
        "<![CDATA[x]]>",
        "<ſpan>",
        "<b/i>",
        "<a-b>",
        "<p =x>",
        "<a title='it's'>",
        "< p>",
        "<",
        "\r\n",
        "\r",
        "<select><option>",
        "<title>",
    ]
)
_TEXT_PIECES = st.sampled_from(
    [
        "word",
        " ",
        "  ",
        "\n",
        "\t",
        "Улаанбаатар",
        "\u00a0",
        "\u3000",
        ">",
        "&",
        "&amp;",
        "&lt;p&gt;",
        "&nbsp;",
        "&copy",
        "&notit;",
        "&ampx",
        "&#8217;",
        "&#x2019;",
        "&#150;",
        "&#x81;",
        "&#0;",
        "&#13;",
        "&#1;",
        "&#xD800;",
        "&#xFFFF;",
        "&#xFDD0;",
        "&#x10FFFE;",
        "&#99999999;",
        "&#x110000;",
        "&#x;",
        "&#" + "9" * 12 + ";",
        "e\u0301",
        '"',
        "'",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.one_of(_PLAIN_PIECES, _TEXT_PIECES, _TEXT_PIECES, _OTHER_PIECES),
        max_size=40,
    ).map("".join)
)
def test_it_strips_plain_markup_as_the_html_parser_does(markup: str) -> None:
    assert html_to_text(markup) == _parsed_text(markup)


def test_it_strips_plain_markup_without_the_html_parser() -> None:
    markup = (
        '<p class="lead">Ulaanbaatar &amp; the <a href="https://a.example/">'
        "steppe</a>&#8217;s <b>news</b></p><p>Second<br/>line</p>"
    )
    parser = mock.Mock(clean=mock.Mock(side_effect=AssertionError("parsed")))

    with mock.patch.object(sanitising, "_TEXT_ONLY", parser):
        text = html_to_text(markup)

    assert text == "Ulaanbaatar & the steppe\u2019s news\n\nSecond\nline"


@pytest.mark.parametrize(
    "markup",
    [
        "<table><tr><td>a</td></tr></table>",
        "<script>alert(1)</script>",
        "<!-- hidden -->",
        "a < b",
        "<p>one\r\ntwo</p>",
        "<p>&#xFFFF;</p>",
    ],
)
def test_it_gives_other_markup_to_the_html_parser(markup: str) -> None:
    assert sanitising._plain_text(markup) is None


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=" \t\f\v\u00a0\u2002\u200b\u3000\nab.Мон\u0301", max_size=60))
def test_it_looks_for_spaces_to_replace_only_where_there_are_some(text: str) -> None:
    if not sanitising._has_spaces_to_replace(text):
        assert sanitising._SPACES.sub(" ", text) == text
