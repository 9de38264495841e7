"""Everything one reader may not see, swapped for random values by direct SQL and back.

``Secrets(rt, actor).flip()`` writes a random value into every cell the reader may not
read: every value of a table they may not read, every value of a row outside their row rule,
and the hidden fields of the rows they may read. ``restore()`` puts the real values back.
Links, users, owners and the trash are never changed (they decide who may read what); neither
are versions and timestamps, so the rows the reader sees stay byte for byte the same.
"""

from __future__ import annotations

import datetime as dt
import random
import string

from sqlalchemy import bindparam, select, update

from cardfile.metamodel.storage import names

TEXT = ("text", "long_text", "email", "phone", "url")
NUMBER = ("integer", "decimal", "money", "percent")


class Secrets:
    def __init__(self, rt, actor, seed: int = 0):
        self.rt = rt
        self.random = random.Random(seed)
        self.serial = 0
        snap = rt.schema.snapshot()
        view = rt.access.view(actor, snap)
        self.real: list = []     # (sql table, column, [(id, value)])
        self.fake: list = []
        with rt.engine.connect() as conn:
            for table in snap.live_tables(include_children=True):
                sql = snap.sql_table(table)
                readable = {f.id for f in view.readable(table)} if view.allows(table, "read") else set()
                scope = view.scope(table, sql) if readable else None
                in_reach = set() if not readable else {
                    row.id for row in conn.execute(select(sql.c.id).where(*([] if scope is None else [scope])))}
                for f in table.fields:
                    if f.type not in TEXT + NUMBER + ("date", "boolean", "choice"):
                        continue
                    column = sql.c[names.column_name(f.id)]
                    rows = conn.execute(select(sql.c.id, column)).all()
                    out = [(i, v) for i, v in rows if f.id not in readable or i not in in_reach]
                    if out:
                        self.real.append((sql, column.name, out))
                        self.fake.append((sql, column.name, [(i, self.value(f, v)) for i, v in out]))

    def value(self, f, old):
        r = self.random
        if f.type in TEXT:
            self.serial += 1  # unique: some text fields are
            return "".join(r.choice(string.ascii_letters + " ") for _ in range(r.randint(0, 30))) + f"Ω{self.serial}"
        if f.type in NUMBER:
            return r.choice([0, 1, -7, r.randint(-10**9, 10**9)])
        if f.type == "date":
            return dt.date(2000, 1, 1) + dt.timedelta(days=r.randint(0, 12000))
        if f.type == "boolean":
            return r.choice([True, False, None])
        choices = [c["value"] for c in f.opt("choices", [])] or [old]
        return r.choice(choices + [None])

    @property
    def cells(self) -> int:
        return sum(len(values) for _, _, values in self.real)

    def flip(self) -> None:
        self._write(self.fake)

    def restore(self) -> None:
        self._write(self.real)

    def _write(self, state) -> None:
        with self.rt.engine.begin() as conn:
            for sql, column, values in state:
                stmt = update(sql).where(sql.c.id == bindparam("_id")).values({column: bindparam("_v")})
                conn.execute(stmt, [{"_id": i, "_v": v} for i, v in values])
