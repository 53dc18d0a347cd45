// The page's wiring: controls -> requests to the server; messages -> state -> drawing.
import { state, settingsFromUrl, rememberInUrl, addToCurve } from "./state.js";
import { connect, request, fileAsText, fileAsBase64 } from "./talk.js";
import {
  paintMap,
  drawPoints,
  nearestPoint,
  buildNetwork,
  updateNetwork,
  drawCurve,
  label,
  markWires,
  pointColour,
} from "./draw.js";
import { word, featureLabel, options, problemOf } from "./labels.js";
import { precision, num } from "./tex.js";
import { fillTip, placeTip } from "./tip.js";
import { renderStage } from "./stages.js";

const $ = (id) => document.getElementById(id);
const box = $("network"),
  heads = $("heads"),
  svg = $("wires"),
  tip = $("tip");
const offscreen = document.createElement("canvas");
const GUIDE = "chainrule-playground-guide-dismissed";
let shape = "",
  drawPending = false,
  hovered = null,
  anchor = null,
  explaining = false,
  session = null;
let shownNeuron = null; // [layer, j] whose map fills the output panel while hovered
let engines = []; // the server's engines: {name, label, inits, default_init, capabilities}
const drawTimes = []; // milliseconds per drawn frame (performance.now), for the benchmark
window.playground = { state, request, drawTimes }; // for the tests and for the curious

function show(text, kind = "error") {
  const m = $("message");
  m.hidden = !text;
  m.textContent = text || "";
  m.className = kind;
  m.dataset.kind = kind;
}

function fmt(x) {
  return x === null || x === undefined || Number.isNaN(x) ? "-" : Number(x).toFixed(4);
}

function fillEngines() {
  const s = state.settings;
  $("engine").innerHTML = engines
    .map((e) => {
      const about = e.description ?? "";
      return `<option value="${e.name}" title="${about}">${e.label ?? word(e.name)}</option>`;
    })
    .join("");
  const engine = engines.find((e) => e.name === (s?.engine ?? engines[0]?.name));
  $("init").innerHTML = options(engine?.inits ?? state.choices.init ?? []);
}

function fillData(s) {
  const problem = problemOf(s.data);
  const sets = state.choices.data.filter((d) => d !== "csv" && problemOf(d) === problem);
  $("data").innerHTML = options(s.data === "csv" ? [...sets, "csv"] : sets);
  $("problem").value = problem;
}

function syncControls(s) {
  fillData(s);
  fillEngines();
  for (const key of [
    "lr",
    "batch",
    "l1",
    "l2",
    "activation",
    "cost",
    "init",
    "engine",
    "data",
    "points",
    "classes",
  ]) {
    if (document.activeElement !== $(key) && s[key] !== undefined) $(key).value = s[key];
    $(key).removeAttribute("aria-invalid");
  }
  $("l1").closest("label").hidden = s.l1 === undefined;
  $("noise").value = s.noise;
  $("noise-value").textContent = s.noise;
  $("ratio").value = s.ratio;
  $("ratio-value").textContent = Math.round(s.ratio * 100) + "%";
  $("classes-row").hidden = s.data !== "multi_gaussian";
  const csv = s.data === "csv";
  $("points").disabled = csv;
  $("regenerate").disabled = csv;
  $("noise").disabled = csv;
  if (csv && state.data) $("points").value = state.data.train.length + state.data.test.length;
  $("colorby").value = state.colorBy;
  $("show-test").checked = state.view.showtest;
  $("discretize").checked = state.view.discretize;
  $("features").innerHTML = state.choices.features
    .map(
      (f) =>
        `<label><input type="checkbox" data-feature="${f}" ` +
        `${s.features.includes(f) ? "checked" : ""}> ${featureLabel(f)}</label>`,
    )
    .join("");
  const n = s.layers.length;
  $("layers-text").textContent = `${n} hidden layer${n === 1 ? "" : "s"}`;
  $("add-layer").disabled = n >= state.choices.max_layers;
  $("remove-layer").disabled = n === 0;
}

