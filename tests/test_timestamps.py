from datetime import datetime, timedelta, timezone

import pytest

from generator.timestamps import TimestampError, format_duration, parse_duration, parse_timestamp, zone

BERLIN = zone("Europe/Berlin")
UTC = timezone.utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-26 14:02 UTC", datetime(2026, 11, 26, 14, 2, tzinfo=UTC)),
        ("2026-11-26 09:02 -05:00", datetime(2026, 11, 26, 14, 2, tzinfo=UTC)),
        ("2026-11-26T14:02:00Z", datetime(2026, 11, 26, 14, 2, tzinfo=UTC)),
        ("2026-11-26 09:02 America/New_York", datetime(2026, 11, 26, 14, 2, tzinfo=UTC)),
        ("2026-11-26 15:02", datetime(2026, 11, 26, 14, 2, tzinfo=UTC)),  # site zone: Berlin, CET
        ("2026-07-01 15:02", datetime(2026, 7, 1, 13, 2, tzinfo=UTC)),  # CEST
        ("2026-11-26 14:02:30.5 +0000", datetime(2026, 11, 26, 14, 2, 30, 500000, tzinfo=UTC)),
        ("2026-10-25 02:30 +02:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # an offset settles DST
    ],
)
def test_accepted_forms(text, expected):
    assert parse_timestamp(text, BERLIN) == expected


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("2026-11-26", "cannot read timestamp"),
        ("tomorrow 14:00", "cannot read timestamp"),
        ("2026-02-30 10:00 UTC", "not a real date"),
        ("2026-11-26 10:00 Nowhere/City", 'unknown time zone "Nowhere/City"'),
        ("2026-11-26 10:00 +25:00", "bad UTC offset"),
        ("2026-03-29 02:30", "does not exist in Europe/Berlin"),
        ("2026-10-25 02:30", "ambiguous in Europe/Berlin"),
        ("2026-11-01 01:30 America/New_York", "ambiguous in America/New_York"),
    ],
)
def test_rejected_forms(text, fragment):
    with pytest.raises(TimestampError, match=fragment):
        parse_timestamp(text, BERLIN)


def test_durations():
    assert parse_duration("48h") == timedelta(hours=48)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration(600) == timedelta(minutes=10)
    with pytest.raises(TimestampError):
        parse_duration("soon")
    assert format_duration(timedelta(minutes=50)) == "50m"
    assert format_duration(timedelta(hours=26, minutes=5)) == "1d 2h"
