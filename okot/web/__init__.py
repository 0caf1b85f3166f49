"""``okot web``: the Dutch web app and the HTTP API v1 (FastAPI, Jinja2, OpenID Connect)."""
