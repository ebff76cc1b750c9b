{
    "name": "Test: mail thread",
    "summary": "A ticket model inheriting mail.thread, with tracked fields (tests only)",
    "category": "Hidden",
    "depends": ["mail_core"],
    "data": ["security/ir.model.access.csv", "data/test_mail_thread_data.xml"],
    "installable": True,
}
