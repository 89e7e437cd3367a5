"""NPY bytes -> numpy.ndarray viewing them in place.

numpy.load would copy the data out of a file-like object; parsing the header here
lets numpy.frombuffer view the bytes the C++ client read (its Blob), so a 256 MB
artifact is read once and never copied again. Format: docs/formats/artifacts.md.
"""

import ast

_MAGIC = b"\x93NUMPY"


def array_from_npy(blob, what):
    import numpy as np

    view = memoryview(blob)
    head = bytes(view[:12])
    if len(head) < 10 or head[:6] != _MAGIC:
        raise ValueError(f"{what}: not NPY data (no \\x93NUMPY magic)")
    major = head[6]
    if major == 1:
        header_len, start = int.from_bytes(head[8:10], "little"), 10
    elif major in (2, 3):
        if len(head) < 12:
            raise ValueError(f"{what}: truncated NPY header")
        header_len, start = int.from_bytes(head[8:12], "little"), 12
    else:
        raise ValueError(f"{what}: NPY version {major} is not supported")
    end = start + header_len
    if end > len(view):
        raise ValueError(f"{what}: NPY header runs past the data ({end} > {len(view)} bytes)")
    try:
        header = ast.literal_eval(bytes(view[start:end]).decode("latin1"))
        dtype = np.dtype(header["descr"])
        shape = tuple(int(n) for n in header["shape"])
        fortran = bool(header.get("fortran_order", False))
    except (ValueError, SyntaxError, KeyError, TypeError) as e:
        raise ValueError(f"{what}: bad NPY header: {e}") from None
    count = 1
    for n in shape:
        if n < 0:
            raise ValueError(f"{what}: negative dimension in NPY shape {shape}")
        count *= n
    if end + count * dtype.itemsize > len(view):
        raise ValueError(f"{what}: NPY data holds {len(view) - end} bytes, shape {shape} of "
                         f"{dtype} needs {count * dtype.itemsize}")
    flat = np.frombuffer(view, dtype=dtype, count=count, offset=end)
    return flat.reshape(shape, order="F" if fortran else "C")
