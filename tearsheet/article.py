"""The article a page yields: what extractors produce and cleaners refine."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Block:
    """One line of an article's text and where it came from in the page.

    Cleaners judge a line by its words and by its place: ``context`` lists
    the elements between the article's main container and the line's own
    element, outermost first, as ``tag.class#id`` in lower case
    (``"aside.related ul li"``), so a share bar or a comment form shows in
    its class names even when its words are ordinary. ``links`` is the share
    of the line's characters that sit inside links. ``path`` is the line's
    place in the whole page's layout (``tearsheet.boilerplate.layout_path``),
    what site-template learning compares across pages. ``outside`` is true
    for a line found outside the container that holds most of the article.
    ``kind`` is ``paragraph``, ``heading``, ``item``, ``quote``, ``row`` or
    ``code``.
    """

    text: str
    kind: str = "paragraph"
    context: str = ""
    links: float = 0.0
    path: str = ""
    outside: bool = False


@dataclass
class Article:
    """One news article as extracted from one capture.

    Cleaners may change any field; exporters store them. ``text`` holds the
    article body as paragraphs separated by newlines; ``blocks`` holds the
    same lines with their origin (see ``Block``) while the article is being
    cleaned, and is not stored.
    """

    url: str
    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    language: str | None = None
    site: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    editors: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list, repr=False, compare=False)

    def paragraphs(self) -> list[Block]:
        """The text as blocks; lines without a known origin when ``text`` was set directly.

        A plugin that rewrote ``text`` without its blocks wins: its text is
        what later cleaners see.
        """
        if self.blocks and "\n".join(block.text for block in self.blocks) == self.text:
            return list(self.blocks)
        return [Block(line) for line in self.text.split("\n") if line.strip()]

    def set_blocks(self, blocks: Iterable[Block]) -> "Article":
        """Make these blocks the article's lines (text included); returns the article.

        Cleaners change the article in place, which the ``clean_article``
        contract allows, so each cleaner sees what the previous ones left.
        """
        self.blocks = list(blocks)
        self.text = "\n".join(block.text for block in self.blocks)
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["blocks"]
        return data
