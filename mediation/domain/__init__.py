"""The field's rules as plain Python: no Flask, no SQLAlchemy, no clock of its own.

Every function takes what it needs (``now``, the policy, the calendar) as arguments, so each rule
can be tested on its own with explicit values.
"""
