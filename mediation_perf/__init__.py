"""Benchmark tooling for Fengqiao, kept out of the runtime package.

- ``synthetic``: ``gen-data``, a synthetic province played through the domain's own rules.
- ``bench``: ``bench``, the timed scenarios of docs/performance.md.
- ``loadtest``: ``python -m mediation_perf.loadtest``, requests per second against gunicorn.
- ``commands``: the two Flask commands, registered through an entry point.
"""
