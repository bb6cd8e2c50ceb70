// Live progress of a running solve on the cycle page: poll the page's own JSON (the
// session cookie authenticates it), update the figures, reload once the solve ends.
(function () {
  var box = document.getElementById("progress");
  if (!box) return;
  var money = function (v) {
    return v === null || v === undefined ? "none yet" : "£" + Math.round(v).toLocaleString("en-GB");
  };
  var set = function (name, text) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  };
  var tick = function () {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        if (p.status !== "queued" && p.status !== "running") { window.location.reload(); return; }
        set("status", p.status);
        set("objective", money(p.objective));
        set("bound", money(p.bound));
        set("elapsed_s", String(Math.round(p.elapsed_s || 0)));
        setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  };
  setTimeout(tick, 1000);
})();
