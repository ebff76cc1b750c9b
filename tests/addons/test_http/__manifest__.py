{
    "name": "Test: HTTP",
    "summary": "Routes of every kind for the HTTP layer's tests (tests only)",
    "category": "Hidden",
    "depends": ["base"],
    "data": ["views/templates.xml"],
    "installable": True,
}
