"""Cleaner ``clean_disclaimers``: disclaimers and legal footers.

Investment and affiliate disclaimers, "views expressed" notes, copyright,
redistribution and editorial-standards lines are the publisher's legal
template. A paragraph made mostly of such sentences goes whole (its other
sentences belong to the footer: "Information for this story was found via
Reuters…", whose sources are still recorded); in a paragraph of prose only
the legal sentences go.
"""

import re
from collections.abc import Sequence

from tearsheet.article import Article, Block
from tearsheet.cleaning.rules import class_hint, mentions, rewrite_blocks, sentences
from tearsheet.cleaning.sources import cited_names
from tearsheet.plugins import hookimpl

PLACE = class_hint("disclaimer", "disclosure", "legal", "copyright")
# Words without which no LEGAL pattern matches: a cheap test first.
CUES = (
    "recommendation",
    "advice",
    "research",
    "due diligence",
    "consult",
    "purposes only",
    "past performance",
    "expressed",
    "necessarily",
    "affiliate",
    "commission",
    "compensation",
    "reserved",
    "may not be",
    "©",
    "(c)",
    "copyright",
    "securities",
    "licen",
    "no position",
    "no shares",
    "affiliations",
    "solicitation",
    "offer",
    "our standards",
    "our editorial standards",
    "trust principles",
)
LEGAL = re.compile(
    "|".join(
        [
            r"\bnot (?:a|an|intended as(?: an?)?) (?:recommendation|investment advice"
            r"|financial advice|offer|solicitation)",
            r"\b(?:the author|the writer|we) (?:has|have|holds?|owns?) no (?:securities|positions?"
            r"|licen[cs]es?|affiliations|shares)",
            r"\bdo (?:your own|additional|further) (?:research|due diligence)",
            r"\bconsult (?:a|an|your) (?:professional|financial|licensed|qualified|independent)",
            r"\bfor (?:informational|educational|general information(?:al)?) purposes only",
            r"\b(?:does|do|is|are) not (?:constitute|intended to (?:be|provide|constitute))"
            r" (?:investment|financial|legal|medical|professional) advice",
            r"\bpast performance (?:is|does) not",
            r"\bthe (?:views|opinions)(?: and opinions)? expressed (?:here|in this|are|by)",
            r"\bdo(?:es)? not necessarily (?:reflect|represent) the (?:views|opinions|position)",
            r"\b(?:contains?|may contain|include[sd]?) affiliate links",
            r"\bwe (?:may )?(?:earn|receive) (?:a )?(?:small )?(?:commission|compensation)",
            r"\ball rights reserved",
            r"\bmay not be (?:published|reproduced|broadcast|rewritten|redistributed|copied)",
            r"(?:^|[.!?]\s+)(?:©|\(c\)|copyright\b)",
            r"^\W*our (?:editorial )?standards\b|\btrust principles\b",
        ]
    ),
    re.IGNORECASE,
)


@hookimpl
def clean_article(article: Article) -> Article | None:
    dropped: list[str] = []

    def rewrite(blocks: Sequence[Block], index: int) -> str | None:
        text = blocks[index].text
        kept = without_legal_sentences(blocks[index])
        if kept is None:
            dropped.append(text)
        return kept

    cleaned = rewrite_blocks(article, rewrite)
    if cleaned is not None:
        credited = cited_names(" ".join(dropped), exclude=[article.site or ""])
        cleaned.sources = list(dict.fromkeys([*cleaned.sources, *credited]))
    return cleaned


def without_legal_sentences(block: Block) -> str | None:
    """The line without its legal sentences; None when they are most of it."""
    if PLACE.search(block.context):
        return None
    if not mentions(block.text, CUES) or not LEGAL.search(block.text):
        return block.text
    parts = sentences(block.text)
    kept = [part for part in parts if not LEGAL.search(part)]
    if len(kept) <= len(parts) / 2:
        return None
    return " ".join(kept)
