"""Article or hub: which archived pages become articles in the corpus.

Every page is archived; only articles are stored as articles. Home,
section, tag, author and paginated list pages ("hubs") are how a crawl finds
articles, and their teasers would only clutter the corpus. The rule reads
general signals in three tiers, most trusted first: what the page declares
(JSON-LD, microdata, Open Graph), the shape of its URL, then its structure.
Each signal is worth points (positive for article, negative for hub); the
points are added tier by tier, and the first tier that brings the total to
+2 or beyond, or -2 or below, decides. After the last tier a positive total
or a tie means article, so a page is kept when in doubt. docs/crawling.md
lists every signal and its points; ``ClassifyRules`` and the
``classify_page`` hook override the rule.
"""

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.metadata import ARTICLE_TYPES

PageKind = Literal["article", "hub"]

DECISIVE = 2
HUB_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "ProfilePage"})
TAXONOMY = frozenset(
    {
        "tag",
        "tags",
        "category",
        "categories",
        "topic",
        "topics",
        "section",
        "sections",
        "author",
        "authors",
        "archive",
        "archives",
        "search",
        "label",
        "series",
    }
)
PAGE_PARAMS = frozenset({"page", "paged", "pg"})
ID_KEY = re.compile(r"p|id|idx|no|story|article|\w+(?:id|_no)")  # ?p=4418, ?newsid=, ?article_no=
INDEX_NAMES = re.compile(r"(?:index|default|home)(?:\.\w+)?", re.IGNORECASE)
YEAR = re.compile(r"(?:19|20)\d\d")
# /2024/04/22/ and the Guardian's /2024/apr/22/
MONTH_OR_DAY = re.compile(r"\d{1,2}|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")
FULL_DATE = re.compile(r"(?:19|20)\d\d-?\d\d-?\d\d")
LONG_NUMBER = re.compile(r"\d{5,}")
WORD = re.compile(r"[^\W\d_]{2,}")
FILE_SUFFIX = re.compile(r"\.[a-z]{2,5}$", re.IGNORECASE)  # .html, .php
PAGE_SEGMENT = re.compile(r"page-?(\d+)", re.IGNORECASE)
SLUG_WORDS = 4  # "rockets-fired-from-iraq" is a story; "middle-east" is a section
SECTION_WORDS = 3
LONG_RUN = 1200  # characters of prose in one run: a story, not a teaser
SOME_RUN = 500
SHORT_RUN = 200
MANY_LINKS = 8  # distinct links to article-shaped URLs on the page's own host
MANY_ARTICLE_ELEMENTS = 3
LINKY = 0.5  # share of a line's (or the page's) characters inside links

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "svg", "select", "button", "head"]
)


@dataclass(frozen=True)
class Signal:
    """One observation about the page and the points it is worth (+ article, - hub)."""

    name: str
    points: int


@dataclass(frozen=True)
class Verdict:
    """The kind of a page, the tier that decided it and the signals read on the way."""

    kind: PageKind
    decided_by: str
    """``rules``, ``metadata``, ``url`` or ``structure``."""
    signals: tuple[Signal, ...] = ()

    @property
    def reason(self) -> str:
        """A log line's worth: "url: root path -3"."""
        listed = ", ".join(f"{signal.name} {signal.points:+d}" for signal in self.signals)
        return f"{self.decided_by}: {listed or 'no signal'}"


