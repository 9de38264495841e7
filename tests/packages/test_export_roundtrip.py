"""`config export`: the running configuration as a package, byte-identical after a round trip.

customer-accounting is applied to an empty database (with a card layout, a shared view, a
default view and the navigation order added in the base), exported, the export applied to a
second empty database and exported again: the two exports are the same bytes, and the first
loads and validates like a package written by hand. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses

import pytest

from cardfile.metamodel.errors import PackageInvalid
from cardfile.metamodel.layouts import LayoutService
from cardfile.metamodel.packages import load_package, validate_package
from cardfile.metamodel.packages.export import render_package, write_package
from cardfile.metamodel.packages.samples import resolve
from cardfile.metamodel.runtime import build_runtime
from cardfile.metamodel.views import ViewService
from cardfile.platform.config_install import install, load_checked
from tests.conftest import pg_schema


@pytest.fixture
def second(settings, tmp_path):
    """A second empty database of the same kind, with its own administrator."""
    if settings.db_schema is None:
        other = dataclasses.replace(settings, data_dir=tmp_path / "second",
                                    database_url=f"sqlite:///{tmp_path / 'second.db'}")
        drop = None
    else:
        name, drop = pg_schema()
        other = dataclasses.replace(settings, data_dir=tmp_path / "second", db_schema=name)
    rt = build_runtime(other)
    admin = rt.users.create("admin", "admin-password", name="Admin", is_admin=True, bootstrap=True)
    yield rt, admin
    rt.dispose()
    if drop:
        drop()


def test_export_round_trip_of_retail_shop(runtime, admin, second, tmp_path):
    sample = load_checked(resolve("retail-shop")[0], runtime.registry)
    install(runtime, admin, sample, "secret", source="retail-shop")
    first = render_package(runtime, admin)
    write_package(first, tmp_path / "exported")
    rt2, admin2 = second
    install(rt2, admin2, load_checked(tmp_path / "exported", rt2.registry), "secret")
    again = render_package(rt2, admin2)
    assert sorted(again) == sorted(first) and all(again[n] == first[n] for n in first)
    assert [t.api_name for t in load_package(tmp_path / "exported").tables] == [t.api_name for t in sample.tables]


def test_export_round_trip_is_byte_identical(runtime, admin, second, tmp_path):
    sample = load_checked(resolve("customer-accounting")[0], runtime.registry)
    install(runtime, admin, sample, "secret", source="customer-accounting")
    layouts = LayoutService(runtime.engine, runtime.catalog, runtime.access)
    layouts.save_layout(admin, "clients", {"tabs": [
        {"title": "Main", "sections": [{"title": "Who", "columns": 2, "fields": [["name", "kind"], ["phone"]]}]},
        {"title": "More", "sections": [{"columns": 1, "fields": [["address"]]}]}]})
    layouts.save_sections(admin, [{"name": "Sales"}, {"name": "Clients"}, {"name": "Staff", "hidden": True}])
    views = ViewService(runtime.engine, runtime.catalog, runtime.access)
    views.create_view(admin, "clients", "Active clients", {"columns": ["name", "status"],
                                                           "filters": [["status", "eq", "active"]]}, kind="shared")
    views.create_view(admin, "invoices", "Invoices", {"columns": ["number", "client"], "sort": ["-number"]},
                      kind="default")
    views.create_view(admin, "clients", "Mine only", {"columns": ["name"]})  # personal: stays here

    first = render_package(runtime, admin)
    assert {"package.yaml", "groups.yaml", "reports.yaml", "reminders.yaml", "layouts.yaml", "views.yaml",
            "sections.yaml", "translations/ru.yaml", "tables/clients.yaml"} <= set(first)
    assert any(name.endswith(".docx") for name in first) and any(name.endswith(".html") for name in first)
    assert b"Mine only" not in first["views.yaml"] and b"&" not in first["tables/invoices.yaml"]
    assert first["tables/clients.yaml"].startswith(b"api_name: clients\nlabel: Clients\n")
    write_package(first, tmp_path / "exported")
    exported = validate_package(load_package(tmp_path / "exported"), runtime.registry)
    assert [t.api_name for t in exported.tables] == [t.api_name for t in sample.tables]
    assert exported.name == "customer-accounting" and exported.version == sample.version

    rt2, admin2 = second
    install(rt2, admin2, load_checked(tmp_path / "exported", rt2.registry), "secret", source=str(tmp_path / "exported"))
    again = render_package(rt2, admin2)
    assert sorted(again) == sorted(first)
    for name in first:
        assert again[name] == first[name], name
    # applying the export back onto the base it came from changes nothing
    report = install(runtime, admin, exported, "secret", dry_run=True)
    assert report["changes"] == [] and report["conflicts"] == []


def test_export_of_an_empty_base_and_a_second_export_into_the_same_folder(runtime, admin, make_table, tmp_path):
    make_table("Things", [("Size", "text", {})], api_name="things")
    write_package(render_package(runtime, admin, name="mine", version="2.0.0", title="Mine"), tmp_path / "out")
    (tmp_path / "out" / "tables" / "stale.yaml").write_text("left over")
    files = render_package(runtime, admin)
    write_package(files, tmp_path / "out")
    assert not (tmp_path / "out" / "tables" / "stale.yaml").exists()
    pkg = validate_package(load_package(tmp_path / "out"), runtime.registry)
    assert (pkg.name, pkg.version, [t.api_name for t in pkg.tables]) == ("configuration", "1.0.0", ["things"])
    assert files["package.yaml"] == (b"# Written by `cardfile config export`.\nformat: 1\nname: configuration\n"
                                     b"version: 1.0.0\ntitle: Configuration\ntables:\n  - things\n")


def test_layout_and_view_problems_name_the_file_path_and_reason(write_pkg, shop_spec, tmp_path, runtime):
    root = write_pkg(tmp_path / "shop", shop_spec)
    (root / "layouts.yaml").write_text("layouts:\n  orders:\n    tabs:\n      - title: Main\n        sections:\n"
                                       "          - {columns: 1, fields: [[number, colour]]}\n  ghosts: {tabs: []}\n")
    with pytest.raises(PackageInvalid) as caught:
        load_package(root)
    assert "layouts.yaml: $.layouts.ghosts.tabs: [] should be non-empty" in caught.value.message
    (root / "layouts.yaml").write_text("layouts:\n  orders:\n    tabs:\n      - title: Main\n        sections:\n"
                                       "          - {columns: 1, fields: [[number, colour]]}\n")
    (root / "views.yaml").write_text("views:\n  - {table: orders, name: Open, definition: {columns: [number, size]}}\n"
                                     "  - {table: nowhere, name: X, definition: {}}\n")
    with pytest.raises(PackageInvalid) as caught:
        validate_package(load_package(root), runtime.registry)
    assert caught.value.details["problems"] == [
        {"file": "layouts.yaml", "path": "$.layouts.orders.tabs[0].sections[0].fields[0][1]",
         "message": "table 'orders' has no field 'colour'"},
        {"file": "views.yaml", "path": "$.views[0].definition.columns", "message": "table 'orders' has no field 'size'"},
        {"file": "views.yaml", "path": "$.views[1].table", "message": "there is no table 'nowhere'"},
    ]
