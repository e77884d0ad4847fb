"""The hook reference, generated from the hook specifications' docstrings.

``python -m tearsheet.plugins.docs > docs/hooks.md`` writes it; a test
checks that docs/hooks.md matches, so the reference cannot drift.
"""

import inspect

from tearsheet.plugins import hookspecs


def hook_reference() -> str:
    """Markdown: each hook's signature, call style and documentation, in source order."""
    specs = [
        function
        for _, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "tearsheet_spec")
    ]
    specs.sort(key=lambda function: function.__code__.co_firstlineno)
    parts = [
        "# Hook reference",
        "",
        "Generated from `tearsheet/plugins/hookspecs.py` by"
        " `python -m tearsheet.plugins.docs`; do not edit by hand.",
        "Implement a hook with a function of the same name marked `@tearsheet.hookimpl`;",
        "it may accept any subset of the arguments shown.",
        "",
    ]
    for function in specs:
        arguments = ", ".join(inspect.signature(function).parameters)
        options = function.tearsheet_spec
        calling = (
            "The first non-None result wins."
            if options.get("firstresult")
            else "Every implementation is called."
        )
        parts += [
            f"## `{function.__name__}({arguments})`",
            "",
            inspect.getdoc(function),
            "",
            calling,
            "",
        ]
    return "\n".join(parts)


if __name__ == "__main__":
    print(hook_reference(), end="")
