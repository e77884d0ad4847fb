"""Plugin machinery: hook specifications, the manager and default plugins."""

from tearsheet.plugins.hookspecs import hookimpl

__all__ = ["hookimpl"]
