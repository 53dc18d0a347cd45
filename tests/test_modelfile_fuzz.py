"""Hostile model files and checkpoints, built at random: ``chainrule.load`` and
``runs.load_checkpoint`` either return a working model or raise chainrule's own error, never
anything else, and never take much memory whatever the file declares (zip bombs, huge shapes)."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule
from chainrule.errors import ChainruleError, InputError
from chainrule.modelfile import HEADER, ModelFileError
from chainrule.models.registry import build
from chainrule.runs import Checkpoint, load_checkpoint
from chainrule.train import History, Position

MEMORY_BOUND = 32 * 2**20  # bytes: the models below are tiny; a file may not make us allocate more

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
DTYPES = ["float64", "float32", "float16", "int8", "int64", "bool", "complex128", "<M8[s]", "U3",
          [("a", "<f8"), ("b", "<i4")]]  # fmt: skip
SIZES = st.one_of(
    st.lists(st.integers(1, 4), min_size=2, max_size=4),
    st.just([100000, 100000, 100000, 1]),  # a network far too large for any machine
    st.just([2, 15000, 15000, 1]),  # 225 million weights: refused before any is read
    st.lists(st.integers(-3, 3) | st.floats() | st.text(max_size=2), max_size=3),
)


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _bomb_npy(shape) -> bytes:
    """A .npy header declaring ``shape`` float64, followed by that many zeros (compressed by the
    zip below to almost nothing) -- or, when that is huge, by a few bytes only."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": tuple(shape)}
    )
    count = int(np.prod(shape, dtype=np.int64))
    return header.getvalue() + bytes(8 * min(count, 4_000_000))


@st.composite
def arrays_for(draw, sizes, prefix=""):
    """Members named W1, b1, ... for ``sizes`` (when it is a list of small numbers): of the
    right shape and dtype, or of another dtype, shape, content; some missing, some bombs."""
    members = {}
    good = isinstance(sizes, list) and all(type(n) is int and 0 < n < 10 for n in sizes)
    layers = list(zip(sizes[:-1], sizes[1:])) if good else [(2, 3), (3, 1)]
    for l, (n_in, n_out) in enumerate(layers, start=1):
        for name, shape in ((f"W{l}", (n_out, n_in)), (f"b{l}", (n_out,))):
            kind = draw(st.sampled_from(["good"] * 6 + ["dtype", "shape", "missing", "bomb",
                                                        "nan", "raw"]))  # fmt: skip
            if kind == "missing":
                continue
            if kind == "bomb":
                members[prefix + name] = _bomb_npy(draw(st.sampled_from([(2000, 2000), (10**9,)])))
                continue
            if kind == "raw":
                members[prefix + name] = draw(st.binary(max_size=200))
                continue
            if kind == "shape":
                shape = tuple(draw(st.lists(st.integers(0, 5), max_size=3)))
            dtype = draw(st.sampled_from(DTYPES)) if kind == "dtype" else "float64"
            array = np.zeros(shape, dtype=np.float64) + draw(st.floats(-2, 2))
            if kind == "nan":
                array.flat[:1] = np.nan
            try:
                array = array.astype(dtype)
            except (TypeError, ValueError):
                array = np.array([object()] * max(1, array.size), dtype=object)  # a pickle
            members[prefix + name] = _npy(array)
    return members


def description(draw, sizes):
    """A model description: mostly right, sometimes a field of the wrong type or value."""
    fields = {
        "engine": st.sampled_from(["network", "tensor", "value"]),
        "sizes": st.just(sizes),
        "activation": st.sampled_from(["sigmoid", "tanh", "nonsense"]),
        "cost": st.sampled_from(["quadratic", "cross_entropy", "log_likelihood"]),
        "init": st.sampled_from(["normal", "scaled"]),
        "dtype": st.sampled_from(["float64", "float32", "int8"]),
    }
    header = {}
    for name, strategy in fields.items():
        choice = draw(st.sampled_from(["good"] * 8 + ["json", "missing"]))
        if choice == "good":
            header[name] = draw(strategy)
        elif choice == "json":
            header[name] = draw(JSON)
    return header


