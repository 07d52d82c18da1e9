"""The shortcuts taken for speed give the same answers as the long way round: the village
choices, the per-request catalog, the intake's answer built before anything is read again."""

from __future__ import annotations

import contextvars

import flask_babel
from flask_babel import force_locale

from mediation.platform.i18n import gettext, lazy_gettext, translations
from mediation.services import access


def test_village_choices_are_the_villages_codes_and_full_names(app, world):
    for user in (world.county_officer, world.township_officer, world.mediator, world.viewer):
        expected = [(unit.code, unit.full_name) for unit in access.villages(user)]
        assert expected, user.username
        assert [
            (choice.code, choice.full_name) for choice in access.village_choices(user)
        ] == expected


def test_the_list_and_intake_offer_the_area_villages(client, world, login):
    login(world.township_officer)
    listed = client.get("/cases").get_data(as_text=True)
    form = client.get("/cases/new").get_data(as_text=True)
    for unit in access.villages(world.township_officer):
        option = f'<option value="{unit.code}">{unit.full_name}</option>'
        assert option in listed
        assert f'value="{unit.code}"' in form and unit.full_name in form
    outside = access.villages(world.county_officer)
    foreign = [unit for unit in outside if unit.township_id != world.township_officer.unit_id]
    assert foreign and all(f'value="{unit.code}"' not in listed for unit in foreign)


def test_the_request_catalog_follows_the_locale(app):
    def english_request():
        with app.test_request_context("/", headers={"Cookie": "lang=en"}):
            assert gettext("Cases") == "Cases"
            assert translations() is translations()
            with force_locale("zh"):
                assert gettext("Cases") == flask_babel.gettext("Cases") != "Cases"
                assert str(lazy_gettext("Cases")) == gettext("Cases")
            assert gettext("Cases") == "Cases"
            flask_babel.refresh()
            assert gettext("Cases") == "Cases"

    def chinese_request():
        with app.test_request_context("/", headers={"Cookie": "lang=zh"}):
            assert gettext("Cases") == flask_babel.gettext("Cases") != "Cases"
            assert gettext("happened %(at)s", at="3") == flask_babel.gettext(
                "happened %(at)s", at="3"
            )
            assert gettext("happened %(at)s", at="3") != "happened 3"

    # Each request in its own context, as in production (the test holds an app context open).
    contextvars.Context().run(english_request)
    contextvars.Context().run(chinese_request)


def test_templates_translate_in_the_request_language(client, world, login):
    login(world.county_officer)
    client.post("/lang/en", data={"next": "/cases"})
    english = client.get("/cases").get_data(as_text=True)
    client.post("/lang/zh", data={"next": "/cases"})
    chinese = client.get("/cases").get_data(as_text=True)
    assert ">Cases<" in english and ">Cases<" not in chinese
