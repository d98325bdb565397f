"""What the host expects back from each callback: an action, a boolean, or nothing."""

from __future__ import annotations

from .codes import Action

# callbacks whose i32 result is a proxy_action_t
ACTION_CALLBACKS = frozenset(
    {
        "proxy_on_request_headers",
        "proxy_on_request_body",
        "proxy_on_request_trailers",
        "proxy_on_response_headers",
        "proxy_on_response_body",
        "proxy_on_response_trailers",
        "proxy_on_new_connection",
        "proxy_on_downstream_data",
        "proxy_on_upstream_data",
    }
)
# callbacks whose i32 result is a boolean
BOOL_CALLBACKS = frozenset({"proxy_on_vm_start", "proxy_on_configure", "proxy_on_done"})

VALID_ACTIONS = frozenset(int(a) for a in Action)
_ACTION_NAMES = {int(a): a.name for a in Action}
VALID_BOOLS = frozenset({0, 1})

END_OF_STREAM = ("proxy_on_log", "proxy_on_done", "proxy_on_delete")


# callback -> the results the ABI allows it (one lookup for every callback the host makes)
VALID_RESULTS = {
    **dict.fromkeys(ACTION_CALLBACKS, VALID_ACTIONS),
    **dict.fromkeys(BOOL_CALLBACKS, VALID_BOOLS),
}


def valid_results(callback: str) -> frozenset[int] | None:
    """The results the ABI allows for ``callback``; None when it returns nothing the host interprets."""
    return VALID_RESULTS.get(callback)


def describe_result(callback: str, value: int | None) -> str | None:
    """How a recorded callback result reads (see ``RESULT_NAMES`` for the valid ones at once)."""
    if value is None:
        return None
    if callback in ACTION_CALLBACKS:
        name = _ACTION_NAMES.get(value)
        return f"{value} (not an action)" if name is None else name
    if callback in BOOL_CALLBACKS:
        return {0: "false", 1: "true"}.get(value, f"{value} (not a boolean)")
    return None


# (callback, valid result) -> what ``describe_result`` says of it, in one lookup
RESULT_NAMES = {
    **{(c, v): name for c in ACTION_CALLBACKS for v, name in _ACTION_NAMES.items()},
    **{(c, v): name for c in BOOL_CALLBACKS for v, name in ((0, "false"), (1, "true"))},
}
