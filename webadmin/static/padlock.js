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
  setText("reason", v.reason || "");
  setText("missed", String(v.missed));
  setText("duration", v.seconds > 0 ? Math.floor(v.seconds / 60) + ":" + String(v.seconds % 60).padStart(2, "0") : "");
  setText("vault", v.vaultLocked ? "vault locked" : "");
  for (const [name, pattern] of Object.entries(v.lamps || {})) {
    const el = document.getElementById("lamp-" + name);
    if (!el) continue;
    el.className = "lamp " + name + " p-" + pattern;
    el.dataset.pattern = pattern;
  }
}

function connect() {
  const es = new EventSource("/events");
  es.addEventListener("state", (e) => render(JSON.parse(e.data)));
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
  // Post the call forms with fetch so the page (and its event stream) stays.
  for (const f of document.querySelectorAll("#call form")) {
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      post(f.action, new FormData(f)).then((r) => {
        if (!r.ok) r.text().then((t) => setText("reason", t));
      });
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.getElementById("call")) { connect(); panel(); forms(); }
});
