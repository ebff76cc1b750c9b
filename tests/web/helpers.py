"""Helpers of the backend tests: read pages and forms as a browser would."""

from __future__ import annotations

import re
from typing import Any

from lxml import html
from werkzeug.datastructures import MultiDict

ADMIN_PASSWORD = "admin-secret"
USER_PASSWORD = "user-secret-1"


def page(response: Any) -> Any:
    """The response's HTML, parsed."""
    return html.fromstring(response.get_data(as_text=True))


def csrf_of(response: Any) -> str:
    """The CSRF token of the page (from any of its forms)."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def text_of(tree: Any, xpath: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]


def form_values(response: Any, changes: dict[str, Any] | None = None,
                form_id: str = "o_form") -> MultiDict:
    """What a browser would post with the form ``form_id`` as shown, with ``changes``.

    A value of None in ``changes`` removes the input (an unchecked checkbox)."""
    tree = page(response)
    values = MultiDict()
    controls = tree.xpath(f'//form[@id="{form_id}"]//*[self::input or self::select or '
                          f'self::textarea][not(ancestor::template)]')
    for control in controls:
        name, kind = control.get("name"), (control.get("type") or "").lower()
        if not name or kind in ("submit", "button", "file") or control.get("disabled") is not None:
            continue
        if kind in ("checkbox", "radio") and control.get("checked") is None:
            continue
        if control.tag == "select":
            selected = control.xpath("./option[@selected]") or control.xpath("./option[1]")
            values.add(name, selected[0].get("value") if selected else "")
        elif control.tag == "textarea":
            values.add(name, control.text or "")
        else:
            values.add(name, control.get("value", "on" if kind == "checkbox" else ""))
    for name, value in (changes or {}).items():
        values.poplist(name)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            values.add(name, item)
    return values
