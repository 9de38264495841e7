"""Setting up access from scratch in the browser: an administrator makes "managers see only
their own clients, tax ID hidden" with the Administration pages only, checks it with
"view as", and the manager then signs in and uses the list, a card, a new client and a
report. Screenshots: access-*.png."""

from __future__ import annotations

from playwright.sync_api import expect

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.samples import sample_path


def test_managers_see_only_their_own_clients_with_the_tax_id_hidden(live, boss, new_page, sign_in, shot):
    rt = live.rt
    apply_package(rt, boss, load_package(sample_path("customer-accounting")))
    for name, tax in (("Amber Ltd", "GB111"), ("Birch plc", "GB222"), ("Cedar LLC", "GB333")):
        rt.records.create(boss, "clients", {"name": name, "tax_id": tax, "manager": boss.id})

    admin = new_page()
    sign_in(admin)
    with admin.expect_navigation():
        admin.get_by_role("link", name="Administration").click()

    # a new user and a new group, from the Administration page
    admin.get_by_label("Username", exact=True).fill("mira")
    admin.get_by_label("Full name", exact=True).fill("Mira Manager")
    admin.get_by_label("Password", exact=True).fill("mira-password-1")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Create user").click()
    expect(admin.locator(".flash-success")).to_contain_text("User created")
    admin.get_by_label("Name", exact=True).fill("Sales team")
    admin.get_by_label("What it is for").fill("Their own clients; tax IDs hidden")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Create group").click()
    with admin.expect_navigation():
        admin.locator("table.admin-groups").get_by_role("link", name="Sales team").click()

    # members: Mira
    admin.locator(".member-list").get_by_label("Mira Manager").check()
    with admin.expect_navigation():
        admin.get_by_role("button", name="Save members").click()
    expect(admin.locator(".flash-success")).to_contain_text("Members saved")

    # clients: read, create, change, print; only where she is the account manager; tax ID hidden
    clients = admin.locator("tbody#perm-clients")
    for action in ("Read", "Create", "Change", "Print"):
        clients.get_by_label(f"{action}: Clients").check()
    clients.get_by_label("Which records: Clients").select_option(label="Records where Account manager is the user")
    clients.locator(".fields-row summary").click()
    clients.get_by_label("Tax ID").select_option("hidden")
    shot(admin, "access-01-group-permissions")
    with admin.expect_navigation():
        clients.get_by_role("button", name="Save the permission on Clients").click()
    expect(admin.locator(".flash-success")).to_contain_text("Permission on Clients saved")

    # invoices of her clients, by a condition through the link; a typo is refused with its place
    invoices = admin.locator("tbody#perm-invoices")
    invoices.get_by_label("Read: Invoices").check()
    invoices.get_by_label("Which records: Invoices").select_option(label="Records matching a condition…")
    invoices.get_by_label("Condition: Invoices").fill("client.manger == me")
    with admin.expect_navigation():
        invoices.get_by_role("button", name="Save the permission on Invoices").click()
    expect(admin.locator(".flash-error")).to_contain_text("manger")
    invoices = admin.locator("tbody#perm-invoices")
    invoices.get_by_label("Read: Invoices").check()
    invoices.get_by_label("Which records: Invoices").select_option(label="Records matching a condition…")
    invoices.get_by_label("Condition: Invoices").fill("client.manager == me")
    with admin.expect_navigation():
        invoices.get_by_role("button", name="Save the permission on Invoices").click()
    expect(admin.locator(".flash-success")).to_contain_text("Permission on Invoices saved")
    expect(admin.locator("tbody#perm-clients select[name=rows]")).to_have_value("user:manager")

    # give Mira one client on its card: the account manager is picked from the users
    birch = rt.records.list(boss, "clients", None)["records"]
    birch_id = next(r["id"] for r in birch if r["name"] == "Birch plc")
    admin.goto(f"/t/clients/{birch_id}")
    admin.get_by_label("Account manager").select_option(label="Mira Manager")
    with admin.expect_navigation():  # saved, the card reloads
        admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_label("Account manager")).to_have_value(str(rt.users.by_username("mira").id))

    # test as a member of the group before telling her
    admin.goto("/admin/")
    with admin.expect_navigation():
        admin.get_by_role("button", name="View as mira").click()
    expect(admin.locator(".preview-banner")).to_contain_text("Mira Manager")
    admin.goto("/t/clients")
    expect(admin.locator("#records tbody tr")).to_have_count(1)
    shot(admin, "access-02-view-as-mira")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Stop viewing as").click()

    # Mira signs in: her clients only, no tax ID anywhere, no delete
    mira = new_page()
    sign_in(mira, "mira", "mira-password-1")
    expect(mira.locator(".tile-main", has_text="Clients")).to_contain_text("1 record")
    mira.get_by_label("Search all tables").fill("plc")
    with mira.expect_navigation():
        mira.get_by_role("button", name="Search").click()
    expect(mira.locator(".search-results")).to_contain_text("Birch plc")
    expect(mira.locator(".search-results")).not_to_contain_text("Amber")
    shot(mira, "access-00-manager-home")
    with mira.expect_navigation():
        mira.get_by_role("navigation").get_by_role("link", name="Clients", exact=True).click()
    rows = mira.locator("#records tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Birch plc")
    expect(mira.locator("#records thead")).not_to_contain_text("Tax ID")
    expect(mira.get_by_role("link", name="Trash")).to_have_count(0)
    shot(mira, "access-03-manager-list")
    with mira.expect_navigation():
        rows.first.get_by_role("link", name=str(birch_id)).click()
    expect(mira.get_by_role("heading", name="Birch plc")).to_be_visible()
    expect(mira.locator("#card-form")).not_to_contain_text("Tax ID")
    expect(mira.locator("#card-form")).not_to_contain_text("GB222")
    expect(mira.locator("#delete-record")).to_have_count(0)
    expect(mira.get_by_label("Account manager")).to_have_value(str(rt.users.by_username("mira").id))
    shot(mira, "access-04-manager-card")

    # a new client: no tax ID asked, she is its account manager
    mira.goto("/t/clients")
    with mira.expect_navigation():
        mira.get_by_role("link", name="New record").first.click()
    shot(mira, "access-05-manager-new-client")
    expect(mira.get_by_label("Account manager")).to_have_value(str(rt.users.by_username("mira").id))
    expect(mira.locator('[data-field="tax_id"]')).to_have_count(0)
    mira.locator("#f-name").fill("Daisy & Co")
    shot(mira, "access-05-manager-new-client")
    with mira.expect_navigation():
        mira.get_by_role("button", name="Create").click()
    expect(mira.get_by_role("heading", name="Daisy & Co")).to_be_visible()
    mira.goto("/t/clients")
    expect(mira.locator("#records tbody tr")).to_have_count(2)

    # a report of her own on clients: her two clients, and no tax ID to choose
    with mira.expect_navigation():
        mira.get_by_role("link", name="Reports", exact=True).click()
    mira.get_by_label("New report on").select_option("clients")
    with mira.expect_navigation():
        mira.get_by_role("button", name="Design a report").click()
    expect(mira.locator(".field-chip[data-path='tax_id']")).to_have_count(0)
    mira.get_by_role("button", name="Add to rows: Status").click()
    total = mira.locator("table.pivot tr", has=mira.locator("th", has_text="Total")).last
    expect(total.locator("td").last).to_have_text("2")
    shot(mira, "access-06-manager-report")

    # the administrator's list still has all four
    admin.goto("/t/clients")
    expect(admin.locator("#records tbody tr")).to_have_count(4)
