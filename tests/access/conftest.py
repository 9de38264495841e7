"""The customer-accounting world for access tests: the package with its four roles, one user
per role (two managers), records owned by each manager, and an API client per user."""

from __future__ import annotations

import dataclasses

import pytest

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.samples import sample_path

SECRETS = {"anna": "TAXSECRET-ANNA-7731", "boris": "TAXSECRET-BORIS-9913"}
NOTES = {"anna": "NOTESECRET-ANNA-4410", "boris": "NOTESECRET-BORIS-2208"}
ROLES = {"admin": "Administrators", "senior": "Senior managers", "anna": "Managers", "boris": "Managers",
         "victor": "Viewers"}


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing):
    return None


class Api:
    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def request(self, method: str, path: str, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@dataclasses.dataclass
class World:
    app: object
    rt: object
    users: dict
    api: dict
    ids: dict


@pytest.fixture
def world(app) -> World:
    rt = app.extensions["cardfile"]
    admin = rt.users.create("admin", "admin-password", name="Admin", bootstrap=True, is_admin=True)
    apply_package(rt, admin, load_package(sample_path("customer-accounting")))
    users = {"admin": admin}
    for name in ("senior", "anna", "boris", "victor"):
        users[name] = rt.users.create(name, f"{name}-password", name=name.title(), actor=admin)
        rt.groups.add_member(admin, ROLES[name], name)
    ids: dict = {}
    for manager in ("anna", "boris"):
        client = rt.records.create(admin, "clients", {
            "name": f"Client of {manager}", "manager": users[manager].id, "tax_id": SECRETS[manager],
            "notes": NOTES[manager]})
        contact = rt.records.create(admin, "contacts", {"client": client["id"], "name": f"Contact {manager}"})
        invoice = rt.records.create(admin, "invoices", {"client": client["id"], "date": "2026-01-15", "lines": [
            {"description": "Service", "quantity": "1", "price": "100.00"}]})
        payment = rt.records.create(admin, "payments", {"invoice": invoice["id"], "date": "2026-01-20",
                                                        "amount": "10.00"})
        rt.records.update(admin, "clients", client["id"], {"notes": NOTES[manager] + "-v2"}, version=client["version"])
        ids[manager] = {"clients": client["id"], "contacts": contact["id"], "invoices": invoice["id"],
                        "payments": payment["id"]}
    api = {name: Api(app.test_client(), rt.users.create_token(user, "tests")[1]) for name, user in users.items()}
    return World(app, rt, users, api, ids)
