"""Cleaner ``clean_credits``: credit lines become authors, editors and sources.

"(Reporting by Jamal al-Badrani in Mosul; Editing by Diane Craft)" names
who wrote and who edited the story; "Source: Al Jazeera" or "— Reuters"
names where it came from; an outlet's name left alone under the story says
the same. These lines are metadata, not prose: they leave the text and fill
``authors``, ``editors`` and ``sources``. (A sentence that credits a source,
"This article references reports from Reuters.", is prose and stays: see
``record_sources``.) Runs after the other cleaners so that a name left last by a
removed share bar or comment form is seen as the closing line it now is.
"""

import re
from dataclasses import replace

from tearsheet.article import Article, Block
from tearsheet.cleaning.sources import clean_name
from tearsheet.plugins import hookimpl

AUTHOR_ROLES = ("reporting", "writing", "written", "compiled", "research", "contributing")
EDITOR_ROLES = ("editing", "edited", "sub-editing", "fact-checking", "produced")
OTHER_ROLES = ("graphics", "photos", "photo", "photography", "video", "design")
ROLE = "|".join(AUTHOR_ROLES + EDITOR_ROLES + OTHER_ROLES)
ROLE_BY = rf"(?:(?:and|with)\s+)*(?:additional\s+)?(?:{ROLE})(?:\s+and\s+\w+)?\s+by\s+"
CREDIT_LINE = re.compile(rf"^[\s(\[]*{ROLE_BY}.+$", re.IGNORECASE)
TRAILING_CREDIT = re.compile(rf"\s*\(\s*{ROLE_BY}[^()]+\)\s*$", re.IGNORECASE)
SEGMENT = re.compile(
    rf"^\s*(?:(?:and|with)\s+)*(?:additional\s+)?(?P<role>{ROLE})(?:\s+and\s+\w+)?\s+by\s+"
    r"(?P<names>.+)$",
    re.IGNORECASE,
)
SEGMENT_SPLIT = re.compile(rf";|,\s*(?={ROLE_BY})", re.IGNORECASE)
NAME_SPLIT = re.compile(r",\s*|\s+and\s+|\s*&\s*")
PLACE_SUFFIX = re.compile(r"\s+(?:in|from)\s+[A-Z].*$")
SOURCE_LINE = re.compile(
    r"^[\s(\[]*(?:sources?|via|courtesy(?: of)?)\s*:\s*(?P<names>[^()]{2,120}?)[\s.)\]]*$",
    re.IGNORECASE,
)
AGENCY_LINE = re.compile(r"^[\s(\[]*[-–—]+\s*(?P<names>[A-Z][\w .&'-]{1,40}?)[\s.)\]]*$")
OUTLET_WORDS = 3
NAME_WORDS = 4
OUTLET = re.compile(r"^[^\W\d_][\w .&'’-]*$")
SENTENCE_ENDS = (".", "!", "?", "”", '"', "’", ")")


@hookimpl(trylast=True)
def clean_article(article: Article) -> Article | None:
    blocks = article.paragraphs()
    authors, editors, sources = list(article.authors), list(article.editors), []
    kept: list[Block] = []
    cut = False
    for block in blocks:
        text = block.text
        if (trailing := TRAILING_CREDIT.search(text)) and (
            credited := read_credit(trailing.group().strip(" ()"))
        ):
            cut = True
            authors.extend(credited[0])
            editors.extend(credited[1])
            text = text[: trailing.start()].rstrip()
            block = replace(block, text=text)
        if CREDIT_LINE.match(text) and (credited := read_credit(text.strip(" ()[]."))):
            authors.extend(credited[0])
            editors.extend(credited[1])
        elif match := SOURCE_LINE.match(text) or (block.kind != "item" and AGENCY_LINE.match(text)):
            sources.extend(_names(match.group("names")))
        elif text:
            kept.append(block)
    if _ends_with_outlet(kept, article):
        last = kept.pop()
        if not _same(last.text, article.site):
            sources.append(last.text.strip(" .-–—"))
    if len(kept) == len(blocks) and not sources and not cut:
        return None
    article.authors = _unique(authors)
    article.editors = _unique(editors)
    article.sources = _unique([*article.sources, *sources])
    return article.set_blocks(kept)


def read_credit(line: str) -> tuple[list[str], list[str]] | None:
    """(authors, editors) named by a credit line; None if a part of it names no one.

    "Reporting by the BBC has shown that…" opens like a credit but is a
    sentence: its "names" are not names, so the line is left alone.
    """
    authors: list[str] = []
    editors: list[str] = []
    for segment in SEGMENT_SPLIT.split(line):
        match = SEGMENT.match(segment)
        if match is None:
            return None
        names = _names(match.group("names"))
        if not names:
            return None
        role = match.group("role").lower()
        if role in AUTHOR_ROLES:
            authors.extend(names)
        elif role in EDITOR_ROLES:
            editors.extend(names)
    return authors, editors


def _names(text: str) -> list[str]:
    """Names in a credit: each starts with a capital and has at most four words."""
    found = []
    for part in NAME_SPLIT.split(text.strip(" .;)")):
        name = clean_name(PLACE_SUFFIX.sub("", part.strip()))
        if name is None or not name[0].isupper() or len(name.split()) > NAME_WORDS:
            return []
        found.append(name)
    return found


def _ends_with_outlet(blocks: list[Block], article: Article) -> bool:
    """A last line of a few capitalised words after a finished sentence: an outlet's name.

    Syndicated stories end with their origin ("Al Jazeera") once the share
    bar under it is gone; an author's name there is a signature, not a source.
    """
    if len(blocks) < 2 or blocks[-1].kind != "paragraph":
        return False
    last = blocks[-1].text.strip(" .-–—")
    words = last.split()
    return (
        0 < len(words) <= OUTLET_WORDS
        and OUTLET.match(last) is not None
        and all(word[0].isupper() for word in words if word[0].isalpha())
        and blocks[-2].text.rstrip().endswith(SENTENCE_ENDS)
        and not any(_same(last, name) for name in article.authors)
    )


def _same(text: str, name: str | None) -> bool:
    return bool(name) and _squeezed(text) == _squeezed(name or "")


def _squeezed(text: str) -> str:
    return "".join(re.findall(r"\w+", text.lower()))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(_squeezed(name), name)
    return list(seen.values())
