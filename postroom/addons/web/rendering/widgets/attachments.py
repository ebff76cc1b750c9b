"""Files: a many2many to ``ir.attachment`` as a list of downloads and an upload input.

    <field name="attachment_ids" widget="many2many_binary"/>

Form format: a list of ``(id, name)``, as other many2many fields.

Each file links to ``/web/content/<id>`` (which checks that the user may read it) and
has a *Remove* checkbox; the file input (``<name>.upload``, several files at once) adds
more. An upload creates an attachment linked to no record and owned by the user, and
links it in the field; a form shown again after an error keeps it. Removing a file
takes it out of the field, and deletes it when it is still such an upload (a file that
belongs to something else, a template's, is only unlinked). The ids posted back are
kept only when the field had them or they are the user's own uploads: a form cannot
link somebody else's file.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from werkzeug.datastructures import FileStorage, MultiDict

from postroom.addons.web.rendering.html import el
from postroom.addons.web.rendering.widgets.base import UNCHANGED, Slot, register
from postroom.addons.web.rendering.widgets.relational import Many2manyWidget
from postroom.orm.fields.relational import Command

_UNITS = ("bytes", "KB", "MB", "GB")


def content_url(attachment_id: int, download: bool = False) -> str:
    """The URL of an attachment's file (``download``: never shown in the browser)."""
    return f"/web/content/{attachment_id}" + ("?download=1" if download else "")


def file_size(size: int) -> str:
    """``size`` bytes for people: ``12 KB``."""
    amount, unit = float(size or 0), 0
    while amount >= 1024 and unit < len(_UNITS) - 1:
        amount, unit = amount / 1024, unit + 1
    return f"{amount:.0f} {_UNITS[unit]}" if unit == 0 else f"{amount:.1f} {_UNITS[unit]}"


@register("many2many_binary")
class Many2manyBinaryWidget(Many2manyWidget):
    types = ("many2many",)

    def files(self, value: Any) -> Any:
        """The attachments of ``value`` (the field's, or the user's uploads)."""
        return self.comodel.sudo().browse(self.raw(value)).exists()

    def own_uploads(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` are attachments uploaded by the user and linked to no record."""
        attachments = self.comodel.sudo().browse(ids).exists()
        return {a.id for a in attachments if not a.res_model and a.create_uid.id == self.env.uid}

    @staticmethod
    def link(attachment: Any) -> Markup:
        return el("a", {"href": content_url(attachment.id, download=True), "class": "o_link"},
                  attachment.name)

    def cell(self, value: Any) -> Markup:
        count = len(value or [])
        return el("span", None, f"{count} file{'s' if count != 1 else ''}") if count \
            else Markup("")

    def show(self, value: Any, slot: Slot) -> Markup:
        items = [el("li", {"class": "o_file_item"}, self.link(attachment),
                    el("span", {"class": "o_muted"}, file_size(attachment.file_size)))
                 for attachment in self.files(value)]
        return el("ul", {"class": "o_files o_readonly", "id": slot.html_id,
                         "aria-label": slot.label}, items)

    def input(self, value: Any, slot: Slot) -> Markup:
        items = []
        for attachment in self.files(value):
            box_id = f"{slot.html_id}_remove_{attachment.id}"
            items.append(el(
                "li", {"class": "o_file_item"},
                el("input", {"type": "hidden", "name": slot.name, "value": attachment.id}),
                self.link(attachment),
                el("span", {"class": "o_muted"}, file_size(attachment.file_size)),
                el("span", {"class": "o_file_remove"},
                   el("input", {"type": "checkbox", "name": f"{slot.name}.remove",
                                "value": attachment.id, "id": box_id, "class": "o_checkbox"}),
                   el("label", {"for": box_id}, "Remove",
                      el("span", {"class": "o_sr_only"}, f" {attachment.name}")))))
        upload = el("input", {"type": "file", "name": f"{slot.name}.upload", "multiple": True,
                              "class": "o_input", "aria-label": f"Add files to {slot.label}",
                              "aria-describedby": slot.error_id if slot.error else None})
        return el("fieldset", {"class": "o_files_field", "id": slot.html_id,
                               "aria-invalid": "true" if slot.error else None},
                  el("legend", {"class": "o_sr_only"}, slot.label),
                  el("ul", {"class": "o_files"}, items) if items else None, upload)

    def parse(self, form: MultiDict, name: str) -> Any:
        had = set(self.raw(self.state.value(self.name)))
        removed = {int(v) for v in form.getlist(f"{name}.remove") if str(v).isdigit()}
        posted = [int(v) for v in dict.fromkeys(form.getlist(name))
                  if str(v).isdigit() and int(v) not in removed]
        own = self.own_uploads([i for i in posted if i not in had])
        kept = self.comodel.sudo().browse([i for i in posted if i in had or i in own]).exists()
        files = [upload for upload in form.getlist(f"{name}.upload")
                 if isinstance(upload, FileStorage) and upload.filename]
        # the form's defaults (``default_name``…) are not the attachments'
        attachments = self.comodel.with_context({
            key: value for key, value in self.env.context.items()
            if not key.startswith("default_")})
        created = attachments.create([
            {"name": upload.filename.replace("\\", "/").rsplit("/", 1)[-1],
             "raw": upload.read()} for upload in files]) if files else self.comodel
        return [(a.id, a.name) for a in kept] + [(a.id, a.name) for a in created]

    def write_value(self, new: Any, old: Any) -> Any:
        new_ids, old_ids = self.raw(new), self.raw(old)
        removed = [i for i in old_ids if i not in new_ids]
        added = [i for i in new_ids if i not in old_ids]
        if not removed and not added:
            return UNCHANGED
        uploads = self.own_uploads(removed)
        return [Command.delete(i) if i in uploads else Command.unlink(i) for i in removed] + \
            [Command.link(i) for i in added]
