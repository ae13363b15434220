"""Numbers in words for people: durations, percentages and bounds, written the same way everywhere."""

from __future__ import annotations

import math
import re


def duration(seconds: float | None) -> str:
    """'45 s', '3 min 05 s', '1 h 02 min'; an em dash when unknown.

    Examples
    --------
    >>> duration(45), duration(185), duration(3720), duration(None)
    ('45 s', '3 min 05 s', '1 h 02 min', '—')
    """
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = int(round(max(0.0, seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {(seconds % 3600) // 60:02d} min"


def number(value: float, *, grouping: bool = True) -> str:
    """A number as people write it: whole numbers whole ('64', '2,000'; '2000' without ``grouping``), others with up
    to 4 significant digits.

    Examples
    --------
    >>> number(64.0), number(2000), number(2000, grouping=False), number(0.001), number(1e-05), number(0.25)
    ('64', '2,000', '2000', '0.001', '1e-05', '0.25')
    """
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}" if grouping else str(int(value))
    return f"{value:.4g}"


_MARKDOWN_SPECIAL = "\\`*_{}[]<>()#+-.!|~$:"
_JOINER = "\u2060"  # WORD JOINER: invisible and zero-width; no autolink pattern counts it as part of an address
_AUTOLINKS = re.compile(r"(?i)www(?=\.)|:(?=//)|@")


def plain(text: str, *, limit: int | None = None) -> str:
    """``text`` as it was typed, safe inside Streamlit markdown: every markdown and HTML character escaped, so a
    student's "**bold** <b>tag</b> [link](x) $x$" shows as those characters, never as formatting, a formula or a link;
    and the bare addresses that Markdown turns into links after escapes are resolved ("www.", "http://", "a@b.c") get
    an invisible word joiner where the pattern would match, so they stay text. ``limit``: at most that many characters
    of ``text`` (then "...").

    Examples
    --------
    >>> plain("**hi** <b>")
    '\\\\*\\\\*hi\\\\*\\\\* \\\\<b\\\\>'
    >>> "www" + _JOINER in plain("see www.example.org"), plain("x" * 10, limit=4)
    (True, 'xxxx\\\\.\\\\.\\\\.')
    """
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    text = _AUTOLINKS.sub(lambda m: m.group(0) + _JOINER, text)
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)
