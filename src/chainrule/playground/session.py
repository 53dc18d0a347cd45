"""One page's session: its settings, data, model and history; everything a button asks for.

The session talks to the model only through the Model protocol (``step``, ``gradient``,
``outputs``, ``parameters``, ``set_parameters``, ``evaluate``) and the registry (``build``,
``twin``); the maths on screen is ``chainrule.explain.explain`` and ``chainrule.check.gradcheck``.
One frame of the page is one epoch: every training point visited once, in shuffled mini-batches.

Outputs: two classes are one output unit (label 0 or 1, the decision at ``a = 0.5``) for the
quadratic and cross-entropy costs; more than two are one unit per class, with a softmax output and
the log-likelihood cost on the network and tensor engines (the value engine takes only the
quadratic cost: one-hot targets). Regression, as in TensorFlow Playground, is one output unit,
the quadratic cost and targets in ``[-1, 1]`` (a tanh output fits them).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from chainrule.check import as_float64, gradcheck
from chainrule.errors import ChainruleError, InputError
from chainrule.explain import explain, parse_param
from chainrule.models import ENGINES, build, twin
from chainrule.models.registry import as_explainer, parameter_count
from chainrule.playground import dataset
from chainrule.playground import settings as config
from chainrule.playground.frames import Painter
from chainrule.playground.stepthrough import stages
from chainrule.train import Epoch, History, Loop, Position, TrainingDiverged, guard

AGREEMENT_SAMPLES = 32  # the engines are compared on this many training samples
CHECK_SAMPLES = 10  # the gradient check's batch
SCALAR_AGREEMENT_LIMIT = 2_000  # parameters; beyond this a scalar engine is left out


class Session:
    """A page's state. Methods are called from the server's threads under ``lock``."""

    def __init__(self, settings: dict | None = None):
        self.lock = threading.Lock()
        self.stop = threading.Event()  # set when the page has gone: training stops between steps
        self.settings: dict = {}
        self.problem = None
        self.model = None
        self.configure(settings or {})

    # ------------------------------------------------------------------------------ settings
    def configure(self, changes: dict) -> list[str]:
        """Apply ``changes`` to the settings (each checked, one sentence for a bad one); rebuild
        the data, the model, or neither, as they require. Returns notes for the page."""
        saved = dict(self.__dict__)
        try:
            return self._configure(changes)
        except ChainruleError:
            self.__dict__.update(saved)  # a refused change leaves the session as it was
            raise

    def _configure(self, changes: dict) -> list[str]:
        new = config.merge(self.settings, changes)
        old = self.settings
        data_changed = self.problem is None or any(new[k] != old.get(k) for k in config.DATA)
        if data_changed and new["data"] != "csv":
            self.problem = dataset.generated(
                new["data"], new["points"], new["noise"], new["ratio"], new["seed"], new["classes"]
            )
        elif data_changed and (self.problem is None or self.problem.name != "csv"):
            raise InputError(
                "your own data is not kept in the URL or the menu; load the CSV file again."
            )
        self.settings = new
        rebuild = data_changed or any(new[k] != old.get(k) for k in config.NETWORK)
        return self._after_data(rebuild)

    def load_csv(self, text: str) -> list[str]:
        """Replace the data by a CSV file's (``dataset.parse_csv``); the model is rebuilt."""
        problem = dataset.parse_csv(text, self.settings["ratio"], self.settings["seed"])
        saved = dict(self.__dict__)
        try:
            self.problem = problem
            self.settings = {**self.settings, "data": "csv"}
            return self._after_data(rebuild=True)
        except ChainruleError:
            self.__dict__.update(saved)
            raise

    def _after_data(self, rebuild: bool) -> list[str]:
        s, p = self.settings, self.problem
        self.X = dataset.features(p.points, s["features"])
        self.test_X = dataset.features(p.test_points, s["features"])
        self.cost, outputs, notes = config.output_layer(s, p)
        self.sizes = [len(s["features"]), *s["layers"], outputs]
        if rebuild or self.model is None:
            self.reset()
        elif s["engine"] != self.model.engine:
            self.model = twin(self.model, engine=s["engine"], cost=self.cost)
            self._targets()
        self._steps = None  # the epoch under way goes on with the new settings
        self.painter = Painter(p.domain, s["features"], p.regression, p.classes)
        self.notes = notes
        return notes

    def reset(self) -> None:
        """A fresh model from the seed (the same seed draws the same weights on every engine)."""
        s = self.settings
        self.model = build(
            s["engine"],
            self.sizes,
            s["activation"],
            self.cost,
            s["init"],
            "float64",
            seed=s["seed"],
        )
        self.rng = np.random.default_rng(s["seed"])
        self.history = History(dict(s))
        self.epoch, self.diverged = 0, None
        self.position, self._steps = Position(), None
        self._net = None
        self._targets()

    def _targets(self) -> None:
        p, model = self.problem, self.model
        if p.regression:
            self.Y, self.test_Y = p.y[:, None], p.test_y[:, None]
        else:
            self.Y, self.test_Y = model.targets(p.y), model.targets(p.test_y)

    # ------------------------------------------------------------------------------ training
    def train(self, budget: float | None = None) -> bool:
        """Mini-batch steps of chainrule.train's loop (``Loop.steps``: the same shuffles, steps
        and divergence rule as ``chainrule train``) until the epoch ends, ``budget`` seconds have
        passed (None: no limit), or ``stop`` is set: so a frame may be part of an epoch. At an
        epoch's end its scores go to the history. False (and ``diverged`` set: the loop's
        sentence) when the weights or the cost ran off; it stays so until a reset."""
        if self.diverged:
            return False
        s = self.settings
        if self._steps is None:  # an epoch begins, or resumes after a change of settings
            size = min(s["batch"], len(self.X))
            loop = Loop(
                self.model, self.X, self.problem.y, self.Y, None, size, s["lr"], s["l2"], self.rng,
                l1=s["l1"],
            )
            self._steps = loop.steps(self.position, self.history)
        start = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                for done in self._steps:
                    self.position.batch = done
                    if self.stop.is_set() or (
                        budget is not None and time.perf_counter() - start >= budget
                    ):
                        self.position.seconds += time.perf_counter() - start
                        return True
                self._steps = None
                seconds = self.position.seconds + time.perf_counter() - start
                scores = self.scores()
                guard(self.model, s["lr"], self.position.epoch, cost=scores[0])
        except TrainingDiverged as e:
            self._steps = None
            self.diverged = f"{e} Training paused: press reset."
            return False
        self.epoch = self.position.epoch
        self.history.epochs.append(Epoch(self.epoch, *scores, seconds))
        self.position = Position(self.epoch + 1)
        return True

    def train_epoch(self) -> bool:
        """The rest of the epoch under way (``train`` with no budget)."""
        return self.train()

    def scores(self) -> tuple[float, float, float, float]:
        """``(cost, accuracy, test cost, test accuracy)``; accuracy is NaN for regression.
        Measured on the float64 ``Network`` with the model's weights (``net``): the same numbers
        to rounding, at the cost of arrays, not of one Python object per number."""
        s, model = self.settings, self.net()
        with np.errstate(all="ignore"):
            if self.problem.regression:
                n = len(self.X)
                penalty = model.l2_penalty(s["l2"], n) + model.l1_penalty(s["l1"], n)
                cost = model.batch_cost(self.X, self.Y) + penalty
                test = model.batch_cost(self.test_X, self.test_Y) + penalty
                return cost, float("nan"), test, float("nan")
            cost, accuracy = model.evaluate(self.X, self.problem.y, s["l2"], l1=s["l1"])
            test, test_accuracy = model.evaluate(
                self.test_X, self.problem.test_y, s["l2"], len(self.X), l1=s["l1"]
            )
        return cost, accuracy, test, test_accuracy

    # ------------------------------------------------------------------------------ frames
    def net(self):
        """The model in float64 on an engine that explains per layer (itself, or a mirror with
        its weights: ``chainrule.models.registry.as_explainer``)."""
        self._net = as_explainer(self.model, cached=self._net)
        return self._net

    def frame(self, gradients: bool = True) -> dict:
        """What the page draws after a step: scores, parameters, their gradient on the whole
        training set (on ``net``, as the scores), the output's and every neuron's heat map."""
        with np.errstate(all="ignore"):  # a diverged network's overflow is expected here
            cost, accuracy, test_cost, test_accuracy = self.scores()
            frame = {
                "type": "frame",
                "epoch": self.epoch,
                "cost": _json(cost),
                "accuracy": _json(accuracy),
                "test_cost": _json(test_cost),
                "test_accuracy": _json(test_accuracy),
                "params": _lists(self.model.parameters()),
                "output": self.painter.output(self.model),
                "neurons": self.painter.neurons(self.model),
            }
            if gradients:
                frame["grads"] = _lists(self.net().gradient(self.X, self.Y))
        return frame

    def data(self) -> dict:
        """The points (train and test), labels or targets, and everything the page labels."""
        p, s = self.problem, self.settings
        return {
            "type": "data",
            "settings": s,
            "sizes": self.sizes,
            "cost": self.cost,
            "notes": self.notes,
            "classes": p.classes,
            "domain": p.domain,
            "train": p.points.tolist(),
            "test": p.test_points.tolist(),
            "y": p.y.tolist(),
            "test_y": p.test_y.tolist(),
            "batch_kind": config.batch_kind(s["batch"], len(self.X)),
        }

    # ------------------------------------------------------------------------------ the maths
    def sample(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Training sample ``index``: its features ``(n_0,)`` and its target row ``(n_L,)``."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.X):
            raise InputError(f"choose a training sample 0 .. {len(self.X) - 1}, not {index!r}.")
        return self.X[index], self.Y[index]

    def explain(self, param: str, index: int = 0) -> dict:
        """``chainrule.explain.explain`` for one parameter on training sample ``index``, with
        the parameter's value and its gradient on the whole training set."""
        x, target = self.sample(index)
        with np.errstate(all="ignore"):  # a diverged network's overflow is expected here
            found = explain(self.model, x, target, param)
        kind, layer, where = parse_param(self.model, param)
        name = f"{kind}{layer}"
        return {
            "type": "explain",
            "param": found.param,
            "sample": index,
            "value": float(self.model.parameters()[name][where]),
            "batch_gradient": float(self.model.gradient(self.X, self.Y)[name][where]),
            "product": found.product,
            "gradient": found.gradient,
            "numeric": found.numeric,
            "factors": [value for _, value in found.factors],
            "html": found.html(),
        }

    def set_parameter(self, param: str, value: float) -> None:
        """Write one weight or bias (``"W1[0,1]"``) through ``set_parameters``."""
        kind, layer, where = parse_param(self.model, param)
        if not (isinstance(value, (int, float)) and np.isfinite(value)):
            raise InputError(f"a weight must be a finite number, not {value!r}.")
        arrays = {k: np.array(v) for k, v in self.model.parameters().items()}
        arrays[f"{kind}{layer}"][where] = value
        self.model.set_parameters(arrays)
        self.diverged = None

    def step_through(self, index: int = 0) -> dict:
        """The stages of one update on training sample ``index`` (see ``stepthrough``)."""
        x, target = self.sample(index)
        s = self.settings
        return {
            "type": "stages",
            "sample": index,
            "stages": stages(self.net(), x, target, s["lr"], s["l1"], s["l2"], len(self.X)),
        }

    def apply_sample_step(self, index: int) -> None:
        """The step-through's update, applied: one step of the engine on that sample alone."""
        x, target, s = *self.sample(index), self.settings
        self.model.step(x[None], target[None], s["lr"], s["l2"], len(self.X), l1=s["l1"])

    def gradcheck(self) -> dict:
        """``chainrule.check.gradcheck`` of the current network on the first training samples."""
        model = as_float64(self.model)
        result = gradcheck(model, self.X[:CHECK_SAMPLES], self.Y[:CHECK_SAMPLES])
        return {"type": "gradcheck", "passed": result.passed, "text": str(result)}

    def agreement(self) -> dict:
        """Every engine's cost and gradient on the same samples and weights as this model's,
        and the largest difference from it (they agree to float64 rounding)."""
        X, Y = self.X[:AGREEMENT_SAMPLES], self.Y[:AGREEMENT_SAMPLES]
        mine = self.model.gradient(X, Y)
        rows = []
        for engine, entry in ENGINES.items():
            if (entry.costs is not None and self.cost not in entry.costs) or (
                entry.scalar and parameter_count(self.sizes) > SCALAR_AGREEMENT_LIMIT
            ):
                continue
            other = self.model if engine == self.model.engine else twin(self.model, engine=engine)
            theirs = other.gradient(X, Y)
            diff = max(float(np.max(np.abs(mine[k] - theirs[k]))) for k in mine)
            rows.append({"engine": engine, "cost": other.batch_cost(X, Y), "max_diff": diff})
        return {"type": "agreement", "samples": len(X), "engines": rows}


def _json(x: float):
    """A float for JSON: NaN and infinities become None."""
    return float(x) if np.isfinite(x) else None


def _lists(arrays: dict) -> dict:
    """Arrays as nested lists for JSON; NaN and infinities (a diverged network) become None."""
    out = {}
    for k, v in arrays.items():
        v = np.asarray(v, dtype=np.float64)
        out[k] = v.tolist() if np.isfinite(v).all() else np.where(np.isfinite(v), v, None).tolist()
    return out
