"""Working time at a node: opening hours per weekday, dated exceptions, a timezone.

Every promise is built from these few questions: when can this node have the parcel ready (picking and
packing take working minutes, counted only while the node is open), and until when may the customer
order and still get it then. Time is always an input (``at``), never read from the clock.

Local hours are turned into instants in the node's own timezone, so a daylight-saving change moves the
instants, not the hours on the door. Every instant here carries the fixed UTC offset it has locally
(``instant``): Python adds and compares datetimes that share a zone by their wall clocks, which is wrong
across a clock change; with fixed offsets, sums and comparisons are exact and the local time still shows.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
HORIZON_DAYS = 60  # a node shut for longer than this has no promise to give


@dataclass(frozen=True)
class Hours:
    """One opening span in local wall-clock minutes of the day, 0 <= ``opens`` < ``closes`` <= 1440 (a span
    never crosses midnight; 1440 is the midnight that ends the day)."""
    opens: int
    closes: int


@dataclass(frozen=True)
class Calendar:
    timezone: str
    # Opening spans per ISO weekday (1 = Monday … 7 = Sunday); a weekday absent or empty is closed.
    weekly: dict[int, tuple[Hours, ...]]
    # A date's own spans instead of its weekday's: empty for a holiday, other hours for a late opening.
    exceptions: dict[date, tuple[Hours, ...]] = field(default_factory=dict)
    # A promise asks the same days again and again: their spans, as instants, are worked out once.
    _spans: dict[date, list[tuple[datetime, datetime]]] = field(default_factory=dict, init=False, repr=False,
                                                                compare=False)
    _at: dict[tuple[date, time], datetime] = field(default_factory=dict, init=False, repr=False, compare=False)
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The node's open spans on this local date, as instants."""
        found = self._spans.get(day)
        if found is None:
            hours = self.exceptions[day] if day in self.exceptions else self.weekly.get(day.isoweekday(), ())
            found = self._spans[day] = [(self._minute(day, h.opens), self._minute(day, h.closes))
                                        for h in sorted(hours, key=lambda h: h.opens)]
        return found

    def _minute(self, day: date, minute: int) -> datetime:
        if minute >= 1440:
            return self.at(day + DAY, time(0))
        return self.at(day, time(minute // 60, minute % 60))

    def at(self, day: date, clock: time) -> datetime:
        """The instant of a local clock time on a local date. A time a spring-forward gap skips is read
        with the offset before the change (02:30 becomes 03:30 summer time); in an autumn overlap, the
        first of the two. ``time.max`` stands for 24:00: the midnight that ends the day."""
        found = self._at.get((day, clock))
        if found is None:
            if clock == time.max:
                found = self.at(day + DAY, time(0))
            else:
                found = self.instant(datetime.combine(day, clock).replace(tzinfo=self.zone, fold=0).astimezone(UTC))
            if len(self._at) > 100_000:  # the dates asked move on with time: forget the old ones now and then
                self._at.clear()
            self._at[(day, clock)] = found
        return found

    def occurrences(self, day: date, clock: time) -> tuple[datetime, ...]:
        """Every instant a local clock shows this time on this date: two in an autumn overlap (02:40 comes
        once in summer time, once again in winter time), else one."""
        first = self.at(day, clock)
        if clock == time.max:
            return (first,)
        second = self.instant(datetime.combine(day, clock).replace(tzinfo=self.zone, fold=1).astimezone(UTC))
        # Later only in an overlap; in a spring gap the second reading is an hour earlier, a time that never
        # showed on the clock: the gap's one occurrence is the instant it moved to (``first``).
        return (first, second) if second > first else (first,)

    def instant(self, moment: datetime) -> datetime:
        """The same instant, with the node's local UTC offset at that instant as a fixed offset."""
        local = moment.astimezone(UTC).astimezone(self.zone)
        offset = local.utcoffset()
        assert offset is not None  # an aware time in a ZoneInfo always has one
        return local.replace(tzinfo=timezone(offset))

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(UTC).astimezone(self.zone).date()

    def is_open_day(self, day: date) -> bool:
        return bool(self.spans(day))

    def closed_by_exception(self, day: date) -> bool:
        """Closed on this date by a dated exception (a public holiday, a closure), whatever its weekday."""
        return self.exceptions.get(day) == ()

    def exists(self, day: date, clock: time) -> bool:
        """Whether the local clock shows this time on this date: not in the hour a spring-forward skips."""
        if clock == time.max:
            return True
        moment = datetime.combine(day, clock).replace(tzinfo=self.zone)
        return moment.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) == datetime.combine(day, clock)

    def after_working(self, start: datetime, minutes: int) -> datetime | None:
        """The instant ``minutes`` of opening time after ``start`` (None beyond the horizon). With zero
        minutes: ``start`` if the node is open then, else its next opening."""
        start = self.instant(start)
        left = timedelta(minutes=minutes)
        day = self.local_date(start) - DAY  # the day before: its span may end at this day's midnight
        for _ in range(HORIZON_DAYS):
            for opens, closes in self.spans(day):
                begin = max(opens, start)
                if begin > closes or (begin == closes and left):
                    continue
                if begin + left <= closes:
                    return self.instant(begin + left)
                left -= closes - begin
            day += DAY
        return None

    def before_working(self, end: datetime, minutes: int) -> datetime | None:
        """The latest instant from which ``minutes`` of opening time end by ``end`` (None beyond the
        horizon): the order-by time for work that must be done by then. With zero minutes: the last
        moment the node is open up to ``end``."""
        end = self.instant(end)
        left = timedelta(minutes=minutes)
        day = self.local_date(end)
        for _ in range(HORIZON_DAYS):
            for opens, closes in reversed(self.spans(day)):
                finish = min(closes, end)
                if finish < opens or (finish == opens and left):
                    continue
                if finish - left >= opens:
                    return self.instant(finish - left)
                left -= finish - opens
            day -= DAY
        return None

    def next_open_days(self, start: date, *, include_start: bool = True) -> Iterator[date]:
        """Open local dates from ``start`` on, within the horizon."""
        day = start if include_start else start + DAY
        for _ in range(HORIZON_DAYS):
            if self.is_open_day(day):
                yield day
            day += DAY


def hours(opens: str, closes: str) -> Hours:
    """``("09:00", "19:30")`` → Hours; ``"24:00"`` closes at midnight (ValueError naming what is wrong)."""
    def minute(text: str) -> int:
        hh, sep, mm = text.partition(":")
        if not (sep and len(hh) == 2 and len(mm) == 2 and hh.isdigit() and mm.isdigit()) \
                or int(mm) > 59 or int(hh) * 60 + int(mm) > 1440:
            raise ValueError(f"{text!r} is not a HH:MM time between 00:00 and 24:00")
        return int(hh) * 60 + int(mm)

    span = Hours(minute(opens), minute(closes))
    if span.opens >= span.closes:
        raise ValueError(f"opens at {opens} but closes at {closes}")
    return span


def clock(text: str) -> time:
    """``"17:00"`` → time; ``"24:00"`` is the last instant of the day."""
    return time.max if text == "24:00" else time.fromisoformat(text)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def calendar_from(timezone: str, opening_hours: dict[str, list[list[str]]],
                  exceptions: dict[str, list[list[str]]], holidays: Iterable[date] = ()) -> Calendar:
    """A node's calendar from its stored shape: ``{"mon": [["09:00", "19:00"]], …}`` and
    ``{"2026-12-25": [], …}``, closed on the public ``holidays`` it keeps unless its own exceptions give
    those dates hours (a Sunday opening in December, a store open on 8 May)."""
    weekly = {i + 1: tuple(hours(*span) for span in opening_hours.get(day, ())) for i, day in enumerate(WEEKDAYS)}
    dated: dict[date, tuple[Hours, ...]] = dict.fromkeys(holidays, ())
    dated.update((date.fromisoformat(day), tuple(hours(*span) for span in spans)) for day, spans in exceptions.items())
    return Calendar(timezone, weekly, dated)
