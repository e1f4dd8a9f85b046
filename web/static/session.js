// session.js: warns one minute before the idle timeout and lets the member
// stay signed in with one click (WCAG 2.2.1). The page says the timeout in
// data-idle-seconds on <body>; only signed-in pages carry it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const idle = Number(document.body.dataset.idleSeconds || 0);
  const box = document.getElementById("idle-warning");
  if (!idle || !box) return;
  const warnBefore = Math.min(60, Math.floor(idle / 2));
  let warnTimer, endTimer;
  let stopCountdown = () => {};
  const left = box.querySelector("[data-idle-countdown]");

  const schedule = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    stopCountdown();
    box.hidden = true;
    warnTimer = setTimeout(() => {
      box.hidden = false;
      box.querySelector("button")?.focus();
      // The time left counts down (pforteCountdown, form.js).
      if (left) stopCountdown = pforteCountdown(left, warnBefore);
    }, (idle - warnBefore) * 1000);
    // When the time is up, reload: the server then leads to the login page
    // and says that the session expired.
    endTimer = setTimeout(() => window.location.reload(), idle * 1000 + 1000);
  };

  box.querySelector("form[data-stay-form]")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const res = await fetch("/sitzung/verlaengern", { method: "POST", credentials: "same-origin", redirect: "manual" });
    if (res.status === 204) schedule();
    else window.location.reload();
  });
  schedule();
});
