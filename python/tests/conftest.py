"""Runs of the example flows in fresh stores, made once for the whole session.

By default the stores are a local folder (--root). With TRELLIS_TEST_STORES=remote (as the
C++ end-to-end tests, testing/test_stores.h): a fresh prefix of the test S3 bucket and a
fresh PostgreSQL schema, dropped afterwards (scripts/test.sh starts both servers).
"""

import os
import random
import subprocess

import pytest

BUILD = os.path.abspath(os.environ.get("TRELLIS_BUILD_DIR",
                                       os.path.join(os.path.dirname(__file__), "..", "..", "build")))


def flow_binary(name):
    return os.path.join(BUILD, "flows", name)


class Stores:
    """Where a test's runs go: .kw for trellis.connect / trellis.Runner, .args for a flow."""

    def __init__(self, local_dir):
        self._schema = None
        if os.environ.get("TRELLIS_TEST_STORES") != "remote":
            self.kw = {"root": local_dir}
        else:
            endpoint = os.environ["TRELLIS_TEST_S3_ENDPOINT"]
            self._pg = os.environ["TRELLIS_TEST_PG_URL"]
            bucket = os.environ.get("TRELLIS_TEST_S3_BUCKET", "flow")
            ident = f"{random.getrandbits(60):x}"
            self._schema = f"py_{ident}"
            subprocess.run(["psql", self._pg, "-qc", f"CREATE SCHEMA {self._schema}"], check=True)
            sep = "&" if "?" in self._pg else "?"
            self.kw = {"datastore": f"s3://{bucket}/py-{ident}?endpoint={endpoint}",
                       "metadata": f"{self._pg}{sep}options=-csearch_path%3D{self._schema}"}
        self.args = [a for k, v in self.kw.items() for a in (f"--{k}", v)]

    def drop(self):
        if self._schema:
            subprocess.run(["psql", self._pg, "-qc", f"DROP SCHEMA {self._schema} CASCADE"])


def run_flow(stores, name, *args, env=None, check=True):
    r = subprocess.run([flow_binary(name), *args, *stores.args], capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    if check and r.returncode != 0:
        raise AssertionError(f"{name} {' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


@pytest.fixture()
def fresh_stores(tmp_path):
    s = Stores(str(tmp_path))
    yield s
    s.drop()


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """Linear/1 (tag 'baseline'), Linear/2 (start-at 10, tags 'sweep', 'best'),
    Artifacts/1 (1 MB array), Tracking/1, Foreach/1 and a failed Failing/1."""
    s = Stores(str(tmp_path_factory.mktemp("store")))
    run_flow(s, "linear", "run", "--tag", "baseline")
    run_flow(s, "linear", "run", "--start-at", "10", "--tag", "sweep", "--tag", "best")
    run_flow(s, "artifacts", "run", "--mb", "1", "--seed", "7")
    run_flow(s, "tracking", "run", "--epochs", "5")
    run_flow(s, "foreach", "run")
    assert run_flow(s, "failing", "run", check=False).returncode == 1
    yield s
    s.drop()


@pytest.fixture()
def client(store):
    import trellis
    trellis.connect(**store.kw)
    yield
    trellis.default_namespace()
