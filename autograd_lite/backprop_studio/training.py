"""Training, live: a network learning 2-D data, one epoch or one batch at a time.

The session trains through the public training API only: each step is one call of
:func:`autograd_lite.train.fit` with ``epochs=1`` (on one batch's rows for a batch
step), with the one optimizer the session keeps, so that its momentum carries over
from step to step just as in one long ``fit``. Between steps it reads what the widget
draws (:meth:`TrainingSession.picture`): every neuron's output over a grid of the
plane (through ``ag.compile``, the whole grid at once), from which the page shades the
decision boundary and each neuron's heat-map; the weights; the optimizer's state per
parameter; and, for one chosen point, its forward and backward pass through the network
(each neuron's output and its gradient, from the engine's own pass).

Playing runs the steps in a background thread at a set pace (``speed`` epochs a
second, or as fast as it can), so the kernel stays free meanwhile; a lock keeps a
step and an edit of the data from overlapping. Any exception in that thread stops
playing and is kept in :attr:`TrainingSession.error` for the widget to show; play
works again once the cause is fixed.
"""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..compiler import TracingError, compile
from ..engine import Value, gradients, no_grad, topological_order
from ..nn.layers import ACTIVATIONS
from ..support.checks import describe, non_negative_number, one_of
from ..training import train
from ..training.optim import SGD, Adam, Optimizer
from .groups import check_model, neuron_groups

GRID = 40  # the decision boundary is shaded from GRID × GRID outputs of the network
HEAT_GRID = 15  # each neuron's heat-map: HEAT_GRID × HEAT_GRID of its outputs
UNITS = ("epoch", "batch")
MAX_FRAMES = 200  # the weights kept for a saved page's replay (thinned as training goes on)


