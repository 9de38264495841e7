"""Calendar and kanban in the browser: dragging an item to another day, hour or column
changes the record; a record someone else changed in between is a conflict that is shown,
and nothing is saved; a saved calendar view opens from the list's View menu."""

from __future__ import annotations

from playwright.sync_api import expect

KINDS = [{"value": "call", "label": "Call", "color": "#3498db"},
         {"value": "meeting", "label": "Meeting", "color": "#16a085"},
         {"value": "letter", "label": "Letter", "color": "#d35400"}]
STAGES = [{"value": "new", "label": "New", "color": "#3498db"}, {"value": "won", "label": "Won", "color": "#27ae60"},
          {"value": "lost", "label": "Lost", "color": "#c0392b"}]


def _tables(rt, boss):
    rt.schema.create_table(boss, {"label": "Events", "api_name": "events", "display_field": "subject", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Starts at", "api_name": "starts_at", "type": "datetime"},
        {"label": "Kind", "api_name": "kind", "type": "choice", "options": {"choices": KINDS}},
        {"label": "Responsible", "api_name": "responsible", "type": "user"}]})
    rt.schema.create_table(boss, {"label": "Deals", "api_name": "deals", "display_field": "title", "fields": [
        {"label": "Title", "api_name": "title", "type": "text"},
        {"label": "Stage", "api_name": "stage", "type": "choice", "options": {"choices": STAGES}},
        {"label": "Amount", "api_name": "amount", "type": "decimal"}]})


def test_dragging_in_the_calendar_moves_the_event_and_a_conflict_is_shown(live, boss, new_page, sign_in, shot):
    rt = live.rt
    _tables(rt, boss)
    clerk = rt.users.create("clerk", "clerk-password", name="Clerk", actor=boss)
    call = rt.records.create(boss, "events", {"subject": "Call Acme", "kind": "call", "responsible": boss.id,
                                              "starts_at": "2026-03-10T14:30:00Z"})
    for day, (subject, kind) in enumerate([("Meeting Zeta", "meeting"), ("Letter to Omega", "letter"),
                                           ("Call Beta", "call")], start=16):
        rt.records.create(boss, "events", {"subject": subject, "kind": kind, "responsible": clerk.id,
                                           "starts_at": f"2026-03-{day}T09:00:00Z"})
    page = new_page()
    sign_in(page)
    page.goto("/t/events")
    with page.expect_navigation():
        page.get_by_role("link", name="Calendar").click()
    page.goto("/t/events/calendar?at=2026-03-05")
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    item = page.locator(".cal-item", has_text="Call Acme")
    expect(item).to_be_visible()
    shot(page, "boards-01-calendar-month")

    page.drag_and_drop(".cal-item:has-text('Call Acme')", ".cal-day[data-day='2026-03-12']")
    expect(page.get_by_text("Moved.")).to_be_visible()
    expect(page.locator(".cal-day[data-day='2026-03-12'] .cal-item", has_text="Call Acme")).to_be_visible()
    assert rt.records.get(boss, "events", call["id"])["starts_at"] == "2026-03-12T14:30:00Z"

    # someone else changes the event; the page still holds the old version
    current = rt.records.get(boss, "events", call["id"])
    rt.records.update(boss, "events", call["id"], {"subject": "Call Acme (moved by phone)"},
                      version=current["version"])
    page.drag_and_drop(".cal-item:has-text('Call Acme')", ".cal-day[data-day='2026-03-19']")
    expect(page.get_by_text("Someone else changed this record")).to_be_visible()
    expect(page.locator(".cal-item.conflict")).to_have_count(1)
    assert rt.records.get(boss, "events", call["id"])["starts_at"] == "2026-03-12T14:30:00Z"
    shot(page, "boards-02-calendar-conflict")

    # the week: drop on an hour to change the time as well
    page.goto("/t/events/calendar?mode=week&at=2026-03-12")
    page.drag_and_drop(".cal-item:has-text('Call Acme')", ".cal-slot[data-day='2026-03-13'][data-hour='10']")
    expect(page.get_by_text("Moved.")).to_be_visible()
    assert rt.records.get(boss, "events", call["id"])["starts_at"] == "2026-03-13T10:30:00Z"
    shot(page, "boards-03-calendar-week")

    # save it as a view, per employee: it opens from the list's View menu
    page.goto(f"/t/events/calendar?at=2026-03-05&person={clerk.id}")
    expect(page.locator(".cal-item")).to_have_count(3)
    page.once("dialog", lambda dialog: dialog.accept("Clerk's calendar"))
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text("The view was saved.")).to_be_visible()
    page.goto("/t/events")
    with page.expect_navigation():
        page.locator("#view-select").select_option(label="Clerk's calendar · calendar")
    assert "/t/events/calendar?view=" in page.url
    page.goto(page.url + "&at=2026-03-05")
    expect(page.locator(".cal-item")).to_have_count(3)  # the clerk's only: the view keeps the person
    shot(page, "boards-04-saved-calendar")


