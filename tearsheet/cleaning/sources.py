"""Cleaner ``record_sources``: the outlets and bodies an article cites.

"…, according to Reuters", "told the BBC", "a report from the Financial
Times" credit another source for what the article says. The words stay in
the text; the names are added to ``Article.sources`` so a researcher can
trace syndicated and derived stories. A name is a run of capitalised words
after such a phrase, not an adjective before a noun ("according to U.S.
officials" names no one).
"""

import re
from collections.abc import Iterable

from tearsheet.article import Article
from tearsheet.plugins import hookimpl

NAME = (
    r"(?:the[ \t]+)?(?P<name>[A-Z][\w&’'.-]*"
    r"(?:[ \t]+(?:of[ \t]+|for[ \t]+|de[ \t]+)?[A-Z][\w&’'.-]*){0,5})"
)
# Each phrase starts with its anchor word, found with a plain substring search
# before the pattern is tried there: most of a text holds no attribution.
ATTRIBUTION = re.compile(
    r"(?:according to|via|citing|cited by|reported by|told|interview with|statement to|"
    r"(?:statement|report|reports|data|figures|analysis|survey|study|reporting) "
    r"(?:from|by|in|released by)|(?:published|appeared|reprinted|republished) (?:by|in|on|at))"
    r"[ \t]+" + NAME
)
ANCHORS = (
    "according to",
    "via ",
    "citing ",
    "cited by",
    "reported by",
    "told ",
    "interview with",
    "statement ",
    "report ",
    "reports ",
    "data ",
    "figures ",
    "analysis ",
    "survey ",
    "study ",
    "reporting ",
    "published ",
    "appeared ",
    "reprinted ",
    "republished ",
)
REPORTED = re.compile(r"[ \t](?:first |previously |also |earlier )?reported\b")
NAME_BEFORE = re.compile(NAME + r"$")
DATELINE = re.compile(
    r"(?m)^[A-Z][A-Z .'’-]+(?:,[\w .'’-]{1,30})?\s*\((?P<name>[A-Z][\w .&-]{0,30}[\w])\)\s*[-–—]"
)
# Capitalised words that start sentences but name no one.
NOT_NAMES = frozenset(
    {"he", "she", "it", "they", "we", "i", "you", "this", "that", "these", "those", "there"}
    | {"his", "her", "its", "their", "our", "a", "an", "the", "some", "many", "several"}
    | {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "most"}
    | {"all"}
)
# Lower-case words that may follow a name ("Reuters reported", "the BBC news site").
FOLLOWERS = frozenset(
    {"news", "newspaper", "agency", "magazine", "reported", "reports", "report", "said"}
    | {"says", "on", "in", "that", "and", "which", "who", "at", "as", "from", "data", "to"}
    | {"figures"}
)
POSSESSIVE = re.compile(r"[’']s$")


@hookimpl(trylast=True)
def clean_article(article: Article) -> Article | None:
    found = cited_names(article.text, exclude=[article.site or ""])
    new = [name for name in found if name not in article.sources]
    if not new:
        return None
    article.sources = [*article.sources, *new]
    return article


def cited_names(text: str, exclude: Iterable[str] = ()) -> list[str]:
    """Names credited in ``text``, in order of first mention, without ``exclude``."""
    excluded = {name.lower() for name in exclude if name}
    names: dict[str, None] = {}
    matches = [*DATELINE.finditer(text), *_attributions(text), *_reporters(text)]
    for match in sorted(matches, key=lambda match: match.start("name")):
        name = clean_name(match.group("name"))
        if name and name.lower() not in excluded and _not_adjective(text, match):
            names[name] = None
    return list(names)


def _attributions(text: str) -> list[re.Match[str]]:
    lowered = text.lower()
    found = []
    for anchor in ANCHORS:
        start = lowered.find(anchor)
        while start >= 0:
            at_word = start == 0 or not text[start - 1].isalnum()
            if at_word and (match := ATTRIBUTION.match(text, start)):
                found.append(match)
            start = lowered.find(anchor, start + 1)
    return found


def _reporters(text: str) -> list[re.Match[str]]:
    """ "Bloomberg reported": found from the verb back, as capitals are everywhere."""
    found = []
    for verb in REPORTED.finditer(text):
        window = max(0, verb.start() - 80)
        if name := NAME_BEFORE.search(text, window, verb.start()):
            found.append(name)
    return found


def clean_name(raw: str) -> str | None:
    """A cited name without a possessive or a sentence's final full stop."""
    name = POSSESSIVE.sub("", raw.strip()).rstrip(".,;:")
    if name.endswith(".") and name.count(".") == 1:
        name = name[:-1]
    if len(name) < 2 or name.lower() in NOT_NAMES:
        return None
    return name


def _not_adjective(text: str, match: re.Match[str]) -> bool:
    """False for "U.S. officials": a capitalised word followed by the noun it qualifies."""
    rest = text[match.end("name") :]
    following = re.match(r"[’']s\b|\s+([a-z]+)", rest)
    if following is None or following.group(1) is None:
        return True
    return following.group(1) in FOLLOWERS
