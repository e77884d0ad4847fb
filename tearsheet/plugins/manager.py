"""The plugin manager: default and third-party plugins load the same way."""

import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pluggy

from tearsheet.plugins import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "tearsheet"


def new_plugin_manager() -> pluggy.PluginManager:
    """A manager with every installed plugin loaded from the entry points."""
    manager = pluggy.PluginManager("tearsheet")
    manager.add_hookspecs(hookspecs)
    manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return manager


@functools.cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager that commands and crawls use."""
    return new_plugin_manager()


def implementations(hook: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    """A hook's implementations in the order pluggy would call them."""
    return list(reversed(hook.get_hookimpls()))


def call_each(
    hook: pluggy.HookCaller, kwargs: dict[str, Any]
) -> Iterator[tuple[pluggy.HookImpl, Callable[[], Any]]]:
    """Yield each implementation with a thunk that calls it.

    Calling implementations one by one lets the processing path chain
    cleaners and record which plugin failed.
    """
    for impl in implementations(hook):
        arguments = {name: kwargs[name] for name in impl.argnames}
        yield impl, functools.partial(impl.function, **arguments)


def plugin_names(manager: pluggy.PluginManager) -> Iterable[str]:
    return sorted(name for name, _ in manager.list_name_plugin())
