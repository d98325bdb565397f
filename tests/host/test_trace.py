"""The call record: numbering, and what each stream's result lists."""

from __future__ import annotations

from pytest_wasmhub.host import ProxyWasmHost
from pytest_wasmhub.host.callbacks import ACTION_CALLBACKS, BOOL_CALLBACKS, RESULT_NAMES, describe_result
from pytest_wasmhub.host.trace import CALLBACK, CallRecord, Trace


def test_since_lists_exactly_the_records_numbered_from_there_on():
    trace = Trace(limit=50)
    for n in range(400):
        trace.enabled = n % 7 not in (3, 4)  # stretches with recording off: numbers without records
        if trace.enabled:
            trace.add(CallRecord(0, CALLBACK, f"c{n}", {}))
        else:
            trace.skip()
    for seq in range(0, trace.seq + 3):
        assert trace.since(seq) == [r for r in trace.records if r.seq >= seq], seq


def test_a_streams_calls_are_its_own_whether_recording_is_on_off_or_turned_on_midway(behaviours):
    host = ProxyWasmHost(behaviours).start()
    on = host.http_request().calls
    assert on[0].name == "proxy_on_context_create" and on[-1].name == "proxy_on_delete"
    host.trace.enabled = False
    assert host.http_request().calls == []
    stream = host.start_request("POST", "/", body=b"x")
    host.trace.enabled = True
    late = stream.finish().calls
    assert late and late[0].seq > on[-1].seq and late[-1].name == "proxy_on_delete"
    assert host.http_request().calls[0].seq == late[-1].seq + 1


def test_a_record_made_in_one_step_is_the_record_made_the_long_way():
    short, long = Trace(), Trace()
    made = short.record(CALLBACK, "proxy_on_tick", {"args": (1,)}, 1, "x", 2)
    assert made == long.add(CallRecord(0, CALLBACK, "proxy_on_tick", {"args": (1,)}, 1, "x", 2))
    assert short.records == long.records and short.seq == long.seq == 1
    assert made.notes is not short.record(CALLBACK, "b", {}, None, None, 0).notes


def test_the_table_of_result_names_says_what_describe_result_says():
    callbacks = [*sorted(ACTION_CALLBACKS | BOOL_CALLBACKS), "proxy_on_tick"]
    for callback in callbacks:
        for value in [None, *range(-2, 12), 1 << 31]:
            fast = RESULT_NAMES.get((callback, value)) or describe_result(callback, value)
            assert fast == describe_result(callback, value), (callback, value)
