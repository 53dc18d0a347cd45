// The page's wiring: controls -> requests to the server; messages -> state -> drawing.
import { state, settingsFromUrl, rememberInUrl, addToCurve } from "./state.js";
import { connect, request, fileAsText, fileAsBase64 } from "./talk.js";
import { paintMap, drawPoints, nearestPoint, buildNetwork, updateNetwork, drawCurve, label, markWires } from "./draw.js";

const $ = id => document.getElementById(id);
const box = $("network"), svg = $("wires"), tip = $("tip");
const offscreen = document.createElement("canvas");
let shape = "", drawPending = false, hovered = null, explaining = false, session = null;
let shownNeuron = null;  // [layer, j] whose map fills the output panel while hovered
window.playground = { state, request };  // for the tests and for the curious

function show(text, kind = "error") {
  const m = $("message");
  m.hidden = !text; m.textContent = text || ""; m.className = kind;
  m.dataset.kind = kind;
}

function prec(x, n) { return x === null || x === undefined ? "NaN" : Number(x).toPrecision(n); }
function fmt(x, digits = 4) { return x === null || x === undefined || Number.isNaN(x) ? "-" : Number(x).toFixed(digits); }

function fill(select, options) {
  select.innerHTML = options.map(o => `<option>${o}</option>`).join("");
}

function syncControls(s) {
  for (const key of ["lr", "batch", "l2", "activation", "cost", "init", "engine", "data", "points", "classes"]) {
    if (document.activeElement !== $(key)) $(key).value = s[key];
  }
  $("noise").value = s.noise; $("noise-value").textContent = s.noise;
  $("ratio").value = s.ratio; $("ratio-value").textContent = Math.round(s.ratio * 100) + "%";
  $("classes-row").hidden = s.data !== "multi_gaussian";
  $("colorby").value = state.colorBy;
  $("features").innerHTML = state.choices.features.map(f =>
    `<label><input type="checkbox" data-feature="${f}" ${s.features.includes(f) ? "checked" : ""}> ${f.replace("_", " ")}</label>`).join("");
  $("layers-text").textContent = `${s.layers.length} hidden layer${s.layers.length === 1 ? "" : "s"}`;
}

function onData(m) {
  state.data = m; state.settings = m.settings; state.stages = null; $("stages").hidden = true;
  syncControls(m.settings);
  $("batch-kind").textContent = m.batch_kind;
  const key = JSON.stringify([m.sizes, m.settings.features]);
  if (key !== shape) { buildNetwork(box, svg, m.sizes, m.settings.features); shape = key; }
  $("notes").textContent = (m.notes || []).join(" ");
  rememberInUrl();
}

function render() {
  drawPending = false;
  const f = state.frame, d = state.data;
  if (!f || !d) return;
  $("epoch").textContent = f.epoch;
  $("train-cost").textContent = fmt(f.cost); $("test-cost").textContent = fmt(f.test_cost);
  $("train-accuracy").textContent = f.accuracy === null ? "-" : (100 * f.accuracy).toFixed(1) + "%";
  $("test-accuracy").textContent = f.test_accuracy === null ? "-" : (100 * f.test_accuracy).toFixed(1) + "%";
  if (shownNeuron && f.neurons[shownNeuron[0]]?.[shownNeuron[1]]) paintMap(offscreen, 32, f.neurons[shownNeuron[0]][shownNeuron[1]]);
  else paintMap(offscreen, 100, f.output, $("discretize").checked);
  const out = $("output"), ctx = out.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(offscreen, 0, 0, out.width, out.height);
  drawPoints(out, d, $("show-test").checked, Number($("sample").value));
  updateNetwork(box, svg, f, state.colorBy);
  drawCurve($("curve"), state.curve);
  $("frames").textContent = `frames received ${state.received}` + (state.sent ? ` of ${state.sent} sent` : "");
}

