"""Diff-friendly YAML for exported packages: block style, no anchors, keys in the order given,
multi-line text as literal blocks, Unicode kept as is. The same data always gives the same bytes."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # a repeated value is written again, never &anchored
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False):  # lists indented under their key
        return super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) and value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(data: Any, comment: str | None = None) -> bytes:
    """``data`` as YAML bytes (UTF-8), optionally after a ``# comment`` header."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=100, indent=2)
    if comment:
        text = "".join(f"# {line}\n".replace("# \n", "#\n") for line in comment.splitlines()) + text
    return text.encode("utf-8")
