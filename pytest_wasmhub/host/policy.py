"""Failure policies: what the host does with the VM and with streams after a guest failure.

Modelled on Envoy's ``PluginConfig`` as measured on Envoy 1.36-1.40 (docs/host-facts.md#failure-policies):
a trap in a stream callback fails that stream with a local 503 ``wasm_fail_stream`` under every policy
except the deprecated ``fail_open: true``, which lets it continue without the filter.
"""

from __future__ import annotations

from enum import Enum


class FailurePolicy(Enum):
    FAIL_CLOSED = "FAIL_CLOSED"  # the VM stays failed; every later stream gets 503
    FAIL_OPEN = "FAIL_OPEN"  # the failing stream gets 503; later streams bypass the filter
    FAIL_RELOAD = "FAIL_RELOAD"  # 503 until the back-off has passed, then a fresh VM
    FAIL_OPEN_LEGACY = "fail_open"  # deprecated ``fail_open: true``: even the failing stream continues

    @classmethod
    def parse(cls, value: FailurePolicy | str | None) -> FailurePolicy:
        if value is None:
            return cls.FAIL_CLOSED
        if isinstance(value, FailurePolicy):
            return value
        for member in cls:
            if value in (member.name, member.value) or value.upper() == member.name:
                return member
        names = ", ".join(m.name for m in cls)
        raise ValueError(f"failure policy {value!r} is not one of {names}")

    @property
    def fails_current_stream(self) -> bool:
        return self is not FailurePolicy.FAIL_OPEN_LEGACY

    @property
    def bypasses_later_streams(self) -> bool:
        return self in (FailurePolicy.FAIL_OPEN, FailurePolicy.FAIL_OPEN_LEGACY)


# Envoy's ReloadConfig.backoff default base interval
DEFAULT_RELOAD_BACKOFF_MS = 1000.0
