"""Keeping a crawl off loopback, private and link-local addresses unless allowed.

A crawl that follows links and redirects can be steered at the machine it
runs on or at the operator's own network. Without ``--allow-private``,
requests to such addresses are refused: IP literals here, and names when
they resolve (so a public name or a redirect cannot lead there either).
"""

import ipaddress
from collections.abc import Sequence

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

HINT = "pass --allow-private to crawl it"


def is_private(address: str) -> bool:
    """Loopback, private, link-local, shared, reserved: anything not on the public internet."""
    try:
        return not ipaddress.ip_address(address.strip("[]")).is_global
    except ValueError:
        return False


class PrivateAddressError(DNSLookupError):
    """A name that resolves to a private address."""


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's resolver, refusing names that resolve to private addresses.

    Twisted turns any failed lookup into a plain "no results" error on the
    way to the request, so the refusals are also kept here, by name, for the
    spider to report with their reason.
    """

    refused: dict[str, str] = {}

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802
        return super().getHostByName(name, timeout).addCallback(self._refuse_private, name)

    @staticmethod
    def _refuse_private(address: str, name: str) -> str:
        if is_private(address):
            reason = f"{name} resolves to {address}, a private address: {HINT}"
            PublicOnlyResolver.refused[name] = reason
            raise PrivateAddressError(reason)
        return address


class PrivateAddressMiddleware:
    """Refuses requests to private IP literals (redirects included)."""

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlparse_cached(request).hostname or ""
        if is_private(host):
            raise IgnoreRequest(f"{host} is a private address: {HINT}")
