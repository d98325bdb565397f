"""pytest-wasmhub: test proxy-wasm modules against a real Envoy.

The package is a library first (``pytest_wasmhub.module``, ``pytest_wasmhub.envoy``) and a pytest plugin
second (``pytest_wasmhub.plugin``, a thin layer of options and fixtures over the library).
"""

from __future__ import annotations

__version__ = "0.1.0"
