"""Marshmallow fields shared by every resource's schemas."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

from workspace.safe_text import one_line

TITLE_MAX = 200
MAX_ID = 2**31 - 1  # rows are keyed by PostgreSQL `integer`
MAX_EVENT_ID = 2**63 - 1  # events are keyed by `bigint`


def id_range(min: int = 1, max: int = MAX_ID) -> validate.Range:  # noqa: A002
    """Ids a client sends: past what the column holds is a 422, not an overflow."""
    return validate.Range(min=min, max=max)


def at_most(n: int) -> validate.Length:
    """A text's length limit, with the one wording every form shows."""
    return validate.Length(max=n, error=f"At most {n} characters.")


def iso_utc(value: datetime | str | None, timespec: str = "auto") -> str | None:
    """How every time leaves the server: ISO-8601 in UTC ending in `Z`."""
    if value is None or isinstance(value, str):  # already shaped
        return value
    return value.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


class UTCDateTime(fields.DateTime):
    """ISO-8601 in UTC with a `Z`; naive input is refused rather than guessed."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return iso_utc(value)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            raise ValidationError("Give a time zone, e.g. 2026-01-31T08:00:00Z.")
        return result.astimezone(UTC)


class SingleLine(fields.String):
    """Text that is one line wherever it goes (a title in a mail subject, a
    name in a header, a calendar summary): control characters removed and
    line breaks, tabs and runs of spaces made one space, before validation."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return one_line(super()._deserialize(value, attr, data, **kwargs))


def _visible(text: str) -> str:
    """The text without surrounding blanks; "" when nothing in it would show
    (spaces of any script, zero-width and other format characters)."""
    stripped = text.strip()
    if all(unicodedata.category(ch) in ("Zs", "Cf", "Cc", "Zl", "Zp") for ch in stripped):
        return ""
    return stripped


class TrimmedString(SingleLine):
    """A name people see as a link or heading: surrounding blanks are dropped, and
    unless `allow_blank`, a value with nothing visible is refused (an invisible
    link cannot be clicked or told apart)."""

    def __init__(self, *, allow_blank: bool = False, **kwargs: Any) -> None:
        self.allow_blank = allow_blank
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = _visible(super()._deserialize(value, attr, data, **kwargs))
        if not text and not self.allow_blank:
            raise ValidationError("Must not be blank: give at least one visible character.")
        return text


def Title(**kwargs: Any) -> fields.String:  # noqa: N802 - reads like a field class
    """Titles, labels and names: trimmed, required to show something, at most 200."""
    return TrimmedString(
        validate=validate.Length(min=1, max=TITLE_MAX, error="Must be 1 to 200 characters."),
        **kwargs,
    )


def OptionalTitle(**kwargs: Any) -> fields.String:  # noqa: N802
    """A title that may be left out ("" shows the object by its number): trimmed,
    so blanks alone mean no title rather than an invisible one."""
    return TrimmedString(
        allow_blank=True,
        validate=at_most(TITLE_MAX),
        **kwargs,
    )


class StrictInteger(fields.Integer):
    """JSON ids are numbers; a string "3" or true is a client bug worth telling."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)


def Id(**kwargs: Any) -> StrictInteger:  # noqa: N802 - reads like a field class
    """An id a client sends in a body: a JSON number from 1 to what the column
    holds. 0 is an id no row has, not "not given" (that is a missing key)."""
    return StrictInteger(validate=id_range(), **kwargs)


class IdList(fields.String):
    """Query-string ids, comma-separated ("3" or "3,8,21"): loaded as a
    sorted tuple without repeats; at most `most` of them."""

    def __init__(self, most: int, **kwargs: Any) -> None:
        self.most = most
        kwargs.setdefault("metadata", {}).setdefault("pattern", r"^\d+(,\d+)*$")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[int, ...]:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not all(p.isascii() and p.isdigit() for p in text.split(",")):
            raise ValidationError("Give ids as positive whole numbers, comma-separated.")
        ids = tuple(sorted({int(p) for p in text.split(",")}))
        if not all(1 <= i <= MAX_ID for i in ids):
            raise ValidationError(f"Ids run from 1 to {MAX_ID}.")
        if len(ids) > self.most:
            raise ValidationError(f"At most {self.most} ids.")
        return ids
