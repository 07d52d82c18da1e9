"""The intake form. WTForms renders it and checks CSRF; the rules live in domain.intake,
shared with the JSON API, and their messages are put back next to each field."""

from __future__ import annotations

import datetime as dt
import functools

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)

from ..domain.enums import (
    Action,
    AgreementForm,
    Category,
    PartyRole,
    ReferralTarget,
    Risk,
    Scale,
    Source,
)
from ..domain.i18n import Message
from ..domain.intake import MAX_PARTIES, TOO_MANY_PARTIES
from ..domain.workflow import (
    NEEDS_REASON,
    NOTE_MAX,
    PARTICIPANTS_MAX,
    PLACE_MAX,
    SESSION_SUMMARY_MAX,
    TERMS_MAX,
)
from ..platform import runtime
from ..platform.i18n import gettext
from ..platform.i18n import lazy_gettext as _l


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
    parties = FieldList(FormField(PartyForm), min_entries=1, max_entries=MAX_PARTIES)
    # Photos taken at the scene, uploaded with the new case (a phone offers its camera).
    photos = MultipleFileField(
        _l("Photos and documents"),
        render_kw={"accept": "image/*,application/pdf", "multiple": True},
    )

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
        """One more blank party, unless the form holds the most a case may have."""
        if len(self.parties) >= MAX_PARTIES:
            self.show_errors({"parties": TOO_MANY_PARTIES})
            return
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
    return not any(
        (form[key].data or "").strip() for key in ("name", "id_number", "phone", "address")
    )


# --- the workflow actions on the case page --------------------------------------------------

# What the button says (the enum's label is the past tense used in the history).
ACTION_VERBS = {
    Action.accept: _l("Accept"),
    Action.pause: _l("Pause"),
    Action.resume: _l("Resume"),
    Action.resolve: _l("Record an agreement"),
    Action.escalate: _l("Escalate to the level above"),
    Action.assign_down: _l("Assign to a lower unit"),
    Action.refer: _l("Refer elsewhere"),
    Action.withdraw: _l("Record withdrawal"),
    Action.follow_up: _l("Record a follow-up visit"),
    Action.reopen: _l("Reopen"),
    Action.extend: _l("Extend the one-month limit"),
    Action.reclassify: _l("Change the scale"),
    Action.report: _l("Report to the county"),
    Action.take_over: _l("Take over to my unit"),
    Action.session: _l("Record a mediation session"),
}

ACTION_HINTS = {
    Action.accept: _l("Take the case up at this level; the accept clock stops."),
    Action.pause: _l(
        "Stops every clock, e.g. while waiting for an appraisal."
        " On resume the deadlines move by the paused time."
    ),
    Action.resume: _l("Mediation continues; the deadlines move by the time the case was paused."),
    Action.resolve: _l(
        "The parties reached an agreement. A written agreement can be printed for signing."
    ),
    Action.escalate: _l(
        "The case could not be settled here: it goes to the unit above, whose clocks start now."
    ),
    Action.assign_down: _l(
        "Hand the case to a unit below with instructions; its clocks start now."
    ),
    Action.refer: _l(
        "The case leaves mediation for a court, the police, arbitration or an administrative body."
    ),
    Action.withdraw: _l("The parties withdrew; the case ends."),
    Action.follow_up: _l("If the agreement was performed the case is closed."),
    Action.reopen: _l("The agreement was not performed: mediation starts again at this level."),
    Action.extend: _l("Once only, with both parties' consent."),
    Action.reclassify: _l("Override the computed scale; the reason is kept in the history."),
    Action.report: _l("The county is told of this major case; it stays where it is."),
    Action.take_over: _l(
        "Take the case up to your own unit; it arrives as on escalation. Give the reason."
    ),
    Action.session: _l(
        "One meeting with the parties: when, where, who was present, what was said and agreed."
        " The clocks do not change."
    ),
}

# Where a domain field name (as in the API body) is shown on the form.
_ERROR_FIELDS = {
    "agreement": "agreement_terms",
    "agreement.form": "agreement_form",
    "agreement.terms": "agreement_terms",
    "agreement.points_in_dispute": "agreement_points",
    "agreement.responsibilities": "agreement_responsibilities",
    "agreement.amount_yuan": "agreement_amount_yuan",
    "to": "refer_to",
}


class ActionForm(Form):
    """The fields one workflow action needs; built by :func:`action_form`. CSRF is checked by
    CSRFProtect for every POST, and the rules are domain.workflow.parse_action_input's."""

    version = HiddenField()

    def __init__(self, action: Action, *args, **kwargs):
        self.action = action
        self.form_errors: list[str] = []
        super().__init__(*args, **kwargs)

    @property
    def verb(self):
        return ACTION_VERBS[self.action]

    @property
    def hint(self):
        return ACTION_HINTS.get(self.action, "")

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(field.errors for field in self)

    def show_errors(self, fields: dict[str, Message]) -> None:
        for name, message in fields.items():
            text = message.render(gettext)
            field = self._fields.get(_ERROR_FIELDS.get(name, name))
            if field is None or field.name == "version":
                self.form_errors.append(text)
                continue
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(text)

    def raw(self) -> dict:
        """The action's fields in the shape parse_action_input (and the API) reads."""
        return {"note": self.note.data or "", **self.carried()}

    def carried(self) -> dict:
        """What the action carries besides its note (none for most)."""
        return {}

    def set_choices(self, units) -> None:
        """Fill the options of the action's select fields (``units``: for assign_down)."""


# --- what each action carries besides its note: its fields, their options, their values -----