function legend(d) {
  const items =
    d.classes === 0
      ? [`<span class="swatch" style="background:${SCALE}"></span>target −1 … 1`]
      : Array.from(
          { length: d.classes },
          (_, k) =>
            `<span class="swatch dot" style="background:rgb(${pointColour(d, k)})"></span>` +
            `class ${k}`,
        );
  items.push('<span class="swatch dot" style="background:#ccc"></span>training point');
  if (state.view.showtest)
    items.push('<span class="swatch square" style="background:#ccc"></span>test point');
  $("legend").innerHTML = items.join(" ");
}

function onData(m) {
  state.data = m;
  state.settings = m.settings;
  closeStages();
  syncControls(m.settings);
  $("batch-kind").textContent = m.batch_kind;
  $("sample").max = m.train.length - 1;
  if (+$("sample").value > m.train.length - 1) $("sample").value = 0;
  const key = JSON.stringify([m.sizes, m.settings.features]);
  if (key !== shape) {
    buildNetwork(box, heads, svg, m.sizes, m.settings.features, state.choices.max_width);
    shape = key;
    roving();
  }
  $("notes").textContent = (m.notes || []).join(" ");
  legend(m);
  rememberInUrl();
}

const SCALE = "linear-gradient(90deg, rgb(245,147,34), #e8eaeb, rgb(8,119,189))";

// "neuron 2 in layer 1", or "input x₁" for layer 0.
function neuronWords([l, j], d) {
  return l ? `neuron ${j + 1} in layer ${l}` : `input ${featureLabel(d.settings.features[j])}`;
}

function render() {
  drawPending = false;
  const f = state.frame,
    d = state.data;
  if (!f || !d) return;
  const start = performance.now();
  $("epoch").textContent = f.epoch;
  $("train-cost").textContent = fmt(f.cost);
  $("test-cost").textContent = fmt(f.test_cost);
  $("train-accuracy").textContent = f.accuracy === null ? "-" : (100 * f.accuracy).toFixed(1) + "%";
  $("test-accuracy").textContent =
    f.test_accuracy === null ? "-" : (100 * f.test_accuracy).toFixed(1) + "%";
  const neuron = shownNeuron && f.neurons[shownNeuron[0]]?.[shownNeuron[1]];
  if (neuron) paintMap(offscreen, 32, neuron);
  else paintMap(offscreen, 100, f.output, state.view.discretize, true);
  $("output-title").textContent = neuron
    ? `Output of ${neuronWords(shownNeuron, d)} (hovered)`
    : d.classes === 0
      ? "Output: the network's prediction"
      : "Output: the network's decision";
  const out = $("output"),
    ctx = out.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(offscreen, 0, 0, out.width, out.height);
  drawPoints(out, d, state.view.showtest, Number($("sample").value));
  updateNetwork(svg, f, state.colorBy);
  drawCurve($("curve"), state.curve);
  drawTimes.push(performance.now() - start);
  if (drawTimes.length > 1000) drawTimes.shift();
}

function onMessage(m) {
  if (m.type === "hello") {
    session = m.session;
    state.choices = m.choices;
    window.playground.session = m.session;
    engines = m.engines ?? m.choices.engine.map((name) => ({ name, inits: m.choices.init }));
    $("activation").innerHTML = options(m.choices.activation);
    $("cost").innerHTML = options(m.choices.cost);
    if (m.notes.length) show(m.notes.join(" "));
  } else if (m.type === "data") onData(m);
  else if (m.type === "frame") {
    state.frame = m;
    state.received++;
    addToCurve(m);
    if (!drawPending) {
      drawPending = true;
      requestAnimationFrame(render);
    }
    if (hovered && !explaining) explainParam(hovered); // the tooltip follows the training
  } else if (m.type === "diverged") {
    show(m.message);
    setPlaying(false);
  } else if (m.type === "paused") setPlaying(false);
  else if (m.type === "error") show(m.message);
  else if (m.type === "closed") {
    show("the connection to the server is closed; restart `chainrule playground` and reload.");
    setPlaying(false);
  }
}

function setPlaying(on) {
  state.playing = on;
  $("play").querySelector(".word").textContent = on ? "pause" : "play";
  $("play").setAttribute("aria-label", on ? "pause training" : "play: train epoch after epoch");
  $("play").dataset.playing = on ? "yes" : "no";
}

