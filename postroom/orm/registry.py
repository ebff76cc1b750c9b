"""The registry: one composed class per model, for one database.

Addon classes are filed by :class:`~postroom.orm.models.meta.MetaModel`;
:meth:`Registry.build` composes, for the addons installed in a database, one
class per model name. A model's first definition creates it; each later
definition (``_inherit = 'x'``) becomes a new class whose bases are the
extension and the previous class, so ``super()`` walks every addon's override
in dependency order. Mixins named in ``_inherit`` are added as further bases.

After composition, :meth:`setup` gives each class fresh field objects (the
arguments of every definition merged), resolves related and ``_inherits``
fields, and derives the tables the ORM uses at run time: what to invalidate or
recompute when a field changes (:meth:`modified`, :meth:`recompute`), which
x2many values change when a comodel field changes, which models lose rows
through ``ON DELETE CASCADE``, which constraint methods watch which fields,
which fields to prefetch together.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from postroom.orm import fields as fields_module
from postroom.orm.fields.base import Field
from postroom.orm.models import BaseModel
from postroom.orm.models.meta import MetaModel
from postroom.orm.signaling import CacheSignal

if TYPE_CHECKING:
    from postroom.orm.environment import Environment


class Registry(Mapping):
    """Model classes of one database, and the derived metadata the ORM needs."""

    #: registries of this process, by database name
    registries: dict[str, Registry] = {}
    _lock = threading.RLock()

    def __init__(self, database: Any):
        self.database = database
        self.dbname: str = database.dbname
        self.addons: list[str] = []
        self.models: dict[str, type[BaseModel]] = {}
        self.ready = False
        #: tells the other processes when this one changed what their caches hold
        self.signal = CacheSignal(self._clear_all_caches)
        self._clear_metadata()

    def _clear_metadata(self) -> None:
        self.access_cache: dict[tuple, bool] = {}
        self.rule_cache: dict[tuple, list] = {}
        self.model_cache: dict[tuple, Any] = {}
        self.groups_cache: dict[int, frozenset[int]] = {}
        self.field_triggers: dict[Field, list[tuple[tuple[Field, ...], Field]]] = defaultdict(list)
        self.field_computed: dict[Field, list[Field]] = {}
        self.many2one_inverses: dict[Field, list[Field]] = defaultdict(list)
        self.relation_fields: dict[str, list[Field]] = defaultdict(list)
        #: comodel fields deciding which records an x2many shows (active, domain): x2manys
        self.x2many_filters: dict[Field, list[Field]] = defaultdict(list)
        self.fields_pointing_to: dict[str, list[Field]] = defaultdict(list)
        #: models whose rows the database deletes (ON DELETE CASCADE) with a model's rows
        self.cascade_models: dict[str, set[str]] = {}
        self.prefetch_fields: dict[str, list[Field]] = {}
        self.constraint_methods: dict[str, list[tuple[Any, set[str]]]] = defaultdict(list)
        self.ondelete_methods: dict[str, list[Any]] = defaultdict(list)
        self.sql_constraints: dict[str, list[tuple[str, str, str]]] = {}

    # ------------------------------------------------------------------
    # process-wide lookup
    # ------------------------------------------------------------------
    @classmethod
    def of(cls, cr: Any) -> Registry:
        """The registry of the database a cursor is connected to."""
        try:
            return cls.registries[cr.dbname]
        except KeyError:
            raise LookupError(f"No registry is loaded for database {cr.dbname!r}") from None

    @classmethod
    def register(cls, registry: Registry) -> Registry:
        with cls._lock:
            cls.registries[registry.dbname] = registry
        return registry

    @classmethod
    def forget(cls, dbname: str) -> None:
        with cls._lock:
            cls.registries.pop(dbname, None)

    # Mapping interface
    def __getitem__(self, model_name: str) -> type[BaseModel]:
        return self.models[model_name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)

    def __contains__(self, model_name: object) -> bool:
        return model_name in self.models

    def cursor(self) -> Any:
        return self.database.cursor()

    def clear_caches(self) -> None:
        """Forget cached access rights, rules and group memberships."""
        self.access_cache.clear()
        self.rule_cache.clear()
        self.groups_cache.clear()

    def _clear_all_caches(self) -> None:
        """Forget everything cached from the database's rows (see :mod:`..signaling`)."""
        self.clear_caches()
        self.model_cache.clear()

    # ------------------------------------------------------------------
    # composition
    # ------------------------------------------------------------------
    def build(self, addons: Iterable[str]) -> None:
        """Compose the model classes of ``addons`` (in dependency order) and set them up."""
        self.addons = list(addons)
        definitions: dict[str, list[type]] = defaultdict(list)
        for addon in self.addons:
            for cls in MetaModel.module_to_models.get(addon, ()):
                definitions[cls._name].append(cls)
        built: dict[str, type] = {}
        building: set[str] = set()

        def build_model(name: str) -> type:
            if name in built:
                return built[name]
            if name in building:
                raise TypeError(f"Model {name!r} inherits from itself through its mixins")
            defs = definitions.get(name)
            if not defs:
                raise TypeError(f"Model {name!r} is inherited but not defined by any installed "
                                "addon (is the defining addon a dependency?)")
            building.add(name)
            first = defs[0]
            if name in first._inherit:
                raise TypeError(f"{first.__module__}.{first.__name__} extends {name!r}, which no "
                                "earlier addon defines (add the defining addon to depends)")
            composed: type | None = None
            for definition in defs:
                parents = tuple(build_model(p) for p in definition._parents)
                bases = (definition,) + ((composed,) if composed else ()) + parents
                composed = type(definition.__name__, bases, {
                    "_name": name, "_register": False, "_is_registry_class": True,
                    "__module__": definition.__module__, "__slots__": (),
                })
            building.discard(name)
            built[name] = composed
            return composed

        for name in definitions:
            build_model(name)
        self.models = built
        self.setup()

    def setup(self) -> None:
        """Create per-model fields and derive the run-time metadata."""
        self._clear_metadata()
        for cls in self.models.values():
            self._setup_base(cls)
        for cls in self._inherits_order():
            self._setup_inherits(cls)
        for cls in self.models.values():
            # decided once delegated (_inherits) fields exist: res.users names by "name"
            if cls._rec_name is None or cls._rec_name not in cls._fields:
                cls._rec_name = "name" if "name" in cls._fields else None
            for field in cls._fields.values():
                field.setup(cls)
        for cls in self.models.values():
            self._setup_metadata(cls)
        dependencies: dict[Field, list[Field]] = {}
        for cls in self.models.values():
            for field in cls._fields.values():
                dependencies[field] = self._setup_triggers(cls, field)
        _setup_depends_context(self.models.values(), dependencies)
        self._setup_cascades()
        self.ready = True

    def _setup_cascades(self) -> None:
        direct: dict[str, set[str]] = defaultdict(set)
        for fields in self.fields_pointing_to.values():
            for field in fields:
                if field.type == "many2one" and field.ondelete == "cascade":
                    direct[field.comodel_name].add(field.model_name)
        for name, targets in direct.items():
            reached: set[str] = set()
            todo = list(targets)
            while todo:
                model_name = todo.pop()
                if model_name not in reached:
                    reached.add(model_name)
                    todo.extend(direct.get(model_name, ()))
            self.cascade_models[name] = reached

    def _setup_base(self, cls: type[BaseModel]) -> None:
        cls.pool = self
        cls._table = cls.__dict__.get("_table") or _own_attr(cls, "_table") or cls._name.replace(".", "_")
        definitions: dict[str, list[Field]] = {}
        for klass in reversed(cls.__mro__):
            if klass.__dict__.get("_is_registry_class"):
                continue
            for name, value in klass.__dict__.items():
                if isinstance(value, Field):
                    definitions.setdefault(name, []).append(value)
        # read from the definitions, not from composed mixin classes that already decided it
        own = _own_attr(cls, "_log_access")
        log_access = own if own is not None else cls._auto
        cls._log_access = log_access
        if log_access:
            for name, field in _log_access_fields().items():
                definitions.setdefault(name, [field])
        inherits: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            if not klass.__dict__.get("_is_registry_class"):
                inherits.update(klass.__dict__.get("_inherits", {}))
        cls._inherits = inherits
        constraints: dict[str, tuple[str, str, str]] = {}
        for klass in reversed(cls.__mro__):
            for item in klass.__dict__.get("_sql_constraints", ()):
                constraints[item[0]] = tuple(item)
        cls._sql_constraints = list(constraints.values())
        fields: dict[str, Field] = {}
        for name, defs in definitions.items():
            top = defs[-1]
            args = Field.merge(defs)
            field = top.new(cls._name, name, args)
            fields[name] = field
            setattr(cls, name, field)
        cls._fields = fields
        if cls._active_name is None:
            cls._active_name = "active" if "active" in fields else None
        if not cls._description:
            cls._description = cls._name

    def _inherits_order(self) -> list[type[BaseModel]]:
        order: list[type[BaseModel]] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for parent in self.models[name]._inherits:
                if parent not in self.models:
                    raise TypeError(f"Model {name!r} delegates to unknown model {parent!r}")
                visit(parent)
            order.append(self.models[name])

        for name in self.models:
            visit(name)
        return order

    def _setup_inherits(self, cls: type[BaseModel]) -> None:
        for parent_name, link in cls._inherits.items():
            link_field = cls._fields.get(link)
            if link_field is None or link_field.type != "many2one":
                raise TypeError(f"{cls._name}._inherits needs a Many2one field {link!r}")
            link_field.required = True
            if link_field.args.get("ondelete") != "restrict":
                link_field.ondelete = "cascade"
            link_field.delegate = True
            for name, parent_field in self.models[parent_name]._fields.items():
                if name in cls._fields or name in ("id", "display_name") or \
                        name in _log_access_fields():
                    continue
                args = {k: v for k, v in parent_field.args.items() if k in _INHERITED_ARGS}
                args.update(related=f"{link}.{name}", inherited=True, readonly=False,
                            inherited_field=parent_field)
                if parent_field.relational:
                    args["comodel_name"] = parent_field.comodel_name
                field = parent_field.new(cls._name, name, args)
                cls._fields[name] = field
                setattr(cls, name, field)

    def _setup_metadata(self, cls: type[BaseModel]) -> None:
        name = cls._name
        prefetch = []
        for field in cls._fields.values():
            if field.store and field.column_type and field.prefetch and field.name != "id":
                prefetch.append(field)
            if field.type == "one2many" and not field.related:
                inverse = self.models[field.comodel_name]._fields[field.inverse_name]
                self.many2one_inverses[inverse].append(field)
            if field.type == "many2many" and not field.related:
                self.relation_fields[field.relation].append(field)
            if field.relational_multi and field.store and not field.related:
                comodel = self.models[field.comodel_name]
                for filter_name in _x2many_filter_names(field, comodel):
                    self.x2many_filters[comodel._fields[filter_name]].append(field)
            if field.relational and field.store and not field.related:
                self.fields_pointing_to[field.comodel_name].append(field)
        self.prefetch_fields[name] = prefetch
        if not cls._abstract and cls._auto:
            self.sql_constraints[cls._table] = cls._sql_constraints
        by_compute: dict[Any, list[Field]] = defaultdict(list)
        for field in cls._fields.values():
            if isinstance(field.compute, str):
                by_compute[field.compute].append(field)
        for group in by_compute.values():
            for field in group:
                self.field_computed[field] = group
        for attr in dir(cls):
            if attr.startswith("__"):
                continue
            method = getattr(cls, attr, None)
            watched = getattr(method, "_constrains", None)
            if watched and callable(method):
                self.constraint_methods[name].append((method, set(watched)))
            if getattr(method, "_ondelete", None) is not None and callable(method):
                self.ondelete_methods[name].append(method)

    def _setup_triggers(self, cls: type[BaseModel], field: Field) -> list[Field]:
        """Register what recomputes or invalidates ``field``; return the fields it reads."""
        if not field.compute:
            return []
        if field.related:
            depends: Iterable[str] = field.depends or ()
        elif isinstance(field.compute, str):
            method = getattr(cls, field.compute, None)
            if method is None:
                raise TypeError(f"Field {field}: compute method {field.compute!r} not found")
            depends = field.depends or getattr(method, "_depends", ())
            if len(depends) == 1 and callable(depends[0]):
                depends = tuple(depends[0](cls))
        else:
            depends = field.depends or ()
        reached: list[Field] = []
        for path in depends:
            model = cls
            chain: list[Field] = []
            for step in path.split("."):
                step_field = model._fields.get(step)
                if step_field is None:
                    raise TypeError(f"Field {field}: dependency {path!r} has no field {step!r} "
                                    f"on {model._name}")
                self.field_triggers[step_field].append((tuple(chain), field))
                chain.append(step_field)
                if step_field.relational:
                    model = self.models[step_field.comodel_name]
            reached.extend(chain)
        return reached

    # ------------------------------------------------------------------
    # dependencies at run time
    # ------------------------------------------------------------------
    def modified(self, records: BaseModel, fnames: list[str], creating: bool = False,
                 fresh: Mapping[Field, set[int]] | None = None) -> None:
        """Invalidate or schedule recomputation of what depends on ``fnames`` of ``records``.

        ``creating``: the records are new, so no other record reaches them yet;
        ``fresh``: values just computed, that need no recomputation.
        """
        env = records.env
        cache = env.transaction.cache
        tocompute = env.transaction.tocompute
        protected = env.transaction.protected
        todo: list[tuple[BaseModel, list[str]]] = [(records, fnames)]
        done: dict[Field, set[int]] = defaultdict(set)
        for field, ids in (fresh or {}).items():
            done[field].update(ids)
        found: dict[tuple, list[int]] = {}
        while todo:
            recs, names = todo.pop()
            for name in names:
                field = recs._fields.get(name)
                for path, target in self.field_triggers.get(field, ()):
                    if path and creating and recs is records:
                        continue
                    if not self._has_effect(target, cache, set()):
                        continue
                    key = (path, target.model_name, recs._ids)
                    if key not in found:
                        found[key] = self._trigger_targets(env, recs, path, target)
                    skip, busy = done[target], protected.get(target, ())
                    ids = [i for i in found[key] if i not in skip and i not in busy]
                    if not ids:
                        continue
                    skip.update(ids)
                    if target.store:
                        tocompute[target].update(ids)
                    else:
                        cache.invalidate(target, ids)
                        todo.append((env[target.model_name].browse(ids), [target.name]))

    def _has_effect(self, field: Field, cache: Any, seen: set[Field]) -> bool:
        """Whether invalidating ``field`` matters: it is stored, cached, or has dependents that are."""
        if field.store or cache.has_values(field):
            return True
        seen.add(field)
        return any(target not in seen and self._has_effect(target, cache, seen)
                   for _path, target in self.field_triggers.get(field, ()))

    def _trigger_targets(self, env: Environment, records: BaseModel, path: tuple[Field, ...],
                         target: Field) -> list[int]:
        if not path:
            return list(records._ids)
        model = env[target.model_name].sudo().with_context(active_test=False)
        dotted = ".".join(f.name for f in path)
        return list(model.search([(dotted, "in", list(records._ids))], order="")._ids)

    def recompute(self, env: Environment, field: Field | None = None) -> None:
        """Compute the stored fields scheduled for recomputation (or only ``field``).

        Fields of one model scheduled on the same records are computed together
        and saved in one statement per thousand records.
        """
        tocompute = env.transaction.tocompute
        su_env = env(su=True)
        while True:
            if field is None:
                first = next((f for f, ids in tocompute.items() if ids), None)
            else:
                first = field if tocompute.get(field) else None
            if first is None:
                return
            ids = tocompute[first]
            group = [first] if field else [f for f, f_ids in tocompute.items()
                                           if f.model_name == first.model_name and f_ids == ids]
            su_env[first.model_name].browse(tuple(ids))._recompute_stored(group)


