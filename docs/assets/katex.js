// Render the \( ... \) and \[ ... \] spans that pymdownx.arithmatex (generic mode) writes, with
// the vendored KaTeX, on every page load (document$ also fires on Material's instant navigation).
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  });
});
