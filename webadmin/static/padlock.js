// Padlock web admin: live state over Server-Sent Events and the simulated
// panel. Loaded as a file: the Content-Security-Policy allows no inline script.
"use strict";

function csrf() {
  const m = document.querySelector('meta[name="csrf"]');
  return m ? m.content : "";
}

function post(url, body) {
  return fetch(url, {
    method: "POST",
    headers: {"X-Requested-With": "fetch", "X-CSRF-Token": csrf(), "Content-Type": "application/x-www-form-urlencoded"},
    body: new URLSearchParams(body),
    credentials: "same-origin",
  });
}

// sentence shows a server's error reply as a sentence (as webadmin's
// sentence() does for pages): capital first letter, a full stop.
function sentence(t) {
  t = (t || "").trim();
  if (!t) return "";
  t = t[0].toUpperCase() + t.slice(1);
  return /[.!?…)]$/.test(t) ? t : t + ".";
}

function setText(id, text) {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

function render(v) {
  const status = document.getElementById("status");
  if (!status) return;
  status.textContent = v.status;
  status.dataset.status = v.status;
  const sec = document.getElementById("security");
  sec.textContent = v.keyMismatch ? v.security + " — KEY CHANGED, possible eavesdropper" : v.security;
  sec.dataset.security = v.security;
  setText("remote-name", v.remoteName || "");
  setText("remote", v.remote || "");
  setText("sas", v.sas || "");
  setText("reason", (v.lastCall ? "Last call, with " + v.lastCall + ": " : "") + (v.reason || ""));
  const dtls = document.getElementById("dtls"); // a DTLS-SRTP call: keys only the XMPP server vouched for
  if (dtls) dtls.hidden = !v.dtls;
  setText("dtls-local", v.dtls ? v.dtls.local : "");
  setText("dtls-peer", v.dtls ? v.dtls.peer : "");
  setText("missed", String(v.missed));
  setText("duration", v.seconds > 0 ? Math.floor(v.seconds / 60) + ":" + String(v.seconds % 60).padStart(2, "0") : "");
  setText("vault", v.vaultLocked ? "vault locked" : "");
  controls(v);
  for (const [name, pattern] of Object.entries(v.lamps || {})) {
    const el = document.getElementById("lamp-" + name);
    if (!el) continue;
    el.className = "lamp " + name + " p-" + pattern;
    el.dataset.pattern = pattern;
    setText("lamp-words-" + name, (v.lampWords || {})[name] || "");
  }
  setText("security-words", v.explained || "");
}

// controls shows only the soft keys that apply to the current call (the
// server says which), the dial field when a call can be placed and the
// keypad while talking. Keys are redrawn only when the set changes, so a
// key with the keyboard focus keeps it.
function controls(v) {
  const box = document.getElementById("controls");
  if (!box) return;
  const keys = v.controls || [];
  const want = keys.map((k) => k.path + ":" + k.label).join("|");
  if (box.dataset.keys !== want) {
    const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.dataset.action : "";
    box.replaceChildren(...keys.map((k) => {
      const f = el("form", {method: "post", action: "/call/" + k.path});
      const b = el("button", {id: "do-" + k.path}, k.label);
      b.dataset.action = k.path;
      f.append(b);
      return f;
    }));
    box.dataset.keys = want;
    const again = focused && box.querySelector('[data-action="' + focused + '"]');
    if (again) again.focus();
  }
  const dial = document.getElementById("dial");
  if (dial) dial.hidden = !v.canDial;
  // The last number is a suggestion (Redial, the field's list), never the
  // field's text: typing always starts from an empty field.
  const redial = document.getElementById("redial");
  if (redial) {
    redial.hidden = !v.canDial || !v.lastDialed;
    document.getElementById("redial-target").value = v.lastDialed || "";
    setText("redial-who", v.lastDialed || "");
    const list = document.getElementById("recent");
    if (list) list.replaceChildren(...(v.lastDialed ? [el("option", {value: v.lastDialed})] : []));
  }
  const pad = document.getElementById("keypad");
  if (pad) pad.hidden = !v.keypad;
}

// calls redraws the list of calls: one row per call, with the forms of
// the actions that apply to it now (the server says which).
const legLabels = {hold: "Hold", resume: "Resume", confirm: "SAS matches: confirm", unconfirm: "Unconfirm SAS",
  split: "Split off", transfer: "Transfer", hangup: "Drop"};

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}

function calls(v) {
  const body = document.querySelector("#calls tbody");
  if (!body) return;
  const rows = [];
  for (const c of v.calls || []) {
    let state = c.status + (c.conference ? " (conference)" : "") + (c.transfer ? " (transferring to " + c.transfer + ")" : "");
    if (c.reason) state += " — " + c.reason;
    const sec = el("td", {}, c.security + (c.keyMismatch ? " — KEY CHANGED" : ""));
    sec.dataset.security = c.security;
    const actions = el("td", {className: "actions"});
    for (const a of c.actions || []) {
      const f = el("form", {method: "post", action: "/call/" + a});
      f.append(el("input", {type: "hidden", name: "call", value: c.id}));
      if (a === "transfer") f.append(el("label", {}, "to ", el("input", {name: "target", autocomplete: "off", size: 14})));
      const b = el("button", {}, legLabels[a] || a);
      b.dataset.action = a;
      f.append(b);
      actions.append(f);
    }
    const tr = el("tr", {}, el("td", {}, String(c.leg)), el("td", {}, c.remote || ""), el("td", {}, state), sec,
      el("td", {className: "sas"}, c.sas || ""), actions);
    tr.dataset.call = c.id;
    tr.dataset.status = c.status;
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  const merge = document.getElementById("merge");
  if (merge) merge.hidden = !v.canMerge;
}

function connect() {
  const es = new EventSource("/events");
  es.addEventListener("state", (e) => { const v = JSON.parse(e.data); render(v); calls(v); });
  es.onerror = () => { document.body.classList.add("offline"); };
  es.onopen = () => { document.body.classList.remove("offline"); };
}

function panel() {
  for (const b of document.querySelectorAll(".hwbutton")) {
    let down = 0;
    b.addEventListener("pointerdown", () => { down = performance.now(); });
    b.addEventListener("pointerup", () => {
      const held = down ? Math.round(performance.now() - down) : 0;
      down = 0;
      post("/panel/press", {button: b.dataset.button, hold_ms: held});
    });
    b.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); post("/panel/press", {button: b.dataset.button, hold_ms: 0}); }
    });
  }
  for (const b of document.querySelectorAll(".hwlong")) {
    b.addEventListener("click", () => post("/panel/press", {button: b.dataset.button, hold_ms: 1200}));
  }
}

function forms() {
  // Post the call forms with fetch so the page (and its event stream)
  // stays; one listener, since the soft keys are redrawn live.
  const panel = document.getElementById("call");
  panel.addEventListener("submit", (e) => {
    const f = e.target;
    e.preventDefault();
    post(f.action, new FormData(f)).then((r) => {
      if (!r.ok) r.text().then((t) => setText("reason", sentence(t)));
      else if (f.id === "dial") f.reset(); // the number went out: the next one is typed afresh
    });
  });
}

function callForms() {
  // The rows are redrawn live: one listener for all their forms.
  const list = document.getElementById("calls-list");
  if (!list) return;
  list.addEventListener("submit", (e) => {
    const f = e.target;
    e.preventDefault();
    post(f.action, new FormData(f)).then((r) => {
      if (!r.ok) r.text().then((t) => setText("reason", sentence(t)));
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.getElementById("call")) { connect(); panel(); forms(); callForms(); }
});
