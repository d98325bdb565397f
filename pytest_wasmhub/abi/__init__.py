"""The proxy-wasm ABI as data, host profiles, and the static module inspector.

from pytest_wasmhub.abi import load_abi, ABI_VERSIONS, host_profile, Signature
abi = load_abi("0.2.1"); abi.callbacks["proxy_on_request_headers"]  # Signature(("i32",)*3, ("i32",))
host_profile("envoy").imports("0.2.1")[("env", "proxy_log")]

from pytest_wasmhub.abi import inspect_bytes
inspection = inspect_bytes(data, host="envoy"); inspection.findings; inspection.refused_by_host
"""

from __future__ import annotations

from .hosts import DEFAULT_HOST, HOST_PROFILES, HostProfile, host_profile
from .model import ABI_VERSIONS, AbiDataError, AbiVersion, Signature, load_abi, marker_name, version_of_marker

__all__ = [
    "ABI_VERSIONS",
    "DEFAULT_HOST",
    "HOST_PROFILES",
    "AbiDataError",
    "AbiVersion",
    "HostProfile",
    "Signature",
    "host_profile",
    "load_abi",
    "marker_name",
    "version_of_marker",
]
