// Maths on the page: KaTeX (vendored under /static/katex, loaded by index.html as a classic
// script: window.katex) and numbers at four significant digits, or every digit on request.

export const precision = { full: false };

// A number for the page: 4 significant digits (full precision: the shortest exact form).
export function num(x) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return "–";
  const v = Number(x);
  return precision.full ? String(v) : Number(v.toPrecision(4)).toString();
}

// A number inside TeX: negative ones in parentheses (for products).
export function texNum(x) {
  const t = num(x);
  return Number(x) < 0 ? `(${t})` : t;
}

export function typeset(element, tex, display = false) {
  if (window.katex)
    window.katex.render(tex, element, { throwOnError: false, displayMode: display });
  else element.textContent = tex;
  element.dataset.tex = tex;
}

// TeX as an HTML string (for table cells built in one go).
export function texHtml(tex) {
  return window.katex ? window.katex.renderToString(tex, { throwOnError: false }) : tex;
}

// chainrule.explain's plain-text equations (``dC/da^3_0 = a - y = -0.027``, ``delta^2 = (W^3)^T
// delta^3 (.) tanh'(z^2)``) as TeX: the small grammar explain.py writes, nothing more.
const NAMED =
  /\b(tanh|sigmoid|relu|leaky_relu|softplus|identity|exp|log|softmax|sum)(?![A-Za-z])('?)/g;
const SYMBOL = "[A-Za-z](?:\\^\\d+)?(?:_\\w+)?";
export function textToTex(text) {
  const script = (s) => s.replace(/\^(\d+|T)/g, "^{$1}").replace(/_(\w+)/g, "_{$1}");
  return script(
    text
      .replace(
        new RegExp(`\\bd(${SYMBOL})/d(${SYMBOL})`, "g"),
        "\\frac{\\partial $1}{\\partial $2}",
      )
      .replace(/\bdelta\b/g, "\\delta ")
      .replace(/\(\.\)/g, "\\odot")
      .replace(/ \* /g, " \\cdot ")
      .replace(
        /(\d)e([+-])0*(\d+)/g,
        (_, d, sign, e) => `${d}\\times 10^{${sign === "-" ? "-" : ""}${e}}`,
      )
      .replace(NAMED, (_, name, prime) =>
        name === "sum" ? "\\sum" : `\\operatorname{${name.replace("_", "\\_")}}${prime}`,
      )
      .replace(/\b(if|else)\b/g, "\\text{ $1 }"),
  )
    .replace(/\\operatorname\{([^}]*)\\_\{(\w+)\}\}/g, "\\operatorname{$1\\_$2}")
    .replace(/\\sum_\{(\w)\}/g, "\\sum_{$1}");
}

// Each line of each <pre> under `root` typeset (its trailing "(remark)" kept as text), and the
// tables' headings.
export function typesetLines(root) {
  for (const pre of root.querySelectorAll("pre")) {
    const block = document.createElement("div");
    block.className = "math";
    for (const line of pre.textContent.split("\n")) {
      const [, maths, remark] = line.trim().match(/^(.*?)(\s{3}\(.*\))?$/);
      const row = document.createElement("div");
      try {
        window.katex.render(textToTex(maths), row, { throwOnError: true });
      } catch {
        row.textContent = maths; // (a line outside the grammar stays as it was written)
      }
      if (remark) row.append(" ", remark.trim());
      block.appendChild(row);
    }
    pre.replaceWith(block);
  }
  for (const cell of root.querySelectorAll("th")) {
    if (/[\^_]/.test(cell.textContent)) window.katex.render(textToTex(cell.textContent), cell);
  }
}
