// The page's state: the settings (mirrored in the URL), the last data and frame from the server,
// the cost history for the curve, and frame counts. No maths here: every number is the server's.

export const state = {
  settings: null, // as the server last confirmed them
  choices: null,
  data: null, // points, labels, sizes, domain (a "data" message)
  frame: null, // the last frame
  curve: [], // [epoch, training cost, test cost] per frame
  received: 0, // frames received
  sent: 0, // frames the server had sent when last asked
  playing: false,
  colorBy: "weight",
  view: { showtest: false, discretize: false }, // the output panel's switches (in the URL too)
  stages: null,
  stageIndex: 0,
  picked: null, // the parameter whose tooltip is pinned
};

const LISTS = ["features", "layers"];
const NUMBERS = ["points", "noise", "ratio", "classes", "seed", "lr", "batch", "l1", "l2"];

// Settings from the URL's fragment: #data=circle&layers=4,2&... (missing ones: the defaults).
export function settingsFromUrl(hash = location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const settings = {};
  for (const [key, value] of params) {
    if (key === "colorby") {
      state.colorBy = value;
      continue;
    }
    if (key in state.view) {
      state.view[key] = value === "1";
      continue;
    }
    if (key === "layers") settings[key] = value === "" ? [] : value.split(",").map(Number);
    else if (LISTS.includes(key)) settings[key] = value.split(",").filter(Boolean);
    else if (NUMBERS.includes(key)) settings[key] = Number(value);
    else settings[key] = value;
  }
  return settings;
}

export function urlOf(settings) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(settings)) {
    params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  params.set("colorby", state.colorBy);
  for (const [key, on] of Object.entries(state.view)) params.set(key, on ? "1" : "0");
  return "#" + params.toString();
}

export function rememberInUrl() {
  if (state.settings) history.replaceState(null, "", urlOf(state.settings));
}

export function addToCurve(frame) {
  const last = state.curve[state.curve.length - 1];
  if (last && frame.epoch <= last[0]) state.curve = state.curve.filter((p) => p[0] < frame.epoch);
  if (frame.cost !== null) state.curve.push([frame.epoch, frame.cost, frame.test_cost]);
}