function onMessage(m) {
  if (m.type === "hello") {
    session = m.session; state.choices = m.choices; window.playground.session = m.session;
    fill($("data"), m.choices.data); fill($("activation"), m.choices.activation); fill($("cost"), m.choices.cost);
    if (m.notes.length) show(m.notes.join(" "));
  } else if (m.type === "data") onData(m);
  else if (m.type === "frame") {
    state.frame = m; state.received++; addToCurve(m);
    if (state.received % 50 === 0) request("stats").then(r => { state.sent = r.sent; });  // keeping up?
    if (!drawPending) { drawPending = true; requestAnimationFrame(render); }
    if (hovered && !explaining) explainParam(hovered);  // the tooltip follows the training
  } else if (m.type === "diverged") { show(m.message); setPlaying(false); }
  else if (m.type === "paused") setPlaying(false);
  else if (m.type === "error") show(m.message);
  else if (m.type === "closed") { show("the connection to the server is closed; restart `chainrule playground` and reload."); setPlaying(false); }
}

function setPlaying(on) {
  state.playing = on;
  $("play").innerHTML = on ? "&#x23F8; pause" : "&#x25B6; play";
  $("play").dataset.playing = on ? "yes" : "no";
}

async function configure(changes) {
  const reply = await request("configure", { settings: changes });
  if (reply.type !== "error") { show(""); state.curve = state.curve.filter(p => p[0] <= reply.epoch); }
  else if (state.settings) syncControls(state.settings);  // the menus show what is in force
  setPlaying(false);
  return reply;
}

// ---- the chain rule tooltip
async function explainParam(param, event) {
  explaining = true;
  const reply = await request("explain", { param, sample: Number($("sample").value) });
  explaining = false;
  if (reply.type === "error") { show(reply.message); return; }
  if (hovered !== param && state.picked !== param) return;
  svg.querySelectorAll("line.wire").forEach(l => l.classList.toggle("picked", l.dataset.param === param));
  tip.hidden = false;
  if (event) { tip.style.left = Math.min(event.clientX + 16, innerWidth - 580) + "px"; tip.style.top = Math.max(8, event.clientY - 40) + "px"; }
  Object.assign(tip.dataset, { param: reply.param, product: reply.product, gradient: reply.gradient, numeric: reply.numeric, value: reply.value });
  const editing = document.activeElement && document.activeElement.id === "tip-value";
  if (editing) return;
  tip.innerHTML = `<div class="head"><b>${reply.param}</b> value <input id="tip-value" type="number" step="any" value="${reply.value}">
    gradient on the training set <b>${prec(reply.batch_gradient, 6)}</b> · sample ${reply.sample}
    ${state.picked ? '<button id="tip-close">close</button>' : "<i>(click to pin and edit)</i>"}</div>
    <div class="check">chain rule <b id="tip-product">${prec(reply.product, 10)}</b> ·
    backprop <b id="tip-gradient">${prec(reply.gradient, 10)}</b> ·
    finite difference <b id="tip-numeric">${prec(reply.numeric, 10)}</b></div>${reply.html}`;
}

function unpick() { svg.querySelectorAll("line.picked").forEach(l => l.classList.remove("picked")); }
function hideTip() { if (!state.picked) { tip.hidden = true; hovered = null; unpick(); } }

function onHover(event) {
  const neuron = event.target.closest(".neuron");
  if (neuron && (!shownNeuron || shownNeuron.join() !== `${neuron.dataset.layer},${neuron.dataset.j}`)) {
    shownNeuron = [+neuron.dataset.layer, +neuron.dataset.j]; render();  // as TensorFlow Playground does
  }
  const target = event.target.closest("[data-param]");
  if (!target || target.classList.contains("wire")) return;
  hovered = target.dataset.param;
  explainParam(hovered, event);
}

tip.addEventListener("change", async event => {
  if (event.target.id !== "tip-value") return;
  const param = tip.dataset.param;
  const reply = await request("set", { param, value: Number(event.target.value) });
  if (reply.type === "error") return show(reply.message);
  event.target.blur(); explainParam(param);
});
tip.addEventListener("click", e => { if (e.target.id === "tip-close") { state.picked = null; hovered = null; tip.hidden = true; unpick(); } });

