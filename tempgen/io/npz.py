"""The .npz container: named 1-D arrays in a zip of .npy members, written deterministically
and read without copies."""

from __future__ import annotations

import io
import os
import struct
import tokenize
import zipfile
import zlib

import numpy as np

from tempgen.errors import TempgenError

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # no timestamps: a rebuild is byte-identical


def write(arrays: dict[str, np.ndarray]) -> bytes:
    """The container's exact bytes, members in the order given (see `write_to`)."""
    buf = io.BytesIO()
    write_to(buf, arrays, zip64=False)
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


class Column:
    """A stored 1-D member of a container file read a slice at a time (never mapped, so
    what has been read is not kept): len(), dtype, and [lo:hi] -> ndarray. Read from its
    start to its end, it checks its CRC-32 as the last slice arrives."""

    ndim = 1

    def __init__(self, path, name: str, start: int, size: int, crc: int):
        self.path, self.name, self.crc, self.size = path, name, crc, size
        head = io.BytesIO(_pread(path, min(size, 4096), start))
        shape, dtype = _header(head, name)
        self.dtype, self.n = dtype, shape[0]
        self.header = head.tell()
        self.start = start + self.header
        self._crc, self._next = zlib.crc32(head.getvalue()[: self.header]), 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, part: slice) -> np.ndarray:
        lo, hi, _ = part.indices(self.n)
        item = self.dtype.itemsize
        raw = _pread(self.path, max(0, hi - lo) * item, self.start + lo * item)
        if len(raw) != max(0, hi - lo) * item:
            raise TempgenError(f"{self.path}: array {self.name}: cut short")
        if lo == self._next:  # (read in order: checked)
            self._crc, self._next = zlib.crc32(raw, self._crc), hi
            if hi == self.n and self._crc != self.crc:
                raise TempgenError(f"{self.path}: array {self.name}: damaged (checksum "
                                   "mismatch)")
        return np.frombuffer(raw, dtype=self.dtype)

    def whole(self) -> np.ndarray:
        return self[0:self.n]


def _pread(path, size: int, at: int) -> bytes:
    """`size` bytes of the file at `path` from `at` (opened for the read alone, so that any
    number of columns may be open)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, size, at)
    finally:
        os.close(fd)


def columns(path) -> dict[str, Column]:
    """Every stored .npy member of the container file at `path`, as a Column."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            name = info.filename[:-4]
            if info.compress_type != zipfile.ZIP_STORED:
                raise TempgenError(f"array {name}: compressed (tempgen writes them stored)")
            local = _pread(path, 30, info.header_offset)
            if local[:4] != b"PK\x03\x04":
                raise TempgenError(f"array {name}: bad zip entry header")
            n_name, n_extra = struct.unpack("<HH", local[26:30])
            out[name] = Column(path, name, info.header_offset + 30 + n_name + n_extra,
                               info.file_size, info.CRC)
    return out


def _header(head: io.BytesIO, name: str):
    reader = {(1, 0): np.lib.format.read_array_header_1_0,
              (2, 0): np.lib.format.read_array_header_2_0}.get(np.lib.format.read_magic(head))
    if reader is None:
        raise TempgenError(f"array {name}: unsupported .npy version")
    try:
        shape, fortran, dtype = reader(head)
    except (ValueError, SyntaxError, TypeError, tokenize.TokenError):
        raise TempgenError(f"array {name}: a damaged .npy header") from None
    if dtype.hasobject or fortran or len(shape) != 1:
        raise TempgenError(f"array {name} must be 1-D unsigned integers")
    return shape, dtype


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
    shape, dtype = _header(head, name)
    return np.frombuffer(payload, dtype=dtype, count=shape[0], offset=head.tell())


def write_to(f, arrays: dict[str, np.ndarray], zip64: bool = True) -> None:
    """The container written into the binary file `f` an array at a time (each in chunks,
    never whole in memory), members in the order given. With `zip64` every member is in
    zip64 form (count files, members of any size); without, only a member that needs it
    (model files: then the bytes do not depend on how they are written)."""
    # Stored, not deflated: the arrays are already narrow integers, and a plain copy
    # loads several times faster than inflating.
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in arrays.items():
            arr = np.ascontiguousarray(arr)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            big = zip64 or arr.nbytes > zipfile.ZIP64_LIMIT // 2  # (room for the header)
            with zf.open(info, "w", force_zip64=big) as out:
                np.lib.format.write_array(out, arr, allow_pickle=False)
