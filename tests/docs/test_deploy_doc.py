"""docs/deploy.md: every `cardfile …` command line in its code blocks is a real command with
options it accepts, and every CARDFILE_* variable it sets is one Cardfile reads."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click

from cardfile.platform.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
BLOCKS = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", DOC, flags=re.S))


def command_lines() -> list[list[str]]:
    found = []
    for line in BLOCKS.splitlines():
        line = line.split("#", 1)[0]
        match = re.search(r"(?:^|bin/)cardfile ([a-z].*)$", line.strip())
        if match:
            found.append(shlex.split(match.group(1)))
    return found


def test_every_command_line_parses():
    lines = command_lines()
    assert len(lines) >= 8 and ["migrate"] in lines
    for args in lines:
        command, rest, path = cli, list(args), ["cardfile"]
        while isinstance(command, click.Group):
            name = rest.pop(0)
            assert name in command.commands, f"{' '.join(path)} has no command {name!r}"
            command, path = command.commands[name], path + [name]
        rest = [__file__ if a.endswith("FILE") else a for a in rest]  # a placeholder for a backup file
        command.make_context(" ".join(path), rest, resilient_parsing=False)


def test_every_variable_is_read():
    code = "\n".join(p.read_text(encoding="utf-8") for folder in ("platform", "metamodel")
                     for p in (ROOT / folder).rglob("*.py"))
    for name in set(re.findall(r"^(CARDFILE_[A-Z_]+)=", BLOCKS, flags=re.M)):
        assert f'"{name}"' in code, name
