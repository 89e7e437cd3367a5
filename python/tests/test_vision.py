"""trellis.vision.Detector on a small trained checkpoint, by file and by artifact pathspec."""

import os
import subprocess

import numpy as np
import pytest

import trellis
from conftest import BUILD


@pytest.fixture(scope="module")
def fixture_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("model")
    model = str(d / "model.safetensors")
    subprocess.run([os.path.join(BUILD, "bin", "trellis-serve-fixture"), "--out", model,
                    "--images", str(d)], check=True, capture_output=True)
    return model, str(d / "sample.jpg"), str(d / "sample.png")


def test_detect_on_an_array_a_path_and_bytes(fixture_model):
    from PIL import Image
    model, jpg, png = fixture_model
    det = trellis.vision.Detector(model)
    assert det.image_size > 0 and det.categories and det.digest
    rgb = np.asarray(Image.open(png).convert("RGB"))
    found = det.detect(rgb, score_threshold=0.05)
    assert found.boxes.shape == (len(found), 4) and found.boxes.dtype == np.float32
    assert found.scores.shape == (len(found),) and np.all(np.diff(found.scores) <= 0)
    names = {n for _, n in det.categories}
    assert set(found.labels) <= names
    by_path = det.detect(png, score_threshold=0.05)
    assert len(by_path) == len(found)
    np.testing.assert_allclose(by_path.boxes, found.boxes, atol=1e-3)
    with open(png, "rb") as f:
        assert len(det.detect(f.read(), score_threshold=0.05)) == len(found)
    # A crop is a strided view: it is accepted as it is.
    crop = rgb[10:200, 20:300]
    assert det.detect(crop, score_threshold=0.05) is not None
    if len(found):
        first = next(iter(found))
        assert set(first) == {"box", "label", "category_id", "score"}


def test_bad_images_and_models_are_clear_errors(fixture_model, tmp_path):
    model, _, _ = fixture_model
    det = trellis.vision.Detector(model)
    with pytest.raises(ValueError, match="HxWx3"):
        det.detect(np.zeros((8, 8), np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        det.detect(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError):
        det.detect(b"not an image")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(trellis.TrellisError):
        trellis.vision.Detector(str(bad))
    trellis.connect(root=str(tmp_path))
    with pytest.raises(trellis.NotFound, match="plant/nowhere"):
        trellis.vision.Detector("plant/nowhere")
