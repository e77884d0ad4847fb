"""``tearsheet plugins new``: a plugin package that installs, loads and passes its test."""

import re
from pathlib import Path
from string import Template

NAME = re.compile(r"^[a-z][a-z0-9_-]{1,40}$")


class PluginNameError(ValueError):
    pass


PYPROJECT = Template("""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "tearsheet-$name"
version = "0.1.0"
description = "A tearsheet plugin."
requires-python = ">=3.11"
dependencies = ["tearsheet"]

[project.optional-dependencies]
test = ["pytest"]

# This line is what makes tearsheet find the plugin once it is installed.
[project.entry-points.tearsheet]
$name = "$module"

[tool.setuptools]
py-modules = ["$module"]

[tool.pytest.ini_options]
pythonpath = ["."]
""")

MODULE = Template('''"""tearsheet plugin $name: drops advertisement labels left in article text.

Each function marked with ``@hookimpl`` implements the tearsheet hook of
the same name; see the hook reference for all hooks and their arguments.
"""

from tearsheet import hookimpl

LABELS = {"advertisement", "sponsored", "ad"}


@hookimpl
def clean_article(article):
    """Return the article without paragraphs that are only an ad label."""
    paragraphs = article.text.split("\\n")
    kept = [p for p in paragraphs if p.strip().lower() not in LABELS]
    article.text = "\\n".join(kept)
    return article
''')

TEST = Template("""from tearsheet import Article

from $module import clean_article


def test_ad_labels_are_dropped_and_the_story_kept():
    article = Article(url="https://news.example/a", text="First line.\\nAdvertisement\\nLast line.")
    assert clean_article(article).text == "First line.\\nLast line."
""")

README = Template("""# tearsheet-$name

A [tearsheet](https://pypi.org/project/tearsheet/) plugin.

    pip install -e .          # install next to tearsheet
    python -m pytest          # run the tests
    tearsheet plugins         # "$name" is listed with its hooks
""")


def new_plugin(name: str, directory: Path) -> Path:
    """Create ``directory/tearsheet-NAME`` and return its path."""
    if not NAME.match(name):
        raise PluginNameError(
            f"plugin names are 2-41 lower-case letters, digits, '-' or '_', starting with a letter:"
            f" {name!r}"
        )
    module = f"tearsheet_{name.replace('-', '_')}"
    folder = directory / f"tearsheet-{name}"
    folder.mkdir(parents=True)
    (folder / "tests").mkdir()
    values = {"name": name, "module": module}
    (folder / "pyproject.toml").write_text(PYPROJECT.substitute(values))
    (folder / f"{module}.py").write_text(MODULE.substitute(values))
    (folder / "tests" / f"test_{module}.py").write_text(TEST.substitute(values))
    (folder / "README.md").write_text(README.substitute(values))
    return folder