def _zip(members: dict, header_bytes, draw) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        if header_bytes is not None:
            z.writestr("__header__.npy", header_bytes)
        for name, data in members.items():
            z.writestr(name + ".npy", data)
    data = buffer.getvalue()
    damage = draw(st.sampled_from(["none"] * 5 + ["truncate", "flip", "flip data", "empty", "npy"]))
    if damage == "flip data" and members:  # inside one member's deflated bytes
        info = draw(st.sampled_from(zipfile.ZipFile(io.BytesIO(data)).infolist()))
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        i = draw(st.integers(start, start + max(0, info.compress_size - 1)))
        data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
    elif damage == "truncate":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif damage == "flip":
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
    elif damage == "empty":
        data = b""
    elif damage == "npy":
        data = _npy(np.zeros((2, 2)))  # a .npy given as a model file
    return data


def _header_bytes(draw, header: dict):
    """The ``__header__`` member: the header as JSON bytes, or something else in its place."""
    kind = draw(st.sampled_from(["good"] * 8 + ["list", "nested", "not utf-8", "float", "huge"]))
    if kind == "good":
        return _npy(np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
    if kind == "list":
        return _npy(np.frombuffer(json.dumps([header]).encode(), dtype=np.uint8))
    if kind == "nested":
        return _npy(np.frombuffer(b"[" * 100_000 + b"]" * 100_000, dtype=np.uint8))
    if kind == "not utf-8":
        return _npy(np.frombuffer(b"\xff\xfe{}", dtype=np.uint8))
    if kind == "float":
        return _npy(np.zeros(3))
    return _bomb_npy((10**10,))


def _format(draw, header):
    version = draw(st.sampled_from([1] * 8 + [2, True, "1", 1.0, None, "missing"]))
    if version != "missing":
        header["format"] = version
    return header


@st.composite
def model_files(draw):
    sizes = draw(SIZES)
    header = _format(draw, description(draw, sizes))
    members = draw(arrays_for(sizes))
    return _zip(members, _header_bytes(draw, header), draw)


@st.composite
def checkpoints(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=3))
    engine = draw(st.sampled_from(["network", "tensor", "value"]))
    optimizer = "adam" if engine == "tensor" and draw(st.booleans()) else "sgd"
    settings_ = {
        "engine": engine, "layers": sizes, "activation": "sigmoid", "cost": "quadratic",
        "init": "normal", "dtype": "float64", "seed": 1, "optimizer": optimizer, "lr": 0.1,
        "backprop": "matrix", "dataset": "xor", "data_dir": None, "epochs": 3,
        "batch_size": 2, "l2": 0.0, "checkpoint_every": 2,
    }  # fmt: skip
    options = {"optimizer": optimizer, "lr": 0.1} if engine == "tensor" else {}
    model = build(engine, sizes, seed=1, dtype="float64", **options)
    if optimizer == "adam":  # one step, so that Adam has moments to save
        model.step(np.ones((2, sizes[0])), np.ones((2, sizes[-1])), 0.1)
    saved = {}

    class Capture(Checkpoint):
        def __init__(self):
            super().__init__(".", model, settings_, 2)

    # The real checkpoint's header and arrays, then damaged.
    capture = Capture()
    position = Position(2, 1, np.random.default_rng(0).bit_generator.state, 0.5)
    history = History({"epochs": 3})
    import chainrule.runs as runs_module  # (to capture what Checkpoint.save writes)

    original = runs_module.write
    runs_module.write = lambda path, header, arrays: saved.update(header=header, arrays=arrays)
    try:
        capture.save(position, history)
    finally:
        runs_module.write = original
    header = {"format": 1, **saved["header"]}
    for key in ("settings", "position", "history", "optimizer", "model"):
        part = header[key]
        choice = draw(st.sampled_from(["good"] * 6 + ["json", "missing", "field"]))
        if choice == "json":
            header[key] = draw(JSON)
        elif choice == "missing":
            del header[key]
        elif choice == "field" and isinstance(part, dict) and part:
            field = draw(st.sampled_from(sorted(part)))
            part[field] = draw(JSON)
    members = {k: _npy(np.asarray(v)) for k, v in saved["arrays"].items()}
    if draw(st.booleans()):
        members.update(draw(arrays_for(sizes, "model.")))
    if optimizer == "adam" and draw(st.booleans()):
        name = draw(st.sampled_from([k for k in members if k.startswith("opt.")] + ["opt.9.m"]))
        members[name] = draw(st.sampled_from([_npy(np.zeros(3)), _bomb_npy((10**9,)), b"x"]))
    return _zip(members, _header_bytes(draw, _format(draw, header)), draw)


