"""The case page's clocks: a page that reads no working calendar (``needs_calendar`` false)
shows every clock exactly as it would with the calendar; when it is true, the calendar is
used."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.cases.clocks import clock_views, needs_calendar
from mediation.domain.calendar import WorkCalendar
from mediation.domain.enums import Clock

from ..factories import TZ

START = dt.datetime(2026, 9, 28, 1, 0, tzinfo=dt.UTC)  # before the National Day holidays
instants = st.integers(min_value=0, max_value=60 * 24).map(
    lambda minutes: START + dt.timedelta(minutes=minutes * 60)
)


@st.composite
def deadlines(draw):
    started = draw(instants)
    due = started + dt.timedelta(hours=draw(st.integers(min_value=1, max_value=40 * 24)))
    ended = draw(st.sampled_from(["running", "met", "breached", "stopped"]))
    at = draw(instants)
    return SimpleNamespace(
        clock=draw(st.sampled_from(list(Clock))),
        started_at=started,
        due_at=due,
        warn_at=started + (due - started) * 0.8,
        met_at=at if ended == "met" else None,
        breached_at=at if ended == "breached" else None,
        stopped_at=at if ended in ("met", "stopped") else None,
        is_working_days=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(
    clocks=st.lists(deadlines(), max_size=5),
    now=instants,
    paused_at=st.none() | instants,
)
def test_clocks_show_the_same_without_the_calendar_when_none_is_needed(clocks, now, paused_at):
    calendar = WorkCalendar(holidays=set(), workdays=set(), entered_years=[2026])
    shown = clock_views(clocks, now, calendar, TZ, paused_at)
    if needs_calendar(clocks, now):
        with pytest.raises(AttributeError):
            clock_views(clocks, now, None, TZ, paused_at)
    else:
        assert clock_views(clocks, now, None, TZ, paused_at) == shown
