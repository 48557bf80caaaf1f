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
