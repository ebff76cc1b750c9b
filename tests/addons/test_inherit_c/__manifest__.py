{
    "name": "Test: inheritance chain, level C",
    "summary": "Extends what A and B made (tests only)",
    "category": "Hidden",
    "depends": ["test_inherit_b"],
    "installable": True,
}
