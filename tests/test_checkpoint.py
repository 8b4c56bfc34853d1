"""checkpoint: model files (JSON, atomic) and the checks on what is loaded."""

from __future__ import annotations

import json
import os

import pytest

from autograd_lite import nn
from autograd_lite.nn import checkpoint
from autograd_lite.support import files

# --- model files ----------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    model = nn.MLP(2, [5, 3], activation="tanh", output_activation="sigmoid", seed=3)
    path = model.save(tmp_path / "m.json")
    assert path == tmp_path / "m.json"
    payload = json.loads(path.read_text())
    assert payload["config"] == {
        "nin": 2,
        "nouts": [5, 3],
        "activation": "tanh",
        "output_activation": "sigmoid",
    }
    assert payload["state_dict"] == model.state_dict()
    loaded = nn.MLP.load(path)
    assert isinstance(loaded, nn.MLP)
    assert loaded.config() == model.config()
    assert loaded.state_dict() == model.state_dict()  # floats survive JSON exactly
    x = [0.3, -0.8]
    assert [v.data for v in loaded(x)] == [v.data for v in model(x)]  # type: ignore[union-attr]
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_accepts_a_string_path_and_overwrites(tmp_path):
    path = str(tmp_path / "m.json")
    nn.MLP(2, [2, 1], seed=0).save(path)
    second = nn.MLP(2, [2, 1], seed=1)
    second.save(path)
    assert nn.MLP.load(path).state_dict() == second.state_dict()


def test_layer_and_neuron_files_and_module_load_dispatches(tmp_path):
    layer = nn.Layer(3, 2, "leaky_relu", seed=0)
    layer.save(tmp_path / "layer.json")
    assert nn.Layer.load(tmp_path / "layer.json").state_dict() == layer.state_dict()
    neuron = nn.Neuron(4, "sigmoid", seed=0)
    neuron.save(tmp_path / "neuron.json")
    again = nn.Module.load(tmp_path / "neuron.json")
    assert isinstance(again, nn.Neuron) and again.activation == "sigmoid"
    assert again.state_dict() == neuron.state_dict()
    with pytest.raises(ValueError, match="holds a 'Layer', not a MLP"):
        nn.MLP.load(tmp_path / "layer.json")


def test_load_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(FileNotFoundError, match="nope.json"):
        nn.MLP.load(path)


def _write(tmp_path, text, name="bad.json"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def _model_file(**changes):
    payload = {
        "format": "autograd_lite.model",
        "version": 1,
        "class": "MLP",
        "config": {"nin": 2, "nouts": [2, 1], "activation": "relu", "output_activation": "linear"},
        "state_dict": nn.MLP(2, [2, 1], seed=0).state_dict(),
    }
    payload.update(changes)
    return json.dumps(payload)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "invalid JSON"),
        (b"\xff\xfe\x00garbage", "not a model file"),
        ("[1, 2, 3]", "not a model file"),
        ('{"hello": 1}', "not a model file"),
        ("", "invalid JSON"),
        (_model_file(version=99), "version 99"),
        (_model_file(**{"class": "Transformer"}), "holds a 'Transformer'"),
        (_model_file(config=[2]), "config"),
        (_model_file(state_dict=None), "state_dict"),
        (
            _model_file(config={"nin": 2, "nouts": [2, 1], "activation": "swish"}),
            "activation must be one of",
        ),
        (_model_file(config={"nin": 2, "nouts": [2, 1], "depth": 3}), "depth"),
        (_model_file(config={"nin": 2, "nouts": [10**9, 1]}), "parameters but the file holds 9"),
        (_model_file(state_dict={"layers.0.weight": [[1.0, 2.0]] * 2}), "parameters but"),
        (
            _model_file(
                state_dict={
                    **nn.MLP(2, [2, 1]).state_dict(),
                    "layers.1.weight": [[1.0], [2.0]],
                }
            ),
            r"layers.1.weight: wrong shape",
        ),
    ],
)
def test_load_rejects_malformed_files_with_the_path(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as info:
        nn.MLP.load(path)
    assert str(path) in str(info.value)


def test_save_refuses_non_finite_weights_and_writes_nothing(tmp_path):
    model = nn.MLP(2, [2, 1], seed=0)
    model.layers[1].neurons[0].w[1].data = float("nan")
    with pytest.raises(ValueError, match=r"layers.1.weight\[0\]\[1\] is nan"):
        model.save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


def test_failed_save_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    old = nn.MLP(2, [4, 1], seed=0)
    old.save(path)
    old_text = path.read_text()

    def dump_half_then_fail(obj, f, **kwargs):
        f.write('{"format": "autograd_lite.model", "state_dict": {"layers.0')
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.json, "dump", dump_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        nn.MLP(2, [4, 1], seed=1).save(path)
    assert path.read_text() == old_text
    assert os.listdir(tmp_path) == ["m.json"]


def test_failed_rename_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    nn.MLP(2, [4, 1], seed=0).save(path)
    old_text = path.read_text()

    def refuse(src, dst):
        raise PermissionError("read-only")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(PermissionError):
        nn.MLP(2, [4, 1], seed=1).save(path)
    assert path.read_text() == old_text
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_into_a_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.MLP(2, [2, 1]).save(tmp_path / "no" / "such" / "m.json")


# --- findings: each of these failed before checkpoint.py -------------------------------


class MyMLP(nn.MLP):
    """A user's subclass: its files must load back through it."""

    def describe(self) -> str:
        return f"my MLP with {len(self.parameters())} weights"


def test_a_file_saved_by_a_subclass_loads_through_that_subclass(tmp_path):
    model = MyMLP(2, [3, 1], seed=0)
    path = model.save(tmp_path / "my.json")
    assert json.loads(path.read_text())["class"] == "MyMLP"
    loaded = MyMLP.load(path)
    assert type(loaded) is MyMLP
    assert loaded.describe() == "my MLP with 13 weights"
    assert loaded.state_dict() == model.state_dict()
    with pytest.raises(ValueError, match="holds a 'MyMLP', not a Layer"):
        nn.Layer.load(path)


def test_resaving_keeps_a_private_file_private(tmp_path):
    path = tmp_path / "m.json"
    nn.MLP(2, [2, 1], seed=0).save(path)
    os.chmod(path, 0o600)
    nn.MLP(2, [2, 1], seed=1).save(path)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    os.chmod(path, 0o640)
    nn.MLP(2, [2, 1], seed=2).save(path)
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)


