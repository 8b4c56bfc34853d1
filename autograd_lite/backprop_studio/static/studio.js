// Backprop Studio: plays a recorded forward and backward pass on a Graphviz drawing.
//
// Python records every step (autograd_lite/backprop_studio/recording.py) and lays the
// graph out as SVG whose nodes carry stable ids (n0, n1, ...; n3op for an op; e_n1_n3_0
// for the edge from parent n1 into n3's op), once per view: a collapsed view draws a
// layer or a neuron as one box (gL1, gL1N3) standing for its nodes, with edges
// ge_<from>_<to>. This module only recolours that SVG and rewrites its data and grad
// texts; it computes no derivative itself. The same module runs as
// an anywidget view (model synced with the kernel) and inside a saved page (a model
// that is a plain object), and exposes window.autogradLiteStudio for automation.

const SPECIAL = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

// JSON has no inf or nan: Python writes them as strings, turned back into numbers here.
function decode(x) {
  if (typeof x === "string" && x in SPECIAL) return SPECIAL[x];
  if (Array.isArray(x)) return x.map(decode);
  if (x && typeof x === "object") {
    const out = {};
    for (const [k, v] of Object.entries(x)) out[k] = decode(v);
    return out;
  }
  return x;
}

// Four significant digits, like Python's "{:.4g}"; a dash for "not computed yet".
function fmt(x) {
  if (x === null || x === undefined) return "—";
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

const ORDERS = {
  engine: "topological order, += (the engine)",
  naive: "naive recursive order",
  assign: "= instead of +=",
};

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// Everything known after `k` steps of `order`: node values, running gradients, the step.
function stateAt(rec, order, k) {
  const nf = rec.forward.length;
  const data = {};
  const grad = {};
  for (const n of rec.nodes) {
    data[n.id] = n.parents.length ? null : n.data;
    grad[n.id] = null;
  }
  const byId = Object.fromEntries(rec.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < Math.min(k, nf); i++) {
    const id = rec.forward[i].node;
    data[id] = byId[id].data;
  }
  const steps = rec.backward[order];
  for (let i = 0; i < k - nf; i++) {
    const s = steps[i];
    grad[s.parent === null ? s.node : s.parent] = s.after;
  }
  let current = null;
  if (k >= 1 && k <= nf) current = { phase: "forward", ...rec.forward[k - 1] };
  else if (k > nf) current = { phase: "backward", ...steps[k - nf - 1] };
  return { data, grad, current, phase: k > nf ? "backward" : "forward" };
}

// The view that a "up" button goes back to from each kind of view.
function parentView(name) {
  if (name.startsWith("neuron ")) return "neurons";
  if (name === "neurons") return "network";
  return null;
}

function render({ model, el }) {
  let rec = decode(model.get("recording"));
  let views = model.get("views");
  let view = views[0];
  let order = "engine";
  let k = 0;
  let selected = null;
  let timer = null;

  el.classList.add("agl-studio");
  el.innerHTML = `
    <div class="agl-bar">
      <button data-act="first" title="step 0: nothing computed">|◀</button>
      <button data-act="back" title="one step back">◀</button>
      <button data-act="play" title="play / pause">play</button>
      <button data-act="next" title="one step forward">▶</button>
      <button data-act="last" title="the last step">▶|</button>
      <input type="range" min="0" value="0" class="agl-slider">
      <span class="agl-count"></span>
      <label>backward: <select class="agl-order"></select></label>
      <label>view: <select class="agl-view"></select></label>
      <button data-act="up" title="back to the less detailed view">up</button>
      <button data-act="zoom-out" title="zoom out">−</button>
      <button data-act="zoom-in" title="zoom in (drag the drawing to pan)">+</button>
      <button data-act="zoom" title="fit the drawing to the width, or show it at full size">full size</button>
    </div>
    <div class="agl-legend">
      <span><i class="agl-key agl-key-pos"></i>gradient &gt; 0</span>
      <span><i class="agl-key agl-key-neg"></i>gradient &lt; 0</span>
      <span><i class="agl-key agl-key-zero"></i>gradient 0</span>
      <span><i class="agl-key agl-key-none"></i>not reached yet (—)</span>
      <span><i class="agl-key agl-key-current"></i>this step</span>
      <span><i class="agl-key agl-key-chain"></i>chain rule of the chosen node</span>
      <span><i class="agl-key agl-key-wrong"></i>wrong gradient (wrong orders)</span>
      <span><i class="agl-key agl-key-param"></i>a weight (nn parameter)</span>
    </div>
    <div class="agl-step"></div>
    <div class="agl-warning"></div>
    <div class="agl-graph"></div>
    <div class="agl-info"></div>`;
  const $ = (sel) => el.querySelector(sel);
  const select = $(".agl-order");
  function fillOrders() {
    // the naive order is left out where its steps would be too many (a network's graph)
    select.innerHTML = "";
    for (const [value, text] of Object.entries(ORDERS)) {
      const opt = document.createElement("option");
      opt.value = value;
      opt.textContent = value in rec.backward ? text : `${text} (too many steps here)`;
      opt.disabled = !(value in rec.backward);
      select.appendChild(opt);
    }
    if (!(order in rec.backward)) order = "engine";
    select.value = order;
  }
  fillOrders();
  const graph = $(".agl-graph");
  const viewSelect = $(".agl-view");

  function fillViews() {
    viewSelect.innerHTML = "";
    for (const v of views) {
      const opt = document.createElement("option");
      opt.value = v.name;
      opt.textContent = v.title;
      viewSelect.appendChild(opt);
    }
    viewSelect.value = view.name;
    viewSelect.parentElement.style.display = views.length > 1 ? "" : "none";
  }

  function openView(name) {
    const found = views.find((v) => v.name === name);
    if (!found) throw new Error(`no view named ${name}`);
    view = found;
    viewSelect.value = name;
    loadSvg();
    draw();
  }

  // What stands for a node in the current view: itself, its group's box, or nothing.
  function itemOf(id) {
    return id in view.itemOf ? view.itemOf[id] : id;
  }

  function total() {
    return rec.forward.length + rec.backward[order].length;
  }
  let parts = new Map(); // the drawing's groups by id, found once per view
  function svgPart(id) {
    return parts.get(id) || null;
  }
  function setClass(id, cls, on) {
    const g = svgPart(id);
    if (g) g.classList.toggle(cls, on);
  }
  function clearClass(cls) {
    for (const g of graph.querySelectorAll("." + cls)) g.classList.remove(cls);
  }

  // Zoom: null fits the width, unless its text would be too small to read (below
  // MIN_SCALE of its size); a number is a scale, the drawing then scrolls (drag to pan).
  const MIN_SCALE = 0.7;
  let zoom = null;
  function naturalWidth() {
    const svg = graph.querySelector("svg");
    return svg ? svg.viewBox.baseVal.width || svg.width.baseVal.value : 0;
  }
  function fitScale() {
    const width = naturalWidth();
    return width ? Math.min(1, (graph.clientWidth || width) / width) : 1;
  }
  function applyZoom() {
    const svg = graph.querySelector("svg");
    if (!svg) return;
    const scale = zoom ?? (fitScale() < MIN_SCALE ? 1 : null);
    graph.classList.toggle("agl-full-size", scale !== null);
    svg.style.width = scale === null ? "" : `${naturalWidth() * scale}px`;
    $('[data-act="zoom"]').textContent = scale === null ? "full size" : "fit width";
  }
  let drag = null;
  graph.addEventListener("mousedown", (e) => {
    if (graph.classList.contains("agl-full-size")) drag = { x: e.clientX, y: e.clientY, left: graph.scrollLeft, top: graph.scrollTop };
  });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    graph.scrollLeft = drag.left - (e.clientX - drag.x);
    graph.scrollTop = drag.top - (e.clientY - drag.y);
  });
  window.addEventListener("mouseup", () => { drag = null; });

  function loadSvg() {
    graph.innerHTML = view.svg;
    applyZoom();
    parts = new Map([...graph.querySelectorAll("g[id]")].map((g) => [g.id, g]));
    for (const n of rec.nodes) {
      const g = svgPart(n.id);
      if (!g) continue;
      g.classList.add(n.parents.length ? "agl-op-result" : "agl-leaf");
      if (n.id === rec.output) g.classList.add("agl-output");
      g.addEventListener("click", () => choose(n.id));
      const texts = g.querySelectorAll("text");
      texts[0].textContent = n.label;
    }
    for (const [gid, group] of Object.entries(view.groups)) {
      const g = svgPart(gid);
      if (!g) continue;
      g.classList.add("agl-group");
      g.querySelector("title").textContent = `${group.label}: click to open`;
      g.addEventListener("click", () => openView(group.opens));
    }
    $('[data-act="up"]').style.display = parentView(view.name) ? "" : "none";
  }

  // A group's box: its output's number, or how many of its outputs have one.
  function groupText(numbers, outputs) {
    if (outputs.length === 1) return fmt(numbers[outputs[0]]);
    const known = outputs.filter((id) => numbers[id] !== null).length;
    return `${known}/${outputs.length}`;
  }

  // The wrong-order marks that step k has reached: {first, wrong: [ids]}.
  function marksAt() {
    const info = rec.wrong[order];
    if (!info) return { first: null, wrong: [] };
    const nf = rec.forward.length;
    const wrong = Object.entries(info.nodes)
      .filter(([, w]) => k >= nf + w.step + 1)
      .map(([id]) => id);
    return { first: wrong.includes(info.first) ? info.first : null, wrong };
  }

  function draw() {
    const st = stateAt(rec, order, k);
    for (const n of rec.nodes) {
      const g = svgPart(n.id);
      if (!g) continue;
      const texts = g.querySelectorAll("text");
      texts[1].textContent = "data " + fmt(st.data[n.id]);
      texts[2].textContent = "grad " + fmt(st.grad[n.id]);
      paint(g, st.data[n.id], st.grad[n.id]);
    }
    for (const [gid, group] of Object.entries(view.groups)) {
      const g = svgPart(gid);
      if (!g) continue;
      const texts = g.querySelectorAll("text");
      texts[1].textContent = "data " + groupText(st.data, group.outputs);
      texts[2].textContent = "grad " + groupText(st.grad, group.outputs);
      const last = group.outputs[group.outputs.length - 1];
      paint(g, st.data[last], group.outputs.length === 1 ? st.grad[last] : null);
      // a box is "reached" once every node it hands on has its gradient
      g.classList.toggle("agl-has-grad", group.outputs.every((id) => st.grad[id] !== null));
    }
    clearClass("agl-current");
    clearClass("agl-lit");
    // an edge is drawn as itself, or as the edge between the boxes that hold its ends
    const lightEdge = (parent, node, k) => {
      const own = svgPart(`e_${parent}_${node}_${k}`);
      if (own) return own.classList.add("agl-lit");
      const from = itemOf(parent);
      const to = itemOf(node);
      if (from !== null && to !== null) setClass(`ge_${from}_${to}`, "agl-lit", true);
    };
    const lightNode = (id) => {
      const item = itemOf(id);
      if (item !== null) setClass(item, "agl-current", true);
    };
    const c = st.current;
    let text = k === 0 ? "Step 0: nothing computed yet. Step forward to run the graph." : "";
    if (c && c.phase === "forward") {
      lightNode(c.node);
      setClass(c.node + "op", "agl-current", true);
      setClass("e_" + c.node, "agl-lit", true);
      const node = rec.nodes.find((n) => n.id === c.node);
      node.parents.forEach((p, i) => lightEdge(p, c.node, i));
      text = `forward ${k} of ${rec.forward.length}: ${c.text}`;
    } else if (c) {
      const target = c.parent === null ? c.node : c.parent;
      lightNode(target);
      if (c.parent !== null) {
        lightEdge(c.parent, c.node, c.k);
        setClass("e_" + c.node, "agl-lit", true);
        setClass(c.node + "op", "agl-current", true);
      }
      text = `backward ${k - rec.forward.length} of ${rec.backward[order].length}: ${c.text}`;
      if (c.parent !== null && c.before !== null && !c.assign) {
        text += `; running gradient ${fmt(c.before)} + ${fmt(c.contribution)} = ${fmt(c.after)}`;
      }
    }
    if (c) {
      // in a collapsed view, say which drawn box the step's node is inside
      const id = c.phase === "forward" ? c.node : c.parent === null ? c.node : c.parent;
      const item = itemOf(id);
      if (item !== id && item !== null && view.groups[item]) text += `   [inside ${view.groups[item].label}]`;
      if (item === null) text += "   [not drawn in this view]";
    }
    $(".agl-step").textContent = text;
    const marks = marksAt();
    clearClass("agl-wrong");
    clearClass("agl-first-wrong");
    for (const id of marks.wrong) if (itemOf(id) !== null) setClass(itemOf(id), "agl-wrong", true);
    if (marks.first && itemOf(marks.first) !== null) setClass(itemOf(marks.first), "agl-first-wrong", true);
    const info = rec.wrong[order];
    const warning = $(".agl-warning");
    const firstAt = info && info.first !== null ? rec.forward.length + info.nodes[info.first].step + 1 : null;
    if (!info) {
      warning.textContent = "";
    } else if (info.first === null) {
      // said once the pass is over: until then there is nothing to judge
      warning.textContent = k < total() ? "" : `${ORDERS[order]}: every gradient comes out right on this graph (nothing in it is used twice in a way that matters).`;
    } else if (k < firstAt) {
      warning.textContent = ""; // no wrong number yet
    } else {
      const w = info.nodes[info.first];
      const name = rec.nodes.find((n) => n.id === info.first).label;
      const at = firstAt;
      warning.textContent =
        `${ORDERS[order]}: the first wrong gradient is ${name}'s, at step ${at}: ` +
        `${fmt(w.got)} where the engine has ${fmt(w.true)}. ` +
        (order === "naive"
          ? "It was passed on before all of the node's users had added into it (a topological order visits each node once, after all of its users)."
          : "A later contribution replaced an earlier one instead of adding to it.");
    }
    $(".agl-slider").max = String(total());
    $(".agl-slider").value = String(k);
    $(".agl-count").textContent = `step ${k} / ${total()}`;
    drawInfo();
  }

  // The chain rule for the selected node, all the way back to the output.
  function drawInfo() {
    clearClass("agl-chain");
    clearClass("agl-selected");
    const box = $(".agl-info");
    if (selected === null) {
      box.innerHTML = "Click a node for its whole chain-rule expansion.";
      return;
    }
    const byId = Object.fromEntries(rec.nodes.map((n) => [n.id, n]));
    // the numbers of the order chosen: a wrong order's panel shows what it computed
    const users = {};
    for (const s of rec.backward[order]) {
      if (s.parent === null) continue;
      (users[s.parent] = users[s.parent] || []).push(s);
    }
    const final = stateAt(rec, order, total()).grad;
    const out = byId[rec.output].label;
    const position = Object.fromEntries(rec.nodes.map((n, i) => [n.id, i]));
    const lines = [];
    const seen = new Set([selected]);
    const queue = [selected];
    while (queue.length) {
      const id = queue.shift();
      setClass(id, "agl-chain", true);
      const name = byId[id].label;
      if (id === rec.output) {
        lines.push([position[id], `d${out}/d${out} = 1`]);
        continue;
      }
      const terms = users[id] || [];
      const symbols = terms.map((s) => `∂${byId[s.node].label}/∂${name} × d${out}/d${byId[s.node].label}`);
      const numbers = terms.map((s) => `${fmt(s.local)} × ${fmt(s.upstream)}`);
      const sign = order === "assign" ? "(each = replacing the last) " : "";
      lines.push([position[id], `d${out}/d${name} = ${sign}${symbols.join(" + ")} = ${numbers.join(" + ")} = ${fmt(final[id])}`]);
      for (const s of terms) {
        setClass(`e_${id}_${s.node}_${s.k}`, "agl-chain", true);
        setClass(s.node + "op", "agl-chain", true);
        setClass("e_" + s.node, "agl-chain", true);
        if (!seen.has(s.node)) {
          seen.add(s.node);
          queue.push(s.node);
        }
      }
    }
    setClass(selected, "agl-selected", true);
    const node = byId[selected];
    let html = `<b>${escapeHtml(node.label)}</b>` + (node.op ? ` (op ${escapeHtml(node.opText)})` : " (a leaf)");
    html += `: its chain rule back to the output, with the numbers of the whole backward pass (${escapeHtml(ORDERS[order])})`;
    // from the chosen node up to the output, each line after the ones it needs
    lines.sort((a, b) => a[0] - b[0]);
    html += "<pre>" + lines.map((line) => escapeHtml(line[1])).join("\n") + "</pre>";
    if (!node.parents.length && model.send) {
      html += `<label>set ${escapeHtml(node.label)} = <input type="number" step="any" class="agl-leaf-value" value="${node.data}"></label> ` +
        `<input type="range" class="agl-leaf-slider" min="${node.data - 3}" max="${node.data + 3}" step="0.01" value="${node.data}"> ` +
        "(values and gradients are recomputed by the engine)";
    }
    box.innerHTML = html;
    const field = box.querySelector(".agl-leaf-value");
    const slider = box.querySelector(".agl-leaf-slider");
    if (field) {
      const send = (v) => {
        if (Number.isFinite(v)) model.send({ type: "set_leaf", id: selected, value: v });
      };
      field.addEventListener("change", () => send(field.valueAsNumber)); // NaN when empty
      slider.addEventListener("change", () => send(slider.valueAsNumber));
    }
  }

  function paint(g, data, grad) {
    g.classList.toggle("agl-known", data !== null && data !== undefined);
    g.classList.toggle("agl-has-grad", grad !== null && grad !== undefined);
    g.classList.toggle("agl-pos", grad !== null && grad > 0);
    g.classList.toggle("agl-neg", grad !== null && grad < 0);
    g.classList.toggle("agl-zero", grad === 0);
  }

  function choose(id) {
    selected = selected === id ? null : id;
    drawInfo();
  }

  function go(step) {
    k = Math.max(0, Math.min(total(), Math.round(step)));
    draw();
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $('[data-act="play"]').textContent = "play";
  }

  el.querySelector(".agl-bar").addEventListener("click", (event) => {
    const act = event.target.dataset && event.target.dataset.act;
    if (!act) return;
    if (act === "up") return openView(parentView(view.name));
    if (act === "zoom") {
      zoom = graph.classList.contains("agl-full-size") ? null : 1;
      return applyZoom();
    }
    if (act === "zoom-in" || act === "zoom-out") {
      const svg = graph.querySelector("svg");
      const shown = svg ? svg.getBoundingClientRect().width / naturalWidth() : 1;
      zoom = Math.max(0.6, Math.min(4, shown * (act === "zoom-in" ? 1.25 : 0.8)));
      return applyZoom();
    }
    if (act !== "play") stop();
    if (act === "first") go(0);
    if (act === "back") go(k - 1);
    if (act === "next") go(k + 1);
    if (act === "last") go(total());
    if (act === "play") {
      if (timer !== null) return stop();
      if (k >= total()) go(0);
      event.target.textContent = "pause";
      timer = setInterval(() => (k >= total() ? stop() : go(k + 1)), 400);
    }
  });
  $(".agl-slider").addEventListener("input", (e) => {
    stop();
    go(Number(e.target.value));
  });
  viewSelect.addEventListener("change", () => openView(viewSelect.value));
  select.addEventListener("change", () => {
    order = select.value;
    go(k);
  });
  model.on("change:recording", () => {
    rec = decode(model.get("recording"));
    fillOrders();
    views = model.get("views");
    view = views.find((v) => v.name === view.name) || views[0];
    fillViews();
    loadSvg();
    go(k);
  });
  model.on("msg:custom", (msg) => {
    if (msg && msg.type === "error") $(".agl-warning").textContent = msg.text;
  });

  fillViews();
  loadSvg();
  draw();

  // The automation hook: window.autogradLiteStudios lists every studio on the page, in
  // the order shown; window.autogradLiteStudio is the latest.
  const hook = {
    kind: "graph",
    steps: () => total(),
    step: (target) => {
      stop();
      go(target);
      return k;
    },
    order: (name) => {
      if (!(name in rec.backward)) throw new Error(`order must be one of ${Object.keys(rec.backward)}`);
      order = name;
      select.value = name;
      go(k);
      return order;
    },
    views: () => views.map((v) => v.name),
    view: (name) => {
      if (name !== undefined) openView(name);
      return view.name;
    },
    select: (id) => {
      if (id !== null && !rec.nodes.some((n) => n.id === id)) throw new Error(`no node with id ${id}`);
      selected = id;
      drawInfo();
      return $(".agl-info").innerText;
    },
    state: () => {
      const st = stateAt(rec, order, k);
      const marks = {
        first: graph.querySelector(".agl-first-wrong")?.id ?? null,
        wrong: [...graph.querySelectorAll(".agl-wrong")].map((g) => g.id),
      };
      return {
        phase: st.phase,
        step: k,
        order,
        view: view.name,
        marks,
        text: $(".agl-step").textContent,
        nodes: rec.nodes.map((n) => ({ id: n.id, label: n.label, op: n.op, data: st.data[n.id], grad: st.grad[n.id] })),
      };
    },
  };
  window.autogradLiteStudios = window.autogradLiteStudios || [];
  window.autogradLiteStudios.push(hook);
  window.autogradLiteStudio = hook;
  return () => {
    stop();
    const list = window.autogradLiteStudios;
    if (list.includes(hook)) list.splice(list.indexOf(hook), 1);
  };
}

export default { render };
