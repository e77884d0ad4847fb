"""Capture: one archived HTTP response as the processing path sees it."""

from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import charset_normalizer
from w3lib.encoding import html_to_unicode

if TYPE_CHECKING:
    from lxml.html import HtmlElement, HTMLParser

T = TypeVar("T")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# The control characters XML forbids (tab, newline and carriage return aside).
FORBIDDEN_BYTES = bytes(range(32)).translate(None, b"\t\n\r")
FORBIDDEN_UTF8 = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE and U+FFFF


def sniff_encoding(body: bytes) -> str | None:
    """Used only when neither header, BOM nor meta names a charset."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body[:65536]).best()
    return best.encoding if best is not None else None


def parse_html(text: str) -> "HtmlElement | None":
    """The tree trafilatura's ``load_html`` makes of a page, at a third less of its cost.

    ``load_html`` first deletes the characters XML forbids with a regular
    expression over the whole page, which costs half as much as parsing it,
    though few pages hold one. Their absence is checked on the UTF-8 bytes
    instead, and when the page also has neither of the doctype and
    ``<html/>`` faults ``load_html`` repairs, those bytes are parsed as it
    parses them. Any other page goes through ``load_html`` itself.
    """
    from lxml.html import fromstring
    from trafilatura.utils import load_html, repair_faulty_html

    beginning, head = text[:50].lower(), text[:4096]
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: load_html knows what to do
        return load_html(text)
    clean = len(data.translate(None, FORBIDDEN_BYTES)) == len(data)
    clean = clean and not any(mark in data for mark in FORBIDDEN_UTF8)
    if clean and "html" in beginning and repair_faulty_html(head, beginning) == head:
        tree = fromstring(data, parser=_page_parser())
        if tree is not None and len(tree) > 0:
            return tree
    return load_html(text)


@cache
def _page_parser() -> "HTMLParser":
    """trafilatura's HTML parser, with lxml's own lookup of the element classes.

    ``lxml.html``'s parser calls a Python function for each element it hands
    out, millions of calls when learning and cleaning walk every page; this
    one gives the same ``HtmlElement`` class from C. Only ``<form>`` and its
    fields lose their own classes (``.fields``, ``.value``), which nothing here reads.
    """
    from lxml import etree, html
    from trafilatura.utils import HTML_PARSER

    parser = HTML_PARSER.copy()
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=html.HtmlElement,
            comment=html.HtmlComment,
            pi=html.HtmlProcessingInstruction,
            entity=html.HtmlEntity,
        )
    )
    return parser


@dataclass(frozen=True)
class Capture:
    """A response or revisit record read back from a WARC file.

    ``body`` is the payload with transfer and content encodings undone, so
    extractors see the document; the WARC keeps the bytes as sent. For a
    revisit, ``body`` is the payload of the original it ``refers_to``.
    """

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: str
    warc_file: str
    warc_offset: int
    warc_length: int
    warc_record_id: str
    payload_digest: str | None
    record_type: str = "response"
    refers_to: str | None = None
    truncated: str | None = None  # WARC-Truncated: why the record holds part of the response

    def header(self, name: str) -> str | None:
        """First value of a response header, matched case-insensitively."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def content_type(self) -> str | None:
        """Media type without parameters, lower-cased (``text/html``)."""
        raw = self.header("Content-Type")
        if not raw:
            return None
        return raw.split(";", 1)[0].strip().lower() or None

    @property
    def charset(self) -> str | None:
        """Charset declared in the Content-Type header, if any."""
        raw = self.header("Content-Type")
        if not raw:
            return None
        message = Message()
        message["Content-Type"] = raw
        charset = message.get_param("charset")
        return charset.strip().lower() if isinstance(charset, str) else None

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES

    @property
    def blank(self) -> bool:
        """Whether the body is empty or white space only (``strip`` would copy it)."""
        return not self.body or self.body.isspace()

    @cached_property
    def encoding_and_text(self) -> tuple[str, str]:
        """The body decoded as a browser would: BOM, header, meta, then sniffing."""
        return html_to_unicode(
            self.header("Content-Type"), self.body, auto_detect_fun=sniff_encoding
        )

    @property
    def text(self) -> str:
        return self.encoding_and_text[1]

    @cached_property
    def page(self) -> "HtmlElement | None":
        """The text parsed as HTML (trafilatura's parser), once for every reader.

        Template learning, page classification and extraction each need the
        tree; parsing costs as much as a fifth of extracting. Shared, so read
        it only: a reader that changes the tree works on ``copy.deepcopy``.
        """
        return parse_html(self.text)

    def derived(self, name: str, compute: "Callable[[HtmlElement | None], T]") -> T:
        """``compute(self.page)``, worked out once for every reader and freed with the tree.

        For what more than one step reads off the whole page (template
        learning and finding each article line's origin both walk all its
        text): the first step to ask works it out.
        """
        found = self.__dict__.setdefault("_derived", {})
        if name not in found:
            found[name] = compute(self.page)
        return found[name]

    def forget_page(self) -> None:
        """Free the parsed tree (several times the page's size); it is parsed again if asked for.

        A worker processes a batch of pages before writing their rows: without
        this, every page of the batch kept its tree until the batch was written.
        What was ``derived`` from it goes too.
        """
        self.__dict__.pop("page", None)
        self.__dict__.pop("_derived", None)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to a worker process) without the parsed tree: it is parsed there."""
        return {
            key: value for key, value in self.__dict__.items() if key not in ("page", "_derived")
        }
