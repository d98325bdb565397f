"""Metrics the module defines, with Envoy's numbering: a metric id carries its type in the low two
bits (counter 0, gauge 1, histogram 2) and ids step by 4 (Envoy ``Wasm::nextCounterMetricId`` ...)."""

from __future__ import annotations

from dataclasses import dataclass, field

TYPE_MASK = 0x3
ID_STEP = 0x4
TYPE_NAMES = {0: "counter", 1: "gauge", 2: "histogram"}


@dataclass
class Metric:
    name: str
    type: str  # "counter" | "gauge" | "histogram"
    value: int = 0
    samples: list[int] = field(default_factory=list)  # histogram records


class Metrics:
    """The stat store (by name: it outlives a VM reload, as Envoy's stats do) and the VM's metric ids."""

    def __init__(self) -> None:
        self.by_name: dict[str, Metric] = {}
        self._ids: dict[int, Metric] = {}
        self._next = {0: 0, 1: 1, 2: 2}

    def reset_ids(self) -> None:
        """A new VM numbers its metrics again; the values stay."""
        self._ids.clear()
        self._next = {0: 0, 1: 1, 2: 2}

    def define(self, metric_type: int, name: str) -> int:
        kind = TYPE_NAMES[metric_type]
        metric = self.by_name.get(name)
        if metric is None or metric.type != kind:
            metric = self.by_name[name] = Metric(name, kind)
        metric_id = self._next[metric_type]
        self._next[metric_type] += ID_STEP
        self._ids[metric_id] = metric
        return metric_id

    def lookup(self, metric_id: int) -> Metric | None:
        return self._ids.get(metric_id)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __getitem__(self, name: str) -> Metric:
        return self.by_name[name]

    def values(self) -> dict[str, int]:
        return {name: m.value for name, m in self.by_name.items()}
