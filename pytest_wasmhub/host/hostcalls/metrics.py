"""Metrics: ``proxy_define_metric``, ``proxy_increment_metric``, ``proxy_record_metric``,
``proxy_get_metric``, with Envoy's rules (a counter only goes up; a histogram cannot be read)."""

from __future__ import annotations

from ..codes import MetricType, Status
from ..metrics import TYPE_MASK
from .base import Call, env_function


@env_function()
def proxy_define_metric(
    call: Call, metric_type: int, name_ptr: int, name_size: int, return_id_ptr: int
) -> int:
    name = call.read_text(name_ptr, name_size)
    if metric_type > max(MetricType):
        call.note(name=name)
        return Status.BAD_ARGUMENT
    call.note(type=MetricType(metric_type).name, name=name)
    metric_id = call.host.metrics.define(metric_type, name)
    call.write_u32(return_id_ptr, metric_id)
    call.note(metric_id=metric_id)
    return Status.OK


def _signed64(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >> 63 else value


@env_function()
def proxy_increment_metric(call: Call, metric_id: int, offset: int) -> int:
    offset = _signed64(offset)
    metric = call.host.metrics.lookup(metric_id)
    call.note(name=metric.name if metric else None, offset=offset)
    kind = metric_id & TYPE_MASK
    if kind == MetricType.COUNTER:
        if metric is None:
            return Status.NOT_FOUND
        if offset <= 0:
            return Status.BAD_ARGUMENT
        metric.value += offset
        return Status.OK
    if kind == MetricType.GAUGE:
        if metric is None:
            return Status.NOT_FOUND
        metric.value += offset
        return Status.OK
    return Status.BAD_ARGUMENT


@env_function()
def proxy_record_metric(call: Call, metric_id: int, value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    metric = call.host.metrics.lookup(metric_id)
    call.note(name=metric.name if metric else None, value=value)
    if metric is None or metric_id & TYPE_MASK > MetricType.HISTOGRAM:
        return Status.NOT_FOUND
    kind = metric_id & TYPE_MASK
    if kind == MetricType.COUNTER:
        metric.value += value
    elif kind == MetricType.GAUGE:
        metric.value = value
    else:
        metric.samples.append(value)
    return Status.OK


@env_function()
def proxy_get_metric(call: Call, metric_id: int, return_value_ptr: int) -> int:
    metric = call.host.metrics.lookup(metric_id)
    call.note(name=metric.name if metric else None)
    if metric_id & TYPE_MASK not in (MetricType.COUNTER, MetricType.GAUGE):
        return Status.BAD_ARGUMENT
    if metric is None:
        return Status.NOT_FOUND
    call.write_u64(return_value_ptr, metric.value)
    return Status.OK
