"""The session's long-lived objects are kept off the cycle collector, and handed back where it matters."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from pytest_wasmhub import heap


def test_a_session_inside_a_session_hands_back_what_it_set_aside(pytester):
    pytester.makepyfile("def test_nothing(): pass")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    # pytester's run ended inside this session: nothing of it stays set aside
    assert gc.get_freeze_count() == 0


def test_objects_made_during_a_session_are_still_collected(pytester):
    pytester.makepyfile(
        """
        import gc, weakref

        class Node:
            pass

        def test_cycle_is_collected():
            node = Node()
            node.me = node
            alive = weakref.ref(node)
            del node
            gc.collect()
            assert alive() is None
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_sessions_one_after_another_get_the_earlier_objects_back():
    # a fresh process: the outermost sessions of a process that runs pytest.main() repeatedly
    script = textwrap.dedent(
        """
        import gc, weakref
        from pytest_wasmhub import heap

        class Node:
            pass

        first, second = object(), object()
        heap.settle(first)
        heap.release(first)
        assert gc.get_freeze_count() > 0, "the outermost session leaves its objects set aside"
        node = Node()
        node.me = node  # garbage of the first session, set aside with it
        gc.freeze()
        alive = weakref.ref(node)
        del node
        heap.settle(second)
        assert alive() is None, "the next session starts by collecting the earlier one's garbage"
        heap.release(second)
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_session_that_never_collected_releases_nothing():
    before = gc.get_freeze_count()
    heap.release(object())
    assert gc.get_freeze_count() == before
