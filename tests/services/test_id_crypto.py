"""ID numbers at rest: encrypted, hashed for lookup, masked for display; the migration converts."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from mediation.config import ConfigError, load
from mediation.extensions import db
from mediation.models import Party
from mediation.platform.crypto import IdCipher, IdNumberKeyError, id_cipher
from mediation.platform.database import MIGRATIONS
from mediation.services.identity import disputes_of_person

ID = "410522198503121233"
OTHER_ID = "410522197001014564"
KEY = "k" * 64


def raw_parties() -> list[dict]:
    with db.engine.connect() as connection:
        return [
            dict(row._mapping)
            for row in connection.execute(text("SELECT * FROM parties ORDER BY id"))
        ]


def test_the_row_holds_no_plain_digits(world, make):
    make.case(world.mediator)
    row = raw_parties()[0]
    assert "id_number" not in row
    for column, value in row.items():
        assert ID not in str(value) and ID[6:14] not in str(value), column
    assert row["id_number_masked"] == "4105**********1233"
    assert row["id_number_hash"] == id_cipher().lookup_hash(ID)
    assert row["id_number_enc"].startswith("v1:")


def test_the_stored_number_decrypts_back_and_is_masked(world, make):
    case = make.case(world.mediator)
    db.session.expire_all()
    applicant, respondent = case.parties
    assert id_cipher().decrypt(applicant.id_number_enc) == ID and applicant.has_id_number
    assert applicant.masked_id_number == "4105**********1233"
    assert respondent.id_number_enc is None and respondent.masked_id_number == ""
    assert not respondent.has_id_number


def test_equal_numbers_encrypt_differently_but_hash_alike():
    cipher = IdCipher(KEY)
    first, second = cipher.encrypt(ID), cipher.encrypt(ID)
    assert first != second
    assert cipher.decrypt(first) == cipher.decrypt(second) == ID
    assert cipher.lookup_hash(ID) == cipher.lookup_hash(ID) != cipher.lookup_hash(OTHER_ID)
    assert IdCipher("x" * 64).lookup_hash(ID) != cipher.lookup_hash(ID)


def test_a_wrong_key_fails_to_decrypt_clearly():
    stored = IdCipher(KEY).encrypt(ID)
    with pytest.raises(IdNumberKeyError, match="ID_NUMBER_KEY"):
        IdCipher("w" * 64).decrypt(stored)
    tampered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(IdNumberKeyError):
        IdCipher(KEY).decrypt(tampered)
    with pytest.raises(IdNumberKeyError, match="format"):
        IdCipher(KEY).decrypt(ID)


def test_lookup_by_hash_finds_the_person(world, make):
    make.case(world.mediator)
    make.case(world.mediator, parties=[{"name": "张三", "role": "respondent", "id_number": ID}])
    make.case(
        world.mediator, parties=[{"name": "王五", "role": "applicant", "id_number": OTHER_ID}]
    )
    found = db.session.scalars(
        db.select(Party).where(Party.id_number_hash == id_cipher().lookup_hash(ID))
    ).all()
    assert len(found) == 2 and {party.name for party in found} == {"张三"}
    assert disputes_of_person(world.mediator, ID) == 2
    assert disputes_of_person(world.mediator, OTHER_ID) == 1


def test_the_key_is_made_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ID_NUMBER_KEY", raising=False)
    first = load(str(tmp_path))["ID_NUMBER_KEY"]
    assert (tmp_path / "id_key").read_text().strip() == first and len(first) == 64
    assert load(str(tmp_path))["ID_NUMBER_KEY"] == first
    monkeypatch.setenv("ID_NUMBER_KEY", "e" * 40)
    assert load(str(tmp_path))["ID_NUMBER_KEY"] == "e" * 40
    monkeypatch.setenv("ID_NUMBER_KEY", "short")
    with pytest.raises(ConfigError, match="ID_NUMBER_KEY"):
        load(str(tmp_path))


def test_the_migration_round_trip_keeps_the_numbers(world, make):
    """Down to the plain column and up again, with the app's own key."""
    case = make.case(
        world.mediator,
        parties=[
            {"name": "张三", "role": "applicant", "id_number": ID},
            {"name": "李四", "role": "respondent"},
            {"name": "王五", "role": "other", "id_number": OTHER_ID},
        ],
    )
    case_id = case.id
    db.session.remove()

    downgrade(directory=MIGRATIONS, revision="cdc5adc2ca16")
    rows = raw_parties()
    assert [row["id_number"] for row in rows] == [ID, None, OTHER_ID]
    assert "id_number_enc" not in rows[0]
    assert "id_access_log" not in inspect(db.engine).get_table_names()

    upgrade(directory=MIGRATIONS)
    rows = raw_parties()
    assert "id_number" not in rows[0]
    assert [row["id_number_masked"] for row in rows] == [
        "4105**********1233",
        None,
        "4105**********4564",
    ]
    assert rows[0]["id_number_hash"] == id_cipher().lookup_hash(ID)
    assert rows[1]["id_number_enc"] is None and rows[1]["id_number_hash"] is None
    parties = db.session.scalars(
        db.select(Party).where(Party.case_id == case_id).order_by(Party.position)
    ).all()
    numbers = [p.id_number_enc and id_cipher().decrypt(p.id_number_enc) for p in parties]
    assert numbers == [ID, None, OTHER_ID]


def test_a_process_with_another_key_refuses_to_store_numbers(app, world, make):
    """A second machine that generated its own instance/id_key must not mix keys in the table."""
    make.case(world.mediator)
    app.config["ID_NUMBER_KEY"] = "another-key-" + "0" * 40
    with pytest.raises(IdNumberKeyError, match="ID_NUMBER_KEY"):
        make.case(world.mediator)
    db.session.rollback()
    assert len(raw_parties()) == 2
