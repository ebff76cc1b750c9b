"""One transaction per request, rolled back on error; errors as proper responses."""

from __future__ import annotations

import pytest

from tests.http.conftest import HttpDB


def partners_named(http_db: HttpDB, name: str) -> int:
    return http_db.query("SELECT count(*) FROM res_partner WHERE name = %s", (name,))[0][0]


def test_a_request_commits_its_work(client, http_db: HttpDB) -> None:
    token = client.csrf_token("/test_http/form")
    response = client.post("/test_http/form", data={"title": "Committed", "csrf_token": token})
    assert response.get_data(as_text=True) == "created Committed"
    assert partners_named(http_db, "Committed") == 1


def test_an_error_rolls_the_write_back(client, http_db: HttpDB) -> None:
    response = client.post("/test_http/write_then_fail", data={"title": "Rolled back"})
    assert response.status_code == 500
    assert partners_named(http_db, "Rolled back") == 0


def test_a_json_error_rolls_the_write_back(client, http_db: HttpDB) -> None:
    response = client.json_call("/test_http/json_write_then_fail", {"title": "Rolled back"})
    assert response["error"]["data"]["message"] == "Internal Server Error"
    assert partners_named(http_db, "Rolled back") == 0


@pytest.mark.parametrize(("kind", "status", "message"), [
    ("missing", 404, "Record 42 does not exist."),
    ("denied", 403, "You may not see this."),
    ("invalid", 400, "Give a subject."),
    ("notfound", 404, "Nothing here."),
])
def test_refusals_become_readable_http_errors(client, kind: str, status: int,
                                              message: str) -> None:
    response = client.get(f"/test_http/error/{kind}")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_a_bug_is_a_500_without_traceback(client, caplog: pytest.LogCaptureFixture) -> None:
    response = client.get("/test_http/error/bug")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Internal Server Error" in body
    assert "secret internals" not in body and "Traceback" not in body
    # the traceback goes to the log, for the administrator
    assert "secret internals" in caplog.text


def test_debug_mode_shows_the_traceback(http_db: HttpDB) -> None:
    client = http_db.client(debug=True)
    body = client.get("/test_http/error/bug").get_data(as_text=True)
    assert "Traceback" in body and "secret internals" in body
    error = client.json_call("/test_http/json_write_then_fail", {"title": "x"})["error"]
    assert "failure after a write" in error["data"]["debug"]


def test_unknown_url_is_404(client) -> None:
    assert client.get("/no/such/page").status_code == 404


def test_a_lost_race_is_retried_in_a_new_transaction(client, http_db: HttpDB) -> None:
    from postroom.addons.test_http.controllers.main import TestHttp
    TestHttp.flaky_calls = 0
    response = client.post("/test_http/flaky", data={"title": "Retried"})
    assert response.get_data(as_text=True) == "done after 2 calls"
    # the first attempt's write was rolled back with its transaction
    assert partners_named(http_db, "Retried") == 1
