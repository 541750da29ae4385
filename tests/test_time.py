"""The one time parser reads every form Graph writes and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from breakglass._time import graph_time, iso_utc, parse_graph_time, parse_iso_utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-15T14:26:40Z", datetime(2025, 6, 15, 14, 26, 40, tzinfo=UTC)),
        ("2025-06-15T14:26:40.1234567Z", datetime(2025, 6, 15, 14, 26, 40, 123456, tzinfo=UTC)),
        ("2025-06-15T14:26:40.5Z", datetime(2025, 6, 15, 14, 26, 40, 500000, tzinfo=UTC)),
        ("2025-06-15T16:26:40+02:00", datetime(2025, 6, 15, 14, 26, 40, tzinfo=UTC)),
        ("2025-06-15T14:26:40", datetime(2025, 6, 15, 14, 26, 40, tzinfo=UTC)),
        ("2025-06-15T14:26Z", datetime(2025, 6, 15, 14, 26, tzinfo=UTC)),
    ],
)
def test_graph_forms_parse_to_aware_utc(text: str, expected: datetime) -> None:
    """Every timestamp form Graph writes becomes the same aware UTC moment."""
    assert parse_graph_time(text) == expected


@pytest.mark.parametrize(
    "value", [None, "", "  ", "0001-01-01T00:00:00Z", "yesterday", "2025-13-40T00:00:00Z", 17]
)
def test_never_and_garbage_are_none(value: object) -> None:
    """Graph's "never" sentinel, empty strings, non-strings and nonsense are not times."""
    assert parse_graph_time(value) is None


def test_the_simulator_reads_the_never_sentinel_literally() -> None:
    """With ``never_as_none=False`` year 1 is a real (if odd) time, as Graph stores it."""
    assert parse_graph_time("0001-01-01T00:00:00Z", never_as_none=False) == datetime(
        1, 1, 1, tzinfo=UTC
    )


def test_datetimes_pass_through_as_utc() -> None:
    """A datetime is returned in UTC; a naive one is taken to be UTC (database rows)."""
    cet = timezone(timedelta(hours=1))
    assert parse_graph_time(datetime(2025, 1, 1, 13, tzinfo=cet)) == datetime(
        2025, 1, 1, 12, tzinfo=UTC
    )
    assert parse_graph_time(datetime(2025, 1, 1, 12)) == datetime(2025, 1, 1, 12, tzinfo=UTC)


def test_filter_form_rounds_up_for_inclusive_upper_bounds() -> None:
    """``le`` bounds round a fractional second up so the moment itself stays inside."""
    moment = datetime(2025, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)
    assert graph_time(moment) == "2025-01-01T12:00:00Z"
    assert graph_time(moment, round_up=True) == "2025-01-01T12:00:01Z"


def test_our_own_stamps_round_trip_and_refuse_naive() -> None:
    """What we write we read back; a naive stamp is refused, never guessed."""
    moment = datetime(2025, 6, 15, 14, 26, 40, tzinfo=UTC)
    assert parse_iso_utc(iso_utc(moment)) == moment
    with pytest.raises(ValueError, match="timezone"):
        parse_iso_utc("2025-06-15T14:26:40")
    with pytest.raises(ValueError, match="naive"):
        iso_utc(datetime(2025, 6, 15))
