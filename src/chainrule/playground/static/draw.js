// Drawing: heat maps, the data points, the network (one SVG scaled by its viewBox: neurons as
// small heat maps, weights as lines coloured and sized by value or by gradient), the cost chart.
// Only pixels are made here.
import { featureLabel } from "./labels.js";

const ORANGE = [245, 147, 34],
  WHITE = [232, 234, 235],
  BLUE = [8, 119, 189];
export const PALETTE = [
  [245, 147, 34],
  [8, 119, 189],
  [60, 170, 80],
  [200, 50, 60],
  [140, 90, 200],
  [120, 80, 40],
  [230, 110, 190],
  [120, 120, 120],
  [180, 180, 40],
  [30, 190, 200],
];
const NODE = 36,
  ROW = 52,
  TOP = 8,
  LEFT = 54,
  RIGHT = 70;
// Layers closer together in a deep network, so that it stays legible in a narrow column.
const column = (sizes) => (sizes.length > 5 ? 92 : 120);
const FIELD = 0.45; // how far the output field goes from white towards its colour (TF: paler)
const SVG = "http://www.w3.org/2000/svg";

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}
// t in 0..1: orange (0) through white (0.5) to blue (1), as TensorFlow Playground colours.
export function colour(t) {
  return t < 0.5 ? mix(ORANGE, WHITE, t * 2) : mix(WHITE, BLUE, (t - 0.5) * 2);
}
const TABLE = Array.from({ length: 256 }, (_, i) => colour(i / 255));
const PALE = TABLE.map((rgb) => mix(WHITE, rgb, FIELD));

