"""Loopback and private addresses are off limits unless --allow-private says otherwise."""

from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from servers import Route, html_page, serve

from tearsheet.scrapers.addresses import PrivateAddressMiddleware, is_private

POLITE = [flag for flag in FAST_CRAWL if flag != "--allow-private"] + ["--retries", "0"]


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("10.0.0.7", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("[::1]", True),
        ("fe80::1", True),
        ("100.64.0.1", True),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
        ("news.example", False),
    ],
)
def test_which_addresses_are_private(address: str, private: bool) -> None:
    assert is_private(address) is private


@pytest.mark.slow
def test_a_name_that_resolves_to_loopback_is_refused(tmp_path: Path) -> None:
    with serve({"/": Route(html_page("Home", ["Hello."]))}) as server:
        port = server.url.rsplit(":", 1)[1]
        result = run_tearsheet("crawl", *POLITE, f"http://localhost:{port}/", "-o", str(tmp_path))
        requested = list(server.requests)
    assert result.returncode == 0, result.stderr
    assert requested == []  # nothing reached the loopback server
    errors = list(sqlite_utils.Database(tmp_path / "corpus.db")["errors"].rows)
    assert errors and all(e["kind"] == "private_address" for e in errors)
    assert "resolves to 127.0.0.1" in errors[0]["message"]


def test_a_redirect_hop_to_a_private_address_is_refused() -> None:
    """Every hop passes the downloader middlewares again, the guard among them."""
    first = Request("https://news.example/story")
    hop = first.replace(url="http://169.254.169.254/latest/meta-data/")
    PrivateAddressMiddleware().process_request(first)  # a public name: let through
    with pytest.raises(IgnoreRequest, match="169.254.169.254 is a private address"):
        PrivateAddressMiddleware().process_request(hop)
