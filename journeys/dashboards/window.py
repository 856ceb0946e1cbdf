"""The time window a dashboard reads, and the day helpers both dashboards read it with.

A window is a preset (``?window=30|90|365|all``) or a custom range (``?since=&until=``), whole
days in the site's time zone as the rollups count them; each but "all time" has a previous
window of equal length, which the trends compare against.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from journeys.exceptions import InvalidInput

WINDOW_PRESETS = {"30": 30, "90": 90, "365": 365, "all": None}
# The window the editor, the dashboards and the map's measured (VoC) emotions all use unless
# asked for another: all time, so the curve stored on the map (recounted when responses
# change) is the one every page shows. A rolling default (the last 90 days) would need the
# stored VoC emotions recounted every day as days leave the window.
DEFAULT_PRESET = "all"
SCORES = ("nps", "csat", "ces")
# The days a window may name. Surveys are not older, and the window before a window of this
# range still has days a date can hold (year 1 minus a day does not exist: a crash, not an answer).
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Window:
    """Days ``since``…``until`` inclusive; ``since=None`` is all time, ``until`` is today."""

    since: date | None
    until: date
    preset: str

    @property
    def previous(self) -> "Window | None":
        """The window of equal length just before this one (none for all time)."""
        if self.since is None:
            return None
        length = (self.until - self.since).days + 1
        return Window(self.since - timedelta(days=length), self.since - timedelta(days=1), "")

    @property
    def label(self) -> str:
        if self.since is None:
            return f"All time to {self.until.isoformat()}"
        return f"{self.since.isoformat()} to {self.until.isoformat()}"

    @property
    def description(self) -> str:
        """What the customer numbers cover, in words: “last 90 days, 5 Sep – 3 Dec 2026”."""
        until = _day(self.until)
        if self.since is None:
            return f"all time, to {until}"
        since = _day(self.since, year=self.since.year != self.until.year)
        days = WINDOW_PRESETS.get(self.preset)
        span = f"{since} – {until}"
        return f"last {days} days, {span}" if days else span

    def as_dict(self) -> dict[str, Any]:
        previous = self.previous
        return {
            "description": self.description,
            "preset": self.preset,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "label": self.label,
            "previous": {"since": previous.since.isoformat(), "until": previous.until.isoformat()}
            if previous
            else None,
        }


def _day(day: date, *, year: bool = True) -> str:
    return f"{day.day} {day:%b}" + (f" {day.year}" if year else "")


def default_window(*, today: date | None = None) -> Window:
    """The window the editor and the dashboard both open with (``DEFAULT_PRESET``)."""
    return window_from_params({}, today=today)


def day_from_param(value: str | None, field: str) -> date | None:
    """A day from a query parameter (None when absent); 400 for anything but a sane date."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({field: "Use a date like 2024-05-31."}) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InvalidInput(
            {field: f"Choose a day from {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}."}
        )
    return day


def window_from_params(params, *, today: date | None = None) -> Window:
    """The window a request asks for: ``?window=30|90|365|all`` or ``?since=&until=``."""
    today = today or timezone.localdate()
    since, until = (
        day_from_param(params.get("since"), "since"),
        day_from_param(params.get("until"), "until"),
    )
    if since or until:
        until = until or today
        if since and since > until:
            raise InvalidInput({"since": "The window must start before it ends."})
        return Window(since, until, "custom")
    preset = params.get("window") or DEFAULT_PRESET
    if preset not in WINDOW_PRESETS:
        raise InvalidInput({"window": f"Choose one of {', '.join(WINDOW_PRESETS)}."})
    days = WINDOW_PRESETS[preset]
    return Window(today - timedelta(days=days - 1) if days else None, today, preset)


def in_window(rows, window: Window, *, lower: date | None = None):
    """Rollup rows of the window's days (from ``lower`` instead, to take in the previous one)."""
    lower = lower or window.since
    if lower:
        rows = rows.filter(day__gte=lower)
    return rows.filter(day__lte=window.until)


def start_of_day(day: date) -> datetime:
    # Whole days in the site's time zone, as rollups count them; a range keeps the index usable.
    return timezone.make_aware(datetime.combine(day, time.min))


def days_since(day: date | None, until: date) -> int | None:
    return None if day is None else max(0, (until - day).days)


def trend(current: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """This window against the previous one: the change of each score (None when unknown)."""
    out = {}
    for score in SCORES:
        before = previous[score] if previous else None
        now = current[score]
        out[score] = {
            "previous": before,
            "previous_n": previous[f"{score}_count"] if previous else 0,
            "delta": None if before is None or now is None else round(now - before, 2),
        }
    return out
