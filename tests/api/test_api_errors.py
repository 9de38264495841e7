"""The error table and the envelope: every failure under /api is JSON with the right status."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from cardfile.formula.errors import CODES as FORMULA_CODES
from cardfile.metamodel import errors as domain
from cardfile.metamodel.fieldtypes import registry as fieldtype_registry
from cardfile.platform.api.errors import STATUS, ApiError


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def import_all(package) -> None:
    """Import every module below ``package`` so that every error class is defined."""
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)


def test_every_domain_error_code_has_a_status():
    import cardfile.metamodel
    import cardfile.reports

    import_all(cardfile.metamodel)
    import_all(cardfile.reports)
    codes = {c.code for c in all_subclasses(domain.CardfileError) if c is not ApiError}
    codes |= {fieldtype_registry.UnknownFieldType.code, *FORMULA_CODES}
    assert codes - set(STATUS) == set()
    assert STATUS["VALIDATION_FAILED"] == 422 and STATUS["STALE_VERSION"] == 409
    assert {STATUS[c] for c in ("TABLE_NOT_FOUND", "FIELD_NOT_FOUND", "RECORD_NOT_FOUND")} == {404}
    with pytest.raises(ValueError):
        ApiError("NOT_A_CODE", "unmapped codes are refused")


def test_malformed_and_non_json_bodies_are_400(api, clients_table, expect_error):
    url = f"/tables/{clients_table}/records"
    error = expect_error(api.post(url, data='{"name": "Acme",', content_type="application/json"), 400, "BAD_JSON")
    assert "not valid JSON" in error["message"]
    expect_error(api.post(url, data="name=Acme", content_type="application/x-www-form-urlencoded"),
                 400, "BAD_JSON")
    expect_error(api.post(url, data=b"\xff\xfe", content_type="application/json"), 400, "BAD_JSON")
    expect_error(api.post(url), 400, "BAD_JSON")
    expect_error(api.post(url, json=[1, 2]), 400, "BAD_JSON")
    expect_error(api.post(url, data="null", content_type="application/json"), 400, "BAD_JSON")
    error = expect_error(api.post(url, data="[" * 100000 + "]" * 100000, content_type="application/json"),
                         400, "BAD_JSON")
    assert "nested" in error["message"]
    expect_error(api.post(url, json={"name": "nul\u0000byte"}), 400, "BAD_JSON")
    expect_error(api.get(url + "?search=%00"), 400, "BAD_QUERY")
    expect_error(api.get(url + "?filter=owner:eq:someone"), 400, "BAD_QUERY")
    assert api.get(url).get_json()["total"] == 0


def test_oversize_json_body_is_413(api, clients_table, settings, expect_error):
    url = f"/tables/{clients_table}/records"
    error = expect_error(api.post(url, json={"name": "x" * (settings.max_json_bytes + 1)}), 413, "REQUEST_TOO_LARGE")
    assert error["details"]["limit"] == settings.max_json_bytes
    assert api.get(url).get_json()["total"] == 0


def test_unknown_route_and_wrong_method(api, expect_error):
    error = expect_error(api.get("/no/such/thing"), 404, "NOT_FOUND")
    assert error["details"]["path"] == "/api/v1/no/such/thing"
    expect_error(api.get("/"), 404, "NOT_FOUND")
    response = api.request("PUT", "/tables")
    error = expect_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in error["details"]["allowed"] and "POST" in response.headers["Allow"]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_unexpected_failure_is_a_logged_500_envelope(app, api, expect_error, caplog):
    def explode():
        raise RuntimeError("wires crossed")

    app.add_url_rule("/api/v1/explode", "explode", explode)
    with caplog.at_level("ERROR"):
        error = expect_error(api.get("/explode"), 500, "INTERNAL_ERROR")
    assert "wires crossed" not in error["message"]
    assert any("wires crossed" in (r.exc_text or str(r.exc_info)) for r in caplog.records)
