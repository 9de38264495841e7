"""Server side of the browser UI: languages and locale formats, the list's state in the URL,
saved views, the card from its layout, designers' access, and the security headers."""

from __future__ import annotations

import re

from cardfile.platform.web.i18n import SOURCE_DIR, compile_catalogues

from babel.messages.pofile import read_po


def make_clients(rt, boss):
    rt.schema.create_table(boss, {"label": "Clients", "section": "Sales", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Balance", "type": "money"},
        {"label": "Since", "type": "date"},
        {"label": "Kind", "type": "choice", "options": {"choices": [{"value": "org", "label": "Organisation"},
                                                                     {"value": "person", "label": "Person"}]}}]})
    rt.schema.create_table(boss, {"label": "Contacts", "section": "Sales", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Client", "type": "link", "options": {"target": "clients"}}]})
    acme = rt.records.create(boss, "clients", {"name": "Acme", "balance": "1234.5", "since": "2024-03-15", "kind": "org"})
    rt.records.create(boss, "clients", {"name": "Bob", "balance": "10", "kind": "person"})
    rt.records.create(boss, "contacts", {"name": "Carla", "client": acme["id"]})
    return acme


def test_every_message_of_the_sources_is_in_the_russian_catalogue():
    """Each string the templates and views mark for translation has its entry (and the
    catalogue holds no entry that nothing uses any more)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    web = SOURCE_DIR.parent
    found = {message for _, _, message, _, _ in extract_from_dir(
        str(web), method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={**DEFAULT_KEYWORDS, "_l": None})}
    found = {m if isinstance(m, str) else m[0] for m in found}
    with (SOURCE_DIR / "ru/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert sorted(found - catalog) == [] and sorted(catalog - found) == []


def test_every_message_has_a_russian_translation_and_compiles(tmp_path):
    with (SOURCE_DIR / "ru/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert untranslated == [] and len(catalog) > 200
    compiled = compile_catalogues(tmp_path)
    assert (compiled / "ru/LC_MESSAGES/messages.mo").stat().st_size > 5000


def test_pages_follow_the_chosen_language_and_locale_formats(browser, rt, boss):
    acme = make_clients(rt, boss)
    english = browser.get(f"/t/clients/{acme['id']}").get_data(as_text=True)
    assert "€1,234.50" in english and "Mar 15, 2024" in english and "History" in english
    home = browser.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', home).group(1)
    assert browser.post("/language", data={"lang": "ru", "next": "/t/clients", "csrf_token": token}).status_code == 302
    russian = browser.get("/t/clients").get_data(as_text=True)
    assert "Новая запись" in russian and "2 записи" in russian and 'lang="ru"' in russian
    card = browser.get(f"/t/clients/{acme['id']}").get_data(as_text=True)
    assert "1\u00a0234,50\u00a0€" in card and "15 мар. 2024" in card and "История" in card
    assert browser.get("/t/clients", headers={"Accept-Language": "ru"}).status_code == 200


def test_browser_language_is_used_before_a_choice(app, boss, login):
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert "Имя пользователя" in page and "Войти" in page


def test_list_state_lives_in_the_url_and_views_fill_the_rest(browser, rt, boss):
    make_clients(rt, boss)
    page = browser.get("/t/clients?filter=kind:eq:org&sort=-name&cols=name,balance").get_data(as_text=True)
    assert "1 record" in page and "Acme" in page and "Bob" not in page
    assert 'aria-sort="descending"' in page and "Remove filter" in page
    header = page[page.index("<thead>"):page.index("</thead>")]
    assert "Balance" in header and "Kind" not in header
    assert "Bob" in browser.get("/t/clients?q=bob").get_data(as_text=True)
    from cardfile.metamodel.views import ViewService
    views = ViewService(rt.engine, rt.catalog, rt.access)
    views.create_view(boss, "clients", "Default", {"columns": ["name", "kind"], "sort": ["-name"]}, kind="default")
    mine = views.create_view(boss, "clients", "Orgs", {"filters": [["kind", "eq", "org"]]})
    default = browser.get("/t/clients").get_data(as_text=True)
    assert default.index("Bob") < default.index("Acme")  # the default view sorts by name descending
    chosen = browser.get(f"/t/clients?view={mine['id']}").get_data(as_text=True)
    assert "Acme" in chosen and "Bob" not in chosen
    bad = browser.get("/t/clients?where=nme == 1").get_data(as_text=True)
    assert "The expression was not applied" in bad and "Bob" in bad
    good = browser.get('/t/clients?where=kind == "person"').get_data(as_text=True)
    assert "Bob" in good and "Acme" not in good
    empty = browser.get("/t/clients?q=nobody-at-all").get_data(as_text=True)
    assert "No records match" in empty


def test_card_follows_the_layout_with_related_lists_and_prefill(browser, rt, boss):
    acme = make_clients(rt, boss)
    from cardfile.metamodel.layouts import LayoutService
    LayoutService(rt.engine, rt.catalog, rt.access).save_layout(boss, "clients", {"tabs": [
        {"title": "Main", "sections": [{"title": "Who", "columns": 1, "fields": [["name", "kind"]]}]},
        {"title": "Money", "sections": [{"title": "", "columns": 2, "fields": [["balance"], ["since"]]}]}]})
    card = browser.get(f"/t/clients/{acme['id']}").get_data(as_text=True)
    assert card.index(">Main<") < card.index(">Money<") < card.index(">History<")
    assert "<legend>Who</legend>" in card and 'class="cols cols-2"' in card
    assert "Carla" in card and f"/t/contacts/new?client={acme['id']}" in card
    new = browser.get(f"/t/contacts/new?client={acme['id']}").get_data(as_text=True)
    assert 'value="Acme"' in new and f'data-value="{acme["id"]}"' in new
    rt.records.delete(boss, "clients", acme["id"])
    trash = browser.get("/t/clients/trash").get_data(as_text=True)
    assert "Acme" in trash and "Restore" in trash


def test_designers_are_for_administrators(app, rt, boss, login, browser):
    make_clients(rt, boss)
    for url in ("/design", "/design/t/clients", "/design/t/clients/layout", "/design/t/clients/list"):
        assert browser.get(url).status_code == 200, url
    rt.users.create("clerk", "clerk-password", name="Clerk", actor=boss)
    clerk = app.test_client()
    login(clerk, "clerk", "clerk-password")
    assert clerk.get("/design").status_code == 403
    assert clerk.get("/design/t/clients/layout").status_code == 403


def test_every_page_has_a_strict_policy_and_labelled_controls(browser, rt, boss):
    acme = make_clients(rt, boss)
    for url in ("/", "/t/clients", f"/t/clients/{acme['id']}", "/t/clients/new", "/design/t/clients"):
        response = browser.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "style-src 'self'" in policy
        html = response.get_data(as_text=True)
        assert " on" + "click=" not in html and "javascript:" not in html
        assert re.findall(r"<script(?![^>]*(?:src=|type=\"application/json\"))", html) == []
        for match in re.finditer(r'<(input|select|textarea)\b([^>]*)>', html):
            attrs = match.group(2)
            if 'type="hidden"' in attrs or 'type="file"' in attrs and "id=" in attrs:
                continue
            ident = re.search(r'\bid="([^"]+)"', attrs)
            labelled = "aria-label=" in attrs or (ident and f'for="{ident.group(1)}"' in html) \
                or 'class="row-select"' in attrs or (ident and f'aria-labelledby' in attrs)
            assert labelled or "<label" in html[max(0, match.start() - 200):match.start()], (url, match.group(0))
