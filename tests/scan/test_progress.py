"""Progress: a bar redrawn in place on a terminal, one plain line per run in a CI log."""

from __future__ import annotations

import io

from pytest_wasmhub.scan.progress import Progress


def test_a_terminal_gets_a_bar_redrawn_in_place() -> None:
    stream = io.StringIO()
    progress = Progress(4, stream, tty=True)
    progress.skip("a on Envoy 1.40.0")
    progress.running(["b on Envoy 1.40.0"])
    progress.done("b on Envoy 1.40.0", "conformant", 6.0, "")
    text = stream.getvalue()
    assert "\r\x1b[2K[###############...............] 2/4" in text
    assert "| b on Envoy 1.40.0" in text
    assert "[2/4] b on Envoy 1.40.0: conformant in 6.0 s\n" in text
    assert "already done" not in text  # a skip only moves the bar


def test_a_log_gets_plain_lines_without_control_characters() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream, tty=False)
    progress.skip("a on Envoy 1.40.0")
    progress.running(["b on Envoy 1.40.0"])
    progress.done("b on Envoy 1.40.0", "timeout", 30.0, "killed after 30 s, the time limit")
    progress.close()
    assert stream.getvalue() == (
        "[1/2] a on Envoy 1.40.0: already done, skipped\n"
        "[2/2] b on Envoy 1.40.0: timeout (killed after 30 s, the time limit) in 30.0 s\n"
    )
