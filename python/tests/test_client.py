"""The Metaflow-shaped client over real runs of the example flows."""

import datetime
import re

import numpy as np
import pytest

import trellis


def test_flows_and_runs_newest_first(client):
    names = [f.id for f in trellis.flows()]
    assert {"Linear", "Artifacts", "Tracking", "Foreach", "Failing"} <= set(names)
    flow = trellis.Flow("Linear")
    assert [r.id for r in flow] == ["2", "1"]
    assert flow.latest_run.pathspec == "Linear/2"
    assert flow["1"].parameters == {"start-at": 0}
    assert trellis.Flow("Failing").latest_successful_run is None


def test_a_run_reads_like_metaflow(client):
    run = trellis.Run("Linear/2")
    assert run.successful and run.finished and run.status == "succeeded"
    assert isinstance(run.finished_at, datetime.datetime)
    assert run.created_at <= run.finished_at
    assert run.parameters == {"start-at": 10}
    assert {"sweep", "best"} <= run.tags
    assert re.fullmatch(r"[0-9a-f]{64}", run.code["binary_sha256"])
    assert [s.id for s in run] == ["start", "one", "two", "three", "end"]
    assert run.data.count == 13  # the end step's artifacts, as Metaflow's run.data
    assert run["two"].task.data.visited == ["start", "one", "two"]
    assert "two" in run and "four" not in run
    assert trellis.Run("Linear/latest").id == "2"


def test_a_task_by_pathspec_with_its_artifacts(client):
    end = trellis.Run("Linear/1").end_task
    task = trellis.Task(end.pathspec)
    assert task.successful and task.step_name == "end"
    art = task["count"]
    assert (art.name, art.codec, art.type, art.data) == ("count", "json", "int64", 3)
    assert art.size == len(b"3") and re.fullmatch(r"[0-9a-f]{64}", art.digest)
    assert art.pathspec == f"{task.pathspec}/count"
    assert {a.name for a in task} == {"count", "visited"}
    assert sorted(dir(task.data)) == ["count", "visited"]
    assert "count = 3" in task.logs()
    (attempt,) = task.attempts
    assert attempt["ok"] and attempt["executor"] == "local"
    assert task.parent.pathspec == "Linear/1"
    assert trellis.Step(f"Linear/1/end").task.pathspec == task.pathspec


