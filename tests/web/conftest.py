"""Fixtures for the backend tests: users of each kind and logged-in clients.

``clients(login, password)`` gives a fresh test client logged in as that user (its
requests run in the test's transaction, like ``http_client``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from postroom.testing.http import TestClient, shared_cursor_app
from tests.web.helpers import ADMIN_PASSWORD, USER_PASSWORD


@pytest.fixture
def admin(env: Any) -> Any:
    user = env.ref("base.user_admin")
    user._set_password(ADMIN_PASSWORD)
    return user


@pytest.fixture
def make_user(env: Any) -> Callable[..., Any]:
    """Create a user in ``groups`` (external ids) with the password USER_PASSWORD."""
    def make(login: str, *groups: str) -> Any:
        group_ids = [env.ref(xmlid).id for xmlid in groups or ("base.group_user",)]
        user = env["res.users"].create({"name": login.split("@")[0].title(), "login": login,
                                        "groups_id": [(6, 0, group_ids)]})
        user._set_password(USER_PASSWORD)
        return user
    return make


@pytest.fixture
def clients(env: Any, postroom_registry: Any) -> Callable[[str, str], TestClient]:
    """A new client logged in with these credentials."""
    def make(login: str, password: str) -> TestClient:
        client = TestClient(shared_cursor_app(postroom_registry, env.cr))
        response = client.login(login, password)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client
    return make


@pytest.fixture
def admin_client(admin: Any, clients: Callable[[str, str], TestClient]) -> TestClient:
    return clients("admin", ADMIN_PASSWORD)


@pytest.fixture
def user_client(make_user: Callable[..., Any], clients: Callable[[str, str], TestClient]) -> Any:
    """A client logged in as an internal user without any administration right."""
    make_user("iris@example.com")
    return clients("iris@example.com", USER_PASSWORD)
