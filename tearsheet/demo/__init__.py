"""The bundled demo news site: five outlets retelling one Reuters story.

Each outlet has its own template, with the boilerplate its seed text showed
leaking into extracted articles, so a crawl of the demo exercises extraction
and the boilerplate cleaners on pages whose true article text is known.

    with DemoSite() as site:
        crawl(site.start_urls)
"""

from tearsheet.demo.server import DemoArticle, DemoSite, Outlet

__all__ = ["DemoArticle", "DemoSite", "Outlet"]
