"""Sessions end at once in the browser: signing out kills a copied cookie, and an
administrator's "Sign out everywhere" ends a user's sessions in every browser."""

from __future__ import annotations

from playwright.sync_api import expect


def copy_of(new_page, page):
    """Another browser holding a copy of ``page``'s cookies (a stolen session cookie)."""
    other = new_page()
    other.context.add_cookies(page.context.cookies())
    other.goto("/")
    assert "/login" not in other.url
    return other


def test_sign_out_and_sign_out_everywhere_end_sessions_at_once(live, boss, new_page, sign_in, shot):
    live.rt.users.create("vera", "vera-password", name="Vera Staff", actor=boss)

    # signing out ends the session for a copy of the cookie too
    vera = new_page()
    sign_in(vera, "vera", "vera-password")
    stolen = copy_of(new_page, vera)
    vera.get_by_role("button", name="Vera Staff").click()
    with vera.expect_navigation():
        vera.get_by_role("button", name="Sign out").click()
    assert "/login" in vera.url
    stolen.goto("/")
    assert "/login" in stolen.url

    # an administrator signs vera out everywhere: both of her browsers are signed out
    first, second = new_page(), new_page()
    sign_in(first, "vera", "vera-password")
    sign_in(second, "vera", "vera-password")
    admin = new_page()
    sign_in(admin)
    admin.goto("/admin/")
    row = admin.locator("tr", has_text="vera")
    expect(row.locator("td").nth(5)).to_have_text("2")
    shot(admin, "sessions-01-admin-users")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Sign vera out everywhere").click()
    expect(admin.get_by_text("vera was signed out everywhere.")).to_be_visible()
    expect(admin.locator("tr", has_text="vera").locator("td").nth(5)).to_have_text("0")
    for page in (first, second):
        page.goto("/")
        assert "/login" in page.url
    admin.goto("/")
    assert "/login" not in admin.url  # the administrator's own session goes on
