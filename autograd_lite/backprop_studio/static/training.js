// Backprop Studio, training live: draws what the kernel's training session sends
// (autograd_lite/backprop_studio/training.py) and sends back what the learner does.
// The kernel trains in a background thread; this module only draws and asks.
//
// Never jam the page: every change only *asks* for a frame; frames are drawn by
// requestAnimationFrame, at most one every FRAME_MS, all panels at once, from the
// latest state. The history arrives as new points only (messages {type: "history",
// from, points}) and is kept here. In a saved page (model.send is null) the same
// module replays the recorded epochs instead (model.get("replay")).

const SVG = "http://www.w3.org/2000/svg";
const CLASS_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const CLASS_RGB = CLASS_COLORS.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
const FRAME_MS = 40; // at most 25 frames a second
const SLOW_MS = 200; // the network and the optimizer's table: at most 5 a second
const SPEEDS = [["0.5", "0.5 epoch/s"], ["1", "1 epoch/s"], ["2", "2 epochs/s"], ["5", "5 epochs/s"],
  ["10", "10 epochs/s"], ["30", "30 epochs/s"], ["100", "100 epochs/s"], ["", "as fast as it can"]];
const PLOT = 300; // the data plot's size in px

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// One rounding rule for every number the studio shows: 4 significant digits.
function fmt(x) {
  if (x === null || x === undefined) return "—";
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// Diverging colour of a neuron's output: blue positive, orange negative, white 0.
function heatRgb(v, top) {
  const t = Math.max(-1, Math.min(1, v / (top || 1)));
  const to = t >= 0 ? [31, 119, 180] : [255, 127, 14];
  const a = Math.abs(t);
  return to.map((c) => Math.round(255 + (c - 255) * a));
}

function render({ model, el: root }) {
  const live = typeof model.send === "function";
  const replay = live ? null : model.get("replay");
  let frame = replay ? null : model.get("frame");
  let history = replay ? replay.history : [];
  let shown = replay ? replay.frames.length - 1 : -1; // the replayed frame
  let replayTimer = null;
  let message = ""; // the kernel's last error message
  let draws = 0;
  let lastSlow = 0;

  root.classList.add("agl-studio", "agl-training");
  root.innerHTML = `
    <div class="agl-bar">
      <button data-act="play" title="play: train at the chosen speed" aria-label="play">play</button>
      <button data-act="epoch" title="train one epoch">+1 epoch</button>
      <button data-act="batch" title="train one batch">+1 batch</button>
      <button data-act="reset" title="new initial weights, epoch 0">reset</button>
      <label>speed <select class="agl-speed"></select></label>
      <span class="agl-more-box"><button data-act="more" title="plan more epochs past the planned count, and play">+</button><input type="number" class="agl-more" min="1" value="100"> epochs</span>
      <input type="range" class="agl-frame" min="0" value="0">
      <span class="agl-count"></span>
    </div>
    <div class="agl-bar agl-settings">
      <label>learning rate <input type="number" class="agl-lr" step="any" min="0"></label>
      <label>batch size <input type="number" class="agl-batch" min="1" placeholder="all"></label>
      <label>L2 <input type="number" class="agl-l2" step="any" min="0"></label>
      <label>activation <select class="agl-activation"></select></label><span class="agl-pending"></span>
      <label>click on the data to <select class="agl-click"></select></label>
      <label><input type="checkbox" class="agl-levels"> first-layer level sets</label>
    </div>
    <div class="agl-warning"></div>
    <div class="agl-note"></div>
    <div class="agl-panels">
      <div><div class="agl-caption">data and the probability of each class (shade), boundary where it is 50%</div>
        <div class="agl-plot"><canvas class="agl-shade" width="${PLOT}" height="${PLOT}"></canvas>
        <svg class="agl-data" width="${PLOT}" height="${PLOT}"></svg></div>
        <div class="agl-legend"></div></div>
      <div><div class="agl-caption">loss per step: <span style="color:#d62728">training</span> <span class="agl-test-key"></span></div>
        <svg class="agl-loss" width="340" height="170"></svg>
        <div class="agl-caption">network: each neuron's output over the plane (blue +, orange −); lines: weights (blue +, red −, width |w|)</div>
        <svg class="agl-net" width="340" height="260"></svg></div>
    </div>
    <details class="agl-optimizer-box" open><summary class="agl-caption">optimizer: each parameter's value, gradient and state</summary>
      <div class="agl-optimizer"></div></details>
    <div class="agl-info"></div>`;
  const $ = (sel) => root.querySelector(sel);
  const dataPlot = $(".agl-data");
  const shade = $(".agl-shade");
  const lossPlot = $(".agl-loss");
  const netPlot = $(".agl-net");
  const speedSelect = $(".agl-speed");
  for (const [value, text] of SPEEDS) {
    const opt = document.createElement("option");
    opt.value = value;
    opt.textContent = text;
    speedSelect.appendChild(opt);
  }
  if (!live) for (const node of root.querySelectorAll(".agl-settings, [data-act=epoch], [data-act=batch], [data-act=reset], .agl-more-box, .agl-optimizer-box, .agl-speed")) node.style.display = "none";
  if (live) $(".agl-frame").style.display = "none";
  else speedSelect.parentElement.style.display = "none";

  // --- the state drawn: the kernel's latest frame, or the replayed epoch ---------------
  function current() {
    if (!replay) return frame;
    const f = replay.frames[shown];
    const upto = history.filter((h) => h.epoch <= f.epoch);
    return {
      points: replay.points,
      picture: f.picture,
      weights: f.weights,
      optimizer: null,
      trace: null,
      status: { playing: replayTimer !== null, epoch: f.epoch, epochs: replay.epochs, classes: replay.classes,
        batch: null, error: "", note: "", test: replay.test, history_length: upto.length },
    };
  }
  function historyShown() {
    const st = current().status;
    return history.slice(0, st.history_length);
  }

  // --- one frame: every panel, from the latest state ----------------------------------
  let asked = false;
  let lastFrame = -Infinity;
  function ask() {
    if (asked) return;
    asked = true;
    requestAnimationFrame(tick);
  }
  function tick(now) {
    if (now - lastFrame < FRAME_MS) return requestAnimationFrame(tick);
    asked = false;
    lastFrame = now;
    drawAll(now);
  }
  let slowLater = null;
  let drawMs = 0; // the time spent drawing, for the hook's state()
  let slowestMs = 0;
  function drawAll(now) {
    const began = performance.now();
    try {
      drawPanels(now);
    } finally {
      const took = performance.now() - began;
      drawMs += took;
      slowestMs = Math.max(slowestMs, took);
    }
  }
  function drawPanels(now) {
    draws += 1;
    const st = current();
    drawData(st);
    drawLoss(st);
    drawStatus(st);
    if (now - lastSlow >= SLOW_MS || !st.status.playing) {
      lastSlow = now;
      drawNet(st);
      drawOptimizer(st);
      drawInfo(st);
    } else if (slowLater === null) {
      // the slow panels catch up in a later frame
      slowLater = setTimeout(() => {
        slowLater = null;
        lastSlow = -Infinity;
        ask();
      }, SLOW_MS - (now - lastSlow));
    }
  }

  function bounds(st) {
    return st.picture.bounds;
  }
  function toScreen(st, x, y) {
    const [x0, x1, y0, y1] = bounds(st);
    return [((x - x0) / (x1 - x0)) * PLOT, PLOT - ((y - y0) / (y1 - y0)) * PLOT];
  }
  function toData(st, px, py) {
    const [x0, x1, y0, y1] = bounds(st);
    return [x0 + (px / PLOT) * (x1 - x0), y0 + ((PLOT - py) / PLOT) * (y1 - y0)];
  }

  // The shade: each grid point's class colours mixed by probability, drawn small and
  // scaled up smoothly by the canvas; the boundary is where the mix is even.
  const small = document.createElement("canvas");
  function drawShade(pic) {
    const n = pic.n;
    small.width = n;
    small.height = n;
    const ctx = small.getContext("2d");
    const img = ctx.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const p = pic.probability[i];
      const probs = Array.isArray(p) ? p : [1 - p, p];
      let rgb = [0, 0, 0];
      probs.forEach((q, c) => {
        const col = CLASS_RGB[c % CLASS_RGB.length];
        rgb = rgb.map((v, j) => v + q * col[j]);
      });
      const top = Math.max(...probs);
      const strength = 0.15 + 0.45 * (top - 1 / probs.length) * probs.length / (probs.length - 1);
      const row = n - 1 - Math.floor(i / n); // row 0 of the grid is the bottom
      const at = 4 * (row * n + (i % n));
      for (let j = 0; j < 3; j++) img.data[at + j] = Math.round(255 + (rgb[j] - 255) * strength);
      img.data[at + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    const big = shade.getContext("2d");
    big.imageSmoothingEnabled = true;
    big.imageSmoothingQuality = "high";
    // grid points are cell centres of an n-cell image: stretch so centres meet the edges
    const cell = PLOT / (n - 1);
    big.drawImage(small, -cell / 2, -cell / 2, PLOT + cell, PLOT + cell);
  }

  let pointsKey = "";
  let shaded = null;
  function drawData(st) {
    if (shaded !== st.picture) drawShade(st.picture);
    shaded = st.picture;
    const key = JSON.stringify(st.points) + JSON.stringify(bounds(st)) + (st.trace ? st.trace.index : "") +
      $(".agl-levels").checked + ($(".agl-levels").checked ? JSON.stringify(st.weights[0]) : "");
    if (key === pointsKey) return;
    pointsKey = key;
    dataPlot.innerHTML = "";
    drawAxes(st);
    if ($(".agl-levels").checked) drawLevelSets(st);
    st.points.forEach(([x, y, c], i) => {
      const [px, py] = toScreen(st, x, y);
      const dot = el("circle", { cx: px, cy: py, r: 4, fill: CLASS_COLORS[c % CLASS_COLORS.length],
        stroke: "#fff", "stroke-width": 1, class: "agl-point", "data-index": i }, dataPlot);
      el("title", {}, dot).textContent = `point ${i}: (${fmt(x)}, ${fmt(y)}), class ${c}`;
      if (st.trace && st.trace.index === i) {
        dot.setAttribute("stroke", "#000");
        dot.setAttribute("stroke-width", 2.5);
        dot.setAttribute("r", 6);
      }
    });
  }

  function niceTicks(lo, hi) {
    const raw = (hi - lo) / 5;
    const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw);
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) ticks.push(Number(t.toPrecision(6)));
    return ticks;
  }
  function drawAxes(st) {
    const [x0, x1, y0, y1] = bounds(st);
    for (const t of niceTicks(x0, x1)) {
      const [px] = toScreen(st, t, y0);
      el("line", { x1: px, y1: PLOT, x2: px, y2: PLOT - 5, stroke: "#444" }, dataPlot);
      el("text", { x: px, y: PLOT - 7, "text-anchor": "middle", class: "agl-tick" }, dataPlot).textContent = fmt(t);
    }
    for (const t of niceTicks(y0, y1)) {
      const [, py] = toScreen(st, x0, t);
      el("line", { x1: 0, y1: py, x2: 5, y2: py, stroke: "#444" }, dataPlot);
      el("text", { x: 7, y: py + 4, class: "agl-tick" }, dataPlot).textContent = fmt(t);
    }
    el("text", { x: PLOT - 4, y: PLOT - 20, "text-anchor": "end", class: "agl-tick" }, dataPlot).textContent = "x1 →";
    el("text", { x: 7, y: 14, class: "agl-tick" }, dataPlot).textContent = "↑ x2";
  }

  // Each first-layer neuron's level set w·x + b = 0: the line where it switches on.
  function drawLevelSets(st) {
    const layer = st.weights[0];
    const [x0, x1, y0, y1] = bounds(st);
    layer.w.forEach(([a, b], j) => {
      const c = layer.b[j];
      let ends;
      if (Math.abs(b) > 1e-12) ends = [[x0, -(a * x0 + c) / b], [x1, -(a * x1 + c) / b]];
      else if (Math.abs(a) > 1e-12) ends = [[-c / a, y0], [-c / a, y1]];
      else return;
      const [p, q] = ends.map(([x, y]) => toScreen(st, x, y));
      const line = el("line", { x1: p[0], y1: p[1], x2: q[0], y2: q[1], stroke: "#555", "stroke-width": 1,
        "stroke-dasharray": "4 3", class: "agl-level" }, dataPlot);
      el("title", {}, line).textContent = `L1 N${j + 1}: ${fmt(a)}·x1 + ${fmt(b)}·x2 + ${fmt(c)} = 0`;
    });
  }

  let lossKey = "";
  function drawLoss(st) {
    const shownHistory = historyShown();
    const key = `${shownHistory.length} ${st.status.test} ${shownHistory.length && shownHistory[shownHistory.length - 1].loss}`;
    if (key === lossKey) return;
    lossKey = key;
    lossPlot.innerHTML = "";
    const left = 44, right = 332, top = 8, bottom = 140;
    el("line", { x1: left, y1: bottom, x2: right, y2: bottom, stroke: "#888" }, lossPlot);
    el("line", { x1: left, y1: top, x2: left, y2: bottom, stroke: "#888" }, lossPlot);
    $(".agl-test-key").innerHTML = st.status.test ? '<span style="color:#ff7f0e">test (dashed)</span>' : "(no test set: pass test=(X_test, y_test))";
    if (!shownHistory.length) return;
    const n = shownHistory.length;
    const stride = Math.max(1, Math.ceil(n / 600)); // at most ~600 points a curve
    const picked = [];
    for (let i = 0; i < n; i += stride) picked.push(i);
    if (picked[picked.length - 1] !== n - 1) picked.push(n - 1);
    const keys = st.status.test ? ["loss", "test_loss"] : ["loss"];
    let high = 0;
    for (const h of shownHistory) for (const key of keys) if (Number.isFinite(h[key])) high = Math.max(high, h[key]);
    high = high || 1;
    const x = (i) => left + (n === 1 ? 0 : (i / (n - 1)) * (right - left));
    const y = (v) => bottom - (Math.min(v, high) / high) * (bottom - top);
    keys.forEach((key, j) => {
      const points = picked.map((i) => `${x(i)},${y(shownHistory[i][key])}`).join(" ");
      el("polyline", { points, fill: "none", stroke: j ? "#ff7f0e" : "#d62728", "stroke-width": 1.5,
        "stroke-dasharray": j ? "5 3" : "none", class: j ? "agl-test-curve" : "agl-curve" }, lossPlot);
    });
    el("text", { x: left - 4, y: top + 8, "text-anchor": "end", class: "agl-tick" }, lossPlot).textContent = fmt(high);
    el("text", { x: left - 4, y: bottom, "text-anchor": "end", class: "agl-tick" }, lossPlot).textContent = "0";
    el("text", { x: right, y: bottom + 16, "text-anchor": "end", class: "agl-tick" }, lossPlot).textContent =
      `step ${n}, epoch ${shownHistory[n - 1].epoch}`;
    el("text", { x: left, y: bottom + 16, class: "agl-tick" }, lossPlot).textContent = "step 1";
  }

  const tile = document.createElement("canvas");
  function heatImage(values, n, top) {
    tile.width = n;
    tile.height = n;
    const ctx = tile.getContext("2d");
    const img = ctx.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const rgb = heatRgb(values[i], top);
      const at = 4 * ((n - 1 - Math.floor(i / n)) * n + (i % n));
      img.data.set([...rgb, 255], at);
    }
    ctx.putImageData(img, 0, 0);
    return tile.toDataURL();
  }

  // The network: built once per shape, then only its colours, widths and images change
  // (a speed trick, measured with the table's below).
  let netKey = "";
  let netLines = [];
  let netCells = [];
  function drawNet(st) {
    const layers = st.weights;
    const pic = st.picture;
    const sizes = [layers[0].w[0].length, ...layers.map((l) => l.b.length)];
    const most = Math.max(...sizes);
    const box = Math.max(18, Math.min(28, Math.floor(240 / most) - 4));
    const height = Math.max(260, most * (box + 5) + 8);
    const x = (i) => 20 + (i * 290) / (sizes.length - 1);
    const y = (i, j) => (height * (j + 0.5)) / sizes[i];
    if (netKey !== sizes.join()) {
      netKey = sizes.join();
      netPlot.innerHTML = "";
      netPlot.setAttribute("height", height);
      netLines = [];
      layers.forEach((layer, i) => {
        layer.w.forEach((row, j) => {
          row.forEach((w, k) => {
            netLines.push(el("line", { x1: x(i), y1: y(i, k), x2: x(i + 1), y2: y(i + 1, j),
              "stroke-opacity": 0.6, class: "agl-weight" }, netPlot));
          });
        });
      });
      netCells = [];
      sizes.forEach((count, i) => {
        for (let j = 0; j < count; j++) {
          const g = el("g", { class: "agl-neuron" }, netPlot);
          const image = el("image", { x: x(i) - box / 2, y: y(i, j) - box / 2, width: box, height: box,
            preserveAspectRatio: "none" }, g);
          el("rect", { x: x(i) - box / 2, y: y(i, j) - box / 2, width: box, height: box, fill: "none", stroke: "#333" }, g);
          netCells.push({ image, title: el("title", {}, g), i, j });
        }
      });
    }
    let top = 0;
    for (const l of layers) for (const row of l.w) for (const w of row) top = Math.max(top, Math.abs(w));
    let line = 0;
    for (const layer of layers) {
      for (const row of layer.w) {
        for (const w of row) {
          const node = netLines[line++];
          node.setAttribute("stroke", w >= 0 ? "#1f77b4" : "#d62728");
          node.setAttribute("stroke-width", 0.3 + (3 * Math.abs(w)) / (top || 1));
        }
      }
    }
    // the inputs' own "heat-maps": x1 and x2 over the plane
    const n = pic.heat_n;
    const [x0, x1, y0, y1] = pic.bounds;
    const inputs = [0, 1].map((d) => Array.from({ length: n * n }, (_, i) => {
      const t = d === 0 ? (i % n) / (n - 1) : Math.floor(i / n) / (n - 1);
      return d === 0 ? x0 + t * (x1 - x0) : y0 + t * (y1 - y0);
    }));
    const trace = st.trace;
    netCells.forEach(({ image, title, i, j }, k) => {
      const values = i === 0 ? inputs[j] : pic.heat[k - sizes[0]];
      let high = 0;
      for (const v of values) high = Math.max(high, Math.abs(v));
      image.setAttribute("href", heatImage(values, n, high));
      const value = trace ? (i === 0 ? trace.inputs[j].data : trace.layers[i - 1].data[j]) : null;
      const grad = trace ? (i === 0 ? trace.inputs[j].grad : trace.layers[i - 1].grad[j]) : null;
      title.textContent = (i === 0 ? `input x${j + 1}` : `L${i} N${j + 1}`) +
        ` (its output ranges over ±${fmt(high)} on the plot)` +
        (trace ? `; point ${trace.index}: output ${fmt(value)}, dL/d output ${fmt(grad)}` : "");
    });
  }

  // The optimizer's table, built once per parameter count, its numbers rewritten.
  let tableKey = "";
  function drawOptimizer(st) {
    const box = $(".agl-optimizer");
    const opt = st.optimizer;
    if (!opt) return;
    const columns = [["value", "value"], ["grad", "grad"]];
    let head = `${opt.kind}, lr ${fmt(opt.lr)}`;
    if (opt.kind === "Adam") {
      columns.push(["m", "m"], ["sqrt_v", "√v"], ["step", "its step −lr·m̂/√v̂"]);
      head += `, step t = ${opt.t}`;
    } else if (opt.kind === "SGD") {
      columns.push(["velocity", "last move Δw"]);
    }
    const key = opt.names.length + columns.map((c) => c[0]).join();
    if (key !== tableKey) {
      tableKey = key;
      box.innerHTML = `<div class="agl-optimizer-head"></div><div class="agl-table-scroll"><table><thead><tr><th>parameter</th>${
        columns.map((c) => `<th>${escapeHtml(c[1])}</th>`).join("")}</tr></thead><tbody>${
        opt.names.map((name) => `<tr><td>${escapeHtml(name)}</td>${columns.map(() => "<td></td>").join("")}</tr>`).join("")
      }</tbody></table></div>`;
      box.querySelector(".agl-table-scroll").addEventListener("scroll", () => {
        lastSlow = -Infinity;
        ask();
      });
    }
    box.querySelector(".agl-optimizer-head").textContent = head;
    if (!$(".agl-optimizer-box").open) return;
    // Speed trick: only the rows in sight are rewritten; with the network built once (above),
    // JupyterLab, 2-16-16-1 playing: drawing 23% -> 14% of the time, 9 -> 15 frames a second.
    const scroller = box.querySelector(".agl-table-scroll");
    const rows = box.querySelectorAll("tbody tr");
    const rowHeight = rows.length ? rows[0].offsetHeight || 17 : 17;
    const first = Math.max(0, Math.floor(scroller.scrollTop / rowHeight) - 2);
    const last = Math.min(rows.length, first + Math.ceil(scroller.clientHeight / rowHeight) + 4);
    for (let i = first; i < last; i++) {
      const cells = rows[i].children;
      columns.forEach(([name], c) => {
        cells[c + 1].textContent = opt[name] ? fmt(opt[name][i]) : "—";
      });
    }
  }

  function drawInfo(st) {
    const trace = st.trace;
    const box = $(".agl-info");
    if (!trace) {
      box.textContent = live ? "Pick a point on the data to see its forward and backward pass through the network." : "";
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

  // Settings fields are filled from the kernel only while the learner is not editing them.
  function fill(sel, value) {
    const field = $(sel);
    if (document.activeElement !== field) field.value = value;
  }
  let clickKey = "";
  function drawStatus(st) {
    const s = st.status;
    const shownHistory = historyShown();
    const last = shownHistory[shownHistory.length - 1];
    const play = $('[data-act="play"]');
    play.textContent = s.playing ? "pause" : "play";
    play.setAttribute("aria-label", s.playing ? "pause" : "play");
    $('[data-act="batch"]').style.display = live && s.batch ? "" : "none";
    let text = `epoch ${s.epoch} / ${s.epochs}`;
    if (last) {
      text += `, loss ${fmt(last.loss)}, accuracy ${(100 * last.accuracy).toFixed(1)}%`;
      if (Number.isFinite(last.test_loss)) text += `; test loss ${fmt(last.test_loss)}, accuracy ${(100 * last.test_accuracy).toFixed(1)}%`;
    }
    $(".agl-count").textContent = text;
    $(".agl-warning").textContent = s.error || message;
    $(".agl-note").textContent = s.note || "";
    if (live) {
      fill(".agl-lr", s.lr);
      fill(".agl-batch", s.batch === null ? "" : s.batch);
      fill(".agl-l2", s.l2);
      if (document.activeElement !== speedSelect) speedSelect.value = s.speed === null ? "" : String(s.speed);
      if (![...speedSelect.options].some((o) => o.value === speedSelect.value)) {
        const opt = document.createElement("option");
        opt.value = String(s.speed);
        opt.textContent = `${s.speed} epochs/s`;
        speedSelect.appendChild(opt);
        speedSelect.value = opt.value;
      }
      $(".agl-lr").title = s.scheduled ? "set by lr_schedule; a rate typed here replaces the schedule" : "";
      const act = $(".agl-activation");
      if (!act.options.length) {
        for (const name of s.activations) {
          const opt = document.createElement("option");
          opt.value = name;
          opt.textContent = name;
          act.appendChild(opt);
        }
      }
      if (document.activeElement !== act) act.value = s.activation;
      $(".agl-pending").textContent = s.activation !== s.model_activation ? " (reset to apply)" : "";
    }
    const key = `${s.classes}`;
    if (key !== clickKey) {
      clickKey = key;
      const click = $(".agl-click");
      const options = [["select", "pick a point"]];
      for (let c = 0; c < s.classes; c++) options.push([`add${c}`, `add a class ${c} point`]);
      options.push(["delete", "delete a point"]);
      click.innerHTML = options.map(([v, t]) => `<option value="${v}">${t}</option>`).join("");
      $(".agl-legend").innerHTML = Array.from({ length: s.classes }, (_, c) =>
        `<span><span class="agl-swatch" style="background:${CLASS_COLORS[c % CLASS_COLORS.length]}"></span>class ${c}</span>`).join(" ");
    }
    if (replay) {
      $(".agl-frame").max = String(replay.frames.length - 1);
      $(".agl-frame").value = String(shown);
    }
  }

  // --- what the learner does -------------------------------------------------------------
  function send(msg) {
    if (live) model.send(msg);
  }
  function settle(sel, name, parse) {
    $(sel).addEventListener("change", (event) => {
      const raw = event.target.value;
      const value = parse(raw);
      if (value === undefined) return;
      send({ type: "configure", settings: { [name]: value } });
    });
  }
  const number = (raw) => (raw === "" || !Number.isFinite(Number(raw)) ? undefined : Number(raw));
  settle(".agl-lr", "lr", number);
  settle(".agl-l2", "l2", number);
  settle(".agl-batch", "batch_size", (raw) => (raw === "" ? null : number(raw)));
  settle(".agl-speed", "speed", (raw) => (raw === "" ? null : Number(raw)));
  settle(".agl-activation", "activation", (raw) => raw);
  $(".agl-levels").addEventListener("change", ask);
  $(".agl-optimizer-box").addEventListener("toggle", () => {
    lastSlow = -Infinity;
    ask();
  });

  function replayStop() {
    if (replayTimer !== null) clearInterval(replayTimer);
    replayTimer = null;
    ask();
  }
  function replayGo(k) {
    shown = Math.max(0, Math.min(replay.frames.length - 1, Math.round(k)));
    ask();
    return shown;
  }
  $(".agl-frame").addEventListener("input", (e) => {
    replayStop();
    replayGo(Number(e.target.value));
  });

  root.querySelector(".agl-bar").addEventListener("click", (event) => {
    const act = event.target.dataset && event.target.dataset.act;
    if (!act) return;
    if (replay) {
      if (act !== "play") return;
      if (replayTimer !== null) return replayStop();
      if (shown >= replay.frames.length - 1) replayGo(0);
      replayTimer = setInterval(() => (shown >= replay.frames.length - 1 ? replayStop() : replayGo(shown + 1)), 100);
      return ask();
    }
    if (act === "play") send({ type: frame.status.playing ? "pause" : "play" });
    if (act === "epoch") send({ type: "step", unit: "epoch" });
    if (act === "batch") send({ type: "step", unit: "batch" });
    if (act === "reset") send({ type: "reset" });
    if (act === "more") {
      const n = Math.round(Number($(".agl-more").value));
      if (n >= 1) send({ type: "more", n });
    }
  });
  dataPlot.addEventListener("click", (event) => {
    if (!live) return;
    const mode = $(".agl-click").value;
    const target = event.target;
    const index = target.classList.contains("agl-point") ? Number(target.dataset.index) : null;
    if (mode === "select") send({ type: "select", index });
    else if (mode === "delete") { if (index !== null) send({ type: "delete", index }); }
    else {
      const rect = dataPlot.getBoundingClientRect();
      const [x1, x2] = toData(current(), event.clientX - rect.left, event.clientY - rect.top);
      send({ type: "add", x1, x2, label: Number(mode.slice(3)) });
    }
  });

  // --- what the kernel sends -------------------------------------------------------------
  if (live) {
    model.on("change:frame", () => {
      frame = model.get("frame");
      message = "";
      ask();
    });
    model.on("msg:custom", (msg) => {
      if (!msg) return;
      if (msg.type === "error") {
        message = msg.text;
        ask();
      } else if (msg.type === "history") {
        if (msg.from <= history.length) {
          history.length = msg.from;
          for (const p of msg.points) history.push(p);
        } else {
          send({ type: "hello" }); // a gap: ask for the whole history again
        }
        ask();
      }
    });
    send({ type: "hello" });
  }
  drawAll(performance.now());

  // --- the automation hook ---------------------------------------------------------------
  const hook = {
    kind: "training",
    steps: () => (replay ? replay.frames.length : history.length),
    step: (k) => {
      if (!replay) throw new Error("step(k) replays a saved page; a live view shows the latest epoch");
      replayStop();
      replayGo(k);
      drawAll(performance.now());
      return shown;
    },
    state: () => {
      const st = current();
      const h = historyShown();
      const last = h[h.length - 1] || {};
      return {
        phase: "training",
        epoch: st.status.epoch,
        epochs: st.status.epochs,
        loss: last.loss ?? null,
        accuracy: last.accuracy ?? null,
        test_loss: last.test_loss ?? null,
        test_accuracy: last.test_accuracy ?? null,
        playing: st.status.playing,
        points: st.points.length,
        history: h.length,
        error: st.status.error || message,
        note: st.status.note,
        draws,
        draw_ms: drawMs,
        slowest_draw_ms: slowestMs,
        text: $(".agl-count").textContent,
      };
    },
  };
  window.autogradLiteStudios = window.autogradLiteStudios || [];
  window.autogradLiteStudios.push(hook);
  window.autogradLiteStudio = hook;
  return () => {
    replayStop();
    const list = window.autogradLiteStudios;
    if (list && list.includes(hook)) list.splice(list.indexOf(hook), 1);
  };
}

export default { render };
