"""The access app has no tables: roles follow from accounts and reporting lines."""
