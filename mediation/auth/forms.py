from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm_password = PasswordField(
        _l("New password again"), validators=[DataRequired(), Length(max=200)]
    )


class ReachFields(FlaskForm):
    """How a person is reached off the site, as the person and the admin both set it; the
    rules are services.users.set_reach's. Each form adds its own ``channels`` field."""

    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    phone = StringField(_l("Mobile phone"), validators=[Length(max=32)])
    digest = BooleanField(
        _l("Notices that are not urgent: one message each working morning instead of one each")
    )


class ReachForm(ReachFields):
    channels = SelectMultipleField(
        _l("Also notify me by"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
