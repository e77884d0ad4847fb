"""Discovery documents: sitemaps, robots.txt, RSS and Atom feeds, URL list files.

A news site says where its articles are; these functions read what it says.
They are pure functions over bytes so that the spider fetches (and archives)
each document, and a re-extraction or a test can parse it again. A damaged
document raises ``DiscoveryError`` naming the document and the damage, and
carries whatever could still be read (``salvaged``), so the crawl records
the problem and goes on with what it found. Entry-level trouble (an entry
without a link, a relative URL that is not http) lands in ``problems``.
"""

import re
import zlib
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from time import struct_time
from typing import Literal
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
GZIP_MAGIC = b"\x1f\x8b"
GZIP_CHUNK = 64 * 1024  # decompressed piecewise so that damage keeps what came before
SNIFF_BYTES = 4096
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+xml"}
)
FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
HTML_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
BARE_AMPERSAND = re.compile(rb"&(?!#?\w+;)")
CONTROL_CHARS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0
LEADING_SPACE = b" \t\r\n\xef\xbb\xbf"  # and a UTF-8 byte order mark
PARTIAL_DATE = re.compile(r"\d{4}(?:-\d\d){0,2}")  # W3C Datetime: a year, year-month or date
HOST_FIRST = re.compile(r"[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:/|$)")  # www.example.com/news
SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE)


class DiscoveryError(ValueError):
    """A discovery document that cannot be read, or only in part.

    The message names the document and what is wrong with it; ``salvaged``
    holds what could still be read, or None.
    """

    def __init__(
        self, message: str, salvaged: "SitemapDocument | FeedDocument | None" = None
    ) -> None:
        super().__init__(message)
        self.salvaged = salvaged


@dataclass(frozen=True)
class SitemapEntry:
    """A page (or, in an index, a child sitemap) and what the sitemap says about it.

    ``lastmod`` and ``news_published`` are ISO 8601: a date (or year, or
    year and month) as written, a time with its offset when there is one;
    None when absent or not a date. The ``news_*`` fields come from Google
    News sitemaps.
    """

    url: str
    lastmod: str | None = None
    news_published: str | None = None
    news_title: str | None = None