// ---- the step-through
function renderStage() {
  const st = state.stages[state.stageIndex];
  $("stage-name").textContent = `${state.stageIndex + 1}/${state.stages.length} ${st.stage}${st.layer ? " layer " + st.layer : ""}`;
  $("stage-name").dataset.stage = st.stage;
  $("stage-equation").textContent = st.equation;
  $("stage-apply").hidden = st.stage !== "update";
  const rows = [];
  const row = (name, values) => rows.push(`<tr><th>${name}</th>${values.map((v, j) => `<td data-kind="${name}" data-j="${j}" data-value="${v}">${Number(v).toPrecision(6)}</td>`).join("")}</tr>`);
  if (st.stage === "forward") { row("z", st.z); row("a", st.a); label(box, st.layer, st.a, "a"); }
  else if (st.stage === "cost") { row("y", st.y); rows.push(`<tr><th>C</th><td data-kind="C" data-value="${st.cost}">${prec(st.cost, 6)}</td></tr>`); label(box, st.layer, null, ""); }
  else if (st.stage === "BP1" || st.stage === "BP2") { row("delta", st.delta); label(box, st.layer, st.delta, "δ"); }
  else if (st.stage === "BP3/BP4") { row("dC/db", st.nabla_b); st.nabla_w.forEach((r, j) => row(`dC/dW[${j},:]`, r)); label(box, st.layer, st.nabla_b, "∂b"); }
  else { st.b.forEach((b, l) => row(`new b${l + 1}`, b)); label(box, null, null, ""); }
  $("stage-values").innerHTML = rows.join("");
  markWires(svg, st.stage === "BP3/BP4" ? st.layer : null);
}

async function stepThrough() {
  if (state.playing) { await request("pause"); setPlaying(false); }
  const reply = await request("stages", { sample: Number($("sample").value) });
  if (reply.type === "error") return show(reply.message);
  state.stages = reply.stages; state.stageIndex = 0; $("stages").hidden = false; renderStage();
}

function closeStages() { markWires(svg, null); $("stages").hidden = true; state.stages = null; label(box, null, null, ""); box.querySelectorAll(".neuron").forEach(d => d.classList.remove("hl")); }

