"""Backprop Studio in a real browser: saved pages driven through ``window.autogradLiteStudio``.

Headless Chromium with its driver (Debian's ``chromium`` and ``chromium-driver``, which
``.ci/run`` installs) and ``selenium`` from PyPI; without them these tests skip. The
browser is started with every host name unresolvable, so a page that tried to load
anything from the network would fail here.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

import autograd_lite as ag
from autograd_lite.backprop_studio import page
from autograd_lite.engine import gradients, topological_order
from conftest import chromium

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND"  # any request for the network fails


@pytest.fixture(scope="module")
def browser():
    with chromium(OFFLINE, "--window-size=1200,800") as driver:
        yield driver


class Page:
    """A saved studio page open in the browser, driven through its hook."""

    def __init__(self, driver, path: Path) -> None:
        self.driver = driver
        driver.get(path.as_uri())
        assert self.errors() == []

    def call(self, js: str):
        return self.driver.execute_script(f"return window.autogradLiteStudio.{js}")

    def steps(self) -> int:
        return self.call("steps()")

    def state(self, k: int | None = None) -> dict:
        if k is not None:
            self.call(f"step({k})")
        return self.call("state()")

    def errors(self) -> list:
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]


def open_studio(browser, tmp_path: Path, out: ag.Value, name: str = "page.html") -> Page:
    return Page(browser, ag.studio(out).save_html(tmp_path / name))


def check_every_step(page: Page, out: ag.Value) -> None:
    """Walk all the steps, checking each state against the engine and explain.

    Forward: after step k the first k op nodes (topological order) have their values
    and no other op node does; no gradient is known. Backward: the seed, then explain's
    rows one by one, each adding local × upstream into its parent, whose running sum
    the page must show; nodes not reached show null, never 0.
    """
    order = topological_order(out)
    ops = [node for node in order if node.parents]
    out.backward()  # the engine's own pass: .grad, and the rows ag.explain reads from it
    rows = list(ag.explain(out))
    index = {node: k for k, node in enumerate(order)}
    assert page.steps() == len(ops) + 1 + len(rows)

    state = page.state(0)
    assert (state["phase"], state["step"]) == ("forward", 0)
    for node, shown in zip(order, state["nodes"], strict=True):
        assert shown["id"] == f"n{index[node]}" and shown["op"] == node.op
        assert shown["data"] == (None if node.parents else node.data)
        assert shown["grad"] is None

    for k in range(1, len(ops) + 1):
        state = page.state(k)
        assert state["phase"] == "forward"
        known = set(ops[:k])
        for node, shown in zip(order, state["nodes"], strict=True):
            reached = not node.parents or node in known
            assert shown["data"] == (node.data if reached else None)
            assert shown["grad"] is None

    running: dict[ag.Value, float] = {out: 1.0}
    state = page.state(len(ops) + 1)
    assert state["phase"] == "backward"
    assert [n["grad"] for n in state["nodes"]] == [1.0 if n is out else None for n in order]
    for k, row in enumerate(rows, start=len(ops) + 2):
        running[row.parent] = running.get(row.parent, 0.0) + row.local * row.upstream
        state = page.state(k)
        assert state["phase"] == "backward" and state["step"] == k
        assert [n["grad"] for n in state["nodes"]] == [running.get(node) for node in order]
        assert [n["data"] for n in state["nodes"]] == [node.data for node in order]

    # after the last step, every gradient is the engine's and the .grad backward() wrote
    engine = gradients(out)
    final = page.state(page.steps())["nodes"]
    for node, shown in zip(order, final, strict=True):
        assert shown["grad"] == engine[node]
        assert shown["grad"] == node.grad


def test_every_step_of_a_tanh_neuron(browser, tmp_path):
    x, w, b = ag.Value(2.0, label="x"), ag.Value(-0.5, label="w"), ag.Value(0.3, label="b")
    out = (x * w + b).tanh()
    page = open_studio(browser, tmp_path, out)
    assert page.steps() == 3 + 1 + 5
    check_every_step(page, out)
    assert page.errors() == []


def test_every_step_of_a_2_2_1_network_on_one_sample(browser, tmp_path):
    model = ag.nn.MLP(2, [2, 1], activation="tanh", seed=1)
    prediction = model([0.5, -1.5])
    loss = (prediction - 1.0) ** 2
    page = open_studio(browser, tmp_path, loss)
    check_every_step(page, loss)
    # and the parameters' gradients are the ones the model's backward gives
    final = {n["id"]: n["grad"] for n in page.state()["nodes"]}
    ids = {node: f"n{k}" for k, node in enumerate(topological_order(loss))}
    for p in model.parameters():
        assert final[ids[p]] == p.grad


def test_the_page_runs_with_the_network_switched_off(browser, tmp_path):
    x = ag.Value(1.5, label="x")
    page = open_studio(browser, tmp_path, (x * x).exp())
    # every host name fails to resolve in this browser; nothing was requested anyway
    resources = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert resources == 0
    # d exp(x²)/dx = 2x exp(x²)
    assert page.state(page.steps())["nodes"][0]["grad"] == pytest.approx(3.0 * math.exp(2.25))
    assert page.errors() == []


def test_naive_order_marks_the_reused_node_on_the_drawing(browser, tmp_path):
    x, w = ag.Value(2.0, label="x"), ag.Value(-3.0, label="w")
    c = x * w
    c.label = "c"
    out = c + c * 2
    page = open_studio(browser, tmp_path, out)
    ids = {n["label"]: n["id"] for n in page.state()["nodes"]}
    page.call("order('naive')")
    state = page.state(page.steps())
    assert state["marks"]["first"] == ids["c"]
    assert set(state["marks"]["wrong"]) == {ids["c"], ids["x"], ids["w"]}
    grads = {n["label"]: n["grad"] for n in state["nodes"]}
    assert (grads["x"], grads["w"]) == (-12.0, 8.0)  # the truth is 3w = -9 and 3x = 6
    # the mark is on the drawing itself: a class on the node's SVG group
    group = browser.find_element(By.ID, ids["c"])
    assert "agl-first-wrong" in group.get_attribute("class")
    assert (
        "the first wrong gradient is c's" in browser.find_element(By.CLASS_NAME, "agl-warning").text
    )
    # c passes on its gradient at step 6 (3 forward, the seed, out's edge into c, then
    # c's into x): nothing is marked before, and only c then
    assert page.state(5)["marks"] == {"first": None, "wrong": []}
    assert page.state(6)["marks"] == {"first": ids["c"], "wrong": [ids["c"]]}
    page.call("order('engine')")
    assert page.state(page.steps())["marks"] == {"first": None, "wrong": []}


def test_assign_for_add_marks_the_node_an_op_uses_twice(browser, tmp_path):
    x = ag.Value(2.0, label="x")
    a = x + x
    a.label = "a"
    b = a * a
    page = open_studio(browser, tmp_path, b)
    ids = {n["label"]: n["id"] for n in page.state()["nodes"]}
    page.call("order('assign')")
    state = page.state(page.steps())
    assert state["marks"]["first"] == ids["a"]
    grads = {n["label"]: n["grad"] for n in state["nodes"]}
    assert (grads["a"], grads["x"]) == (4.0, 4.0)  # the truth is 2a = 8 and 16
    page.call("order('naive')")  # goes into a before b's second term is in: 4, true 8
    state = page.state(page.steps())
    assert state["marks"]["first"] == ids["a"]
    assert {n["label"]: n["grad"] for n in state["nodes"]}["x"] == 24.0  # the truth is 16


def test_clicking_a_node_shows_its_chain_rule_back_to_the_output(browser, tmp_path):
    x, y = ag.Value(3.0, label="x"), ag.Value(-2.0, label="y")
    a = x * y
    a.label = "a"
    out = a + x
    out.label = "L"
    page = open_studio(browser, tmp_path, out)
    ids = {n["label"]: n["id"] for n in page.state()["nodes"]}
    browser.find_element(By.ID, ids["x"]).click()
    text = browser.find_element(By.CLASS_NAME, "agl-info").text
    # dL/dx = ∂L/∂x·dL/dL + ∂a/∂x·dL/da = 1·1 + y·1 = -1, then dL/da = 1, dL/dL = 1
    assert "dL/dx = ∂L/∂x × dL/dL + ∂a/∂x × dL/da = 1 × 1 + -2 × 1 = -1" in text
    assert text.index("dL/dx") < text.index("dL/da") < text.index("dL/dL = 1")
    assert "agl-chain" in browser.find_element(By.ID, f"e_{ids['x']}_{ids['a']}_0").get_attribute(
        "class"
    )


def test_the_buttons_and_the_texts_of_the_drawing(browser, tmp_path):
    x, w = ag.Value(2.0, label="x"), ag.Value(-0.5, label="w")
    out = (x * w).tanh()
    page = open_studio(browser, tmp_path, out)
    ids = {n["label"]: n["id"] for n in page.state()["nodes"]}

    def texts(node_id: str) -> list[str]:
        group = browser.find_element(By.ID, node_id)
        return [t.text for t in group.find_elements(By.TAG_NAME, "text")]

    # an unlabelled node is named by its id, everywhere
    assert ids["n2"] == "n2" and ids["n3"] == "n3"
    assert texts("n2") == ["n2", "data —", "grad —"]
    browser.find_element(By.CSS_SELECTOR, '[data-act="next"]').click()
    assert page.state()["step"] == 1
    assert texts("n2") == ["n2", "data -1", "grad —"]
    assert "n2 = x * w = 2 * -0.5 = -1" in browser.find_element(By.CLASS_NAME, "agl-step").text
    browser.find_element(By.CSS_SELECTOR, '[data-act="last"]').click()
    assert texts(ids["x"]) == ["x", "data 2", "grad -0.21"]
    assert "not reached yet" in browser.find_element(By.CLASS_NAME, "agl-legend").text
    browser.find_element(By.CSS_SELECTOR, '[data-act="back"]').click()
    assert page.state()["step"] == page.steps() - 1
    browser.find_element(By.CSS_SELECTOR, '[data-act="first"]').click()
    assert page.state()["step"] == 0
    browser.find_element(By.CSS_SELECTOR, '[data-act="play"]').click()
    end = page.steps()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda _: page.state()["step"] == end)


def test_a_label_cannot_break_out_of_the_page(browser, tmp_path):
    x = ag.Value(1.0, label="</script><img src=x onerror=window.hacked=1>")
    page = open_studio(browser, tmp_path, x * 3)
    assert page.state(page.steps())["nodes"][0]["label"] == x.label
    assert browser.execute_script("return window.hacked === undefined")
    assert page.errors() == []


def test_setting_a_leaf_in_the_widget_view_goes_to_the_kernel_and_back(browser, tmp_path):
    """The widget's path in a real browser: the module sends ``set_leaf``, the kernel's
    side (here the real ``Studio.set_leaf``, called by the test in the kernel's place)
    recomputes, and the new recording redraws. Only the transport is the test's."""
    x, w = ag.Value(2.0, label="x"), ag.Value(-0.5, label="w")
    studio = ag.studio((x * w).tanh())
    boot = """
const state = JSON.parse(document.getElementById("studio-state").textContent);
const listeners = {};
window.sent = [];
window.kernelReplies = (recording) => {
  state.recording = recording;
  listeners["change:recording"]();
};
const model = {
  get: (key) => state[key],
  on: (event, callback) => { listeners[event] = callback; },
  send: (msg) => window.sent.push(msg),
};
render({ model, el: document.getElementById("studio") });
"""
    text = page.page_html(studio.recording.to_json(), studio._views_json())
    start = text.index("const state = JSON.parse")
    end = text.index("</script>", start)
    path = tmp_path / "widget.html"
    path.write_text(text[:start] + boot + text[end:], encoding="utf-8")
    view = Page(browser, path)

    view.call(f"step({view.steps()})")
    browser.find_element(By.ID, "n0").click()
    field = browser.find_element(By.CLASS_NAME, "agl-leaf-value")
    field.clear()
    field.send_keys("1.5\n")
    sent = browser.execute_script("return window.sent")
    assert sent == [{"type": "set_leaf", "id": "n0", "value": 1.5}]
    studio.set_leaf(sent[0]["id"], sent[0]["value"])
    browser.execute_script("window.kernelReplies(arguments[0])", studio.recording.to_json())
    x2, w2 = ag.Value(1.5), ag.Value(-0.5)
    out2 = (x2 * w2).tanh()
    out2.backward()
    nodes = view.state()["nodes"]
    assert view.state()["step"] == view.steps()
    assert [n["data"] for n in nodes] == [1.5, -0.5, -0.75, out2.data]
    assert (nodes[0]["grad"], nodes[1]["grad"]) == (x2.grad, w2.grad)


def test_a_network_too_big_to_draw_opens_collapsed_and_expands_on_click(browser, tmp_path):
    model = ag.nn.MLP(2, [16, 16, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.label = "loss"
    studio = ag.studio(loss, model=model)
    view = Page(browser, studio.save_html(tmp_path / "mlp.html"))
    assert view.state()["view"] == "network"
    assert len(view.call("views()")) == 2 + 33

    def box_texts(box_id: str) -> list[str]:
        group = browser.find_element(By.ID, box_id)
        return [t.text for t in group.find_elements(By.TAG_NAME, "text")]

    # every gradient of all 406 nodes, through the hook, after the last step
    final = view.state(view.steps())["nodes"]
    loss.backward()
    order = topological_order(loss)
    assert len(final) == len(order) == 406
    assert [n["grad"] for n in final] == [node.grad for node in order]
    assert box_texts("gL1") == ["layer 1: 16 tanh", "data 16/16", "grad 16/16"]
    out = model.layers[2].neurons[0]
    assert box_texts("gL3")[0] == "layer 3: 1 linear"

    browser.find_element(By.ID, "gL2").click()  # a layer opens the neurons
    assert view.state()["view"] == "neurons"
    neuron = model.layers[1].neurons[4]
    h = [n([0.5, -1.0]).data for n in model.layers[0].neurons]
    value = neuron(h).data
    expected = browser.execute_script(f"return String(Number(({value!r}).toPrecision(4)))")
    assert box_texts("gL2N5")[1] == f"data {expected}"
    browser.find_element(By.ID, "gL2N5").click()  # a neuron opens its multiply-adds
    assert view.state()["view"] == "neuron L2 N5"
    labels = {n["id"]: n["label"] for n in final}
    shown = {t.text for t in browser.find_elements(By.CSS_SELECTOR, ".agl-graph g.node text")}
    w, b = neuron.w, neuron.b
    assert {w[0].label, w[15].label, b.label, "L1 N3 tanh"} <= shown  # layers.1.weight[4][0] ...
    others = model.layers[1].neurons[3].b, model.layers[2].neurons[0].b
    assert not {p.label for p in others} & shown
    group = studio.views[1].groups["gL2N5"]
    assert {labels[m] for m in group.members} <= shown
    browser.find_element(By.CSS_SELECTOR, '[data-act="up"]').click()
    assert view.state()["view"] == "neurons"
    assert out.b in order  # the last neuron is in the graph too

    # a step that adds into the neuron's output lights its box in the neurons view
    steps = studio.recording.backward["engine"]
    k = next(i for i, s in enumerate(steps) if s["parent"] == group.outputs[0])
    view.call(f"step({len(studio.recording.forward) + k + 1})")
    assert "agl-current" in browser.find_element(By.ID, "gL2N5").get_attribute("class")

    # the naive order's first wrong gradient is marked on the box that holds it
    view.call("order('naive')")
    first = studio.recording.wrong["naive"]["first"]
    assert first is not None
    assert view.state(view.steps())["marks"]["first"] == studio.views[1].item_of[first]
    assert view.errors() == []


def training_page(tmp_path: Path, studio, selected: int | None) -> Path:
    """The training widget's module on a page, its model a plain object holding the
    kernel's real state (``training_state``), its messages collected in window.sent."""
    from autograd_lite.backprop_studio.widget import training_state

    state = page._script_json({"frame": training_state(studio.session, selected)})
    history = page._script_json(studio.history)
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<style>{page.static_text("studio.css")}</style></head><body><div id="studio"></div>
<script type="application/json" id="state">{state}</script>
<script type="application/json" id="history">{history}</script>
<script type="module">
{page.static_text("training.js")}
const state = JSON.parse(document.getElementById("state").textContent);
const history = JSON.parse(document.getElementById("history").textContent);
window.sent = [];
const handlers = {{}};
const model = {{
  get: (k) => state[k],
  on: (name, f) => {{ handlers[name] = f; }},
  send: (m) => {{
    window.sent.push(m);
    // the kernel answers a new view's hello with the whole history
    if (m.type === "hello") handlers["msg:custom"]({{ type: "history", from: 0, points: history }});
  }},
}};
render({{ model, el: document.getElementById("studio") }});
window.sent = [];
</script></body></html>"""
    path = tmp_path / "training.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_the_training_view_draws_the_state_and_sends_what_the_learner_does(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    from autograd_lite import data, nn

    X, y = data.make_moons(n=40, noise=0.1, seed=0)
    model = nn.MLP(2, [6, 1], seed=0)
    studio = ag.studio(model, X, y, epochs=5, batch_size=10)
    for _ in range(3):
        studio.step()
    Page(browser, training_page(tmp_path, studio, selected=4))
    find = browser.find_elements
    assert len(find(By.CSS_SELECTOR, ".agl-point")) == 40
    assert len(find(By.CSS_SELECTOR, ".agl-weight")) == 2 * 6 + 6 * 1
    assert len(find(By.CSS_SELECTOR, ".agl-neuron")) == 2 + 6 + 1
    assert find(By.CSS_SELECTOR, ".agl-curve")
    status = browser.find_element(By.CLASS_NAME, "agl-count").text
    assert status.startswith("epoch 3 / 5, loss ")
    info = browser.find_element(By.CLASS_NAME, "agl-info").text
    assert info.startswith(f"point 4: ({float(f'{X[4][0]:.3g}')}")

    def sent():
        return browser.execute_script("const s = window.sent; window.sent = []; return s")

    browser.find_element(By.CSS_SELECTOR, '[data-act="play"]').click()
    browser.find_element(By.CSS_SELECTOR, '[data-act="batch"]').click()
    assert sent() == [{"type": "play"}, {"type": "step", "unit": "batch"}]

    # a click on the plot adds a point there, in the data's coordinates
    plot = browser.find_element(By.CLASS_NAME, "agl-data")
    Select(browser.find_element(By.CLASS_NAME, "agl-click")).select_by_value("add1")
    ActionChains(browser).move_to_element_with_offset(plot, 60, -90).click().perform()
    (message,) = sent()
    x0, x1, y0, y1 = studio.session.boundary()["bounds"]
    rect = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", plot)
    px, py = rect["width"] / 2 + 60, rect["height"] / 2 - 90
    assert message["type"] == "add" and message["label"] == 1
    assert message["x1"] == pytest.approx(x0 + px / 300 * (x1 - x0), abs=(x1 - x0) / 100)
    assert message["x2"] == pytest.approx(y0 + (300 - py) / 300 * (y1 - y0), abs=(y1 - y0) / 100)
    # the kernel's side takes it as it comes
    studio.add_point(message["x1"], message["x2"], message["label"])
    assert len(studio.session.X) == 41

    # pick mode: clicking a point selects it; delete mode: deletes it
    Select(browser.find_element(By.CLASS_NAME, "agl-click")).select_by_value("select")
    point = browser.find_element(By.CSS_SELECTOR, '.agl-point[data-index="9"]')
    ActionChains(browser).move_to_element(point).click().perform()
    assert sent() == [{"type": "select", "index": 9}]
    Select(browser.find_element(By.CLASS_NAME, "agl-click")).select_by_value("delete")
    ActionChains(browser).move_to_element(point).click().perform()
    assert sent() == [{"type": "delete", "index": 9}]


def test_a_naive_order_too_long_to_play_is_offered_disabled(browser, tmp_path):
    x = ag.Value(1.01, label="x")
    for _ in range(20):
        x = x * x
    view = open_studio(browser, tmp_path, x)
    option = browser.find_element(By.CSS_SELECTOR, '.agl-order option[value="naive"]')
    assert option.get_attribute("disabled") == "true"
    assert "too many steps" in option.text
    with pytest.raises(WebDriverException, match="order must be one of engine,assign"):
        view.call("order('naive')")


def test_the_controls_of_the_training_view_send_what_the_learner_sets(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    from autograd_lite import nn

    X = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5], [0.2, 0.8]]
    y = [0, 1, 2, 0, 1, 2]  # three classes: every one can be added by clicking
    studio = ag.studio(nn.MLP(2, [5, 3], seed=0), X, y, loss="cross_entropy", epochs=4)
    loss = studio.step()["loss"]
    Page(browser, training_page(tmp_path, studio, selected=None))

    def sent():
        return browser.execute_script("const s = window.sent; window.sent = []; return s")

    click = Select(browser.find_element(By.CLASS_NAME, "agl-click"))
    assert [o.get_attribute("value") for o in click.options] == [
        "select", "add0", "add1", "add2", "delete"]
    legend = browser.find_element(By.CLASS_NAME, "agl-legend").text
    assert legend.split() == ["class", "0", "class", "1", "class", "2"]
    click.select_by_value("add2")
    plot = browser.find_element(By.CLASS_NAME, "agl-data")
    ActionChains(browser).move_to_element_with_offset(plot, 10, 10).click().perform()
    (message,) = sent()
    assert message["type"] == "add" and message["label"] == 2

    def set_field(cls: str, text: str) -> None:
        field = browser.find_element(By.CLASS_NAME, cls)
        browser.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", field, text)

    set_field("agl-lr", "0.25")
    set_field("agl-batch", "3")
    set_field("agl-l2", "0.001")
    set_field("agl-batch", "")
    Select(browser.find_element(By.CLASS_NAME, "agl-speed")).select_by_value("0.5")
    Select(browser.find_element(By.CLASS_NAME, "agl-speed")).select_by_value("")
    Select(browser.find_element(By.CLASS_NAME, "agl-activation")).select_by_value("tanh")
    assert [m["settings"] for m in sent() if m["type"] == "configure"] == [
        {"lr": 0.25}, {"batch_size": 3}, {"l2": 0.001}, {"batch_size": None},
        {"speed": 0.5}, {"speed": None}, {"activation": "tanh"}]
    browser.find_element(By.CSS_SELECTOR, '[data-act="reset"]').click()
    set_field("agl-more", "250")
    browser.find_element(By.CSS_SELECTOR, '[data-act="more"]').click()
    assert sent() == [{"type": "reset"}, {"type": "more", "n": 250}]
    # the kernel's side takes each as it comes
    studio.configure(lr=0.25, batch_size=3, l2=0.001, speed=0.5, activation="tanh")
    studio.reset()
    assert studio.session.model.activation == "tanh" and studio.session.epoch == 0
    state = browser.execute_script("return window.autogradLiteStudio.state()")
    assert state["phase"] == "training" and (state["epoch"], state["epochs"]) == (1, 4)
    assert state["loss"] == loss


def test_a_saved_training_run_replays_epoch_by_epoch(browser, tmp_path):
    from autograd_lite import data, nn

    X, y = data.make_moons(n=60, noise=0.1, seed=0)
    Xt, yt = data.make_moons(n=30, noise=0.1, seed=1)
    studio = ag.studio(nn.MLP(2, [8, 8, 1], seed=0), X, y, epochs=30, test=(Xt, yt))
    for _ in range(30):
        studio.step()
    path = studio.save_html(tmp_path / "run.html")
    text = path.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org", "")  # nothing to fetch
    view = Page(browser, path)
    assert view.call("kind") == "training"
    assert view.steps() == 31  # epochs 0 to 30
    last = view.state()
    assert last["phase"] == "training" and (last["epoch"], last["epochs"]) == (30, 30)
    assert last["loss"] == studio.history[-1]["loss"]
    assert last["test_loss"] == studio.history[-1]["test_loss"]
    assert last["text"].startswith("epoch 30 / 30, loss ")
    first = view.state(0)
    assert (first["epoch"], first["loss"], first["history"]) == (0, None, 0)
    middle = view.state(12)
    assert middle["epoch"] == 12 and middle["loss"] == studio.history[11]["loss"]
    # the page's own play button replays to the end
    browser.find_element(By.CSS_SELECTOR, '[data-act="play"]').click()
    deadline = time.monotonic() + 10
    while view.state()["epoch"] < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert view.state()["epoch"] == 30
    assert browser.find_elements(By.CSS_SELECTOR, ".agl-test-curve")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".agl-neuron")) == 2 + 8 + 8 + 1
    browser.save_screenshot(str(tmp_path / "replay.png"))
    assert view.errors() == []


def test_every_studio_on_a_page_is_listed_and_the_latest_is_the_hook(browser, tmp_path):
    x = ag.Value(2.0, label="x")
    graph = ag.studio((x * x).tanh())
    recording = page._script_json({"recording": graph.recording.to_json(),
                                   "views": graph._views_json()})
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div id="a"></div><div id="b"></div>
<script type="application/json" id="s">{recording}</script>
<script type="module">
{page.static_text("studio.js")}
const state = JSON.parse(document.getElementById("s").textContent);
for (const id of ["a", "b"]) {{
  const model = {{ get: (k) => state[k], on: () => {{}}, send: null }};
  render({{ model, el: document.getElementById(id) }});
}}
</script></body></html>"""
    path = tmp_path / "two.html"
    path.write_text(html, encoding="utf-8")
    Page(browser, path)
    assert browser.execute_script("return window.autogradLiteStudios.length") == 2
    assert browser.execute_script(
        "return window.autogradLiteStudios[1] === window.autogradLiteStudio")
    # each drives its own view
    browser.execute_script("window.autogradLiteStudios[0].step(3)")
    assert browser.execute_script("return window.autogradLiteStudios[0].state().step") == 3
    assert browser.execute_script("return window.autogradLiteStudios[1].state().step") == 0


def test_a_wrong_order_shows_its_own_numbers_and_its_banner_with_the_first_wrong_one(
    browser, tmp_path
):
    x, w = ag.Value(2.0, label="x"), ag.Value(-3.0, label="w")
    c = x * w
    c.label = "c"
    out = c + c * 2
    out.label = "L"
    page = open_studio(browser, tmp_path, out)
    ids = {n["label"]: n["id"] for n in page.state()["nodes"]}
    page.call("order('naive')")
    warning = browser.find_element(By.CLASS_NAME, "agl-warning")
    page.state(0)
    assert warning.text == ""  # nothing has gone wrong at step 0
    page.state(5)
    assert warning.text == ""
    page.state(6)  # c passes on a partial gradient: the first wrong number
    assert "the first wrong gradient is c's, at step 6" in warning.text
    # the chain-rule panel shows the naive order's numbers: x ends at -12, not -9
    text = page.call(f"select('{ids['x']}')")
    assert "= -12" in text and "naive recursive order" in text
    page.call("order('engine')")
    text = page.call(f"select('{ids['x']}')")
    assert "= -9" in text and "= -12" not in text
    page.state(page.steps())
    assert warning.text == ""


def test_a_step_in_a_collapsed_view_names_the_box_its_node_is_in(browser, tmp_path):
    net = ag.nn.MLP(2, [3, 1], seed=0)
    out = net([0.5, -1.0])
    out.label = "score"
    studio = ag.studio(out, model=net)
    path = studio.save_html(tmp_path / "net.html")
    page = Page(browser, path)
    page.call("view('neurons')")
    page.state(1)
    step = browser.find_element(By.CLASS_NAME, "agl-step").text
    assert step.startswith("forward 1 of") and "[inside L1 N1" in step


def test_zoom_and_a_fit_that_never_shrinks_text_below_readable(browser, tmp_path):
    net = ag.nn.MLP(2, [16, 16, 1], seed=0)
    out = net([0.5, -1.0])
    page = Page(browser, ag.studio(out, model=net).save_html(tmp_path / "big.html"))
    page.call("view('neurons')")

    def scale() -> float:  # drawn width over the drawing's own width
        return browser.execute_script(
            "const svg = document.querySelector('.agl-graph svg');"
            "return svg.getBoundingClientRect().width / svg.viewBox.baseVal.width")

    assert scale() >= 0.7  # too wide to fit at a readable size: shown larger, it scrolls
    before = scale()
    browser.find_element(By.CSS_SELECTOR, '[data-act="zoom-in"]').click()
    assert scale() == pytest.approx(before * 1.25, rel=0.02)
    browser.find_element(By.CSS_SELECTOR, '[data-act="zoom-out"]').click()
    browser.find_element(By.CSS_SELECTOR, '[data-act="zoom-out"]').click()
    assert scale() == pytest.approx(before * 0.8, rel=0.02)
    # a small graph still fits the width
    small = Page(browser, ag.studio(ag.Value(1.0, label="x").tanh()).save_html(tmp_path / "s.html"))
    assert "agl-full-size" not in browser.find_element(By.CLASS_NAME, "agl-graph").get_attribute(
        "class")
    assert small.errors() == []


def test_an_error_of_the_training_thread_shows_in_the_view(browser, tmp_path):
    from autograd_lite import data, nn

    X, y = data.make_moons(n=20, noise=0.1, seed=0)
    studio = ag.studio(nn.MLP(2, [4, 1], seed=0), X, y, epochs=50, speed=None,
                       lr_schedule=lambda epoch: 0.01 if epoch < 2 else "fast")
    studio.play()
    deadline = time.monotonic() + 10
    while studio.session.playing and time.monotonic() < deadline:
        time.sleep(0.01)
    assert studio.session.error.startswith("TypeError: lr_schedule(2) returned 'fast'")
    Page(browser, training_page(tmp_path, studio, selected=None))
    warning = browser.find_element(By.CLASS_NAME, "agl-warning").text
    assert warning == studio.session.error
    state = browser.execute_script("return window.autogradLiteStudio.state()")
    assert (state["error"], state["playing"], state["epoch"]) == (studio.session.error, False, 2)
    assert browser.find_element(By.CSS_SELECTOR, '[data-act="play"]').text == "play"
