// Padlock web admin: live contacts, requests and chat over Server-Sent
// Events. A file, not inline: the Content-Security-Policy forbids inline
// script. Text is set with textContent only, never as HTML.
"use strict";

// lineTime is a chat line's time element, in UTC with the zone said, as
// the server writes it; null for a line without a time.
function lineTime(iso) {
  const d = new Date(iso || "");
  if (isNaN(d) || d.getUTCFullYear() < 2) return null;
  const t = document.createElement("time");
  t.dateTime = d.toISOString().slice(0, 19) + "Z";
  t.textContent = d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  return t;
}

function xmppLines(lines) {
  const ol = document.getElementById("lines");
  if (!ol) return;
  const with_ = document.getElementById("chat").dataset.with || "";
  ol.replaceChildren();
  for (const l of lines || []) {
    const li = document.createElement("li");
    li.className = (l.in ? "in" : "out") + (l.held ? " held" : "") + (l.pending ? " pending" : "");
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = l.in ? with_ : "You";
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = l.body;
    li.append(who, " ");
    const t = lineTime(l.time);
    if (t) li.append(t, " ");
    li.append(body);
    ol.appendChild(li);
  }
}

// xmppAccount shows the account a; only the contacts in changed are
// redrawn, the rest of the page is checked against a's counts.
function xmppAccount(a, changed) {
  const st = document.getElementById("xmpp-status");
  if (st) st.textContent = a.status;
  for (const c of changed) {
    const row = document.querySelector('#contacts tr[data-jid="' + CSS.escape(c.JID) + '"]');
    if (!row) { xmppStale(); continue; }
    row.querySelector(".presence").textContent = c.online ? "online" + (c.show ? " (" + c.show + ")" : "") : c.waiting ? "waiting for authorisation" : "offline";
    row.querySelector(".unread").textContent = c.unread ? String(c.unread) : "";
    row.querySelector(".name").textContent = c.Name || "";
    row.querySelector(".group").textContent = (c.Groups || []).join(" ");
    const call = row.querySelector(".call-contact");
    if (call) call.hidden = !c.callable; // a device of theirs takes Jingle audio calls
  }
  const rows = document.querySelectorAll("#contacts tbody tr").length;
  const reqs = document.querySelectorAll("#requests li").length;
  const strangers = document.querySelectorAll("#strangers li").length;
  if (strangers !== Object.keys(a.strangers || {}).length) xmppStale();
  if (document.getElementById("contacts") && (rows !== (a.contacts || []).length || reqs !== (a.pending || []).length)) {
    xmppStale();
  }
  const rooms = document.querySelectorAll("#rooms li").length;
  const invs = document.querySelectorAll("#invitations li").length;
  if (document.getElementById("rooms") && (rooms !== (a.rooms || []).length || invs !== (a.invitations || []).length)) {
    xmppStale();
  }
}

// xmppStale reloads the contacts page when a contact or request came or
// went, unless the person is typing in one of its forms.
let reloading = false;
// A form being submitted navigates by itself: a reload now would cancel it.
document.addEventListener("submit", (e) => { if (!e.defaultPrevented) reloading = true; });
function xmppStale() {
  const f = document.activeElement;
  if (reloading || (f && (f.tagName === "INPUT" || f.tagName === "TEXTAREA") && f.value)) return;
  reloading = true;
  const pg = new URLSearchParams(window.location.search).get("page"); // the same page of contacts
  window.location.replace(window.location.pathname + (pg ? "?page=" + encodeURIComponent(pg) : ""));
}

// xmppRoom shows a room's occupants, state and messages (with nicknames).
function xmppRoom(r, lines) {
  const st = document.getElementById("room-status");
  if (st) st.textContent = r.status || "not in the room";
  const ul = document.getElementById("occupants");
  ul.replaceChildren();
  for (const o of r.occupants || []) {
    const li = document.createElement("li");
    li.dataset.nick = o.nick;
    li.textContent = o.nick + (o.role ? " (" + o.role + ")" : "") + (o.show ? ": " + o.show : "");
    ul.appendChild(li);
  }
  const ol = document.getElementById("lines");
  ol.replaceChildren();
  for (const l of lines || []) {
    const li = document.createElement("li");
    li.className = (l.in ? "in" : "out") + (l.held ? " held" : "");
    const b = document.createElement("b");
    b.className = "nick";
    b.textContent = l.nick || "";
    const span = document.createElement("span");
    span.className = "body";
    span.textContent = l.body;
    li.append(b, " ", span);
    ol.appendChild(li);
  }
}

// model is what the stream has said so far: the first event holds it all,
// each later one only what changed (webadmin/xmppdelta.go).
const model = { account: {}, contacts: new Map(), lines: [] };

function xmppApply(m) {
  if (m.account) Object.assign(model.account, m.account);
  for (const c of m.contacts || []) model.contacts.set(c.JID, c);
  for (const j of m.gone || []) model.contacts.delete(j);
  if (m.lines) {
    if (m.lines.replace) model.lines = m.lines.add || [];
    else { model.lines.splice(0, m.lines.drop || 0); model.lines.push(...(m.lines.add || [])); }
  }
  if (m.room) model.room = m.room;
}

function xmppConnect() {
  const chat = document.getElementById("chat");
  const room = document.getElementById("room");
  const page = chat || room || document.getElementById("xmpp");
  if (!page) return;
  let url = "/xmpp/" + page.dataset.account + "/events";
  if (chat) url += "?with=" + encodeURIComponent(chat.dataset.with);
  if (room) url += "?room=" + encodeURIComponent(room.dataset.room);
  if (!chat && !room && page.dataset.page) url += "?page=" + encodeURIComponent(page.dataset.page);
  const es = new EventSource(url);
  es.addEventListener("xmpp", (e) => {
    const m = JSON.parse(e.data);
    xmppApply(m);
    if (room) { if (model.room && (m.room || m.lines)) xmppRoom(model.room, model.lines); }
    else if (chat) { if (m.lines) xmppLines(model.lines); }
    else xmppAccount(Object.assign({}, model.account, { contacts: [...model.contacts.values()] }), m.contacts || []);
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
          if (!p) { p = document.createElement("p"); p.id = "error"; p.className = "error"; page.prepend(p); }
          p.textContent = err ? err.textContent : t;
        });
      });
    });
  }
}

document.addEventListener("DOMContentLoaded", xmppConnect);