def test_npy_artifacts_are_arrays_over_the_bytes_read(client):
    start = trellis.Run("Artifacts/1")["start"].task
    arr = start.data.array
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32 and arr.shape == ((1 << 20) // 4,)
    assert not arr.flags.owndata  # a view of the client's buffer, not a copy
    # The flow's own checksum: the sum of the array's 32-bit words.
    assert int(arr.view(np.uint32).astype(np.int64).sum()) == start.data.checksum
    orig = int(arr.view(np.uint32)[0])
    arr[0] = 1.0  # writable, and only this copy changes
    assert int(start.data.array.view(np.uint32)[0]) == orig


def test_codec_mismatch_is_a_type_error_naming_the_artifact(client):
    task = trellis.Run("Linear/1").end_task
    with pytest.raises(TypeError, match=r"Linear/1/end/\d+/count.*codec 'json'.*npy"):
        task["count"].as_array()
    assert task["count"].as_bytes() == b"3"


def test_missing_things_are_not_found_with_their_pathspec(client):
    with pytest.raises(trellis.NotFound, match="Linear/99"):
        trellis.Run("Linear/99")
    with pytest.raises(trellis.NotFound, match="NoSuchFlow"):
        trellis.Flow("NoSuchFlow")
    run = trellis.Run("Linear/1")
    with pytest.raises(trellis.NotFound, match="Linear/1 has no step 'four'.*start, one"):
        run["four"]
    with pytest.raises(trellis.NotFound, match=r"Linear/1/end/\d+ has no artifact 'nope'"):
        run.end_task["nope"]
    with pytest.raises(AttributeError, match="nope"):
        run.end_task.data.nope
    assert not hasattr(run.end_task.data, "nope")
    assert isinstance(trellis.NotFound("x"), LookupError)
    with pytest.raises(ValueError, match="not a Flow/run/step/task pathspec"):
        trellis.Task("Linear/1")
    with pytest.raises(ValueError):
        trellis.Run("Linear/x/y/z/w/v")


def test_foreach_tasks_and_their_index(client):
    run = trellis.Run("Foreach/1")
    squares = run["square"].tasks()
    assert [t.index for t in squares] == [0, 1, 2, 3]
    assert [t.data.square for t in squares] == [1, 4, 9, 16]
    assert run["join"].task.data.total == 30 and len(run["square"]) == 4


def test_a_failed_run(client):
    run = trellis.Run("Failing/1")
    assert run.status == "failed" and not run.successful
    evaluate = run["evaluate"].task
    assert evaluate.status == "failed" and "about to fail" in evaluate.logs()
    with pytest.raises(trellis.NotFound, match="end"):
        run.data


def test_metrics_images_and_tables(client):
    run = trellis.Run("Tracking/1")
    metrics = run["train"].task.metrics
    assert {"loss", "val_loss", "final_loss"} <= set(metrics.names())
    steps, values = metrics.series("loss")
    assert steps == [0, 1, 2, 3, 4] and len(values) == 5
    assert metrics.summary["final_loss"] == values[-1]
    assert all(set(m) == {"name", "step", "value", "time_ms"} for m in metrics)
    df = metrics.to_pandas()
    assert list(df.columns) == ["name", "step", "value", "time_ms"] and len(df) == len(metrics)
    evaluate = run["evaluate"].task
    (image,) = evaluate.images("predictions")
    assert image.array.shape == (120, 160, 3) and image.array.dtype == np.uint8
    assert [b["group"] for b in image.boxes] == ["gt", "pred", "pred"]
    table = evaluate.table("qualitative")
    assert table.columns == ["image", "ground truth", "predicted", "AP@0.5"]
    assert table[0][1:] == ["Apple leaf", "Apple leaf 0.91", 0.83]
    assert table.image(table[0][0]).array.shape == (120, 160, 3)
    assert evaluate.metrics.summary == {"mAP": 0.412, "mAP@0.5": 0.655}


def test_tags_and_namespaces(client):
    run = trellis.Run("Linear/1")
    run.add_tag("reviewed")
    assert "reviewed" in trellis.Run("Linear/1").tags
    trellis.namespace("baseline")
    assert [r.id for r in trellis.Flow("Linear")] == ["1"]
    assert trellis.Flow("Linear").latest_run.id == "1"
    trellis.namespace("sweep")
    assert [r.id for r in trellis.Flow("Linear").runs("best")] == ["2"]
    assert list(trellis.Flow("Linear").runs("baseline")) == []
    assert trellis.Run("Linear/1").id == "1"  # a pathspec names its run whatever the namespace
    trellis.default_namespace()
    run.remove_tag("reviewed")
    assert "reviewed" not in trellis.Run("Linear/1").tags


def test_settings_name_the_stores(client, store):
    s = trellis.settings()
    if "root" in store.kw:
        assert s["datastore"]["value"] == f"file://{store.kw['root']}"
        assert s["datastore"]["source"] == "--root"
        assert s["metadata"]["value"].startswith("sqlite://") and s["metadata"]["value"].endswith(".db")
    else:
        assert s["datastore"]["value"].startswith("s3://") and s["datastore"]["source"] == "--datastore"
        assert s["metadata"]["value"].startswith("postgresql://") and "flow:flow@" not in s["metadata"]["value"]


def test_an_unusable_store_url_is_an_error_naming_it():
    with pytest.raises(ValueError, match="ftp://nowhere"):
        trellis.connect(datastore="ftp://nowhere", metadata="mem://")