def _bounded(load):
    """Call ``load``; its result (or chainrule's error) and the peak memory it took."""
    tracemalloc.start()
    try:
        try:
            result = load()
        except ChainruleError as e:
            result = e
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"loading took {peak / 2**20:.0f} MiB"
    return result


def _usable(model) -> None:
    """A loaded model works: its outputs have the declared shape and are finite."""
    out = model.outputs(np.zeros((1, model.sizes[0])))
    assert out.shape == (1, model.sizes[-1]) and np.isfinite(out).all()
    for name, array in model.parameters().items():
        assert array.dtype == model.dtype and np.isfinite(array).all(), name


FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                            HealthCheck.data_too_large],
)  # fmt: skip


@FUZZ
@given(data=model_files())
def test_a_hostile_model_file_loads_or_is_refused_in_one_sentence(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("m") / "model.npz"
    path.write_bytes(data)
    result = _bounded(lambda: chainrule.load(path))
    if isinstance(result, ChainruleError):
        assert str(path) in str(result) and str(result).count("\n") == 0
    else:
        _usable(result)


@FUZZ
@given(data=checkpoints())
def test_a_hostile_checkpoint_resumes_or_is_refused_in_one_sentence(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("c")
    (folder / "checkpoint.npz").write_bytes(data)
    result = _bounded(lambda: load_checkpoint(folder))
    if isinstance(result, ChainruleError):
        assert str(result).count("\n") == 0
        return
    _, model, position, history = result
    _usable(model)
    assert type(position.epoch) is int and position.epoch >= 1
    assert type(position.batch) is int and position.batch >= 0
    if position.rng_state is not None:  # a state the generator takes
        np.random.default_rng().bit_generator.state = position.rng_state
    for record in history.epochs:
        assert isinstance(record.cost, (int, float))


@pytest.mark.parametrize(
    "declared", [[100000, 100000, 100000, 1], [2, 15000, 15000, 1]], ids=["74 GiB", "225 M"]
)
def test_a_file_declaring_a_huge_network_is_refused_before_building_it(tmp_path, declared):
    """The sizes are refused (or the first array's shape is) before any random model is built:
    a 1.5 KB file may not cost gigabytes."""
    header = {"format": 1, "engine": "network", "sizes": declared, "activation": "sigmoid",
              "cost": "quadratic", "init": "normal", "dtype": "float64"}  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("__header__.npy", _npy(np.frombuffer(json.dumps(header).encode(), np.uint8)))
        z.writestr("W1.npy", _npy(np.zeros((2, 2))))
    path = tmp_path / "big.npz"
    path.write_bytes(buffer.getvalue())
    error = _bounded(lambda: chainrule.load(path))
    assert isinstance(error, ChainruleError) and str(path) in str(error)


def test_the_callers_limits_refuse_a_model_before_any_array_is_read(tmp_path):
    """``load(path, limits=...)`` asks ``limits`` after the header is checked and before any
    array is read: a file whose arrays are garbage is refused by the limits, not by the reader."""
    chainrule.save(
        build("network", [2, 3, 1], "sigmoid", "quadratic", "normal", seed=0), tmp_path / "m.npz"
    )
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        header = archive.read(f"{HEADER}.npy")
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as archive:
        archive.writestr(f"{HEADER}.npy", header)
        archive.writestr("W1.npy", b"garbage")  # reading it would fail
    seen = []

    def limits(description):
        seen.append(description["sizes"])
        raise InputError("three hidden units are too many here.")

    with pytest.raises(InputError, match="too many here"):
        chainrule.load(tmp_path / "bad.npz", limits=limits)
    assert seen == [[2, 3, 1]]
    with pytest.raises(ModelFileError, match="W1"):
        chainrule.load(tmp_path / "bad.npz", limits=lambda description: None)
