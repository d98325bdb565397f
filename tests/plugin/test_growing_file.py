"""Envoy's log and access records are read as files that grow; in a directory a container writes to,
a link or a FIFO planted where the file should be reads as nothing (the suite runs as another user)."""

from __future__ import annotations

import os

from pytest_wasmhub.envoy.growing import GrowingFile


def test_only_what_was_appended_is_read_and_a_split_character_waits(tmp_path):
    path = tmp_path / "log"
    log = GrowingFile(path)
    assert log.read() == ""
    path.write_bytes("one é".encode()[:-1])
    assert log.read() == "one "
    with path.open("ab") as out:
        out.write("é".encode()[-1:] + b"\ntwo\n")
    assert log.read() == "one é\ntwo\n"


def test_a_planted_link_or_fifo_reads_as_nothing(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("not Envoy's\n")
    link = tmp_path / "envoy.log"
    link.symlink_to(secret)
    assert GrowingFile(link, follow_links=False).read() == ""
    assert GrowingFile(link).read() == "not Envoy's\n"  # the process backend's own files
    fifo = tmp_path / "access.log"
    os.mkfifo(fifo)
    assert GrowingFile(fifo, follow_links=False).read() == ""  # returns at once
