"""Publishing a revision of a frozen month: the one form of the scorecard pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

REASON_MAX = 500


class PublishForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for publishing"),
        validators=[DataRequired(message=_l("Give the reason.")), Length(max=REASON_MAX)],
        render_kw={"rows": 2, "maxlength": REASON_MAX},
    )
