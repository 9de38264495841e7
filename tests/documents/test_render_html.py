"""HTML rendering through the record service: values, links, line items, back-links, access."""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import AccessDenied, RecordNotFound
from cardfile.reports.documents.sandbox import TemplateRenderFailed

def plain(text: str) -> str:
    """Babel writes no-break spaces inside numbers and dates; compare with plain ones."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


INVOICE = """<h1>Invoice {{ number }} of {{ date }}</h1>
<p>{{ client.name }} / {{ client.tax_id }} / {{ client.email }}</p>
<table>{% for line in lines %}<tr><td>{{ line.item }}</td><td>{{ line.quantity }}</td>
<td>{{ line.price }}</td><td>{{ format_money(line.quantity * line.price, "RUB") }}</td></tr>{% endfor %}</table>
<p>Total: {{ total }} ({{ total.raw }} {{ total.currency }}) — {{ words(total) }}</p>
<p>Status: {{ status }} / {{ status.raw }}</p>
<p>Paid: {% for p in payments %}[{{ p.amount }}]{% endfor %} sum {{ format_money(payments|sum(attribute="amount"), "RUB") }}</p>
<p>Notes: {{ notes }}</p>"""


def test_an_invoice_renders_with_formats_links_lines_and_back_links(shop):
    html = plain(shop.html(shop.admin, shop.template(INVOICE, language="ru")))
    assert "Invoice INV-7 of 9 марта 2026 г." in html
    assert "Romashka LLC / TAX-7701234567 / buh@romashka.example" in html
    assert "<td>Tea</td><td>2,000</td>" in html
    assert "1 000,50 ₽" in html  # 2 × 500.25 through format_money
    assert "Total: 1 200,50 ₽ (1200.50 RUB) — Одна тысяча двести рублей 50 копеек" in html
    assert "Status: Paid / paid" in html
    assert "[700,00 ₽][500,50 ₽] sum 1 200,50 ₽" in html
    assert "line one<br>&lt;b&gt;two&lt;/b&gt;" in html  # escaped, line breaks kept


def test_english_formats(shop):
    html = plain(shop.html(shop.admin, shop.template("{{ date }}|{{ total }}|{{ words(total) }}|{{ format_date(date, 'short') }}")))
    assert "March 9, 2026|RUB1,200.50|One thousand two hundred roubles and 50 kopecks|3/9/26" in html


def test_a_hidden_field_prints_a_placeholder_never_its_value(shop, clerk, runtime):
    runtime.records.update(shop.admin, "clients", shop.ids["client"], {"manager": clerk.id, "version": 1})
    out = shop.docs.render(clerk, "invoices", shop.ids["invoice"], shop.template(INVOICE)["id"], "html")
    html = out.data.decode()
    assert "TAX-7701234567" not in html
    assert "[not readable: client.tax_id]" in html
    assert "Romashka LLC" in html
    assert out.hidden == ["client.tax_id"]


def test_a_linked_record_out_of_scope_is_an_empty_link(shop, clerk):
    # the clerk's row scope on clients is "manager == me": this client is someone else's
    html = shop.html(clerk, shop.template("[{{ client }}][{{ client.name }}][{% if client %}yes{% endif %}]"))
    assert "[][][]" in html and "Romashka" not in html


def test_printing_needs_the_print_right(shop, viewer):
    template = shop.template("{{ number }}")
    assert shop.docs.templates.list(viewer, "invoices") == []
    with pytest.raises(AccessDenied) as exc:
        shop.docs.render(viewer, "invoices", shop.ids["invoice"], template["id"], "html")
    assert exc.value.details["action"] == "print"


def test_a_record_outside_the_scope_is_not_found(shop, clerk):
    template = shop.template("{{ name }}", table="clients")
    with pytest.raises(RecordNotFound):
        shop.docs.render(clerk, "clients", shop.ids["client"], template["id"], "html")


def test_unknown_field_names_fail_with_the_line(shop):
    template = shop.template("ok\n{{ client.nmae }}")
    with pytest.raises(TemplateRenderFailed) as exc:
        shop.html(shop.admin, template)
    assert exc.value.details["line"] == 2
    assert "'Clients' has no field 'nmae'" in exc.value.message


def test_template_groups_limit_who_may_use_it(shop, clerk, runtime):
    template = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Only bosses", "kind": "html",
                                                       "body": "{{ number }}", "settings": {"groups": ["bosses"]}})
    assert [t["name"] for t in shop.docs.templates.list(clerk, "invoices")] == []
    with pytest.raises(AccessDenied):
        shop.docs.render(clerk, "invoices", shop.ids["invoice"], template["id"], "html")
    runtime.groups.create(shop.admin, "bosses")
    runtime.groups.add_member(shop.admin, "bosses", "clerk")
    assert [t["name"] for t in shop.docs.templates.list(clerk, "invoices")] == ["Only bosses"]


def test_file_name_pattern_and_paper(shop):
    template = shop.template("x", filename="Invoice {{ number }} / {{ client.name }}",
                             paper={"size": "A5", "orientation": "landscape", "margins": {"top": 5}})
    out = shop.docs.render(shop.admin, "invoices", shop.ids["invoice"], template["id"], "html")
    assert out.filename == "Invoice INV-7 _ Romashka LLC.html"
    assert "@page { size: 210mm 148mm; margin: 5mm 15mm 15mm 20mm; }" in out.data.decode()


def test_company_details_and_the_user(shop, runtime):
    shop.docs.company.update(shop.admin, {"name": "Cardfile Trading", "tax_id": "RO123", "bank": "First Bank"})
    html = shop.html(shop.admin, shop.template("{{ company.name }}|{{ company.tax_id }}|{{ company.bank }}|"
                                               "{{ user.name }}|{{ today.raw.year > 2000 }}"))
    assert "Cardfile Trading|RO123|First Bank|Admin|True" in html
