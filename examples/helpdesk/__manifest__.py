{
    "name": "Helpdesk",
    "version": "1.0",
    "summary": "Support tickets with a chatter: created from incoming mail, answered by email, "
               "reminded before their deadline",
    "author": "Postroom developers",
    "license": "LGPL-3",
    "category": "Services/Helpdesk",
    "depends": ["mail_core"],
    "data": [
        "security/ir.model.access.csv",
        "data/helpdesk_data.xml",
        "views/helpdesk_ticket_views.xml",
        "views/helpdesk_menus.xml",
    ],
    "demo": [
        "demo/helpdesk_demo.xml",
        "demo/mail_template_demo.xml",
        "demo/helpdesk_ticket_demo.xml",
        "demo/base_automation_demo.xml",
        "demo/fetchmail_server_demo.xml",
    ],
    "application": True,
    "installable": True,
}
