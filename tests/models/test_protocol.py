"""Every engine in the registry implements the Model protocol, and the engines agree through it:
the same outputs, cost and gradient for the same weights, a step that is the SGD rule applied
to that gradient, and parameters that round-trip."""

import numpy as np
import pytest
from autograd import grad as ag_grad
from autograd import numpy as anp
from conftest import numeric_gradient

from chainrule.errors import InputError, InputTypeError
from chainrule.models import ENGINES, build, check_model, twin
from chainrule.protocol import Model, parameter_names
from chainrule.train import TrainingDiverged, train

SIZES = [3, 4, 2]
RNG = np.random.default_rng(7)
X = RNG.normal(size=(5, 3))
LABELS = np.array([0, 1, 1, 0, 1])


def make(engine):
    return build(engine, SIZES, "sigmoid", "quadratic", "normal", "float64", seed=3)


def oracle_cost(theta, X, Y):
    """The quadratic cost of a sigmoid MLP, written again in autograd's numpy: the judge."""
    W1, b1, W2, b2 = theta
    a = 1 / (1 + anp.exp(-(anp.dot(X, W1.T) + b1)))
    a = 1 / (1 + anp.exp(-(anp.dot(a, W2.T) + b2)))
    return anp.sum((a - Y) ** 2) / 2 / len(X)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_every_engine_implements_the_protocol(engine):
    model = make(engine)
    assert isinstance(model, Model) and check_model(model) is model and model.engine == engine
    assert list(model.parameters()) == parameter_names(2)
    assert model.describe() | {"optimizer": None} == {
        "engine": engine,
        "sizes": SIZES,
        "activation": "sigmoid",
        "cost": "quadratic",
        "init": "normal",
        "dtype": "float64",
        "optimizer": None,
    }


@pytest.mark.parametrize("engine", list(ENGINES))
def test_cost_and_gradient_match_autograd_and_finite_differences(engine):
    model = make(engine)
    Y = model.targets(LABELS)
    theta = [model.parameters()[n] for n in parameter_names(2)]
    assert model.batch_cost(X, Y) == pytest.approx(oracle_cost(theta, X, Y), rel=1e-12)
    expected = ag_grad(oracle_cost)(theta, X, Y)
    got = model.gradient(X, Y)
    for name, want in zip(parameter_names(2), expected):
        np.testing.assert_allclose(got[name], want, rtol=1e-9, atol=1e-14)
    W1 = theta[0]
    numeric = numeric_gradient(lambda w: oracle_cost([w.reshape(W1.shape), *theta[1:]], X, Y), W1)
    np.testing.assert_allclose(got["W1"], numeric.reshape(W1.shape), rtol=1e-5, atol=1e-10)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_step_is_the_sgd_rule_on_the_gradient(engine):
    model = make(engine)
    Y = model.targets(LABELS)
    before = {k: np.array(v) for k, v in model.parameters().items()}
    g = model.gradient(X, Y)
    lr, l2, n = 0.7, 2.0, 40
    model.step(X, Y, lr, l2, n)
    for name, old in before.items():
        decay = 1 - lr * l2 / n if name.startswith("W") else 1.0
        np.testing.assert_allclose(model.parameters()[name], decay * old - lr * g[name], rtol=1e-12)


def test_the_engines_agree_on_outputs_predictions_and_evaluation():
    models = [make(engine) for engine in ENGINES]
    reference = models[0]
    for model in models[1:]:
        np.testing.assert_allclose(model.outputs(X), reference.outputs(X), rtol=1e-12)
        assert (model.predict(X) == reference.predict(X)).all()
        cost, accuracy = model.evaluate(X, LABELS, l2=1.5, n=10)
        ref_cost, ref_accuracy = reference.evaluate(X, LABELS, l2=1.5, n=10)
        assert cost == pytest.approx(ref_cost, rel=1e-12) and accuracy == ref_accuracy


@pytest.mark.parametrize("engine", list(ENGINES))
def test_parameters_round_trip_and_twins_copy_them(engine):
    model = make(engine)
    new = {k: RNG.normal(size=v.shape) for k, v in model.parameters().items()}
    model.set_parameters(new)
    for name, array in model.parameters().items():
        np.testing.assert_array_equal(array, new[name])
    for other in ENGINES:
        copy = twin(model, engine=other)
        assert copy.engine == other
        np.testing.assert_allclose(copy.outputs(X), model.outputs(X), rtol=1e-12)


def test_the_registry_refuses_what_it_does_not_know():
    with pytest.raises(InputError, match="unknown engine 'jax': choose one of network, tensor"):
        build("jax", SIZES)
    with pytest.raises(InputError, match="the network engine does not take optimizer"):
        build("network", SIZES, optimizer="adam")
    with pytest.raises(InputError, match="the network engine has no init 'he'"):
        build("network", SIZES, init="he")
    with pytest.raises(InputError, match=r"would need about .* GiB, more than this machine"):
        build("network", [100_000, 100_000, 100_000, 1])
    with pytest.raises(InputError, match="too many for the Value engine"):
        build("value", [2, 3000, 3000, 1])
    with pytest.raises(InputTypeError, match="expected a chainrule model"):
        check_model(object())


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize(
    "labels, words",
    [
        (np.array([0, 2]), "labels run from 0 to 2 but the network's 2 output"),
        (np.array([-1, 0]), "labels run from -1 to 0"),
        (np.array([0.5, 1.0]), "labels must be whole class numbers"),
    ],
)
def test_labels_that_do_not_fit_the_outputs_get_one_sentence(engine, labels, words):
    model = make(engine)
    with pytest.raises(InputError, match=words):
        model.targets(labels)
    with pytest.raises(InputError, match=words):
        model.evaluate(X[:2], labels)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"epochs": 2.5}, "epochs must be a whole number"),
        ({"epochs": -1}, "epochs must be a whole number"),
        ({"batch_size": "10"}, "the batch size must be a whole number"),
        ({"test": (X,)}, r"test must be a pair \(X_test, y_test\)"),
    ],
)
def test_train_refuses_bad_settings_in_one_sentence(kwargs, words):
    with pytest.raises(InputError, match=words):
        train(make("network"), X, LABELS, **kwargs)
    with pytest.raises(InputTypeError, match="train needs a chainrule model"):
        train(object(), X, LABELS)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_diverging_rate_stops_every_engine_the_same_way(engine):
    """Issue 11, point 7: with lr 1e30 the weights run off (to NaN on one engine, to 1e29 on the
    engines whose cost saturates); every engine stops with the divergence message."""
    model = make(engine)
    with pytest.raises(TrainingDiverged, match="try a smaller learning rate"):
        train(model, X, LABELS, epochs=3, batch_size=5, lr=1e30)
