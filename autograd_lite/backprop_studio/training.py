"""Training, live: a network learning 2-D data, one epoch or one batch at a time.

The session trains through the public training API only: each step is one call of
:func:`autograd_lite.train.fit` with ``epochs=1`` (on one batch's rows for a batch
step), with the one optimizer the session keeps, so that its momentum carries over
from step to step just as in one long ``fit``. Between steps it reads what the widget
draws: the loss, the decision boundary (through ``ag.compile``, a whole grid at once),
the weights, and, for one chosen point, its forward and backward pass through the
network (each neuron's output and its gradient, from the engine's own pass).

Playing runs the steps in a background thread, so the kernel stays free meanwhile;
a lock keeps a step and an edit of the data from overlapping.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..compiler import TracingError, compile
from ..engine import Value, gradients, topological_order
from ..training import train
from ..training.optim import Adam
from .groups import check_model, neuron_groups

GRID = 40  # the decision boundary is drawn from GRID × GRID predictions
UNITS = ("epoch", "batch")


class TrainingSession:
    """A model, its data and its optimizer, trained a step at a time.

    Args:
        model: an ``nn.MLP`` with two inputs.
        X: the inputs, shape (n, 2).
        y: the class of each row, 0, 1, ...
        loss, optimizer, epochs, batch_size, lr_schedule, l2, seed, threshold,
            compiled: as for :func:`autograd_lite.train.fit`; ``epochs`` is where
            playing stops, and the optimizer defaults to ``Adam(lr=0.01)`` made once.

    Attributes:
        X, y: the data as it is now (points can be added and deleted).
        history: one dict per step: ``epoch``, ``unit``, ``loss``, ``accuracy``.
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
    ) -> None:
        check_model(model)
        if model.nin != 2:
            raise ValueError(f"studio: model must take 2 inputs to draw its data, got {model.nin}")
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
            raise ValueError(f"studio: X must have shape (n, 2) with n >= 1, got {X.shape}")
        if y.shape != (len(X),):
            raise ValueError(f"studio: y must have shape ({len(X)},), got {y.shape}")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"studio: epochs must be a positive int, got {epochs!r}")
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
        ):
            raise ValueError(
                f"studio: batch_size must be None or a positive int, got {batch_size!r}"
            )
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
            raise ValueError("studio: y must hold class ids 0, 1, ... as ints")
        self.objective = train.objective(loss, threshold)
        if self.objective.binary and y.max() > 1:
            raise ValueError(
                f"studio: loss {self.objective.name!r} takes two classes, labels 0 and 1; "
                f"got {y.max()}"
            )
        self.model = model
        self.X = X
        self.y = y.astype(np.int64)
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
        self.epoch = 0  # epochs finished
        self.history: list[dict[str, Any]] = []
        self._batches: list[list[int]] = []  # the rest of the current epoch's batches
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._running = False
        self._function: Any = None
        self.error = ""  # why playing stopped early, if it did
        self.on_change: Callable[[], None] = lambda: None

    # --- training ------------------------------------------------------------------

    def _fit(self, rows: np.ndarray, epoch_seed: int | None, batch_size: int | None) -> Any:
        if self.lr_schedule is not None:
            self.optimizer.lr = self.lr_schedule(self.epoch)
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
            training on the step's rows (averaged over the rows of an epoch).
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
            self.history.append(entry)
        self.on_change()
        return entry

    def _epoch_batches(self, n: int) -> list[list[int]]:
        """This epoch's batches, in fit's own order: the same permutation for the same seed."""
        size = n if self.batch_size is None else self.batch_size
        if size >= n:
            return [list(range(n))]
        order = np.random.default_rng(self._epoch_seed()).permutation(n).tolist()
        return [order[i : i + size] for i in range(0, n, size)]

    # --- playing in the background ---------------------------------------------------

    @property
    def playing(self) -> bool:
        """Whether the background thread is training."""
        return self._running

    def play(self, unit: str = "epoch") -> None:
        """Train in a background thread, a step at a time, until ``epochs`` or :meth:`pause`."""
        if unit not in UNITS:
            raise ValueError(f"play: unit must be 'epoch' or 'batch', got {unit!r}")
        if self.playing:
            return
        self._stop.clear()
        self.error = ""
        self._running = True
        self._thread = threading.Thread(target=self._run, args=(unit,), daemon=True)
        self._thread.start()

    def _run(self, unit: str) -> None:
        while not self._stop.is_set() and self.epoch < self.epochs:
            try:
                self.step(unit)
            except (ValueError, TracingError) as e:  # a diverging step: stop and say why
                self.error = str(e)
                break
            self._stop.wait(0.02)  # a breath between steps for the kernel's own work
        self._running = False
        self.on_change()

    def pause(self) -> None:
        """Stop playing after the current step (waits for it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._thread = None
        self._running = False
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

    def _predict(self, points: np.ndarray) -> np.ndarray:
        """The class of each point, through a compiled tape (the scalar engine if the model
        cannot be traced)."""
        if self._function is None:
            try:
                self._function = compile(self.model, n_inputs=2)
            except TracingError:
                self._function = False
        if self._function is False:
            return train.predict(self.model, points, self.objective.threshold)
        out = np.asarray(self._function(points))
        if out.ndim == 2:
            return out.argmax(axis=1)
        return (out > self.objective.threshold).astype(np.int64)

    def bounds(self) -> tuple[float, float, float, float]:
        """The plot's extent: the data with a margin, ``(x_min, x_max, y_min, y_max)``."""
        lo = self.X.min(axis=0)
        hi = self.X.max(axis=0)
        pad = np.maximum((hi - lo) * 0.15, 0.5)
        return (
            float(lo[0] - pad[0]),
            float(hi[0] + pad[0]),
            float(lo[1] - pad[1]),
            float(hi[1] + pad[1]),
        )

    def boundary(self) -> dict[str, Any]:
        """The predicted class over a GRID × GRID grid covering :meth:`bounds`, row by row
        from the bottom."""
        x0, x1, y0, y1 = self.bounds()
        xs = np.linspace(x0, x1, GRID)
        ys = np.linspace(y0, y1, GRID)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        with self._lock:
            classes = self._predict(grid)
        return {"bounds": [x0, x1, y0, y1], "n": GRID, "classes": classes.tolist()}

    def weights(self) -> list[dict[str, list[Any]]]:
        """Each layer's weights (one row per neuron) and biases."""
        return [
            {
                "w": [[w.data for w in neuron.w] for neuron in layer.neurons],
                "b": [neuron.b.data for neuron in layer.neurons],
            }
            for layer in self.model.layers
        ]

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