class _ResolveForm(ActionForm):
    agreement_form = SelectField(
        _l("Form of the agreement"), default=AgreementForm.written.value, validate_choice=False
    )
    agreement_points = TextAreaField(
        _l("Points in dispute"), render_kw={"rows": 2, "maxlength": TERMS_MAX}
    )
    agreement_responsibilities = TextAreaField(
        _l("Responsibilities of the parties"), render_kw={"rows": 3, "maxlength": TERMS_MAX}
    )
    agreement_terms = TextAreaField(
        _l("Agreed terms, and how and when they are performed"),
        render_kw={"rows": 5, "maxlength": TERMS_MAX, "required": True},
    )
    agreement_amount_yuan = StringField(
        _l("Amount agreed (yuan)"), render_kw={"inputmode": "decimal", "size": 12}
    )

    def set_choices(self, units) -> None:
        self.agreement_form.choices = _choices(AgreementForm, blank=False)

    def carried(self) -> dict:
        return {
            "agreement": {
                "form": self.agreement_form.data or "",
                "terms": self.agreement_terms.data or "",
                "points_in_dispute": self.agreement_points.data or "",
                "responsibilities": self.agreement_responsibilities.data or "",
                "amount_yuan": (self.agreement_amount_yuan.data or "").strip(),
            }
        }


class _AssignDownForm(ActionForm):
    to_unit_code = SelectField(_l("Unit"), validate_choice=False)

    def set_choices(self, units) -> None:
        self.to_unit_code.choices = [("", "—")] + [(unit.code, unit.full_name) for unit in units]

    def carried(self) -> dict:
        return {"to_unit_code": self.to_unit_code.data or ""}


class _ReferForm(ActionForm):
    refer_to = SelectField(_l("Referred to"), validate_choice=False)

    def set_choices(self, units) -> None:
        self.refer_to.choices = _choices(ReferralTarget)

    def carried(self) -> dict:
        return {"to": self.refer_to.data or ""}


class _FollowUpForm(ActionForm):
    performed = BooleanField(_l("The agreement was performed"))
    satisfied = BooleanField(_l("The parties are satisfied"))
    relapse_risk = BooleanField(_l("Signs the dispute may flare up again"))

    def carried(self) -> dict:
        return {
            key: "true" if self[key].data else "false"
            for key in ("performed", "satisfied", "relapse_risk")
        }


class _ExtendForm(ActionForm):
    consent = BooleanField(_l("Both parties consent to the extension"))

    def carried(self) -> dict:
        return {"consent": "true" if self.consent.data else ""}


class _ReclassifyForm(ActionForm):
    scale = SelectField(_l("New scale"), validate_choice=False)

    def set_choices(self, units) -> None:
        self.scale.choices = _choices(Scale)

    def carried(self) -> dict:
        return {"scale": self.scale.data or ""}


class _SessionForm(ActionForm):
    held_at = StringField(_l("Held at"), render_kw={"type": "datetime-local", "required": True})
    place = StringField(_l("Place"), render_kw={"maxlength": PLACE_MAX, "required": True})
    participants = TextAreaField(
        _l("Present (parties, mediators, others)"),
        render_kw={"rows": 2, "maxlength": PARTICIPANTS_MAX, "required": True},
    )
    summary = TextAreaField(
        _l("What was said and agreed"),
        render_kw={"rows": 6, "maxlength": SESSION_SUMMARY_MAX, "required": True},
    )

    def carried(self) -> dict:
        return {
            "held_at": _local_instant(self.held_at.data or ""),
            "place": self.place.data or "",
            "participants": self.participants.data or "",
            "summary": self.summary.data or "",
        }


_FORMS: dict[Action, type[ActionForm]] = {
    Action.resolve: _ResolveForm,
    Action.assign_down: _AssignDownForm,
    Action.refer: _ReferForm,
    Action.follow_up: _FollowUpForm,
    Action.extend: _ExtendForm,
    Action.reclassify: _ReclassifyForm,
    Action.session: _SessionForm,
}


def _local_instant(text: str) -> str:
    """A datetime-local value (the time on the mediator's wall clock, without an offset) as
    ISO 8601 with the installation's offset; other text is passed on for the rules to refuse."""
    text = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=runtime.tz())
            parsed.astimezone(dt.UTC)
        except OverflowError:
            return text
    return parsed.isoformat()


def _note_label(action: Action):
    if action is Action.assign_down:
        return _l("Instructions")
    if action in NEEDS_REASON:
        return _l("Reason")
    if action is Action.follow_up:
        return _l("What the visit found")
    return _l("Note (optional)")


def action_form(action: Action, *, version: int, units=(), formdata=None) -> ActionForm:
    """The form for ``action``: always a note (the reason where one is required), plus what
    the action carries. ``units``: the units below the holder, for assign_down."""
    form = _form_class(action)(action, formdata=formdata)
    form.set_choices(units)  # on the bound fields (tuples at definition are deprecated)
    form.version.data = str(version)
    return form


@functools.cache
def _form_class(action: Action) -> type[ActionForm]:
    """The form class of ``action`` with its note, made once: a case page shows several action
    forms, and defining a WTForms class is far dearer than filling one in. Its labels are
    lazy, so one class serves every language."""
    note_kw = {"rows": 3, "maxlength": NOTE_MAX}
    if action in NEEDS_REASON:
        note_kw["required"] = True

    class Fields(_FORMS.get(action, ActionForm)):
        note = TextAreaField(_note_label(action), render_kw=note_kw)

    return Fields
