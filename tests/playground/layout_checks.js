// Layout checks run inside the page by test_layout.py (added with add_script_tag).

// Boxes of the page's panels and of the network panel's parts: [name, left, top, right, bottom]
// in page coordinates; hidden ones left out.
window.layoutBoxes = () => {
  const names = ["header", "#guide", "#message", "#data-panel", "#network-panel", "#output-panel"];
  const parts = ["#network-panel .layers-bar", "#network", "#notes", "#network-panel .tools",
    "#stages", "#check-result"];
  const box = s => {
    const e = document.querySelector(s);
    if (!e || e.hidden || (!e.offsetParent && s !== "header")) return null;
    const r = e.getBoundingClientRect();
    return [s, r.left, r.top + scrollY, r.right, r.bottom + scrollY];
  };
  return { panels: names.map(box).filter(Boolean), parts: parts.map(box).filter(Boolean),
    panel: box("#network-panel") };
};

// Is the element the one at its own centre (or holds it)? A neuron is judged by its square.
window.atItsCentre = e => {
  const r = e.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  const owner = e.matches("rect.frame") ? e.parentNode : e;
  return hit === e || owner.contains(hit);
};

// Every visible control outside the tooltip, scrolled into view, that something else covers.
window.coveredControls = () => {
  const bad = [];
  const controls = document.querySelectorAll(["main button", "main input", "main select",
    "header button", "header input", "header select", "#guide button",
    "#wires .neuron > rect.frame"].join(", "));
  for (const e of controls) {
    if (!e.getClientRects().length || e.closest("[hidden]")) continue;
    e.scrollIntoView({ block: "center", inline: "center" });
    if (!window.atItsCentre(e)) {
      const owner = e.matches("rect.frame") ? e.parentNode : e;
      bad.push(owner.id || owner.getAttribute("aria-label") || owner.outerHTML.slice(0, 60));
    }
  }
  window.scrollTo(0, 0);
  return bad;
};

// The tooltip: its width, whether it lies inside the window, and whether it covers the centre of
// the element it explains.
window.tipPlacement = selector => {
  const t = document.getElementById("tip").getBoundingClientRect();
  const w = document.querySelector(selector).getBoundingClientRect();
  const cx = (w.left + w.right) / 2, cy = (w.top + w.bottom) / 2;
  return { width: t.width,
    inside: t.left >= 0 && t.right <= innerWidth && t.top >= 0 && t.bottom <= innerHeight,
    overWire: cx > t.left && cx < t.right && cy > t.top && cy < t.bottom };
};
