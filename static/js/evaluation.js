// The model page's probability-threshold slider (customization/model_detail.html): precision and
// recall per tag and overall, and the dot on each precision-recall curve, recomputed in the browser
// from the data the server embeds (<script type="application/json" id="eval-data">, json_script),
// without a page load. The server did the matching once (customization/metrics.py) and counted, for
// every whole percent k, the right (tp[k]) and wrong (fp[k]) predictions with confidence >= k/100:
// a few hundred numbers per tag at any number of images. The server writes the page's first
// figures from the same counts with the same rounding, so both agree to the character.
(() => {
  const percent = (value) => (value === null ? "—" : `${(value * 100).toFixed(1)}%`);
  const ratio = (a, b) => (b ? a / b : null);

  function counts(tag, percent) {
    const tp = tag.tp[percent];
    return { tp, fp: tag.fp[percent], fn: tag.truth - tp };
  }

  function fill(row, c) {
    if (!row) return;
    const set = (field, text) => {
      const cell = row.querySelector(`[data-field="${field}"]`);
      if (cell) cell.textContent = text;
    };
    set("precision", percent(ratio(c.tp, c.tp + c.fp)));
    set("recall", percent(ratio(c.tp, c.tp + c.fn)));
    set("tp", String(c.tp));
    set("fp", String(c.fp));
    set("fn", String(c.fn));
  }

  function moveDot(index, c) {
    const dot = document.querySelector(`circle.at-threshold[data-tag-index="${index}"]`);
    if (!dot) return;
    const [left, top, width, height] = dot.ownerSVGElement.dataset.plot.split(/\s+/).map(Number);
    const precision = ratio(c.tp, c.tp + c.fp);
    const recall = ratio(c.tp, c.tp + c.fn);
    if (precision === null || recall === null) {
      dot.setAttribute("cx", "-10");
      dot.setAttribute("cy", "-10");
      return;
    }
    dot.setAttribute("cx", (left + recall * width).toFixed(2));
    dot.setAttribute("cy", (top + (1 - precision) * height).toFixed(2));
  }

  function update(slider) {
    const source = document.getElementById("eval-data");
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const level = Math.min(100, Math.max(0, Math.round(Number(slider.value))));
    const t = level / 100;
    const total = { tp: 0, fp: 0, fn: 0 };
    data.tags.forEach((tag, index) => {
      const c = counts(tag, level);
      total.tp += c.tp;
      total.fp += c.fp;
      total.fn += c.fn;
      fill(document.querySelector(`#pr-table tr[data-tag-index="${index}"]`), c);
      moveDot(index, c);
    });
    fill(document.querySelector('#pr-table tr[data-tag-index="all"]'), total);
    const label = `${slider.value}%`;
    document.getElementById("eval-threshold-value").textContent = label;
    document.getElementById("overall-precision").textContent = percent(ratio(total.tp, total.tp + total.fp));
    document.getElementById("overall-recall").textContent = percent(ratio(total.tp, total.tp + total.fn));
    // The error gallery is drawn by the server: its form takes the new threshold when asked.
    document.querySelectorAll("[data-threshold-sync]").forEach((input) => {
      input.value = t.toFixed(2);
    });
    document.querySelectorAll("[data-threshold-label]").forEach((span) => {
      span.textContent = label;
    });
  }

  document.addEventListener("input", (event) => {
    if (event.target.id === "eval-threshold") update(event.target);
  });
  // A swapped-in gallery brings its own threshold field: keep it at the slider's value.
  document.addEventListener("htmx:afterSettle", () => {
    const slider = document.getElementById("eval-threshold");
    if (slider) update(slider);
  });
  document.addEventListener("DOMContentLoaded", () => {
    const slider = document.getElementById("eval-threshold");
    if (slider) update(slider);
  });
})();
