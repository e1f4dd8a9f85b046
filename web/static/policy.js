// policy.js: the live password checklist. It judges every rule the browser
// can judge exactly as the server's package policy does (NFC, code points,
// Unicode categories), so that a rule shown as met is never refused later.
// The policy comes from the page as JSON (policy.BrowserJSON) in
// <script type="application/json" id="pforte-policy">; no inline script is
// needed, as the Content-Security-Policy forbids it.
//
// Markup: <ul data-checklist-for="password" [data-email="…"]> with one
// <li data-check="ID"> per rule. Each li gets data-ok="true|false|unknown"
// (data-check, not data-rule: data-rule marks the rules an error names.)
// and a <span class="state"> (visually hidden by the page's CSS) saying
// "erfüllt" or "nicht erfüllt" for screen readers.
"use strict";

// Character classes in the order policy.classOf tests them. A character that
// matches none of them (punctuation, symbols, spaces, emoji …) is special.
const pforteClasses = [
  ["upper", /\p{Lu}/u],
  ["lower", /\p{Ll}/u],
  ["digit", /\p{Nd}/u],
  ["control", /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u],
  ["none", /[\p{L}\p{M}]/u], // letters without case and marks: no class
];

// pforteFold makes text comparable without regard to case, as Go's fold:
// NFC, then lower case per code point. Taking the first code point of each
// mapping gives Go's simple mapping (İ becomes i, not i + dot).
function pforteFold(s) {
  return [...s.normalize("NFC")].map((c) => [...c.toLowerCase()][0]).join("");
}

// pforteJudge returns {ruleId: true|false|"unknown"} for every rule of the
// policy: true when met, "unknown" for rules only the server can judge.
function pforteJudge(policy, password, email) {
  const pw = password.normalize("NFC");
  const chars = [...pw]; // code points, as Go counts runes
  const has = {};
  for (const c of chars) {
    const hit = pforteClasses.find(([, re]) => re.test(c));
    has[hit ? hit[0] : "special"] = true;
  }
  const folded = pforteFold(pw);
  const addr = pforteFold(email.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "")); // as HTML trims
  const local = addr.includes("@") ? addr.slice(0, addr.lastIndexOf("@")) : "";
  const ok = {
    "min-length": chars.length >= policy.minLength,
    "max-length": chars.length <= policy.maxLength,
    upper: !!has.upper,
    lower: !!has.lower,
    digit: !!has.digit,
    special: !!has.special,
    control: !has.control,
    context: addr === "" || !(folded.includes(addr) || ([...local].length >= 3 && folded.includes(local))),
  };
  const result = {};
  for (const rule of policy.rules) {
    result[rule.id] = rule.server || !(rule.id in ok) ? "unknown" : ok[rule.id];
  }
  return result;
}

// pforteMark shows one rule's state on its li, in data-ok for the eye and in
// the span for screen readers.
function pforteMark(li, state) {
  li.dataset.ok = String(state);
  let span = li.querySelector("span.state");
  if (!span) {
    span = document.createElement("span");
    span.className = "state";
    li.append(span);
  }
  span.textContent = pforteText(state === "unknown" ? "js.rule-unknown" : state ? "js.rule-met" : "js.rule-unmet");
}

document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("pforte-policy");
  if (!source) return;
  const policy = JSON.parse(source.textContent);
  for (const list of document.querySelectorAll("ul[data-checklist-for]")) {
    const scope = list.closest("form") || document;
    const field = scope.querySelector(`[name="${CSS.escape(list.dataset.checklistFor)}"]`);
    if (!field) continue;
    const repeat = scope.querySelector('[name="password_repeat"]');
    const emailField = scope.querySelector('[name="email"]');
    let typed = false; // until then keep the server's verdict on server-only rules
    // After a refusal the page shows the server's verdict on every rule, as
    // the error box does: keep it until the member types again.
    const verdict = list.dataset.verdict === "server";

    const update = () => {
      const email = emailField ? emailField.value : list.dataset.email || "";
      const result = pforteJudge(policy, field.value, email);
      if (repeat) result.repeat = repeat.value !== "" && repeat.value === field.value;
      for (const li of list.querySelectorAll("li[data-check]")) {
        const state = result[li.dataset.check] ?? "unknown"; // e.g. reused: server only
        if (state === "unknown" && !typed && li.dataset.ok) continue;
        pforteMark(li, state);
      }
    };
    field.addEventListener("input", () => {
      typed = true;
      update();
    });
    for (const other of [repeat, emailField]) other?.addEventListener("input", update);
    // An empty field stays neutral until the member types.
    if (!verdict && field.value) update();
  }
});
