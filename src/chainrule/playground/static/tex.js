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
