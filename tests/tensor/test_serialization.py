"""``torch.save`` / ``torch.load``: chainrule's own files round-trip bit for bit (hypothesis over
dtypes, shapes and nesting); a state dict saved and loaded continues training exactly; a file
real PyTorch wrote is refused with a recipe that works; damaged and hostile files, one sentence
each, checked before any array is read; nothing half-written on a failed save."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch as real
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import chainrule.tensor as torch
from chainrule.errors import InputError
from chainrule.modelfile import ModelFileError
from chainrule.tensor import nn


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and message.strip()
    return message


def _same(a, b) -> None:
    """Equal structure, types and dtypes, arrays bit for bit."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, (torch.Tensor, np.ndarray)):
        x, y = np.asarray(a), np.asarray(b)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        if isinstance(a, torch.Tensor):
            assert a.requires_grad == b.requires_grad
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool", "float16"]
leaves = st.one_of(
    st.sampled_from(DTYPES)
    .flatmap(lambda d: arrays(d, array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
    .flatmap(lambda a: st.sampled_from([a, torch.tensor(a)])),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
)
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(-5, 5)), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(obj=trees)
def test_anything_saved_comes_back_bit_for_bit(obj, tmp_path):
    path = tmp_path / "obj.pt"
    torch.save(obj, path)
    _same(torch.load(path), obj)


def test_a_state_dict_and_optimizer_round_trip_and_training_continues_identically(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.GELU(), nn.Linear(4, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    x, y = torch.randn(8, 3), torch.randn(8, 1)

    def step(m, o):
        o.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        o.step()
        return loss.item()

    step(model, opt)
    torch.save(
        {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 1}, tmp_path / "c.pt"
    )
    checkpoint = torch.load(tmp_path / "c.pt")
    twin = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.GELU(), nn.Linear(4, 1))
    twin.load_state_dict(checkpoint["model"])
    twin_opt = torch.optim.AdamW(twin.parameters(), lr=0.5)
    twin_opt.load_state_dict(checkpoint["opt"])
    assert checkpoint["epoch"] == 1
    for _ in range(3):
        assert step(model, opt) == step(twin, twin_opt)
    for a, b in zip(model.state_dict().values(), twin.state_dict().values()):
        assert a.numpy().tobytes() == b.numpy().tobytes()


def test_a_pytorch_file_is_refused_with_a_recipe_that_works(tmp_path):
    real.manual_seed(0)
    theirs = real.nn.Linear(3, 2)
    path = tmp_path / "model.pt"
    real.save(theirs.state_dict(), path)
    with pytest.raises(ModelFileError) as e:
        torch.load(path)
    message = _one_line(e)
    assert "PyTorch" in message and "never unpickles" in message and "np.savez" in message
    # the recipe, run where PyTorch is (here: the test), then here
    weights = tmp_path / "weights.npz"
    np.savez(weights, **{k: v.numpy() for k, v in real.load(path).items()})
    ours = nn.Linear(3, 2)
    ours.load_state_dict(dict(np.load(weights)))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(torch.tensor(x)).numpy(),
        theirs(real.from_numpy(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,  # float32 sums in another order; an output near 0 has no relative precision
    )
    old = tmp_path / "old.pt"  # PyTorch's legacy format: a bare pickle
    real.save({"w": real.zeros(1)}, old, _use_new_zipfile_serialization=False)
    with pytest.raises(ModelFileError, match="PyTorch"):
        torch.load(old)


def _saved(tmp_path, obj=None):
    path = tmp_path / "x.pt"
    torch.save({"w": torch.ones(3, 4)} if obj is None else obj, path)
    return path


def _rewrite(path, header=None, members=None):
    """Replace the JSON header and/or members of a saved file (a hostile edit)."""
    with zipfile.ZipFile(path) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    if header is not None:
        buffer = io.BytesIO()
        np.save(buffer, np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
        contents["__header__.npy"] = buffer.getvalue()
    contents.update(members or {})
    with zipfile.ZipFile(path, "w") as z:
        for name, data in contents.items():
            z.writestr(name, data)


def _header(path):
    with zipfile.ZipFile(path) as z:
        raw = z.read("__header__.npy")
    return json.loads(np.load(io.BytesIO(raw)).tobytes())


HOSTILE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:-20]),
    "random bytes": lambda p: p.write_bytes(np.random.default_rng(0).bytes(500)),
    "empty": lambda p: p.write_bytes(b""),
    "plain npz": lambda p: p.write_bytes(_npz(w=np.ones(3))),
    "huge declared shape": lambda p: _rewrite(
        p, {**_header(p), "object": {"dict": [["w", {"tensor": "a0", "shape": [10**6, 10**6],
                                                      "dtype": "float64"}]]}}),
    "shape not matching the array": lambda p: _rewrite(
        p, {**_header(p), "object": {"dict": [["w", {"tensor": "a0", "shape": [4, 3],
                                                      "dtype": "float32"}]]}}),
    "object dtype": lambda p: _rewrite(
        p, {**_header(p), "object": {"dict": [["w", {"tensor": "a0", "shape": [3, 4],
                                                      "dtype": "object"}]]}}),
    "missing array": lambda p: _rewrite(
        p, {**_header(p), "object": {"tensor": "a9", "shape": [1], "dtype": "float32"}}),
    "unknown entry": lambda p: _rewrite(p, {**_header(p), "object": {"pickle": "os.system"}}),
    "header not an object": lambda p: _rewrite(p, [1, 2]),
    "deep nesting": lambda p: _rewrite(
        p, {**_header(p), "object": json.loads("[" * 500 + "]" * 500)}),
    "not torch.save's": lambda p: _rewrite(p, {"format": 1, "sizes": [2, 1]}),
    "int parameter": lambda p: _rewrite(
        p, {**_header(p), "object": {"parameter": "a0", "shape": [2], "dtype": "int64"}},
        {"a0.npy": _npy(np.arange(2))}),
    "pickled member": lambda p: _rewrite(p, None, {"a0.npy": _npy(np.array([{}], dtype=object))}),
}  # fmt: skip


def _npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


@pytest.mark.parametrize("damage", HOSTILE)
def test_damaged_or_hostile_files_are_one_sentence(damage, tmp_path):
    path = _saved(tmp_path)
    HOSTILE[damage](path)
    with pytest.raises(InputError) as e:
        torch.load(path)
    assert str(path) in _one_line(e) or "PyTorch" in _one_line(e)


def test_nothing_is_written_when_save_is_refused(tmp_path):
    path = tmp_path / "m.pt"
    for bad in (nn.Linear(2, 2), {"f": lambda: 0}, {(1, 2): torch.ones(1)}, [1j]):
        with pytest.raises(TypeError) as e:
            torch.save(bad, path)
        _one_line(e)
        assert not path.exists() and not list(tmp_path.iterdir())
    with pytest.raises(TypeError, match="file path"):
        torch.save({}, io.BytesIO())


def test_map_location_cpu_is_fine_another_device_is_a_sentence(tmp_path):
    path = _saved(tmp_path)
    assert torch.load(path, map_location="cpu")["w"].shape == (3, 4)
    assert torch.load(path, map_location=torch.device("cpu"), weights_only=True)["w"].shape == (
        3,
        4,
    )
    with pytest.raises(InputError, match="CPU only"):
        torch.load(path, map_location="cuda:0")
