// form.js: small helps for forms, without inline script (the
// Content-Security-Policy forbids it).
//
// - Every password field gets a button "Passwort anzeigen" that shows the
//   typed characters and hides them again (aria-pressed says which).
// - An element with data-countdown="SECONDS" counts down once a second;
//   its text is announced politely (aria-live on the element), at most
//   every 15 seconds and at the end, so a screen reader is not flooded.
"use strict";

function pforteWait(secs) {
  if (secs <= 1) return secs === 1 ? "1 Sekunde" : "0 Sekunden";
  if (secs < 90) return secs + " Sekunden";
  const min = Math.ceil(secs / 60);
  return min === 1 ? "1 Minute" : min + " Minuten";
}

document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll('input[type="password"]')) {
    const wrap = document.createElement("div");
    wrap.className = "password-field";
    input.before(wrap);
    wrap.append(input);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary password-toggle";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", input.id);
    button.textContent = "Passwort anzeigen";
    button.addEventListener("click", () => {
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      button.setAttribute("aria-pressed", String(show));
      button.textContent = show ? "Passwort verbergen" : "Passwort anzeigen";
    });
    wrap.append(button);
    // The form never sends a visible password: hide it again on submit, so
    // that the browser's password manager sees a password field.
    input.form?.addEventListener("submit", () => {
      input.type = "password";
    });
  }

  for (const el of document.querySelectorAll("[data-countdown]")) {
    let left = Number(el.dataset.countdown);
    if (!(left > 0)) continue;
    const end = Date.now() + left * 1000;
    const live = el.closest("[aria-live]") || el;
    live.setAttribute("aria-live", "polite");
    let announced = left;
    const tick = () => {
      left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      // Between announcements the text changes inside an aria-busy
      // region, which screen readers do not read out.
      const speak = left === 0 || announced - left >= 15;
      live.setAttribute("aria-busy", speak ? "false" : "true");
      if (speak) announced = left;
      el.textContent = pforteWait(left);
      if (left === 0) {
        el.dispatchEvent(new CustomEvent("countdown-end", { bubbles: true }));
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }
});