_INHERITED_ARGS = ("string", "help", "selection", "comodel_name", "digits", "currency_field",
                   "size", "groups", "sanitize", "attachment", "domain", "context", "widget",
                   "selection_add", "tracking")


def _x2many_filter_names(field: Field, comodel: type[BaseModel]) -> set[str]:
    """The comodel fields that decide whether a record shows in the x2many ``field``."""
    names = {comodel._active_name} if comodel._active_name else set()
    if isinstance(field.domain, (list, tuple)):
        names.update(leaf[0].split(".")[0] for leaf in field.domain
                     if isinstance(leaf, (list, tuple)) and isinstance(leaf[0], str))
    return {name for name in names if name in comodel._fields}


def _setup_depends_context(models: Iterable[type[BaseModel]],
                           dependencies: Mapping[Field, list[Field]]) -> None:
    """Give computed fields the context keys of ``@api.depends_context`` on their method.

    A stored field cannot have any: its one value in the database cannot vary
    with the reader's context. A non-stored field also depends on the context
    keys of the fields it reads (``@api.depends``), so that a value computed
    from a French label is not served in English.
    """
    for cls in models:
        for field in cls._fields.values():
            compute = getattr(cls, field.compute, None) if isinstance(field.compute, str) \
                else field.compute
            keys = tuple(getattr(compute, "_depends_context", ()))
            if keys and field.store:
                decorator = f"@api.depends_context({', '.join(map(repr, keys))})"
                method_name = getattr(compute, "__name__", compute)
                raise TypeError(
                    f"Field {field} is stored, but its compute method {method_name!r} has "
                    f"{decorator}: a stored value cannot vary with the reader's context. Make "
                    "the field store=False, or remove the decorator.")
            field.depends_context = keys
    changed = True
    while changed:  # until the keys stop spreading along dependencies
        changed = False
        for field, reached in dependencies.items():
            if field.store or not reached:
                continue
            keys = tuple(dict.fromkeys(
                [*field.depends_context, *(key for dep in reached for key in dep.depends_context)]))
            if keys != field.depends_context:
                field.depends_context, changed = keys, True


def _own_attr(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__ and not klass.__dict__.get("_is_registry_class"):
            return klass.__dict__[name]
    return None


def _log_access_fields() -> dict[str, Field]:
    return {
        "create_uid": fields_module.Many2one("res.users", string="Created by", readonly=True,
                                             ondelete="set null"),
        "create_date": fields_module.Datetime(string="Created on", readonly=True),
        "write_uid": fields_module.Many2one("res.users", string="Last Updated by", readonly=True,
                                            ondelete="set null"),
        "write_date": fields_module.Datetime(string="Last Updated on", readonly=True),
    }
