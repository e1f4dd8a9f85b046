// Passkeys (WebAuthn) on the login page and on /konto/sicherheit. The
// server sends the options as WebAuthn JSON and takes the credential's
// JSON back; this script only converts between JSON and the browser's
// binary fields. Without WebAuthn in the browser the buttons stay hidden.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }

  function toBytes(b64url) {
    var s = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function creationOptions(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) { return PublicKeyCredential.parseCreationOptionsFromJSON(o); }
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return o;
  }
  function requestOptions(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) { return PublicKeyCredential.parseRequestOptionsFromJSON(o); }
    o.challenge = toBytes(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return o;
  }
  function credentialJSON(c) {
    if (c.toJSON) { return c.toJSON(); }
    var r = c.response, out = { id: c.id, rawId: toB64url(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults(), response: { clientDataJSON: toB64url(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64url(r.userHandle); }
    }
    return out;
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: body === undefined ? "" : JSON.stringify(body) })
      .then(function (res) {
        return res.json().then(function (data) {
          if (!res.ok) { throw new Error((data.error && data.error.message) || pforteText("js.error", res.status)); }
          return data;
        });
      });
  }
  function say(el, text) { if (el) { el.textContent = text; } }
  var aborted = pforteText("js.passkey-aborted");

  var login = document.querySelector("[data-passkey-login]");
  if (login) {
    var box = document.querySelector("[data-passkey-login-box]");
    var status = document.querySelector("[data-passkey-status]");
    if (box) { box.hidden = false; }
    login.addEventListener("click", function () {
      var next = document.querySelector("input[name=next]");
      var q = next && next.value ? "?next=" + encodeURIComponent(next.value) : "";
      say(status, pforteText("js.passkey-confirm-login"));
      post("/anmelden/passkey/optionen" + q).then(function (o) {
        return navigator.credentials.get({ publicKey: requestOptions(o.publicKey) });
      }).then(function (c) {
        return post("/anmelden/passkey", credentialJSON(c));
      }).then(function (r) { window.location.assign(r.redirect); }, function (e) {
        say(status, e && e.name === "NotAllowedError" ? aborted : e.message);
      });
    });
  }

  var add = document.querySelector("[data-passkey-register]");
  if (add) {
    var addStatus = document.querySelector("[data-passkey-status]");
    var addBox = document.querySelector("[data-passkey-add]");
    if (addBox) { addBox.hidden = false; }
    add.addEventListener("click", function () {
      // The current password (and a code, when the app's codes are on)
      // proves that the owner, not only a session, adds the passkey.
      var pw = addBox && addBox.querySelector("input[name=current_password]");
      var code = addBox && addBox.querySelector("input[name=code]");
      say(addStatus, pforteText("js.passkey-confirm-add"));
      post("/konto/passkeys/optionen", { current_password: pw ? pw.value : "", code: code ? code.value : "" }).then(function (o) {
        return navigator.credentials.create({ publicKey: creationOptions(o.publicKey) });
      }).then(function (c) {
        return post("/konto/passkeys", credentialJSON(c));
      }).then(function (r) { window.location.assign(r.redirect); }, function (e) {
        say(addStatus, e && e.name === "NotAllowedError" ? aborted : e.message);
      });
    });
  }
})();
