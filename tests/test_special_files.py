"""Writers replace only regular files: a named pipe, a device, a socket or a folder in the
way (or a symbolic link to one) is refused before any work, naming the writer and the
path, and is still there afterwards; a regular file (or a link to one) is replaced as
before, all or nothing."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import autograd_lite as ag
from autograd_lite import Value, nn, viz
from autograd_lite.backprop_studio import page
from autograd_lite.support.files import write_atomically
from conftest import run_cli


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A folder with a short path: a Unix socket's path must fit in about 100 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="agl", dir="/tmp" if os.path.isdir("/tmp") else None))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _fifo(path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(path)


def _device(path: Path) -> None:
    # a character device like /dev/null (major 1, minor 3 on Linux); needs root
    if not hasattr(os, "mknod"):
        pytest.skip("no device nodes here")
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here (not root)")


def _socket(path: Path) -> None:
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.fspath(path))
    s.close()  # the socket file stays


def _folder(path: Path) -> None:
    path.mkdir()


MAKERS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "a named pipe"),
    "device": (_device, "a device"),
    "socket": (_socket, "a socket"),
    "folder": (_folder, "a folder"),
}


def _special(folder: Path, name: str, kind: str, through_link: bool) -> tuple[Path, Path, int]:
    """Make ``kind`` at ``folder/name`` (or elsewhere, with ``name`` a link to it); returns
    the path to give the writer, the special file, and its file type bits."""
    make, _ = MAKERS[kind]
    if through_link:
        real = folder / f"real_{kind}"
        make(real)
        path = folder / name
        path.symlink_to(real)
    else:
        real = path = folder / name
        make(real)
    return path, real, stat.S_IFMT(os.lstat(real).st_mode)


def _save(path: Path) -> object:
    return nn.MLP(2, [1], seed=0).save(path)


def _render(path: Path) -> object:
    return viz.render(Value(1.0, label="x"), path)


def _drawing_render(path: Path) -> object:
    return viz.draw_dot(Value(1.0, label="x")).render(outfile=path)


def _save_html(path: Path) -> object:
    return ag.studio(Value(2.0, label="x") * 3).save_html(path)


WRITERS = {"save": _save, "render": _render, "Drawing.render": _drawing_render,
           "save_html": _save_html}  # fmt: skip
WHO = {"save": "save", "render": "render", "Drawing.render": "render", "save_html": "save_html"}


@pytest.mark.parametrize("through_link", [False, True], ids=["itself", "symlink"])
@pytest.mark.parametrize("kind", list(MAKERS))
@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_writer_refuses_a_special_file_and_leaves_it_there(
    short_tmp, writer, kind, through_link
):
    path, real, file_type = _special(short_tmp, "out.svg", kind, through_link)
    words = MAKERS[kind][1]
    with pytest.raises(ValueError, match=rf"^{WHO[writer]}: cannot write '{path}': it is {words}"):
        WRITERS[writer](path)
    assert stat.S_IFMT(os.lstat(real).st_mode) == file_type  # not replaced
    if through_link:
        assert path.is_symlink() and os.readlink(path) == os.fspath(real)
    assert sorted(p.name for p in short_tmp.iterdir() if p.name.startswith(".")) == []  # no temp


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_regular_file_and_a_link_to_one_are_still_replaced(tmp_path, writer):
    if writer in ("render", "Drawing.render"):
        pytest.importorskip("graphviz")
        try:
            viz.draw_dot(Value(1.0)).to_svg()
        except viz.RenderError:
            pytest.skip("no Graphviz renderer here")
    real = tmp_path / "real.svg"
    real.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    WRITERS[writer](link)
    assert link.is_symlink() and real.read_text() != "old"
    WRITERS[writer](real)
    assert real.is_file() and not real.is_symlink()


@pytest.mark.parametrize(
    "path, message",
    [
        ("", r"save_html: path is empty"),
        (".", r"save_html: cannot write '\.': it is a folder"),
        ("a\x00b.html", r"save_html: path 'a\\x00b.html' holds a NUL character"),
    ],
)
def test_save_html_refuses_an_empty_name_a_folder_and_a_nul(path, message):
    with pytest.raises(ValueError, match=message):
        _save_html(path)


def test_the_check_runs_before_any_work(short_tmp):
    path, _, _ = _special(short_tmp, "page.html", "fifo", through_link=False)

    def never(*args, **kwargs):
        raise AssertionError("the page was made before the path was checked")

    with pytest.raises(ValueError, match="save_html: cannot write"):
        page.save_html(path, never)  # the page's text is made only once the path passed


def test_write_atomically_checks_again_just_before_the_rename(short_tmp):
    # the target becomes a pipe while the content is being written
    target = short_tmp / "out.bin"

    def write(f):
        f.write(b"data")
        _fifo(target)

    with pytest.raises(ValueError, match="write: cannot write .* it is a named pipe"):
        write_atomically(target, write, binary=True)
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert [p.name for p in short_tmp.iterdir()] == ["out.bin"]  # no temporary file left


def test_check_target_refuses_what_is_not_a_path():
    from autograd_lite.support.files import check_target

    with pytest.raises(TypeError, match="save: path must be a str or Path, got int"):
        check_target(3, "save")
    with pytest.raises(TypeError, match="save: path must be a str or Path, got bytes"):
        check_target(b"x", "save")


# --- the commands' output files ----------------------------------------------------------






@pytest.mark.parametrize("through_link", [False, True], ids=["itself", "symlink"])
@pytest.mark.parametrize("kind", list(MAKERS))
@pytest.mark.parametrize(
    "command, name",
    [
        ("demo", "model.json"),
        ("demo", "decision_boundary.png"),
        ("demo", "loss_curve.png"),
        ("gpt", "model.json"),
        ("gpt", "loss_curve.png"),
    ],
)
def test_the_commands_refuse_a_special_file_in_their_output_before_training(
    short_tmp, no_training, command, name, kind, through_link
):
    path, real, file_type = _special(short_tmp, name, kind, through_link)
    status, stdout, stderr = run_cli([command, "--out", str(short_tmp), "--no-progress"])
    assert status == 2
    assert stderr == (
        f"autograd-lite {command}: error: cannot write '{path}': it is {MAKERS[kind][1]}; "
        "only a regular file is replaced\n"
    )
    assert stdout == ""
    assert stat.S_IFMT(os.lstat(real).st_mode) == file_type
