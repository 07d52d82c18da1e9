"""Start-up: configuration, the policy file, the database set-up."""

import pytest
from sqlalchemy import text

from mediation import create_app
from mediation.config import ConfigError
from mediation.extensions import db
from mediation.platform.database import large_batches
from mediation.platform.runtime import StartupError


def test_sqlite_is_set_up_for_a_web_app(app, is_postgres):
    if is_postgres:
        pytest.skip("SQLite pragmas: this run is on PostgreSQL")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_a_run_of_large_batches_has_sqlite_set_up_for_it(app, is_postgres):
    """Inside large_batches (the sweep's) a connection has a larger page cache and leaves the
    log's checkpoints to a thread; outside, connections have SQLite's defaults again."""
    if is_postgres:
        pytest.skip("SQLite's page cache and log: this run is on PostgreSQL")

    def settings() -> tuple[int, int]:
        with db.engine.connect() as connection:
            return (
                connection.execute(text("PRAGMA wal_autocheckpoint")).scalar(),
                connection.execute(text("PRAGMA cache_size")).scalar(),
            )

    with large_batches() as committed:
        assert settings() == (0, -32768)
        db.session.execute(text("CREATE TABLE scratch (n INTEGER)"))
        db.session.commit()
        committed()
    assert settings() == (1000, -2000)
    assert db.session.execute(text("SELECT count(*) FROM scratch")).scalar() == 0


def test_a_run_of_large_batches_copies_the_log_only_after_a_commit(app, is_postgres, monkeypatch):
    """The log is copied into the file after each committed batch and once more at the end;
    a run that commits no batch (the scheduler's every five minutes, mostly) copies nothing."""
    if is_postgres:
        pytest.skip("SQLite's log: this run is on PostgreSQL")
    from mediation.platform import database

    copies = []
    monkeypatch.setattr(database, "_checkpoint", copies.append)
    with large_batches():
        pass
    assert copies == []
    with large_batches() as committed:
        committed()
    assert copies == [db.engine, db.engine]


def test_a_fresh_instance_is_migrated_on_first_start(tmp_path):
    app = create_app({"MEDIATION_DEMO": False}, instance_path=str(tmp_path))
    assert (tmp_path / "mediation.db").exists()
    assert (tmp_path / "secret_key").read_text() == app.config["SECRET_KEY"]
    with app.app_context():
        from mediation.platform.database import is_current

        assert is_current()
        db.engine.dispose()


def test_a_bad_policy_stops_start_up_naming_the_key(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[clocks]\nsettle_working_days = { village = 0 }\n")
    with pytest.raises(StartupError, match="clocks.settle_working_days.village"):
        create_app(
            {"MEDIATION_POLICY": str(policy), "AUTO_SETUP": False}, instance_path=str(tmp_path)
        )


def test_a_policy_file_changes_the_rules(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[scale]\nbig_people = 3\n[intake]\nmax_backdate_days = 10\n")
    app = create_app(
        {"MEDIATION_POLICY": str(policy), "AUTO_SETUP": False}, instance_path=str(tmp_path)
    )
    with app.app_context():
        from mediation.platform.runtime import policy as current_policy

        assert current_policy().scale.big_people == 3
        assert current_policy().intake.max_backdate_days == 10


@pytest.mark.parametrize(
    "variable, value",
    [
        ("SWEEP_INTERVAL_MINUTES", "0"),
        ("SWEEP_INTERVAL_MINUTES", "five"),
        ("MEDIATION_DEMO", "maybe"),
        ("MEDIATION_TZ", "Mars/Olympus"),
    ],
)
def test_a_bad_environment_variable_is_named(monkeypatch, tmp_path, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        create_app({"AUTO_SETUP": False}, instance_path=str(tmp_path))


def test_an_unknown_instance_config_key_is_refused(tmp_path):
    (tmp_path / "config.py").write_text("SWEEP_INTERVAL = 3\n")
    with pytest.raises(ConfigError, match="SWEEP_INTERVAL"):
        create_app({"AUTO_SETUP": False}, instance_path=str(tmp_path))


def test_csrf_protects_every_form(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"username": "xipei", "password": "correct-horse-9"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/cases/{n}", "/incidents/{n}", "/cases/{n}/agreements/1/print"])
@pytest.mark.parametrize("number", [2**31, 10**12, 10**30])
def test_an_id_too_big_for_any_row_is_not_found(client, world, login, path, number):
    login(world.county_officer)
    assert client.get(path.format(n=number)).status_code == 404


def test_the_id_pattern_takes_exactly_1_to_the_largest_id():
    import re

    from mediation.platform.web import ID_MAX, _not_above

    for limit in (9, 57, 100, 305, ID_MAX):
        pattern = re.compile(_not_above(limit) + r"\Z")
        for number in [*range(0, 1100), limit - 1, limit, limit + 1, 10 * limit]:
            assert bool(pattern.match(str(number))) == (1 <= number <= limit), (limit, number)
        assert not pattern.match(f"0{limit}")


def test_a_static_file_is_kept_for_a_year_under_the_url_naming_its_bytes(app, client):
    import hashlib
    from pathlib import Path

    from flask import url_for

    css = Path(app.static_folder, "app.css").read_bytes()
    with app.test_request_context():
        url = url_for("static", filename="app.css")
    path, _, version = url.partition("?v=")
    assert path == "/static/app.css"
    assert version == hashlib.sha256(css).hexdigest()[:10]
    kept = client.get(url)
    assert kept.status_code == 200
    assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Another version's URL, or none, is asked about again: it may name other bytes.
    for other in ("/static/app.css?v=0000000000", "/static/app.css"):
        assert "immutable" not in client.get(other).headers.get("Cache-Control", "")
    assert client.get("/static/nothing.css?v=0000000000").status_code == 404
    app.debug = True  # files edited while the server runs: never kept for a year
    assert "immutable" not in client.get(url).headers.get("Cache-Control", "")