// Send changed settings; a refused value reverts in its control, marked, with the sentence why.
async function configure(changes, control = null) {
  const reply = await request("configure", { settings: changes });
  if (reply.type !== "error") {
    show("");
    state.curve = state.curve.filter((p) => p[0] <= reply.epoch);
  } else if (state.settings) {
    syncControls(state.settings); // the controls show what is in force
    if (control) {
      // (even while it has the focus)
      if (control in state.settings) $(control).value = state.settings[control];
      $(control).setAttribute("aria-invalid", "true");
      $(control).setAttribute("aria-describedby", "message");
    }
  }
  setPlaying(false);
  return reply;
}

// ---- the chain-rule tooltip
async function explainParam(param, target = null, focus = false) {
  explaining = true;
  const reply = await request("explain", { param, sample: Number($("sample").value) });
  explaining = false;
  if (reply.type === "error") {
    show(reply.message);
    return;
  }
  if (hovered !== param && state.picked !== param) return;
  if (target) anchor = target;
  svg
    .querySelectorAll("line.wire")
    .forEach((l) => l.classList.toggle("picked", l.dataset.param === param));
  tip.hidden = false;
  fillTip(reply, state.picked === param);
  if (target) placeTip(anchor);
  if (focus) $("tip-close").focus(); // pinned from the keyboard: the tooltip is a dialog
}

function unpick() {
  svg.querySelectorAll("line.picked").forEach((l) => l.classList.remove("picked"));
}
function closeTip() {
  const back = state.picked && tip.contains(document.activeElement) ? anchor : null;
  state.picked = null;
  hovered = null;
  tip.hidden = true;
  delete tip.dataset.param;
  unpick();
  if (back) back.focus();
}
function hideTip() {
  if (!state.picked) {
    tip.hidden = true;
    hovered = null;
    unpick();
  }
}
function pin(target, focus = false) {
  state.picked = target.dataset.param;
  hovered = state.picked;
  explainParam(state.picked, target, focus);
}

function onHover(event) {
  const neuron = event.target.closest(".neuron");
  if (
    neuron &&
    (!shownNeuron || shownNeuron.join() !== `${neuron.dataset.layer},${neuron.dataset.j}`)
  ) {
    shownNeuron = [+neuron.dataset.layer, +neuron.dataset.j];
    render(); // as TensorFlow Playground does
  }
  const target = event.target.closest("[data-param]");
  if (!target || target.classList.contains("wire") || state.picked) return;
  hovered = target.dataset.param;
  explainParam(hovered, target);
}

// Four significant digits, or every digit: one switch in the tooltip and one in the stages.
function setPrecision(full) {
  precision.full = full;
  $("full").checked = full;
  if (state.stages) renderStage(svg);
  if (tip.dataset.param && !tip.hidden) explainParam(tip.dataset.param);
}

tip.addEventListener("change", async (event) => {
  if (event.target.id === "tip-full") return setPrecision(event.target.checked);
  if (event.target.id !== "tip-value") return;
  const param = tip.dataset.param;
  const reply = await request("set", { param, value: Number(event.target.value) });
  if (reply.type === "error") return show(reply.message);
  event.target.blur();
  explainParam(param);
});
tip.addEventListener("click", (e) => {
  if (e.target.id === "tip-close") closeTip();
});

// ---- keys: a roving tabindex over the weights and neurons (one Tab stop; arrows move)
let items = [];
function roving() {
  const order = (e) => {
    const [l, j, k] = e.dataset.param.match(/\d+/g).map(Number);
    return [l, e.tagName === "line" ? 0 : 1, j, k ?? 0];
  };
  items = [...svg.querySelectorAll("line.hit, .neuron[data-param]")].sort((a, b) => {
    const x = order(a),
      y = order(b);
    for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  });
  items.forEach((e, i) => e.setAttribute("tabindex", i === 0 ? 0 : -1));
}
svg.addEventListener("keydown", (event) => {
  const i = items.indexOf(event.target);
  if (i < 0) return;
  const moves = {
    ArrowRight: 1,
    ArrowDown: 1,
    ArrowLeft: -1,
    ArrowUp: -1,
    Home: -i,
    End: items.length - 1 - i,
  };
  if (event.key in moves) {
    event.preventDefault();
    const next = items[(i + moves[event.key] + items.length) % items.length];
    event.target.setAttribute("tabindex", -1);
    next.setAttribute("tabindex", 0);
    next.focus();
    if (!state.picked) {
      hovered = next.dataset.param;
      explainParam(hovered, next);
    }
  } else if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    pin(event.target, true);
  }
});
svg.addEventListener("focusout", (event) => {
  if (!svg.contains(event.relatedTarget) && !tip.contains(event.relatedTarget)) hideTip();
});

