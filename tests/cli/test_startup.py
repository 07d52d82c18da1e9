"""Start-up that cannot succeed says why in one line and exits non-zero; start-up that can
never races (issue: an unreachable database printed a 134-line traceback from every command and
gunicorn worker; eight processes starting on a fresh instance could read an empty key)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mediation import config, create_app
from mediation.platform.runtime import StartupError

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = [
    ("sqlite:////nonexistent-dir/x.db", "sqlite:////nonexistent-dir/x.db"),
    (
        "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:1/fengqiao",
        "postgresql+psycopg://postgres:***@127.0.0.1:1/fengqiao",
    ),
]


def _env(tmp_path, url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ID_NUMBER_KEY")}
    return dict(env, DATABASE_URL=url, MEDIATION_INSTANCE=str(tmp_path / "instance"))


@pytest.mark.parametrize("url, shown", UNREACHABLE)
def test_create_app_names_the_url_without_its_password(tmp_path, url, shown):
    with pytest.raises(StartupError) as raised:
        create_app({"DATABASE_URL": url, "MEDIATION_DEMO": False}, str(tmp_path))
    message = str(raised.value)
    assert message.startswith(f"cannot open the database {shown}: ") and "\n" not in message
    assert "s3cret-pw" not in message


@pytest.mark.parametrize("url, shown", UNREACHABLE)
def test_a_command_prints_one_line_and_exits_1(tmp_path, url, shown):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "sweep"],
        cwd=ROOT,
        env=_env(tmp_path, url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("Error: cannot")
    ], result.stderr
    assert shown in result.stderr and "Traceback" not in result.stderr


def test_gunicorn_stops_with_the_line_instead_of_a_traceback_per_worker(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    url, shown = UNREACHABLE[1]
    result = subprocess.run(
        [str(gunicorn), "-w", "2", "-b", "127.0.0.1:0", "app:create_app()"],
        cwd=ROOT,
        env=_env(tmp_path, url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert shown in result.stderr and "App failed to load" in result.stderr
    # No worker prints the app's traceback. (On a loaded machine gunicorn's own arbiter may
    # log a traceback of its main loop as both workers exit at once: not the app's.)
    assert "/mediation/" not in result.stderr and "sqlalchemy" not in result.stderr


def _load_keys(instance: str, start) -> tuple[str, str]:
    start.wait()
    loaded = config.load(instance)
    return loaded["SECRET_KEY"], loaded["ID_NUMBER_KEY"]


def test_processes_starting_at_once_on_a_fresh_instance_share_one_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ID_NUMBER_KEY", raising=False)
    context = multiprocessing.get_context("fork")
    processes = 8
    with context.Manager() as manager, context.Pool(processes) as pool:
        for round_ in range(15):
            instance = str(tmp_path / f"instance-{round_}")
            start = manager.Barrier(processes)
            keys = pool.starmap(_load_keys, [(instance, start)] * processes)
            assert len(set(keys)) == 1, keys
            secret, id_key = keys[0]
            assert len(secret) == 64 and len(id_key) == 64
            assert (Path(instance) / "secret_key").read_text() == secret
            assert not [p for p in Path(instance).iterdir() if p.name.endswith(".tmp")]


def test_an_empty_key_file_is_refused_with_a_message(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(config.ConfigError, match="secret_key: the key file is empty"):
        config._instance_secret(tmp_path / "secret_key", wait_seconds=0.2)
