"""The check-in load benchmark in its quick mode: its closed loop and its checks work, and no number
is given twice or skipped under concurrent check-ins (throughput is the benchmark's business, not a test's)."""

import pytest

from benchmarks import checkin_load

pytestmark = pytest.mark.e2e


def test_concurrent_check_ins_get_every_number_once() -> None:
    # Given the local runtime on SQLite with one API container (one cold start: a second of warm-up is
    # enough), when 8 front desks check people in for 3 seconds
    result = checkin_load.run(checkin_load.parse(["--quick", "--sqlite", "--api-workers", "1", "--warmup", "1"]))
    # Then every check-in was answered, and the numbers are 1..n, once each, every ticket parked
    assert result.errors == {}
    assert result.answered > 0
    assert (result.duplicates, result.new.missing) == (0, 0)
    assert result.new.stored == result.new.parked == result.answered
    assert result.consistent
