"""The import-direction contract must name every part of the namespace package platform/."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_platform_part_is_in_the_layers_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {part.strip() for part in layers[0].split(":")}
    parts = {f"cardfile.platform.{p.stem}" for p in (ROOT / "platform").iterdir()
             if (p.suffix == ".py") or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts == named, f"list these in pyproject's layers contract: {sorted(parts - named)}"


def test_platform_is_a_namespace_package():
    assert not (ROOT / "platform" / "__init__.py").exists()
