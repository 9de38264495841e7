"""The database underneath the metamodel: engines for SQLite and PostgreSQL (``engine``),
the read time limit (``time_limit``), the platform's own tables (``platform_tables`` and
its neighbours), the DDL of user tables (``ddl``), column and table names (``names``),
bulk inserts, planner statistics and the migrations."""
