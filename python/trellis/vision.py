"""The detector in Python: re-run a trained or deployed model on a photo.

    det = trellis.vision.Detector("plant/production")   # alias, pathspec, file or folder
    found = det.detect(image)                           # HxWx3 uint8 RGB, a path, or bytes
    found.boxes, found.labels, found.scores

Loads LibTorch (the trellis._vision extension) only when imported.
"""

import os

from . import _client, _vision


class Detections:
    """What detect() found in one image, by decreasing score: boxes (N x 4 float32, x1 y1 x2 y2
    in the image's pixels), scores (N float32), category_ids (N int32) and labels (N names)."""

    def __init__(self, d):
        self.boxes, self.scores = d["boxes"], d["scores"]
        self.category_ids, self.labels = d["category_ids"], d["labels"]

    def __len__(self):
        return len(self.labels)

    def __iter__(self):
        for i in range(len(self)):
            yield {"box": self.boxes[i].tolist(), "label": self.labels[i],
                   "category_id": int(self.category_ids[i]), "score": float(self.scores[i])}

    def __repr__(self):
        top = ", ".join(f"{l} {s:.2f}" for l, s in zip(self.labels[:5], self.scores[:5]))
        return f"Detections({len(self)}: {top}{', ...' if len(self) > 5 else ''})"


class Detector:
    """A RetinaNet checkpoint ready to detect, from what `trellis serve` accepts.

    Store options default to the client's (trellis.connect, TRELLIS_* variables, the
    config file); threads defaults to every core (LibTorch's own default here is one).
    """

    def __init__(self, model, *, root=None, datastore=None, metadata=None, device="cpu",
                 threads=None):
        if root is None and datastore is None and metadata is None:
            root, datastore, metadata = _client._options  # what trellis.connect() chose
        threads = os.cpu_count() if threads is None else threads
        self._d = _vision.Detector(str(model), root or "", datastore or "", metadata or "", device,
                                   int(threads))
        self.model = str(model)

    def detect(self, image, score_threshold=0.3, nms_iou=0.5, max_detections=100):
        """Detections in `image`: an HxWx3 uint8 RGB array, a file path, or encoded bytes."""
        if isinstance(image, (str, os.PathLike)):
            with open(image, "rb") as f:
                image = f.read()
        if isinstance(image, (bytes, bytearray, memoryview)):
            return Detections(self._d.detect_encoded(bytes(image), score_threshold, nms_iou,
                                                     max_detections))
        import numpy as np
        arr = np.asarray(image)
        if arr.dtype != np.uint8:
            raise TypeError(f"detect wants uint8 pixels, not {arr.dtype} (convert with .astype('uint8'))")
        if arr.ndim == 3 and arr.shape[2] == 3 and (arr.strides[2] != 1 or arr.strides[1] != 3):
            arr = np.ascontiguousarray(arr)
        return Detections(self._d.detect(arr, score_threshold, nms_iou, max_detections))

    @property
    def categories(self):
        """[(id, name)] of the classes the model knows."""
        return self._d.categories

    @property
    def image_size(self):
        return self._d.image_size

    @property
    def version(self):
        """Which model this is ("PlantDetection/3", a file name) and its checkpoint's SHA-256."""
        return self._d.version

    @property
    def digest(self):
        return self._d.digest

    @property
    def source(self):
        return self._d.source

    def __repr__(self):
        return f"Detector({self.model!r}: {self.source}, {len(self.categories)} classes, {self.image_size} px)"
