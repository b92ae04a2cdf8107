// Padlock web admin: private messaging (OTR). The key page polls while a
// key is generated; the chat page shows the lock state live (otrShow is
// called by xmpp.js on every event) and sends the privacy forms with
// fetch. Text is set with textContent only.
"use strict";

function otrShowOrHide(id, text) {
  const el = document.getElementById(id);
  if (!el) return;
  el.hidden = !text;
}

function otrShow(o) {
  const box = document.getElementById("otr");
  if (!box) return;
  box.className = "lock-" + o.lock;
  box.dataset.lock = o.lock;
  setText("otr-lock", o.text);
  setText("otr-changed-fp", o.changed);
  otrShowOrHide("otr-changed", o.changed);
  setText("otr-held", o.held);
  otrShowOrHide("otr-held", o.held);
  setText("otr-notice", o.notice);
  otrShowOrHide("otr-notice", o.notice);
  setText("otr-smp-result", o.smp ? "Authentication: " + o.smp : "");
  otrShowOrHide("otr-smp-asked", o.smp === "asked");
  const asked = document.getElementById("otr-smp-asked");
  if (asked && o.smp === "asked") {
    asked.textContent = "They want to authenticate" + (o.smpQuestion ? " and ask: \u201c" + o.smpQuestion + "\u201d" : "") +
      ". Give your answer or the shared secret below.";
    const auth = document.getElementById("otr-auth");
    if (auth) auth.open = true;
  }
  setText("otr-ours", o.ours);
  setText("otr-theirs", o.fingerprint);
  for (const f of document.querySelectorAll("input.otr-fp")) f.value = o.fingerprint || "";
}

function otrForms() {
  for (const form of document.querySelectorAll("form.otr-form")) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      post(form.action, new FormData(form)).then((r) => {
        for (const i of form.querySelectorAll("input[type=password]")) i.value = "";
        let p = document.getElementById("error");
        if (r.ok) { if (p) p.remove(); return; }
        return r.text().then((t) => {
          const doc = new DOMParser().parseFromString(t, "text/html");
          const err = doc.getElementById("error");
          if (!p) { p = document.createElement("p"); p.id = "error"; p.className = "error"; document.getElementById("otr").prepend(p); }
          p.textContent = err ? err.textContent : t;
        });
      });
    });
  }
}

function otrPollKey() {
  const page = document.getElementById("otr-keys");
  if (!page || page.dataset.generating !== "true") return;
  const tick = () => {
    fetch("/xmpp/" + page.dataset.account + "/otr/key", {credentials: "same-origin"})
      .then((r) => r.json())
      .then((st) => {
        if (st.generating) { setTimeout(tick, 300); return; }
        window.location.replace(window.location.pathname);
      })
      .catch(() => setTimeout(tick, 1000));
  };
  tick();
}

document.addEventListener("DOMContentLoaded", () => { otrForms(); otrPollKey(); });
