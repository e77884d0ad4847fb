"""Cleaner ``clean_bylines``: reading times, stray date stamps and byline leftovers.

The lines around a headline ("2 minutes", "By Jane Doe", "date 2024-04-22",
"Updated at 1:23 p.m.", the headline itself again) and the filing notes
under an article ("Filed under: Politics", "Tags: …") repeat metadata the
article already holds. They go when they stand on their own line at the
start or the end of the article, and so does what precedes the headline
(page furniture, when it is short or outside the article's container) and a
one-sentence subtitle that repeats the page's description. A news dateline
("MOSUL, Iraq (Reuters) -") opens a sentence of the article and stays; so
does a bare time ("10 p.m.") heading a section of a live report.
"""

import re
from collections.abc import Sequence
from dataclasses import replace

from tearsheet.article import Article, Block
from tearsheet.cleaning.rules import class_hint, near_edges, rewrite_blocks, whole_line, word_count
from tearsheet.plugins import hookimpl

EDGE = 4
MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|janeiro|fevereiro|março|abril|"
    r"maio|junho|julho|agosto|setembro|outubro|novembro|dezembro|enero|febrero|marzo|mayo|"
    r"junio|julio|septiembre|octubre|noviembre|diciembre|janvier|février|mars|avril|mai|juin|"
    r"juillet|août|septembre|octobre|novembre|décembre|januar|februar|märz|juni|juli|oktober|"
    r"dezember|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
)
WEEKDAYS = (
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|"
    r"sun(?:day)?|segunda|terça|quarta|quinta|sexta|sábado|domingo|(?:-)?feira|lunes|martes|"
    r"miércoles|jueves|viernes|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|"
    r"dienstag|mittwoch|donnerstag|freitag|samstag|sonntag"
)
STAMP_WORDS = (
    r"date[ds]?|published|updated|posted|modified|last updated|first published|created|"
    r"publicado|actualizado|atualizado|publié|mis à jour|veröffentlicht|aktualisiert|"
    r"pubblicato|aggiornato|diterbitkan|on|at|am|pm|a\.m|p\.m|às|de|del|le|um|gmt|utc|"
    r"[ecmp][sd]t|bst|cet|cest|ist|ist|z|th|st|nd|rd"
)
STAMP_TOKEN = re.compile(
    rf"\b(?:{MONTHS}|{WEEKDAYS}|{STAMP_WORDS})\b\.?|\d+|[\s,.:/|·•\-–—()+]+", re.IGNORECASE
)
DATE_PART = re.compile(rf"\d{{4}}|\b(?:{MONTHS})\b|\d{{1,2}}[/.-]\d{{1,2}}", re.IGNORECASE)
STAMP_LABEL = re.compile(
    r"^\W*(?:updated|published|posted|last updated|modified|first published)\b", re.IGNORECASE
)
LEADING_STAMP = re.compile(
    r"^\s*(?:date|published|updated|posted)?:?\s*"
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?\s+",
    re.IGNORECASE,
)
READING_TIME = whole_line(
    r"(?:reading time|read time|time to read|estimated reading time|tempo de leitura|"
    r"tiempo de lectura|temps de lecture|lesezeit|tempo di lettura|leestijd)?\s*:?\s*"
    r"(?:about |approx\.? |~)?(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"less than (?:a|one|\d+))\s*-?\s*(?:min(?:ute)?s?|minut[eoi]s?|minuten|mins?\.?)"
    r"(?: (?:read|reading|de leitura|de lectura|de lecture|lesezeit|di lettura))?(?: time)?",
)
BYLINE = re.compile(
    r"^[\W_]*(?i:by|written by|posted by|story by|words by|text by|reported by|author|authors|"
    r"von|por|oleh)\b:?\s+[A-ZÀ-Þ].{0,80}$"
)
FILING = whole_line(
    r"(?:filed under|posted in|tags?|tagged(?: with)?|categor(?:y|ies)|topics?|"
    r"more about|keywords)\s*:.{0,200}",
    r"(?:filed under|posted in|tagged) .{0,120}",
)
PLACE = class_hint(
    "byline",
    "author",
    "dateline-?stamp",
    "timestamp",
    "published",
    "posted-?on",
    "entry-?meta",
    "post-?meta",
    "article-?meta",
    "meta-?data",
    "tags",
    "categories",
    "reading-?time",
    "read-?time",
)
HEADLINE = re.compile(r"(?:^|\s)h1(?:[.#][^\s]*)?$")
BYLINE_WORDS = 12
CHROME_CHARS = 200
SUBTITLE_WORDS = 30


@hookimpl
def clean_article(article: Article) -> Article | None:
    title = _squeezed(article.title or "")
    description = _squeezed(article.description or "")
    authors = {_squeezed(name) for name in article.authors}

    def is_headline(block: Block) -> bool:
        return bool(title and _squeezed(block.text) == title) or bool(
            HEADLINE.search(block.context)
        )

    blocks = article.paragraphs()
    headline = next((i for i, block in enumerate(blocks[:EDGE]) if is_headline(block)), 0)
    before_headline = all(block.outside for block in blocks[:headline]) or (
        sum(len(block.text) for block in blocks[:headline]) <= CHROME_CHARS
    )

    def rewrite(blocks: Sequence[Block], index: int) -> str | None:
        block = blocks[index]
        if not near_edges(blocks, index, EDGE, EDGE) or block.kind == "row":
            return block.text
        if index < headline and before_headline:
            return None
        text = LEADING_STAMP.sub("", block.text) if index < EDGE else block.text
        squeezed = _squeezed(text)
        if (
            (index < EDGE and (is_headline(replace(block, text=text)) or squeezed in authors))
            or (index < EDGE and _is_subtitle(block, description))
            or (index >= EDGE and squeezed in authors)
            or is_byline_matter(block)
        ):
            return None
        return text

    return rewrite_blocks(article, rewrite)


def is_byline_matter(block: Block) -> bool:
    text = block.text
    return bool(
        PLACE.search(block.context)
        or READING_TIME.match(text)
        or FILING.match(text)
        or is_date_stamp(text)
        or (word_count(text) <= BYLINE_WORDS and BYLINE.match(text) and not _sentence(text))
    )


def is_date_stamp(text: str) -> bool:
    """A line of nothing but a date and time, maybe labelled ("Updated: 18 Nov 2019, 10:02").

    A bare time ("10 p.m.") may head a section of a live report, so a time
    counts only with a date or a label ("Updated at 1:23 p.m.").
    """
    return (
        len(text) <= 80
        and (DATE_PART.search(text) is not None or STAMP_LABEL.match(text) is not None)
        and not STAMP_TOKEN.sub("", text).strip()
    )


def _is_subtitle(block: Block, description: str) -> bool:
    """A one-sentence heading under the headline that repeats the page's description."""
    return (
        block.kind == "heading"
        and word_count(block.text) <= SUBTITLE_WORDS
        and _squeezed(block.text) == description
    )


def _sentence(text: str) -> bool:
    """Whether the words read as a sentence of the article (a verb after "by …")."""
    return text.rstrip().endswith((".", "!", "?")) and word_count(text) > 6


def _squeezed(text: str) -> str:
    return "".join(re.findall(r"\w+", text.lower()))
