"""``autograd-lite gpt``: microgpt's recipe, its printout, its files, and its errors."""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import subprocess
import sys

import pytest

from autograd_lite import cli, data, nn, optim
from autograd_lite.nn.transformer import GPT
from autograd_lite.training import gpt as gpt_training

PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def three_steps(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpt") / "run"
    status, stdout, stderr = run_cli(["gpt", "--steps", "3", "--out", str(out), "--no-progress"])
    return out, status, stdout, stderr


def test_three_steps_print_the_loss_and_twenty_names_and_write_two_files(three_steps):
    out, status, stdout, stderr = three_steps
    assert status == 0, stderr
    assert stderr == ""  # --no-progress: no bar
    assert "32,033 names, 27 tokens" in stdout and "4,192 parameters" in stdout
    assert re.search(r"final loss \d\.\d{4}; mean of the last 3 steps \d\.\d{4}", stdout)
    names = re.findall(r"^sample +(\d+): ([a-z]*)$", stdout, flags=re.M)
    assert [int(i) for i, _ in names] == list(range(1, 21))
    assert sorted(p.name for p in out.iterdir()) == ["loss_curve.png", "model.json"]
    assert f"wrote {out / 'model.json'}" in stdout and f"wrote {out / 'loss_curve.png'}" in stdout
    assert (out / "loss_curve.png").read_bytes().startswith(PNG)


def test_the_saved_model_is_the_trained_gpt(three_steps):
    out, *_ = three_steps
    model = nn.GPT.load(out / "model.json")
    assert isinstance(model, GPT) and len(model.parameters()) == 4192
    names = data.load_names()
    rng = random.Random(42)
    rng.shuffle(names)
    assert model.state_dict() != GPT(27, seed=rng).state_dict()  # it moved from the start


def test_the_default_run_is_microgpts_first_steps(three_steps):
    # microgpt's first step: random.seed(42), shuffle, weights drawn next; the first
    # name is "yuheng" and the loss 3.3660
    _, _, stdout, _ = three_steps
    names = data.load_names()
    tokenizer = data.CharTokenizer(names)
    rng = random.Random(42)
    rng.shuffle(names)
    assert names[0] == "yuheng"
    model = GPT(27, seed=rng)
    optimizer = optim.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    docs = [tokenizer.frame(name) for name in names]
    schedule = gpt_training.linear_decay(0.01, 3)
    losses = gpt_training.train(model, docs, optimizer, 3, schedule=schedule)
    assert round(losses[0], 4) == 3.3660
    assert f"final loss {losses[-1]:.4f}" in stdout
    samples = [tokenizer.decode(model.sample(26, 0.5, seed=rng)) for _ in range(20)]
    assert re.findall(r"^sample +\d+: ([a-z]*)$", stdout, flags=re.M) == samples


def test_a_batch_averages_the_loss_and_the_gradients_of_its_names():
    tok = data.CharTokenizer(["abcdefghijklmnopqrstuvwxyz"])
    batch = [tok.frame("emma"), tok.frame("ava")]
    model = GPT(27, seed=1)
    standing_still = optim.SGD(model.parameters(), lr=0.0)  # the weights stay as they are
    loss = gpt_training.scalar_step(model, standing_still, batch)
    together = [p.grad for p in model.parameters()]
    model.zero_grad()
    singles = [model.loss(tokens).data for tokens in batch]
    for tokens in batch:
        model.loss(tokens).backward()
    assert loss == pytest.approx(sum(singles) / 2, rel=1e-14)
    summed = [p.grad for p in model.parameters()]
    assert together == pytest.approx([g / 2 for g in summed], rel=1e-12, abs=1e-15)


def test_train_takes_the_docs_in_order_batch_by_batch_and_follows_the_schedule():
    seen, rates = [], []
    model = GPT(3, block_size=3, n_embd=2, n_head=1, seed=0)
    sgd = optim.SGD(model.parameters(), lr=1.0)

    def step(model, optimizer, batch):
        assert optimizer is sgd
        seen.append([tuple(tokens) for tokens in batch])
        rates.append(sgd.lr)
        return 1.0

    docs = [[2, 0, 2], [2, 1, 2], [2, 0, 0, 2]]
    losses = gpt_training.train(model, docs, sgd, 3, batch=2, schedule=lambda k: k + 0.5, step=step)
    assert losses == [1.0, 1.0, 1.0]
    order = [tuple(d) for d in docs]
    assert seen == [[order[0], order[1]], [order[2], order[0]], [order[1], order[2]]]
    assert rates == [0.5, 1.5, 2.5]  # schedule(k) is the rate step k updates with
    assert (
        gpt_training.linear_decay(0.01, 4)(0) == 0.01
        and gpt_training.linear_decay(0.01, 4)(2) == 0.005
    )


def test_batch_seed_and_the_progress_bar(tmp_path):
    status, stdout, stderr = run_cli(
        ["gpt", "--steps", "2", "--batch", "3", "--seed", "7", "--out", str(tmp_path)]
    )
    assert status == 0
    assert "2 steps of 3 names" in stdout
    assert "training" in stderr and "2/2" in stderr and "loss=" in stderr  # tqdm's bar


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--steps", "0"], "--steps: must be at least 1, got 0"),
        (["--steps", "many"], "--steps: expected a whole number, got 'many'"),
        (["--batch", "-2"], "--batch: must be at least 1, got -2"),
        (["--batch", "1025"], "--batch: must be at most 1024, got 1025"),
        (["--seed", "-1"], "--seed: must be at least 0, got -1"),
        (["--temperature", "0"], "--temperature: must be a finite number above 0, got 0"),
        (["--temperature", "warm"], "--temperature: expected a number, got 'warm'"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_arguments_exit_2_with_an_error_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gpt", *argv])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1  # one line, as every CLI error
    assert lines[0].startswith("autograd-lite gpt: error:") and message in lines[0]


def test_an_unusable_output_folder_is_one_line_and_status_2(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    status, stdout, stderr = run_cli(["gpt", "--steps", "1", "--out", str(blocker / "sub")])
    assert status == 2
    assert stderr.startswith("autograd-lite gpt: error: cannot create the output folder")
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "final loss" not in stdout  # it failed before training


def test_a_failed_write_is_one_line_and_status_2(tmp_path, monkeypatch):
    def refuse(self, path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(GPT, "save", refuse)
    status, _, stderr = run_cli(["gpt", "--steps", "1", "--out", str(tmp_path), "--no-progress"])
    assert status == 2
    assert stderr == f"autograd-lite gpt: error: cannot write to {tmp_path}: Permission denied\n"


def test_help_lists_the_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gpt", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    flags = ["--steps", "--batch", "--seed", "--temperature", "--out", "--no-progress", "--scalar"]
    flags += ["--n-embd", "--n-head", "--n-layer", "--block-size", "--input"]
    for flag in [*flags, "--samples", "--sample-only"]:
        assert flag in text


def test_the_loss_figure_draws_each_step_and_the_running_mean():
    figure = gpt_training.loss_figure([3.0, 2.0, 1.0, 4.0], window=2)
    step_line, mean_line = figure.axes[0].get_lines()
    assert list(step_line.get_ydata()) == [3.0, 2.0, 1.0, 4.0]
    assert list(mean_line.get_ydata()) == [3.0, 2.5, 1.5, 2.5]


def test_the_scalar_step_pauses_the_cycle_collector_only_while_it_runs():
    import gc

    model = GPT(3, block_size=3, n_embd=2, n_head=1, seed=0)
    seen = []
    original = model.loss

    def loss(tokens):
        seen.append(gc.isenabled())
        return original(tokens)

    model.loss = loss
    assert gc.isenabled()
    gpt_training.scalar_step(model, optim.SGD(model.parameters(), lr=0.1), [[2, 0, 2]])
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with gpt_training.collector_paused():
            pass
        assert not gc.isenabled()  # a collector paused by the caller stays paused
    finally:
        gc.enable()
    with pytest.raises(KeyError), gpt_training.collector_paused():
        raise KeyError("a step that fails")
    assert gc.isenabled()


def test_the_compiled_step_gives_the_scalar_steps_loss_and_gradients():
    names = ["emma", "olivia", "ava", "zoe"]  # three lengths (framed: 6, 8, 5) in one batch
    tokenizer = data.CharTokenizer(data.load_names())
    batch = [tokenizer.frame(name) for name in names]
    models = [GPT(tokenizer.vocab_size, n_embd=8, n_head=2, seed=3) for _ in range(2)]
    adams = [optim.Adam(m.parameters(), lr=0.01, betas=(0.85, 0.99)) for m in models]
    compiled = gpt_training.CompiledStep()
    first = [q.data for q in models[1].parameters()]
    for k in range(3):  # later calls replay the tape traced by the first, on new weights
        expected = gpt_training.scalar_step(models[0], adams[0], batch)
        got = compiled(models[1], adams[1], batch)
        assert got == pytest.approx(expected, rel=1e-12)
        if k == 0:  # the weights stay in the step's vector until write_back
            assert [q.data for q in models[1].parameters()] == first
        compiled.write_back()
        for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
            assert q.grad == pytest.approx(p.grad, rel=1e-10, abs=1e-15)
            assert q.data == pytest.approx(p.data, rel=1e-12, abs=1e-15)  # the same update
    assert sorted(compiled.tapes) == [9]  # 7 positions, in the bucket of 8 (9 tokens)
    for name in names:  # one name a step: each length through its bucket's tape
        tokens = tokenizer.frame(name)
        expected = gpt_training.scalar_step(models[0], adams[0], [tokens])
        assert compiled(models[1], adams[1], [tokens]) == pytest.approx(expected, rel=1e-12)
        compiled.write_back()
        for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
            assert q.grad == pytest.approx(p.grad, rel=1e-10, abs=1e-15)
    assert sorted(compiled.tapes) == [9]  # 4 to 7 positions: the bucket of 8
    whole = compiled._whole
    assert whole is not None  # one trace, of a whole block: 16 losses and their logits
    assert len(whole.tape.outputs) == 16 * (1 + tokenizer.vocab_size)


def test_a_name_longer_than_the_block_is_cut_as_the_scalar_loss_cuts_it():
    models = [GPT(5, block_size=3, n_embd=4, n_head=1, seed=2) for _ in range(2)]
    sgds = [optim.SGD(m.parameters(), lr=0.1) for m in models]
    batch = [[4, 0, 1, 2, 3, 4], [4, 2, 4]]  # 6 tokens: cut to block_size + 1 = 4
    expected = gpt_training.scalar_step(models[0], sgds[0], batch)
    compiled = gpt_training.CompiledStep()
    assert compiled(models[1], sgds[1], batch) == pytest.approx(expected, rel=1e-12)
    compiled.write_back()
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert q.grad == pytest.approx(p.grad, rel=1e-10, abs=1e-15)
    assert sorted(compiled.tapes) == [4]


@pytest.mark.parametrize(
    ("batch", "error", "message"),
    [
        ([[4]], ValueError, "GPT.loss needs at least 2 tokens, got 1"),
        # (the scalar graph meets the bad token first as a target, in cross_entropy)
        ([[4, 0, 4], [4, 5, 4]], ValueError, r"(token|target) 5 is not (an index )?in \[0, 5\)"),
        ([[4, -1, 4]], ValueError, r"(token|target) -1 is not (an index )?in \[0, 5\)"),
        ([[4, 1.0, 4]], TypeError, "(token|target) must be an int, got float"),
        (["emma"], TypeError, "GPT.loss needs a list of token ids, got str"),
        ([], ValueError, "batch is empty; it needs at least one token list"),
        ("emma", TypeError, "batch must be a list of token lists, got str"),
    ],
)
def test_the_compiled_step_refuses_what_the_scalar_step_refuses(batch, error, message):
    for step in (gpt_training.scalar_step, gpt_training.CompiledStep()):
        model = GPT(5, block_size=3, n_embd=4, n_head=1, seed=2)
        before = [p.data for p in model.parameters()]
        with pytest.raises(error, match=message):
            step(model, optim.SGD(model.parameters(), lr=0.1), batch)
        assert [p.data for p in model.parameters()] == before  # no update was made


def test_the_compiled_step_moves_only_the_optimized_weights():
    tokenizer = data.CharTokenizer(data.load_names())
    batch = [tokenizer.frame("emma")]
    models = [GPT(tokenizer.vocab_size, n_embd=8, n_head=2, seed=4) for _ in range(2)]
    steps = [gpt_training.scalar_step, gpt_training.CompiledStep()]
    for model, step in zip(models, steps, strict=True):
        boundary, e = batch[0][:2]
        frozen = model.wte.weight[boundary] + model.wte.weight[e]
        sgd = optim.SGD([p for p in model.parameters() if p not in frozen], lr=0.1)
        before = [p.data for p in frozen]
        step(model, sgd, batch)
        getattr(step, "write_back", lambda: None)()  # (the compiled step's weights)
        assert [p.data for p in frozen] == before
        grads = [p.grad for p in frozen]
        assert all(type(g) is float and g != 0.0 for g in grads)  # yet they get gradients
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert q.grad == pytest.approx(p.grad, rel=1e-10, abs=1e-15)
        assert q.data == pytest.approx(p.data, rel=1e-12, abs=1e-15)


def test_the_scalar_flag_trains_the_same_run_as_the_default(tmp_path):
    runs = {}
    for flag in ("", "--scalar"):
        status, stdout, _ = run_cli(
            ["gpt", "--steps", "2", "--seed", "3", "--no-progress", "--out", str(tmp_path)]
            + ([flag] if flag else [])
        )
        assert status == 0
        runs[flag] = stdout
    assert "on the scalar graph" in runs["--scalar"] and "compiled (one traced tape)" in runs[""]
    final = {re.search(r"final loss (\d+\.\d+)", out).group(1) for out in runs.values()}
    assert len(final) == 1  # the same losses to the printed digits
    samples = {tuple(re.findall(r"^sample +\d+: (.*)$", out, flags=re.M)) for out in runs.values()}
    assert len(samples) == 1


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path):
    # `autograd-lite gpt | head -1`: the command's later lines meet a closed pipe
    command = [sys.executable, "-m", "autograd_lite", "gpt", "--steps", "2", "--no-progress"]
    process = subprocess.Popen(
        [*command, "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each line reaches the pipe at once
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert first.startswith(b"32,033 names") and errors == b""


# --- makemore's knobs: model size, --input, --samples, --sample-only --------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--n-embd", "0"], "--n-embd: must be at least 1, got 0"),
        (["--n-head", "x"], "--n-head: expected a whole number, got 'x'"),
        (["--n-layer", "-1"], "--n-layer: must be at least 1, got -1"),
        (["--block-size", "0"], "--block-size: must be at least 1, got 0"),
        (["--samples", "-3"], "--samples: must be at least 0, got -3"),
        (["--tapes"], "unrecognized arguments: --tapes"),
    ],
)
def test_bad_size_flags_exit_2_with_an_error_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gpt", *argv])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and message in lines[0]


def bad_input(tmp_path, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: ["--n-embd", "10", "--n-head", "4"], "--n-head (4) must divide --n-embd (10)"),
        (lambda d: ["--input", str(bad_input(d, "none.txt", None))], "--input: no such file"),
        (lambda d: ["--input", str(bad_input(d, "latin.txt", b"caf\xe9\n"))], "not UTF-8 text"),
        (lambda d: ["--input", str(bad_input(d, "empty.txt", b"\n\n"))], "has no documents"),
        (lambda d: ["--input", str(d)], "--input: cannot read"),
        (lambda d: ["--sample-only", "--out", str(d / "nothing")], "no model at"),
    ],
)
def test_bad_inputs_are_one_line_and_status_2_before_any_work(tmp_path, make, message):
    out = tmp_path / "out"
    status, stdout, stderr = run_cli(["gpt", "--steps", "1", "--out", str(out), *make(tmp_path)])
    assert status == 2 and stdout == ""
    assert stderr.startswith("autograd-lite gpt: error:") and message in stderr
    assert stderr.count("\n") == 1
    assert not out.exists()  # nothing was made


def test_a_model_of_another_size_trains_on_a_file_of_any_characters_and_samples_again(tmp_path):
    lines = ["héllo wörld", "", "naïve café", "日本語のテキスト", "tab\there", "x"] * 3
    source = tmp_path / "docs.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    size = ["--n-embd", "12", "--n-head", "3", "--n-layer", "2", "--block-size", "8"]
    argv = ["gpt", "--steps", "4", "--input", str(source), "--out", str(out), "--no-progress"]
    status, stdout, stderr = run_cli([*argv, *size, "--samples", "3"])
    assert status == 0, stderr
    tokenizer = data.CharTokenizer([line for line in lines if line])
    assert f"15 documents of docs.txt, {tokenizer.vocab_size} tokens" in stdout
    model = nn.GPT.load(out / "model.json")
    assert (model.n_embd, model.n_head, model.n_layer, model.block_size) == (12, 3, 2, 8)
    assert model.vocab_size == tokenizer.vocab_size
    samples = re.findall(r"^sample +\d+: (.*)$", stdout, flags=re.M)
    assert len(samples) == 3 and "3 documents sampled at temperature 0.5:" in stdout
    assert all(set(s) <= set(tokenizer.itos) and "\n" not in s for s in samples)

    # --sample-only: the trained model, no training, no files written
    before = sorted(p.name for p in out.iterdir())
    sample_only = ["gpt", "--sample-only", "--input", str(source), "--out", str(out)]
    status, again, stderr = run_cli([*sample_only, "--samples", "5", "--seed", "1"])
    assert status == 0, stderr
    assert "final loss" not in again and "wrote" not in again
    drawn = re.findall(r"^sample +\d+: (.*)$", again, flags=re.M)
    rng = random.Random(1)
    assert drawn == [
        tokenizer.decode(model.sample(tokenizer.boundary, 0.5, seed=rng)) for _ in range(5)
    ]
    assert sorted(p.name for p in out.iterdir()) == before

    # without the file it was trained on, the vocabulary does not match: one line
    status, _, stderr = run_cli(["gpt", "--sample-only", "--out", str(out)])
    assert status == 2 and "give the --input it was trained on" in stderr


def test_sample_only_refuses_a_file_that_is_not_a_gpt(tmp_path):
    nn.MLP(2, [1], seed=0).save(tmp_path / "model.json")
    status, _, stderr = run_cli(["gpt", "--sample-only", "--out", str(tmp_path)])
    assert status == 2 and stderr.count("\n") == 1 and "--sample-only:" in stderr


def test_no_samples_prints_none(tmp_path):
    argv = ["gpt", "--steps", "1", "--samples", "0", "--no-progress", "--out", str(tmp_path)]
    status, stdout, _ = run_cli(argv)
    assert status == 0 and "sample" not in stdout.replace("samples", "")
