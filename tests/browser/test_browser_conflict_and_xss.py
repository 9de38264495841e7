"""Two people on the same card, and hostile text that must stay text."""

from __future__ import annotations

from playwright.sync_api import expect


def nav(page, action):
    """Do something that loads another page, and wait until that page and its scripts are ready."""
    with page.expect_navigation():
        action()


def test_two_browsers_edit_the_same_card_and_the_second_sees_the_conflict(live, boss, new_page, sign_in, shot):
    live.rt.users.create("anna", "anna-password", name="Anna Clerk", is_admin=True, actor=boss)
    live.rt.schema.create_table(boss, {"label": "Clients", "fields": [
        {"label": "Name", "type": "text"}, {"label": "City", "type": "text"}, {"label": "Phone", "type": "phone"}]})
    record = live.rt.records.create(boss, "clients", {"name": "Acme", "city": "Oslo"})
    url = f"/t/clients/{record['id']}"

    first, second = new_page(), new_page()
    sign_in(first)
    sign_in(second, "anna", "anna-password")
    first.goto(url)
    second.goto(url)

    first.get_by_label("City").fill("Bergen")
    nav(first, lambda: first.get_by_role("button", name="Save").click())
    expect(first.locator(".flash-success")).to_contain_text("Saved")

    second.get_by_label("Phone").fill("+47 22 33 44 55")
    second.get_by_role("button", name="Save").click()
    dialog = second.locator("#conflict-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Olga Boss")
    expect(dialog.locator("li")).to_contain_text(["City: Oslo → Bergen"])
    shot(second, "10-conflict")
    nav(second, lambda: dialog.get_by_role("button", name="Reapply my changes").click())
    expect(second.locator(".flash-success")).to_contain_text("Saved")
    expect(second.get_by_label("City")).to_have_value("Bergen")
    expect(second.get_by_label("Phone")).to_have_value("+47 22 33 44 55")
    saved = live.rt.records.get(boss, "clients", record["id"])
    assert (saved["city"], saved["phone"], saved["version"]) == ("Bergen", "+47 22 33 44 55", 3)

    # "Reload" instead shows the other person's version and drops the local edit
    first.reload()
    first.get_by_label("City").fill("Tromsø")
    live.rt.records.update(boss, "clients", record["id"], {"city": "Stavanger", "version": 3})
    first.get_by_role("button", name="Save").click()
    nav(first, lambda: first.locator("#conflict-dialog").get_by_role("button", name="Reload").click())
    expect(first.get_by_label("City")).to_have_value("Stavanger")


def test_hostile_labels_and_values_render_as_text(live, boss, new_page, sign_in, shot):
    evil = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">"
    table = live.rt.schema.create_table(boss, {"label": f"Evil {evil}", "api_name": "evil", "section": evil, "fields": [
        {"label": f"Name {evil}", "type": "text"},
        {"label": "Kind", "type": "choice", "options": {"choices": [{"value": "x", "label": evil}]}}]})
    name = table["fields"][0]["api_name"]
    record = live.rt.records.create(boss, "evil", {name: evil, "kind": "x"})
    page = new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page)
    for path in ("/", "/t/evil", f"/t/evil/{record['id']}", "/design", "/design/t/evil",
                 "/design/t/evil/layout", f"/t/evil?q={evil}"):
        page.goto(path)
        assert page.evaluate("window.__xss") is None, path
        assert page.locator("img[src=x]").count() == 0, path
    page.goto(f"/t/evil/{record['id']}")
    expect(page.get_by_label(f"Name {evil}")).to_have_value(evil)
    expect(page.locator("h1")).to_have_text(evil)
    page.goto("/t/evil")
    expect(page.locator("#records tbody")).to_contain_text(evil)
    expect(page.get_by_role("navigation", name="Tables")).to_contain_text(f"Evil {evil}")
    shot(page, "11-xss-as-text")
    assert dialogs == []
    # the page's policy forbids inline scripts outright
    response = page.request.get("/t/evil")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
