"""The ORM: models, fields, domains, environments and the per-database registry."""