// ---- the step-through
async function stepThrough() {
  if (state.playing) {
    await request("pause");
    setPlaying(false);
  }
  const reply = await request("stages", { sample: Number($("sample").value) });
  if (reply.type === "error") return show(reply.message);
  state.stages = reply.stages;
  state.stageIndex = 0;
  $("stages").hidden = false;
  renderStage(svg);
}

function closeStages() {
  markWires(svg, null);
  $("stages").hidden = true;
  state.stages = null;
  label(svg, null, null, "");
}

// ---- wiring
function numberSetting(id) {
  $(id).addEventListener("change", () => {
    const value = $(id).value.trim() === "" ? NaN : Number($(id).value);
    configure({ [id]: Number.isFinite(value) ? value : $(id).value }, id);
  });
}
["lr", "batch", "l1", "l2", "points", "classes", "noise", "ratio"].forEach(numberSetting);
["activation", "cost", "init", "data"].forEach((id) =>
  $(id).addEventListener("change", () => configure({ [id]: $(id).value }, id)),
);
$("problem").addEventListener("change", () => {
  const first = state.choices.data.find((d) => d !== "csv" && problemOf(d) === $("problem").value);
  configure({ data: first }, "problem");
});
$("engine").addEventListener("change", async () => {
  const engine = engines.find((e) => e.name === $("engine").value);
  const changes = { engine: $("engine").value };
  if (engine?.inits && !engine.inits.includes(state.settings.init))
    changes.init = engine.default_init ?? engine.inits[0];
  const reply = await configure(changes, "engine");
  if (reply.type !== "error") showAgreement();
});
$("noise").addEventListener("input", () => {
  $("noise-value").textContent = $("noise").value;
});
$("regenerate").addEventListener("click", () =>
  configure({ seed: (state.settings.seed + 1) % 2 ** 31 }),
);
$("features").addEventListener("change", () =>
  configure({
    features: [...document.querySelectorAll("[data-feature]:checked")].map(
      (e) => e.dataset.feature,
    ),
  }),
);
$("add-layer").addEventListener("click", () =>
  configure({ layers: [...state.settings.layers, 2] }),
);
$("remove-layer").addEventListener("click", () =>
  configure({ layers: state.settings.layers.slice(0, -1) }),
);
heads.addEventListener("click", (event) => {
  const grow = event.target.dataset.grow,
    shrink = event.target.dataset.shrink;
  if (!grow && !shrink) return;
  const layers = [...state.settings.layers];
  layers[(grow || shrink) - 1] += grow ? 1 : -1;
  configure({ layers });
});
svg.addEventListener("click", (event) => {
  const target = event.target.closest("line.hit, .neuron[data-param]");
  if (target) pin(target);
});
svg.addEventListener("mouseover", onHover);
svg.addEventListener("mouseout", (event) => {
  if (event.target.closest("[data-param]") && !event.relatedTarget?.closest?.("#tip")) hideTip();
  if (
    shownNeuron &&
    event.target.closest(".neuron") &&
    !event.relatedTarget?.closest?.(".neuron")
  ) {
    shownNeuron = null;
    render();
  }
});
// A tap (or click) anywhere else closes a pinned tooltip, as Escape does.
document.addEventListener("click", (event) => {
  if (
    state.picked &&
    !tip.contains(event.target) &&
    !event.target.closest?.("line.hit, .neuron[data-param]")
  )
    closeTip();
});
$("colorby").addEventListener("change", () => {
  state.colorBy = $("colorby").value;
  rememberInUrl();
  render();
});
$("show-test").addEventListener("change", () => {
  state.view.showtest = $("show-test").checked;
  legend(state.data);
  rememberInUrl();
  render();
});
$("discretize").addEventListener("change", () => {
  state.view.discretize = $("discretize").checked;
  rememberInUrl();
  render();
});
$("output").addEventListener("click", (event) => {
  if (state.data) {
    $("sample").value = nearestPoint($("output"), state.data, event);
    render();
  }
});
$("sample").addEventListener("change", () => {
  const n = state.data.train.length,
    v = Number($("sample").value);
  if (!(Number.isInteger(v) && v >= 0 && v < n)) {
    $("sample").value = 0;
    $("sample").setAttribute("aria-invalid", "true");
    show(`the sample is a training point's number from 0 to ${n - 1}; back to 0.`);
  } else {
    $("sample").removeAttribute("aria-invalid");
    show("");
  }
  render();
});
$("full").addEventListener("change", () => setPrecision($("full").checked));
$("play").addEventListener("click", async () => {
  if (state.playing) {
    await request("pause");
    setPlaying(false);
    return;
  }
  show("");
  closeStages();
  setPlaying(true);
  const reply = await request("play");
  if (reply.type === "error") {
    show(reply.message);
    setPlaying(false);
  }
});
$("step").addEventListener("click", async () => {
  const reply = await request("step");
  if (reply.type === "diverged") show(reply.message);
});
$("reset").addEventListener("click", async () => {
  state.curve = [];
  show("");
  await request("reset");
  setPlaying(false);
});
$("stepthrough").addEventListener("click", stepThrough);
$("stage-next").addEventListener("click", () => {
  if (state.stages && state.stageIndex < state.stages.length - 1) {
    state.stageIndex++;
    renderStage(svg);
  }
});
$("stage-prev").addEventListener("click", () => {
  if (state.stages && state.stageIndex > 0) {
    state.stageIndex--;
    renderStage(svg);
  }
});
$("stage-close").addEventListener("click", closeStages);
$("stage-apply").addEventListener("click", async () => {
  await request("apply", { sample: Number($("sample").value) });
  closeStages();
});
$("gradcheck").addEventListener("click", async () => {
  const reply = await request("gradcheck");
  $("check-result").hidden = false;
  $("check-result").dataset.passed = reply.passed;
  $("check-result").textContent = reply.type === "error" ? reply.message : reply.text;
});
async function showAgreement() {
  const reply = await request("agreement");
  if (reply.type === "error") return show(reply.message);
  $("check-result").hidden = false;
  $("check-result").dataset.maxDiff = Math.max(...reply.engines.map((e) => e.max_diff));
  $("check-result").textContent =
    `the same weights on every engine, ${reply.samples} training samples:\n` +
    reply.engines
      .map(
        (e) =>
          `${e.engine.padEnd(8)} cost ${num(e.cost)}   ` +
          `max |gradient difference| ${Number(e.max_diff ?? NaN).toExponential(2)}`,
      )
      .join("\n");
}
$("agreement").addEventListener("click", showAgreement);
function download(what) {
  const a = document.createElement("a");
  a.href = `/api/${session}/${what}`;
  a.download = what;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
$("export-model").addEventListener("click", () => download("model.npz"));
$("export-run").addEventListener("click", () => download("run.zip"));
$("csv").addEventListener("change", async () => {
  const file = $("csv").files[0];
  if (!file) return;
  const reply = await request("csv", { text: await fileAsText(file) });
  $("csv").value = "";
  if (reply.type !== "error") {
    show("");
    state.curve = [];
  }
  setPlaying(false);
});
$("load-model").addEventListener("change", async () => {
  const file = $("load-model").files[0];
  if (!file) return;
  const reply = await request("model", { data: await fileAsBase64(file) });
  $("load-model").value = "";
  if (reply.type !== "error") show(`loaded ${file.name}`, "info");
  setPlaying(false);
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") closeTip();
});
$("guide").hidden = localStorage.getItem(GUIDE) === "yes";
$("guide-close").addEventListener("click", () => {
  localStorage.setItem(GUIDE, "yes");
  $("guide").hidden = true;
});

connect(settingsFromUrl(), onMessage);
