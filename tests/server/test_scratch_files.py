"""Scratch files a process killed mid-request leaves behind (an export being written, an
import's upload, an upload into the file store) are removed when an app process starts;
those of requests still running are not."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from cardfile.metamodel.files import UPLOAD_PREFIX
from cardfile.platform.app import scratch
from cardfile.platform.app.factory import create_app
from tests.conftest import app_config


def _aged(path: Path, seconds: float) -> Path:
    path.write_bytes(b"half an export")
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_starting_process_removes_what_a_killed_one_left(settings, tmp_path, monkeypatch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    old_export = _aged(temp / "cardfile-abc.xlsx", scratch.STALE_AFTER + 60)
    running_export = _aged(temp / "cardfile-def.xlsx", 60)  # a request still writing it
    not_ours = _aged(temp / "other-program.tmp", scratch.STALE_AFTER + 60)
    store = Path(settings.data_dir) / "files"
    store.mkdir(parents=True)
    old_upload = _aged(store / f"{UPLOAD_PREFIX}x1", scratch.STALE_AFTER + 60)
    stored = _aged(store / "ab", scratch.STALE_AFTER + 60)  # a stored file's folder name: kept

    app = create_app(app_config(settings))  # a process starts
    app.extensions["cardfile"].dispose()

    assert not old_export.exists() and not old_upload.exists()
    assert running_export.exists() and not_ours.exists() and stored.exists()


def test_scratch_files_are_named_for_the_sweep(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    handle, path = scratch.new_file(".xlsx")
    os.close(handle)
    assert Path(path).name.startswith(scratch.PREFIX) and path.endswith(".xlsx")
    assert scratch.sweep() == 0 and Path(path).exists()  # new: a request's own
    assert scratch.sweep(older_than=-1) == 1 and not Path(path).exists()
