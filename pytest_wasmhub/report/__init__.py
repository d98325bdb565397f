"""Conformance results: one outcome per case (and Envoy version), the verdict that gates a registry's
CI, and the reports that carry both (JSON with a published schema, self-contained HTML, JUnit XML).

The library has no pytest state; ``pytest_wasmhub.report.plugin`` feeds it from the test reports.
"""
