"""Cleaner ``clean_captions``: figure captions and image credits.

Policy: the corpus keeps the article's prose, not its pictures, so a caption
(which describes an image the reader of the corpus cannot see) and an image
credit ("Photo: Jane Doe/Getty Images", "(Image credit: NASA)") are left
out. A line goes when it sits in a figure, figcaption or caption/credit box,
or when its words are a picture credit: a credit lead-in, or a short line
ending with a photo agency's name.
"""

import re
from collections.abc import Iterator, Sequence

from tearsheet.article import Article, Block
from tearsheet.cleaning.rules import class_hint, drop_blocks, whole_line, word_count
from tearsheet.plugins import hookimpl

PLACE = class_hint(
    r"fig(?:ure|caption)(?![\w-])",
    "caption",
    "wp-caption",
    "credit",
    "photo-?credit",
    "image-?credit",
    "media-?credit",
    "gallery",
)
LEAD_IN = whole_line(
    r"\(?(?:main |top |lead |header |featured |cover )?(?:image|photo|photograph|picture|pic|"
    r"illustration|artwork)s?(?: credits?| by| courtesy(?: of)?)?\s*[:|/]"
    r".{1,160}",
    r"\(?(?:credits?|courtesy(?: of)?)\s*:.{1,100}",
    r"(?:photo|image|picture)s? (?:by|via|courtesy of) .{1,100}",
)
AGENCY = re.compile(
    r"(?<![\w-])(?:getty images|shutterstock|istock(?:photo)?|alamy|unsplash|pexels|"
    r"ap photo|afp(?: via getty)?|epa(?:-efe)?|reuters|xinhua|sipa|zuma|imago|dpa|"
    r"wikimedia commons|pool)[\s)\].]*$",
    re.IGNORECASE,
)
PHOTO_CREDIT = re.compile(r"\((?:[\w .'-]+/)?(?:ap|afp|reuters|getty)[\w .'/-]*\)\s*$", re.I)
CREDIT_WORDS = 12


@hookimpl
def clean_article(article: Article) -> Article | None:
    return drop_blocks(article, caption_lines)


def caption_lines(blocks: Sequence[Block]) -> Iterator[int]:
    for index, block in enumerate(blocks):
        if PLACE.search(block.context) or _is_credit(block.text):
            yield index


def _is_credit(text: str) -> bool:
    if LEAD_IN.match(text):
        return True
    if PHOTO_CREDIT.search(text):
        return True
    return (
        word_count(text) <= CREDIT_WORDS
        and ("/" in text or "©" in text)
        and AGENCY.search(text) is not None
    )
