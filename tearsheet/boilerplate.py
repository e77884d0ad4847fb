"""Site-template learning: text that recurs in the same place across a site's pages.

A site's template (its footer blurb, its standards line, the labels of its
comment form) shows on page after page, in the same place of the layout; a
story's paragraphs show on one page. So we count, per site, on how many
distinct pages each block occurs, a block being its normalised text *and*
its place (``layout_path``), and a block seen on ``MIN_PAGES`` pages or
more is template.

The place matters: a story's first paragraph is often repeated as its
teaser on the home page, the section page and under other stories, so its
text alone recurs, but in teaser boxes; in the story's own body it sits
somewhere else and is not taken for template.

The rule is per site on purpose: a quote that several outlets carry is
counted once per outlet and never becomes template, and a block repeated
inside one page counts once. Counts only grow as pages are added and do not
depend on the order pages come in, so a crawl and ``tearsheet extract`` over
the same WARC files learn the same blocks.

Tables (created on first use, safe inside a transaction):

- ``boilerplate``: the learned template, one row per block that reached
  ``MIN_PAGES``: ``site``, ``path``, ``block`` (normalised text), ``pages``.
- ``boilerplate_counts``: ``site``, ``digest`` (64-bit hash of path and
  text), ``pages``, for every block seen, so the corpus does not store each
  article's text a second time.
- ``boilerplate_pages``: ``site``, ``url`` of each page learned from, so a
  page crawled twice counts once.

Use: ``learn_capture(db, capture)`` for every archived response (or
``learn_page(db, site_of(url), url, page_blocks(html))``), then
``learned_blocks(db, site)``. Processes that walk pages for another to
count keep them in a file of their own (``keep_page``), which that one
attaches and counts (``count_kept_pages``): what ``extract --workers`` does.
"""

import hashlib
import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlite_utils
from lxml import etree
from lxml.html import HtmlElement

from tearsheet.archive import Capture
from tearsheet.archive.capture import parse_html

log = logging.getLogger(__name__)

MIN_PAGES = 3
MIN_WORDS = 3
MAX_CHARS = 2000
WORD = re.compile(r"\w+")
DIGIT = re.compile(r"\d")
# Elements whose text is not shown; SVG pictures' text shows, but is in no template line.
SILENT_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
MAX_LOOKS = 65_536  # element looks remembered (``describe``) before starting afresh
INLINE_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "font",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "del",
        "ins",
        "label",
    ]
)
SCHEMA = (
    "create table if not exists boilerplate (site text not null, path text not null,"
    " block text not null, pages integer not null, primary key (site, path, block))",
    "create table if not exists boilerplate_counts (site text not null,"
    " digest integer not null, pages integer not null, primary key (site, digest)) without rowid",
    "create table if not exists boilerplate_pages (site text not null, url text not null,"
    " primary key (site, url)) without rowid",
)

# A block as counted: (layout path, normalised text).
TemplateBlock = tuple[str, str]
_LOOKS: dict[tuple[str, str | None, str | None], str] = {}


def site_of(url: str) -> str:
    """The site a page belongs to: ``scheme://host[:port]``, lower-case."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def normalise(text: str) -> str:
    """A block's words in lower case, so spacing and punctuation do not split a count."""
    return " ".join(WORD.findall(text.lower()))


def describe(element: HtmlElement) -> str:
    """An element's stable look: its tag, first class and id that carry no number.

    Numbers mark one page (``post-10234``, ``comment-7``), and later class
    names often name the story's category or tags, so neither is part of
    the layout.
    """
    tag = element.tag if isinstance(element.tag, str) else "?"
    return _look(tag, element.get("class"), element.get("id"))


def _look(tag: str, classes: str | None, identifier: str | None) -> str:
    """``describe`` of an element with this tag, class and id attribute, remembered.

    A site's pages share their looks, and every page is walked whole.
    """
    key = (tag, classes, identifier)
    found = _LOOKS.get(key)
    if found is None:
        if len(_LOOKS) >= MAX_LOOKS:
            _LOOKS.clear()
        first_class = next((name for name in (classes or "").split() if not DIGIT.search(name)), "")
        identifier = (identifier or "").strip()
        found = _LOOKS[key] = (
            tag
            + (f".{first_class}" if first_class else "")
            + (f"#{identifier}" if identifier and not DIGIT.search(identifier) else "")
        ).lower()
    return found


