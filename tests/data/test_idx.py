"""The IDX reader: exact round trips, a precise refusal for every broken header, nothing else."""

from __future__ import annotations

import gzip
import re
import struct
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.data.idx import read_idx
from chainrule.errors import DataError, IDXFormatError, InputTypeError

CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """IDX bytes built by hand from the format's definition, independent of the reader."""
    head = struct.pack(">BBBB", 0, 0, code, array.ndim)
    dims = b"".join(struct.pack(">I", d) for d in array.shape)
    return head + dims + array.astype(CODES[code]).tobytes()


def header(code: int, *dims: int) -> bytes:
    return bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


SMALL = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4), 0x08)


@pytest.mark.parametrize("code", sorted(CODES))
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
def test_round_trip_every_dtype_and_ndim(code, shape):
    rng = np.random.default_rng(code)
    values = rng.integers(-100, 100, size=shape) if code != 0x08 else rng.integers(0, 256, shape)
    if code in (0x0D, 0x0E):
        values = values + 0.25
    data = idx_bytes(values, code)
    for source in (data, gzip.compress(data)):
        got = read_idx(source)
        assert got.shape == shape
        assert got.dtype == np.dtype(CODES[code]).newbyteorder("=")
        assert got.dtype.isnative and got.flags.writeable and got.flags.c_contiguous
        np.testing.assert_array_equal(got, values)


def test_reads_paths_plain_gzipped_and_misnamed(tmp_path):
    expected = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "plain-idx3-ubyte").write_bytes(SMALL)
    (tmp_path / "packed-idx3-ubyte.gz").write_bytes(gzip.compress(SMALL))
    (tmp_path / "unpacked-by-browser.gz").write_bytes(SMALL)  # plain bytes under a .gz name
    (tmp_path / "packed-no-suffix").write_bytes(gzip.compress(SMALL))
    for path in sorted(tmp_path.iterdir()):
        np.testing.assert_array_equal(read_idx(path), expected)
        np.testing.assert_array_equal(read_idx(str(path)), expected)
    many_members = gzip.compress(SMALL[:10]) + gzip.compress(SMALL[10:])
    np.testing.assert_array_equal(read_idx(many_members), expected)
    np.testing.assert_array_equal(read_idx(bytearray(SMALL)), expected)


