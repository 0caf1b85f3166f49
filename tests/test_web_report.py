"""The management report in the web app: ``/rapport`` (charts and tables), its downloads
and ``GET /api/v1/report``, in process on a database of simulated trajectories.

The report reads the database only, so the app runs here without a Temporal client.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import pytest
from db_fixtures import simulate_many
from sqlalchemy.engine import Engine
from web_helpers import Api, api_on, session_cookie

from okot.db.engine import get_engine, prepare_database
from okot.db.events import record_event
from okot.db.report_export import ReportView, management_report, to_csv
from okot.db.reports import ReportFilter, build_report
from okot.web.charts import CHARTED, cell_text
from okot.web.sessions import COOKIE

SVG = "{http://www.w3.org/2000/svg}"
SIMS = simulate_many(90, seed=11)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """90 simulated trajectories of gent, aalst and brugge (opened 2022-2023)."""
    engine = get_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('rapport')) / 'okot.db'}")
    prepare_database(engine)
    for sim in SIMS:
        for request in sim.requests:
            record_event(engine, request)
    yield engine
    engine.dispose()


@pytest.fixture
async def api(seeded: Engine) -> AsyncIterator[Api]:
    async with api_on(None, seeded, "okot-rapport") as api:  # type: ignore[arg-type]
        yield api


def as_(api: Api, staff_id: str) -> None:
    api.http.cookies.clear()
    api.http.cookies.set(COOKIE, session_cookie(staff_id))


def charts(html: str) -> dict[str, ET.Element]:
    """Every inline SVG of the page by table key (each must be well-formed XML)."""
    found = {}
    for svg in re.findall(r"<svg .*?</svg>", html, flags=re.S):
        root = ET.fromstring(svg)
        found[root.attrib["id"].removeprefix("grafiek-")] = root
    return found


def table_cells(html: str, key: str) -> dict[tuple[str, str], str]:
    """The HTML table of ``key`` as (row key, column key) -> the text shown."""
    part = html[html.index(f'id="tabel-{key}"'):]
    part = part[:part.index("</table>")]
    cells = {}
    for row, body in re.findall(r'<tr data-rij="([^"]+)">(.*?)</tr>', part, flags=re.S):
        for column, text in re.findall(r'<td data-kolom="([^"]+)">(.*?)</td>', body):
            cells[(row, column)] = text.replace("&lt;", "<")
    return cells


def bars(svg: ET.Element) -> dict[tuple[str, str], tuple[float | None, str]]:
    """(row, series) -> (width of its bar or None without one, its label)."""
    out = {}
    for g in svg.iter(f"{SVG}g"):
        if "cel" not in g.attrib.get("class", "").split():
            continue
        rect = g.find(f"{SVG}rect")
        text = g.find(f"{SVG}text")
        assert text is not None and text.text is not None
        out[(g.attrib["data-rij"], g.attrib["data-reeks"])] = (
            float(rect.attrib["width"]) if rect is not None else None, text.text)
    return out


def check_page_shows(html: str, view: ReportView) -> int:
    """Tables as the view says; charts with a bar exactly for each positive figure shown,
    proportional, and the suppressed label (no bar) for each hidden one. The number of
    suppressed cells drawn."""
    svgs = charts(html)
    assert set(svgs) == {k for k in CHARTED if view.table(k).lines}
    suppressed = 0
    for table in view.tables:
        shown = table_cells(html, table.key)
        assert shown == {(line.key, column): cell_text(value)
                         for line in table.lines
                         for column, value in zip(table.column_keys, line.values, strict=True)}
        if table.key not in svgs:
            continue
        drawn = bars(svgs[table.key])
        sized: list[tuple[float, float]] = []
        columns, _ = CHARTED[table.key]
        for line in table.lines:
            for c in columns:
                value = line.values[c]
                width, label = drawn[(line.key, table.column_keys[c])]
                if isinstance(value, int | float) and value > 0:
                    assert width is not None and width > 0
                    assert value >= view.min_count or table.key == "time_in_stage"
                    sized.append((float(value), width))
                    assert label == cell_text(value)
                else:  # zero, "<N" or not shown: no bar; its label
                    assert width is None, (table.key, line.key, value)
                    assert label.startswith("niet getoond" if value is None else cell_text(value))
                    suppressed += isinstance(value, str)
        if sized:  # one scale from 0 (widths are written to 0.1)
            top, top_width = max(sized)
            assert all(abs(w - v * top_width / top) <= 0.1 for v, w in sized), sized
    return suppressed


async def test_the_report_needs_a_login_and_a_managing_role(api: Api) -> None:
    for path in ("/rapport", "/rapport.csv"):
        r = await api.http.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/inloggen", path
    assert (await api.call("GET", "/api/v1/report")).status_code == 401
    for who in ("cw-anna", "med-carl"):
        as_(api, who)
        for path in ("/rapport", "/rapport.csv", "/rapport.xlsx", "/rapport?van=gisteren"):
            r = await api.http.get(path)
            assert r.status_code == 403 and "Geen toegang" in r.text, (who, path)
            assert "<svg" not in r.text and "Trechter" not in r.text
        mine = await api.http.get("/dossiers")
        assert mine.status_code == 200 and 'href="/rapport"' not in mine.text
        refused = await api.call("GET", "/api/v1/report", who)
        assert refused.status_code == 403
        assert refused.json() == {"detail": "only team leads and operations staff see the "
                                            "management report"}
    as_(api, "tl-chris")
    lead = await api.http.get("/dossiers")
    assert '<a href="/rapport">Rapport</a>' in lead.text
    as_(api, "ops-olga")
    ops = await api.http.get("/rapport")
    assert ops.status_code == 200 and '<a href="/rapport">Rapport</a>' in ops.text
    assert 'href="/dossiers">Mijn dossiers' not in ops.text  # operations has no caseload


async def test_charts_and_tables_keep_small_counts_suppressed(api: Api, seeded: Engine) -> None:
    as_(api, "ops-olga")
    page = await api.http.get("/rapport")
    assert page.status_code == 200 and 'lang="nl"' in page.text
    view = management_report(seeded, ReportFilter(), 5)
    assert check_page_shows(page.text, view) > 0, "the data must exercise suppression"
    assert "OCMW&#39;s, alle periodes: <strong>90</strong> trajecten" in page.text
    # independently of the view: every raw count from 1 to 4 of a charted figure shows
    # as "<5", never as a bar
    raw = build_report(seeded, ReportFilter())
    small = [step for step, n in raw.funnel.items() if 0 < n < 5]
    small += [f"{g}/{r}" for g, counts in raw.results_by_level.items()
              for r, n in counts.items() if 0 < n < 5]
    assert small, "the data set has small groups"
    svgs = charts(page.text)
    level = bars(svgs["results_by_level"])
    for g, counts in raw.results_by_level.items():
        for r, n in counts.items():
            width, label = level[(g, r)]
            assert (width is None) == (n < 5), (g, r, n)
            if 0 < n < 5:
                assert label.startswith("<5 (")
    # a higher threshold (OKOT_REPORT_MIN_COUNT) suppresses more, on the page too
    async with api_on(None, seeded, "okot-rapport", report_min_count=12) as strict:  # type: ignore[arg-type]
        as_(strict, "ops-olga")
        page12 = await strict.http.get("/rapport")
    check_page_shows(page12.text, management_report(seeded, ReportFilter(), 12))
    assert "&lt;12" in page12.text and "&lt;5" not in page12.text


async def test_filters_and_the_team_leads_own_ocmw(api: Api, seeded: Engine) -> None:
    as_(api, "ops-olga")
    page = await api.http.get("/rapport?ocmw=aalst&van=2022-06-01&tot=2022-12-31")
    assert page.status_code == 200
    flt = ReportFilter(ocmw="aalst", opened_from=date(2022, 6, 1), opened_to=date(2022, 12, 31))
    check_page_shows(page.text, management_report(seeded, flt, 5))
    assert "OCMW aalst, geopend vanaf 01-06-2022 tot en met 31-12-2022" in page.text
    assert '<option value="aalst" selected>' in page.text
    assert 'href="/rapport.csv?ocmw=aalst&amp;van=2022-06-01&amp;tot=2022-12-31"' in page.text
    # a team lead sees their own OCMW, whatever the form; another OCMW is refused
    as_(api, "tl-fons")
    own = await api.http.get("/rapport?van=2022-06-01")
    assert own.status_code == 200 and 'value="aalst" readonly' in own.text
    check_page_shows(own.text, management_report(
        seeded, ReportFilter(ocmw="aalst", opened_from=date(2022, 6, 1)), 5))
    other = await api.http.get("/rapport?ocmw=gent")
    assert other.status_code == 403 and "uw eigen OCMW (aalst)" in other.text
    assert (await api.http.get("/rapport.json?ocmw=gent")).status_code == 403
    # bad input: the form with the reason next to the field, no figures
    for query, text in (("van=2022-13-01", "Geen geldige datum"),
                        ("van=2023-01-01&tot=2022-01-01", "De begindatum ligt na de einddatum")):
        bad = await api.http.get(f"/rapport?{query}")
        assert bad.status_code == 422 and text in bad.text and "<svg" not in bad.text, query
    as_(api, "ops-olga")
    bad_code = await api.http.get("/rapport?ocmw=Gent%20centrum")
    assert bad_code.status_code == 422 and "Dit is geen OCMW-code" in bad_code.text
    # no trajectories in the period: zeros, charts without bars
    nobody = await api.http.get("/rapport?ocmw=mechelen")  # no trajectories (yet)
    assert nobody.status_code == 200 and '<option value="mechelen" selected>' in nobody.text
    empty = await api.http.get("/rapport?van=2030-01-01")
    assert empty.status_code == 200 and "<strong>0</strong> trajecten" in empty.text
    assert not any(w for svg in charts(empty.text).values() for w, _ in bars(svg).values())


async def test_downloads_are_the_cli_formats_of_the_same_filtered_report(
    api: Api, seeded: Engine,
) -> None:
    from openpyxl import load_workbook

    flt = ReportFilter(ocmw="gent", opened_to=date(2023, 3, 31))
    view = management_report(seeded, flt, 5)
    as_(api, "tl-chris")
    csv_ = await api.http.get("/rapport.csv?tot=2023-03-31")
    assert csv_.status_code == 200 and csv_.headers["content-type"].startswith("text/csv")
    assert csv_.headers["content-disposition"] == (
        'attachment; filename="okot-rapport-gent-tot-2023-03-31.csv"')
    assert csv_.text == to_csv(view)
    as_(api, "ops-olga")
    js = await api.http.get("/rapport.json?ocmw=gent&tot=2023-03-31")
    assert js.status_code == 200 and json.loads(js.text) == json.loads(view.model_dump_json())
    xlsx = await api.http.get("/rapport.xlsx?ocmw=gent&tot=2023-03-31")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[0] == "Overzicht" and len(book.sheetnames) == 1 + len(view.tables)
    funnel = book[book.sheetnames[1 + [t.key for t in view.tables].index("funnel")]]
    assert [[c.value for c in row] for row in funnel.iter_rows(min_row=2)] == [
        [line.label, *line.values] for line in view.table("funnel").lines]
    assert (await api.http.get("/rapport.pdf")).status_code == 404


async def test_the_api_gives_the_same_report_with_the_same_rules(api: Api, seeded: Engine
                                                                  ) -> None:
    lead = await api.call("GET", "/api/v1/report?from=2022-03-01", "tl-chris")
    assert lead.status_code == 200
    expected = management_report(seeded, ReportFilter(ocmw="gent",
                                                      opened_from=date(2022, 3, 1)), 5)
    assert lead.json() == json.loads(expected.model_dump_json())
    assert lead.json()["scope"]["ocmw"] == "gent"
    assert (await api.call("GET", "/api/v1/report?ocmw=aalst", "tl-chris")).status_code == 403
    everything = await api.call("GET", "/api/v1/report", "ops-olga")
    assert everything.status_code == 200 and everything.json()["trajectories"] == 90
    for query in ("from=2023-01-01&to=2022-01-01", "from=yesterday", "ocmw=GENT!"):
        bad = await api.call("GET", f"/api/v1/report?{query}", "ops-olga")
        assert bad.status_code == 422, query
        assert isinstance(bad.json()["detail"], str)
    schema = (await api.http.get("/api/v1/openapi.json")).json()
    assert "/api/v1/report" in schema["paths"]