@pytest.mark.parametrize("length", [242, 255])
def test_a_long_valid_file_name_saves(tmp_path, length):
    name = "m" * (length - len(".json")) + ".json"
    try:
        (tmp_path / name).write_text("")  # the file system takes a name this long
    except OSError:
        pytest.skip(f"this file system refuses {length}-character names")
    model = nn.MLP(2, [2, 1], seed=0)
    model.save(tmp_path / name)
    assert nn.MLP.load(tmp_path / name).state_dict() == model.state_dict()
    assert os.listdir(tmp_path) == [name]


def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.json"
    nn.MLP(2, [2, 1], seed=0).save(target)
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    model = nn.MLP(2, [2, 1], seed=1)
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert nn.MLP.load(target).state_dict() == model.state_dict()
    assert sorted(os.listdir(tmp_path)) == ["link.json", "real.json"]


def test_a_save_error_names_the_users_path_not_the_temporary_file(tmp_path):
    path = tmp_path / "missing" / "m.json"
    with pytest.raises(FileNotFoundError) as info:
        nn.MLP(2, [2, 1]).save(path)
    assert str(path) in str(info.value) and ".tmp" not in str(info.value)
    folder = tmp_path / "m2.json"  # a folder in the way is refused before any work
    folder.mkdir()
    (folder / "x").write_text("")
    with pytest.raises(ValueError, match="it is a folder") as info:
        nn.MLP(2, [2, 1]).save(folder)
    assert str(folder) in str(info.value) and ".tmp" not in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["m2.json"]
    (folder / "x").unlink()  # an empty folder too
    with pytest.raises(ValueError, match="it is a folder"):
        nn.MLP(2, [2, 1]).save(folder)
    assert folder.is_dir()


def test_load_refuses_a_device_without_reading_it():
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null here")
    with pytest.raises(ValueError, match=r"^/dev/null: not a regular file \(a device"):
        nn.MLP.load("/dev/null")


def test_load_refuses_a_folder(tmp_path):
    with pytest.raises(ValueError, match="not a regular file .a folder."):
        nn.MLP.load(tmp_path)


def test_load_refuses_a_named_pipe_without_blocking(tmp_path):
    import threading

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    outcome: list[BaseException | object] = []

    def load() -> None:
        try:
            outcome.append(nn.MLP.load(fifo))
        except BaseException as e:  # reported below
            outcome.append(e)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # blocked in open(): let it go before failing
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        reader.join(timeout=10)
        pytest.fail("MLP.load blocked on a named pipe")
    (error,) = outcome
    assert isinstance(error, ValueError)
    assert str(error) == f"{fifo}: not a regular file (a device, pipe or socket)"


def test_load_refuses_a_file_beyond_the_size_bound_before_reading_it(tmp_path, monkeypatch):
    path = nn.MLP(2, [2, 1], seed=0).save(tmp_path / "m.json")
    size = path.stat().st_size
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ValueError, match=rf"m.json: too large \({size:,} bytes; the limit is"):
        nn.MLP.load(path)
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", size)
    assert len(nn.MLP.load(path).parameters()) == 9


def test_an_int_beyond_float_range_in_a_state_dict_is_a_value_error_naming_the_key():
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = model.state_dict()
    state["layers.1.bias"] = [10**400]
    with pytest.raises(ValueError, match=r"^layers.1.bias: expected finite numbers, found an int"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_an_int_beyond_float_range_in_a_model_file_is_a_value_error_naming_the_key(tmp_path):
    path = nn.MLP(2, [2, 1], seed=0).save(tmp_path / "m.json")
    payload = json.loads(path.read_text())
    payload["state_dict"]["layers.0.weight"][1][0] = 10**400  # json writes all 401 digits
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match=r"m.json: layers.0.weight: expected finite numbers"):
        nn.MLP.load(path)
