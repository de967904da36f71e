// /admin/models: the training's progress, read every 2 seconds; the page reloads when it ends
// so that the new model's row and held-out figures appear.
(function () {
  "use strict";
  var box = document.getElementById("train-progress");
  if (!box) { return; }
  var text = box.querySelector(".progress-text");
  var bar = box.querySelector("progress");
  var running = box.getAttribute("data-running") === "yes";
  function show(p) {
    text.textContent = p.message;
    if (bar) { bar.value = p.percent; }
    box.setAttribute("data-state", p.state);
    var busy = p.state === "waiting" || p.state === "training" || p.state === "evaluating";
    if (running && !busy) { window.location.reload(); }
    running = busy;
  }
  function poll() {
    fetch("/admin/models/progress", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) { if (p) { show(p); } })
      .catch(function () { /* the next poll tries again */ });
  }
  window.setInterval(poll, 2000);
})();
