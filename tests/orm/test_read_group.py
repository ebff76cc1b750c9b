"""read_group: counts and aggregates per group, grouping by fields and date parts."""

from __future__ import annotations

import pytest


@pytest.fixture
def records(orm_env):
    Category = orm_env["test_orm.category"]
    a, b = Category.create([{"name": "A"}, {"name": "B"}])
    return orm_env["test_orm.record"].create([
        {"name": "r1", "category_id": a.id, "count": 1, "weight": 1.0, "day": "2024-01-01",
         "state": "draft"},
        {"name": "r2", "category_id": a.id, "count": 3, "weight": 2.0, "day": "2024-01-08",
         "state": "done"},
        {"name": "r3", "category_id": b.id, "count": 5, "weight": 4.0, "day": "2024-02-15",
         "state": "done"},
        {"name": "r4", "count": 7, "weight": 8.0, "state": "draft"},
    ])


def _domain(records):
    return [("id", "in", records.ids)]


def test_group_by_many2one(orm_env, records):
    groups = orm_env["test_orm.record"].read_group(
        _domain(records), ["count:sum", "weight:avg"], ["category_id"])
    by_name = {g["category_id"][1] if g["category_id"] else False: g for g in groups}
    assert set(by_name) == {"A", "B", False}
    assert by_name["A"]["category_id_count"] == 2
    assert by_name["A"]["count"] == 4 and by_name["A"]["weight"] == 1.5
    assert by_name["B"]["count"] == 5 and by_name[False]["count"] == 7
    assert isinstance(by_name["A"]["weight"], float)
    # each group's domain selects its records
    Record = orm_env["test_orm.record"]
    assert Record.search(by_name["A"]["__domain"]).mapped("name") == ["r1", "r2"]
    assert Record.search(by_name[False]["__domain"]).mapped("name") == ["r4"]


def test_group_by_selection_with_count_and_order(orm_env, records):
    groups = orm_env["test_orm.record"].read_group(
        _domain(records), ["count"], ["state"], orderby="count desc")
    assert [(g["state"], g["state_count"], g["count"]) for g in groups] == \
        [("draft", 2, 8), ("done", 2, 8)] or \
        [(g["state"], g["state_count"], g["count"]) for g in groups] == \
        [("done", 2, 8), ("draft", 2, 8)]
    groups = orm_env["test_orm.record"].read_group(
        _domain(records), ["weight:sum"], ["state"], orderby="weight desc")
    assert [(g["state"], g["weight"]) for g in groups] == [("draft", 9.0), ("done", 6.0)]


def test_aggregate_aliases(orm_env, records):
    groups = orm_env["test_orm.record"].read_group(
        _domain(records), ["total_count:sum(count)", "max_weight:max(weight)",
                           "n:count(id)"], [])
    assert len(groups) == 1
    assert groups[0]["total_count"] == 16 and groups[0]["max_weight"] == 8.0
    assert groups[0]["__count"] == 4


@pytest.mark.parametrize("granularity, expected", [
    ("day", [("2024-01-01", 1), ("2024-01-08", 1), ("2024-02-15", 1), (False, 1)]),
    ("week", [("2024-01-01", 1), ("2024-01-08", 1), ("2024-02-12", 1), (False, 1)]),
    ("month", [("2024-01-01", 2), ("2024-02-01", 1), (False, 1)]),
    ("year", [("2024-01-01", 3), (False, 1)]),
])
def test_group_by_date(orm_env, records, granularity, expected):
    spec = f"day:{granularity}"
    groups = orm_env["test_orm.record"].read_group(_domain(records), ["count"], [spec])
    assert [(g[spec], g["day_count"]) for g in groups] == expected
    Record = orm_env["test_orm.record"]
    for group in groups:
        assert Record.search_count(group["__domain"]) == group["day_count"]


def test_group_by_date_defaults_to_month(orm_env, records):
    groups = orm_env["test_orm.record"].read_group(_domain(records), [], ["day"])
    assert [g["day"] for g in groups] == ["2024-01-01", "2024-02-01", False]


def test_group_by_datetime(orm_env):
    records = orm_env["test_orm.record"].create([
        {"name": "a", "moment": "2024-03-01 23:30:00"}, {"name": "b", "moment": "2024-03-02 00:10:00"},
        {"name": "c", "moment": "2024-03-02 12:00:00"}])
    groups = orm_env["test_orm.record"].read_group(_domain(records), [], ["moment:day"])
    assert [(g["moment:day"], g["moment_count"]) for g in groups] == \
        [("2024-03-01", 1), ("2024-03-02", 2)]
    Record = orm_env["test_orm.record"]
    assert Record.search(groups[1]["__domain"]) == records[1:]


def test_lazy_and_multiple_groupbys(orm_env, records):
    Record = orm_env["test_orm.record"]
    lazy = Record.read_group(_domain(records), ["count"], ["state", "category_id"])
    assert all("category_id" not in g for g in lazy)
    assert lazy[0]["__context"] == {"group_by": ["category_id"]}
    full = Record.read_group(_domain(records), ["count"], ["state", "category_id"], lazy=False)
    assert len(full) == 4 and all("__count" in g for g in full)
    assert sum(g["__count"] for g in full) == 4


def test_limit_offset(orm_env, records):
    groups = orm_env["test_orm.record"].read_group(
        _domain(records), ["count"], ["state"], limit=1, offset=1)
    assert len(groups) == 1 and groups[0]["state"] == "draft"


def test_invalid_read_group(orm_env, records):
    Record = orm_env["test_orm.record"]
    with pytest.raises(ValueError):
        Record.read_group([], ["count"], ["nope"])
    with pytest.raises(ValueError):
        Record.read_group([], ["count:drop_table"], ["state"])
    with pytest.raises(ValueError):
        Record.read_group([], ["count"], ["day:hour"])
    with pytest.raises(ValueError):
        Record.read_group([], ["count"], ["state"], orderby="count; DROP TABLE x")
    with pytest.raises(ValueError):
        Record.read_group([], ["count"], ["line_count"])
