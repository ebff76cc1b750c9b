"""Search views: the search box, filters and group-by options of a list.

    <search>
        <field name="name"/>
        <field name="partner_id" filter_domain="[('partner_id.email', 'ilike', self)]"/>
        <filter name="failed" string="Failed" domain="[('failure_count', '>', 0)]"/>
        <separator/>
        <filter name="inactive" string="Archived" domain="[('active', '=', False)]"/>
        <group string="Group By">
            <filter name="by_model" string="Model" context="{'group_by': 'model_id'}"/>
        </group>
    </search>

The text typed in the search box is looked for in every ``<field>`` (OR). Filters of
one block (between separators) are OR-ed, blocks are AND-ed, as in Odoo. Domains and
contexts are evaluated with :func:`postroom.tools.safe_eval.safe_eval` (``uid``,
``user``, ``context_today()``, ``relativedelta``, ``datetime`` are available).

A list page is described by its query string (:class:`SearchQuery`): ``q`` (text),
``filter`` (repeated filter names), ``groupby`` (a field, ``date_field:month``…),
``order`` and ``page``. ``s=1`` marks a query built by the search form; without it the
action's ``search_default_<filter>`` context keys apply.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from lxml import etree
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.arch import allowed
from postroom.addons.web.rendering.conditions import ViewError
from postroom.orm.domain import AND, OR
from postroom.tools.safe_eval import SafeEvalError, safe_eval

_TEXT_TYPES = ("char", "text", "html", "many2one", "many2many", "one2many")
_GROUPABLE_TYPES = ("many2one", "selection", "boolean", "date", "datetime")
ARCHIVED_FILTER = "archived"


@dataclass
class SearchField:
    name: str
    label: str
    filter_domain: str | None
    operator: str | None


@dataclass
class Filter:
    name: str
    label: str
    domain: str | None
    block: int


@dataclass
class GroupBy:
    spec: str
    label: str


@dataclass
class SearchQuery:
    """What a list shows: the state of its search panel, sort and page."""

    text: str = ""
    filters: list[str] = field(default_factory=list)
    groupby: str = ""
    order: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict, defaults: list[str]) -> SearchQuery:
        """Read the query string; ``defaults`` are the filters on when none was chosen."""
        try:
            page = max(1, int(args.get("page") or 1))
        except ValueError:
            page = 1
        filters = args.getlist("filter") if args.get("s") else defaults
        return cls(text=(args.get("q") or "").strip(), filters=list(dict.fromkeys(filters)),
                   groupby=args.get("groupby") or "", order=args.get("order") or "", page=page)

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The query string items of this query with ``changes`` (page 1 unless given)."""
        values = {"text": self.text, "filters": self.filters, "groupby": self.groupby,
                  "order": self.order, "page": 1, **changes}
        items = [("s", "1")]
        items += [("q", values["text"])] if values["text"] else []
        items += [("filter", name) for name in values["filters"]]
        items += [("groupby", values["groupby"])] if values["groupby"] else []
        items += [("order", values["order"])] if values["order"] else []
        items += [("page", str(values["page"]))] if values["page"] != 1 else []
        return items

    def url(self, base: str, **changes: Any) -> str:
        return f"{base}?{urlencode(self.params(**changes))}"


