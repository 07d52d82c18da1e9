"""The intake form. WTForms renders it and checks CSRF; the rules live in domain.intake,
shared with the JSON API, and their messages are put back next to each field."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets

from ..domain.enums import Category, PartyRole, Risk, Source
from ..domain.i18n import Message


def _choices(enum_type, blank: bool = True):
    options = [(member.value, gettext(member.label)) for member in enum_type]
    return [("", "—")] + options if blank else options


class PartyForm(Form):
    name = StringField(_l("Name"), render_kw={"maxlength": 50, "autocomplete": "off"})
    role = SelectField(_l("Role"), validate_choice=False)
    id_number = StringField(
        _l("ID number"), render_kw={"maxlength": 18, "autocomplete": "off", "inputmode": "text"}
    )
    phone = StringField(_l("Phone"), render_kw={"maxlength": 20, "inputmode": "tel"})
    address = StringField(_l("Address"), render_kw={"maxlength": 200})


class CaseForm(FlaskForm):
    village_code = SelectField(_l("Village"), validate_choice=False)
    title = StringField(_l("Title"), render_kw={"maxlength": 200})
    category = SelectField(_l("Category"), validate_choice=False)
    source = SelectField(_l("Source"), validate_choice=False)
    received_at = StringField(_l("Received at"), render_kw={"type": "datetime-local"})
    people_involved = StringField(
        _l("People involved"), default="2", render_kw={"inputmode": "numeric", "size": 6}
    )
    amount_yuan = StringField(
        _l("Amount in dispute (yuan)"), render_kw={"inputmode": "decimal", "size": 12}
    )
    risks = SelectMultipleField(
        _l("Risk markers"),
        validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    description = TextAreaField(_l("Facts of the dispute"), render_kw={"rows": 5})
    parties = FieldList(FormField(PartyForm), min_entries=1, max_entries=50)

    def fill_choices(self, villages) -> None:
        self.village_code.choices = [(unit.code, unit.full_name) for unit in villages]
        if len(villages) != 1:
            self.village_code.choices.insert(0, ("", "—"))
        self.category.choices = _choices(Category)
        self.source.choices = _choices(Source)
        self.risks.choices = _choices(Risk, blank=False)
        for entry in self.parties:
            entry.form.role.choices = _choices(PartyRole)

    def add_party(self) -> None:
        entry = self.parties.append_entry()
        entry.form.role.choices = _choices(PartyRole)

    def raw(self) -> dict:
        """What the user typed, in the shape domain.intake.parse_case reads."""
        return {
            "village_code": self.village_code.data,
            "title": self.title.data,
            "category": self.category.data,
            "source": self.source.data,
            "received_at": self.received_at.data,
            "people_involved": self.people_involved.data,
            "amount_yuan": self.amount_yuan.data,
            "risks": list(self.risks.data or []),
            "description": self.description.data,
            "parties": [_party(entry.form) for entry in self.parties if not _blank(entry.form)],
        }

    def show_errors(self, fields: dict[str, Message]) -> None:
        """Put each domain message next to its field (``parties.1.phone`` → the 2nd party)."""
        kept = [entry for entry in self.parties if not _blank(entry.form)]
        for name, message in fields.items():
            text = message.render(gettext)
            head, _, rest = name.partition(".")
            if head == "parties" and rest:
                index, _, sub = rest.partition(".")
                if index.isdigit() and int(index) < len(kept) and sub:
                    kept[int(index)].form[sub].errors.append(text)
                    continue
            field = self._fields.get(head)
            if field is not None:
                if isinstance(field.errors, tuple):
                    field.errors = list(field.errors)
                field.errors.append(text)


def _party(form: PartyForm) -> dict:
    return {key: form[key].data for key in ("name", "role", "id_number", "phone", "address")}


def _blank(form: PartyForm) -> bool:
    return not any((form[key].data or "").strip() for key in ("name", "id_number", "phone", "address"))
