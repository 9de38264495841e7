"""Every Python package in the source folders is listed in pyproject.toml, so a wheel
built from the repository contains it (the folders map to cardfile.* by package-dir)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"formula": "formula", "metamodel": "metamodel", "reports": "reports",
           "platform": "platform", "plugins": "plugins", "config-samples": "config_samples"}


def test_every_package_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for folder, name in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "__pycache__" not in parts:
                found.add(".".join(("cardfile", name, *parts)))
    assert found - listed == set(), f"add to [tool.setuptools] packages: {sorted(found - listed)}"
