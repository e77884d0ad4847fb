"""A local mirror of the article-extraction pages: S sites, each holding every page once.

Each site is its own host to a crawler (127.0.1.k, all of 127/8 being
loopback on Linux), so tearsheet learns each site's template apart and a
page's copies on two sites are two articles. Every copy ends in an HTML
comment naming its site, so no two bodies are byte-identical and none is
archived as a revisit, and tells it in made-up words of the same lengths
(``retold``), so copies are not one story of S outlets. Articles
keep their original paths, so tearsheet's URL signals see what they would
see on the real sites; a home page links to hub pages (``/archive/N/``) that
link to the articles, and a sitemap lists them all.
"""

import gzip
import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ARTICLES_PER_HUB = 22
CODE = re.compile(r"(<(?:script|style)\b.*?</(?:script|style)\s*>)", re.S | re.I)
TEXT_RUN = re.compile(r">[^<]+<")
WORD = re.compile(r"[A-Za-z]{4,20}|[^\W\d_\x00-\u024f]{2,20}")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
ADDRESS = "127.0.1.{}"


@dataclass
class SourcePage:
    key: str
    path: str  # path and query of the original URL, as the mirror serves it
    html: bytes


@dataclass
class Site:
    address: str
    port: int
    root: Path
    pages: list[str]  # every HTML path, home and hubs included, as linked

    @property
    def home(self) -> str:
        return f"http://{self.address}:{self.port}/"


@dataclass
class Mirror:
    sites: list[Site]
    article_paths: list[str]

    @property
    def pages(self) -> int:
        return sum(len(site.pages) for site in self.sites)

    @property
    def articles(self) -> int:
        return len(self.sites) * len(self.article_paths)


def load_sources(data: Path) -> list[SourcePage]:
    """The benchmark's pages, as served, under their original paths."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    sources = []
    for key, entry in sorted(truth.items()):
        parts = urlsplit(entry["url"])
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        body = gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes())
        sources.append(SourcePage(key, path, body))
    return sources


def file_for(root: Path, path: str) -> Path:
    """Where nginx finds a path: the query is ignored, a directory path is its index.html."""
    path = path.split("?", 1)[0]
    target = root / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def build_mirror(out: Path, sources: list[SourcePage], site_count: int, port: int) -> Mirror:
    """Write ``site_count`` sites under ``out``, one directory per address, served on ``port``."""
    if not 1 <= site_count <= 254:
        raise ValueError(f"between 1 and 254 sites fit on 127.0.1.x, not {site_count}")
    sites = []
    for number in range(1, site_count + 1):
        address = ADDRESS.format(number)
        root = out / address
        marker = f"\n<!-- tearsheet bench mirror, site {number} -->\n".encode()
        for source in sources:
            target = file_for(root, source.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(retold(source.html, number) + marker)
        hubs = _write_hubs(root, [s.path for s in sources], number)
        _write_discovery(root, f"{address}:{port}", [s.path for s in sources])
        sites.append(Site(address, port, root, ["/", *hubs, *(s.path for s in sources)]))
    return Mirror(sites, [s.path for s in sources])


def retold(page: bytes, number: int) -> bytes:
    """The page as site ``number`` tells it: the words of its text replaced.

    Real outlets carry different stories, or retell one wire story in their
    own words; verbatim copies on every site would make each article one
    story of S members, which real crawls rarely meet. In the body's text
    (scripts and styles left alone) each Latin word of four letters or more,
    and each word of two letters or more in another script (Cyrillic,
    Hangul, Han...), becomes a made-up word of the same length in the same
    script, the same on every page of a site. So markup, byte lengths and
    site templates stay what they were (what extraction costs) while the
    word pairs stories compare differ from site to site; short Latin words
    stay, keeping the stop words that text classifiers count. Site 1 keeps
    the original text. Bytes that are not UTF-8 are kept as they are.
    """
    if number == 1:
        return page
    head, tag, body = page.partition(b"<body")
    if not tag:
        return page
    salt = b"%d\0" % number
    text = body.decode("utf-8", "surrogateescape")
    parts = CODE.split(text)  # odd items are scripts and styles, kept as they are
    parts[::2] = [
        TEXT_RUN.sub(lambda run: WORD.sub(lambda w: _made_up(w[0], salt), run[0]), part)
        for part in parts[::2]
    ]
    return head + tag + "".join(parts).encode("utf-8", "surrogateescape")


def _made_up(word: str, salt: bytes) -> str:
    digest = hashlib.sha1(salt + word.lower().encode()).digest()  # 20 bytes: WORD's longest
    if word.isascii():
        letters = "".join(LETTERS[byte % 26] for byte in digest[: len(word)])
        return letters.capitalize() if word[:1].isupper() else letters
    return "".join(_letter_like(char, byte) for char, byte in zip(word, digest, strict=False))


def _letter_like(char: str, byte: int) -> str:
    """A letter from ``char``'s block of 128 code points, of its case and as long in UTF-8."""
    block, width, upper = ord(char) & ~0x7F, len(char.encode()), char.isupper()
    for step in range(128):
        other = chr(block + (byte + step) % 128)
        if other.isalpha() and other.isupper() == upper and len(other.encode()) == width:
            return other
    return char


def _write_hubs(root: Path, paths: list[str], number: int) -> list[str]:
    chunks = [paths[i : i + ARTICLES_PER_HUB] for i in range(0, len(paths), ARTICLES_PER_HUB)]
    hubs = [f"/archive/{n}/" for n in range(1, len(chunks) + 1)]
    for hub, chunk in zip(hubs, chunks, strict=True):
        items = "".join(
            f'<li><a href="{html.escape(path)}">{html.escape(path)}</a></li>\n' for path in chunk
        )
        _page(file_for(root, hub), f"Archive {hub} of mirror site {number}", f"<ul>\n{items}</ul>")
    items = "".join(f'<li><a href="{hub}">Archive {hub}</a></li>\n' for hub in hubs)
    _page(root / "index.html", f"Mirror site {number}", f"<ul>\n{items}</ul>")
    return hubs


def _page(target: Path, title: str, body: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        f"<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>{title}</title></head>\n"
        f"<body><h1>{title}</h1>\n{body}\n</body></html>\n",
        encoding="utf-8",
    )


def _write_discovery(root: Path, host: str, paths: list[str]) -> None:
    entries = "".join(
        f"<url><loc>{html.escape(f'http://{host}{path}')}</loc></url>\n" for path in paths
    )
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n',
        encoding="utf-8",
    )
    (root / "robots.txt").write_text(
        f"User-agent: *\nAllow: /\nSitemap: http://{host}/sitemap.xml\n", encoding="utf-8"
    )