// ---- wiring
function numberSetting(id, key = id) { $(id).addEventListener("change", () => configure({ [key]: Number($(id).value) })); }
["lr", "batch", "l2", "points", "classes", "noise", "ratio"].forEach(id => numberSetting(id));
["activation", "cost", "init", "data"].forEach(id => $(id).addEventListener("change", () => configure({ [id]: $(id).value })));
$("engine").addEventListener("change", async () => {
  const reply = await configure({ engine: $("engine").value });
  if (reply.type !== "error") showAgreement();
});
$("noise").addEventListener("input", () => { $("noise-value").textContent = $("noise").value; });
$("regenerate").addEventListener("click", () => configure({ seed: (state.settings.seed + 1) % 2 ** 31 }));
$("features").addEventListener("change", () => configure({ features: [...document.querySelectorAll("[data-feature]:checked")].map(e => e.dataset.feature) }));
$("add-layer").addEventListener("click", () => configure({ layers: [...state.settings.layers, 2] }));
$("remove-layer").addEventListener("click", () => configure({ layers: state.settings.layers.slice(0, -1) }));
box.addEventListener("click", event => {
  const grow = event.target.dataset.grow, shrink = event.target.dataset.shrink;
  if (grow || shrink) {
    const layers = [...state.settings.layers];
    layers[(grow || shrink) - 1] += grow ? 1 : -1;
    if (layers.every(n => n >= 1)) configure({ layers });
    return;
  }
  const target = event.target.closest("[data-param]");
  if (target) { state.picked = target.dataset.param; hovered = state.picked; explainParam(state.picked, event); }
});
svg.addEventListener("click", event => {
  const target = event.target.closest("line.hit");
  if (target) { state.picked = target.dataset.param; hovered = state.picked; explainParam(state.picked, event); }
});
for (const area of [box, svg]) {
  area.addEventListener("mouseover", onHover);
  area.addEventListener("mouseout", event => {
    if (event.target.closest("[data-param]")) hideTip();
    if (shownNeuron && event.target.closest(".neuron") && !event.relatedTarget?.closest?.(".neuron")) { shownNeuron = null; render(); }
  });
}
$("colorby").addEventListener("change", () => { state.colorBy = $("colorby").value; rememberInUrl(); render(); });
$("show-test").addEventListener("change", render);
$("discretize").addEventListener("change", render);
$("output").addEventListener("click", event => { if (state.data) { $("sample").value = nearestPoint($("output"), state.data, event); render(); } });
$("sample").addEventListener("change", render);
$("play").addEventListener("click", async () => {
  if (state.playing) { await request("pause"); setPlaying(false); return; }
  show(""); closeStages(); setPlaying(true);
  const reply = await request("play");
  if (reply.type === "error") { show(reply.message); setPlaying(false); }
});
$("step").addEventListener("click", async () => { const reply = await request("step"); if (reply.type === "diverged") show(reply.message); });
$("reset").addEventListener("click", async () => { state.curve = []; show(""); await request("reset"); setPlaying(false); });
$("stepthrough").addEventListener("click", stepThrough);
$("stage-next").addEventListener("click", () => { if (state.stages && state.stageIndex < state.stages.length - 1) { state.stageIndex++; renderStage(); } });
$("stage-prev").addEventListener("click", () => { if (state.stages && state.stageIndex > 0) { state.stageIndex--; renderStage(); } });
$("stage-close").addEventListener("click", closeStages);
$("stage-apply").addEventListener("click", async () => { await request("apply", { sample: Number($("sample").value) }); closeStages(); });
$("gradcheck").addEventListener("click", async () => {
  const reply = await request("gradcheck");
  $("check-result").hidden = false; $("check-result").dataset.passed = reply.passed;
  $("check-result").textContent = reply.type === "error" ? reply.message : reply.text;
});
async function showAgreement() {
  const reply = await request("agreement");
  if (reply.type === "error") return show(reply.message);
  $("check-result").hidden = false;
  $("check-result").dataset.maxDiff = Math.max(...reply.engines.map(e => e.max_diff));
  $("check-result").textContent = `the same weights on every engine, ${reply.samples} training samples:\n` +
    reply.engines.map(e => `${e.engine.padEnd(8)} cost ${prec(e.cost, 12)}   max |gradient difference| ${Number(e.max_diff ?? NaN).toExponential(2)}`).join("\n");
}
$("agreement").addEventListener("click", showAgreement);
function download(what) { const a = document.createElement("a"); a.href = `/api/${session}/${what}`; a.download = what; document.body.appendChild(a); a.click(); a.remove(); }
$("export-model").addEventListener("click", () => download("model.npz"));
$("export-run").addEventListener("click", () => download("run.zip"));
$("csv").addEventListener("change", async () => {
  const file = $("csv").files[0]; if (!file) return;
  const reply = await request("csv", { text: await fileAsText(file) });
  $("csv").value = "";
  if (reply.type !== "error") { show(""); state.curve = []; }
  setPlaying(false);
});
$("load-model").addEventListener("change", async () => {
  const file = $("load-model").files[0]; if (!file) return;
  const reply = await request("model", { data: await fileAsBase64(file) });
  $("load-model").value = "";
  if (reply.type !== "error") show(`loaded ${file.name}`, "info");
  setPlaying(false);
});
document.addEventListener("keydown", e => { if (e.key === "Escape") { state.picked = null; hovered = null; tip.hidden = true; unpick(); } });

connect(settingsFromUrl(), onMessage);
