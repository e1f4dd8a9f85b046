// form.js: small helps for forms, without inline script (the
// Content-Security-Policy forbids it).
//
// - pforteText names a text of the page's language (the layout's JSON in
//   #pforte-texts, from the catalog); every script shows text through it.
// - Every password field gets a button "Passwort anzeigen" that shows the
//   typed characters and hides them again (aria-pressed says which).
// - An element with data-countdown="SECONDS" counts down once a second
//   (pforteCountdown), announced politely and sparingly.
"use strict";

let pforteTexts;

// pforteText is text id of the page's language with {n} filled in.
function pforteText(id, n) {
  if (!pforteTexts) {
    const source = document.getElementById("pforte-texts");
    pforteTexts = source ? JSON.parse(source.textContent) : {};
  }
  return (pforteTexts[id] || id).replace("{n}", String(n));
}

// pforteWait writes a wait of secs seconds as locale.Wait does: below two
// minutes exactly, in minutes and seconds ("1 Minute und 59 Sekunden"),
// from two minutes on in whole minutes, rounded up.
function pforteWait(secs) {
  const s = (n) => (n === 1 ? pforteText("js.second") : n === 0 ? pforteText("js.zero-seconds") : pforteText("js.seconds", n));
  if (secs < 60) return s(Math.max(0, secs));
  if (secs === 60) return pforteText("js.minute");
  if (secs < 120) return pforteText("js.minute-and", s(secs - 60));
  return pforteText("js.minutes", Math.ceil(secs / 60));
}

// pforteCountdown shows in el the time left of secs, once a second, and
// returns a function that stops it. The nearest aria-live region (or el)
// is polite; screen readers hear it at most every 15 seconds and at the
// end, as the text changes inside aria-busy in between. session.js uses it
// for the idle warning.
function pforteCountdown(el, secs) {
  if (!(secs > 0)) return () => {};
  const end = Date.now() + secs * 1000;
  const live = el.closest("[aria-live]") || el;
  live.setAttribute("aria-live", "polite");
  let said = Infinity;
  let timer;
  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    const speak = left === 0 || said - left >= 15;
    live.setAttribute("aria-busy", speak ? "false" : "true");
    if (speak) said = left;
    el.textContent = pforteWait(left);
    if (left > 0) timer = setTimeout(tick, 1000);
  };
  tick();
  return () => clearTimeout(timer);
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
    button.textContent = pforteText("js.show-password");
    button.addEventListener("click", () => {
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      button.setAttribute("aria-pressed", String(show));
      button.textContent = pforteText(show ? "js.hide-password" : "js.show-password");
    });
    wrap.append(button);
    // The form never sends a visible password: hide it again on submit, so
    // that the browser's password manager sees a password field.
    input.form?.addEventListener("submit", () => {
      input.type = "password";
    });
  }

  for (const el of document.querySelectorAll("[data-countdown]")) {
    pforteCountdown(el, Number(el.dataset.countdown));
  }
});
