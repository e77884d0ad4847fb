"""Cleaner ``clean_subscriptions``: newsletter, subscription and sign-up prompts.

"Sign up for our daily newsletter", "Subscribe to the Courier's newsletters",
"Already a subscriber? Log in" sell the publication, not the story. A line
goes when it sits in a newsletter, subscription or paywall box, or when one
of its sentences makes such an offer and the line is short enough to be a
prompt rather than an article paragraph that mentions one.
"""

import re
from collections.abc import Iterator, Sequence

from tearsheet.article import Article, Block
from tearsheet.cleaning.rules import class_hint, drop_blocks, mentions, sentences, word_count
from tearsheet.plugins import hookimpl

PLACE = class_hint(
    "newsletter",
    "subscri",
    "sign-?up",
    "signup",
    "paywall",
    "regwall",
    "piano",
    "optin",
    "opt-in",
    "mailchimp",
    "mc4wp",
    "membership",
    "inline-?promo",
)
OFFER = re.compile(
    "|".join(
        [
            r"(?:^|[.!?]\s)\W*(?:sign ?up|subscribe|register|join|get|receive|start your day)\b.*"
            r"\b(?:newsletters?|inbox|e-?mails?|updates|alerts|briefing|digest)\b",
            r"(?:^|[.!?]\s)\W*subscribe (?:to|for|now|today|here)\b",
            r"\b(?:get|receive|delivered|sent|sign up|subscribe)\b[^.!?]{0,80}"
            r"\b(?:in|to|into|through) your (?:inbox|letterbox|mailbox)\b",
            r"\bdelivered (?:straight |directly |right )?(?:to|into|through) your\b",
            r"\balready (?:a subscriber|have an account|registered)\b",
            r"\b(?:log ?in|sign in|register|subscribe) to (?:continue|keep) reading\b",
            r"(?:^|[.!?]\s)\W*(?:get|gain|unlock) (?:full |unlimited |instant )?access to\b",
            r"\b(?:support|fund) (?:our|independent|quality) journalism\b",
            r"\bbecome a (?:member|subscriber|supporter|patron)\b",
            r"\bclick here (?:to subscribe|for more information)\b",
        ]
    ),
    re.IGNORECASE,
)
CUES = (
    "newsletter",
    "inbox",
    "mail",
    "updates",
    "alerts",
    "briefing",
    "digest",
    "subscri",
    "letterbox",
    "delivered",
    "already",
    "reading",
    "access to",
    "journalism",
    "become a",
    "click here",
)
HEADING = re.compile(r"\bnewsletters?\b", re.IGNORECASE)
HEADING_WORDS = 6
PROMPT_WORDS = 60


@hookimpl
def clean_article(article: Article) -> Article | None:
    return drop_blocks(article, subscription_lines)


def subscription_lines(blocks: Sequence[Block]) -> Iterator[int]:
    for index, block in enumerate(blocks):
        if PLACE.search(block.context) or _is_offer(block.text):
            yield index


def _is_offer(text: str) -> bool:
    """A short line with an offer, or a longer one made of offers only."""
    if word_count(text) <= HEADING_WORDS and HEADING.search(text):
        return True
    if not mentions(text, CUES) or not OFFER.search(text):
        return False
    parts = sentences(text)
    offers = sum(1 for part in parts if OFFER.search(part))
    return offers > 0 and (word_count(text) <= PROMPT_WORDS or offers == len(parts))
