"""Training: what turns gradients into a better model.

Read in this order: :mod:`.losses` (how wrong a prediction is), :mod:`.optim` (SGD,
Adam: gradients into updates), :mod:`.train` (``fit``, the loop over epochs and
batches), then :mod:`.gpt` (the GPT's training on the names). Behind them:

* :mod:`.data` — toy data sets (moons, circles, spirals ...) and the names;
* :mod:`.objectives` — a loss over a batch, and outputs turned into classes;
* :mod:`.steps` — one gradient step, on the scalar graph or compiled.

``ag.optim``, ``ag.losses``, ``ag.data`` and ``ag.train`` are these modules.
"""
