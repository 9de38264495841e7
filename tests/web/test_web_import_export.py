"""Import and export in the browser (server side): the Export menu's files follow the list's
filter, search, sort and columns; the import pages detect, map, check (nothing written until
the file is clean), import and revert; list filters take names and typed values and their
chips show labels."""

from __future__ import annotations

import io
import json
import re
import time

import openpyxl
import pytest

from cardfile.platform.web import imports as web_imports


def token_of(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


@pytest.fixture
def clients(rt, boss):
    rt.schema.create_table(boss, {"label": "Clients", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Balance", "type": "money", "options": {"currency": "RUB"}},
        {"label": "Since", "type": "date"},
        {"label": "Kind", "type": "choice", "options": {"choices": [{"value": "org", "label": "Organization"},
                                                                     {"value": "person", "label": "Person"}]}},
        {"label": "Manager", "type": "user"}]})
    rt.schema.create_table(boss, {"label": "Payments", "fields": [
        {"label": "Client", "type": "link", "options": {"target": "clients"}},
        {"label": "Amount", "type": "money", "options": {"currency": "RUB"}},
        {"label": "Paid on", "type": "date"}, {"label": "Note", "type": "text"}]})
    acme = rt.records.create(boss, "clients", {"name": "ACME Ltd", "balance": "1234.5", "since": "2024-03-15",
                                               "kind": "org", "manager": boss.id})
    rt.records.create(boss, "clients", {"name": "Bob", "balance": "10", "kind": "person"})
    rt.records.create(boss, "clients", {"name": "Ромашка", "balance": "99.99", "kind": "org"})
    return acme


