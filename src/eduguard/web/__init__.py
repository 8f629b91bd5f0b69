"""Web console (Jinja2 + htmx) and JSON API (``/api/v1``)."""
