"""Where each line of an extracted article came from in the page.

trafilatura returns new elements without the page's class names, but a
cleaner deciding whether "Share (16)" or a short heading is boilerplate needs
them: a line inside ``div.share-bar`` or ``form#commentform`` is template
whatever its words. We find each output line in the page's own text (white
space ignored, in document order) and describe the elements around it.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement

from tearsheet.article import Block
from tearsheet.boilerplate import PageWalk, layout_path, walk_page

KINDS = {"p": "paragraph", "head": "heading", "list": "item", "quote": "quote", "table": "row"}
LIST_MARKER = re.compile(r"^(?:[-*•]|\d+\.)\s+")
KEY_LENGTH = 40
MAIN_SHARE = 0.6


@dataclass
class PageText:
    """The page's visible text with white space removed, and who owns each stretch."""

    text: str
    starts: list[int]
    owners: list[HtmlElement]
    linked: list[bool]

    @classmethod
    def of(cls, page: HtmlElement) -> "PageText":
        """Walked with the page's template blocks (``walk_page``): learning reads both."""
        return cls.of_walk(walk_page(page))

    @classmethod
    def of_walk(cls, walk: PageWalk) -> "PageText":
        """From a walk of the page made already (``tearsheet.boilerplate.capture_walk``)."""
        return cls(walk.text, walk.starts, walk.owners, walk.linked)

    def owner_at(self, offset: int) -> HtmlElement:
        return self.owners[bisect_right(self.starts, offset) - 1]

    def linked_share(self, start: int, end: int) -> float:
        """The share of characters in [start, end) that belong to link text."""
        first = bisect_right(self.starts, start) - 1
        inside = 0
        for index in range(first, len(self.starts)):
            piece_start = self.starts[index]
            if piece_start >= end:
                break
            if self.linked[index]:
                piece_end = (
                    self.starts[index + 1] if index + 1 < len(self.starts) else len(self.text)
                )
                inside += min(piece_end, end) - max(piece_start, start)
        return inside / (end - start) if end > start else 0.0


def article_blocks(
    body: etree._Element, page: HtmlElement, page_text: PageText | None = None
) -> tuple[list[Block], HtmlElement | None]:
    """trafilatura's output body as Blocks described by their place in ``page``.

    Also returns the main container: the innermost element of ``page``
    holding most of the article's text (None if no line was found in it).
    ``page_text`` is ``PageText.of(page)`` when the caller has it already.
    """
    from trafilatura.xml import xmltotxt

    lines = [
        (line.strip(), KINDS.get(child.tag, child.tag))
        for child in body
        for line in xmltotxt(child, False).split("\n")
        if line.strip()
    ]
    page_text = page_text or PageText.of(page)
    found: list[tuple[HtmlElement, float] | None] = []
    cursor = 0
    for line, kind in lines:
        span = _locate(page_text, _searchable(line, kind), cursor)
        if span is None:
            found.append(None)
            continue
        start, end = span
        cursor = start
        element = _common_ancestor(page_text.owner_at(start), page_text.owner_at(end - 1))
        found.append((element, page_text.linked_share(start, end)))
    main = _main_container(
        [(f[0], len(line)) for f, (line, _) in zip(found, lines, strict=True) if f]
    )
    around_main = set(ancestors(main)) if main is not None else set()
    paths: dict[HtmlElement, str] = {}
    blocks = [
        Block(
            line,
            kind,
            describe_path(f[0], around_main),
            round(f[1], 2),
            layout_path(f[0], paths),
            outside=main is not None and main not in ancestors(f[0]),
        )
        if f
        else Block(line, kind)
        for f, (line, kind) in zip(found, lines, strict=True)
    ]
    return blocks, main


def _searchable(line: str, kind: str) -> tuple[str, str]:
    """Keys for the first and last words of a line, free of list and table markup."""
    if kind == "item":
        line = LIST_MARKER.sub("", line)
    cells = [cell for cell in line.strip("| ").split(" | ") if cell.strip()] or [line]
    first = "".join(cells[0].split())[:KEY_LENGTH]
    last = "".join(cells[-1].split())[-KEY_LENGTH:]
    return first, last


def _locate(page_text: PageText, keys: tuple[str, str], cursor: int) -> tuple[int, int] | None:
    first, last = keys
    if not first:
        return None
    start = page_text.text.find(first, cursor)
    if start < 0:
        start = page_text.text.find(first)
    if start < 0:
        return None
    end = page_text.text.find(last, start)
    end = start + len(first) if end < 0 else end + len(last)
    return start, end


def ancestors(element: HtmlElement) -> list[HtmlElement]:
    """The element and its ancestors, innermost first."""
    chain = [element]
    while (parent := chain[-1].getparent()) is not None:
        chain.append(parent)
    return chain


def _common_ancestor(first: HtmlElement, second: HtmlElement) -> HtmlElement:
    if first is second:
        return first
    seen = set(ancestors(first))
    return next(element for element in ancestors(second) if element in seen)


def _main_container(located: list[tuple[HtmlElement, int]]) -> HtmlElement | None:
    """The innermost element holding most of the article's text."""
    total = sum(length for _, length in located)
    weight: dict[HtmlElement, int] = {}
    depth: dict[HtmlElement, int] = {}
    for element, length in located:
        chain = ancestors(element)
        for level, ancestor in enumerate(chain):
            weight[ancestor] = weight.get(ancestor, 0) + length
            depth[ancestor] = len(chain) - level
    heavy = [element for element, chars in weight.items() if chars >= MAIN_SHARE * total]
    return max(heavy, key=depth.__getitem__, default=None)


def describe_path(element: HtmlElement, around_main: set[HtmlElement]) -> str:
    """The elements from below the main container (or where the line leaves it) to the line.

    ``around_main`` is the main container and its ancestors.
    """
    path = []
    for ancestor in ancestors(element):
        if ancestor in around_main:
            break
        path.append(_describe(ancestor))
    return " ".join(reversed(path))


def _describe(element: HtmlElement) -> str:
    tag = element.tag if isinstance(element.tag, str) else "?"
    classes = "".join(f".{name}" for name in (element.get("class") or "").split())
    identifier = element.get("id")
    return (tag + classes + (f"#{identifier.strip()}" if identifier else "")).lower()
