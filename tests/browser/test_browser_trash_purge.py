"""The trash page: delete one record for good, empty the whole trash; only with the purge
permission."""

from __future__ import annotations

from playwright.sync_api import expect


def nav(page, action):
    with page.expect_navigation():
        action()


def test_delete_for_good_and_empty_the_trash(live, boss, new_page, sign_in):
    rt = live.rt
    rt.schema.create_table(boss, {"label": "Notes", "fields": [{"label": "Title", "type": "text"}]})
    ids = {t: rt.records.create(boss, "notes", {"title": t})["id"] for t in ("One", "Two", "Three", "Four")}
    for title in ("One", "Two", "Three"):
        rt.records.delete(boss, "notes", ids[title])
    clerk = rt.users.create("clerk", "clerk-password", actor=boss)
    rt.groups.create(boss, "clerks")
    rt.groups.add_member(boss, "clerks", "clerk")
    rt.groups.set_permission(boss, "clerks", "notes", {"actions": ["read", "update", "delete"]})

    page = new_page()
    sign_in(page, "clerk", "clerk-password")
    page.goto("/t/notes/trash")
    page.wait_for_selector("body[data-ready]")
    expect(page.get_by_role("button", name="Restore")).to_have_count(3)
    expect(page.get_by_role("button", name="Delete for good")).to_have_count(0)
    expect(page.get_by_role("button", name="Empty trash")).to_have_count(0)

    page = new_page()
    sign_in(page)
    page.goto("/t/notes/trash")
    page.wait_for_selector("body[data-ready]")
    row = page.locator("tr", has_text="Two")
    page.once("dialog", lambda d: d.accept())
    nav(page, lambda: row.get_by_role("button", name="Delete for good").click())
    expect(page.locator(".flash-success")).to_contain_text("Deleted for good")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert rt.records.list(boss, "notes")["total"] == 1

    page.once("dialog", lambda d: d.dismiss())  # asked first: nothing happens on cancel
    page.get_by_role("button", name="Empty trash").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    page.once("dialog", lambda d: d.accept())
    nav(page, lambda: page.get_by_role("button", name="Empty trash").click())
    expect(page.get_by_role("heading", name="The trash is empty")).to_be_visible()
    assert rt.records.list(boss, "notes")["total"] == 1
