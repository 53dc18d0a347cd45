// Drawing: heat maps, the data points, the network (neurons as small heat maps, weights as
// lines coloured and sized by value or by gradient), the cost curve. Only pixels are made here.

const ORANGE = [245, 147, 34], WHITE = [232, 234, 235], BLUE = [8, 119, 189];
const PALETTE = [[245, 147, 34], [8, 119, 189], [60, 170, 80], [200, 50, 60], [140, 90, 200],
  [120, 80, 40], [230, 110, 190], [120, 120, 120], [180, 180, 40], [30, 190, 200]];
const NODE = 36, COLUMN = 120, ROW = 52, TOP = 40, LEFT = 70;

function mix(a, b, t) { return a.map((v, i) => Math.round(v + (b[i] - v) * t)); }
// t in 0..1: orange (0) through white (0.5) to blue (1), as TensorFlow Playground colours.
export function colour(t) { return t < 0.5 ? mix(ORANGE, WHITE, t * 2) : mix(WHITE, BLUE, (t - 0.5) * 2); }
const TABLE = Array.from({ length: 256 }, (_, i) => colour(i / 255));

function bytes(b64) { return Uint8Array.from(atob(b64), c => c.charCodeAt(0)); }

// A heat map into a canvas of size x size pixels (a "value" map, or classes with confidence).
export function paintMap(canvas, size, map, discrete = false) {
  const values = bytes(map.data ?? map);
  const classes = map.kind === "classes" ? bytes(map.class) : null;
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const v = discrete ? (values[i] >= 128 ? 255 : 0) : values[i];  // the decision alone
    const rgb = classes ? mix(WHITE, PALETTE[classes[i] % 10], discrete ? 0.8 : 0.25 + 0.75 * v / 255)
      : TABLE[discrete ? (v ? 200 : 55) : v];
    image.data.set([...rgb, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

// The data points over the output map; regression targets coloured on the same scale.
export function drawPoints(canvas, data, showTest, picked) {
  const ctx = canvas.getContext("2d");
  const [x0, x1, y0, y1] = data.domain;
  const W = canvas.width, H = canvas.height;
  const put = (points, labels, stroke) => points.forEach((p, i) => {
    const px = (p[0] - x0) / (x1 - x0) * W, py = (y1 - p[1]) / (y1 - y0) * H;
    const rgb = data.classes === 0 ? colour((labels[i] + 1) / 2)
      : data.classes === 2 ? (labels[i] ? BLUE : ORANGE) : PALETTE[labels[i] % 10];
    ctx.beginPath(); ctx.arc(px, py, 3 * W / 300, 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${rgb})`; ctx.fill();
    ctx.strokeStyle = stroke; ctx.lineWidth = 1; ctx.stroke();
  });
  put(data.train, data.y, "#fff");
  if (showTest) put(data.test, data.test_y, "#000");
  if (picked !== null && data.train[picked]) {
    const p = data.train[picked];
    const px = (p[0] - x0) / (x1 - x0) * W, py = (y1 - p[1]) / (y1 - y0) * H;
    ctx.beginPath(); ctx.arc(px, py, 7, 0, 2 * Math.PI);
    ctx.strokeStyle = "#e0a000"; ctx.lineWidth = 3; ctx.stroke();
  }
}

// The nearest training point to a click on the output canvas.
export function nearestPoint(canvas, data, event) {
  const r = canvas.getBoundingClientRect();
  const [x0, x1, y0, y1] = data.domain;
  const x = x0 + (event.clientX - r.left) / r.width * (x1 - x0);
  const y = y1 - (event.clientY - r.top) / r.height * (y1 - y0);
  let best = 0, bestD = Infinity;
  data.train.forEach((p, i) => { const d = (p[0] - x) ** 2 + (p[1] - y) ** 2; if (d < bestD) { bestD = d; best = i; } });
  return best;
}

export function position(l, j, sizes) {
  const tallest = Math.max(...sizes);
  return { x: LEFT + l * COLUMN, y: TOP + j * ROW + (tallest - sizes[l]) * ROW / 2 };
}

// The network's elements, made once per shape: a div per neuron (its heat map and value label),
// two SVG lines per weight (the drawn one and a wide invisible one to hover).
export function buildNetwork(box, svg, sizes, featureNames) {
  box.querySelectorAll(".neuron, .layer-head").forEach(e => e.remove());
  svg.innerHTML = "";
  const L = sizes.length - 1;
  const width = LEFT + L * COLUMN + NODE + 20, height = TOP + Math.max(...sizes) * ROW + 10;
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  box.style.height = height + "px";
  const ns = "http://www.w3.org/2000/svg";
  for (let l = 1; l <= L; l++) {
    for (let j = 0; j < sizes[l]; j++) for (let k = 0; k < sizes[l - 1]; k++) {
      const a = position(l - 1, k, sizes), b = position(l, j, sizes);
      for (const cls of ["wire", "hit"]) {
        const line = document.createElementNS(ns, "line");
        line.setAttribute("x1", a.x + NODE); line.setAttribute("y1", a.y + NODE / 2);
        line.setAttribute("x2", b.x); line.setAttribute("y2", b.y + NODE / 2);
        line.setAttribute("class", cls);
        line.dataset.param = `W${l}[${j},${k}]`;
        svg.appendChild(line);
      }
    }
  }
  for (let l = 0; l <= L; l++) {
    if (l > 0 && l < L) {
      const head = document.createElement("div");
      head.className = "layer-head"; head.dataset.layer = l;
      const p = position(l, 0, sizes);
      head.style.left = p.x - 22 + "px"; head.style.top = "2px";
      head.innerHTML = `<button data-grow="${l}">+</button><button data-shrink="${l}">&minus;</button><br>${sizes[l]} neuron${sizes[l] > 1 ? "s" : ""}`;
      box.appendChild(head);
    }
    for (let j = 0; j < sizes[l]; j++) {
      const p = position(l, j, sizes);
      const div = document.createElement("div");
      div.className = "neuron"; div.dataset.layer = l; div.dataset.j = j;
      if (l > 0) div.dataset.param = `b${l}[${j}]`;
      div.style.left = p.x + "px"; div.style.top = p.y + "px";
      div.innerHTML = `<canvas width="32" height="32"></canvas><span class="val"></span>` +
        (l === 0 ? `<span class="name">${featureNames[j]}</span>` : "");
      box.appendChild(div);
    }
  }
}

// Colour and width of every weight line from the frame's weights (or their gradients).
export function updateNetwork(box, svg, frame, colorBy) {
  const source = colorBy === "gradient" && frame.grads ? frame.grads : frame.params;
  let biggest = 1e-12;
  for (const [name, a] of Object.entries(source)) if (name[0] === "W") a.flat().forEach(v => { biggest = Math.max(biggest, Math.abs(v)); });
  const scale = colorBy === "gradient" ? 1 / biggest : 1 / Math.max(1, biggest / 4);
  svg.querySelectorAll("line.wire").forEach(line => {
    const [, l, j, k] = line.dataset.param.match(/W(\d+)\[(\d+),(\d+)\]/).map(Number);
    const v = source[`W${l}`][j][k];
    const s = Math.min(1, Math.abs(v) * scale);
    line.setAttribute("stroke", `rgb(${v < 0 ? ORANGE : BLUE})`);
    line.setAttribute("stroke-width", (0.5 + 5 * s).toFixed(2));
    line.setAttribute("stroke-opacity", (0.25 + 0.75 * s).toFixed(2));
  });
  box.querySelectorAll(".neuron").forEach(div => {
    const map = frame.neurons[+div.dataset.layer]?.[+div.dataset.j];
    if (map) paintMap(div.querySelector("canvas"), 32, map);
  });
}

export function drawCurve(canvas, curve) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (curve.length < 2) return;
  const top = Math.max(...curve.flatMap(p => [p[1], p[2] ?? 0])) || 1;
  const last = curve[curve.length - 1][0], first = curve[0][0];
  for (const [column, stroke] of [[1, "#999"], [2, "#000"]]) {
    ctx.beginPath(); ctx.strokeStyle = stroke;
    curve.forEach((p, i) => {
      const x = (p[0] - first) / Math.max(1, last - first) * (canvas.width - 4) + 2;
      const y = canvas.height - 2 - (p[column] ?? 0) / top * (canvas.height - 4);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  }
}

// The weights into one layer marked (BP4 works on them), or none.
export function markWires(svg, layer) {
  svg.querySelectorAll("line.wire").forEach(line =>
    line.classList.toggle("stage", layer !== null && line.dataset.param.startsWith(`W${layer}[`)));
}

// Numbers written under the neurons of one layer (a step-through stage), cleared elsewhere.
export function label(box, layer, values, prefix) {
  box.querySelectorAll(".neuron").forEach(div => {
    const here = layer !== null && +div.dataset.layer === layer;
    div.classList.toggle("hl", here);
    const span = div.querySelector(".val");
    if (here && values) {
      const v = values[+div.dataset.j];
      span.textContent = `${prefix} ${Number(v).toPrecision(4)}`;
      span.dataset.value = String(v);
    } else if (layer !== null || !values) { span.textContent = ""; delete span.dataset.value; }
  });
}
