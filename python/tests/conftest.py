"""Runs of the example flows in a fresh store, made once for the whole session."""

import os
import subprocess

import pytest

BUILD = os.path.abspath(os.environ.get("TRELLIS_BUILD_DIR",
                                       os.path.join(os.path.dirname(__file__), "..", "..", "build")))


def flow_binary(name):
    return os.path.join(BUILD, "flows", name)


def run_flow(root, name, *args, env=None, check=True):
    r = subprocess.run([flow_binary(name), *args, "--root", root], capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    if check and r.returncode != 0:
        raise AssertionError(f"{name} {' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A root with: Linear/1 (tag 'baseline'), Linear/2 (start_at 10, tags 'sweep', 'best'),
    Artifacts/1 (1 MB array), Tracking/1, Foreach/1 and a failed Failing/1."""
    root = str(tmp_path_factory.mktemp("store"))
    run_flow(root, "linear", "run", "--tag", "baseline")
    run_flow(root, "linear", "run", "--start-at", "10", "--tag", "sweep", "--tag", "best")
    run_flow(root, "artifacts", "run", "--mb", "1", "--seed", "7")
    run_flow(root, "tracking", "run", "--epochs", "5")
    run_flow(root, "foreach", "run")
    assert run_flow(root, "failing", "run", check=False).returncode == 1
    return root


@pytest.fixture()
def client(store):
    import trellis
    c = trellis.connect(root=store)
    yield c
    trellis.default_namespace()
