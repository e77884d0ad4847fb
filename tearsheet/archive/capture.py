"""Capture: one archived HTTP response as the processing path sees it."""

from dataclasses import dataclass
from email.message import Message
from functools import cached_property
from typing import TYPE_CHECKING, Any

import charset_normalizer
from w3lib.encoding import html_to_unicode

if TYPE_CHECKING:
    from lxml.html import HtmlElement

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def sniff_encoding(body: bytes) -> str | None:
    """Used only when neither header, BOM nor meta names a charset."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body[:65536]).best()
    return best.encoding if best is not None else None


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
        from trafilatura.utils import load_html

        return load_html(self.text)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to a worker process) without the parsed tree: it is parsed there."""
        return {key: value for key, value in self.__dict__.items() if key != "page"}
