"""Every Python package and every folder of data files in the source folders is listed in
pyproject.toml (the folders map to cardfile.* by package-dir), so a wheel contains each
file, nothing from tests/ or docs/ comes along, and an install prints no setuptools
warnings about packages that would be ignored."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"formula": "formula", "metamodel": "metamodel", "reports": "reports",
           "platform": "platform", "plugins": "plugins", "config-samples": "config_samples"}


def listed() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])


def test_every_package_is_listed():
    found = set()
    for folder, name in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "__pycache__" not in parts:
                found.add(".".join(("cardfile", name, *parts)))
    assert found - listed() == set(), f"add to [tool.setuptools] packages: {sorted(found - listed())}"


def test_every_folder_of_data_files_is_listed():
    """A folder with data files but no __init__.py is still a package to setuptools: listed,
    it is shipped quietly; left out, every install warns about it (the samples, whose folder
    names are not Python names, are shipped whole by their own package-data rule)."""
    tracked = subprocess.run(["git", "ls-files", *[f for f in FOLDERS if f != "config-samples"]], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    found = set()
    for path in tracked:
        if not path.endswith(".py"):
            folder, *parts = Path(path).parent.parts
            found.add(".".join(("cardfile", FOLDERS[folder], *parts)))
    assert found - listed() == set(), f"add to [tool.setuptools] packages: {sorted(found - listed())}"


def test_the_wheel_builds_quietly_with_every_file(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path),
                            str(ROOT)], capture_output=True, text=True, timeout=600)
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-3000:]
    assert "Package would be ignored" not in output and "SetuptoolsDeprecationWarning" not in output
    [wheel] = tmp_path.glob("cardfile-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", *FOLDERS], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    missing = [p for p in tracked if "cardfile/" + p.replace("config-samples", "config_samples", 1) not in names]
    assert missing == []
    assert not [n for n in names if n.startswith(("cardfile/tests/", "cardfile/docs/", "cardfile/.venv/"))]
