"""PostgreSQL connections: JIT off (its compilation cost more than a list query: 85 ms of a
190 ms count through a link), and the search_path of the schema setting or of the URL kept."""

from __future__ import annotations

import pytest

from cardfile.metamodel.storage.engine import make_engine


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
@pytest.mark.parametrize("in_url", [False, True])
def test_jit_is_off_and_the_search_path_kept(db, in_url):
    url, schema = db
    if in_url:
        url, schema = f"{url}?options=-csearch_path%3D{schema}", None
    engine = make_engine(url, schema=schema)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
            assert conn.exec_driver_sql("SHOW search_path").scalar() == db[1]
    finally:
        engine.dispose()