class TrainingSession:
    """A model, its data and its optimizer, trained a step at a time.

    Args:
        model: an ``nn.MLP`` with two inputs.
        X: the inputs, shape (n, 2), finite numbers.
        y: the class of each row, 0, 1, ...
        loss, optimizer, epochs, batch_size, lr_schedule, l2, seed, threshold,
            compiled: as for :func:`autograd_lite.train.fit`; ``epochs`` is where
            playing stops, and the optimizer defaults to ``Adam(lr=0.01)`` made once.
        speed: epochs a second while playing (0.5 for one every two seconds), or None
            for as fast as it can.
        test: ``(X_test, y_test)``, points it does not train on, whose loss it shows
            beside the training loss; or None.

    Attributes:
        X, y: the data as it is now (points can be added and deleted).
        history: one dict per step: ``epoch``, ``unit``, ``loss``, ``accuracy``, and
            with a test set ``test_loss`` and ``test_accuracy``.
        error: why playing stopped early (``"ZeroDivisionError: ..."``), ``""`` while
            there is none.
        note: what the last request did not do and why (play at the planned end).

    Raises:
        TypeError, ValueError: for a bad argument, naming it and its value.
    """

    def __init__(
        self,
        model: Any,
        X: Any,
        y: Any,
        loss: Any = "hinge",
        optimizer: Any = None,
        epochs: int = 100,
        batch_size: int | None = None,
        lr_schedule: Callable[[int], float] | None = None,
        l2: float = 0.0,
        seed: int | None = 0,
        threshold: float | None = None,
        compiled: bool | None = None,
        speed: float | None = 10.0,
        test: Any = None,
    ) -> None:
        check_model(model)
        if model.nin != 2:
            raise ValueError(f"studio: model must take 2 inputs to draw its data, got {model.nin}")
        X, y = _points(X, y, "X", "y")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"studio: epochs must be a positive int, got {epochs!r}")
        _check_batch_size(batch_size, "studio")
        self.objective = train.objective(loss, threshold)
        if self.objective.binary and y.max() > 1:
            raise ValueError(
                f"studio: loss {self.objective.name!r} takes two classes, labels 0 and 1; "
                f"got {y.max()}"
            )
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"studio: optimizer must be an optimizer such as "
                f"optim.SGD(model.parameters(), lr=0.1), got {describe(optimizer)}"
            )
        if optimizer is not None and set(optimizer.params) != set(model.parameters()):
            raise ValueError("studio: optimizer must update model's own parameters")
        if lr_schedule is not None:
            _check_schedule(lr_schedule)
        l2 = non_negative_number(l2, "studio", "l2")
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
        ):
            raise ValueError(f"studio: seed must be None or an int >= 0, got {describe(seed)}")
        self.speed = _check_speed(speed, "studio")
        self.test: tuple[np.ndarray, np.ndarray] | None = None
        if test is not None:
            if not isinstance(test, tuple | list) or len(test) != 2:
                raise TypeError(
                    f"studio: test must be a pair (X_test, y_test), got {describe(test)}"
                )
            self.test = _points(test[0], test[1], "test[0]", "test[1]")
        self.model = model
        self.X = X
        self.y = y
        self.classes = int(max(self.y.max(), 1)) + 1
        self.loss = loss
        self.optimizer = optimizer if optimizer is not None else Adam(model.parameters(), lr=0.01)
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr_schedule = lr_schedule
        self.l2 = l2
        self.seed = seed
        self.threshold = threshold
        self.compiled = compiled
        self.activation: str = model.activation  # applied by the next reset
        self.resets = 0
        self.epoch = 0  # epochs finished
        self.history: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []  # the weights every `_stride` epochs
        self._stride = 1
        self._bounds = _bounds_of(X)  # fixed: adding points does not move the others
        self._batches: list[list[int]] = []  # the rest of the current epoch's batches
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._running = False
        self._function: Any = None
        self.error = ""
        self.note = ""
        self.on_change: Callable[[], None] = lambda: None
        self._keep_frame()

    # --- training ------------------------------------------------------------------

    def _fit(self, rows: np.ndarray, epoch_seed: int | None, batch_size: int | None) -> Any:
        if self.lr_schedule is not None:
            rate = self.lr_schedule(self.epoch)
            try:
                self.optimizer.lr = rate
            except (TypeError, ValueError) as e:
                raise TypeError(
                    f"lr_schedule({self.epoch}) returned {describe(rate)}: {e}"
                ) from None
        return train.fit(
            self.model,
            self.X[rows],
            self.y[rows],
            loss=self.loss,
            optimizer=self.optimizer,
            epochs=1,
            batch_size=batch_size,
            l2=self.l2,
            progress=False,
            seed=epoch_seed,
            threshold=self.threshold,
            compiled=self.compiled,
        )

    def _epoch_seed(self) -> int | None:
        # fit(epochs=1) draws one order from its seed: a new seed each epoch, a new order
        return None if self.seed is None else self.seed + self.epoch

    def step(self, unit: str = "epoch") -> dict[str, Any]:
        """Train one epoch, or one batch (the next of the current epoch's batches).

        Args:
            unit: ``"epoch"`` or ``"batch"``.

        Returns:
            The new entry of :attr:`history`: the loss and accuracy fit measured while
            training on the step's rows (averaged over the rows of an epoch), and the
            test set's after the step.
        """
        if unit not in UNITS:
            raise ValueError(f"step: unit must be 'epoch' or 'batch', got {unit!r}")
        with self._lock:
            n = len(self.X)
            if unit == "epoch" and not self._batches:
                history = self._fit(np.arange(n), self._epoch_seed(), self.batch_size)
                loss, accuracy = history.loss[-1], history.accuracy[-1]
                self.epoch += 1
            else:
                if not self._batches:
                    self._batches = self._epoch_batches(n)
                # one batch; for an epoch begun batch by batch, the rest of its batches
                total = correct = rows_seen = 0.0
                while self._batches:
                    rows = np.array(self._batches.pop(0))
                    history = self._fit(rows, None, None)
                    total += history.loss[-1] * len(rows)
                    correct += history.accuracy[-1] * len(rows)
                    rows_seen += len(rows)
                    if unit == "batch":
                        break
                loss, accuracy = total / rows_seen, correct / rows_seen
                if not self._batches:
                    self.epoch += 1
            entry = {
                "epoch": self.epoch,
                "unit": unit,
                "loss": float(loss),
                "accuracy": float(accuracy),
            }
            if self.test is not None:
                entry["test_loss"], entry["test_accuracy"] = self.evaluate(*self.test)
            self.history.append(entry)
            self._keep_frame()
        self.on_change()
        return entry

    def _epoch_batches(self, n: int) -> list[list[int]]:
        """This epoch's batches, in fit's own order: the same permutation for the same seed."""
        size = n if self.batch_size is None else self.batch_size
        if size >= n:
            return [list(range(n))]
        order = np.random.default_rng(self._epoch_seed()).permutation(n).tolist()
        return [order[i : i + size] for i in range(0, n, size)]

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """The loss (without the L2 penalty) and the accuracy of the model on ``X``, ``y``.

        The outputs come from the compiled network; only the loss of those numbers is
        built on the engine, a few nodes per point.
        """
        outputs = self._outputs(X)[:, -self._n_outputs() :]
        rows = [float(o[0]) for o in outputs] if outputs.shape[1] == 1 else outputs.tolist()
        with no_grad():
            values = [
                Value(o) if isinstance(o, float) else [Value(v) for v in o] for o in rows
            ]
            loss = self.objective.loss(values, y.tolist()).data
        predicted = self.objective.classes(outputs[:, 0] if outputs.shape[1] == 1 else outputs)
        return float(loss), float(np.mean(predicted == y))

    def _n_outputs(self) -> int:
        return len(self.model.layers[-1].neurons)

    def _keep_frame(self) -> None:
        """Keep the weights after whole epochs for a saved page's replay: every epoch at
        first, then every 2nd, 4th, ... so that at most MAX_FRAMES are kept."""
        if self.history and self.history[-1]["unit"] == "batch" and self._batches:
            return  # in the middle of an epoch
        if self.epoch % self._stride:
            return
        self.frames.append(
            {"epoch": self.epoch, "weights": [p.data for p in self.model.parameters()]}
        )
        if len(self.frames) > MAX_FRAMES:
            self._stride *= 2
            self.frames = [f for f in self.frames if f["epoch"] % self._stride == 0]

    # --- playing in the background ---------------------------------------------------

    @property
    def playing(self) -> bool:
        """Whether the background thread is training."""
        return self._running

    def play(self, unit: str = "epoch") -> None:
        """Train in a background thread, a step at a time at ``speed``, until ``epochs``
        or :meth:`pause` (at the planned end it trains nothing and says so in ``note``:
        :meth:`more` trains on past it)."""
        if unit not in UNITS:
            raise ValueError(f"play: unit must be 'epoch' or 'batch', got {unit!r}")
        if self.playing:
            return
        if self.epoch >= self.epochs:
            self.note = (
                f"the planned {self.epochs} epochs are done: '+N epochs' (more(n)) "
                f"trains on past them"
            )
            self.on_change()
            return
        self._stop.clear()
        self.error = self.note = ""
        self._running = True
        self._thread = threading.Thread(target=self._run, args=(unit,), daemon=True)
        self._thread.start()

    def _run(self, unit: str) -> None:
        try:
            while not self._stop.is_set() and self.epoch < self.epochs:
                started = time.perf_counter()
                self.step(unit)
                # the pace: one step per 1/speed seconds, and always a breath for the
                # kernel's own work (its messages, a cell the learner runs meanwhile)
                pause = 0.0 if self.speed is None else 1.0 / self.speed
                self._stop.wait(max(0.005, pause - (time.perf_counter() - started)))
        except Exception as e:  # any error stops playing; the widget shows it
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self._running = False
            self.on_change()

    def pause(self) -> None:
        """Stop playing after the current step (waits for it)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._thread = None
        self._running = False
        self.on_change()

    def more(self, n: int) -> None:
        """Plan ``n`` more epochs past the current one and play them."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1_000_000:
            raise ValueError(f"more: n must be an int from 1 to 1000000, got {describe(n)}")
        self.epochs = max(self.epochs, self.epoch) + n
        self.note = ""
        self.play()

    # --- settings ----------------------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        """Change hyperparameters while it trains: ``lr`` (it replaces an ``lr_schedule``),
        ``batch_size`` (None for the full batch), ``l2``, ``speed`` (epochs a second, None
        for as fast as it can), ``activation`` (of the hidden layers, applied by the next
        :meth:`reset`).

        Raises:
            TypeError: for an unknown setting.
            ValueError: for a bad value, naming the setting and the value.
        """
        known = ("lr", "batch_size", "l2", "speed", "activation")
        for name in settings:
            if name not in known:
                raise TypeError(f"configure: unknown setting {name!r}; the settings are {known}")
        with self._lock:
            if "lr" in settings:
                self.optimizer.lr = non_negative_number(settings["lr"], "configure", "lr")
                self.lr_schedule = None  # the learner's rate replaces the schedule
            if "batch_size" in settings:
                _check_batch_size(settings["batch_size"], "configure")
                self.batch_size = settings["batch_size"]
                self._batches = []
            if "l2" in settings:
                self.l2 = non_negative_number(settings["l2"], "configure", "l2")
            if "speed" in settings:
                self.speed = _check_speed(settings["speed"], "configure")
            if "activation" in settings:
                self.activation = one_of(
                    settings["activation"], "configure", "activation", ACTIVATIONS
                )
        self.on_change()

    def reset(self) -> None:
        """Start again: new initial weights (with the chosen activation), a fresh
        optimizer of the same kind and settings, epoch 0, an empty history.

        The data stays as it is. With another activation the model is a new ``nn.MLP``
        (``session.model``); else the same model gets new weights.
        """
        self.pause()
        with self._lock:
            self.resets += 1
            seed = None if self.seed is None else self.seed + 1000 * self.resets
            old = self.model
            fresh = type(old)(
                old.nin,
                old.nouts,
                activation=self.activation,
                output_activation=old.output_activation,
                seed=seed,
            )
            if self.activation == old.activation:
                for p, q in zip(old.parameters(), fresh.parameters(), strict=True):
                    p.data = q.data
            else:
                self.model = fresh
            self.optimizer = _fresh_optimizer(self.optimizer, self.model.parameters())
            self._function = None
            self.epoch = 0
            self.history = []
            self.frames = []
            self._stride = 1
            self._batches = []
            self.error = self.note = ""
            self._keep_frame()
        self.on_change()

    # --- editing the data --------------------------------------------------------------

    def add_point(self, x1: float, x2: float, label: int) -> None:
        """Add a point of class ``label``; training goes on with it."""
        for name, v in (("x1", x1), ("x2", x2)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise ValueError(f"add_point: {name} must be a finite number, got {v!r}")
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < self.classes:
            raise ValueError(
                f"add_point: label must be an int from 0 to {self.classes - 1}, got {label!r}"
            )
        with self._lock:
            self.X = np.vstack([self.X, [[float(x1), float(x2)]]])
            self.y = np.append(self.y, label)
            self._batches = []  # the batches were drawn for the old data
            x0, x1_, y0, y1 = self._bounds
            if not (x0 <= x1 <= x1_ and y0 <= x2 <= y1):  # only a point added from code
                self._bounds = _bounds_of(self.X)
        self.on_change()

    def delete_point(self, index: int) -> None:
        """Delete the point at ``index`` (one point always stays)."""
        with self._lock:
            if (
                isinstance(index, bool)
                or not isinstance(index, int)
                or not 0 <= index < len(self.X)
            ):
                raise ValueError(
                    f"delete_point: index must be an int from 0 to {len(self.X) - 1}, got {index!r}"
                )
            if len(self.X) == 1:
                raise ValueError("delete_point: the last point cannot be deleted")
            self.X = np.delete(self.X, index, axis=0)
            self.y = np.delete(self.y, index)
            self._batches = []
        self.on_change()

    # --- what the widget draws -----------------------------------------------------------

    def _every_neuron(self, x: list[Value]) -> list[Value]:
        """Every neuron's output, layer after layer (the last layer's are the model's)."""
        outputs: list[Value] = []
        h = x
        for layer in self.model.layers:
            h = layer.forward(h)
            outputs.extend(h)
        return outputs

    def _outputs(self, points: np.ndarray) -> np.ndarray:
        """Every neuron's output at each point, shape (n, neurons): through a compiled
        tape, or the scalar engine if the model cannot be traced."""
        if self._function is None:
            try:
                self._function = compile(self._every_neuron, n_inputs=2)
            except TracingError:
                self._function = False
        if self._function is not False:
            try:
                return np.asarray(self._function(points)).reshape(len(points), -1)
            except TracingError:
                self._function = False
        with no_grad():
            return np.array(
                [[v.data for v in self._every_neuron([Value(a), Value(b)])] for a, b in points]
            )

    def bounds(self) -> tuple[float, float, float, float]:
        """The plot's extent, ``(x_min, x_max, y_min, y_max)``: the first data with a
        margin, kept as points are added inside it."""
        return self._bounds

    def picture(self) -> dict[str, Any]:
        """What the data panel and the network panel shade, from one pass of the network
        over two grids covering :meth:`bounds` (row by row from the bottom).

        Returns:
            ``{"bounds", "n", "probability", "classes", "heat_n", "heat"}``:
            ``probability`` is, per grid point, the probability of class 1 (a
            one-output model: the sigmoid of the output's distance from the threshold,
            or the output itself for outputs trained towards 0 and 1), or the list of
            each class's softmax probability; ``classes`` the predicted class;
            ``heat`` each neuron's outputs over the coarser ``heat_n`` grid.
        """
        x0, x1, y0, y1 = self._bounds
        with self._lock:
            fine = self._outputs(_grid(self._bounds, GRID))
            coarse = self._outputs(_grid(self._bounds, HEAT_GRID))
        k = self._n_outputs()
        scores = fine[:, -k:]
        with np.errstate(over="ignore"):
            if k == 1:
                s = scores[:, 0]
                if self.objective.threshold == 0.5:
                    probability: Any = np.clip(s, 0.0, 1.0)
                else:
                    probability = 1.0 / (1.0 + np.exp(-(s - self.objective.threshold)))
                classes = self.objective.classes(s)
            else:
                shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
                probability = shifted / shifted.sum(axis=1, keepdims=True)
                classes = scores.argmax(axis=1)
        return {
            "bounds": [x0, x1, y0, y1],
            "n": GRID,
            "probability": np.round(probability, 3).tolist(),
            "classes": classes.tolist(),
            "heat_n": HEAT_GRID,
            "heat": np.round(coarse.T, 2).tolist(),  # enough for a colour, a third the JSON
        }

    def boundary(self) -> dict[str, Any]:
        """The predicted class over a GRID × GRID grid covering :meth:`bounds`, row by row
        from the bottom."""
        whole = self.picture()
        return {key: whole[key] for key in ("bounds", "n", "classes")}

    def replay(self) -> dict[str, Any]:
        """What a saved page replays: the data, the whole history, and for each kept
        frame (:attr:`frames`, the last epoch always among them) its epoch, picture and
        weights, drawn by putting that epoch's weights back into the model for a moment.

        Returns:
            ``{"points", "classes", "epochs", "test", "history", "frames": [{"epoch",
            "picture", "weights"}]}``.
        """
        with self._lock:
            params = self.model.parameters()
            now = [p.data for p in params]
            frames = list(self.frames)
            if not frames or frames[-1]["epoch"] != self.epoch or frames[-1]["weights"] != now:
                frames.append({"epoch": self.epoch, "weights": now})
            drawn = []
            try:
                for f in frames:
                    for p, w in zip(params, f["weights"], strict=True):
                        p.data = w
                    drawn.append(
                        {"epoch": f["epoch"], "picture": self.picture(), "weights": self.weights()}
                    )
            finally:
                for p, w in zip(params, now, strict=True):
                    p.data = w
            return {
                "points": [
                    [float(a), float(b), int(c)] for (a, b), c in zip(self.X, self.y, strict=True)
                ],
                "classes": self.classes,
                "epochs": self.epochs,
                "test": self.test is not None,
                "history": list(self.history),
                "frames": drawn,
            }

    def weights(self) -> list[dict[str, list[Any]]]:
        """Each layer's weights (one row per neuron) and biases."""
        return [
            {
                "w": [[w.data for w in neuron.w] for neuron in layer.neurons],
                "b": [neuron.b.data for neuron in layer.neurons],
            }
            for layer in self.model.layers
        ]

    def optimizer_state(self) -> dict[str, Any]:
        """The optimizer's table: its kind, and per parameter (in ``parameters()`` order)
        its name, value and last gradient, and the optimizer's own state: Adam's step
        ``t``, ``m``, ``sqrt_v`` and the step it takes ``-m/sqrt(v)`` (bias-corrected,
        times lr); SGD's last move ``velocity``."""
        params = self.model.parameters()
        table: dict[str, Any] = {
            "kind": type(self.optimizer).__name__,
            "lr": self.optimizer.lr,
            "names": [p.label for p in params],
            "value": _shown([p.data for p in params]),
            "grad": _shown([p.grad for p in params]),
        }
        opt = self.optimizer
        if isinstance(opt, Adam):
            t, m, v = opt.t, np.array(opt.m), np.array(opt.v)
            table["t"] = t
            table["m"] = _shown(m)
            table["sqrt_v"] = _shown(np.sqrt(v))
            if t:
                beta1, beta2 = opt.betas
                denominator = np.sqrt(v) / math.sqrt(1 - beta2**t) + opt.eps
                with np.errstate(all="ignore"):
                    moved = -opt.lr / (1 - beta1**t) * m / denominator
                moved = np.where(denominator == 0, 0.0, moved)
                table["step"] = _shown(moved)
        elif isinstance(opt, SGD):
            table["velocity"] = _shown(opt.velocity)
        return table

    def trace_point(self, index: int) -> dict[str, Any]:
        """One point's forward and backward pass through the network, neuron by neuron.

        The point's own loss is built on the engine (``loss([model(x)], [y])``), and
        its gradients come from the engine's pass, without touching any ``.grad``.

        Returns:
            ``{"index", "x", "label", "loss", "layers": [{"data": [...], "grad": [...]}]}``:
            each neuron's output and d loss / d output, layer by layer.
        """
        with self._lock:
            x = [float(v) for v in self.X[index]]
            label = int(self.y[index])
            inputs = [Value(v, label=f"x{k + 1}") for k, v in enumerate(x)]
            out = self.model(inputs)
            loss = self.objective.loss([out], [label])
        order = topological_order(loss)
        ids = {node: f"n{k}" for k, node in enumerate(order)}
        by_id = {ids[node]: node for node in order}
        grads = gradients(loss)
        layers = []
        for groups in neuron_groups(self.model, order, ids):
            nodes = [by_id[g.outputs[0]] for g in groups]
            layers.append({"data": [v.data for v in nodes], "grad": [grads[v] for v in nodes]})
        return {
            "index": index,
            "x": x,
            "label": label,
            "loss": loss.data,
            "inputs": [{"data": v.data, "grad": grads.get(v, 0.0)} for v in inputs],
            "layers": layers,
        }


