"""A package's money in the installation's currency.

A package names the currency its money fields are written in (``currency: EUR`` in
``package.yaml``). A business that keeps its books in another currency installs it in
that one (``cardfile init --currency RUB``, or the currency of the demo language chosen
with ``--demo-language``): every money field of the package in the package's currency —
line items included — is then in the installation's currency. The choice is kept in
``cf_meta`` (``currency:<package>``), and every later plan of the same package (``config
diff``, ``config apply``, an upgrade, the admin page) reads the package in it, so an
upgrade never turns the fields back. Fields the package gives another currency keep it.
"""

from __future__ import annotations

import copy
import dataclasses

from sqlalchemy import select

from .. import currencies
from ..errors import CardfileError
from ..storage.platform_tables import cf_meta
from .loader import Package

KEY_PREFIX = "currency:"


class CurrencyRefused(CardfileError):
    code = "PACKAGE_INVALID"


def package_currency(pkg: Package) -> str | None:
    return pkg.manifest.get("currency")


def in_currency(pkg: Package, code: str) -> Package:
    """``pkg`` with its money fields in ``code`` (a copy; ``pkg`` is left as it was)."""
    own = package_currency(pkg)
    if own is None or code == own:
        return pkg
    tables = []
    for table in pkg.tables:
        spec = copy.deepcopy(table.spec)
        _relabel(spec.get("fields") or [], own, code)
        tables.append(dataclasses.replace(table, spec=spec))
    return dataclasses.replace(pkg, tables=tables, manifest={**pkg.manifest, "currency": code})


def _relabel(fields: list, own: str, code: str) -> None:
    for field in fields:
        if not isinstance(field, dict):
            continue
        options = field.get("options") if isinstance(field.get("options"), dict) else {}
        if field.get("type") == "money" and options.get("currency", own) == own:
            field["options"] = {**options, "currency": code}
        elif field.get("type") == "lines":
            _relabel(options.get("fields") or [], own, code)


def check_currency(pkg: Package, code: str) -> str:
    """``code`` as an ISO 4217 code the package can be installed in, or a clear refusal."""
    code = (code or "").strip().upper()
    if not currencies.is_code(code):
        raise CurrencyRefused(f"{code!r} is not an ISO 4217 currency code (RUB, EUR, USD, UAH, MDL …).",
                              {"currency": code})
    if package_currency(pkg) is None and code:
        raise CurrencyRefused(f"Package {pkg.name!r} does not say which currency its money fields are in "
                              "(currency: in package.yaml), so it cannot be installed in another one.",
                              {"currency": code, "package": pkg.name})
    return code


def installed_currency(runtime, name: str) -> str | None:
    with runtime.engine.connect() as conn:
        return conn.execute(select(cf_meta.c.value).where(cf_meta.c.key == (KEY_PREFIX + name)[:64])).scalar()


def choose_currency(runtime, pkg: Package, code: str) -> None:
    """Install ``pkg`` (now and in every later plan) in the currency ``code``."""
    from .apply import write_meta

    write_meta(runtime, KEY_PREFIX + pkg.name, check_currency(pkg, code))


def localised(runtime, pkg: Package) -> Package:
    """``pkg`` in the currency this base installed it in (itself when none was chosen)."""
    code = installed_currency(runtime, pkg.name)
    return in_currency(pkg, code) if code else pkg
