{
    "name": "Test: scheduled actions",
    "summary": "Models whose methods the cron tests schedule (tests only)",
    "category": "Hidden",
    "depends": ["base"],
    "data": ["security/ir.model.access.csv"],
    "installable": True,
}
