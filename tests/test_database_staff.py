"""The staff directory: idempotent CSV import and lookups that refuse unknown ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from db_fixtures import Cli
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from okot.db.staff import (
    StaffImportError,
    import_csv,
    lookup_staff,
    parse_csv,
    require_staff,
)
from okot.db.tables import STAFF
from okot.domain.values import Role

CSV = """id,role,name,email,phone,ocmw,teamlead
cw.anna,caseworker,Anna Peeters,anna.peeters@ocmw-gent.be,09 123 45 67,gent,tl.chris
med.bart,mediator,Bart Claes,bart.claes@vdab.be,,gent,
tl.chris,teamlead,Chris Janssens,chris.janssens@ocmw-gent.be,09 123 45 00,gent,
"""

pytest_plugins = ("db_fixtures",)


def write(tmp_path: Path, text: str, name: str = "staff.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def staff_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(STAFF)).scalar_one())


def test_import_is_idempotent_and_updates(db: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, CSV)
    first = import_csv(db, path)
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    again = import_csv(db, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert staff_count(db) == 3

    changed = CSV.replace("09 123 45 67", "09 999 99 99") + (
        "cw.dirk,caseworker,Dirk Maes,dirk.maes@ocmw-gent.be,,gent,tl.chris\n"
    )
    third = import_csv(db, write(tmp_path, changed))
    assert (third.inserted, third.updated, third.unchanged) == (1, 1, 2)
    assert staff_count(db) == 4
    anna = lookup_staff(db, "cw.anna")
    assert anna is not None and anna.phone == "09 999 99 99" and anna.teamlead == "tl.chris"
    bart = lookup_staff(db, "med.bart")
    assert bart is not None and bart.phone is None and bart.teamlead is None


def test_lookup_refuses_unknown_or_wrong_role(db: Engine, tmp_path: Path) -> None:
    import_csv(db, write(tmp_path, CSV))
    assert require_staff(db, "cw.anna", Role.CASEWORKER).email == "anna.peeters@ocmw-gent.be"
    assert require_staff(db, "med.bart").role == "mediator"
    with pytest.raises(LookupError, match=r"unknown staff id 'cw\.nobody'.*okot staff import"):
        require_staff(db, "cw.nobody")
    with pytest.raises(LookupError, match="is a mediator in the staff directory, not a caseworker"):
        require_staff(db, "med.bart", "caseworker")
    assert lookup_staff(db, "cw.nobody") is None
    anna = lookup_staff(db, "cw.anna")
    assert anna is not None and anna.teamlead == "tl.chris"


def test_bad_csv_is_refused_whole(db: Engine, tmp_path: Path) -> None:
    with pytest.raises(StaffImportError, match="lacks column"):
        parse_csv("id,role,name\nx,caseworker,X\n")
    bad = CSV + "x,boss,Y,y@z.be,,gent,\n" + "cw.anna,caseworker,A,a@b.be,,gent,\n" + (
        "cw.zoe,caseworker,Zoe,not-an-email,,gent,\n"
    )
    with pytest.raises(StaffImportError) as error:
        import_csv(db, write(tmp_path, bad))
    message = str(error.value)
    assert "line 5: staff id is not allowed: use 2 to 64 characters" in message
    assert "line 6: id cw.anna is listed twice (also on line 2)" in message
    assert "line 7: email is not an e-mail address" in message
    assert staff_count(db) == 0


def test_cli_staff_import(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, CSV)
    result = cli("staff", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "3 added, 0 updated, 0 unchanged" in result.output
    result = cli("staff", "import", str(path))
    assert "0 added, 0 updated, 3 unchanged" in result.output
    assert "Anna" not in result.output and "@" not in result.output
    assert staff_count(cli.engine) == 3
    broken = cli("staff", "import", str(write(tmp_path, "id,role\n", "bad.csv")))
    assert broken.exit_code == 1
    assert "lacks column" in broken.output


def test_operations_role_is_imported_and_other_roles_refused(db: Engine, tmp_path: Path) -> None:
    import_csv(db, write(tmp_path, CSV + "ops.olga,Operations,Olga,olga@example.org,,gent,\n"))
    olga = lookup_staff(db, "ops.olga")
    assert olga is not None and olga.role == "operations"
    with pytest.raises(LookupError, match="not a caseworker"):
        require_staff(db, "ops.olga", "caseworker")
    with pytest.raises(StaffImportError, match=r"role 'admin' must be one of .*operations"):
        parse_csv(CSV + "x.y,admin,Y,y@z.be,,gent,\n")
