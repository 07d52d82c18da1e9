from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SubmitField


class LedgerUploadForm(FlaskForm):
    file = FileField(_l("Ledger file (.xlsx or .csv)"), validators=[FileRequired()])
    submit = SubmitField(_l("Check the ledger"))


class LedgerConfirmForm(FlaskForm):
    upload = HiddenField()
    confirm = SubmitField(_l("Import these cases"))
