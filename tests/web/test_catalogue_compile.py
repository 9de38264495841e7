"""The web server's workers compile the translation catalogues into the data directory as
they start, side by side: none may take another's half-written file (a shared temporary
name made a worker fail to boot)."""

from __future__ import annotations

import multiprocessing

from babel.messages.mofile import read_mo

from cardfile.platform.web.i18n import SOURCE_DIR, compile_catalogues


def _compile(target: str, start, results) -> None:
    import os
    from pathlib import Path

    start.wait()
    try:
        for _ in range(20):
            compile_catalogues(Path(target))
            for mo in Path(target).glob("*/LC_MESSAGES/messages.mo"):
                os.utime(mo, (0, 0))  # older than the source: the next call compiles it again
        results.put("ok")
    except Exception as exc:  # reported to the test, which fails with it
        results.put(repr(exc))


def test_workers_compile_the_catalogues_side_by_side(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_compile, args=(str(tmp_path), start, results)) for _ in range(4)]
    for w in workers:
        w.start()
    start.set()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(30)
    assert outcomes == ["ok"] * 4
    mo = tmp_path / "ru" / "LC_MESSAGES" / "messages.mo"
    with mo.open("rb") as f:
        assert len(read_mo(f)) > 100
    assert not list(tmp_path.rglob("*.tmp"))
    assert (SOURCE_DIR / "ru" / "LC_MESSAGES" / "messages.po").exists()
