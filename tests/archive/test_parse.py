"""A capture's page is the tree trafilatura's own loader makes of it, faulty pages included."""

import pytest
from lxml import etree
from trafilatura.utils import load_html

from tearsheet.archive.capture import parse_html

# Faults past the first few kilobytes, where a check of the page's start would miss them.
FILLER = "<p>" + "Filler words for a long page. " * 200 + "</p>"

PAGES = {
    "plain": "<!DOCTYPE html><html><head><title>T</title></head><body><p>Plain.</p></body></html>",
    "control characters": f"<html><body>{FILLER}<p>Bell\x07 and form\x0cfeed.</p></body></html>",
    "null byte": f"<html><body>{FILLER}<p>Null\x00 byte.</p></body></html>",
    "non-characters": f"<html><body>{FILLER}<p>Odd \ufffe and \uffff marks.</p></body></html>",
    "xhtml doctype": (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"'
        ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        "<html><body><p>Strict.</p></body></html>"
    ),
    "self-closing html": '<html lang="en"/>\n<body><p>Closed too soon.</p></body>',
    "other charset declared": (
        '<html><head><meta charset="windows-1252"></head><body><p>Café, naïve — “quoted”.</p>'
        "</body></html>"
    ),
    "not html": "just some words, no markup at all",
    "lone surrogate": "<html><body><p>Broken \udc80 text.</p></body></html>",
}


def shape(tree: etree._Element | None) -> bytes | None:
    return None if tree is None else etree.tostring(tree, encoding="utf-8")


@pytest.mark.parametrize("name", PAGES)
def test_the_tree_is_the_one_trafilatura_makes(name: str) -> None:
    page = PAGES[name]
    assert shape(parse_html(page)) == shape(load_html(page))


def test_forbidden_characters_are_gone_and_the_text_is_kept() -> None:
    tree = parse_html(PAGES["control characters"])
    assert tree is not None
    assert tree.findall(".//p")[-1].text == "Bell and formfeed."


def test_a_declared_charset_does_not_garble_the_decoded_text() -> None:
    tree = parse_html(PAGES["other charset declared"])
    assert tree is not None
    assert tree.findtext(".//p") == "Café, naïve — “quoted”."
