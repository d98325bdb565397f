"""Benchmark options: every bound enforced, with a message naming the option."""

from __future__ import annotations

import pytest

from pytest_wasmhub.bench import BenchOptionError, BenchOptions
from pytest_wasmhub.bench.options import COUNT_TIME_LIMIT, DEFAULT_DURATION, TIME_LIMIT_MARGIN


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rounds": 0}, "rounds: 0 is out of range (1 to 100)"),
        ({"duration": 0.01}, "duration: 0.01 is out of range (0.1 to 600)"),
        ({"duration": 601}, "duration: 601 is out of range"),
        ({"requests": 0}, "requests: 0 is out of range"),
        ({"body_size": -1}, "body-size: -1 is out of range (0 to 16777216)"),
        ({"connections": 0}, "connections: 0 is out of range"),
        ({"streams": 1001}, "streams: 1001 is out of range"),
        ({"threads": 5}, "threads: 5 is more than the 4 connections"),
        ({"requests": 2}, "requests: 2 is fewer than the 4 connections"),
        ({"requests": 100, "duration": 1.0}, "requests and duration: give one bound per run, not both"),
        ({"protocols": ("h3",)}, "protocol: h3; choose from h1, h2"),
        ({"protocols": ()}, "protocol: none given"),
        ({"rounds": "5"}, "rounds: '5' is not a number"),
    ],
)
def test_out_of_bounds_options_are_refused(options, message):
    with pytest.raises(BenchOptionError) as refused:
        BenchOptions(**options)
    assert str(refused.value).startswith(message)


def test_each_run_is_bounded_in_time():
    timed = BenchOptions()
    assert timed.run_duration == DEFAULT_DURATION
    assert timed.time_limit == DEFAULT_DURATION + TIME_LIMIT_MARGIN
    counted = BenchOptions(requests=1000)
    assert counted.run_duration is None and counted.time_limit == COUNT_TIME_LIMIT
    assert BenchOptions(duration=2, run_time_limit=5).time_limit == 5


def test_streams_default_per_protocol_and_a_single_protocol_string():
    options = BenchOptions(protocols="h2")
    assert options.protocols == ("h2",)
    assert (BenchOptions().streams_for("h1"), options.streams_for("h2")) == (1, 8)
    assert BenchOptions(streams=3).streams_for("h2") == 3