def test_dragging_a_kanban_card_changes_the_stage_and_a_conflict_is_shown(live, boss, new_page, sign_in, shot):
    rt = live.rt
    _tables(rt, boss)
    deals = [rt.records.create(boss, "deals", {"title": f"Deal {n}", "stage": "new", "amount": 100 * n})
             for n in range(1, 26)]
    rt.records.create(boss, "deals", {"title": "Unsorted lead"})
    page = new_page()
    sign_in(page)
    page.goto("/t/deals/kanban")
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    new_col = page.locator(".kanban-col[data-value='new']")
    expect(new_col.locator(".kanban-card")).to_have_count(20)
    new_col.get_by_role("button", name="More (5)").click()
    expect(new_col.locator(".kanban-card")).to_have_count(25)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "boards-05-kanban")

    page.drag_and_drop(".kanban-card:has-text('Deal 25')", ".kanban-col[data-value='won']")
    expect(page.get_by_text("Moved.")).to_be_visible()
    expect(page.locator(".kanban-col[data-value='won'] .kanban-card", has_text="Deal 25")).to_be_visible()
    expect(page.locator(".kanban-col[data-value='won'] .count")).to_have_text("1")
    assert rt.records.get(boss, "deals", deals[-1]["id"])["stage"] == "won"

    rt.records.update(boss, "deals", deals[-2]["id"], {"amount": 1}, version=deals[-2]["version"])
    page.drag_and_drop(".kanban-card:has-text('Deal 24')", ".kanban-col[data-value='lost']")
    expect(page.get_by_text("Someone else changed this record")).to_be_visible()
    expect(page.locator(".kanban-col[data-value='new'] .kanban-card.conflict", has_text="Deal 24")).to_be_visible()
    assert rt.records.get(boss, "deals", deals[-2]["id"])["stage"] == "new"
    shot(page, "boards-06-kanban-conflict")

    # the fields a card shows are chosen on the board
    page.goto("/t/deals/kanban")
    expect(page.locator(".kanban-card").first).to_contain_text("Amount:")
    page.get_by_text("Shown fields").click()
    shot(page, "boards-10-kanban-fields")
    page.get_by_label("Amount").uncheck()
    with page.expect_navigation():
        page.locator(".board-shown").get_by_role("button", name="Apply").click()
    expect(page.locator(".kanban-card").first).not_to_contain_text("Amount:")


def test_the_customer_accounting_boards(live, boss, new_page, sign_in, shot):
    """The sample's shared views: the events calendar per employee and the orders kanban."""
    from cardfile.metamodel.packages import apply_package, load_package
    from cardfile.metamodel.packages.demo import load_demo
    from cardfile.metamodel.packages.samples import sample_path
    from cardfile.metamodel.records.query import ListQuery
    from cardfile.metamodel.packages.extras import apply_extras

    rt = live.rt
    pkg = load_package(sample_path("customer-accounting"))
    apply_package(rt, boss, pkg)
    assert apply_extras(rt, boss, pkg.extras, {})["views"] >= 3
    load_demo(rt, boss, pkg)
    anna = rt.users.create("anna", "anna-password", name="Anna Manager", actor=boss)
    events = rt.records.list(boss, "events", ListQuery(per_page=500, sort=["-starts_at"]))["records"]
    for event in events[::2]:
        rt.records.update(boss, "events", event["id"], {"responsible": anna.id}, version=event["version"])

    page = new_page()
    sign_in(page)
    page.goto("/t/events")
    with page.expect_navigation():
        page.locator("#view-select").select_option(label="Events calendar · calendar · shared")
    expect(page.locator("h1")).to_contain_text("Events calendar")
    expect(page.locator(".cal-legend")).to_contain_text("Meeting")
    everyone = page.locator(".cal-item").count()
    with page.expect_navigation():
        page.locator("#board-person").select_option(label="Anna Manager")
    assert 0 < page.locator(".cal-item").count() <= everyone
    shot(page, "boards-07-sample-events-calendar")

    page.goto("/t/orders")
    with page.expect_navigation():
        page.locator("#view-select").select_option(label="Orders by status · kanban · shared")
    status = rt.schema.snapshot().table("orders").field("status")  # required: no "no value" column
    expect(page.locator(".kanban-col")).to_have_count(len(status.opt("choices")))
    expect(page.locator(".kanban-col[data-value='completed'] .kanban-card").first).to_contain_text("Client")
    shot(page, "boards-08-sample-orders-kanban")

    # a tablet: the month still fits, the kanban scrolls sideways
    from .conftest import TABLET

    tablet = new_page(viewport=TABLET)
    sign_in(tablet)
    tablet.goto("/t/events")
    with tablet.expect_navigation():
        tablet.locator("#view-select").select_option(label="Events calendar · calendar · shared")
    expect(tablet.locator(".cal-day")).to_have_count(tablet.locator(".cal-day").count())
    width = tablet.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], width  # no sideways scrolling of the page
    shot(tablet, "boards-09-sample-calendar-tablet")
