"""Articles split into several body containers, with ads or widgets between the parts.

Some publishers cut a story into sibling containers of the same kind
(``<div class="article__body">`` … ad … ``<div class="article__body">``);
trafilatura keeps the first and loses the rest. A part is taken back when
it is a container just like the main one, in the same article (no headline
of its own), and reads as prose: several paragraphs of full sentences, not
a teaser box that happens to share the class name.
"""

from lxml.etree import XPath
from lxml.html import HtmlElement

from tearsheet.article import Block
from tearsheet.boilerplate import layout_path
from tearsheet.cleaning.origin import ancestors, describe_path

SAME_KIND = XPath("//*[local-name() = $tag and @class = $classes]")
LINE_TAGS = {
    "p": "paragraph",
    "h2": "heading",
    "h3": "heading",
    "h4": "heading",
    "h5": "heading",
    "h6": "heading",
    "li": "item",
    "blockquote": "quote",
    "div": "paragraph",
}
SKIPPED = XPath(
    "ancestor-or-self::*[self::aside or self::figure or self::figcaption or self::script"
    " or self::style or self::noscript or @aria-hidden='true' or @hidden]"
)
PROSE_WORDS = 15
PROSE_PARAGRAPHS = 3


def with_continuations(
    blocks: list[Block], main: HtmlElement | None, page: HtmlElement
) -> list[Block]:
    """The article's blocks with the lines of its other body parts, in page order."""
    if main is None or not main.get("class"):
        return blocks
    parts = [part for part in _same_kind(main, page) if _is_continuation(part)]
    if not parts:
        return blocks
    known = {" ".join(block.text.split()) for block in blocks}
    before: list[Block] = []
    after: list[Block] = []
    main_position = _position(main)
    for part in parts:
        lines = [line for line in _lines(part) if line.text not in known]
        (before if _position(part) < main_position else after).extend(lines)
    return [*before, *blocks, *after]


def _same_kind(main: HtmlElement, page: HtmlElement) -> list[HtmlElement]:
    around = set(ancestors(main))
    return [
        element
        for element in SAME_KIND(page, tag=main.tag, classes=main.get("class"))
        if element not in around and main not in set(ancestors(element))
    ]


def _is_continuation(part: HtmlElement) -> bool:
    if part.find(".//h1") is not None:
        return False
    prose = [p for p in part.iter("p") if len(p.text_content().split()) >= PROSE_WORDS]
    return len(prose) >= PROSE_PARAGRAPHS


def _lines(part: HtmlElement) -> list[Block]:
    """The part's lines, described like the main container's: from the part down."""
    around_part = set(ancestors(part))
    lines = []
    for element in part.iter(*LINE_TAGS):
        if any(child.tag in LINE_TAGS for child in element.iterdescendants()) or SKIPPED(element):
            continue
        text = " ".join(element.text_content().split())
        if not text:
            continue
        kind = LINE_TAGS[element.tag]
        linked = sum(len("".join(a.text_content().split())) for a in element.iter("a"))
        lines.append(
            Block(
                f"- {text}" if kind == "item" else text,
                kind,
                describe_path(element, around_part),
                round(min(1.0, linked / max(1, len("".join(text.split())))), 2),
                layout_path(element),
            )
        )
    return lines


def _position(element: HtmlElement) -> int:
    """Document order, by the number of elements before this one."""
    return int(element.xpath("count(preceding::*) + count(ancestor::*)"))