# --- export -----------------------------------------------------------------------------------
def test_the_list_page_offers_export_and_import(browser, clients):
    page = browser.get("/t/clients?filter=kind:eq:org&cols=name,balance").get_data(as_text=True)
    assert "Export" in page and "/t/clients/export.xlsx?" in page and "/t/clients/import" in page
    link = re.search(r'href="(/t/clients/export\.csv\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "filter=kind:eq:org" in link and "cols=name,balance" in link


def test_export_follows_the_filter_sort_and_visible_columns(browser, clients):
    csv_text = browser.get("/t/clients/export.csv?filter=kind:eq:org&cols=name,balance&sort=-name&view=") \
        .get_data().decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0] == "ID,Name,Balance,Balance (currency)"
    assert [line.split(",")[1] for line in lines[1:]] == ["Ромашка", "ACME Ltd"]  # organizations, name descending
    assert "1234.50" in csv_text and "Bob" not in csv_text
    book = openpyxl.load_workbook(io.BytesIO(browser.get("/t/clients/export.xlsx?q=acme&cols=name,since&view=").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("ID", "Name", "Since") and rows[1][1] == "ACME Ltd" and rows[1][2].year == 2024
    records = json.loads(browser.get("/t/clients/export.json?filter=kind:eq:person&cols=name&view=").data)
    assert records == [{"id": records[0]["id"], "name": "Bob"}]


def test_a_russian_csv_export_is_what_russian_excel_opens(browser, clients):
    text = browser.get("/t/clients/export.csv?cols=name,balance&sort=name&view=",
                       headers={"Accept-Language": "ru"}).get_data().decode("utf-8-sig")
    assert text.splitlines()[0] == "ID;Name;Balance;Balance (currency)"
    assert ";1234,50;RUB" in text and ";99,99;RUB" in text


# --- filters ------------------------------------------------------------------------------------
def test_link_and_user_filters_take_names_and_chips_show_labels(browser, rt, boss, clients):
    rt.records.create(boss, "payments", {"client": clients["id"], "amount": "100", "paid_on": "2026-01-05"})
    other = rt.records.list(boss, "clients")["records"][1]
    rt.records.create(boss, "payments", {"client": other["id"], "amount": "5", "paid_on": "2026-02-05"})
    by_id = browser.get(f"/t/payments?filter=client:eq:{clients['id']}").get_data(as_text=True)
    assert "1 record" in by_id and "<strong>ACME Ltd</strong>" in by_id
    by_name = browser.get("/t/payments?filter=client:eq:acme ltd").get_data(as_text=True)
    assert "1 record" in by_name and "<strong>ACME Ltd</strong>" in by_name
    unknown = browser.get("/t/payments?filter=client:eq:Nobody")
    assert unknown.status_code == 200 and "was not applied" in unknown.get_data(as_text=True)
    kinds = browser.get("/t/clients?filter=kind:eq:org").get_data(as_text=True)
    assert "<strong>Organization</strong>" in kinds
    mine = browser.get(f"/t/clients?filter=manager:eq:{boss.id}").get_data(as_text=True)
    assert "1 record" in mine and "<strong>Boss</strong>" in mine
    config = json.loads(re.search(r'id="list-config">(.*?)</script>', mine, re.S).group(1))
    manager = next(f for f in config["fields"] if f["name"] == "manager")
    assert manager["choices"] == [{"value": str(boss.id), "label": "Boss"}]
    client = next(f for f in json.loads(re.search(r'id="list-config">(.*?)</script>', by_id, re.S).group(1))["fields"]
                  if f["name"] == "client")
    assert client["target"] == {"table": "clients", "label": "Clients", "display_field": "name"}


def test_number_and_date_filters_are_read_in_the_users_locale(browser, rt, boss, clients):
    ru = {"Accept-Language": "ru"}
    page = browser.get("/t/clients?filter=balance:gt:100,5&filter=since:lt:01.01.2025", headers=ru).get_data(as_text=True)
    assert "ACME Ltd" in page and "Bob" not in page and "Ромашка" not in page
    assert "<strong>100,50\u00a0₽</strong>" in page and "<strong>1 янв. 2025" in page  # chips in the user's formats
    bad = browser.get("/t/clients?filter=balance:gt:abc", headers=ru)
    assert bad.status_code == 200 and "не применён" in bad.get_data(as_text=True)
    assert browser.get("/t/clients/export.csv?filter=balance:gt:abc&view=").status_code == 400


# --- import ------------------------------------------------------------------------------------
RUSSIAN_CSV = ("Клиент;Сумма;Дата оплаты;Комментарий\r\n"
               "ACME Ltd;1 234,50;15.01.2026;первый платёж\r\n"
               "Ромашка;99,9;31.02.2026;нет такой даты\r\n"
               "Неизвестный;10;01.02.2026;нет клиента\r\n"
               "Bob;abc;01.03.2026;сумма не число\r\n")
CLEAN_CSV = ("Клиент;Сумма;Дата оплаты;Комментарий\r\n"
             "ACME Ltd;1 234,50;15.01.2026;первый платёж\r\n"
             "Ромашка;99,9;28.02.2026;второй\r\n")
MAPPING = {"col-0": "client", "col-1": "amount", "col-2": "paid_on", "col-3": "note"}


def upload(client, text: str, name="payments.csv", encoding="cp1251"):
    page = client.get("/t/payments/import").get_data(as_text=True)
    return client.post("/t/payments/import", data={"csrf_token": token_of(page),
                                                    "file": (io.BytesIO(text.encode(encoding)), name)},
                       content_type="multipart/form-data")


def test_import_detects_maps_checks_imports_and_reverts(browser, rt, boss, clients):
    sent = upload(browser, RUSSIAN_CSV)
    assert sent.status_code == 302
    page_url = sent.headers["Location"]
    mapping_page = browser.get(page_url).get_data(as_text=True)
    assert "Windows-1251" in mapping_page and "; (semicolon)" in mapping_page and "Клиент" in mapping_page
    assert "1 234,50" in mapping_page  # the first rows, as read
    token = token_of(mapping_page)
    checked = browser.post(page_url, data={"csrf_token": token, "action": "check", "mode": "create", **MAPPING})
    assert checked.status_code == 302
    result = browser.get(checked.headers["Location"]).get_data(as_text=True)
    assert "3 problems: nothing was written" in result
    problems = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td>', result)
    assert ("3", "Дата оплаты") in problems and ("4", "Клиент") in problems and ("5", "Сумма") in problems
    assert 'value="run"' not in result  # no import button while the file has problems
    assert rt.records.list(boss, "payments")["total"] == 0
    problems_csv = browser.get(checked.headers["Location"].split("?")[0] + "/problems.csv").get_data().decode("utf-8-sig")
    assert problems_csv.splitlines()[0] == "Row;Column;Value;Problem" and "31.02.2026" in problems_csv

    sent = upload(browser, CLEAN_CSV)
    page_url = sent.headers["Location"]
    browser.post(page_url, data={"csrf_token": token, "action": "check", "mode": "create", **MAPPING})
    ready = browser.get(page_url).get_data(as_text=True)
    assert "The file is ready to import" in ready and "Import 2 rows" in ready
    assert rt.records.list(boss, "payments")["total"] == 0
    done = browser.post(page_url, data={"csrf_token": token, "action": "run", "mode": "create", **MAPPING})
    assert done.status_code == 302
    history_url = browser.get(done.headers["Location"]).headers.get("Location", done.headers["Location"])
    history = browser.get(history_url).get_data(as_text=True)
    assert "Imported 2 rows: 2 records created, 0 updated." in history and "Revert this import" in history
    saved = sorted(rt.records.list(boss, "payments")["records"], key=lambda r: r["id"])
    assert [(r["client"]["display"], r["amount"]["amount"], r["paid_on"]) for r in saved] == [
        ("ACME Ltd", "1234.50", "2026-01-15"), ("Ромашка", "99.90", "2026-02-28")]
    import_id = int(re.search(r'data-import="(\d+)"', history).group(1))
    reverted = browser.post(f"/t/payments/imports/{import_id}/revert", data={"csrf_token": token})
    assert reverted.status_code == 302
    after = browser.get(reverted.headers["Location"]).get_data(as_text=True)
    assert "was reverted: 2 records moved to the trash" in after and "Revert this import" not in after
    assert rt.records.list(boss, "payments")["total"] == 0
    assert browser.get(page_url).status_code == 404  # the upload is gone after the import


def test_a_changed_record_asks_before_the_revert_overwrites_it(browser, rt, boss, clients):
    token = token_of(browser.get("/t/payments/import").get_data(as_text=True))
    page_url = upload(browser, CLEAN_CSV).headers["Location"]
    browser.post(page_url, data={"csrf_token": token, "action": "run", "mode": "create", **MAPPING})
    record = rt.records.list(boss, "payments")["records"][0]
    rt.records.update(boss, "payments", record["id"], {"note": "changed"}, version=record["version"])
    import_id = batch_id(rt, boss)
    asked = browser.post(f"/t/payments/imports/{import_id}/revert", data={"csrf_token": token})
    page = browser.get(asked.headers["Location"]).get_data(as_text=True)
    assert "were changed after it" in page and "Revert anyway" in page and 'name="force" value="1"' in page
    assert rt.records.list(boss, "payments")["total"] == 2
    browser.post(f"/t/payments/imports/{import_id}/revert", data={"csrf_token": token, "force": "1"})
    assert rt.records.list(boss, "payments")["total"] == 0


def batch_id(rt, boss) -> int:
    from cardfile.metamodel.records import journal
    return journal.list_imports(rt.records, boss, "payments")[0]["id"]


def test_the_reading_settings_can_be_changed_and_bad_files_are_explained(browser, rt, boss, clients):
    sent = upload(browser, CLEAN_CSV, encoding="utf-8")
    page = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "UTF-8" in page and "Ромашка" in page
    wrong = browser.get(sent.headers["Location"] + "?encoding=cp1251&delimiter=%2C&header_row=1").get_data(as_text=True)
    assert "Ð" in wrong or "Р" in wrong  # read as asked, however it looks
    refused = upload(browser, "x", name="notes.pdf")
    assert refused.status_code == 400 and "is not a CSV or Excel" in refused.get_data(as_text=True)
    other = browser.application.test_client()
    rt.users.create("clerk", "clerk-password", name="Clerk", actor=boss)
    login = other.get("/login").get_data(as_text=True)
    other.post("/login", data={"username": "clerk", "password": "clerk-password",
                               "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)})
    assert other.get(sent.headers["Location"]).status_code in (403, 404)  # someone else's upload


def test_a_large_file_is_checked_on_a_worker_with_progress(browser, rt, boss, clients, monkeypatch):
    monkeypatch.setattr(web_imports, "INLINE_BYTES", 10)
    token = token_of(browser.get("/t/payments/import").get_data(as_text=True))
    rows = "".join(f"ACME Ltd;{i},5;15.01.2026;row {i}\r\n" for i in range(300))
    page_url = upload(browser, "Клиент;Сумма;Дата оплаты;Комментарий\r\n" + rows).headers["Location"]
    browser.post(page_url, data={"csrf_token": token, "action": "check", "mode": "create", **MAPPING})
    status_url = page_url.split("?")[0] + "/status"
    for _ in range(100):
        status = browser.get(status_url).get_json()
        if status["state"] != "running":
            break
        time.sleep(0.1)
    assert status == {"state": "done", "done": 300, "total": 300}
    assert "Import 300 rows" in browser.get(page_url).get_data(as_text=True)
    browser.post(page_url, data={"csrf_token": token, "action": "run", "mode": "create", **MAPPING})
    for _ in range(100):
        if rt.records.list(boss, "payments")["total"] == 300:
            break
        time.sleep(0.1)
    assert rt.records.list(boss, "payments")["total"] == 300
