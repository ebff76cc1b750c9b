{
    "name": "Test: ORM",
    "summary": "Models exercising every ORM feature (tests only)",
    "category": "Hidden",
    "depends": ["base"],
    "data": ["security/ir.model.access.csv", "security/test_orm_security.xml"],
    "installable": True,
}
