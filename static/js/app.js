// Small progressive enhancements. Every page works without this file.
document.addEventListener("click", (event) => {
  // Close an open dropdown when clicking elsewhere.
  document.querySelectorAll("details.dropdown[open]").forEach((el) => {
    if (!el.contains(event.target)) el.removeAttribute("open");
  });
});
document.addEventListener("submit", (event) => {
  // Ask before destructive actions marked with data-confirm.
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
// Try it out: re-render the boxes at a new confidence threshold without a page load.
document.addEventListener("input", (event) => {
  if (event.target.id !== "threshold") return;
  const t = event.target.value / 100;
  document.getElementById("threshold-value").textContent = `${event.target.value}%`;
  const image = document.getElementById("prediction-image");
  if (image) image.src = `${image.dataset.base}?t=${t.toFixed(2)}`;
  document.querySelectorAll("#predictions li").forEach((li) => {
    li.hidden = parseFloat(li.dataset.confidence) < t;
  });
});
