"""Server-side template injection: every payload is blocked, in HTML and in DOCX templates.

The list follows the Jinja2 section of the usual SSTI payload collections: reaching
Python objects through ``__class__``/``__mro__``/``__subclasses__``, the globals of the
default helpers (``cycler``, ``joiner``, ``namespace``, ``lipsum``), the template reference
(``self._TemplateReference__context``), the web framework's names (``request``,
``config``, ``url_for``), format-string attacks, the ``attr`` filter with escaped names,
file access through ``include``/``import``/``extends``, our own objects' internals, and
resource exhaustion.
"""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import CardfileError
from cardfile.reports.documents.sandbox import TemplateInvalid, TemplateLimit, TemplateRenderFailed, TemplateUnsafe

from .docx_files import make_docx

PAYLOADS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__base__.__subclasses__() }}",
    "{{ [].__class__.__base__.__subclasses__() }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ (1).__class__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
    "{{ self.__init__.__globals__.__builtins__ }}",
    "{{ self.__dict__ }}",
    "{{ request }}",
    "{{ request.application.__globals__.__builtins__.__import__('os').popen('id').read() }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ url_for.__globals__ }}",
    "{{ get_flashed_messages.__globals__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ number|attr('__class__')|attr('__mro__') }}",
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '{0.__init__.__globals__}'.format(words) }}",
    "{{ '{.__dict__}'.format(record) }}",
    "{{ '%s'|format(''.__class__) }}",
    "{{ '{0:>99999999}'.format(1) }}",
    "{{ '%099999999d' % 1 }}",
    "{{ words.__globals__ }}",
    "{{ format_money.__closure__ }}",
    "{{ total.raw.__class__ }}",
    "{{ record._data }}",
    "{{ record._session.reader.actor }}",
    "{{ client._session.reader.records }}",
    "{{ total._session }}",
    "{{ dict.mro() }}",
    "{{ range.__self__ }}",
    "{% set x = ''.__class__ %}{{ x }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}{{ os }}",
    "{% extends '/etc/passwd' %}",
    "{{ 'x' * 100000000 }}",
    "{{ 2 ** 999999 }}",
    "{{ 'a'|center(100000000) }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% set ns = namespace(x='ab') %}{% for i in range(60) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
]
REFUSED = (TemplateUnsafe, TemplateRenderFailed, TemplateLimit, TemplateInvalid)
LEAKS = ("root:", "<module", "<class", "subprocess", "Popen", "__builtins__ ", "TAX-7701234567", "Romashka")


def check_blocked(exc: CardfileError) -> None:
    assert isinstance(exc, REFUSED), type(exc)
    assert exc.message and not any(leak in exc.message for leak in LEAKS), exc.message


def test_html_payloads_are_blocked(shop):
    refused = {}
    for payload in PAYLOADS:
        template = shop.template(f"<p>{payload}</p>")
        with pytest.raises(CardfileError) as exc:
            shop.html(shop.admin, template)
        check_blocked(exc.value)
        refused[payload] = exc.value.code
    assert len(refused) == len(PAYLOADS)
    assert refused["{{ request }}"] == refused["{{ config }}"] == "TEMPLATE_RENDER_FAILED"
    assert refused["{{ ''.__class__.__mro__ }}"] == "TEMPLATE_UNSAFE"


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_docx_payloads_are_blocked(shop):
    template = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "W", "kind": "docx"})
    for payload in PAYLOADS:
        with pytest.raises(CardfileError) as exc:
            shop.docs.templates.attach_docx(shop.admin, template["id"],
                                            make_docx(["Invoice {{ number }}", payload]), "w.docx")
            shop.docs.render(shop.admin, "invoices", shop.ids["invoice"], template["id"], "docx")
        check_blocked(exc.value)


def test_the_limits_name_what_was_exceeded(shop):
    with pytest.raises(TemplateLimit) as exc:
        shop.html(shop.admin, shop.template("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                                            "{% endfor %}"))
    assert exc.value.details["limit"] == "time"
    with pytest.raises(TemplateLimit) as exc:
        shop.html(shop.admin, shop.template("{% for i in range(90000) %}{{ 'x' * 900 }}{% endfor %}"))
    assert exc.value.details["limit"] == "output"


def test_markup_in_values_is_escaped(shop, runtime):
    runtime.records.update(shop.admin, "invoices", shop.ids["invoice"],
                           {"number": "<script>alert(1)</script>", "version": 1})
    html = shop.html(shop.admin, shop.template("{{ number }}|{{ record.number }}"))
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;|&lt;script&gt;" in html
