{
    "name": "Web",
    "version": "1.0",
    "summary": "The backend: menus, list, form and search views rendered on the server",
    "author": "Postroom developers",
    "license": "LGPL-3",
    "category": "Hidden",
    "depends": ["base"],
    "data": [
        "views/web_layout.xml",
        "views/web_pages.xml",
        "views/base_views.xml",
        "data/web_menus.xml",
    ],
    "auto_install": True,
    "installable": True,
}
