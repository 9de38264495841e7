"""Configuration packages in the browser: upload v2 of a package as a zip over a base running
v1 with records and a field added here, read the plan (destructive steps first, with their
counts; the local field kept), confirm, apply, and find the apply in the history."""

from __future__ import annotations

import io
import zipfile

import yaml
from playwright.sync_api import expect

from cardfile.metamodel.packages import load_package
from cardfile.platform.config_install import install

V1 = {"customers": {"api_name": "customers", "label": "Customers", "display_field": "name", "fields": [
    {"api_name": "name", "label": "Name", "type": "text"},
    {"api_name": "phone_no", "label": "Phone", "type": "text"},
    {"api_name": "fax", "label": "Fax", "type": "text"}]}}
V2 = {"customers": {"api_name": "customers", "label": "Customers", "display_field": "name", "fields": [
    {"api_name": "name", "label": "Name", "type": "text"},
    {"api_name": "phone", "label": "Telephone", "type": "text", "renamed_from": "phone_no"},
    {"api_name": "email", "label": "Email", "type": "email"}]}}


def package_files(tables: dict, version: str) -> dict[str, str]:
    files = {"package.yaml": yaml.safe_dump({"name": "crm", "version": version, "title": "Small CRM",
                                             "tables": list(tables)})}
    files.update({f"tables/{n}.yaml": yaml.safe_dump(t, sort_keys=False) for n, t in tables.items()})
    return files


def test_upload_plan_apply_history(live, boss, new_page, sign_in, shot, tmp_path):
    rt = live.rt
    v1 = tmp_path / "v1"
    for name, text in package_files(V1, "1.0.0").items():
        (v1 / name).parent.mkdir(parents=True, exist_ok=True)
        (v1 / name).write_text(text)
    install(rt, boss, load_package(v1), "browser-tests", source="crm")
    rt.records.bulk_create(boss, "customers", [{"name": f"Client {i}", "phone_no": f"555-{i:03}",
                                                "fax": f"fax {i}" if i % 2 else None} for i in range(12)])
    rt.schema.add_field(boss, "customers", {"api_name": "vip", "label": "VIP", "type": "boolean"})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in package_files(V2, "2.0.0").items():
            z.writestr(f"crm-2.0.0/{name}", text)
    (tmp_path / "crm-2.0.0.zip").write_bytes(archive.getvalue())

    page = new_page()
    sign_in(page)
    page.goto("/admin/")
    page.get_by_role("link", name="Configuration packages").click()
    expect(page.get_by_role("heading", name="Apply a package")).to_be_visible()
    page.get_by_label("Package file (.zip)").set_input_files(str(tmp_path / "crm-2.0.0.zip"))
    with page.expect_navigation():
        page.get_by_role("button", name="Show what would change").click()
    expect(page.get_by_role("heading", name="What applying Small CRM 2.0.0 would do")).to_be_visible()
    expect(page.get_by_text("Version 1.0.0 of this package is applied here now.")).to_be_visible()
    headings = page.locator(".package-plan h3").all_inner_texts()
    assert headings[0] == "Destructive steps (1)", headings
    expect(page.locator(".plan-list.destructive li")).to_have_text(
        ["move field customers.fax to the trash (not in this version; 6 record(s) have a value)  [destructive]"])
    expect(page.locator(".plan-list").filter(has_text="rename field")).to_contain_text(
        "rename field customers.phone_no -> phone (values kept)")
    expect(page.locator(".plan-list.kept").first).to_contain_text("field customers.vip (VIP)")
    expect(page.locator(".package-plan")).not_to_contain_text("customers.fax (Fax) is not in the package")
    shot(page, "packages-01-plan")

    apply = page.get_by_role("button", name="Apply Small CRM 2.0.0")
    apply.click()  # the confirmation is required: the browser keeps the form
    assert "/admin/packages/plan" in page.url or page.locator(".package-plan").count() == 1
    page.get_by_label("I understand: the destructive steps above will be carried out").check()
    with page.expect_navigation():
        apply.click()
    expect(page.locator(".flash-success")).to_contain_text("Small CRM 2.0.0 applied")
    expect(page.locator(".flash-success")).to_contain_text("A backup was taken first")
    rows = page.locator("section[aria-labelledby=history-title] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("2.0.0")
    expect(rows.nth(0)).to_contain_text("boss")
    shot(page, "packages-02-applied")

    table = rt.schema.snapshot().table("customers")
    assert [f.api_name for f in table.fields] == ["name", "phone", "vip", "email"]
    records = rt.records.list(boss, "customers")["records"]
    assert len(records) == 12 and {r["phone"] for r in records} == {f"555-{i:03}" for i in range(12)}
