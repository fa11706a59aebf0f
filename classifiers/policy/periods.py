"""Time windows a rule can be limited to: promotion periods (双11, 618) and daily hours.

A period is either dated (`start`/`end`, local times in its time zone, end exclusive) or daily
(`daily: {from: "22:00", to: "06:00"}`, which crosses midnight when `to` <= `from`), optionally
limited to some weekdays. Times are local to the period's time zone (default: the policy's), so
"双11 starts at 20:00 Beijing time" is written as it is said, whatever zone the gateway runs in.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as "
                         "Asia/Shanghai)") from None


class DailyHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: time = Field(alias="from")
    end: time = Field(alias="to")

    @model_validator(mode="after")
    def _not_empty(self) -> DailyHours:
        if self.start == self.end:
            raise ValueError("daily from and to are equal: the window would be empty "
                             "(leave out `daily` for the whole day)")
        return self

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # crosses midnight


class Period(BaseModel):
    """One time window. `timezone` defaults to the policy's `timezone`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    daily: DailyHours | None = None
    weekdays: tuple[Weekday, ...] | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            zone(name)
        return name

    @field_validator("start", "end")
    @classmethod
    def _local(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("write local times without an offset; the zone comes from "
                             "`timezone`")
        return value

    @model_validator(mode="after")
    def _shape(self) -> Period:
        if (self.start is None) != (self.end is None):
            raise ValueError("a dated period needs both start and end")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start "
                             f"{self.start.isoformat()}")
        if self.start is None and self.daily is None and self.weekdays is None:
            raise ValueError("a period needs start/end, daily hours or weekdays")
        return self

    def bind(self, default_zone: str) -> BoundPeriod:
        return BoundPeriod(self, zone(self.timezone or default_zone))


class BoundPeriod:
    """A period with its time zone resolved, ready to test moments against."""

    __slots__ = ("period", "tz", "_start", "_end", "_days")

    def __init__(self, period: Period, tz: tzinfo) -> None:
        self.period = period
        self.tz = tz
        self._start = period.start.replace(tzinfo=tz) if period.start else None
        self._end = period.end.replace(tzinfo=tz) if period.end else None
        self._days = frozenset(WEEKDAYS.index(d) for d in period.weekdays) \
            if period.weekdays else None

    def contains(self, moment: datetime) -> bool:
        """`moment` must be time-zone aware."""
        if self._start is not None and self._end is not None \
                and not self._start <= moment < self._end:
            return False
        local = moment.astimezone(self.tz)
        daily = self.period.daily
        if self._days is not None:
            # a night window that began yesterday belongs to yesterday's weekday
            day = local.date()
            if daily is not None and daily.end <= daily.start and local.time() < daily.end:
                day -= timedelta(days=1)
            if day.weekday() not in self._days:
                return False
        return daily is None or daily.contains(local.time().replace(tzinfo=None))

    def ended_before(self, moment: datetime) -> bool:
        return self._end is not None and self._end <= moment

    def overlaps(self, other: BoundPeriod) -> bool:
        """Whether some moment lies in both. Exact for dated periods; for recurring ones it
        samples every minute of a week (inside the dated range when there is one)."""
        if self._start is not None and other._start is not None:
            assert self._end is not None and other._end is not None
            if not (self._start < other._end and other._start < self._end):
                return False
            if self.period.daily is None and self._days is None \
                    and other.period.daily is None and other._days is None:
                return True
        begin = max((p for p in (self._start, other._start) if p is not None),
                    default=datetime.combine(date(2026, 1, 5), time(), self.tz))
        minutes = 7 * 24 * 60
        for step in range(minutes):
            moment = begin + timedelta(minutes=step)
            if self.contains(moment) and other.contains(moment):
                return True
        return False
