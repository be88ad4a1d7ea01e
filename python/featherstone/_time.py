"""Timestamps and durations as the engine reads them: UTC microseconds; naive = UTC."""

from __future__ import annotations

import datetime as _dt
from typing import Union

from . import _featherstone as _native
from ._errors import DefinitionError, ValidationError

TimeLike = Union[_dt.datetime, _dt.date, str, int]
DurationLike = Union[str, int, _dt.timedelta]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MICRO = _dt.timedelta(microseconds=1)


def to_micros(value: TimeLike, what: str = "time") -> int:
    """UTC microseconds of a datetime (naive = UTC; aware converted), a date (midnight UTC),
    an ISO-8601 string (no offset = UTC) or an integer epoch in s, ms or µs (by magnitude,
    as the CLI reads it)."""
    if isinstance(value, _dt.datetime):  # also pandas.Timestamp
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return (value - _EPOCH) // _MICRO
    if isinstance(value, _dt.date):
        return to_micros(_dt.datetime(value.year, value.month, value.day), what)
    if isinstance(value, bool):
        raise ValidationError(f"{what}: expected a datetime, ISO-8601 string or epoch, got a bool")
    if isinstance(value, int):
        return _native.parse_timestamp(str(value))
    if isinstance(value, str):
        try:
            return _native.parse_timestamp(value)
        except ValidationError as e:
            raise ValidationError(f"{what}: {e}") from None
    if hasattr(value, "to_pydatetime"):  # numpy.datetime64 via pandas, etc.
        return to_micros(value.to_pydatetime(), what)
    raise ValidationError(
        f"{what}: expected a datetime, ISO-8601 string or epoch, got {type(value).__name__}")


def from_micros(micros: int) -> _dt.datetime:
    """An aware UTC datetime."""
    return _EPOCH + _dt.timedelta(microseconds=micros)


def duration_text(value: DurationLike, what: str = "duration") -> str:
    """The engine's duration text: '30d', '12h', '90s', '0'. Accepts that text, a timedelta
    (whole seconds) or an int number of seconds. The engine validates the text."""
    if isinstance(value, _dt.timedelta):
        micros = value // _MICRO
        if micros < 0 or micros % 1_000_000:
            raise DefinitionError(f"{what}: {value!r} is not a non-negative whole number of seconds")
        return _native.format_duration(micros)
    if isinstance(value, bool):
        raise DefinitionError(f"{what}: expected text like '30d', a timedelta or seconds, got a bool")
    if isinstance(value, int):
        if value < 0:
            raise DefinitionError(f"{what}: {value} is negative")
        return _native.format_duration(value * 1_000_000)
    if isinstance(value, str):
        return value
    raise DefinitionError(
        f"{what}: expected text like '30d', a timedelta or seconds, got {type(value).__name__}")
