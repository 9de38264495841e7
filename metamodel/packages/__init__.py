"""Configuration packages: versioned, diffable directories of YAML/JSON that describe tables
and fields (later: layouts, formulas, rules, templates, reports, reminders), validated with
jsonschema against ``schemas/`` and applied to a live database as an upgrade.

    loader.py    load_package(path): files -> Package, syntax errors with file and line
    validate.py  validate_package(pkg, registry): schemas, types, options, names, links
    plan.py      plan_apply(runtime, pkg): what would change (destructive changes marked)
    apply.py     apply_package(runtime, actor, pkg, allow_destructive=False) -> report
    demo.py      load_demo(runtime, actor, pkg, seed=…): deterministic demo records
    samples.py   the packages shipped in ``config-samples/``
"""

from .apply import PackageChangesRefused, apply_package, installed_packages
from .loader import Package, PackageTable, Problem, load_package
from .plan import Change, Plan, plan_apply
from .validate import package_problems, validate_package

__all__ = [
    "Change", "Package", "PackageChangesRefused", "PackageTable", "Plan", "Problem", "apply_package",
    "installed_packages", "load_package", "package_problems", "plan_apply", "validate_package",
]