@dataclass(frozen=True)
class ClassifyRules:
    """A crawl's own URL patterns, checked before any signal.

    Each pattern is a regular expression searched in the full URL. Hub
    patterns are checked first: they name the exceptions (``/page/\\d+``,
    ``/tag/``) inside URL spaces an article pattern tends to cover.
    """

    article_patterns: Sequence[str] = ()
    hub_patterns: Sequence[str] = ()
    _compiled: tuple[tuple[PageKind, re.Pattern[str]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        compiled = []
        for kind, patterns in (("hub", self.hub_patterns), ("article", self.article_patterns)):
            for pattern in patterns:
                try:
                    compiled.append((kind, re.compile(pattern)))
                except re.error as exc:
                    raise ValueError(f"{kind} pattern {pattern!r} is not a regex: {exc}") from exc
        object.__setattr__(self, "_compiled", tuple(compiled))

    def match(self, url: str) -> Verdict | None:
        """The verdict of the first pattern found in ``url``, or None."""
        for kind, pattern in self._compiled:
            if pattern.search(url):
                return Verdict(kind, "rules", (Signal(f"{kind} pattern {pattern.pattern}", 0),))
        return None


def page_kind(capture: Capture, article: Article | None = None) -> PageKind:
    """The default answer to the ``classify_page`` hook: the signals' verdict."""
    return page_verdict(capture, article).kind


def page_verdict(
    capture: Capture, article: Article | None = None, rules: ClassifyRules | None = None
) -> Verdict:
    """Classify a page: the crawl's rules first, then the signals tier by tier.

    ``article`` (what the extractor made of the page) is accepted so that a
    plugin overriding the rule can use it; the default rule reads the HTML.
    """
    if rules is not None and (verdict := rules.match(capture.url)) is not None:
        return verdict
    page = capture.page
    tiers: tuple[tuple[str, Callable[[], list[Signal]]], ...] = (
        ("metadata", lambda: metadata_signals(page, capture.url)),
        ("url", lambda: url_signals(capture.url)),
        ("structure", lambda: structure_signals(page, capture.url)),
    )
    signals: list[Signal] = []
    decided_by = ""
    for tier, read in tiers:
        decided_by = tier
        signals.extend(read())
        if abs(sum(signal.points for signal in signals)) >= DECISIVE:
            break
    total = sum(signal.points for signal in signals)
    return Verdict("article" if total >= 0 else "hub", decided_by, tuple(signals))


# Tier 1: what the page declares about itself.


def metadata_signals(page: HtmlElement | None, url: str) -> list[Signal]:
    """Schema.org types (JSON-LD and microdata) of the page's top-level items, and Open Graph.

    Only top-level items count: a hub's ItemList may nest NewsArticle items.
    A WebSite item counts only on the page that is that site's home, since
    many sites declare their WebSite on every page.
    """
    if page is None:
        return []
    signals = []
    for kind, item_url in _declared_items(page):
        if kind in ARTICLE_TYPES:
            signals.append(Signal(f"schema.org {kind}", 3))
        elif kind in HUB_TYPES:
            signals.append(Signal(f"schema.org {kind}", -3))
        elif kind == "WebSite" and item_url and _same_page(urljoin(url, item_url), url):
            signals.append(Signal("schema.org WebSite of this page", -3))
    meta = {
        (element.get("property") or element.get("name") or "").strip().lower(): (
            element.get("content") or ""
        ).strip()
        for element in page.iter("meta")
    }
    og_type = meta.get("og:type", "").lower()
    if "article" in og_type:
        signals.append(Signal("og:type article", 1))
    elif og_type in {"website", "blog"}:
        signals.append(Signal(f"og:type {og_type}", -1))
    if meta.get("article:published_time"):
        signals.append(Signal("article:published_time", 1))
    return list(dict.fromkeys(signals))  # a type declared twice counts once


def _declared_items(page: HtmlElement) -> Iterator[tuple[str, str | None]]:
    """(schema.org type, url) of each top-level JSON-LD node and microdata item."""
    for script in page.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json":
            for node in _json_ld_nodes(script.text or ""):
                url = node.get("url")
                for kind in _as_list(node.get("@type")):
                    if isinstance(kind, str):
                        yield kind, url if isinstance(url, str) else None
    for item in page.xpath("//*[@itemscope and @itemtype and not(@itemprop)]"):
        for itemtype in item.get("itemtype", "").split():
            yield itemtype.rstrip("/").rsplit("/", 1)[-1], None


def _json_ld_nodes(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        return []
    nodes = []
    for item in _as_list(data):
        if isinstance(item, dict):
            nodes.append(item)
            nodes.extend(node for node in _as_list(item.get("@graph")) if isinstance(node, dict))
    return nodes


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _same_page(first: str, second: str) -> bool:
    """Equal but for scheme, ``www.`` and a trailing slash."""

    def key(url: str) -> tuple[str, str, str]:
        parts = urlsplit(url)
        return parts.netloc.lower().removeprefix("www."), parts.path.rstrip("/"), parts.query

    return key(first) == key(second)


# Tier 2: the shape of the URL.


def url_signals(url: str) -> list[Signal]:
    """Root, pagination, taxonomy and date-archive paths against story-shaped paths."""
    parts = urlsplit(url)
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    query = [(key.lower(), value) for key, value in parse_qsl(parts.query)]
    has_id = any(ID_KEY.fullmatch(key) and value.isdigit() for key, value in query)
    root = not segments or (len(segments) == 1 and INDEX_NAMES.fullmatch(segments[0]))
    if root and not has_id:
        return [Signal("root path", -3)]
    page_at, page = _page_number(segments, query)
    listed = segments[:page_at]  # the path without its page/N part
    signals = [Signal(f"page {page}", -2)] if page is not None and page >= 2 else []
    story = "numeric id" if has_id else _story_shape(listed)
    if story:
        signals.append(Signal(story, 2))
    elif listed:
        taxonomy = next((s for s in listed[-3:] if s.lower() in TAXONOMY), None)
        if taxonomy:
            signals.append(Signal(f"/{taxonomy}/ path", -2))
        elif _date_end(listed) == len(listed) or YEAR.fullmatch(listed[-1]):
            signals.append(Signal("date archive path", -2))
        elif _section_shape(listed):
            signals.append(Signal("short section path", -1))
    return signals


def _story_shape(segments: list[str]) -> str | None:
    """What makes a path look like one story's, if anything."""
    if not segments:
        return None
    last = FILE_SUFFIX.sub("", segments[-1])
    if len(WORD.findall(last)) >= SLUG_WORDS:
        return "slug of words"
    if LONG_NUMBER.search(last):
        return "numeric id"
    dated = _date_end(segments)
    if dated is not None and dated < len(segments):
        return "name after a date"
    return None


def _date_end(segments: list[str]) -> int | None:
    """Index just past a /yyyy/mm(/dd)/ or /yyyy-mm-dd/ date in the path, if there is one."""
    for index, segment in enumerate(segments):
        if FULL_DATE.fullmatch(segment):
            return index + 1
        if YEAR.fullmatch(segment) and index + 1 < len(segments):
            end = index + 1
            while end < min(index + 3, len(segments)) and MONTH_OR_DAY.fullmatch(
                segments[end].lower()
            ):
                end += 1
            if end > index + 1:
                return end
    return None


def _page_number(segments: list[str], query: list[tuple[str, str]]) -> tuple[int, int | None]:
    """Where a ``page/N`` (or ``pageN``) part starts in the path, and N (or ``?page=N``)."""
    for index, segment in enumerate(segments):
        following = segments[index + 1] if index + 1 < len(segments) else ""
        if segment.lower() == "page" and following.isdigit():
            return index, int(following)
        if match := PAGE_SEGMENT.fullmatch(segment):
            return index, int(match.group(1))
    number = next((value for key, value in query if key in PAGE_PARAMS and value.isdigit()), None)
    return len(segments), int(number) if number is not None else None


def _section_shape(segments: list[str]) -> bool:
    """One or two short word-only segments (``/world/``, ``/news/middle-east/``)."""
    return len(segments) <= 2 and all(
        "." not in segment
        and not any(char.isdigit() for char in segment)
        and len(WORD.findall(segment)) <= SECTION_WORDS
        for segment in segments
    )


# Tier 3: the page's structure.


@dataclass(frozen=True)
class Structure:
    """What the page's visible text looks like."""

    longest_run: int
    """Characters in the longest run of consecutive text lines mostly outside links."""
    link_share: float
    """Share of the page's visible characters inside links."""
    article_links: int
    """Distinct links to story-shaped URLs on the page's own host."""
    article_elements: int
    """``<article>`` elements not inside another: one per story, one per teaser on a hub."""


def structure_signals(page: HtmlElement | None, url: str) -> list[Signal]:
    """Long prose says article; many story links, links everywhere, little prose say hub."""
    if page is None:
        return [Signal("no HTML", -1)]
    found = measure(page, url)
    signals = []
    if found.longest_run >= LONG_RUN:
        signals.append(Signal(f"prose run of {found.longest_run} characters", 2))
    elif found.longest_run >= SOME_RUN:
        signals.append(Signal(f"prose run of {found.longest_run} characters", 1))
    elif found.longest_run < SHORT_RUN:
        signals.append(Signal(f"longest prose run {found.longest_run} characters", -1))
    if found.link_share >= LINKY:
        signals.append(Signal(f"{found.link_share:.0%} of text in links", -1))
    if found.article_links >= MANY_LINKS:
        signals.append(Signal(f"{found.article_links} links to stories", -1))
    if found.article_elements == 1:
        signals.append(Signal("one <article> element", 1))
    elif found.article_elements >= MANY_ARTICLE_ELEMENTS:
        signals.append(Signal(f"{found.article_elements} <article> elements", -1))
    return signals


def measure(page: HtmlElement, url: str) -> Structure:
    """Read the page's lines of text (split at block elements) and its links."""
    body = page.find("body")
    lines = _lines(body if body is not None else page)
    longest = run = 0
    for chars, linked in lines:
        run = 0 if linked >= LINKY * chars else run + chars
        longest = max(longest, run)
    total = sum(chars for chars, _ in lines)
    linked_total = sum(linked for _, linked in lines)
    return Structure(
        longest_run=longest,
        link_share=linked_total / total if total else 0.0,
        article_links=_article_links(page, url),
        article_elements=len(page.xpath("//article[not(ancestor::article)]")),
    )


def _lines(root: HtmlElement) -> list[tuple[int, int]]:
    """(characters, characters inside links) of each line of visible text, in order."""
    lines: list[tuple[int, int]] = []
    current = [0, 0]
    link_depth = skip_depth = 0

    def add(text: str | None) -> None:
        if text and not skip_depth:
            chars = len(" ".join(text.split()))
            current[0] += chars
            if link_depth:
                current[1] += chars

    def flush() -> None:
        if current[0]:
            lines.append((current[0], current[1]))
        current[:] = [0, 0]

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else None
        if event == "start":
            skip_depth += tag in SKIP_TAGS
            link_depth += tag == "a"
            if tag in BLOCK_TAGS:
                flush()
            if tag is not None:
                add(element.text)
        else:
            if tag in BLOCK_TAGS:
                flush()
            link_depth -= tag == "a"
            skip_depth -= tag in SKIP_TAGS
            if element is not root:
                add(element.tail)
    flush()
    return lines


def _article_links(page: HtmlElement, url: str) -> int:
    host = urlsplit(url).netloc.lower()
    stories = set()
    for anchor in page.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        target = urljoin(url, href).split("#", 1)[0]
        parts = urlsplit(target)
        if parts.netloc.lower() != host or _same_page(target, url):
            continue
        if sum(signal.points for signal in url_signals(target)) >= DECISIVE:
            stories.add(target)
    return len(stories)
