"""Cleaner ``clean_related``: "Related", "Read more" and "You may also like" lists.

Links to other stories are inserted in and after an article ("Related:
Council approves budget", "SEE MORE: …", a "More from us" list). A line
goes when it sits in a related-content box, when it starts with such a
lead-in, when it follows a related-content heading or lead-in as part of
its list of headlines, or when it belongs to a list of linked headlines that
closes the article.
"""

import re
from collections.abc import Iterator, Sequence

from tearsheet.article import Article, Block
from tearsheet.cleaning.rules import class_hint, drop_blocks, word_count
from tearsheet.plugins import hookimpl

PLACE = class_hint(
    "related",
    "recommend",
    "read-?more",
    "more-?(?:stories|articles|news|from|on|like)",
    "also-?read",
    "see-?also",
    "popular",
    "trending",
    "most-?(?:read|viewed|shared)",
    "up-?next",
    "next-?(?:article|story|post)",
    "outbrain",
    "taboola",
    "yarpp",
    "crp_related",
    "further-?reading",
    "you-?may-?like",
)
LEAD_IN = re.compile(
    r"^[\W_]*(?:related"
    r"(?: (?:posts?|articles?|stories|story|coverage|content|reading|news|links?))?"
    r"|read (?:more|also|next)|also read|see (?:more|also)(?: \w+)?|more"
    r"|more (?:on|from|about) [^:]{1,40}"
    r"|recommended(?: for you)?|(?:don'?t|do not) miss|must read"
    r"|you (?:may|might) (?:also )?(?:like|enjoy|be interested in))"
    r"\s*(?:[:|»›>–—]|\.{3}|…|$)",
    re.IGNORECASE,
)
ALSO_ON = re.compile(r"^[\W_]*also on [\w-]+\.[\w.]+\b", re.IGNORECASE)
HEADING = re.compile(
    r"^[\W_]*(?:related(?: \w+)?|(?:more|other|latest|top|popular|recommended|similar) "
    r"(?:\w+ ){0,2}(?:stories|articles|news|posts|reads|videos)(?: \w+){0,3}|read (?:more|next)|"
    r"(?:don'?t|do not) miss|must reads?|recommended(?: for you)?|you (?:may|might) (?:also )?"
    r"(?:like|enjoy)|most (?:read|popular|viewed|shared)|trending(?: now)?|further reading|"
    r"in case you missed it|see also|also read)[\W_]*$",
    re.IGNORECASE,
)
LIST_LINE_WORDS = 20
LINKED = 0.8
FULLY_LINKED = 0.9
CLOSING_WORDS = 12


@hookimpl
def clean_article(article: Article) -> Article | None:
    return drop_blocks(article, related_lines)


def related_lines(blocks: Sequence[Block]) -> Iterator[int]:
    """Lines of related-content lists; a heading or lead-in starts a list of headlines."""
    yield from _closing_link_list(blocks)
    in_list = after_lead_in = False
    for index, block in enumerate(blocks):
        text = block.text
        if word_count(text) <= 8 and HEADING.match(text):
            in_list, after_lead_in = True, False
            yield index
        elif (
            in_list
            and _headline_like(block)
            or after_lead_in
            and block.links >= LINKED
            and _headline_like(block)
        ):
            yield index
        else:
            in_list = False
            after_lead_in = bool(LEAD_IN.match(text) or ALSO_ON.match(text))
            if after_lead_in or PLACE.search(block.context):
                yield index


def _closing_link_list(blocks: Sequence[Block]) -> range:
    """A list of linked headlines that ends the article (at most a short line after it)."""
    end = len(blocks)
    if end and not _linked_item(blocks[-1]) and word_count(blocks[-1].text) <= CLOSING_WORDS:
        end -= 1
    start = end
    while start > 0 and _linked_item(blocks[start - 1]):
        start -= 1
    return range(start, end) if end - start >= 2 else range(0)


def _linked_item(block: Block) -> bool:
    return block.kind == "item" and block.links >= FULLY_LINKED and _headline_like(block)


def _headline_like(block: Block) -> bool:
    """A list entry: a short line, not a paragraph of prose."""
    text = block.text
    short = word_count(text) <= LIST_LINE_WORDS
    prose = text.rstrip().endswith((".", "!", "?", ".”", '."')) and word_count(text) > 12
    return short and not prose
