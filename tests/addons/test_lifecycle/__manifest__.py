{
    "name": "Test: addon lifecycle",
    "version": "1.0",
    "summary": "A model, an extension of res.partner, data, views and hooks (tests only)",
    "author": "Postroom developers",
    "license": "LGPL-3",
    "category": "Hidden",
    "depends": ["base"],
    "data": [
        "security/ir.model.access.csv",
        "data/lifecycle_data.xml",
        "views/lifecycle_views.xml",
    ],
    "demo": ["data/lifecycle_demo.xml"],
    "pre_init_hook": "pre_init",
    "post_init_hook": "post_init",
    "uninstall_hook": "uninstall",
    "installable": True,
}
