from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.forms import ReachFields
from ..domain.units import unit_code_problem, unit_name_problem
from ..platform.i18n import gettext


class PageForm(FlaskForm):
    """One of several forms on a page, told apart by its submit button."""

    submit = SubmitField(_l("Save"))

    def submit_ok(self) -> bool:
        return self.is_submitted() and self.submit.name in request.form and self.validate()


class UnitImportForm(PageForm):
    submit = SubmitField(_l("Import"))
    file = FileField(_l("CSV file (code,name,kind,parent_code)"), validators=[FileRequired()])


def _domain_check(problem):
    """A WTForms validator from one of the domain's checks (the message translated)."""

    def check(form, field) -> None:
        message = problem((field.data or "").strip())
        if message is not None:
            raise ValidationError(message.render(gettext))

    return check


class UnitForm(PageForm):
    submit = SubmitField(_l("Add unit"))
    code = StringField(_l("Code"), validators=[DataRequired(), _domain_check(unit_code_problem)])
    name = StringField(
        _l("Unit name"), validators=[DataRequired(), _domain_check(unit_name_problem)]
    )
    kind = SelectField(_l("Kind"), validate_choice=False)
    parent_code = SelectField(_l("Parent unit"), validate_choice=False)


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Full name"), validators=[Length(max=100)])
    role = SelectField(_l("Role"), validate_choice=False)
    unit_code = SelectField(_l("Unit"), validate_choice=False)
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=200)])


class EditUserForm(ReachFields):
    """An admin's change to a user; the rules are services.users.update_user's."""

    display_name = StringField(_l("Full name"), validators=[Length(max=100)])
    role = SelectField(_l("Role"), validate_choice=False)
    unit_code = SelectField(_l("Unit"), validate_choice=False)
    new_password = PasswordField(
        _l("New password (leave empty to keep the current one)"), validators=[Length(max=200)]
    )
    channels = SelectMultipleField(
        _l("Notify besides the inbox by"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class ConfirmForm(FlaskForm):
    """A button that only needs CSRF protection."""


class CalendarYearForm(FlaskForm):
    """A year's holidays and make-up working days; the rules are checked by the domain."""

    year = StringField(_l("Year"), render_kw={"inputmode": "numeric", "maxlength": 4})
    holidays = TextAreaField(
        _l("Holidays (days off)"), render_kw={"rows": 8, "placeholder": "2027-01-01"}
    )
    workdays = TextAreaField(
        _l("Make-up working days"), render_kw={"rows": 4, "placeholder": "2027-02-07"}
    )
