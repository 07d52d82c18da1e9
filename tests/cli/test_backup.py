"""``flask --app app backup FILE``: a copy taken while the app runs, that restores into a
database where every case is found again (SQLite: the file is the database; PostgreSQL:
pg_dump's custom format, restored with pg_restore)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from mediation import create_app
from mediation.extensions import db
from mediation.models import Case
from mediation.platform import backup as backup_module

from ..factories import PASSWORD


def cases_in(url: str, tmp_path: Path) -> dict:
    """Every case of the database at ``url`` as the app reads it: id → (number, title, parties)."""
    app = create_app(
        {
            "DATABASE_URL": url,
            "MEDIATION_DEMO": False,
            "AUTO_SETUP": False,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
        },
        instance_path=str(tmp_path / "restored-instance"),
    )
    with app.app_context():
        try:
            return {
                case.id: (
                    case.number,
                    case.title,
                    sorted((p.name, p.role.value) for p in case.parties),
                )
                for case in db.session.scalars(select(Case).order_by(Case.id))
            }
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def some_cases(world, make):
    make.case(world.mediator, title="宅基地滴水纠纷")
    make.case(
        world.mediator_east,
        title="土地承包合同纠纷",
        parties=[
            {"name": "王五", "role": "applicant"},
            {"name": "赵六", "role": "respondent"},
            {"name": "钱七", "role": "other"},
        ],
    )
    make.case(world.township_officer, village_code="410522100202", title="征地补偿纠纷")
    db.session.commit()
    return {
        case.id: (case.number, case.title, sorted((p.name, p.role.value) for p in case.parties))
        for case in db.session.scalars(select(Case).order_by(Case.id))
    }


def run_backup(runner, target: Path, *extra: str):
    return runner.invoke(args=["backup", str(target), *extra])


def test_backup_restores_every_case(runner, some_cases, database_url, is_postgres, tmp_path):
    target = tmp_path / "backups" / "fengqiao.backup"
    target.parent.mkdir()
    if is_postgres and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    result = run_backup(runner, target, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["file"] == str(target) and summary["cases"] == 3
    assert summary["backend"] == ("postgresql" if is_postgres else "sqlite")
    assert summary["bytes"] == target.stat().st_size > 0
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no partial file left

    if is_postgres:
        restored = restore_postgres(database_url, target)
        try:
            assert cases_in(restored, tmp_path) == some_cases
        finally:
            drop_postgres(database_url, restored)
    else:
        assert cases_in(f"sqlite:///{target}", tmp_path) == some_cases


def restore_postgres(database_url: str, dump: Path) -> str:
    if shutil.which("pg_restore") is None:
        pytest.skip(
            "pg_restore is not installed (apt-get install postgresql-client): "
            "the dump was made but cannot be restored here"
        )
    url = make_url(database_url)
    name = f"{url.database}_restored"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    restored = url.set(database=name)
    command, env = backup_module.pg_dump_command(restored, dump)
    connection_args = [
        arg for arg in command if arg.startswith(("--host", "--port", "--username", "--dbname"))
    ]
    command = ["pg_restore", "--no-owner", "--exit-on-error", *connection_args, str(dump)]
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    return restored.render_as_string(hide_password=False)


def drop_postgres(database_url: str, restored: str) -> None:
    admin = create_engine(
        make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(
            text(f'DROP DATABASE IF EXISTS "{make_url(restored).database}" WITH (FORCE)')
        )
    admin.dispose()


def test_the_summary_names_file_size_and_cases(app, runner, some_cases, is_postgres, tmp_path):
    if is_postgres and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    target = tmp_path / "nightly.db"
    result = run_backup(runner, target)
    assert result.exit_code == 0, result.output
    assert str(target) in result.output and "3 cases" in result.output
    # the key that reads its ID numbers is not in it: the summary says where the key is
    key = app.config["ID_NUMBER_KEY"]
    where = "ID_NUMBER_KEY" if not (Path(app.instance_path) / "id_key").exists() else "id_key"
    assert "ID numbers" in result.output and where in result.output and key not in result.output


def test_the_cases_counted_are_the_cases_in_the_copy(
    runner, some_cases, database_url, is_postgres, tmp_path, monkeypatch
):
    """A case registered while the backup starts is either in the copy and counted, or in
    neither (the count came from a moment before the dump's snapshot: 1,347 cases reported,
    1,351 restored)."""
    import mediation.cli

    can_dump_and_restore(is_postgres)
    real = backup_module.backup_database

    def with_a_writer(engine, target, **kwargs):
        other = create_engine(database_url)
        with other.begin() as connection:
            cases = Case.__table__
            row = dict(connection.execute(select(cases).where(cases.c.id == 1)).mappings().one())
            row.update(id=99, number="410522-2026-999999")
            connection.execute(cases.insert().values(**row))
        other.dispose()
        return real(engine, target, **kwargs)

    monkeypatch.setattr(mediation.cli, "backup_database", with_a_writer)
    target = tmp_path / "copy.backup"
    result = run_backup(runner, target, "--json")
    assert result.exit_code == 0, result.output
    if is_postgres:
        restored = restore_postgres(database_url, target)
        try:
            in_copy = len(cases_in(restored, tmp_path))
        finally:
            drop_postgres(database_url, restored)
    else:
        in_copy = len(cases_in(f"sqlite:///{target}", tmp_path))
    assert json.loads(result.stdout)["cases"] == in_copy == len(some_cases) + 1


def test_an_existing_file_is_kept_unless_forced(runner, some_cases, is_postgres, tmp_path):
    if is_postgres and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    target = tmp_path / "old.backup"
    target.write_bytes(b"yesterday")
    result = run_backup(runner, target)
    assert result.exit_code == 1
    assert "exists already" in result.output and "--force" in result.output
    assert target.read_bytes() == b"yesterday"
    forced = run_backup(runner, target, "--force")
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes() != b"yesterday"


@pytest.mark.parametrize("name", ["missing-folder/x.backup", "."])
def test_a_bad_target_is_a_clear_error(runner, world, tmp_path, name):
    result = run_backup(runner, tmp_path / name)
    assert result.exit_code == 1
    assert "Error: backup:" in result.output and "Traceback" not in result.output


def test_sqlite_refuses_to_back_up_onto_itself(runner, world, database_url, is_postgres):
    if is_postgres:
        pytest.skip("SQLite only: the database is a file")
    path = Path(make_url(database_url).database)
    before = path.read_bytes()
    result = run_backup(runner, path, "--force")
    assert result.exit_code == 1 and "the database itself" in result.output
    assert path.read_bytes() == before


def test_sqlite_backup_while_a_writer_holds_a_transaction(
    runner, some_cases, database_url, is_postgres, tmp_path
):
    """The copy is consistent: what another connection has not committed is not in it, and
    the backup neither waits for nor breaks that writer."""
    if is_postgres:
        pytest.skip("SQLite only: the online backup API")
    writer = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "UPDATE cases SET title = 'uncommitted' WHERE id = (SELECT min(id) FROM cases)"
        )
        target = tmp_path / "during-write.db"
        result = run_backup(runner, target)
        assert result.exit_code == 0, result.output
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert cases_in(f"sqlite:///{target}", tmp_path) == some_cases


def test_pg_dump_missing_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(backup_module.shutil, "which", lambda name: None)
    engine = create_engine("postgresql+psycopg://fq:secret@db.example:5433/fengqiao")
    with pytest.raises(backup_module.BackupError, match="pg_dump is not installed"):
        backup_module.backup_database(engine, tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []


def test_pg_dump_gets_the_url_parameters_and_the_password_only_in_its_environment(tmp_path):
    url = make_url("postgresql+psycopg://fq:s3cret@db.example:5433/fengqiao?sslmode=require")
    command, env = backup_module.pg_dump_command(url, tmp_path / "x.dump")
    assert command[:2] == ["pg_dump", "--format=custom"]
    assert {
        "--host=db.example",
        "--port=5433",
        "--username=fq",
        "--dbname=fengqiao",
        f"--file={tmp_path / 'x.dump'}",
    } <= set(command)
    assert not any("s3cret" in part for part in command)
    assert env["PGPASSWORD"] == "s3cret" and env["PGSSLMODE"] == "require"


def test_pg_dump_failure_is_reported(monkeypatch, tmp_path):
    """pg_dump's own message reaches the user, and no partial file is left."""
    monkeypatch.setattr(backup_module.shutil, "which", lambda name: "/usr/bin/pg_dump")

    def failing(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "pg_dump: error: connection refused")

    monkeypatch.setattr(backup_module.subprocess, "run", failing)
    engine = create_engine("postgresql+psycopg://fq@127.0.0.1:1/fengqiao")
    with pytest.raises(backup_module.BackupError, match="connection refused"):
        backup_module.backup_database(engine, tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []


def can_dump_and_restore(is_postgres: bool) -> None:
    if is_postgres and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump or pg_restore is not installed (apt-get install postgresql-client)")


def case_count() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(Case))


