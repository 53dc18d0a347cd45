// What the page calls the server's names: the menus' words, the features as maths, the problem
// type of each data set. A name missing here is shown as it is.

const WORDS = {
  circle: "Circle",
  xor: "Exclusive or",
  gaussian: "Gaussian",
  spiral: "Spiral",
  moons: "Moons",
  multi_gaussian: "Multi-gaussian",
  plane: "Plane",
  multi_gaussian_regression: "Multi-gaussian",
  csv: "Your CSV file",
  tanh: "Tanh",
  sigmoid: "Sigmoid",
  relu: "ReLU",
  leaky_relu: "Leaky ReLU",
  softplus: "Softplus",
  identity: "Linear",
  quadratic: "Quadratic",
  cross_entropy: "Cross-entropy",
  log_likelihood: "Log-likelihood (softmax)",
  scaled: "Scaled normal (1/√n)",
  normal: "Normal",
  xavier: "Xavier",
  he: "He",
  zeros: "Zeros",
};
const FEATURES = {
  x1: "x₁",
  x2: "x₂",
  "x1^2": "x₁²",
  "x2^2": "x₂²",
  x1x2: "x₁x₂",
  sin_x1: "sin(x₁)",
  sin_x2: "sin(x₂)",
};
// The data sets whose targets are numbers (regression); every other one has classes.
export const REGRESSION = ["plane", "multi_gaussian_regression"];

export function word(name) {
  return WORDS[name] ?? String(name).replace(/_/g, " ");
}
export function featureLabel(name) {
  return FEATURES[name] ?? name;
}
export function problemOf(data) {
  return REGRESSION.includes(data) ? "regression" : "classification";
}

// <option>s for a select: value the server's name, text the page's word.
export function options(names, label = word) {
  return names.map((n) => `<option value="${n}">${label(n)}</option>`).join("");
}
