// The step-through: one stage at a time, its equation typeset, its ingredients beside its result
// (a table whose cells keep the exact number in data-value), and the numbers of the layer in
// play written on the drawing.
import { state } from "./state.js";
import { label, markWires } from "./draw.js";
import { num, texHtml, typeset } from "./tex.js";

const $ = (id) => document.getElementById(id);
const TITLES = {
  forward: "forward pass",
  cost: "cost",
  BP1: "BP1: the output error",
  BP2: "BP2: the error one layer back",
  "BP3/BP4": "BP3 and BP4: the gradients",
  update: "the update",
};
const ON_DRAWING = {
  forward: ["a", "a"],
  BP1: ["delta", "δ"],
  BP2: ["delta", "δ"],
  "BP3/BP4": ["nabla_b", "∂b"],
};

export function renderStage(svg) {
  const st = state.stages[state.stageIndex];
  $("stage-name").textContent =
    `${state.stageIndex + 1}/${state.stages.length} ${TITLES[st.stage] ?? st.stage}` +
    (st.layer ? `, layer ${st.layer}` : "");
  $("stage-name").dataset.stage = st.stage;
  $("stage-name").dataset.layer = st.layer ?? "";
  typeset($("stage-equation"), st.tex, true);
  $("stage-apply").hidden = st.stage !== "update";
  const heads = st.columns.map(([tex]) => `<th>${texHtml(tex)}</th>`);
  const head = `<tr><th></th>${heads.join("")}</tr>`;
  const body = st.rows.map(
    ([name, ...values]) =>
      `<tr><th>${texHtml(name)}</th>${values
        .map(
          (v, c) =>
            `<td data-kind="${st.columns[c][1]}" data-value="${v}"` +
            `${c === st.result ? ' class="result"' : ""}>${num(v)}</td>`,
        )
        .join("")}</tr>`,
  );
  $("stage-values").innerHTML = head + body.join("");
  const [key, prefix] = ON_DRAWING[st.stage] ?? [null, ""];
  label(svg, key ? st.layer : null, key ? st[key] : null, prefix);
  markWires(svg, st.stage === "BP3/BP4" ? st.layer : null);
}
