"""The playground's data: the 2-D generators, the features, and CSV files good and bad."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.data import planar
from chainrule.errors import DataError, InputError
from chainrule.playground.dataset import MAX_ROWS, features, generated, parse_csv


@pytest.mark.parametrize("name", list(planar.GENERATORS))
def test_every_generator_draws_points_in_the_square_with_labels(name):
    X, y = planar.generate(name, 300, 0.1, seed=3)
    assert X.shape == (300, 2) and len(y) == 300
    assert np.all(np.abs(X) < 8)
    if name in planar.REGRESSION:
        assert y.dtype == np.float64 and np.all(np.abs(y) <= 1)
    else:
        assert y.dtype == np.int64 and set(np.unique(y)) == set(range(int(y.max()) + 1))
    again, _ = planar.generate(name, 300, 0.1, seed=3)
    np.testing.assert_array_equal(X, again)  # the seed fixes the draw


def test_the_shapes_are_what_their_names_say():
    X, y = planar.generate("circle", 400)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 1].max() <= 2.5 < 3.5 <= r[y == 0].min()
    X, y = planar.generate("xor", 400)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    X, y = planar.generate("plane", 400)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 12)
    X, y = planar.generate("multi_gaussian", 400, classes=5)
    assert set(y) == set(range(5))


def test_bad_requests_get_one_sentence():
    with pytest.raises(InputError, match="unknown data set"):
        planar.generate("galaxy")
    with pytest.raises(InputError, match="classes"):
        planar.generate("multi_gaussian", classes=11)
    with pytest.raises(InputError, match="noise"):
        planar.generate("circle", noise=2)


def test_features_are_the_playgrounds():
    P = np.array([[1.0, 2.0], [-0.5, 3.0]])
    F = features(P, ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"])
    np.testing.assert_allclose(F[1], [-0.5, 3.0, 0.25, 9.0, -1.5, np.sin(-0.5), np.sin(3.0)])
    with pytest.raises(InputError, match="feature"):
        features(P, ["x3"])


def test_split_keeps_the_share_for_training():
    p = generated("circle", 200, 0.0, 0.7, seed=1)
    assert len(p.points) == 140 and len(p.test_points) == 60 and p.classes == 2
    assert generated("plane", 100, 0.0, 0.5, seed=1).regression


def test_a_good_csv_with_a_header_and_classes():
    text = "a,b,label\n" + "\n".join(f"{i},{-i},{i % 3 + 5}" for i in range(30))
    p = parse_csv(text, 0.5, 0)
    assert p.classes == 3 and len(p.points) + len(p.test_points) == 30
    assert set(np.concatenate([p.y, p.test_y])) == {0, 1, 2}  # labels 5, 6, 7 become 0, 1, 2
    assert p.domain[0] < 0 and p.domain[1] > 29


def test_a_csv_with_fractional_targets_is_regression_scaled_to_minus_one_one():
    text = "\n".join(f"{i},{i},{i / 10 + 0.05}" for i in range(20))
    p = parse_csv(text, 0.5, 0)
    assert p.regression
    both = np.concatenate([p.y, p.test_y])
    assert both.min() == pytest.approx(-1) and both.max() == pytest.approx(1)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no data rows"),
        ("x1,x2\n1,2\n3,4\n", "two feature columns"),
        ("1,2,0\n1,zebra,1\n", "row 2, column 2 holds 'zebra', not a number"),
        ("1,2,0\n1,nan,1\n3,3,0\n4,4,1\n", "NaN"),
        ("1,2,0\n3,4,0\n5,6,0\n7,8,0\n", "only one class"),
        ("\n".join(f"{i},{i},{i}" for i in range(11)), "11 classes"),
        ("\n".join(f"{i},{i},{i % 2}" for i in range(MAX_ROWS + 1)), "more than"),
    ],
)
def test_bad_csv_files_get_one_sentence(text, message):
    with pytest.raises(DataError, match=message):
        parse_csv(text)


@pytest.mark.parametrize(
    "text, words",
    [
        ("x1,x2,y\n1,2,0.5\n3,4,0.5\n5,6,0.5\n7,8,0.5\n", "holds one value (0.5) on every row"),
        ("1,2,3\n4,5,3.5\n6,7,-1\n1,1," + "9" * 140_000 + "\n", "one number per cell"),
    ],
)
def test_a_constant_target_or_an_overlong_cell_is_one_sentence(text, words):
    with pytest.raises(DataError, match=r"^[a-z].*\.$") as refused:
        parse_csv(text)
    assert words in str(refused.value)


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_any_line_ending_reads_the_same(ending):
    rows = ["x1,x2,label", "1,2,0", "3,4,1", "5,6,0", "7,8,1", "9,10,1"]
    problem = parse_csv(ending.join(rows) + ending, ratio=0.5, seed=0)
    points = np.concatenate([problem.points, problem.test_points])
    assert sorted(points[:, 0]) == [1, 3, 5, 7, 9] and problem.classes == 2


def test_the_regression_multi_gaussian_is_six_signed_bumps():
    problem = generated("multi_gaussian_regression", 2000, 0.0, 0.5, seed=4)
    assert problem.classes == 0 and problem.regression
    points = np.concatenate([problem.points, problem.test_points])
    y = np.concatenate([problem.y, problem.test_y])
    assert np.all(np.abs(y) <= 1)
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, -2.5, -1), (0, -2.5, 1)]:
        near = np.hypot(points[:, 0] - cx, points[:, 1] - cy) < 0.5
        assert near.any() and np.all(np.sign(y[near]) == sign)
