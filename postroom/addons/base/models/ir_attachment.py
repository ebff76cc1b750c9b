"""ir.attachment: files, kept in a content-addressed file store.

The bytes live in ``<data_dir>/filestore/<database>/<sha1[:2]>/<sha1>``: the
SHA-1 checksum names the file, so identical files are stored once and a
corrupted file is detected (:meth:`_verify`). Files are written before the
transaction commits and removed only after a commit that left them unused,
so a rollback never loses a file another record needs.

An attachment linked to a record (``res_model``/``res_id``) is readable by
those who may read the record, and writable by those who may write it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import Any

from postroom import api, fields, models
from postroom.config import default_data_dir
from postroom.exceptions import AccessError, ValidationError


class IrAttachment(models.Model):
    _name = "ir.attachment"
    _description = "Attachment"
    _order = "id desc"

    name = fields.Char(required=True)
    description = fields.Text()
    res_model = fields.Char("Resource Model", index=True)
    res_field = fields.Char("Resource Field", index=True)
    res_id = fields.Integer("Resource ID", index=True)
    type = fields.Selection([("binary", "File"), ("url", "URL")], default="binary", required=True)
    url = fields.Char()
    public = fields.Boolean(help="Readable by anyone, without access to the linked record.")
    datas = fields.Binary("File Content (base64)", compute="_compute_datas",
                          inverse="_inverse_datas")
    store_fname = fields.Char("Stored Filename", index=True)
    file_size = fields.Integer(readonly=True)
    checksum = fields.Char(size=40, index=True, readonly=True)
    mimetype = fields.Char()
    company_id = fields.Many2one("res.company", "Company")

    # ------------------------------------------------------------------
    # file store
    # ------------------------------------------------------------------
    def _filestore(self) -> Path:
        server = self.pool.database.server
        base = getattr(server, "data_dir", None) or default_data_dir()
        return Path(base) / "filestore" / self.env.cr.dbname

    def _file_path(self, fname: str) -> Path:
        if "/" not in fname or ".." in fname or fname.startswith("/"):
            raise ValidationError(f"Invalid stored file name {fname!r}")
        return self._filestore() / fname

    def _file_write(self, data: bytes) -> tuple[str, str]:
        """Store ``data``; returns ``(store_fname, checksum)``."""
        checksum = hashlib.sha1(data).hexdigest()
        fname = f"{checksum[:2]}/{checksum}"
        path = self._file_path(fname)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, path)
        return fname, checksum

    def _file_read(self, fname: str) -> bytes:
        try:
            return self._file_path(fname).read_bytes()
        except FileNotFoundError:
            return b""

    def _verify(self) -> list[int]:
        """Ids of attachments whose stored bytes no longer match their checksum."""
        broken = []
        for attachment in self.sudo():
            if attachment.store_fname:
                data = attachment._file_read(attachment.store_fname)
                if hashlib.sha1(data).hexdigest() != attachment.checksum:
                    broken.append(attachment.id)
        return broken

    def _collect_unused_files(self, fnames: set[str]) -> None:
        """After commit: remove files that no attachment uses any more."""
        if not fnames:
            return
        database = self.pool.database
        with database.cursor() as cr:
            cr.execute("SELECT store_fname FROM ir_attachment WHERE store_fname = ANY(%s)",
                       (list(fnames),))
            used = {row[0] for row in cr.fetchall()}
        for fname in fnames - used:
            with contextlib.suppress(FileNotFoundError):
                self._file_path(fname).unlink()

    # ------------------------------------------------------------------
    # content
    # ------------------------------------------------------------------
    @api.depends("store_fname", "url")
    def _compute_datas(self) -> None:
        for attachment in self:
            if attachment.store_fname:
                attachment.datas = base64.b64encode(attachment._file_read(attachment.store_fname))
            else:
                attachment.datas = False

    def _inverse_datas(self) -> None:
        for attachment in self:
            attachment._set_raw(base64.b64decode(attachment.datas or b""))

    @property
    def raw(self) -> bytes:
        """The file's bytes."""
        self.ensure_one()
        return self._file_read(self.store_fname) if self.store_fname else b""

    def _set_raw(self, data: bytes) -> None:
        old = self.store_fname
        values: dict[str, Any] = {"file_size": len(data)}
        if data:
            fname, checksum = self._file_write(data)
            values.update(store_fname=fname, checksum=checksum)
        else:
            values.update(store_fname=False, checksum=False)
        if not self.mimetype:
            values["mimetype"] = mimetypes.guess_type(self.name or "")[0] or "application/octet-stream"
        super(IrAttachment, self.sudo()).write(values)
        if old and old != values.get("store_fname"):
            self._schedule_collect({old})

    def _schedule_collect(self, fnames: set[str]) -> None:
        pending = self.env.cr.postcommit.data.setdefault("ir.attachment.gc", set())
        pending.update(fnames)
        self.env.cr.postcommit.add(self._postcommit_collect)

    def _postcommit_collect(self) -> None:
        self._collect_unused_files(self.env.cr.postcommit.data.pop("ir.attachment.gc", set()))

    # ------------------------------------------------------------------
    # access: follow the linked record
    # ------------------------------------------------------------------
    def _check_linked_access(self, operation: str) -> None:
        if self.env.su:
            return
        mode = "read" if operation == "read" else "write"
        targets: dict[str, set[int]] = {}
        for attachment in self.sudo():
            if attachment.public and operation == "read":
                continue
            if attachment.res_model and attachment.res_id:
                targets.setdefault(attachment.res_model, set()).add(attachment.res_id)
            elif attachment.create_uid.id != self.env.uid and not self.env.is_system():
                raise AccessError("You can only access the unlinked attachments you created.")
        for model, ids in targets.items():
            if model not in self.env:
                continue
            records = self.env[model].browse(list(ids)).exists()
            records.check_access_rights(mode)
            records.check_access_rule(mode)

    def check_access_rule(self, operation: str) -> None:
        super().check_access_rule(operation)
        self._check_linked_access(operation)

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        raw_values = []
        for vals in vals_list:
            raw = vals.pop("raw", None)
            if raw is None and vals.get("datas"):
                raw = base64.b64decode(vals.pop("datas"))
            else:
                vals.pop("datas", None)
            raw_values.append(raw)
        attachments = super().create(vals_list)
        for attachment, raw in zip(attachments, raw_values):
            if raw is not None:
                attachment._set_raw(raw if isinstance(raw, bytes) else raw.encode())
        return attachments

    def unlink(self) -> bool:
        fnames = {a.store_fname for a in self.sudo() if a.store_fname}
        result = super().unlink()
        self._schedule_collect(fnames)
        return result
