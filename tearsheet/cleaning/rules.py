"""What the cleaners share: matching a line's words and place, and dropping lines safely."""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from tearsheet.article import Article, Block

# Which lines (by index) of an article are boilerplate.
Condemn = Callable[[Sequence[Block]], Iterable[int]]

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
KEEP_AT_LEAST = 0.4


def whole_line(*patterns: str) -> re.Pattern[str]:
    """A case-insensitive pattern that must cover the line, punctuation and spaces aside."""
    body = "|".join(f"(?:{pattern})" for pattern in patterns)
    return re.compile(rf"^[\W_]*(?:{body})[\W_]*$", re.IGNORECASE)


def class_hint(*words: str) -> re.Pattern[str]:
    """Matches a ``Block.context`` naming one of these words at the start of a name part.

    ``related`` matches ``jp-relatedposts`` and ``aside.related-links`` but
    not ``unrelated``; names are split on ``-``, ``_``, ``.``, ``#``, spaces.
    """
    return re.compile(rf"(?:^|[\s.#_-])(?:{'|'.join(words)})")


def sentences(text: str) -> list[str]:
    """A paragraph cut into sentences, well enough to judge each one."""
    return [part for part in SENTENCE_END.split(text) if part.strip()]


def mentions(text: str, words: Iterable[str]) -> bool:
    """Whether the text contains one of these lower-case words: a cheap test before a regex."""
    lowered = text.lower()
    return any(word in lowered for word in words)


def word_count(text: str) -> int:
    return len(text.split())


def drop_blocks(article: Article, condemn: Condemn) -> Article | None:
    """The article without the lines ``condemn`` names; None when it names none.

    A rule that would take most of the article is more likely fooled by an
    odd page than right, so the article is then left as it was.
    """
    blocks = article.paragraphs()
    condemned = set(condemn(blocks))
    kept = [block for index, block in enumerate(blocks) if index not in condemned]
    return _guarded(article, blocks, kept)


def rewrite_blocks(
    article: Article, rewrite: Callable[[Sequence[Block], int], str | None]
) -> Article | None:
    """The article with each line's text rewritten (None or "" drops the line)."""
    blocks = article.paragraphs()
    kept = []
    for index, block in enumerate(blocks):
        text = rewrite(blocks, index)
        if text and text.strip():
            kept.append(block if text == block.text else replace(block, text=text.strip()))
    return _guarded(article, blocks, kept)


def _guarded(article: Article, before: list[Block], after: list[Block]) -> Article | None:
    if [block.text for block in after] == [block.text for block in before]:
        return None
    if _length(after) < KEEP_AT_LEAST * _length(before):
        return None
    return article.set_blocks(after)


def _length(blocks: Iterable[Block]) -> int:
    return sum(len(block.text) for block in blocks)


def near_edges(blocks: Sequence[Block], index: int, head: int = 3, tail: int = 3) -> bool:
    """Whether a line is among the first ``head`` or last ``tail`` lines."""
    return index < head or index >= len(blocks) - tail


def tail_shares(blocks: Sequence[Block]) -> list[float]:
    """For each line, the share of the article's text from it to the end."""
    total = max(1, _length(blocks))
    shares, rest = [], 0
    for block in reversed(blocks):
        rest += len(block.text)
        shares.append(rest / total)
    return shares[::-1]
