"""List pages: ``/web/action/<id>`` with search, filters, grouping, sorting and pages,
bulk archive/delete, the model's server actions, and CSV export."""

from __future__ import annotations

import csv
import datetime
import io
import math
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import backend_route, flash, page, posted_ids
from postroom.addons.web.controllers.server_actions import bound_actions, server_action_url
from postroom.addons.web.controllers.window import WindowAction
from postroom.addons.web.rendering.listview import (
    BULK_FORM,
    ROW_FORM,
    Column,
    ListTable,
    Section,
    column_scope,
    list_columns,
)
from postroom.addons.web.rendering.record import RecordState
from postroom.addons.web.rendering.searchview import SearchQuery
from postroom.exceptions import AccessError, UserError
from postroom.http import request

#: records shown under each group of a grouped list
GROUP_LIMIT = 80
#: how groups of dates are named, by granularity
DATE_LABELS = {"day": "%d %b %Y", "week": "Week of %d %b %Y", "month": "%B %Y",
               "quarter": "Quarter from %B %Y", "year": "%Y"}
#: characters that make a spreadsheet read a cell as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Listing:
    """The records an action's list shows for a query: a page of records or of groups."""

    def __init__(self, action: WindowAction, query: SearchQuery):
        self.action = action
        self.query = query
        self.model = action.model
        self.domain = action.domain(query)
        self.order = action.order(query)
        self.groupby = action.search_view.groupby(query)

    def sections(self) -> tuple[list[Section], int]:
        """The sections of the current page, and how many records (or groups) in all."""
        limit = self.action.limit
        offset = (self.query.page - 1) * limit
        if self.groupby is None:
            records = self.model.search(self.domain, offset=offset, limit=limit, order=self.order)
            return [Section(records)], self.model.search_count(self.domain)
        spec = self.groupby.spec
        groups = self.model.read_group(self.domain, [], [spec], lazy=True)
        count_key = f"{spec.partition(':')[0]}_count"
        sections = [Section(self.model.search(group["__domain"], limit=GROUP_LIMIT,
                                              order=self.order),
                            self.group_label(group[spec]), group[count_key])
                    for group in groups[offset:offset + limit]]
        return sections, len(groups)

    def group_label(self, value: Any) -> str:
        if value is False or value is None:
            return "None"
        field = self.model._fields[self.groupby.spec.partition(":")[0]]
        if field.type == "many2one":
            return value[1]
        if field.type == "selection":
            return dict(field.get_values(self.model)).get(value, str(value))
        if field.type == "boolean":
            return "Yes" if value else "No"
        if field.type in ("date", "datetime"):
            granularity = self.groupby.spec.partition(":")[2] or "month"
            return datetime.date.fromisoformat(str(value)[:10]).strftime(DATE_LABELS[granularity])
        return str(value)

    def pager(self, total: int) -> dict[str, Any]:
        limit, current = self.action.limit, self.query.page
        pages = max(1, math.ceil(total / limit))
        url = self.action.url
        return {"total": total, "first": min(total, (current - 1) * limit + 1),
                "last": min(total, current * limit), "unit": "groups" if self.groupby else "",
                "previous_url": self.query.url(url, page=current - 1) if current > 1 else None,
                "next_url": self.query.url(url, page=current + 1) if current < pages else None}

    def search_panel(self) -> dict[str, Any]:
        view, query = self.action.search_view, self.query
        filters, block = [], None
        for flt in view.filters:
            filters.append({"name": flt.name, "label": flt.label,
                            "active": flt.name in query.filters,
                            "separator": block is not None and flt.block != block})
            block = flt.block
        return {"query": query, "filters": filters,
                "active_filters": sum(1 for f in filters if f["active"]),
                "groupbys": [{"spec": g.spec, "label": g.label,
                              "active": g.spec == query.groupby} for g in view.groupbys],
                "hints": ", ".join(f.label for f in view.fields)}


class ListController(http.Controller):
    @backend_route("/web/action/<int:action_id>", methods=["GET"])
    def list_view(self, action_id: int) -> Response:
        action = WindowAction(request.env, action_id)
        listing = Listing(action, action.query(request.httprequest.args))
        sections, total = listing.sections()
        table = ListTable(action.model, action.list_arch, record_url=action.record_url,
                          sort_url=lambda order: listing.query.url(action.url, order=order),
                          order=listing.order, selectable=True, caption=action.name)
        here = request.httprequest.full_path.rstrip("?")
        return page("web.list", {
            "title": action.name, "action_name": action.name, "list_url": action.url,
            "new_url": action.new_url if action.can("create") else None,
            "search": listing.search_panel(), "table": table.render(sections),
            "pager": listing.pager(total), "bulk_form": BULK_FORM, "row_form": ROW_FORM,
            "bulk_url": f"{action.url}/bulk", "export_url": f"{action.url}/export",
            "export_all_url": listing.query.url(f"{action.url}/export"), "back": here,
            "can_delete": action.can("unlink"),
            "server_actions": [{"name": server.name, "url": server_action_url(server)}
                               for server in bound_actions(action.model, "list")],
            "can_archive": "active" in action.model._fields and action.can("write"),
        }, action_id=action.id)

    @backend_route("/web/action/<int:action_id>/bulk", methods=["POST"])
    def bulk(self, action_id: int, operation: str = "", back: str = "") -> Response:
        action = WindowAction(request.env, action_id)
        ids = posted_ids()
        records = action.model.browse(ids).exists()
        back = back if urlsplit(back).path == action.url else action.url
        if not records:
            flash("Select the records first.", "warning")
            return request.redirect(back)
        done = {"archive": "archived", "unarchive": "restored", "delete": "deleted"}
        if operation not in done:
            raise UserError(f"Unknown operation {operation!r}.")
        try:
            with request.env.cr.savepoint():
                if operation == "delete":
                    records.unlink()
                else:
                    records.write({"active": operation == "unarchive"})
        except AccessError:
            raise
        except UserError as exc:
            flash(str(exc), "danger")
            return request.redirect(back)
        count = len(records)
        flash(f"{count} record{'s' if count > 1 else ''} {done[operation]}.")
        return request.redirect(back)

    @backend_route("/web/action/<int:action_id>/export", methods=["GET", "POST"])
    def export(self, action_id: int) -> Response:
        """CSV of the list's columns: the selected records (POST) or the whole query (GET)."""
        action = WindowAction(request.env, action_id)
        httprequest = request.httprequest
        if httprequest.method == "POST":
            ids = posted_ids()
            query = SearchQuery()
            records = action.model.search([("id", "in", ids)], order=action.order(query))
        else:
            listing = Listing(action, action.query(httprequest.args))
            records = action.model.search(listing.domain, order=listing.order)
        columns = [c for c in list_columns(action.model, action.list_arch,
                                           column_scope(action.model)) if c.field is not None]
        filename = action.model._name.replace(".", "_") + ".csv"
        return Response(export_csv(action.model, columns, records), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                 "Cache-Control": "no-store"})


def export_csv(model: Any, columns: list[Column], records: Any) -> str:
    """The records as CSV: one row per record, the columns' text; formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", *(column.label for column in columns)])
    for record in records:
        state = RecordState(model, record)
        row = [record.id]
        for column in columns:
            widget = state.widget(column.name, column.node)
            text = widget.export_text(state.value(column.name))
            row.append("'" + text if text.startswith(_FORMULA_START) else text)
        writer.writerow(row)
    return out.getvalue()
