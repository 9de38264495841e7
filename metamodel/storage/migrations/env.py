"""alembic environment: always runs on the connection handed in by ``upgrade()``."""

from alembic import context

from cardfile.metamodel.storage.migrations import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