class SearchView:
    """The search arch of a model, and the domains it builds."""

    def __init__(self, model: Any, arch: etree._Element, list_fields: list[str]):
        self.model = model
        self.fields: list[SearchField] = []
        self.filters: list[Filter] = []
        self.groupbys: list[GroupBy] = []
        self._read(arch, block=0)
        if not self.groupbys:
            self.groupbys = self._default_groupbys(list_fields)
        if "active" in model._fields and not any(
                "'active'" in (f.domain or "") or '"active"' in (f.domain or "")
                for f in self.filters):
            block = max((f.block for f in self.filters), default=0) + 1
            self.filters.append(Filter(ARCHIVED_FILTER, "Archived", "[('active', '=', False)]",
                                       block))

    def _read(self, node: etree._Element, block: int) -> int:
        user = self.model.env.user
        for child in node:
            if not isinstance(child.tag, str) or not allowed(child, user):
                continue
            if child.tag == "field":
                name = child.get("name")
                if name in self.model._fields:
                    self.fields.append(SearchField(
                        name, child.get("string") or self.model._fields[name].string or name,
                        child.get("filter_domain"), child.get("operator")))
            elif child.tag == "filter":
                self._read_filter(child, block)
            elif child.tag == "separator":
                block += 1
            elif child.tag == "group":
                block = self._read(child, block + 1) + 1
        return block

    def _read_filter(self, node: etree._Element, block: int) -> None:
        name = node.get("name") or f"filter_{len(self.filters) + len(self.groupbys)}"
        label = node.get("string") or name
        context = self._evaluate(node.get("context") or "{}", {})
        spec = context.get("group_by") if isinstance(context, dict) else None
        if spec:
            spec = spec[0] if isinstance(spec, (list, tuple)) else spec
            if self._groupable(str(spec)):
                self.groupbys.append(GroupBy(str(spec), label))
        else:
            self.filters.append(Filter(name, label, node.get("domain"), block))

    def _groupable(self, spec: str) -> bool:
        field = self.model._fields.get(spec.partition(":")[0])
        return bool(field and field.store and field.column_type)

    def _default_groupbys(self, list_fields: list[str]) -> list[GroupBy]:
        fields = self.model._fields
        return [GroupBy(name, fields[name].string or name) for name in list_fields
                if fields[name].type in _GROUPABLE_TYPES and self._groupable(name)]

    # -- domains ----------------------------------------------------------------
    def _evaluate(self, text: str, names: dict[str, Any]) -> Any:
        env = self.model.env
        scope = {"uid": env.uid, "user": env.user, "context": dict(env.context),
                 "context_today": datetime.date.today, "relativedelta": relativedelta,
                 "datetime": datetime.datetime, **names}
        try:
            return safe_eval(text, scope)
        except (SafeEvalError, TypeError, AttributeError, KeyError, ValueError) as exc:
            raise ViewError(f"Cannot evaluate {text!r} in the search view: {exc}") from None

    def domain(self, query: SearchQuery) -> list:
        """The domain of the text searched and the filters on."""
        parts = []
        if query.text:
            parts.append(self.text_domain(query.text))
        blocks: dict[int, list[list]] = {}
        for flt in self.filters:
            if flt.name in query.filters and flt.domain:
                blocks.setdefault(flt.block, []).append(self._evaluate(flt.domain, {}))
        parts.extend(OR(domains) for domains in blocks.values())
        return AND(parts)

    def text_domain(self, text: str) -> list:
        """Records where one of the search fields matches ``text``."""
        domains = []
        for search_field in self.fields or self._name_field():
            if search_field.filter_domain:
                domains.append(self._evaluate(search_field.filter_domain,
                                              {"self": text, "raw_value": text}))
                continue
            leaf = self._leaf(search_field, text)
            if leaf:
                domains.append([leaf])
        return OR(domains) if domains else [(0, "=", 1)]

    def _name_field(self) -> list[SearchField]:
        name = self.model._rec_name
        return [SearchField(name, name, None, None)] if name else []

    def _leaf(self, search_field: SearchField, text: str) -> tuple | None:
        field = self.model._fields[search_field.name]
        if search_field.operator:
            return (field.name, search_field.operator, text)
        if field.type in _TEXT_TYPES:
            return (field.name, "ilike", text)
        if field.type == "selection":
            keys = [key for key, label in field.get_values(self.model)
                    if text.lower() in str(label).lower() or text == key]
            return (field.name, "in", keys) if keys else None
        if field.type in ("integer", "float", "monetary"):
            try:
                return (field.name, "=", int(text) if field.type == "integer" else float(text))
            except ValueError:
                return None
        return None

    def groupby(self, query: SearchQuery) -> GroupBy | None:
        """The grouping chosen, when it is one the view offers."""
        return next((g for g in self.groupbys if g.spec == query.groupby), None)

    def default_filters(self, context: dict[str, Any]) -> list[str]:
        """The filters an action turns on with ``search_default_<name>`` context keys."""
        names = {f.name for f in self.filters}
        return [key[len("search_default_"):] for key, value in context.items()
                if key.startswith("search_default_") and value
                and key[len("search_default_"):] in names]