CORRUPT = {
    "empty": (b"", "too short"),
    "short magic": (b"\x00\x00\x08", "too short"),
    "first zero byte": (b"\x01" + SMALL[1:], "magic number is 0x01000803"),
    "second zero byte": (b"\x00\x07" + SMALL[2:], "magic number is 0x00070803"),
    "text file": (b"<html>404 Not Found</html>", "magic number is 0x3c68746d"),
    "dtype 0x00": (b"\x00\x00\x00\x03" + SMALL[4:], "unknown element type 0x00"),
    "dtype 0x0a": (b"\x00\x00\x0a\x03" + SMALL[4:], "unknown element type 0x0a"),
    "dtype 0xff": (b"\x00\x00\xff\x03" + SMALL[4:], "unknown element type 0xff"),
    "ndim 0": (b"\x00\x00\x08\x00", "claims 0 dimensions"),
    "ndim 5": (header(0x08, 1, 1, 1, 1, 1) + b"\x00", "claims 5 dimensions"),
    "ndim 255": (b"\x00\x00\x08\xff" + b"\x00" * 64, "claims 255 dimensions"),
    "header cut": (SMALL[:9], "ends inside its header"),
    "zero dimension": (header(0x08, 3, 0), "empty dimension"),
    "payload cut": (SMALL[:-1], "is truncated"),
    "payload missing": (SMALL[:16], "is truncated"),
    "one trailing byte": (SMALL + b"\x00", "1 extra byte(s)"),
    "trailing idx": (SMALL + SMALL, "extra byte(s)"),
    "int payload cut": (header(0x0C, 3) + b"\x00" * 11, "is truncated"),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_every_broken_header_is_refused_in_one_sentence(name, tmp_path):
    data, problem = CORRUPT[name]
    with pytest.raises(IDXFormatError, match=re.escape(problem)):
        read_idx(data)
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    message = str(info.value)
    assert message.startswith(str(path) + " ")
    assert message.endswith("; delete it and download it again.")
    assert message.count(". ") == 0


@pytest.mark.parametrize("name", ["payload cut", "one trailing byte", "ndim 0", "dtype 0x0a"])
def test_broken_gzipped_files_are_refused_too(name):
    with pytest.raises(IDXFormatError):
        read_idx(gzip.compress(CORRUPT[name][0]))


def test_broken_gzip_streams_become_the_library_error():
    packed = gzip.compress(SMALL)
    bad_crc = packed[:-8] + bytes([packed[-8] ^ 0xFF]) + packed[-7:]
    cases = {
        "cut": (packed[:-3], "cut short"),
        "only magic": (b"\x1f\x8b", "cut short"),
        "bad crc": (bad_crc, "not a valid gzip file"),
        "garbage after": (packed + b"garbage", "not a valid gzip file"),
        "bad method": (packed[:2] + b"\x07" + packed[3:], "not a valid gzip file"),
        "bad deflate": (packed[:10] + b"\xff" * 8 + packed[18:], "not a valid gzip file"),
    }
    for data, problem in cases.values():
        with pytest.raises(IDXFormatError, match=problem):
            read_idx(data)


@pytest.mark.parametrize(
    "data, problem",
    [
        # 2**62 elements in a 20-byte file
        (header(0x08, 2**31, 2**31) + b"\x00" * 8, f"claims {2**62} elements"),
        (header(0x0E, *[2**32 - 1] * 4), "claims 3402823"),  # ~2**128 doubles
        (header(0x08, 2**31 + 1), "claims 2147483649 elements"),  # one element too many
        (header(0x0E, 2**31) + b"\x00" * 8, "needs 17179869184 bytes, only 8 follow"),
        (header(0x08, 1000, 1000) + b"\x00" * 100, "needs 1000000 bytes, only 100 follow"),
        # a GiB claimed by a tiny gzip file
        (
            gzip.compress(header(0x08, 2**30) + b"\x00" * 1000, mtime=0),
            "too many for its gzip size",
        ),
    ],
)
def test_absurd_sizes_are_refused_before_allocating(data, problem):
    tracemalloc.start()
    try:
        start = time.perf_counter()
        with pytest.raises(IDXFormatError, match=problem):
            read_idx(data)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 2**20, f"allocated {peak} bytes before refusing"


def test_a_path_that_cannot_be_read_is_a_data_error_and_other_types_a_type_error(tmp_path):
    with pytest.raises(DataError, match="cannot read .*missing-idx1-ubyte"):
        read_idx(tmp_path / "missing-idx1-ubyte")
    with pytest.raises(InputTypeError):
        read_idx(12)


def _only_idx_errors(data: bytes) -> None:
    try:
        result = read_idx(data)
    except IDXFormatError:
        return
    assert isinstance(result, np.ndarray)


FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=64),
        st.builds(lambda b: b"\x00\x00" + b, st.binary(max_size=64)),
        st.builds(
            lambda code, ndim, rest: bytes([0, 0, code, ndim]) + rest,
            st.sampled_from([*CODES, 0, 0x0A, 0xFF]),
            st.integers(0, 6),
            st.binary(max_size=64),
        ),
        st.builds(lambda b: b"\x1f\x8b" + b, st.binary(max_size=64)),
    )
)
def test_fuzz_arbitrary_bytes_give_an_array_or_the_library_error(data):
    _only_idx_errors(data)


@FUZZ
@given(st.booleans(), st.data())
def test_fuzz_mutated_valid_files_give_an_array_or_the_library_error(packed, choices):
    data = bytearray(gzip.compress(SMALL) if packed else SMALL)
    for _ in range(choices.draw(st.integers(1, 4), label="mutations")):
        kind = choices.draw(st.sampled_from(["flip", "cut", "insert", "delete"]), label="kind")
        at = choices.draw(st.integers(0, len(data)), label="at")
        if kind == "flip" and at < len(data):
            data[at] ^= choices.draw(st.integers(1, 255), label="mask")
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = choices.draw(st.binary(min_size=1, max_size=4), label="bytes")
        elif at < len(data):
            del data[at]
    _only_idx_errors(bytes(data))


def test_real_mnist_test_labels(mnist_root):
    labels = read_idx(mnist_root / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels.min() == 0 and labels.max() == 9
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
