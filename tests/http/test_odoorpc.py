"""odoorpc, a real third-party Odoo client, against a live server."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.http.conftest import ADMIN_PASSWORD, PORTAL_LOGIN, PORTAL_PASSWORD

odoorpc = pytest.importorskip("odoorpc")


@pytest.fixture
def odoo(live_http):
    url, http_db = live_http
    odoo = odoorpc.ODOO("127.0.0.1", port=urlsplit(url).port)
    return odoo, http_db


def test_login_and_records(odoo) -> None:
    odoo, http_db = odoo
    assert odoo.version == "17.0"
    assert http_db.dbname in odoo.db.list()
    odoo.login(http_db.dbname, "admin", ADMIN_PASSWORD)
    assert odoo.env.uid == 2
    assert odoo.env.user.login == "admin"
    assert odoo.env.user.name == "Administrator"
    assert odoo.env.user.company_id.id == odoo.env.ref("base.main_company").id

    Partner = odoo.env["res.partner"]
    partner_id = Partner.create({"name": "Ada Lovelace", "email": "ada@example.com",
                                 "is_company": False})
    assert partner_id in Partner.search([])
    partner = Partner.browse(partner_id)
    assert partner.name == "Ada Lovelace" and partner.email == "ada@example.com"
    partner.name = "Ada King"  # written at once (auto_commit)
    assert Partner.read([partner_id], ["name"]) == [{"id": partner_id, "name": "Ada King"}]
    assert [p.name for p in Partner.browse(Partner.search([("email", "=", "ada@example.com")]))
            ] == ["Ada King"]
    assert Partner.search_count([("name", "=", "Ada King")]) == 1
    assert Partner.name_search("Ada K") == [[partner_id, "Ada King"]]
    partner.unlink()
    assert Partner.search([("id", "=", partner_id)]) == []
    company = odoo.env.ref("base.main_company")
    assert company._name == "res.company" and company.name
    assert "res.partner" in odoo.env


def test_rights_and_errors(odoo) -> None:
    odoo, http_db = odoo
    with pytest.raises(odoorpc.error.RPCError):
        odoo.login(http_db.dbname, "admin", "wrong")
    odoo.login(http_db.dbname, PORTAL_LOGIN, PORTAL_PASSWORD)
    with pytest.raises(odoorpc.error.RPCError, match="not allowed to create"):
        odoo.env["res.partner"].create({"name": "Nope"})
    with pytest.raises(odoorpc.error.RPCError, match="Private methods"):
        odoo.execute("res.partner", "_read_columns", [1])
