{
    "name": "Test: inheritance chain, level A",
    "summary": "Defines test.inherit.thing (tests only)",
    "category": "Hidden",
    "depends": ["base"],
    "installable": True,
}
