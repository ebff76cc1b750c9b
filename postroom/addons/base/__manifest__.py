{
    "name": "Base",
    "version": "1.0",
    "summary": "Users, groups, partners, companies and the technical models every addon needs",
    "author": "Postroom developers",
    "license": "LGPL-3",
    "category": "Hidden",
    "depends": [],
    "data": [
        "security/base_groups.xml",
        "data/res_currency_data.xml",
        "data/base_data.xml",
        "security/ir.model.access.csv",
        "security/base_security.xml",
        "data/ir_cron_data.xml",
    ],
    "demo": [],
    "installable": True,
}
