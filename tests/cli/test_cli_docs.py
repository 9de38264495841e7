"""docs/cli.md documents every command and every option, each in the command's own section."""

from __future__ import annotations

import re
from pathlib import Path

import click

from cardfile.platform.cli import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def commands(group: click.Group, prefix: str = "cardfile"):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from commands(command, path)
        else:
            yield path, command


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `([^`]+)`\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_command_and_option_is_documented():
    documented = sections()
    missing = []
    for path, command in commands(cli):
        body = documented.get(path)
        if body is None:
            missing.append(f"section ### `{path}`")
            continue
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts + param.secondary_opts:
                    if opt not in ("-h", "--help") and f"`{opt}" not in body:
                        missing.append(f"{path} {opt}")
            elif isinstance(param, click.Argument):
                shown = (param.metavar or param.name).upper()
                if shown not in body:
                    missing.append(f"{path} argument {shown}")
    assert not missing, "docs/cli.md lacks: " + ", ".join(missing)


def test_top_level_options_are_documented():
    text = DOC.read_text(encoding="utf-8")
    for param in cli.params:
        for opt in param.opts:
            assert f"`{opt}`" in text


def test_no_section_for_a_command_that_does_not_exist():
    known = {path for path, _ in commands(cli)}
    assert set(sections()) <= known, set(sections()) - known