def layout_path(element: HtmlElement, known: dict[HtmlElement, str] | None = None) -> str:
    """Where a line sits in the layout: its block element and their ancestors under <body>.

    Inline elements (a link, a span) are skipped, so a line has the path of
    the paragraph or box that holds it. ``known`` keeps the paths already
    worked out, for the many lines of one page that share their ancestors.
    """
    known = {} if known is None else known
    chain = []
    top: HtmlElement | None = element
    while top is not None and top.tag not in ("body", "html") and top not in known:
        chain.append(top)
        top = top.getparent()
    path = known.get(top, "") if top is not None else ""
    for ancestor in reversed(chain):
        if ancestor.tag not in INLINE_TAGS:
            path = f"{path} {describe(ancestor)}".lstrip()
        known[ancestor] = path
    return path


@dataclass
class PageWalk:
    """What one walk of a page's body found, for the two readers of all its text.

    ``blocks`` are its template blocks (``page_blocks``). ``text`` is its
    visible text with white space removed, ``starts`` where each piece of
    it starts, ``owners`` the element each piece belongs to (an element's
    text, or its parent's for its tail) and ``linked`` whether the piece is
    link text: what finding each article line's origin needs
    (``tearsheet.cleaning.origin.PageText``). A crawl and ``extract`` need
    both for every page, so the tree is walked once for them
    (``capture_walk``).
    """

    blocks: set[TemplateBlock]
    text: str
    starts: list[int]
    owners: list[HtmlElement]
    linked: list[bool]


def page_blocks(page: str | HtmlElement | None) -> set[TemplateBlock]:
    """The page's visible lines, each with its layout path, normalised.

    A line is the text between block elements and line breaks. Cheap on
    purpose (one lxml walk, no extraction): learning reads every page, so
    silent subtrees (scripts, styles, comments) are skipped whole, the text
    of SVG pictures is in no line, white space between elements is never
    joined, and looks are described once. Lines shorter than ``MIN_WORDS``
    words or longer than ``MAX_CHARS`` characters are left out: too common
    to mean template, or too long to be one.
    """
    if isinstance(page, str):
        page = parse_html(page)
    return walk_page(page).blocks


def capture_walk(capture: Capture) -> PageWalk:
    """``walk_page`` of the capture's page, walked once for all its readers."""
    return capture.derived("page_walk", walk_page)


def walk_page(page: HtmlElement | None) -> PageWalk:
    """Walk the page's body once for its template blocks and its text by owner (``PageWalk``)."""
    if page is None:
        return PageWalk(set(), "", [], [], [])
    root = page.find("body")
    root = page if root is None else root
    blocks: set[TemplateBlock] = set()
    line: list[str] = []
    paths = [""]
    pieces: list[str] = []
    starts: list[int] = []
    owners: list[HtmlElement] = []
    linked: list[bool] = []
    position = links = 0
    stack: list[HtmlElement] = []
    muted: HtmlElement | None = None  # an SVG picture: its text is in no template line

    def flush() -> None:
        text = normalise(" ".join(line))
        line.clear()
        if text.count(" ") + 1 >= MIN_WORDS and len(text) <= MAX_CHARS:
            blocks.add((paths[-1], text))

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if tag.__class__ is not str:
            tag = ""  # a comment or processing instruction
        if event == "start":
            links += tag == "a"
            stack.append(element)
            if muted is None and tag and tag not in INLINE_TAGS and element is not root:
                if line:
                    flush()
                look = _look(tag, element.get("class"), element.get("id"))
                paths.append(f"{paths[-1]} {look}".lstrip())
            if not tag or tag in SILENT_TAGS:
                walker.skip_subtree()  # its text is never read; its tail is
                continue
            if tag == "svg" and muted is None:
                muted = element
            text, owner = element.text, element
            if muted is None and text and not text.isspace():
                line.append(text)
        else:
            links -= tag == "a"
            stack.pop()
            if muted is element:
                muted = None
            if muted is None:
                if tag and tag not in INLINE_TAGS and element is not root:
                    if line:
                        flush()
                    paths.pop()
                if (tail := element.tail) and not tail.isspace() and element is not root:
                    line.append(tail)
            if not stack:
                continue
            text, owner = element.tail, stack[-1]
        if text and not text.isspace():  # most are: the white space between tags
            squeezed = "".join(text.split())
            pieces.append(squeezed)
            starts.append(position)
            owners.append(owner)
            linked.append(links > 0)
            position += len(squeezed)
    flush()
    return PageWalk(blocks, "".join(pieces), starts, owners, linked)


