"""Files: uploads into many2many attachment fields (``many2many_binary``), and downloads
through ``/web/content/<id>``, which checks the user may read them."""

from __future__ import annotations

import io

import pytest

from tests.web.helpers import USER_PASSWORD, form_values, page, text_of
from tests.web.test_dialogs import location

COMPOSER_FORM = """<form><sheet><group>
    <field name="subject" required="1"/>
    <field name="attachment_ids" widget="many2many_binary" readonly="state != 'draft'"/>
</group></sheet></form>"""


@pytest.fixture
def composer_url(env, admin):
    view = env["ir.ui.view"].create({"name": "test.composer.files", "arch": COMPOSER_FORM,
                                     "model": "mail.compose.message"})
    action = env["ir.actions.act_window"].create({
        "name": "Compose", "res_model": "mail.compose.message", "view_id": view.id})
    partner = env["res.partner"].create({"name": "Zoe"})
    composer = env["mail.compose.message"].with_user(admin).create({
        "model": "res.partner", "res_ids": partner.ids, "subject": "Files"})
    return f"/web/action/{action.id}/record/{composer.id}"


def composer_of(env, url):
    return env["mail.compose.message"].browse(int(url.rsplit("/", 1)[1]))


def upload(client, url, files, changes=None):
    values = form_values(client.get(url), changes)
    data = {key: values.getlist(key) for key in values}
    data["attachment_ids.upload"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=data, content_type="multipart/form-data")


def test_uploads_create_unlinked_attachments_linked_in_the_field(env, admin_client,
                                                                 composer_url):
    response = upload(admin_client, composer_url, [("notes.txt", b"hello"),
                                                   ("C:\\Temp\\plan.pdf", b"%PDF-1.4")])
    assert location(response) == composer_url
    files = composer_of(env, composer_url).attachment_ids
    notes, plan = sorted(files.mapped("name"), key=lambda name: not name.startswith("notes"))
    assert notes == "notes.txt"
    # the client's directory never survives (Werkzeug >= 3.1.9 already drops the backslashes)
    assert plan.endswith("plan.pdf") and not {"\\", "/"} & set(plan)
    assert set(files.mapped("res_model")) == {False}
    assert files.mapped("create_uid") == env.ref("base.user_admin")
    assert files.filtered(lambda a: a.name == plan).mimetype == "application/pdf"
    tree = page(admin_client.get(composer_url))
    notes = files.filtered(lambda a: a.name == "notes.txt")
    links = tree.xpath('//fieldset[@id="f_attachment_ids"]//a')
    assert f"/web/content/{notes.id}?download=1" in [link.get("href") for link in links]
    assert tree.xpath(f'//label[@for="f_attachment_ids_remove_{notes.id}"]')
    assert tree.xpath('//input[@type="file"][@name="attachment_ids.upload"][@multiple]')


def test_removing_deletes_uploads_and_unlinks_the_others(env, admin_client, composer_url):
    composer = composer_of(env, composer_url)
    template_file = env["ir.attachment"].create({"name": "terms.txt", "raw": b"terms",
                                                 "res_model": "mail.template", "res_id": 1})
    upload(admin_client, composer_url, [("notes.txt", b"hello")])
    notes = composer.attachment_ids
    composer.attachment_ids = [(4, template_file.id)]
    form = admin_client.get(composer_url)
    response = admin_client.post(composer_url, data=form_values(form, {
        "attachment_ids.remove": [str(notes.id), str(template_file.id)]}))
    assert location(response) == composer_url
    assert not composer.attachment_ids
    assert not notes.exists(), "an upload removed is deleted"
    assert template_file.exists(), "a file of something else is only unlinked"


def test_a_form_cannot_link_somebody_elses_file(env, admin_client, composer_url, make_user):
    other = make_user("other@example.com")
    private = env["ir.attachment"].with_user(other).create({"name": "secret.txt",
                                                             "raw": b"secret"})
    form = admin_client.get(composer_url)
    response = admin_client.post(composer_url, data=form_values(form, {
        "attachment_ids": str(private.id)}))
    assert location(response) == composer_url
    assert not composer_of(env, composer_url).attachment_ids


def test_uploads_are_kept_when_the_form_has_errors(env, admin_client, composer_url):
    response = upload(admin_client, composer_url, [("notes.txt", b"hello")], {"subject": ""})
    assert response.status_code == 422
    tree = page(response)
    kept = tree.xpath('//input[@type="hidden"][@name="attachment_ids"]/@value')
    assert len(kept) == 1
    assert not composer_of(env, composer_url).attachment_ids
    values = form_values(response, {"subject": "Again"})
    assert location(admin_client.post(composer_url, data=values)) == composer_url
    assert composer_of(env, composer_url).attachment_ids.ids == [int(kept[0])]


@pytest.mark.parametrize(("name", "content", "mimetype", "inline"), [
    ("notes.txt", b"hello", "text/plain", True),
    ("photo.png", b"\x89PNG\r\n\x1a\n", "image/png", True),
    ("page.html", b"<script>alert(1)</script>", "text/html", False),
    ("image.svg", b"<svg onload='alert(1)'/>", "image/svg+xml", False),
    ("data.bin", b"\x00\x01", "application/octet-stream", False),
])
def test_downloads(env, admin_client, name, content, mimetype, inline):
    attachment = env["ir.attachment"].create({"name": name, "raw": content,
                                              "mimetype": mimetype})
    response = admin_client.get(f"/web/content/{attachment.id}")
    assert response.status_code == 200
    assert response.get_data() == content
    assert response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline" if inline else "attachment")
    assert name in disposition
    forced = admin_client.get(f"/web/content/{attachment.id}?download=1")
    assert forced.headers["Content-Disposition"].startswith("attachment")


def test_inline_mail_images_are_served_at_web_image(env, admin_client):
    image = env["ir.attachment"].create({"name": "logo.png", "raw": b"\x89PNG\r\n\x1a\n",
                                          "mimetype": "image/png"})
    response = admin_client.get(f"/web/image/{image.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.get_data() == b"\x89PNG\r\n\x1a\n"


def test_downloads_check_read_access(env, make_user, clients):
    ann = make_user("ann@example.com")
    make_user("ben@example.com")
    own = env["ir.attachment"].with_user(ann).create({"name": "ann.txt", "raw": b"ann"})
    partner = env["res.partner"].create({"name": "Shared"})
    linked = env["ir.attachment"].create({"name": "shared.txt", "raw": b"shared",
                                          "res_model": "res.partner", "res_id": partner.id})
    client = clients("ben@example.com", USER_PASSWORD)
    assert client.get(f"/web/content/{own.id}").status_code == 403
    assert client.get(f"/web/content/{linked.id}").get_data() == b"shared"
    assert client.get("/web/content/999999").status_code == 404
    assert clients("ann@example.com", USER_PASSWORD).get(
        f"/web/content/{own.id}").get_data() == b"ann"


def test_read_only_files_are_download_links(env, admin_client, composer_url):
    composer = composer_of(env, composer_url)
    composer.attachment_ids = [(0, 0, {"name": "report.txt", "raw": b"x" * 2048})]
    composer.state = "done"
    tree = page(admin_client.get(composer_url))
    assert not tree.xpath('//input[@name="attachment_ids.upload"]')
    item = tree.xpath('//ul[@id="f_attachment_ids"]/li')[0]
    assert text_of(item, "./a") == ["report.txt"]
    assert item.xpath("./a/@href") == [f"/web/content/{composer.attachment_ids.id}?download=1"]
    assert text_of(item, "./span") == ["2.0 KB"]
