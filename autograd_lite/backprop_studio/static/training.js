// Backprop Studio, training live: draws what the kernel's training session sends
// (autograd_lite/backprop_studio/training.py) and sends back what the learner does.
// The kernel trains in a background thread; this module only draws and asks.

const SVG = "http://www.w3.org/2000/svg";
const CLASS_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const AREA_COLORS = ["#dbe9f6", "#f9d9d9", "#dcf0dc", "#e8e0f2", "#ffe7cc", "#eadbd7"];

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function fmt(x) {
  if (x === null || x === undefined) return "—";
  return String(Number(x.toPrecision(3)));
}

function render({ model, el: root }) {
  root.classList.add("agl-studio", "agl-training");
  root.innerHTML = `
    <div class="agl-bar">
      <button data-act="play">play</button>
      <button data-act="epoch" title="train one epoch">+1 epoch</button>
      <button data-act="batch" title="train one batch">+1 batch</button>
      <span class="agl-count"></span>
      <label>click on the data to: <select class="agl-click">
        <option value="select">pick a point</option>
        <option value="add0">add a class 0 point</option>
        <option value="add1">add a class 1 point</option>
        <option value="delete">delete a point</option>
      </select></label>
    </div>
    <div class="agl-warning"></div>
    <div class="agl-panels">
      <div><div class="agl-caption">data and decision boundary</div><svg class="agl-data" width="300" height="300"></svg></div>
      <div><div class="agl-caption">training loss per step</div><svg class="agl-loss" width="300" height="160"></svg>
           <div class="agl-caption">weights: blue positive, red negative, width |w|</div><svg class="agl-net" width="300" height="220"></svg></div>
    </div>
    <div class="agl-info"></div>`;
  const $ = (sel) => root.querySelector(sel);
  const dataPlot = $(".agl-data");
  const lossPlot = $(".agl-loss");
  const netPlot = $(".agl-net");

  function toScreen(x, y) {
    const [x0, x1, y0, y1] = model.get("boundary").bounds;
    return [((x - x0) / (x1 - x0)) * 300, 300 - ((y - y0) / (y1 - y0)) * 300];
  }
  function toData(px, py) {
    const [x0, x1, y0, y1] = model.get("boundary").bounds;
    return [x0 + (px / 300) * (x1 - x0), y0 + ((300 - py) / 300) * (y1 - y0)];
  }

  function drawData() {
    dataPlot.innerHTML = "";
    const b = model.get("boundary");
    const cell = 300 / b.n;
    b.classes.forEach((c, i) => {
      const col = i % b.n;
      const row = Math.floor(i / b.n);
      el("rect", { x: col * cell, y: 300 - (row + 1) * cell, width: cell + 0.5, height: cell + 0.5,
        fill: AREA_COLORS[c % AREA_COLORS.length], class: "agl-cell" }, dataPlot);
    });
    const trace = model.get("trace");
    model.get("points").forEach(([x, y, c], i) => {
      const [px, py] = toScreen(x, y);
      const dot = el("circle", { cx: px, cy: py, r: 4, fill: CLASS_COLORS[c % CLASS_COLORS.length],
        stroke: "#fff", "stroke-width": 1, class: "agl-point", "data-index": i }, dataPlot);
      if (trace && trace.index === i) {
        dot.setAttribute("stroke", "#000");
        dot.setAttribute("stroke-width", 2.5);
        dot.setAttribute("r", 6);
      }
    });
  }

  function drawLoss() {
    lossPlot.innerHTML = "";
    const history = model.get("history");
    el("line", { x1: 30, y1: 140, x2: 295, y2: 140, stroke: "#888" }, lossPlot);
    el("line", { x1: 30, y1: 5, x2: 30, y2: 140, stroke: "#888" }, lossPlot);
    if (!history.length) return;
    const losses = history.map((h) => h.loss);
    const top = Math.max(...losses) || 1;
    const points = losses.map((l, i) => {
      const x = 30 + (history.length === 1 ? 0 : (i / (history.length - 1)) * 265);
      return `${x},${140 - (l / top) * 135}`;
    });
    el("polyline", { points: points.join(" "), fill: "none", stroke: "#d62728", "stroke-width": 1.5, class: "agl-curve" }, lossPlot);
    el("text", { x: 2, y: 12, "font-size": 10 }, lossPlot).textContent = fmt(top);
    el("text", { x: 2, y: 140, "font-size": 10 }, lossPlot).textContent = "0";
    el("text", { x: 200, y: 155, "font-size": 10 }, lossPlot).textContent = `${history.length} steps`;
  }

  function drawNet() {
    netPlot.innerHTML = "";
    const layers = model.get("weights");
    const trace = model.get("trace");
    const sizes = [layers[0].w[0].length, ...layers.map((l) => l.b.length)];
    const x = (i) => 20 + (i * 260) / (sizes.length - 1);
    const y = (i, j) => (220 * (j + 0.5)) / sizes[i];
    let top = 0;
    for (const l of layers) for (const row of l.w) for (const w of row) top = Math.max(top, Math.abs(w));
    layers.forEach((layer, i) => {
      layer.w.forEach((row, j) => {
        row.forEach((w, k) => {
          el("line", { x1: x(i), y1: y(i, k), x2: x(i + 1), y2: y(i + 1, j),
            stroke: w >= 0 ? "#1f77b4" : "#d62728", "stroke-width": 0.3 + (3 * Math.abs(w)) / (top || 1),
            "stroke-opacity": 0.7, class: "agl-weight" }, netPlot);
        });
      });
    });
    sizes.forEach((n, i) => {
      for (let j = 0; j < n; j++) {
        const value = trace ? (i === 0 ? trace.inputs[j].data : trace.layers[i - 1].data[j]) : null;
        const grad = trace ? (i === 0 ? trace.inputs[j].grad : trace.layers[i - 1].grad[j]) : null;
        const shade = value === null ? "#fff" : value >= 0 ? `rgba(31,119,180,${Math.min(1, Math.abs(value))})` : `rgba(214,39,40,${Math.min(1, Math.abs(value))})`;
        const node = el("circle", { cx: x(i), cy: y(i, j), r: 5, fill: shade, stroke: "#333", class: "agl-neuron" }, netPlot);
        el("title", {}, node).textContent = i === 0 ? `input ${j + 1}` + (trace ? `: ${fmt(value)}, dL/dx ${fmt(grad)}` : "")
          : `L${i} N${j + 1}` + (trace ? `: output ${fmt(value)}, dL/d output ${fmt(grad)}` : "");
      }
    });
  }

  function drawInfo() {
    const trace = model.get("trace");
    const box = $(".agl-info");
    if (!trace) {
      box.textContent = "Pick a point on the data to see its forward and backward pass through the network.";
      return;
    }
    const rows = trace.layers.map((layer, i) =>
      `layer ${i + 1}  output ${layer.data.map(fmt).join(" ")}\n         dL/doutput ${layer.grad.map(fmt).join(" ")}`);
    box.innerHTML = "";
    const head = document.createElement("b");
    head.textContent = `point ${trace.index}: (${fmt(trace.x[0])}, ${fmt(trace.x[1])}), class ${trace.label}, its loss ${fmt(trace.loss)}`;
    const pre = document.createElement("pre");
    pre.textContent = "forward, then backward, neuron by neuron:\n" + rows.join("\n");
    box.append(head, pre);
  }

  function drawStatus() {
    const s = model.get("status");
    const history = model.get("history");
    const last = history[history.length - 1];
    $('[data-act="play"]').textContent = s.playing ? "pause" : "play";
    $('[data-act="batch"]').style.display = s.batch ? "" : "none";
    $(".agl-count").textContent = `epoch ${s.epoch} / ${s.epochs}` +
      (last ? `, loss ${fmt(last.loss)}, accuracy ${(100 * last.accuracy).toFixed(1)}%` : "");
    $(".agl-warning").textContent = s.error || "";
  }

  function drawAll() {
    drawData();
    drawLoss();
    drawNet();
    drawInfo();
    drawStatus();
  }

  root.querySelector(".agl-bar").addEventListener("click", (event) => {
    const act = event.target.dataset && event.target.dataset.act;
    if (act === "play") model.send({ type: model.get("status").playing ? "pause" : "play" });
    if (act === "epoch") model.send({ type: "step", unit: "epoch" });
    if (act === "batch") model.send({ type: "step", unit: "batch" });
  });
  dataPlot.addEventListener("click", (event) => {
    const mode = $(".agl-click").value;
    const target = event.target;
    const index = target.classList.contains("agl-point") ? Number(target.dataset.index) : null;
    if (mode === "select") model.send({ type: "select", index });
    else if (mode === "delete") { if (index !== null) model.send({ type: "delete", index }); }
    else {
      const rect = dataPlot.getBoundingClientRect();
      const [x1, x2] = toData(event.clientX - rect.left, event.clientY - rect.top);
      model.send({ type: "add", x1, x2, label: mode === "add0" ? 0 : 1 });
    }
  });
  for (const key of ["points", "boundary", "history", "weights", "trace", "status"]) {
    model.on(`change:${key}`, drawAll);
  }
  model.on("msg:custom", (msg) => {
    if (msg && msg.type === "error") $(".agl-warning").textContent = msg.text;
  });
  drawAll();
}

export default { render };
