"""The article a page yields: what extractors produce and cleaners refine."""

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Article:
    """One news article as extracted from one capture.

    Cleaners may change any field; exporters store them. ``text`` holds the
    article body as paragraphs separated by newlines.
    """

    url: str
    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    language: str | None = None
    site: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
