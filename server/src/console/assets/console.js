// The Airlock console's only script (the Content-Security-Policy allows no other, and no inline
// script): it swaps in the live fragment the server renders and escapes, and sends cancels with
// the page's CSRF token. Nothing here builds markup from data.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="airlock-csrf"]')?.getAttribute("content") ?? "";
  const live = document.getElementById("live");
  if (live && window.EventSource) {
    const source = new EventSource(live.dataset.stream);
    source.addEventListener("live", (event) => {
      // Keep what the operator opened, and follow output to its end as it grows.
      const open = new Set([...live.querySelectorAll("details[open]")].map((d) => d.dataset.key));
      const template = document.createElement("template");
      template.innerHTML = JSON.parse(event.data).html;
      live.replaceChildren(template.content);
      for (const d of live.querySelectorAll("details[data-key]")) if (open.has(d.dataset.key)) d.open = true;
      for (const pre of live.querySelectorAll("pre.stdout, pre.stderr")) pre.scrollTop = pre.scrollHeight;
      live.dataset.updated = String(Date.now());
    });
  }
  // A decision must be meant: the approve and decline buttons arrive disabled and wake a moment
  // after the page shows, so a page that opens this one under a double click cannot land that
  // second click on them.
  setTimeout(() => {
    for (const button of document.querySelectorAll("form.decide button[data-wake]")) button.disabled = false;
  }, 800);

  document.addEventListener("click", async (event) => {
    const button = event.target instanceof Element ? event.target.closest("button.cancel") : null;
    if (!button) return;
    button.disabled = true;
    button.textContent = "Cancelling…";
    try {
      const res = await fetch(`/console/executions/${encodeURIComponent(button.dataset.id)}/cancel`, {
        method: "POST",
        headers: { "x-airlock-csrf": csrf },
        credentials: "same-origin",
      });
      if (!res.ok) throw new Error(String(res.status));
    } catch {
      button.disabled = false;
      button.textContent = "Cancel failed — retry";
    }
  });
})();
