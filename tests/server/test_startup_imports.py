"""An idle app process stays small: pandas (and numpy under it) is imported by the first
pivot, not when a worker starts (tests/benchmarks/memory.py measures the RSS)."""

from __future__ import annotations

import subprocess
import sys


def test_the_app_starts_without_pandas(tmp_path):
    code = ("import sys; from cardfile.platform.app import create_app; app = create_app(); "
            "app.test_client().get('/login'); app.test_client().get('/healthz'); "
            "print(' '.join(sorted(m for m in ('pandas', 'numpy') if m in sys.modules)))")
    env = {"CARDFILE_DATA_DIR": str(tmp_path / "var"), "CARDFILE_SECRET_KEY": "x", "CARDFILE_SCHEDULER": "off",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""
