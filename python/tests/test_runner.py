"""Starting, following, interrupting and resuming runs from Python."""

import time

import pytest

import trellis
from conftest import flow_binary


@pytest.fixture()
def stores(fresh_stores):
    trellis.connect(**fresh_stores.kw)
    return fresh_stores.kw


def test_run_blocks_and_returns_the_run(stores):
    run = trellis.Runner(flow_binary("linear"), **stores).run(start_at=5, show_output=False)
    assert isinstance(run, trellis.Run) and run.successful
    assert run.parameters == {"start-at": 5} and run.data.count == 8
    assert trellis.Flow("Linear").latest_run.pathspec == run.pathspec


def test_async_run_has_live_status_and_waits(stores):
    ex = trellis.Runner(flow_binary("failing"), **stores, env={"TRELLIS_EXAMPLE_FIXED": "1"}) \
        .async_run(sleep_ms=300)
    run = ex.run  # as soon as the run exists
    assert run.status == "running" and ex.status == "running" and ex.returncode is None
    ex.wait(timeout=120)
    assert ex.returncode == 0 and ex.status == "succeeded"
    assert run.successful and run.finished_at is not None  # the same object, re-read
    assert "run succeeded" in ex.output


def test_terminate_interrupts_the_run(stores):
    ex = trellis.Runner(flow_binary("failing"), **stores).async_run(sleep_ms=20000)
    run = ex.run
    t0 = time.monotonic()
    ex.terminate()
    assert time.monotonic() - t0 < 20
    assert ex.returncode != 0 and run.status == "failed"


def test_a_bad_parameter_is_an_error_with_the_flows_message(stores):
    with pytest.raises(trellis.RunnerError, match="start-at"):
        trellis.Runner(flow_binary("linear"), **stores).run(start_at="seven", show_output=False)
    with pytest.raises(FileNotFoundError, match="no-such-flow"):
        trellis.Runner("/no-such-flow")


def test_resume_finishes_a_failed_run(stores):
    runner = trellis.Runner(flow_binary("failing"), **stores)
    failed = runner.run(show_output=False)
    assert failed.status == "failed"
    fixed = trellis.Runner(flow_binary("failing"), **stores, env={"TRELLIS_EXAMPLE_FIXED": "1"})
    resumed = fixed.resume(origin_run_id=failed.run_id, show_output=False)
    assert resumed.successful and resumed.origin_run.pathspec == failed.pathspec
    assert resumed["start"].task.cloned_from is not None
    assert resumed["evaluate"].task.cloned_from is None
