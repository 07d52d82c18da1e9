"""The incident and screening forms. WTForms renders them and checks CSRF; the rules live in
domain.incidents, shared with the JSON API, and their messages are put back next to each field."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from ..domain.enums import IncidentKind, PetitionLevel
from ..domain.i18n import Message
from ..domain.incidents import NOTE_MAX, SUMMARY_MAX
from ..domain.months import Month

NUMBER = {"inputmode": "numeric", "size": 6}


def _choices(enum_type):
    return [("", "—")] + [(member.value, gettext(member.label)) for member in enum_type]


def village_choices(villages) -> list[tuple[str, str]]:
    choices = [(unit.code, unit.full_name) for unit in villages]
    return choices if len(villages) == 1 else [("", "—")] + choices


class DomainErrors:
    """Put each domain message (keyed by the API's field name) next to its form field."""

    FIELD_NAMES: dict[str, str] = {}

    def show_errors(self, fields: dict[str, Message]) -> None:
        self.form_errors = getattr(self, "form_errors", [])
        for name, message in fields.items():
            text = message.render(gettext)
            field = self._fields.get(self.FIELD_NAMES.get(name, name))
            if field is None:
                self.form_errors.append(text)
                continue
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(text)


class IncidentForm(DomainErrors, FlaskForm):
    FIELD_NAMES = {"case_id": "case_number"}

    village_code = SelectField(_l("Village"), validate_choice=False)
    kind = SelectField(_l("Kind"), validate_choice=False)
    occurred_at = StringField(_l("Happened at"), render_kw={"type": "datetime-local"})
    summary = TextAreaField(_l("What happened"), render_kw={"rows": 4, "maxlength": SUMMARY_MAX})
    petition_level = SelectField(_l("Petition lodged at"), validate_choice=False)
    collective = BooleanField(_l("Collective petition"))
    people = StringField(_l("Petitioners"), render_kw=NUMBER)
    injured = StringField(_l("Injured"), render_kw=NUMBER)
    dead = StringField(_l("Dead"), render_kw=NUMBER)
    case_number = StringField(
        _l("Linked case number"), render_kw={"size": 20, "autocomplete": "off"}
    )
    # editing only
    version = HiddenField()
    note = TextAreaField(_l("Reason for the change"), render_kw={"rows": 2, "maxlength": NOTE_MAX})

    def fill_choices(self, villages) -> None:
        self.village_code.choices = village_choices(villages)
        self.kind.choices = _choices(IncidentKind)
        self.petition_level.choices = _choices(PetitionLevel)

    def raw(self, case_id: int | None) -> dict:
        """What the user typed, in the shape domain.incidents.parse_incident reads."""
        return {
            "village_code": self.village_code.data,
            "kind": self.kind.data,
            "occurred_at": self.occurred_at.data,
            "summary": self.summary.data,
            "petition_level": self.petition_level.data,
            "collective": bool(self.collective.data),
            "people": self.people.data,
            "injured": self.injured.data,
            "dead": self.dead.data,
            "case_id": case_id,
        }

    def fill_from(self, incident, tz) -> None:
        """The incident's current values, for editing."""
        self.village_code.data = incident.village.code
        self.kind.data = incident.kind.value
        self.occurred_at.data = incident.occurred_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
        self.summary.data = incident.summary
        self.petition_level.data = incident.petition_level.value if incident.petition_level else ""
        self.collective.data = incident.is_collective
        self.people.data = str(incident.people) if incident.people else ""
        self.injured.data = str(incident.injured) if incident.injured else ""
        self.dead.data = str(incident.dead) if incident.dead else ""
        self.case_number.data = incident.case.number if incident.case else ""
        self.version.data = str(incident.version)


class ScreeningForm(DomainErrors, FlaskForm):
    village_code = SelectField(_l("Village"), validate_choice=False)
    month = SelectField(_l("Month"), validate_choice=False)
    visited_at = StringField(_l("Day of the visits"), render_kw={"type": "date"})
    households = StringField(_l("Households visited"), render_kw=NUMBER)
    risks_found = StringField(_l("Risks found"), render_kw=NUMBER)
    disputes_found = StringField(_l("Disputes found"), render_kw=NUMBER)
    zero_report = BooleanField(_l("Zero report: no dispute found this month"))
    note = TextAreaField(_l("Note"), render_kw={"rows": 3, "maxlength": NOTE_MAX})

    def fill_choices(self, villages, months: list[Month]) -> None:
        self.village_code.choices = village_choices(villages)
        self.month.choices = [(str(month), str(month)) for month in months]

    def raw(self) -> dict:
        return {
            "village_code": self.village_code.data,
            "month": self.month.data,
            "visited_at": self.visited_at.data,
            "households": self.households.data,
            "risks_found": self.risks_found.data,
            "disputes_found": self.disputes_found.data,
            "zero_report": bool(self.zero_report.data),
            "note": self.note.data,
        }
