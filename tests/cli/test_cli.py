"""The commands of docs/cli.md, run through Flask's CLI runner against a migrated database."""

from __future__ import annotations

import datetime as dt
import functools
import json

import pytest
from sqlalchemy import func, select

from mediation import demo
from mediation.domain.enums import CaseStatus, Level, Role
from mediation.extensions import db
from mediation.models import ApiToken, Case, CaseEvent, Unit, User
from mediation.platform.crypto import id_cipher
from mediation.services.users import user_for_token

UNITS_CSV = """code,name,kind,parent_code
410522000000,安阳县,county,
410522100000,白壁镇,township,410522000000
410522100201,西裴村,village,410522100000
410522100202,东裴村,village,410522100000
410522101000,水冶镇,镇,410522000000
410522101201,北关村,村,410522101000
"""


def write(tmp_path, text: str, name: str = "units.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return str(path)


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


@pytest.fixture
def cheap_hashing(monkeypatch):
    """The demo's 21 users with a one-round hash instead of scrypt: seconds saved per test."""
    from mediation.models import users

    cheap = functools.partial(users.generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr(users, "generate_password_hash", cheap)


@pytest.fixture
def units(runner, tmp_path):
    result = runner.invoke(args=["import-units", write(tmp_path, UNITS_CSV)])
    assert result.exit_code == 0, result.output


# -- init-db --------------------------------------------------------------------------------------


def test_init_db_reports_the_revision(runner):
    result = runner.invoke(args=["init-db", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["revision"] and report["revision"] == report["previous"]
    assert report["upgraded"] is False
    human = runner.invoke(args=["init-db"])
    assert human.exit_code == 0 and report["revision"] in human.stdout


# -- import-units ---------------------------------------------------------------------------------


def test_import_units_creates_the_tree_and_a_second_import_changes_nothing(runner, tmp_path):
    path = write(tmp_path, UNITS_CSV)
    first = runner.invoke(args=["import-units", path])
    assert first.exit_code == 0, first.output
    assert "6 created, 0 updated, 0 unchanged" in first.stdout

    village = db.session.scalar(select(Unit).where(Unit.code == "410522101201"))
    assert village.kind is Level.village and village.full_name == "水冶镇北关村"
    assert village.parent.code == "410522101000"
    assert village.county_id == db.session.scalar(
        select(Unit.id).where(Unit.code == "410522000000")
    )

    second = runner.invoke(args=["import-units", path, "--json"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout) == {
        "file": path,
        "encoding": "utf-8",
        "created": 0,
        "updated": 0,
        "unchanged": 6,
    }
    human = runner.invoke(args=["import-units", path])
    assert "nothing changed" in human.stdout
    assert unit_count() == 6


def test_import_units_renames_and_reads_a_gbk_file(runner, tmp_path, units):
    renamed = UNITS_CSV.replace("西裴村", "西裴村社区")
    result = runner.invoke(
        args=["import-units", write(tmp_path, renamed, "gbk.csv", "gbk"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 5)
    assert report["encoding"] == "gb18030"
    assert db.session.scalar(select(Unit.name).where(Unit.code == "410522100201")) == "西裴村社区"


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            UNITS_CSV + "410522102201,翟奇务村,village,410522999000\n",
            "line 8: unknown parent_code 410522999000",
        ),
        (
            UNITS_CSV.replace("410522100202,东裴村,village", "410522100202,东裴村,hamlet"),
            "line 5: kind must be county, township or village",
        ),
        (
            UNITS_CSV.replace("code,name,kind,parent_code", "code,name,kind"),
            "line 1: the header must be code,name,kind,parent_code",
        ),
        ("", "line 1: the header must be code,name,kind,parent_code"),
    ],
    ids=["unknown-parent", "bad-kind", "missing-header", "empty-file"],
)
def test_a_bad_unit_file_imports_nothing(runner, tmp_path, text, expected):
    result = runner.invoke(args=["import-units", write(tmp_path, text)])
    assert result.exit_code == 1
    assert "nothing imported" in result.output and expected in result.output
    assert "Traceback" not in result.output
    assert unit_count() == 0


def test_import_units_needs_an_existing_file(runner, tmp_path):
    result = runner.invoke(args=["import-units", str(tmp_path / "missing.csv")])
    assert result.exit_code != 0 and "does not exist" in result.output


# -- create-user ----------------------------------------------------------------------------------


def test_create_user_reads_the_password_from_stdin(runner, units):
    result = runner.invoke(
        args=[
            "create-user",
            "xipei",
            "--role",
            "mediator",
            "--unit",
            "410522100201",
            "--password-stdin",
            "--display-name",
            "裴秀英",
            "--json",
        ],
        input="s3cret-password\n",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["username"] == "xipei" and report["role"] == "mediator"
    assert report["unit_code"] == "410522100201"

    user = db.session.scalar(select(User).where(User.username == "xipei"))
    assert user.role is Role.mediator and user.display_name == "裴秀英"
    assert user.check_password("s3cret-password")
    assert not user.check_password("s3cret-password\n")


def test_create_user_prompts_twice_for_the_password(runner, units):
    result = runner.invoke(
        args=["create-user", "baibi", "--role", "township_officer", "--unit", "410522100000"],
        input="another-secret\nanother-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created township_officer baibi" in result.stdout
    assert "another-secret" not in result.output  # hidden input
    user = db.session.scalar(select(User).where(User.username == "baibi"))
    assert user.check_password("another-secret")


def test_create_user_refuses_an_unknown_role(runner, units):
    result = runner.invoke(
        args=[
            "create-user",
            "boss",
            "--role",
            "chief",
            "--unit",
            "410522000000",
            "--password-stdin",
        ],
        input="long-enough-pw\n",
    )
    assert result.exit_code == 1
    assert "--role" in result.output and "chief" in result.output
    assert db.session.scalar(select(User.id)) is None


def test_create_user_names_every_bad_field(runner, units):
    result = runner.invoke(
        args=[
            "create-user",
            "xipei",
            "--role",
            "mediator",
            "--unit",
            "410522100000",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "--unit:" in result.output and "password:" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(User.id)) is None

    unknown = runner.invoke(
        args=["create-user", "xipei", "--role", "mediator", "--unit", "999", "--password-stdin"],
        input="long-enough-pw\n",
    )
    assert unknown.exit_code == 1 and "--unit:" in unknown.output


def test_create_user_refuses_a_taken_name(runner, units):
    args = [
        "create-user",
        "xipei",
        "--role",
        "mediator",
        "--unit",
        "410522100201",
        "--password-stdin",
    ]
    assert runner.invoke(args=args, input="long-enough-pw\n").exit_code == 0
    again = runner.invoke(args=args, input="long-enough-pw\n")
    assert again.exit_code == 1 and "NAME:" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


# -- create-token ---------------------------------------------------------------------------------


def test_create_token_prints_a_token_that_authenticates(runner, units):
    runner.invoke(
        args=[
            "create-user",
            "county",
            "--role",
            "county_officer",
            "--unit",
            "410522000000",
            "--password-stdin",
        ],
        input="long-enough-pw\n",
    )
    result = runner.invoke(args=["create-token", "county"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("fq_") and "\n" not in token
    assert user_for_token(token).username == "county"
    assert db.session.scalar(select(ApiToken.token_hash)) == ApiToken.hash(token)

    as_json = json.loads(runner.invoke(args=["create-token", "county", "--json"]).stdout)
    assert as_json["username"] == "county" and as_json["token"] != token
    assert user_for_token(as_json["token"]).username == "county"


def test_create_token_for_an_unknown_user_fails(runner):
    result = runner.invoke(args=["create-token", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.output
    assert db.session.scalar(select(ApiToken.id)) is None


# -- seed-demo ------------------------------------------------------------------------------------


def test_seed_demo_loads_the_county_once(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert demo.DEMO_PASSWORD in result.stdout
    assert "xipei" in result.stdout and "admin" in result.stdout

    kinds = dict(db.session.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all())
    assert kinds[Level.county] == 1 and kinds[Level.township] >= 3
    assert kinds[Level.village] >= 12
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    statuses = set(db.session.scalars(select(Case.status)))
    # every state but merged: only an officer's merge (并单) makes a duplicate
    assert statuses == set(CaseStatus) - {CaseStatus.merged}
    cases = db.session.scalar(select(func.count()).select_from(Case))
    assert 120 <= cases <= 200
    xipei = db.session.scalar(select(User).where(User.username == "xipei"))
    assert xipei.check_password(demo.DEMO_PASSWORD)

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.stdout
    assert db.session.scalar(select(func.count()).select_from(Case)) == cases
    assert db.session.scalar(select(func.count()).select_from(User)) == len(demo.demo_logins())


def test_seed_demo_json(runner, cheap_hashing):
    result = runner.invoke(args=["seed-demo", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["loaded"] is True and report["villages"] >= 12
    assert {login["role"] for login in report["logins"]} == {role.value for role in Role}
    assert all(login["password"] == demo.DEMO_PASSWORD for login in report["logins"])
    assert json.loads(runner.invoke(args=["seed-demo", "--json"]).stdout) == {
        "loaded": False,
        "already_loaded": True,
    }


def test_seed_demo_refuses_a_database_with_other_units(runner, units):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "empty database" in result.output
    assert db.session.scalar(select(Case.id)) is None
    assert db.session.scalar(select(User.id)) is None


def test_the_demo_histories_are_consistent(app, cheap_hashing):
    now = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    demo.seed_demo(echo=lambda line: None, now=now)
    db.session.commit()

    cases = db.session.scalars(select(Case)).all()
    events = {}
    for event in db.session.scalars(select(CaseEvent).order_by(CaseEvent.at, CaseEvent.id)):
        events.setdefault(event.case_id, []).append(event)
    scales = set()
    for case in cases:
        history = events[case.id]
        assert history[0].action == "register"
        assert case.received_at <= history[0].at <= now
        status, level = history[0].to_status, history[0].to_level
        for event in history[1:]:
            assert event.from_status is status and event.from_level is level, case.number
            status, level = event.to_status, event.to_level
            assert event.at <= now and event.note
        assert (status, level) == (case.status, case.level), case.number
        assert case.holder.kind is case.level
        scales.add(case.scale)
        for party in case.parties:
            if party.id_number_enc:
                assert len(id_cipher().decrypt(party.id_number_enc)) == 18
    assert len(scales) == 3
    escalated = [e for history in events.values() for e in history if e.action == "escalate"]
    assert escalated and all(e.to_level.rank == e.from_level.rank + 1 for e in escalated)


def test_the_demo_is_reproducible(app, cheap_hashing):
    now = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    demo.seed_demo(echo=lambda line: None, now=now)
    first = _summary()
    db.session.rollback()
    demo.seed_demo(echo=lambda line: None, now=now)
    assert _summary() == first


def _summary():
    query = select(Case.number, Case.title, Case.status, Case.level).order_by(Case.id)
    return db.session.execute(query).all()
