"""The management report page, ``/rapport``, and its downloads ``/rapport.csv|json|xlsx``.

For team leads (their own OCMW) and operations (every OCMW or one)
(:mod:`okot.web.report_access`); others get the 403 page. Filters come from a
GET form (``ocmw``, ``van``, ``tot``: the period of opening), so a filtered
report has an address that can be bookmarked and sent. Every table of
:func:`okot.db.report_export.management_report` is shown, the main ones with an
inline SVG bar chart (:mod:`okot.web.charts`) above it; the figures are the
suppressed ones of the CLI, and the downloads are ``okot report``'s formats of
the same filtered report.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from okot.db.report_export import ReportView, management_report, to_csv, to_json, to_xlsx
from okot.db.reports import ReportFilter, ocmw_codes
from okot.web.charts import chart
from okot.web.pages import LoginNeeded
from okot.web.report_access import (
    Reader,
    ReportRefused,
    reader_of,
    refuse_unless_allowed,
    report_filter,
)
from okot.web.runtime import runtime
from okot.web.sessions import session_staff_id
from okot.web.templating import render

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BAD_DATE = "Geen geldige datum: gebruik JJJJ-MM-DD (bijvoorbeeld 2025-01-31)."


def _reader(request: Request) -> Reader:
    """The logged-in reader (the login without a session; a 403 for another role)."""
    staff_id = session_staff_id(request)
    reader = reader_of(runtime(request).engine, staff_id) if staff_id is not None else None
    if reader is None:
        raise LoginNeeded()
    request.state.caller = reader.caller
    refuse_unless_allowed(reader)
    return reader


def _refused(request: Request, error: ReportRefused) -> Response:
    return render(request, "fout.html", {"titel": "Geen toegang" if error.status_code == 403
                                         else "Ongeldige vraag", "uitleg": error.uitleg},
                  status_code=error.status_code)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _filter(reader: Reader, values: dict[str, str]) -> ReportFilter:
    """The filter of the form's values, or a :class:`ReportRefused` naming the field."""
    days: dict[str, date | None] = {}
    for field in ("van", "tot"):
        try:
            days[field] = _day(values[field])
        except ValueError:
            raise ReportRefused(422, f"{field}: not a date", BAD_DATE, field) from None
    return report_filter(reader, values["ocmw"] or None, days["van"], days["tot"])


def _scope(flt: ReportFilter) -> str:
    where = f"OCMW {flt.ocmw}" if flt.ocmw else "Alle OCMW's"
    parts = []
    if flt.opened_from:
        parts.append(f"vanaf {flt.opened_from:%d-%m-%Y}")
    if flt.opened_to:
        parts.append(f"tot en met {flt.opened_to:%d-%m-%Y}")
    return f"{where}, geopend {' '.join(parts)}" if parts else f"{where}, alle periodes"


def _query(values: dict[str, str]) -> str:
    asked = {k: v for k, v in values.items() if v}
    return f"?{urlencode(asked)}" if asked else ""


def _report(request: Request, flt: ReportFilter) -> ReportView:
    rt = runtime(request)
    return management_report(rt.engine, flt, rt.settings.report_min_count)


def _filename(flt: ReportFilter, ext: str) -> str:
    parts = ["okot-rapport"]
    if flt.ocmw:
        parts.append(flt.ocmw)
    if flt.opened_from:
        parts.append(f"vanaf-{flt.opened_from.isoformat()}")
    if flt.opened_to:
        parts.append(f"tot-{flt.opened_to.isoformat()}")
    return "-".join(parts) + f".{ext}"


def router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/rapport")
    async def report_page(request: Request, ocmw: str | None = None, van: str | None = None,
                          tot: str | None = None) -> Response:
        try:
            reader = _reader(request)
        except ReportRefused as error:
            return _refused(request, error)
        values = {"ocmw": (ocmw or "").strip(), "van": (van or "").strip(),
                  "tot": (tot or "").strip()}
        context: dict[str, Any] = {
            "waarden": values, "fouten": {}, "rapport": None, "vast_ocmw": reader.ocmw,
            "ocmws": [] if reader.ocmw else ocmw_codes(runtime(request).engine),
        }
        try:
            flt = _filter(reader, values)
        except ReportRefused as error:
            if error.status_code == 403 or error.field is None:
                return _refused(request, error)
            context["fouten"] = {error.field: error.uitleg}
            return render(request, "rapport.html", context, status_code=error.status_code)
        if flt.ocmw and reader.ocmw is None and flt.ocmw not in context["ocmws"]:
            context["ocmws"] = sorted([*context["ocmws"], flt.ocmw])  # none opened yet
        view = _report(request, flt)
        charts = {t.key: c for t in view.tables if (c := chart(t, view.min_count)) is not None}
        return render(request, "rapport.html", {
            **context, "rapport": view, "grafieken": charts, "bereik": _scope(flt),
            "zoek": _query(values), "gemaakt": datetime.now(UTC),
        })

    @web.get("/rapport.{formaat}")
    async def download(request: Request, formaat: str, ocmw: str | None = None,
                       van: str | None = None, tot: str | None = None) -> Response:
        try:
            reader = _reader(request)
        except ReportRefused as error:
            return _refused(request, error)
        if formaat not in MEDIA:
            return render(request, "fout.html", {"titel": "Niet gevonden", "uitleg":
                          "Het rapport is er als .csv, .json of .xlsx."}, status_code=404)
        values = {"ocmw": (ocmw or "").strip(), "van": (van or "").strip(),
                  "tot": (tot or "").strip()}
        try:
            flt = _filter(reader, values)
        except ReportRefused as error:
            return _refused(request, error)
        view = _report(request, flt)
        if formaat == "xlsx":
            buffer = io.BytesIO()
            to_xlsx(view, buffer)
            body: bytes | str = buffer.getvalue()
        else:
            body = to_csv(view) if formaat == "csv" else to_json(view)
        return Response(body, media_type=MEDIA[formaat], headers={
            "Content-Disposition": f'attachment; filename="{_filename(flt, formaat)}"'})

    return web
