"""The benchmark commands come from the ``mediation_perf`` package through the ``flask.commands``
entry point, as the ``flask`` executable finds them; the app's own ``app.cli`` does not hold
them, so these tests invoke them through ``flask``'s own command group."""

import flask.cli
from flask.testing import FlaskCliRunner


class FlaskCommandRunner(FlaskCliRunner):
    """Invokes through ``flask``'s command group (entry-point commands included) on one app."""

    def invoke(self, cli=None, args=None, **kwargs):
        return super().invoke(cli or flask.cli.cli, args, **kwargs)


def command_runner(app) -> FlaskCommandRunner:
    return FlaskCommandRunner(app)
