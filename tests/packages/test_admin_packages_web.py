"""The configuration packages page refuses who is not an administrator and archives that
would write outside their folder; a plan of a sample is shown without changing anything."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from cardfile.metamodel.packages.history import history


def signed_in(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert answer.status_code == 302
    return client


def csrf(client, path: str = "/admin/packages") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def people(app, rt):
    admin = rt.users.create("admin", "admin-password", name="Admin", bootstrap=True, is_admin=True)
    rt.users.create("clerk", "clerk-password", name="Clerk", actor=admin)
    return signed_in(app, "admin", "admin-password"), signed_in(app, "clerk", "clerk-password")


def zipped(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out.getvalue()


def test_only_administrators(people):
    _admin, clerk = people
    assert clerk.get("/admin/packages").status_code == 403


def test_a_sample_plan_changes_nothing_and_bad_archives_are_refused(people, rt, tmp_path):
    admin, _clerk = people
    page = admin.post("/admin/packages/plan", data={"csrf_token": csrf(admin), "sample": "customer-accounting"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Additions (" in text and "create table clients" in text
    assert rt.schema.snapshot().live_tables() == [] and history(rt.engine) == []
    assert re.search(r'name="package" value="sample:customer-accounting"', text)

    evil = zipped({"../outside/package.yaml": "name: x\nversion: '1'\ntitle: X\n"})
    answer = admin.post("/admin/packages/plan", data={"csrf_token": csrf(admin),
                                                       "file": (io.BytesIO(evil), "evil.zip")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "The archive holds a file outside its folder: ../outside/package.yaml" in answer.get_data(as_text=True)
    assert not (tmp_path / "outside").exists()
    bad = admin.post("/admin/packages/plan", data={"csrf_token": csrf(admin),
                                                    "file": (io.BytesIO(b"not a zip"), "x.zip")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert "The file is not a zip archive." in bad.get_data(as_text=True)
    forged = admin.post("/admin/packages/apply", data={"csrf_token": csrf(admin), "package": "../../etc"},
                        follow_redirects=True)
    assert "Choose a package first." in forged.get_data(as_text=True) and history(rt.engine) == []

    broken = zipped({"pkg/package.yaml": "name: shop\nversion: '1'\ntitle: Shop\ntables: [things]\n",
                     "pkg/tables/things.yaml": "api_name: things\nlabel: Things\nfields:\n"
                                               "  - {api_name: size, label: Size, type: txt}\n"})
    answer = admin.post("/admin/packages/plan", data={"csrf_token": csrf(admin),
                                                       "file": (io.BytesIO(broken), "shop.zip")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "tables/things.yaml: $.fields[0].type: unknown field type &#39;txt&#39;" in answer.get_data(as_text=True)


def test_the_configuration_downloads_as_a_package(people, rt, tmp_path):
    admin, clerk = people
    actor = rt.users.get(1)
    rt.schema.create_table(actor, {"label": "Things", "api_name": "things", "fields": [
        {"label": "Size", "api_name": "size", "type": "text"}]})
    assert clerk.get("/admin/packages/export.zip").status_code == 403
    answer = admin.get("/admin/packages/export.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert 'filename=configuration.zip' in answer.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(answer.data)).namelist()
    assert {"configuration/package.yaml", "configuration/tables/things.yaml"} <= set(names)
    # and it can be uploaded straight back: the plan has nothing to do
    page = admin.post("/admin/packages/plan", data={"csrf_token": csrf(admin),
                                                     "file": (io.BytesIO(answer.data), "configuration.zip")},
                      content_type="multipart/form-data")
    assert "What applying Configuration 1.0.0 would do" in page.get_data(as_text=True)
    assert "Additions (" not in page.get_data(as_text=True)