def test_restore_puts_the_backup_back(
    runner, world, make, some_cases, database_url, is_postgres, tmp_path
):
    can_dump_and_restore(is_postgres)
    target = tmp_path / "before.backup"
    assert run_backup(runner, target).exit_code == 0
    make.case(world.mediator, title="备份之后登记的纠纷")
    assert case_count() == 4
    db.session.remove()
    result = runner.invoke(args=["restore", str(target), "--yes", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["cases"] == 3 and summary["revision"]
    assert cases_in(database_url, tmp_path) == some_cases


def test_restore_asks_for_yes(runner, some_cases, is_postgres, tmp_path):
    can_dump_and_restore(is_postgres)
    target = tmp_path / "before.backup"
    assert run_backup(runner, target).exit_code == 0
    result = runner.invoke(args=["restore", str(target)])
    assert result.exit_code == 1 and "--yes" in result.output
    assert "secret" not in result.output  # the URL is shown without a password


def test_restore_refuses_a_file_that_is_not_a_backup(
    runner, world, make, some_cases, database_url, is_postgres, tmp_path
):
    can_dump_and_restore(is_postgres)
    bogus = tmp_path / "notes.backup"
    bogus.write_bytes(b"not a database at all")
    db.session.remove()
    result = runner.invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1, result.output
    assert "is not a" in result.output and "Traceback" not in result.output
    assert cases_in(database_url, tmp_path) == some_cases
    missing = runner.invoke(args=["restore", str(tmp_path / "nowhere.backup"), "--yes"])
    assert missing.exit_code == 1 and "is not a file" in missing.output


def attach(case_id: int, user_id: int, data: bytes, name: str):
    from mediation.models import User
    from mediation.services.attachments import Upload, attach_file

    case, user = db.session.get(Case, case_id), db.session.get(User, user_id)
    item = attach_file(user, case, Upload(name, data), kind=None, now=dt.datetime.now(dt.UTC))
    db.session.commit()
    return item.id, item.sha256, item.thumb_sha256


def test_a_restore_brings_back_the_attached_files(app, runner, world, make, is_postgres, tmp_path):
    """Attachments live outside the database: the backup keeps them beside its file, and a
    restore onto a machine that lost them puts every one back, byte for byte."""
    import io

    from PIL import Image

    can_dump_and_restore(is_postgres)
    case = make.case(world.mediator, title="沟渠堵塞纠纷")
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(png, "PNG")
    pdf = b"%PDF-1.4\n%%EOF\n"
    photo = attach(case.id, world.mediator.id, png.getvalue(), "现场.png")
    scan = attach(case.id, world.mediator.id, pdf, "协议.pdf")
    root = Path(app.config["ATTACHMENT_DIR"])
    before = {
        path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }
    assert len(before) == 3  # the photo, its thumbnail, the PDF

    target = tmp_path / "backups" / "with-files.backup"
    target.parent.mkdir()
    result = run_backup(runner, target, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["attachments"] == 3
    folder = Path(summary["attachments_folder"])
    assert folder == target.with_name("with-files.backup.attachments")
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name, folder.name]
    # an existing backup (and its files) is kept unless forced
    assert run_backup(runner, target).exit_code != 0
    assert run_backup(runner, target, "--force").exit_code == 0

    shutil.rmtree(root)  # the machine lost its files…
    make.case(world.mediator, title="备份之后登记的纠纷")
    db.session.remove()
    result = runner.invoke(args=["restore", str(target), "--yes", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["attachments"] == 3 and summary["attachments_refused"] == []
    after = {
        path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }
    assert after == before

    # the restored rows find their files through the API
    client = app.test_client()
    client.post("/login", data={"username": "xipei", "password": PASSWORD})
    for item_id, sha256, _thumb in (photo, scan):
        answer = client.get(f"/attachments/{item_id}")
        assert answer.status_code == 200 and hashlib.sha256(answer.data).hexdigest() == sha256
    assert client.get(f"/attachments/{photo[0]}?thumb=1").status_code == 200


def test_a_tampered_file_in_the_backup_is_left_out(app, runner, world, make, tmp_path):
    from mediation.platform.backup import attachments_folder, restore_attachments

    case = make.case(world.mediator)
    _, sha256, _ = attach(case.id, world.mediator.id, b"%PDF-1.4\n%%EOF\n", "a.pdf")
    target = tmp_path / "t.backup"
    assert run_backup(runner, target).exit_code == 0
    stored = attachments_folder(target) / sha256[:2] / sha256[2:4] / sha256
    stored.write_bytes(b"%PDF-1.4\nsomething else\n")
    empty = tmp_path / "fresh-files"
    assert restore_attachments(target, empty) == (0, [sha256])
    assert not empty.exists() or not any(empty.rglob("*"))
