"""Statuses a test forces on host calls, to see how the module copes with each one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Injection:
    function: str  # a host function name, e.g. "proxy_get_header_map_value"
    status: int
    remaining: int | None = None  # None: every call
    within: str | None = None  # only calls made from this callback
    as_envoy: bool = False  # only calls Envoy could answer with this status (its answers table)
    used: int = 0


class Faults:
    def __init__(self) -> None:
        self.rules: list[Injection] = []

    def add(self, rule: Injection) -> Injection:
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def take(
        self, function: str, callback: str | None, envoy_can: Callable[[int], bool] | None = None
    ) -> int | None:
        """The status to return instead of running ``function``, or None to run it. ``envoy_can``
        tells whether Envoy could answer a status to this very call (for ``as_envoy`` rules)."""
        for rule in self.rules:
            if rule.function != function or (rule.within is not None and rule.within != callback):
                continue
            if rule.as_envoy and (envoy_can is None or not envoy_can(rule.status)):
                continue
            if rule.remaining is not None:
                if rule.remaining <= 0:
                    continue
                rule.remaining -= 1
            rule.used += 1
            return rule.status
        return None
