"""Turning whatever a feed carries into text that is safe to show and print.

Articles keep plain text: every tag is dropped, the content of scripts,
styles, iframes and similar is dropped with it, and entities are decoded.
Templates escape that text like any other, so no markup from a feed ever
reaches a page or a PDF. `safe_http_url()` keeps only http(s) links, so a
`javascript:` or `data:` link never becomes an article's address.
"""

import html
import re
import unicodedata
from urllib.parse import urlsplit

import nh3

# Elements whose content is never text a reader should see.
_DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "noscript",
    "template",
    "svg",
    "math",
    "frameset",
    "frame",
    "applet",
    "head",
    "title",
}
# Block-level boundaries become line breaks before the tags go.
_BLOCK_BOUNDARY = re.compile(
    r"<\s*/?\s*(?:p|div|br|li|tr|h[1-6]|blockquote|pre|section|article|ul|ol|table)\b",
    re.IGNORECASE,
)
# Spaces other than the plain one, as the body of a regex character class.
_UNUSUAL_SPACES = r"\t\f\v\u00a0\u2000-\u200b\u3000"
# Runs of two or more spaces, or any unusual space: a single plain space,
# by far the most common case, is left alone without a replacement.
_SPACES = re.compile(rf"[ {_UNUSUAL_SPACES}]{{2,}}|[{_UNUSUAL_SPACES}]")
# Any character _SPACES replaces even alone. Searching for one of them
# scans text five times quicker than _SPACES finds nothing in it.
_UNUSUAL_SPACE = re.compile(rf"[{_UNUSUAL_SPACES}]")
_BLANK_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same characters as bytes, for ASCII text.
_CONTROL_BYTES = bytes(code for code in range(0x80) if _CONTROL.match(chr(code)))
# Any whitespace (the same characters as str.isspace), found at C speed.
_WHITESPACE = re.compile(r"\s")


# Tags that an HTML parser only removes from around the text: none holds
# raw text, none is part of a table or a form (whose rules move text
# about), none drops the newline that follows it, and none is dropped with
# its content. Markup made of these alone is stripped by a regex
# (`_plain_text()`), with the same result as the full parse and at a
# fraction of its cost; anything else goes to the parser.
_PLAIN_TAG_NAMES = (  # noqa: SIM905 (a list of 58 names, one per line)
    "a abbr acronym address article aside b big blockquote br center cite code"
    " dd del dfn div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6"
    " header hr i img ins kbd li main mark nav ol p q s samp section small"
    " span strike strong sub sup time tt u ul var wbr"
).split()
# Inside a tag, HTML's whitespace is these four characters only: Unicode
# spaces are part of a name or a value to it. ASCII: under Unicode rules
# "ſ" would match the "s" of a name.
_PLAIN_TAG = re.compile(
    rf"""
    </?(?:{"|".join(_PLAIN_TAG_NAMES)})(?=[ \t\n\f/>])
    (?:
        [ \t\n\f]+ [^ \t\n\f"'<>/=]+                  # an attribute
        (?:[ \t\n\f]*=[ \t\n\f]*                       # and its value
            (?:"[^"]*" | '[^']*' | [^ \t\n\f"'=<>`]+))?
    )*
    [ \t\n\f]*/?>
    """,
    re.IGNORECASE | re.ASCII | re.VERBOSE,
)
_NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]*)|([0-9]*))")


# Built once: a cleaner made per call (nh3.clean) spent more time turning its
# options into the Rust side's than cleaning a typical summary.
_TEXT_ONLY = nh3.Cleaner(
    tags=set(),
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes={},
    strip_comments=True,
)


def clean_text(value: str) -> str:
    """Remove what no database or reader wants: NULs, controls, lone surrogates."""
    if value.isascii():  # a flag CPython keeps: no scan
        # Deleting bytes is several times quicker than the regex's scan.
        raw = value.encode("ascii")
        kept = raw.translate(None, _CONTROL_BYTES)
        return value if len(kept) == len(raw) else kept.decode("ascii")
    value = _CONTROL.sub("", value)
    # Lone surrogates (from broken decoding) cannot be stored as UTF-8.
    return value.encode("utf-8", "replace").decode("utf-8")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment, with paragraph breaks kept."""
    if not markup:
        return ""
    markup = clean_text(markup)
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    marked = _BLOCK_BOUNDARY.sub("\n\\g<0>", markup)
    stripped = _plain_text(marked)
    if stripped is None:
        stripped = html.unescape(_TEXT_ONLY.clean(marked))
    return _tidy(clean_text(stripped))


def _plain_text(markup: str) -> str | None:
    """The text of markup made only of plain tags, or None for other markup.

    The parser would decode character references as html.unescape does,
    except a few that unescape deletes and the parser keeps (noncharacters
    such as &#xFFFF;); markup with one of those, a carriage return (which
    the parser turns into a newline) or any other "<" is left to the parser.
    """
    if "\r" in markup:
        return None
    text = _PLAIN_TAG.sub("", markup)
    if "<" in text:
        return None
    for reference in _NUMERIC_REFERENCE.finditer(text):
        hex_digits, digits = reference.groups()
        number = digits if hex_digits is None else hex_digits
        if len(number) > 8:  # int() refuses thousands of digits
            return None
        if number and _is_noncharacter(int(number, 10 if hex_digits is None else 16)):
            return None
    return html.unescape(text)


def _is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code <= 0x10FFFF and code & 0xFFFE == 0xFFFE)


def _tidy(text: str) -> str:
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _has_spaces_to_replace(text):
        text = _SPACES.sub(" ", text)
    text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _has_spaces_to_replace(text: str) -> bool:
    # _SPACES has nothing to replace in text with neither two spaces in a
    # row nor an unusual space, as most text is.
    if "  " in text:
        return True
    if text.isascii():  # the ASCII ones among _UNUSUAL_SPACES
        return "\t" in text or "\f" in text or "\v" in text
    return _UNUSUAL_SPACE.search(text) is not None


def one_line(text: str, *, limit: int) -> str:
    """A title or name: text on one line, cut at `limit` characters."""
    if "<" in text or "&" in text:
        text = html_to_text(text)
    else:
        text = clean_text(text)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


def safe_http_url(url: str, *, limit: int = 2000) -> str:
    """`url` if it is an absolute http(s) URL that fits, else ""."""
    url = clean_text(url).strip()
    if not url or len(url) > limit or _WHITESPACE.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url
