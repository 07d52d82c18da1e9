"""Importing old village ledgers (台账): the upload page, its template download and the
``import-cases`` command (docs/import.md)."""

from flask import Blueprint

bp = Blueprint("ledger", __name__)

from . import views  # noqa: E402,F401