@dataclass
class SitemapDocument:
    """What one sitemap lists: pages (``urlset``) or child sitemaps (``sitemapindex``)."""

    url: str
    pages: list[SitemapEntry] = field(default_factory=list)
    sitemaps: list[SitemapEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: its link, title and publication time (ISO 8601, UTC)."""

    link: str
    title: str | None = None
    published: str | None = None


@dataclass
class FeedDocument:
    """The entries of an RSS (0.9x, 1.0/RDF, 2.0) or Atom feed."""

    url: str
    title: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# Sitemaps


def parse_sitemap(body: bytes, url: str) -> SitemapDocument:
    """Read a sitemap: XML (``urlset`` or ``sitemapindex``), gzip, plain text, or a feed.

    Elements are matched by local name, so a sitemap with a wrong or missing
    namespace still reads. Search engines accept RSS and Atom feeds as
    sitemaps, and so does this: their entries become pages.
    """
    body, gzip_problem = _gunzipped(body, MAX_SITEMAP_BYTES)
    if not body.strip():
        raise DiscoveryError(f"sitemap {url}: {gzip_problem or 'the document is empty'}")
    if HTML_START.match(body[:SNIFF_BYTES]):
        raise DiscoveryError(f"sitemap {url}: is an HTML page, not a sitemap")
    if not body.lstrip(LEADING_SPACE).startswith(b"<") and gzip_problem is None:
        return _text_sitemap(body, url)
    reader, problem = _read_xml(body)
    problem = gzip_problem or problem
    kind = (reader.root or "").lower()
    if kind in {"rss", "rdf", "feed"}:
        return _feed_as_sitemap(body, url)
    if not kind:
        raise DiscoveryError(f"sitemap {url}: {problem or 'not XML'}")
    if kind == "html":
        raise DiscoveryError(f"sitemap {url}: is an HTML page, not a sitemap")
    if kind not in {"urlset", "sitemapindex"}:
        raise DiscoveryError(f"sitemap {url}: root element <{kind}> is not urlset or sitemapindex")
    document = SitemapDocument(url)
    for number, (name, values) in enumerate(reader.entries, 1):
        entry = _sitemap_entry(values, url, f"<{name}> number {number}", document.problems)
        if entry is not None:
            (document.pages if name == "url" else document.sitemaps).append(entry)
    if problem is not None:
        found = len(document.pages) + len(document.sitemaps)
        raise DiscoveryError(f"sitemap {url}: {problem}; kept the {found} URLs read", document)
    return document


def _gunzipped(body: bytes, limit: int) -> tuple[bytes, str | None]:
    """The body, decompressed if it is gzip (as sitemap.xml.gz files are); a problem if any.

    A truncated or corrupt stream gives what decompressed before the damage.
    """
    if not body.startswith(GZIP_MAGIC):
        return body, None
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    data = bytearray()
    for start in range(0, len(body), GZIP_CHUNK):
        try:
            data += inflater.decompress(body[start : start + GZIP_CHUNK], limit + 1 - len(data))
        except zlib.error as exc:
            return bytes(data), f"gzip data is corrupt after {len(data):,} bytes ({exc})"
        if len(data) > limit:
            return bytes(data[:limit]), f"uncompressed size is over the {limit:,}-byte limit"
    if not inflater.eof:
        return bytes(data), f"gzip data ends early, after {len(data):,} uncompressed bytes"
    return bytes(data), None


class _SitemapReader:
    """lxml parser target collecting each ``<url>`` or ``<sitemap>`` once its end tag is read.

    A truncated or broken document so yields the entries before the damage
    and never a half-read URL. Values are the entry's child elements by
    local name (the first of a repeated one wins), and its Google News
    extension's as ``news:NAME``; image and video extensions are skipped,
    so their own ``loc`` is never taken for the page's.
    """

    def __init__(self) -> None:
        self.root: str | None = None
        self.entries: list[tuple[str, dict[str, str]]] = []
        self._path: list[str] = []
        self._values: dict[str, str] | None = None
        self._text: list[str] = []

    def start(self, tag: str, attrib: object) -> None:
        name = tag.rsplit("}", 1)[-1]
        self.root = self.root or name
        self._path.append(name)
        self._text = []
        if len(self._path) == 2 and name in {"url", "sitemap"}:
            self._values = {}

    def data(self, text: str) -> None:
        self._text.append(text)

    def end(self, tag: str) -> None:
        name = self._path.pop()
        values = self._values
        text = "".join(self._text).strip()
        self._text = []
        if values is None:
            return
        if len(self._path) == 1:
            self.entries.append((name, values))
            self._values = None
        elif text and len(self._path) == 2:
            values.setdefault(name, text)
        elif text and len(self._path) == 3 and self._path[2] == "news":
            values.setdefault(f"news:{name}", text)

    def close(self) -> None:
        pass


def _read_xml(body: bytes) -> tuple[_SitemapReader, str | None]:
    """Read strictly; on malformed XML say where, and salvage what can be read.

    The common faults, a bare ``&`` in a URL and control characters, are
    repaired and the document read again; lxml's recover mode would drop
    characters from the URLs around them. Other damage is read past in
    recover mode.
    """
    reader = _SitemapReader()
    try:
        etree.fromstring(body, _xml_parser(reader))
        return reader, None
    except etree.XMLSyntaxError as exc:
        message = re.sub(r", line \d+, column \d+$", "", exc.msg or "")
        problem = f"malformed XML at line {exc.lineno}: {message}"
    repaired_body = CONTROL_CHARS.sub(b"", BARE_AMPERSAND.sub(b"&amp;", body))
    repaired = _SitemapReader()
    try:
        etree.fromstring(repaired_body, _xml_parser(repaired))
        return repaired, f"{problem}; read again with bare & escaped, control characters dropped"
    except etree.XMLSyntaxError:
        pass
    salvage = _SitemapReader()
    with suppress(etree.XMLSyntaxError):
        etree.fromstring(repaired_body, _xml_parser(salvage, recover=True))
    return salvage, f"{problem}; read on in lxml's recover mode"


def _xml_parser(target: _SitemapReader, recover: bool = False) -> etree.XMLParser:
    """No entities resolved, nothing fetched: a sitemap is untrusted input."""
    return etree.XMLParser(target=target, recover=recover, resolve_entities=False, no_network=True)


def _sitemap_entry(
    values: dict[str, str], url: str, where: str, problems: list[str]
) -> SitemapEntry | None:
    loc = values.get("loc")
    if not loc:
        problems.append(f"{where} has no <loc>")
        return None
    page = _web_url(urljoin(url, loc))
    if page is None:
        problems.append(f"{where}: {loc[:80]!r} is not an http(s) URL")
        return None
    return SitemapEntry(
        url=page,
        lastmod=_iso_date(values.get("lastmod"), where, problems),
        news_published=_iso_date(values.get("news:publication_date"), where, problems),
        news_title=values.get("news:title"),
    )


def _iso_date(text: str | None, where: str, problems: list[str]) -> str | None:
    """W3C Datetime as sitemaps write it (and RFC 822, which some write) to ISO 8601."""
    if not text:
        return None
    if PARTIAL_DATE.fullmatch(text):
        return text
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError):
        problems.append(f"{where}: {text[:40]!r} is not a date")
        return None


def _text_sitemap(body: bytes, url: str) -> SitemapDocument:
    """A text sitemap: one URL per line, UTF-8."""
    document = SitemapDocument(url)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DiscoveryError(
            f"sitemap {url}: neither XML nor UTF-8 text (bad byte at offset {exc.start})"
        ) from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        page = _web_url(line.strip())
        if page is None:
            document.problems.append(f"line {number}: {line.strip()[:80]!r} is not an http(s) URL")
        else:
            document.pages.append(SitemapEntry(page))
    if not document.pages:
        raise DiscoveryError(f"sitemap {url}: no line is a URL; not a sitemap", document)
    return document


def _feed_as_sitemap(body: bytes, url: str) -> SitemapDocument:
    try:
        feed = parse_feed(body, url)
    except DiscoveryError as exc:
        salvaged = exc.salvaged
        raise DiscoveryError(
            str(exc),
            _feed_pages(salvaged, url) if isinstance(salvaged, FeedDocument) else None,
        ) from exc
    return _feed_pages(feed, url)


def _feed_pages(feed: FeedDocument, url: str) -> SitemapDocument:
    pages = [SitemapEntry(entry.link, lastmod=entry.published) for entry in feed.entries]
    return SitemapDocument(url, pages=pages, problems=list(feed.problems))


def sitemaps_from_robots(body: bytes, url: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt, resolved against its URL, in order.

    Raises ``DiscoveryError`` for a body that is no robots.txt at all (an
    HTML error page, binary data), so the crawl can say so rather than
    report that the site lists no sitemaps.
    """
    head = body[:SNIFF_BYTES]
    if HTML_START.match(head):
        raise DiscoveryError(f"robots.txt {url}: is an HTML page, not robots.txt")
    if b"\x00" in head:
        raise DiscoveryError(f"robots.txt {url}: is binary data, not text")
    found = []
    for line in body.decode("utf-8", errors="replace").splitlines():
        match = SITEMAP_LINE.match(line)
        if match and (sitemap := _web_url(urljoin(url, match.group(1)))):
            found.append(sitemap)
    return list(dict.fromkeys(found))


# Feeds


def parse_feed(body: bytes, url: str) -> FeedDocument:
    """Read an RSS 0.9x/1.0/2.0 or Atom feed with feedparser.

    feedparser reads past many XML errors; when it had to, the entries it
    found come with a ``DiscoveryError`` saying where the XML broke.
    """
    body, gzip_problem = _gunzipped(body, MAX_SITEMAP_BYTES)
    if not body.strip():
        raise DiscoveryError(f"feed {url}: {gzip_problem or 'the document is empty'}")
    if HTML_START.match(body[:SNIFF_BYTES]):
        raise DiscoveryError(f"feed {url}: is an HTML page, not a feed")
    parsed = feedparser.parse(
        body, response_headers={"content-location": url, "content-type": "application/xml"}
    )
    if not parsed.get("version"):
        detail = _bozo_message(parsed)
        raise DiscoveryError(
            f"feed {url}: not an RSS or Atom feed" + (f"; {detail}" if detail else "")
        )
    document = FeedDocument(url, title=parsed.feed.get("title") or None)
    for number, item in enumerate(parsed.entries, 1):
        link = item.get("link")
        link = _web_url(urljoin(url, link)) if link else None
        if link is None:
            document.problems.append(f"entry {number} has no http(s) link")
            continue
        when = item.get("published_parsed") or item.get("updated_parsed")
        document.entries.append(FeedEntry(link, item.get("title") or None, _utc_iso(when)))
    problem = gzip_problem or _bozo_message(parsed)
    if problem is not None:
        raise DiscoveryError(
            f"feed {url}: {problem}; kept the {len(document.entries)} entries read", document
        )
    return document


def _bozo_message(parsed: dict) -> str | None:
    """feedparser's complaint about malformed XML, with its line; None if the XML was fine."""
    exc = parsed.get("bozo_exception")
    if exc is None or not hasattr(exc, "getLineNumber"):
        return None  # encoding notices and the like: feedparser coped
    return f"malformed XML (line {exc.getLineNumber()}: {exc.getMessage()})"


def _utc_iso(moment: struct_time | None) -> str | None:
    return datetime(*moment[:6], tzinfo=UTC).isoformat() if moment else None


# Telling documents apart


def document_kind(content_type: str | None, body: bytes) -> Literal["sitemap", "feed"] | None:
    """Whether a fetched start URL is a sitemap or a feed (else None: treat it as a page).

    Decided by the root element, which a server cannot mislabel, then by the
    feed media types; gzip bodies are looked into.
    """
    head, _ = _gunzipped(body[:SNIFF_BYTES], SNIFF_BYTES)
    for match in FIRST_TAG.finditer(head):
        name = match.group(1).decode("ascii").rsplit(":", 1)[-1].lower()
        if name in {"urlset", "sitemapindex"}:
            return "sitemap"
        if name in {"rss", "rdf", "feed"}:
            return "feed"
        break
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return "feed" if media in FEED_TYPES else None


# URL lists


def read_url_list(path: str | Path) -> list[str]:
    """The URLs in a file, one a line; blank lines and ``#`` comments are skipped.

    A comment may also end a line after a space. Repeated URLs are kept
    once. Any line that is not an http(s) URL makes the whole file an error
    (``DiscoveryError`` listing each bad line by number), since a list is
    given by hand and a typo is better fixed before a long crawl than found
    after it.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DiscoveryError(f"URL list {path}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise DiscoveryError(
            f"URL list {path}: not UTF-8 text (bad byte at offset {exc.start})"
        ) from exc
    urls: list[str] = []
    bad: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
        if not entry:
            continue
        url = _web_url(entry)
        if url is not None:
            urls.append(url)
        elif HOST_FIRST.match(entry):
            bad.append(f"line {number}: {entry[:80]!r} has no scheme (https://{entry[:60]}?)")
        else:
            bad.append(f"line {number}: {entry[:80]!r} is not an http(s) URL")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise DiscoveryError(f"URL list {path}: {shown}")
    if not urls:
        raise DiscoveryError(f"URL list {path}: holds no URL")
    return list(dict.fromkeys(urls))


def _web_url(text: str) -> str | None:
    """The text if it is an absolute http(s) URL with a host, else None."""
    if not text or any(char.isspace() for char in text):
        return None
    try:
        parts = urlsplit(text)
        usable = parts.scheme.lower() in {"http", "https"} and parts.hostname and parts.port != 0
    except ValueError:  # a port that is not a number, a malformed IPv6 host
        return None
    return text if usable else None
