"""The configuration packages shipped with Cardfile (``config-samples/``, i.e.
``cardfile.config_samples``), found by name."""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFound
from .loader import MANIFEST_NAMES


def samples_dir() -> Path:
    import cardfile.config_samples

    return Path(cardfile.config_samples.__file__).parent


def sample_names() -> list[str]:
    return sorted(p.name for p in samples_dir().iterdir()
                  if p.is_dir() and any((p / n).is_file() for n in MANIFEST_NAMES))


def sample_path(name: str) -> Path:
    if name not in sample_names():
        raise NotFound(f"No sample configuration {name!r}; samples: {', '.join(sample_names())}.",
                       {"sample": name})
    return samples_dir() / name


def resolve(name_or_path: str | Path) -> tuple[Path, str]:
    """(package directory, source to record): a path if one exists there, else a sample name."""
    path = Path(name_or_path)
    if path.exists():
        return path, str(path.resolve())
    if isinstance(name_or_path, str) and "/" not in name_or_path and name_or_path in sample_names():
        return sample_path(name_or_path), name_or_path
    raise NotFound(f"No configuration package at {str(name_or_path)!r} and no sample of that name "
                   f"(samples: {', '.join(sample_names())}).", {"package": str(name_or_path)})
