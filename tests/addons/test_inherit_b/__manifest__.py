{
    "name": "Test: inheritance chain, level B",
    "summary": "Extends test.inherit.thing and res.partner (tests only)",
    "category": "Hidden",
    "depends": ["test_inherit_a"],
    "installable": True,
}
