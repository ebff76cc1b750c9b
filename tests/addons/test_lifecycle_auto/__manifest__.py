{
    "name": "Test: auto-installed glue",
    "summary": "Installed by itself once test_lifecycle is (tests only)",
    "category": "Hidden",
    "depends": ["test_lifecycle"],
    "auto_install": True,
    "installable": True,
}
