"""Where the files that ship with the package live: the conformance suite and the Envoy templates.

In a wheel they sit under ``pytest_wasmhub/_bundled``; in a source checkout (or an editable install)
they are the top-level ``conformance/`` and ``envoy-configs/`` folders next to the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"pytest-wasmhub is installed without its {name}/ folder")


def conformance_dir() -> Path:
    """The shared conformance suite (a pytest test tree)."""
    return _locate("conformance")


def envoy_configs_dir() -> Path:
    """The Envoy bootstrap templates."""
    return _locate("envoy-configs")
