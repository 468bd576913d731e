"""A Sphinx directive that documents the ``revimpute`` command line from its typer app.

``.. revimpute-cli::`` writes, for every command, its help text, its usage line
and a table of its arguments and options (names, default, help), read from the
click command tree typer builds, so the page cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def _default(param: Any) -> str:
    value = getattr(param, "default", None)
    if value is None or value == () or value == []:
        return ""
    if callable(value):
        return ""
    return f"``{value}``"


def _rows(command: Any) -> list[str]:
    if not [p for p in command.params if p.name != "help"]:
        return ["It takes no arguments or options."]
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 25 15 60", "",
             "   * - argument / option", "     - default", "     - meaning"]
    for param in command.params:
        if param.name == "help":
            continue
        names = ", ".join(f"``{o}``" for o in getattr(param, "opts", [])) or f"``{param.name.upper()}``"
        if getattr(param, "secondary_opts", None):
            names += " / " + ", ".join(f"``{o}``" for o in param.secondary_opts)
        help_text = " ".join((getattr(param, "help", None) or "").split()) or "(argument)"
        lines += [f"   * - {names}", f"     - {_default(param) or ' '}", f"     - {help_text}"]
    return lines


class RevimputeCli(SphinxDirective):
    """Document every command of ``revimpute``."""

    def run(self) -> list[nodes.Node]:
        import typer

        from revimpute.cli import app

        group = typer.main.get_command(app)
        lines: list[str] = []
        for name in sorted(group.commands):
            command = group.commands[name]
            lines += [f"``revimpute {name}``", "-" * (len(name) + 14), ""]
            lines += [" ".join((command.help or "").split()), ""]
            args = " ".join(
                p.name.upper() for p in command.params if getattr(p, "param_type_name", "") == "argument"
            )
            lines += [".. code-block:: text", "", f"   revimpute {name} {args} [OPTIONS]".rstrip(), ""]
            lines += _rows(command) + [""]
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="revimpute-cli"), container)
        return container.children


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("revimpute-cli", RevimputeCli)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
