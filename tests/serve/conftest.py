"""One demo crawl for the package, served as crawled, without stories and with them."""

from pathlib import Path

import pytest

from .archives import build_demo, with_stories, without_stories


@pytest.fixture(scope="package")
def crawled(tmp_path_factory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="package")
def demo(crawled, tmp_path_factory) -> Path:
    """The demo corpus before story detection."""
    return without_stories(crawled, tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="package")
def stories(crawled, tmp_path_factory) -> Path:
    return with_stories(crawled, tmp_path_factory.mktemp("stories"))
