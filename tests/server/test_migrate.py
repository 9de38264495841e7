"""``cardfile migrate``: brings the platform tables up to date; a database a newer Cardfile
migrated is refused with both revisions named, by the command and by every process start."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from cardfile.metamodel.runtime import build_runtime
from cardfile.metamodel.storage import migrations
from cardfile.platform.cli import cli


def test_migrate_and_a_newer_database(settings):
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}
    run = CliRunner()
    rt = build_runtime(settings)
    head = migrations.head()
    result = run.invoke(cli, ["migrate"], env=env)
    assert result.exit_code == 0 and result.output == f"The database is up to date (schema revision {head}).\n"

    with rt.engine.begin() as conn:
        conn.execute(text(f"UPDATE {migrations.VERSION_TABLE} SET version_num = '0042_from_the_future'"))
    result = run.invoke(cli, ["migrate"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: The database was migrated by a newer Cardfile "
                                    "(schema revision 0042_from_the_future); this Cardfile knows revisions "
                                    f"up to {head}.")
    with pytest.raises(migrations.NewerDatabase) as refused:
        build_runtime(settings).dispose()
    assert refused.value.details == {"database_revision": "0042_from_the_future", "code_revision": head}
    with rt.engine.connect() as conn:
        assert migrations.current(conn) == "0042_from_the_future"  # left as it was
    rt.dispose()


def test_migrate_needs_a_database(tmp_path):
    result = CliRunner().invoke(cli, ["migrate"], env={"CARDFILE_DATA_DIR": str(tmp_path / "none"),
                                                       "CARDFILE_DATABASE_URL": ""})
    assert result.exit_code == 1 and "run `cardfile init` first" in result.output
