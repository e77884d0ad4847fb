"""Cleaner ``clean_share``: share, like and follow widgets and their counts.

Share bars leave their button labels and counters in the text ("Share this:",
"Tweet", "(16) (15)"), and a "Follow us on Twitter" line closes many
articles. Such lines go when they sit in a share or social widget, when
they are nothing but button labels and numbers, or when they ask the reader
to share or follow; a follow prompt inside a closing author note takes the
note with it.
"""

import re
from collections.abc import Iterator, Sequence

from tearsheet.article import Article, Block
from tearsheet.cleaning.rules import (
    class_hint,
    drop_blocks,
    mentions,
    sentences,
    whole_line,
    word_count,
)
from tearsheet.plugins import hookimpl

PLACE = class_hint(
    "share",
    "sharing",
    "social",
    "sociable",
    "addthis",
    "addtoany",
    "a2a",
    "shariff",
    "likes?(?![a-z])",
    "like-?button",
    "follow(?!-?up)",
)
NETWORKS = (
    r"facebook|twitter|x|instagram|linkedin|youtube|tiktok|whatsapp|telegram|reddit|pinterest"
    r"|flipboard|threads|bluesky|mastodon|email|e-mail|messenger|google\+?|tumblr|snapchat"
)
BUTTON = re.compile(
    rf"\(?(?:\d+(?:[.,]\d+)?[km]?|share|shares|tweet|email|e-mail|print|pin|save|copy|link|"
    rf"like|likes|comment|comments|{NETWORKS})\)?[:,]?",
    re.IGNORECASE,
)
BUTTON_SEPARATORS = re.compile(r"[\s|·•/]+")
PROMPT = whole_line(
    rf"(?:click to )?share(?: this)?(?: (?:article|story|post|page|video))?"
    rf"(?: (?:on|via|with|to))?(?: (?:{NETWORKS})[, ]*)*(?: \(opens in new window\))?",
    r"(?:like|enjoy(?:ed)?|love) this (?:story|article|post|piece)\?.*",
    r"(?:please )?(?:share|spread) (?:this|the word).*",
    r"(?:click to )?(?:email|print) (?:this|a link).*",
    r"(?:like|follow) us(?: on .*)?",
)
FOLLOW = re.compile(
    rf"^follow (?:[@\w.'’&-]+ ){{0,8}}on (?:{NETWORKS})\b.*|"
    rf"^(?:find|join|connect with|like) us on (?:{NETWORKS})\b.*",
    re.IGNORECASE,
)
FOLLOW_CUES = ("follow", "find us", "join us", "connect with", "like us")
NOTE_WORDS = 80
NOTE_LINES = 3


@hookimpl
def clean_article(article: Article) -> Article | None:
    return drop_blocks(article, share_lines)


def share_lines(blocks: Sequence[Block]) -> Iterator[int]:
    for index, block in enumerate(blocks):
        closing = index >= len(blocks) - NOTE_LINES
        if (
            PLACE.search(block.context)
            or (block.kind != "row" and _only_buttons(block.text))
            or PROMPT.match(block.text)
            or _asks_to_follow(block.text, closing)
        ):
            yield index


def _only_buttons(text: str) -> bool:
    """Counters and button labels: "(16) (15)", "Share Tweet Email", "1.2K shares"."""
    if len(text) > 60:
        return False
    tokens = [token for token in BUTTON_SEPARATORS.split(text) if token]
    return bool(tokens) and all(BUTTON.fullmatch(token) for token in tokens)


def _asks_to_follow(text: str, closing: bool) -> bool:
    if not mentions(text, FOLLOW_CUES):
        return False
    parts = sentences(text)
    asks = [part for part in parts if FOLLOW.match(part.strip())]
    if not asks:
        return False
    return len(asks) == len(parts) or (closing and word_count(text) <= NOTE_WORDS)
