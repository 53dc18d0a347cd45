// The chain-rule tooltip: compact (the product typeset with its factors and the two checks),
// placed beside the wire or neuron it explains, the long derivation behind "show every step".
import { state } from "./state.js";
import { num, precision, texNum, typeset } from "./tex.js";

const tip = document.getElementById("tip");
const GAP = 12;

// The factors of dC/dp as TeX, in the order the server's explanation multiplies them
// (chainrule.explain: output layer dC/da * da/dz * dz/dp, or a - y with a softmax; an earlier
// layer (sum_i w delta) * sigma'(z) * dz/dp).
export function factorTex(param, sizes, softmax) {
  const [, kind, ls, js, k] = param.match(/([Wb])(\d+)\[(\d+)(?:,(\d+))?\]/);
  const l = +ls,
    j = +js,
    L = sizes.length - 1;
  const p = kind === "W" ? `w^{${l}}_{${j}${k}}` : `b^{${l}}_{${j}}`;
  const z = `z^{${l}}_{${j}}`,
    dz = `\\frac{\\partial ${z}}{\\partial ${p}}`;
  let factors;
  if (l === L && softmax) factors = [`\\frac{\\partial C}{\\partial ${z}}`, dz];
  else if (l === L)
    factors = [
      `\\frac{\\partial C}{\\partial a^{${l}}_{${j}}}`,
      `\\frac{\\partial a^{${l}}_{${j}}}{\\partial ${z}}`,
      dz,
    ];
  else
    factors = [
      `{\\textstyle\\sum_i w^{${l + 1}}_{i${j}}\\delta^{${l + 1}}_i}`,
      `\\sigma'(${z})`,
      dz,
    ];
  return { p, factors };
}

function agree(a, b) {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

// Fill the tooltip with the server's "explain" reply.
export function fillTip(reply, pinned) {
  const { p, factors } = factorTex(
    reply.param,
    state.data.sizes,
    state.data.cost === "log_likelihood",
  );
  Object.assign(tip.dataset, {
    param: reply.param,
    product: reply.product,
    gradient: reply.gradient,
    numeric: reply.numeric,
    value: reply.value,
  });
  const editing = document.activeElement && document.activeElement.id === "tip-value";
  if (editing) return;
  const open = tip.querySelector("details")?.open;
  const ok =
    agree(reply.product, reply.gradient) && Math.abs(reply.numeric - reply.gradient) <= 1e-6;
  const close = pinned
    ? '<button id="tip-close" class="close" aria-label="close the chain rule">close</button>'
    : "<i>click or press Enter to pin</i>";
  tip.innerHTML = `<div class="head"><b class="param"></b>
      <label>value <input id="tip-value" type="number" step="any" value="${reply.value}"
        aria-label="the value of ${reply.param}" ${pinned ? "" : "tabindex=-1"}></label>
      ${close}</div>
    <div class="chain" id="tip-chain"></div><div class="chain" id="tip-values"></div>
    <div class="check ${ok ? "ok" : ""}">sample ${reply.sample}:
      backprop <b id="tip-gradient">${num(reply.gradient)}</b> ·
      finite difference <b id="tip-numeric">${num(reply.numeric)}</b>
      ${ok ? "✓ agree" : "✗ differ"}<br>
      on the whole training set <b>${num(reply.batch_gradient)}</b></div>
    <label class="digits"><input id="tip-full" type="checkbox" ${precision.full ? "checked" : ""}>
      every digit</label>
    <details class="more"${open ? " open" : ""}><summary>show every step</summary>
      ${reply.html}</details>`;
  typeset(tip.querySelector(".param"), p);
  typeset(
    tip.querySelector("#tip-chain"),
    `\\frac{\\partial C}{\\partial ${p}} = ${factors.join("\\,")}`,
    true,
  );
  const values = (reply.factors ?? []).map(texNum).join(" \\cdot ");
  const product = document.getElementById("tip-values");
  typeset(product, `= ${values} = ${num(reply.product)}`, true);
  product.dataset.product = reply.product;
}

// The box to keep clear: the element, and for a weight the two neurons it joins too.
function clearBox(anchor) {
  const boxes = [anchor.getBoundingClientRect()];
  const m = anchor.dataset.param.match(/^W(\d+)\[(\d+),(\d+)\]$/);
  if (m) {
    const svg = anchor.ownerSVGElement;
    for (const [l, j] of [
      [+m[1], m[2]],
      [m[1] - 1, m[3]],
    ]) {
      const square = svg.querySelector(`.neuron[data-layer="${l}"][data-j="${j}"] rect`);
      if (square) boxes.push(square.getBoundingClientRect());
    }
  }
  return {
    left: Math.min(...boxes.map((b) => b.left)),
    right: Math.max(...boxes.map((b) => b.right)),
    top: Math.min(...boxes.map((b) => b.top)),
    bottom: Math.max(...boxes.map((b) => b.bottom)),
  };
}

// Beside the element it explains: to its right if there is room, else left, else below/above.
export function placeTip(anchor) {
  const b = clearBox(anchor),
    w = tip.offsetWidth,
    h = tip.offsetHeight;
  const r = { ...b, width: b.right - b.left, height: b.bottom - b.top };
  let left, top;
  if (r.right + GAP + w <= innerWidth) {
    left = r.right + GAP;
    top = r.top + r.height / 2 - h / 2;
  } else if (r.left - GAP - w >= 0) {
    left = r.left - GAP - w;
    top = r.top + r.height / 2 - h / 2;
  } else {
    left = Math.min(Math.max(8, r.left + r.width / 2 - w / 2), innerWidth - w - 8);
    top = r.bottom + GAP + h <= innerHeight ? r.bottom + GAP : r.top - GAP - h;
  }
  tip.style.left = Math.max(8, left) + "px";
  tip.style.top = Math.max(8, Math.min(top, innerHeight - h - 8)) + "px";
}
