"""Jinja2 templates of the web app (``okot/web/templates``) and their Dutch filters."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from okot.web import texts
from okot.web.charts import cell_text
from okot.web.report_access import may_read
from okot.web.sessions import csrf_token

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
BRUSSELS = ZoneInfo("Europe/Brussels")


def _when(value: date | datetime | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(BRUSSELS).strftime("%d-%m-%Y %H:%M")
    return value.strftime("%d-%m-%Y")


TEMPLATES.env.filters.update(
    stage=texts.stage, message=texts.message, code=texts.code, when=_when,
    role=lambda r: texts.ROLES.get(str(getattr(r, "value", r)), str(r)),
    field=lambda f: texts.FIELDS.get(f, f), cel=cell_text,
    te_laat=texts.overdue_line,
)
TEMPLATES.env.globals["leest_rapport"] = may_read


def render(request: Request, name: str, context: dict[str, Any],
           status_code: int = 200) -> HTMLResponse:
    context = {"csrf": csrf_token(request), "caller": getattr(request.state, "caller", None),
               **context}
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
