// Padlock web admin: live contacts, requests and chat over Server-Sent
// Events. A file, not inline: the Content-Security-Policy forbids inline
// script. Text is set with textContent only, never as HTML.
"use strict";

function xmppLines(lines) {
  const ol = document.getElementById("lines");
  if (!ol) return;
  ol.replaceChildren();
  for (const l of lines || []) {
    const li = document.createElement("li");
    li.className = (l.in ? "in" : "out") + (l.held ? " held" : "") + (l.pending ? " pending" : "");
    li.textContent = l.body;
    ol.appendChild(li);
  }
}

function xmppAccount(a) {
  const st = document.getElementById("xmpp-status");
  if (st) st.textContent = a.status;
  for (const c of a.contacts || []) {
    const row = document.querySelector('#contacts tr[data-jid="' + CSS.escape(c.JID) + '"]');
    if (!row) { xmppStale(); continue; }
    row.querySelector(".presence").textContent = c.online ? "online" + (c.show ? " (" + c.show + ")" : "") : c.waiting ? "waiting for authorisation" : "offline";
    row.querySelector(".unread").textContent = c.unread ? String(c.unread) : "";
    row.querySelector(".name").textContent = c.Name || "";
    row.querySelector(".group").textContent = (c.Groups || []).join(" ");
  }
  const rows = document.querySelectorAll("#contacts tbody tr").length;
  const reqs = document.querySelectorAll("#requests li").length;
  const strangers = document.querySelectorAll("#strangers li").length;
  if (strangers !== Object.keys(a.strangers || {}).length) xmppStale();
  if (document.getElementById("contacts") && (rows !== (a.contacts || []).length || reqs !== (a.pending || []).length)) {
    xmppStale();
  }
}

// xmppStale reloads the contacts page when a contact or request came or
// went, unless the person is typing in one of its forms.
let reloading = false;
function xmppStale() {
  const f = document.activeElement;
  if (reloading || (f && (f.tagName === "INPUT" || f.tagName === "TEXTAREA") && f.value)) return;
  reloading = true;
  window.location.replace(window.location.pathname);
}

function xmppConnect() {
  const chat = document.getElementById("chat");
  const page = chat || document.getElementById("xmpp");
  if (!page) return;
  let url = "/xmpp/" + page.dataset.account + "/events";
  if (chat) url += "?with=" + encodeURIComponent(chat.dataset.with);
  const es = new EventSource(url);
  es.addEventListener("xmpp", (e) => {
    const m = JSON.parse(e.data);
    if (chat) xmppLines(m.lines); else xmppAccount(m.account);
    if (chat && m.otr && typeof otrShow === "function") otrShow(m.otr);
  });
  const form = document.getElementById("send-form");
  if (form) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      post(form.action, new FormData(form)).then((r) => {
        if (r.ok) { document.getElementById("body").value = ""; return; }
        return r.text().then((t) => {
          const doc = new DOMParser().parseFromString(t, "text/html");
          const err = doc.getElementById("error");
          let p = document.getElementById("error");
          if (!p) { p = document.createElement("p"); p.id = "error"; p.className = "error"; chat.prepend(p); }
          p.textContent = err ? err.textContent : t;
        });
      });
    });
  }
}

document.addEventListener("DOMContentLoaded", xmppConnect);
