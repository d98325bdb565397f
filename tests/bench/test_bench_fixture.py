"""The ``wasm_bench`` fixture in a user's test session."""

from __future__ import annotations

import pytest
from bench_test_support import SLOW_MODULE

pytestmark = pytest.mark.usefixtures("clean_env")


def test_wasm_bench_measures_the_module_under_test(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_cost(wasm_bench, wasm_module):
            result = wasm_bench(rounds=3, duration=0.3, protocols="h1")
            assert result.module_sha256 == wasm_module.sha256
            h1 = result.protocol("h1")
            assert len(h1.with_module.runs) == len(h1.without_module.runs) == 3
            assert h1.with_module.requests_per_second > 0 and h1.without_module.requests_per_second > 0
            # the configuration reached the module: 2 passes cost far less than the default 2000 (~1800 us
            # measured here); the median of 3 rounds is immune to one stalled run
            assert h1.cost_us_per_request < 1000
            with pytest.raises(KeyError, match="h2 was not measured"):
                result.protocol("h2")

        def test_bad_options(wasm_bench):
            with pytest.raises(TypeError, match="unknown wasm_bench options: speed"):
                wasm_bench(speed=3)
            with pytest.raises(TypeError, match="wasm_bench: rounds: 0 is out of range"):
                wasm_bench(rounds=0)
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--wasm", str(SLOW_MODULE), "--wasm-config", "2", "--wasm-no-conformance"
    )
    result.assert_outcomes(passed=2)