# --- checks and small helpers ----------------------------------------------------------


def _points(X: Any, y: Any, x_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (finite, shape (n, 2)) and ``y`` (class ids, shape (n,)) as arrays, checked."""
    try:
        array = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"studio: {x_name} must be an array of numbers, shape (n, 2)") from None
    labels = np.asarray(y)
    if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
        raise ValueError(
            f"studio: {x_name} must have shape (n, 2) with n >= 1, got {array.shape}"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise ValueError(
            f"studio: {x_name} must hold finite numbers, got {array[row].tolist()} in row {row}"
        )
    if labels.shape != (len(array),):
        raise ValueError(f"studio: {y_name} must have shape ({len(array)},), got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(f"studio: {y_name} must hold class ids 0, 1, ... as ints")
    return array, labels.astype(np.int64)


def _check_batch_size(batch_size: Any, who: str) -> None:
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"{who}: batch_size must be None or a positive int, got {batch_size!r}")


def _check_speed(speed: Any, who: str) -> float | None:
    if speed is None:
        return None
    if (
        isinstance(speed, bool)
        or not isinstance(speed, numbers.Real)
        or not math.isfinite(speed)
        or speed <= 0
    ):
        raise ValueError(
            f"{who}: speed must be None (as fast as it can) or epochs a second > 0, "
            f"got {describe(speed)}"
        )
    return float(speed)


def _check_schedule(schedule: Any) -> None:
    """A schedule must be callable and give a learning rate for epoch 0."""
    if not callable(schedule):
        raise TypeError(
            f"studio: lr_schedule must be a function epoch -> lr (or None), got "
            f"{describe(schedule)}; for a constant rate set the optimizer's lr"
        )
    rate = schedule(0)
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not float(rate) >= 0:
        raise ValueError(
            f"studio: lr_schedule(0) must be a learning rate >= 0, got {describe(rate)}"
        )


def _fresh_optimizer(optimizer: Optimizer, params: list[Value]) -> Optimizer:
    """An optimizer of the same kind and settings as ``optimizer``, with no state yet."""
    if isinstance(optimizer, Adam):
        return Adam(
            params, optimizer.lr, optimizer.betas, optimizer.eps, optimizer.weight_decay
        )
    if isinstance(optimizer, SGD):
        return SGD(params, optimizer.lr, optimizer.momentum, optimizer.weight_decay)
    return type(optimizer)(params, lr=optimizer.lr)  # type: ignore[call-arg]


def _bounds_of(X: np.ndarray) -> tuple[float, float, float, float]:
    """The data's extent with a margin: ``(x_min, x_max, y_min, y_max)``."""
    lo = X.min(axis=0)
    hi = X.max(axis=0)
    pad = np.maximum((hi - lo) * 0.15, 0.5)
    return (
        float(lo[0] - pad[0]),
        float(hi[0] + pad[0]),
        float(lo[1] - pad[1]),
        float(hi[1] + pad[1]),
    )


def _shown(numbers: Any) -> list[float]:
    """Numbers rounded to the 4 significant digits the page shows (a third of the JSON)."""
    return [float(f"{x:.4g}") for x in np.asarray(numbers, dtype=float).tolist()]


def _grid(bounds: tuple[float, float, float, float], n: int) -> np.ndarray:
    """n × n points covering ``bounds``, row by row from the bottom."""
    x0, x1, y0, y1 = bounds
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
