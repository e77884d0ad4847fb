"""Cleaner ``clean_comments``: comment sections, forms and their counters.

Readers' comments are not the article, and a form's labels ("Leave a Reply",
"Please fill the fields below.", "Name *", "Search For Keyword.") and
counters ("Total Comments (0)") are template, as is an invitation to write
in. A line goes when its element sits in a comment section or a form, or
when its words are one of those labels; a comment-section heading in the
last part of the article takes the rest of the article with it.
"""

import re
from collections.abc import Iterator, Sequence

from tearsheet.article import Article, Block
from tearsheet.cleaning.rules import class_hint, drop_blocks, tail_shares, whole_line, word_count
from tearsheet.plugins import hookimpl

PLACE = class_hint(
    r"comment(?!ary)", "disqus", "respond", "reply", "replies", "discussion", r"form(?![\w-])"
)
SECTION_HEADING = whole_line(
    r"(?:leave|post|add|write|submit|share) (?:a|your) (?:reply|comment|response|thoughts)",
    r"(?:\d+|no|one|total) (?:comments?|responses?|replies|reactions)(?: so far)?",
    r"(?:total )?comments?(?: about this (?:article|story|post))?(?: \(\d+\))?",
    r"(?:join|start) the (?:discussion|conversation|debate)",
    r"(?:tell us|let us know) what (?:you|u) think",
    r"what do you think",
    r"have your say",
    r"readers?'? comments",
)
FORM_LABEL = whole_line(
    r"please fill (?:in )?(?:the|all) (?:fields|form)(?: below)?",
    r"your email address will not be published.*",
    r"required fields are marked.*",
    r"you must be logged in to (?:post|leave) a comment.*",
    r"(?:log ?in|sign in|register) to (?:post|leave|add) (?:a )?comments?",
    r"save my name, email,? and website.*",
    r"notify me of (?:follow-up comments|new posts).*",
    r"(?:show|view|load|read|hide|see all) (?:\d+ )?comments?(?: \(\d+\))?",
    r"comments? (?:are|is) closed.*",
    r"comments?:? \(?\d+\)?",
    r"(?:name|e-?mail|website|comment|message)\s*\*",
    r"\*\s*\w+(?: \w+){0,3}",
    r"(?:post|submit|send) comment",
    r"cancel reply",
    r"search(?: for)?(?: (?:a )?keywords?)?(?: here)?",
    r"(?:type|enter) (?:here )?(?:to search|(?:your )?(?:search terms?|keywords?))",
)
FEEDBACK = re.compile(
    r"\b(?:we['’]?d|we would) (?:like|love) to hear (?:from you|what you think|your)|"
    r"\b(?:let us know|tell us) (?:what you think|in the comments)|"
    r"\bsend us (?:your )?(?:thoughts|feedback|letters|comments)|"
    r"\b(?:write|send) a letter to the editor|\bletters to the editor\b",
    re.IGNORECASE,
)
FEEDBACK_WORDS = 60
TAIL_SHARE = 0.3


@hookimpl
def clean_article(article: Article) -> Article | None:
    return drop_blocks(article, comment_lines)


def comment_lines(blocks: Sequence[Block]) -> Iterator[int]:
    shares = tail_shares(blocks)
    for index, block in enumerate(blocks):
        if _opens_comments(block, shares[index]):
            yield from range(index, len(blocks))
            return
        if PLACE.search(block.context) or FORM_LABEL.match(block.text) or _asks_feedback(block):
            yield index


def _opens_comments(block: Block, share_from_here: float) -> bool:
    """A comment-section heading with little but comments after it."""
    return (
        share_from_here <= TAIL_SHARE
        and word_count(block.text) <= 8
        and SECTION_HEADING.match(block.text) is not None
    )


def _asks_feedback(block: Block) -> bool:
    """A short note inviting comments or letters ("We'd like to hear what you think")."""
    return word_count(block.text) <= FEEDBACK_WORDS and FEEDBACK.search(block.text) is not None
