"""How a conformance case declares what it is: one decorator, used by every case.

    @case("ENVOY-LOAD-001", area="envoy", level=MUST,
          title="The module loads in Envoy and a request passes through it",
          spec="Envoy must start with the module as an HTTP filter and proxy a request through it.")
    def test_module_loads(envoy): ...

The decorator records the metadata in one registry (``wasmhub cases`` and the reports read it) and
marks the test with ``wasm_case``, so the plugin can tag it for selection (``-m wasm_must``) and
reporting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

MUST = "MUST"
SHOULD = "SHOULD"
LEVELS = (MUST, SHOULD)
AREAS = ("abi", "spec", "envoy", "traffic", "network", "service", "isolation", "policy", "host")
ABI_VERSIONS = ("0.1.0", "0.2.0", "0.2.1")
CASE_ID = re.compile(r"^[A-Z]+(?:-[A-Z0-9]+)*-\d{3}$")
NOT_APPLICABLE_PREFIX = "not applicable: "

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CaseInfo:
    """The identity of one conformance case. Ids are stable: never reused once published."""

    id: str
    title: str
    area: str
    level: str
    spec: str  # the spec sentence or measured host fact the case enforces
    abi_versions: tuple[str, ...] = ABI_VERSIONS
    # where the sentence comes from: a public URL, or a section of the project's docs (host-facts.md)
    reference: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "level": self.level,
            "spec": self.spec,
            "abi_versions": list(self.abi_versions),
            "reference": self.reference,
        }


REGISTRY: dict[str, CaseInfo] = {}


class CaseDefinitionError(ValueError):
    """A case declares bad metadata; raised at import, so the suite never runs half-described."""


def case(
    case_id: str,
    *,
    title: str,
    area: str,
    level: str,
    spec: str,
    abi_versions: tuple[str, ...] = ABI_VERSIONS,
    reference: str = "",
) -> Callable[[F], F]:
    """Declare a test function as the conformance case ``case_id``."""
    info = CaseInfo(case_id, title, area, level, spec, tuple(abi_versions), reference)
    _validate(info)

    def decorate(func: F) -> F:
        where = f"{func.__module__}.{func.__qualname__}"
        known = REGISTRY.get(case_id)
        if known is not None and known != info:
            raise CaseDefinitionError(f"case id {case_id} is declared twice ({where})")
        REGISTRY[case_id] = info
        func.__wasm_case__ = info  # type: ignore[attr-defined]
        return pytest.mark.wasm_case(info)(func)

    return decorate


def not_applicable(reason: str) -> None:
    """End the current case as not applicable to this module (reported apart from a skip)."""
    __tracebackhide__ = True
    pytest.skip(NOT_APPLICABLE_PREFIX + reason)


def case_of(item: pytest.Item) -> CaseInfo | None:
    marker = item.get_closest_marker("wasm_case")
    return marker.args[0] if marker and marker.args else None


def _validate(info: CaseInfo) -> None:
    problems = []
    if not CASE_ID.match(info.id):
        problems.append(f"id {info.id!r} is not of the form AREA-TOPIC-NNN")
    if info.level not in LEVELS:
        problems.append(f"level {info.level!r} is not one of {', '.join(LEVELS)}")
    if info.area not in AREAS:
        problems.append(f"area {info.area!r} is not one of {', '.join(AREAS)}")
    if not info.title.strip() or not info.spec.strip():
        problems.append("title and spec must say what the case enforces")
    unknown = set(info.abi_versions) - set(ABI_VERSIONS)
    if unknown:
        problems.append(f"unknown ABI versions {sorted(unknown)}")
    if problems:
        raise CaseDefinitionError(f"case {info.id}: " + "; ".join(problems))
