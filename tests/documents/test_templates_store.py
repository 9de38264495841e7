"""Templates as metadata: checked on save, versioned, trashed, audited, designed by designers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cardfile.metamodel.errors import AccessDenied, InvalidDefinition, NameClash, StaleVersion
from cardfile.metamodel.storage.platform_tables import cf_audit, cf_templates
from cardfile.reports.documents.sandbox import TemplateInvalid
from cardfile.reports.documents.store import TemplateNotFound


def count_templates(rt) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(cf_templates)).scalar_one()


def test_create_update_versions_and_audit(shop):
    store = shop.docs.templates
    t = store.create(shop.admin, {"table": "invoices", "name": "Invoice", "kind": "html", "body": "<p>{{ number }}</p>",
                                  "settings": {"language": "ru", "keep_copy": True}})
    assert t["version"] == 1 and t["settings"]["paper"]["size"] == "A4" and t["settings"]["keep_copy"] is True
    changed = store.update(shop.admin, t["id"], {"body": "<p>№ {{ number }}</p>", "version": 1})
    assert changed["version"] == 2 and changed["body"] == "<p>№ {{ number }}</p>"
    versions = store.versions(shop.admin, t["id"])
    assert [(v["version"], v["action"]) for v in versions] == [(2, "update"), (1, "create")]
    assert versions[1]["definition"]["body"] == "<p>{{ number }}</p>"
    reverted = store.revert(shop.admin, t["id"], 1)
    assert reverted["version"] == 3 and reverted["body"] == "<p>{{ number }}</p>"
    with shop.rt.engine.connect() as conn:
        entries = conn.execute(select(cf_audit.c.action, cf_audit.c.record_id, cf_audit.c.changes)
                               .where(cf_audit.c.action.like("template_%")).order_by(cf_audit.c.id)).all()
    assert [e.action for e in entries] == ["template_create", "template_update", "template_revert"]
    assert all(e.record_id is None and e.changes["template"] == [t["id"], "Invoice"] for e in entries)


def test_a_stale_version_is_refused(shop):
    t = shop.template("{{ number }}")
    shop.docs.templates.update(shop.admin, t["id"], {"body": "a", "version": 1})
    with pytest.raises(StaleVersion):
        shop.docs.templates.update(shop.admin, t["id"], {"body": "b", "version": 1})


@pytest.mark.parametrize("body, line, column", [
    ("<p>{{ number </p>", 1, 15),
    ("<p>\n{% for x in lines %}\n{{ x }}", 2, 1),
    ("a\nb\n<p>{{ client.name( }}</p>", 3, 20),
    ("{% iff x %}{% endif %}", 1, 4),
])
def test_a_syntax_error_is_refused_with_line_and_column_and_nothing_saved(shop, body, line, column):
    before = count_templates(shop.rt)
    with pytest.raises(TemplateInvalid) as exc:
        shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Broken", "kind": "html", "body": body})
    assert (exc.value.details["line"], exc.value.details["column"]) == (line, column)
    assert f"line {line}, column {column}" in exc.value.message
    assert count_templates(shop.rt) == before


def test_an_update_with_a_syntax_error_keeps_the_old_text(shop):
    t = shop.template("{{ number }}")
    with pytest.raises(TemplateInvalid):
        shop.docs.templates.update(shop.admin, t["id"], {"body": "{{ number "})
    assert shop.docs.templates.get(shop.admin, t["id"])["body"] == "{{ number }}"


def test_settings_and_file_name_are_checked(shop):
    with pytest.raises(InvalidDefinition) as exc:
        shop.template("x", paper={"size": "B7"})
    assert "paper/size" in exc.value.message
    with pytest.raises(TemplateInvalid) as exc:
        shop.template("x", filename="Invoice {{ number ")
    assert exc.value.details["field"] == "settings.filename"


def test_trash_and_restore(shop):
    t = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Act", "kind": "html", "body": "x"})
    shop.docs.templates.delete(shop.admin, t["id"])
    assert shop.docs.templates.list(shop.admin, "invoices") == []
    assert [x["name"] for x in shop.docs.templates.list(shop.admin, "invoices", trashed=True)] == ["Act"]
    with pytest.raises(TemplateNotFound):
        shop.docs.render(shop.admin, "invoices", shop.ids["invoice"], t["id"], "html")
    again = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Act", "kind": "html", "body": "y"})
    with pytest.raises(NameClash):
        shop.docs.templates.restore(shop.admin, t["id"])
    shop.docs.templates.delete(shop.admin, again["id"])
    assert shop.docs.templates.restore(shop.admin, t["id"])["deleted_at"] is None


def test_designing_needs_the_design_right(shop, clerk):
    with pytest.raises(AccessDenied):
        shop.docs.templates.create(clerk, {"table": "invoices", "name": "Mine", "kind": "html", "body": "x"})
    t = shop.template("x")
    with pytest.raises(AccessDenied):
        shop.docs.templates.update(clerk, t["id"], {"body": "y"})
    shop.rt.groups.set_permission(shop.admin, "clerks", "invoices", {"actions": ["read", "print", "design"]})
    assert shop.docs.templates.update(clerk, t["id"], {"body": "y"})["body"] == "y"


def test_kind_cannot_change_and_docx_has_no_body(shop):
    t = shop.template("x")
    with pytest.raises(InvalidDefinition):
        shop.docs.templates.update(shop.admin, t["id"], {"kind": "docx"})
    with pytest.raises(InvalidDefinition):
        shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "W", "kind": "docx", "body": "x"})
