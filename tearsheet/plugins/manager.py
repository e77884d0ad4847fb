"""The plugin manager: default and third-party plugins load the same way.

Plugins come from the ``tearsheet`` entry-point group (tearsheet's own
default plugins among them) and, when asked, from single ``.py`` files in a
plugins directory. A plugin that fails to import or to register is named in a
warning and left out; the others load.

The environment chooses what loads, so that every part of a run sees the
same plugins:

- ``TEARSHEET_LOAD_PLUGINS``: comma-separated names; only these third-party
  plugins load (an empty value loads none). tearsheet's own always load.
- ``TEARSHEET_DISABLE_PLUGINS``: comma-separated names of plugins to block,
  tearsheet's own included (``--disable-plugin``).
- ``TEARSHEET_PLUGINS_DIR``: a directory of single-file plugins (``--plugins-dir``).
"""

import functools
import importlib.util
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

from tearsheet.plugins import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "tearsheet"
OWN_DISTRIBUTION = "tearsheet"
LOAD_PLUGINS = "TEARSHEET_LOAD_PLUGINS"
DISABLE_PLUGINS = "TEARSHEET_DISABLE_PLUGINS"
PLUGINS_DIR = "TEARSHEET_PLUGINS_DIR"


def _names(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(name.strip() for name in value.split(",") if name.strip())


@dataclass(frozen=True)
class PluginChoice:
    """Which plugins to load: read from the environment by default."""

    only: frozenset[str] | None = None
    disabled: frozenset[str] = frozenset()
    plugins_dir: Path | None = None

    @classmethod
    def from_environment(cls) -> "PluginChoice":
        directory = os.environ.get(PLUGINS_DIR)
        return cls(
            only=_names(os.environ.get(LOAD_PLUGINS)),
            disabled=_names(os.environ.get(DISABLE_PLUGINS)) or frozenset(),
            plugins_dir=Path(directory) if directory else None,
        )


@dataclass
class PluginOrigin:
    """Where a loaded plugin came from, for ``tearsheet plugins``."""

    source: str  # "default", "entry point" or "plugins dir"
    version: str | None = None
    distribution: str | None = None


@dataclass
class Loaded:
    """What loading found: origins of the plugins in, problems of those left out."""

    origins: dict[str, PluginOrigin] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    choice: PluginChoice = field(default_factory=PluginChoice)  # to load the same elsewhere


def new_plugin_manager(choice: PluginChoice | None = None) -> pluggy.PluginManager:
    """A manager with every chosen plugin loaded; see ``loaded(manager)``."""
    choice = choice or PluginChoice.from_environment()
    manager = pluggy.PluginManager("tearsheet")
    manager.add_hookspecs(hookspecs)
    for name in choice.disabled:
        manager.set_blocked(name)
    record = Loaded(choice=choice)
    manager.tearsheet_loaded = record  # type: ignore[attr-defined]
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist.name if entry_point.dist else None
        own = distribution == OWN_DISTRIBUTION
        if (
            not own
            and choice.only is not None
            and not {entry_point.name, distribution} & choice.only
        ):
            continue
        origin = PluginOrigin(
            "default" if own else "entry point",
            entry_point.dist.version if entry_point.dist else None,
            distribution,
        )
        _register(manager, entry_point.name, origin, record, entry_point.load)
    if choice.plugins_dir is not None:
        for path in sorted(choice.plugins_dir.glob("*.py")):
            if choice.only is None or path.stem in choice.only:
                loader = functools.partial(_load_file, path)
                _register(manager, path.stem, PluginOrigin("plugins dir"), record, loader)
    _warn_about_competing_extractors(manager, record)
    for problem in record.problems:
        log.warning(problem)
    return manager


def _register(
    manager: pluggy.PluginManager,
    name: str,
    origin: PluginOrigin,
    record: Loaded,
    load: Callable[[], Any],
) -> None:
    if manager.is_blocked(name) or manager.has_plugin(name):
        return
    try:
        plugin = load()
        manager.register(plugin, name=name)
    except Exception as exc:  # a broken plugin must not stop the others
        record.problems.append(
            f"plugin {name!r} was not loaded: {type(exc).__name__}: {' '.join(str(exc).split())}"
        )
        return
    record.origins[name] = origin


def _load_file(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"tearsheet_plugins_dir.{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _warn_about_competing_extractors(manager: pluggy.PluginManager, record: Loaded) -> None:
    """Several extractors may claim one page: say at start-up which goes first."""
    extractors = [impl.plugin_name for impl in implementations(manager.hook.extract_article)]
    third_party = [
        n for n in extractors if record.origins.get(n, PluginOrigin("")).source != "default"
    ]
    if len(third_party) > 1:
        record.problems.append(
            "plugins "
            + ", ".join(repr(n) for n in third_party)
            + " all implement extract_article; for each page the first that returns an"
            f" article wins, in this order: {', '.join(extractors)}"
        )


def loaded(manager: pluggy.PluginManager) -> Loaded:
    """The origins and load problems recorded by ``new_plugin_manager``."""
    return getattr(manager, "tearsheet_loaded", Loaded())


_current: pluggy.PluginManager | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager that commands and crawls use."""
    global _current
    if _current is None:
        _current = new_plugin_manager()
    return _current


def use_plugins(choice: PluginChoice) -> pluggy.PluginManager:
    """Reload the process-wide plugins with a crawl file's choice added to the environment's."""
    global _current
    base = PluginChoice.from_environment()
    merged = PluginChoice(
        only=choice.only if choice.only is not None else base.only,
        disabled=base.disabled | choice.disabled,
        plugins_dir=choice.plugins_dir or base.plugins_dir,
    )
    _current = new_plugin_manager(merged)
    return _current


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


def plugin_table(manager: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Every loaded plugin with its origin, version and hooks, sorted by name."""
    origins = loaded(manager).origins
    rows = []
    for name, plugin in manager.list_name_plugin():
        if plugin is None:  # a blocked name
            continue
        origin = origins.get(name, PluginOrigin("registered"))
        hooks = sorted(caller.name for caller in manager.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "source": origin.source,
                "distribution": origin.distribution,
                "version": origin.version,
                "hooks": hooks,
            }
        )
    return sorted(rows, key=lambda row: row["name"])