def create_tables(db: sqlite_utils.Database) -> None:
    """Idempotent, and safe inside a transaction (no implicit commit)."""
    for statement in SCHEMA:
        db.execute(statement)


def learn_page(
    db: sqlite_utils.Database, site: str, url: str, blocks: Iterable[TemplateBlock]
) -> bool:
    """Count a page's blocks for its site; False when this page was already counted."""
    create_tables(db)
    added = db.execute(
        "insert into boilerplate_pages (site, url) values (?, ?) on conflict do nothing",
        [site, url],
    )
    if added.rowcount == 0:
        return False
    by_digest = {_digest(block): block for block in blocks}
    db.conn.executemany(
        "insert into boilerplate_counts (site, digest, pages) values (?, ?, 1)"
        " on conflict (site, digest) do update set pages = pages + 1",
        [(site, digest) for digest in by_digest],
    )
    reached = [
        (site, *by_digest[digest], pages)
        for digest, pages in _counts(db, site, list(by_digest))
        if pages >= MIN_PAGES
    ]
    db.conn.executemany(
        "insert into boilerplate (site, path, block, pages) values (?, ?, ?, ?)"
        " on conflict (site, path, block) do update set pages = excluded.pages",
        reached,
    )
    return True


def create_kept_tables(connection: sqlite3.Connection) -> None:
    """The tables of a learning task's shard: pages walked elsewhere, to count here later."""
    connection.execute("create table kept_pages (site text not null, url text primary key)")
    connection.execute(
        "create table kept_blocks (url text not null, digest integer not null, path text not null,"
        " block text not null, primary key (url, digest)) without rowid"
    )


def keep_page(
    connection: sqlite3.Connection, site: str, url: str, blocks: Iterable[TemplateBlock]
) -> None:
    """Keep a page's blocks, digests worked out, for ``count_kept_pages``; once per URL."""
    connection.execute("insert into kept_pages values (?, ?)", [site, url])
    connection.executemany(
        "insert or ignore into kept_blocks values (?, ?, ?, ?)",
        [(url, _digest(block), *block) for block in blocks],
    )


def count_kept_pages(db: sqlite_utils.Database, shard: str) -> None:
    """Count the pages an attached shard kept (``keep_page``), as ``learn_page`` on each would.

    In a few statements rather than a few per page: the parent of the
    workers that walked the pages counts them while they walk more.
    """
    create_tables(db)
    db.execute("create temp table if not exists new_pages (site text, url text primary key)")
    db.execute("delete from temp.new_pages")
    db.execute(
        f"insert into temp.new_pages select site, url from {shard}.kept_pages as kept"
        " where not exists (select 1 from boilerplate_pages as counted"
        " where counted.site = kept.site and counted.url = kept.url)"
    )
    db.execute("insert into boilerplate_pages (site, url) select site, url from temp.new_pages")
    db.execute(
        "insert into boilerplate_counts (site, digest, pages)"
        " select new.site, kept.digest, count(*) from temp.new_pages as new"
        f" join {shard}.kept_blocks as kept on kept.url = new.url where true"
        " group by new.site, kept.digest"
        " on conflict (site, digest) do update set pages = pages + excluded.pages"
    )
    db.execute(
        "insert into boilerplate (site, path, block, pages)"
        " select distinct new.site, kept.path, kept.block, counts.pages from temp.new_pages as new"
        f" join {shard}.kept_blocks as kept on kept.url = new.url"
        " join boilerplate_counts as counts"
        " on counts.site = new.site and counts.digest = kept.digest where counts.pages >= ?"
        " on conflict (site, path, block) do update set pages = excluded.pages",
        [MIN_PAGES],
    )


def learn_capture(db: sqlite_utils.Database, capture: Capture) -> bool:
    """Learn from one archived response if it is an HTML page; True if it was counted."""
    blocks = blocks_to_learn(db, capture)
    return blocks is not None and learn_page(db, site_of(capture.url), capture.url, blocks)


def blocks_to_learn(db: sqlite_utils.Database, capture: Capture) -> set[TemplateBlock] | None:
    """The blocks to count for a capture, or None when it is no page or counted already.

    Reads only, so a caller sharing the corpus with other processes can
    parse outside its write transaction and hold the lock for the counts.
    """
    if not learnable(capture):
        return None
    if db["boilerplate_pages"].exists():
        counted = "select 1 from boilerplate_pages where site = ? and url = ?"
        if db.execute(counted, [site_of(capture.url), capture.url]).fetchone() is not None:
            return None  # as learn_page would say, without parsing the page again
    return capture_walk(capture).blocks


