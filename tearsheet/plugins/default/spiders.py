"""Default spiders, registered through the same hook a plugin's spiders use."""

from collections.abc import Callable

from tearsheet.plugins import hookimpl


@hookimpl
def register_spiders(register: Callable[[str, type], None]) -> None:
    from tearsheet.scrapers.site import SiteSpider

    register(SiteSpider.name, SiteSpider)