function bytes(b64) {
  const text = atob(b64),
    out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// A heat map into a canvas of size x size pixels (a "value" map, or classes with confidence);
// `pale` for the output panel's field, under the data points.
export function paintMap(canvas, size, map, discrete = false, pale = false) {
  const values = bytes(map.data ?? map);
  const classes = map.kind === "classes" ? bytes(map.class) : null;
  if (canvas.width !== size) canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(size, size);
  const out = image.data,
    table = pale ? PALE : TABLE,
    reach = pale ? FIELD : 1;
  for (let i = 0; i < size * size; i++) {
    const v = discrete ? (values[i] >= 128 ? 255 : 0) : values[i]; // the decision alone
    const rgb = classes
      ? mix(WHITE, PALETTE[classes[i] % 10], reach * (discrete ? 0.8 : 0.25 + (0.75 * v) / 255))
      : table[discrete ? (v ? 200 : 55) : v];
    out[4 * i] = rgb[0];
    out[4 * i + 1] = rgb[1];
    out[4 * i + 2] = rgb[2];
    out[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

export function pointColour(data, label) {
  return data.classes === 0
    ? colour((label + 1) / 2)
    : data.classes === 2
      ? label
        ? BLUE
        : ORANGE
      : PALETTE[label % 10];
}

// The data points over the output map: training points filled circles with a dark edge, test
// points squares with a black edge; regression targets coloured on the field's scale.
export function drawPoints(canvas, data, showTest, picked) {
  const ctx = canvas.getContext("2d");
  const [x0, x1, y0, y1] = data.domain;
  const W = canvas.width,
    H = canvas.height,
    r = (3.2 * W) / 300;
  const at = (p) => [((p[0] - x0) / (x1 - x0)) * W, ((y1 - p[1]) / (y1 - y0)) * H];
  const put = (points, labels, test) =>
    points.forEach((p, i) => {
      const [px, py] = at(p);
      ctx.beginPath();
      if (test) ctx.rect(px - r, py - r, 2 * r, 2 * r);
      else ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${pointColour(data, labels[i])})`;
      ctx.fill();
      ctx.strokeStyle = test ? "#000" : "#333";
      ctx.lineWidth = test ? 1.6 : 0.8;
      ctx.stroke();
    });
  put(data.train, data.y, false);
  if (showTest) put(data.test, data.test_y, true);
  if (picked !== null && data.train[picked]) {
    const [px, py] = at(data.train[picked]);
    ctx.beginPath();
    ctx.arc(px, py, 2.4 * r, 0, 2 * Math.PI);
    ctx.strokeStyle = "#e0a000";
    ctx.lineWidth = 3;
    ctx.stroke();
  }
}

// The nearest training point to a click on the output canvas.
export function nearestPoint(canvas, data, event) {
  const r = canvas.getBoundingClientRect();
  const [x0, x1, y0, y1] = data.domain;
  const x = x0 + ((event.clientX - r.left) / r.width) * (x1 - x0);
  const y = y1 - ((event.clientY - r.top) / r.height) * (y1 - y0);
  let best = 0,
    bestD = Infinity;
  data.train.forEach((p, i) => {
    const d = (p[0] - x) ** 2 + (p[1] - y) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

export function position(l, j, sizes) {
  const tallest = Math.max(...sizes);
  return { x: LEFT + l * column(sizes), y: TOP + j * ROW + ((tallest - sizes[l]) * ROW) / 2 };
}

function element(name, attributes = {}, parent = null) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

const SUB = "₀₁₂₃₄₅₆₇₈₉",
  SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹";
const sub = (n) =>
  String(n)
    .split("")
    .map((d) => SUB[d])
    .join("");
const sup = (n) =>
  String(n)
    .split("")
    .map((d) => SUP[d])
    .join("");
function neuronName(l, j, L) {
  return l === 0
    ? `input ${j + 1}`
    : l === L
      ? j
        ? `output ${j + 1}`
        : "output"
      : `neuron ${j + 1} of layer ${l}`;
}
export function paramLabel(param, sizes) {
  const m = param.match(/([Wb])(\d+)\[(\d+)(?:,(\d+))?\]/);
  const [, kind, l, j, k] = m,
    L = sizes.length - 1;
  return kind === "W"
    ? `weight w${sup(l)}${sub(j)}${sub(k)} ` +
        `from ${neuronName(l - 1, +k, L)} to ${neuronName(+l, +j, L)}`
    : `bias b${sup(l)}${sub(j)} of ${neuronName(+l, +j, L)}`;
}

// The network's elements, made once per shape, in one SVG whose viewBox scales it to its
// column: a group per neuron (its heat map, its value label), two lines per weight (the drawn one
// and a wide invisible one to hover, tap or focus). Above it, a row of +/- buttons per hidden
// layer placed at the layers' centres (in percent, so they follow the scaling).
export function buildNetwork(box, heads, svg, sizes, featureNames, maxWidth) {
  svg.innerHTML = "";
  heads.innerHTML = "";
  const L = sizes.length - 1;
  const width = LEFT + L * column(sizes) + NODE + RIGHT,
    height = TOP + Math.max(...sizes) * ROW;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  box.style.maxWidth = Math.round(width * 1.5) + "px";
  box.style.aspectRatio = `${width} / ${height}`;
  const wires = element("g", { class: "wires" }, svg);
  // (drawn last, for the eye: the neurons' aria-labels say it all)
  const labels = element("g", { class: "labels", "aria-hidden": "true" });
  for (let l = 1; l <= L; l++) {
    for (let j = 0; j < sizes[l]; j++)
      for (let k = 0; k < sizes[l - 1]; k++) {
        const a = position(l - 1, k, sizes),
          b = position(l, j, sizes);
        const ends = { x1: a.x + NODE, y1: a.y + NODE / 2, x2: b.x, y2: b.y + NODE / 2 };
        const param = `W${l}[${j},${k}]`;
        element("line", { ...ends, class: "wire", "data-param": param }, wires).ljk = [l, j, k];
        element(
          "line",
          {
            ...ends,
            class: "hit",
            "data-param": param,
            tabindex: -1,
            role: "button",
            "aria-label": paramLabel(param, sizes),
          },
          wires,
        );
      }
  }
  for (let l = 0; l <= L; l++) {
    if (l > 0 && l < L) {
      const head = document.createElement("div");
      head.className = "layer-head";
      head.dataset.layer = l;
      head.style.left = (((position(l, 0, sizes).x + NODE / 2) / width) * 100).toFixed(2) + "%";
      head.innerHTML =
        `<button data-grow="${l}" aria-label="add a neuron to layer ${l}" ` +
        `${sizes[l] >= maxWidth ? "disabled" : ""}>+</button>` +
        `<button data-shrink="${l}" aria-label="remove a neuron from layer ${l}" ` +
        `${sizes[l] <= 1 ? "disabled" : ""}>&minus;</button>` +
        `<span class="count">${sizes[l]}</span>`;
      heads.appendChild(head);
    }
    for (let j = 0; j < sizes[l]; j++) {
      const p = position(l, j, sizes);
      const g = element(
        "g",
        { class: "neuron", "data-layer": l, "data-j": j, transform: `translate(${p.x},${p.y})` },
        svg,
      );
      if (l > 0) {
        g.dataset.param = `b${l}[${j}]`;
        Object.entries({
          tabindex: -1,
          role: "button",
          "aria-label": paramLabel(g.dataset.param, sizes) + ", and its heat map",
        }).forEach(([k, v]) => g.setAttribute(k, v));
      } else {
        g.setAttribute("role", "img");
        g.setAttribute("aria-label", `input ${featureLabel(featureNames[j])}: its heat map`);
      }
      const object = element("foreignObject", { width: NODE, height: NODE }, g);
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 32;
      object.appendChild(canvas);
      element("rect", { class: "frame", width: NODE, height: NODE }, g);
      // (the labels are outside the neuron's group: its aria-label says it all)
      g.val = element("text", { class: "val", x: p.x + NODE / 2, y: p.y + NODE + 11 }, labels);
      if (l === 0)
        element("text", { class: "name", x: p.x - 6, y: p.y + NODE / 2 + 4 }, labels).textContent =
          featureLabel(featureNames[j]);
      if (l === L)
        element(
          "text",
          { class: "name out", x: p.x + NODE + 6, y: p.y + NODE / 2 + 4 },
          labels,
        ).textContent = sizes[L] > 1 ? `class ${j}` : "output";
    }
  }
  svg.appendChild(labels);
}

// Colour and width of every weight line from the frame's weights (or their gradients), and each
// neuron's heat map.
export function updateNetwork(svg, frame, colorBy) {
  const source = colorBy === "gradient" && frame.grads ? frame.grads : frame.params;
  let biggest = 1e-12;
  for (const [name, a] of Object.entries(source))
    if (name[0] === "W")
      for (const row of a) for (const v of row) biggest = Math.max(biggest, Math.abs(v ?? 0));
  const scale = colorBy === "gradient" ? 1 / biggest : 1 / Math.max(1, biggest / 4);
  for (const line of svg.querySelectorAll("line.wire")) {
    const [l, j, k] = line.ljk;
    const v = source[`W${l}`][j][k] ?? 0;
    const s = Math.min(1, Math.abs(v) * scale);
    line.setAttribute("stroke", `rgb(${v < 0 ? ORANGE : BLUE})`);
    line.setAttribute("stroke-width", (0.5 + 5 * s).toFixed(2));
    line.setAttribute("stroke-opacity", (0.25 + 0.75 * s).toFixed(2));
  }
  for (const g of svg.querySelectorAll(".neuron")) {
    const map = frame.neurons[+g.dataset.layer]?.[+g.dataset.j];
    if (map) paintMap(g.querySelector("canvas"), 32, map);
  }
}

// The cost per epoch, training and test, with its axes (cost from 0 up; epochs).
export function drawCurve(canvas, curve) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width,
    H = canvas.height,
    left = 34,
    bottom = 16,
    top = 6,
    right = 6;
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = "#888";
  ctx.lineWidth = 1;
  ctx.fillStyle = "#555";
  ctx.font = "10px system-ui, sans-serif";
  ctx.beginPath();
  ctx.moveTo(left, top);
  ctx.lineTo(left, H - bottom);
  ctx.lineTo(W - right, H - bottom);
  ctx.stroke();
  const highest = curve.length ? Math.max(...curve.flatMap((p) => [p[1], p[2] ?? 0])) || 1 : 1;
  const first = curve.length ? curve[0][0] : 0,
    last = curve.length ? curve[curve.length - 1][0] : 1;
  ctx.textAlign = "right";
  ctx.fillText(highest.toPrecision(2), left - 3, top + 8);
  ctx.fillText("0", left - 3, H - bottom);
  ctx.textAlign = "left";
  ctx.fillText(String(first), left, H - 3);
  ctx.textAlign = "right";
  ctx.fillText(`epoch ${last}`, W - right, H - 3);
  if (curve.length < 2) return;
  for (const [column, stroke] of [
    [1, "#0877bd"],
    [2, "#222"],
  ]) {
    ctx.beginPath();
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1.5;
    curve.forEach((p, i) => {
      const x = left + ((p[0] - first) / Math.max(1, last - first)) * (W - left - right);
      const y = H - bottom - ((p[column] ?? 0) / highest) * (H - bottom - top);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  }
}

// The weights into one layer marked (BP4 works on them), or none.
export function markWires(svg, layer) {
  svg
    .querySelectorAll("line.wire")
    .forEach((line) =>
      line.classList.toggle("stage", layer !== null && line.dataset.param.startsWith(`W${layer}[`)),
    );
}

// Numbers written under the neurons of one layer (a step-through stage), cleared elsewhere.
export function label(svg, layer, values, prefix) {
  svg.querySelectorAll(".neuron").forEach((g) => {
    const here = layer !== null && +g.dataset.layer === layer;
    g.classList.toggle("hl", here);
    const text = g.val;
    text.classList.toggle("hl", here);
    if (here && values) {
      const v = values[+g.dataset.j];
      text.textContent = `${prefix} ${Number(v).toPrecision(3)}`;
      text.dataset.value = String(v);
    } else if (layer !== null || !values) {
      text.textContent = "";
      delete text.dataset.value;
    }
  });
}