def learnable(capture: Capture) -> bool:
    """Whether a capture is a page to learn from: a 2xx HTML response with a body."""
    return 200 <= capture.status < 300 and capture.is_html and not capture.blank


def merge_learned(db: sqlite_utils.Database, shard: str) -> None:
    """Add what an attached shard learned from pages this corpus has not learned from.

    Counts add up per site when the shard's pages of that site are new here,
    and not at all when they were all counted already (a shard merged
    twice, or one that started from this corpus's template). A shard that
    shares only some pages of a site with this corpus has its counts added,
    those pages' blocks counted twice; a warning says so. A block that
    reaches ``MIN_PAGES`` only across shards is not learned: no shard kept
    its text (``tearsheet extract`` over all the WARCs learns it).
    """
    create_tables(db)
    found = f"select 1 from {shard}.sqlite_master where name = 'boilerplate_pages'"
    if db.execute(found).fetchone() is None:
        return
    sites = db.execute(f"select site, count(*) from {shard}.boilerplate_pages group by site")
    for site, pages in sites.fetchall():
        added = db.execute(
            f"insert into boilerplate_pages (site, url) select site, url"
            f" from {shard}.boilerplate_pages where site = ? on conflict do nothing",
            [site],
        ).rowcount
        if added == 0:
            continue
        if added < pages:
            log.warning(
                "%s: %d pages were learned from already; counted again", site, pages - added
            )
        db.execute(
            f"insert into boilerplate_counts (site, digest, pages) select site, digest, pages"
            f" from {shard}.boilerplate_counts where site = ?"
            " on conflict (site, digest) do update set pages = pages + excluded.pages",
            [site],
        )
        blocks = {
            (path, block)
            for table in ("boilerplate", f"{shard}.boilerplate")
            for path, block in db.execute(
                f"select path, block from {table} where site = ?", [site]
            ).fetchall()
        }
        by_digest = {_digest(block): block for block in blocks}
        db.conn.executemany(
            "insert into boilerplate (site, path, block, pages) values (?, ?, ?, ?)"
            " on conflict (site, path, block) do update set pages = excluded.pages",
            [
                (site, *by_digest[digest], pages)
                for digest, pages in _counts(db, site, list(by_digest))
                if pages >= MIN_PAGES
            ],
        )


def learned_blocks(db: sqlite_utils.Database, site: str) -> set[TemplateBlock]:
    """The site's template: (layout path, normalised text) of each learned block."""
    if not db["boilerplate"].exists():
        return set()
    rows = db.execute(
        "select path, block from boilerplate where site = ? and pages >= ?", [site, MIN_PAGES]
    )
    return {(path, block) for path, block in rows}


def _digest(block: TemplateBlock) -> int:
    key = "\n".join(block).encode("utf-8")
    return int.from_bytes(hashlib.sha1(key).digest()[:8], "big", signed=True)


def _counts(db: sqlite_utils.Database, site: str, digests: list[int]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for start in range(0, len(digests), 500):
        chunk = digests[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.extend(
            db.execute(
                "select digest, pages from boilerplate_counts"
                f" where site = ? and digest in ({marks})",
                [site, *chunk],
            ).fetchall()
        )
    return found


def stale_articles(db: sqlite_utils.Database) -> list[tuple[str, int]]:
    """Where the articles are whose text holds a line since learned as template.

    A crawl learns as it goes, so articles cleaned early may keep lines
    learned later; cleaning these again makes the crawl's corpus what
    ``tearsheet extract`` rebuilds. Learning only grows, so no other
    article can differ. Returns (WARC file, offset) of their captures.
    Reads the articles one at a time: a corpus's text need not fit in memory.
    """
    learned: dict[str, set[str]] = {}
    stale = []
    rows = db.execute(
        "select articles.url, articles.text, captures.warc_file, captures.warc_offset"
        " from articles join captures on articles.capture = captures.warc_record_id"
    )
    for url, text, warc_file, warc_offset in rows:
        site = site_of(url)
        if site not in learned:
            learned[site] = {block for _, block in learned_blocks(db, site)}
        if learned[site] and any(normalise(line) in learned[site] for line in text.split("\n")):
            stale.append((warc_file, warc_offset))
    return stale
