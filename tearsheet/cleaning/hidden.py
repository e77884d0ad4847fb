"""Hover cards: boxes a page tucks inside a sentence, shown only on mouse-over.

A politician's name in a story may carry a card with a photo and links to
their latest headlines (the name, then "Senators call for…", "Budget…"). The
card sits inside the paragraph it decorates, so once trafilatura has merged
it into the paragraph's text no line-level cleaner can take it out. It is
cut from the page before extraction: the innermost inline element inside a
paragraph that holds a picture and several links (a sentence holds neither).
trafilatura itself drops what the page hides with ``display: none`` or
``aria-hidden``.
"""

from copy import deepcopy

from lxml.etree import XPath
from lxml.html import HtmlElement

CARDS = XPath("//p//span[.//img and count(.//a) >= 2]")


def without_hover_cards(page: HtmlElement) -> HtmlElement:
    """The page without its hover cards: itself when it has none, else a copy.

    The parsed page is shared by every reader of a capture, so it is not
    changed; most pages have no card and are not copied (a copy costs
    about a tenth of an extraction).
    """
    found = CARDS(page)
    if not found:
        return page
    page = deepcopy(page)
    drop_hover_cards(page)
    return page


def drop_hover_cards(page: HtmlElement) -> None:
    """Remove hover cards in place, keeping the text that follows each."""
    found = CARDS(page)
    marked = set(found)
    for card in found:
        if not any(inner in marked for inner in card.iterdescendants("span")):
            card.drop_tree()
