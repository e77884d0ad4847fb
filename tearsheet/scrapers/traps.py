"""Crawler traps: caps that keep an endless URL space from eating a crawl.

Calendars that link to next month forever, session ids that make every
visit a new URL, paths that grow with each page: a crawl that follows
links within a site meets them all. Session ids are removed from URLs
before they are queued; the caps below refuse what is left. The first
refusal of each kind on each site is reported (an errors row and a log
line); further ones are counted in the crawl's stats, so that a trap
yields one row, not thousands.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters and path parameters that only carry a visitor's session.
SESSION_PARAMETERS = frozenset(
    {
        "jsessionid",
        "phpsessid",
        "sessionid",
        "session_id",
        "aspsessionid",
        "cfid",
        "cftoken",
        "zenid",
        "oscsid",
    }
)
# ``sid`` is a session id on some sites and a story id on others (PHP-Nuke's
# ``article.php?sid=4418``): it is removed only when its value looks like a token.
AMBIGUOUS_PARAMETERS = frozenset({"sid"})
SESSION_TOKEN = re.compile(r"(?=.*[a-zA-Z])[A-Za-z0-9._-]{16,}")
PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/?#;]*", re.IGNORECASE)

DEFAULT_MAX_URL_LENGTH = 2048
DEFAULT_MAX_QUERY_VARIANTS = 100


def without_session_ids(url: str) -> str:
    """The URL with session-id query and path parameters removed (unchanged if none)."""
    if "?" not in url and ";" not in url:
        return url  # most links: nothing to remove, and this runs for every link
    parts = urlsplit(url)
    path = PATH_SESSION.sub("", parts.path)
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(name, value) for name, value in pairs if not _is_session(name, value)]
    if len(kept) != len(pairs):
        query = urlencode(kept)
    if (path, query) == (parts.path, parts.query):
        return url
    return urlunsplit(parts._replace(path=path, query=query))


def _is_session(name: str, value: str) -> bool:
    name = name.lower()
    if name in AMBIGUOUS_PARAMETERS:
        return SESSION_TOKEN.fullmatch(value) is not None
    return name in SESSION_PARAMETERS


@dataclass(frozen=True)
class Refusal:
    """A URL a cap keeps out of the crawl: the errors kind and why."""

    kind: str
    message: str


class UrlCaps:
    """Per-crawl caps on URL length, pages per site and query variants per path.

    A cap of 0 is no cap. ``refusal`` is asked about URLs new to the crawl;
    ``admitted`` counts the ones queued.
    """

    def __init__(self, max_url_length: int, max_pages_per_site: int, max_query_variants: int):
        self.max_url_length = max_url_length
        self.max_pages_per_site = max_pages_per_site
        self.max_query_variants = max_query_variants
        self.pages: Counter[str] = Counter()
        self.variants: Counter[tuple[str, str]] = Counter()
        self.reported: set[tuple[str, str]] = set()

    def seed(self, urls: Iterable[str]) -> None:
        """Count the pages a stopped crawl had queued already, when it resumes."""
        for url in urls:
            self.admitted(url)

    def admitted(self, url: str) -> None:
        parts = urlsplit(url)
        self.pages[_site(parts)] += 1
        if parts.query:
            self.variants[(_site(parts), parts.path)] += 1

    def refusal(self, url: str) -> Refusal | None:
        parts = urlsplit(url)
        site = _site(parts)
        if self.max_url_length and len(url) > self.max_url_length:
            return Refusal(
                "cap_url_length",
                f"URL of {len(url):,} characters is over the {self.max_url_length:,}-character"
                " limit (--max-url-length)",
            )
        if self.max_pages_per_site and self.pages[site] >= self.max_pages_per_site:
            return Refusal(
                "cap_pages_per_site",
                f"{site} has reached the limit of {self.max_pages_per_site:,} pages"
                " (--max-pages-per-site)",
            )
        variants = self.variants[(site, parts.path)]
        if parts.query and self.max_query_variants and variants >= self.max_query_variants:
            return Refusal(
                "cap_query_variants",
                f"{site}{parts.path} has reached the limit of {self.max_query_variants:,}"
                " query-string variants of one path (--max-query-variants)",
            )
        return None

    def first_of_its_kind(self, url: str, refusal: Refusal) -> bool:
        """True once per kind and site: that refusal gets an errors row, later ones a count."""
        key = (refusal.kind, _site(urlsplit(url)))
        if key in self.reported:
            return False
        self.reported.add(key)
        return True


def capped_total(stats: dict[str, int]) -> int:
    """How many links the caps refused, all kinds together (``cap_*`` in a crawl's stats)."""
    return sum(count for kind, count in stats.items() if kind.startswith("cap_"))


def _site(parts: SplitResult) -> str:
    return f"{parts.scheme}://{parts.netloc}".lower()
