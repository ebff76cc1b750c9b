{
    "name": "Test: mail templates",
    "summary": "An order model with amounts, dates and states, to render templates, run the "
               "composer and automation rules on (tests only)",
    "category": "Hidden",
    "depends": ["mail_core"],
    "data": ["security/ir.model.access.csv", "security/test_mail_template_security.xml",
             "data/test_mail_template_data.xml"],
    "installable": True,
}
