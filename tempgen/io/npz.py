"""The .npz container: named 1-D arrays in a zip of .npy members, written deterministically
and read without copies."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np

from tempgen.errors import TempgenError

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # no timestamps: a rebuild is byte-identical


def write(arrays: dict[str, np.ndarray]) -> bytes:
    """The container's exact bytes, members in the order given."""
    buf = io.BytesIO()
    # Stored, not deflated: the arrays are already narrow integers, and a plain copy
    # loads several times faster than inflating.
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME), npy.getvalue())
    return buf.getvalue()


def names(data) -> list[str]:
    """The names of the container's .npy members (from its directory alone)."""
    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as zf:
        return [n[:-4] for n in zf.namelist() if n.endswith(".npy")]


def read(data) -> dict[str, np.ndarray]:
    """Every .npy member of the container `data` (bytes, or a read-only mmap of a file) by
    name. Stored members become read-only views of `data`, checked against their CRC-32;
    nothing is unpickled. Damage raises TempgenError, zipfile or numpy errors."""
    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as zf:
        return {i.filename[:-4]: _member(zf, i, data) for i in zf.infolist()
                if i.filename.endswith(".npy")}


def read_one(path, name: str) -> np.ndarray:
    """One member of the container at `path` (the others are not read)."""
    with zipfile.ZipFile(path) as zf, zf.open(f"{name}.npy") as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, data) -> np.ndarray:
    name = info.filename[:-4]
    if info.compress_type != zipfile.ZIP_STORED:
        with zf.open(info) as f:
            return np.lib.format.read_array(f, allow_pickle=False)
    at = info.header_offset
    if data[at: at + 4] != b"PK\x03\x04":
        raise TempgenError(f"array {name}: bad zip entry header")
    n_name, n_extra = struct.unpack("<HH", data[at + 26: at + 30])
    start = at + 30 + n_name + n_extra
    payload = memoryview(data)[start: start + info.file_size]
    if len(payload) != info.file_size or zlib.crc32(payload) != info.CRC:
        raise TempgenError(f"array {name}: damaged (checksum mismatch)")
    head = io.BytesIO(payload[:4096])
    reader = {(1, 0): np.lib.format.read_array_header_1_0,
              (2, 0): np.lib.format.read_array_header_2_0}.get(np.lib.format.read_magic(head))
    if reader is None:
        raise TempgenError(f"array {name}: unsupported .npy version")
    shape, fortran, dtype = reader(head)
    if dtype.hasobject or fortran or len(shape) != 1:
        raise TempgenError(f"array {name} must be 1-D unsigned integers")
    return np.frombuffer(payload, dtype=dtype, count=shape[0], offset=head.tell())


def write_to(f, arrays: dict[str, np.ndarray]) -> None:
    """The container written into the binary file `f` an array at a time (each in chunks,
    never whole in memory), members in the order given; the same layout as `write`, in
    zip64 form for members of any size."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            with zf.open(info, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.ascontiguousarray(arr), allow_pickle=False)
