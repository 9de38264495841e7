"""Installing a configuration package with everything it carries, from the CLI and the admin page.

``metamodel.packages.upgrade`` does the schema, groups, layouts, views and sections in one
transaction; the parts that live above the metamodel (saved reports, print templates) and the
reminder rules and mailing drafts come in as its ``steps``, so they share that transaction.
"""

from __future__ import annotations

from cardfile.metamodel.mail.package import apply_mailings, load_mailings
from cardfile.metamodel.packages import load_package, validate_package
from cardfile.metamodel.packages.loader import Package
from cardfile.metamodel.packages.upgrade import plan_upgrade, upgrade
from cardfile.metamodel.reminders.package import apply_rules, load_rules
from cardfile.reports.documents.packages import install_templates
from cardfile.reports.service import ReportService


def load_checked(path, registry) -> Package:
    """Load and validate a package, with its reminders and mailings files."""
    pkg = validate_package(load_package(path), registry)
    load_rules(pkg.root, pkg.name)
    load_mailings(pkg.root, pkg.name)
    return pkg


def steps(secret: str) -> list:
    def reports(rt, actor, pkg):
        return ReportService(rt).apply_package(actor, pkg.name, pkg.reports) if pkg.reports else None

    def templates(rt, actor, pkg):
        return install_templates(rt, actor, pkg.name, pkg.templates) if pkg.templates else None

    def reminders(rt, actor, pkg):
        return apply_rules(rt, actor, pkg)

    def mailings(rt, actor, pkg):
        return apply_mailings(rt, actor, pkg, secret)

    return [("reports", reports), ("print templates", templates), ("reminder rules", reminders),
            ("mailing drafts", mailings)]


def install(rt, actor, pkg: Package, secret: str, **options) -> dict:
    """``upgrade`` with every part of the package (options: allow_destructive, adopt, dry_run, source)."""
    return upgrade(rt, actor, pkg, steps=steps(secret), **options)


def plan(rt, actor, pkg: Package):
    return plan_upgrade(rt, pkg, actor)
