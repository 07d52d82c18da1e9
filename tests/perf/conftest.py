import pytest

from .runner import command_runner


@pytest.fixture
def runner(app):
    """A CLI runner that finds ``gen-data`` and ``bench`` the way ``flask`` does."""
    return command_runner(app)
