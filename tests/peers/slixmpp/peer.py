#!/usr/bin/python3
"""The other person in Padlock's XMPP tests: a slixmpp client driven by the
Go helper (tests/peers/slixmpp) over stdin/stdout, one JSON object a line.

Usage: peer.py JID PASSWORD HOST:PORT CAFILE [check]
PEER_FEATURES (space-separated) are extra disco#info features to advertise.

Out (stdout): {"event": ...} for what the client sees: "online", "auth_failed",
"message", "presence", "subscribe", "roster", "groupchat", "muc_presence",
"invite", "subject", "done", "error" (with "error" text).
In (stdin): {"cmd": ...}: "send", "subscribe", "authorize", "deny", "join",
"leave", "groupchat", "invite", "add", "quit".
With "check" it only logs in, reports "online" or "auth_failed", and exits.
"""
import asyncio
import json
import logging
import os
import sys

import slixmpp

logging.basicConfig(level=logging.ERROR, stream=sys.stderr)


def out(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, cafile, check):
        super().__init__(jid, password)
        self.ssl_context.load_verify_locations(cafile)
        self.check = check
        self.pending = b""
        for p in ("xep_0030", "xep_0045", "xep_0199", "xep_0249"):
            self.register_plugin(p)
        # PEER_CAPS=1: check every entity-capabilities hash (XEP-0115) seen
        # in presence with slixmpp's own code: ask the node#ver and hash the
        # answer; reported as a "caps" event (body: the ver sent, reason:
        # the ver slixmpp computed from the disco#info answer).
        self.check_caps = os.environ.get("PEER_CAPS") == "1"
        if self.check_caps:
            self.register_plugin("xep_0004")
            self.register_plugin("xep_0115")
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("connection_failed", lambda e: self.fail("connection failed: %s" % e))
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("groupchat_message", self.on_groupchat)
        self.add_event_handler("groupchat_presence", self.on_muc_presence)
        self.add_event_handler("groupchat_subject", self.on_subject)
        self.add_event_handler("groupchat_direct_invite", self.on_invite)
        self.add_event_handler("presence_subscribe", self.on_subscribe)
        self.add_event_handler("roster_update", self.on_roster)
        self.add_event_handler("changed_status", self.on_presence)
        self.auto_authorize = None  # answered by commands only
        self.auto_subscribe = False

    def fail(self, msg):
        out(event="error", error=str(msg))

    async def on_start(self, _):
        if self.check:
            out(event="online", jid=str(self.boundjid))
            self.disconnect()
            return
        # Features go on the bound full JID (disco answers per JID), so
        # only after binding, and before the presence that makes us seen.
        for f in os.environ.get("PEER_FEATURES", "").split():
            self["xep_0030"].add_feature(f, jid=self.boundjid)
        await self.get_roster()
        # Online only once the server reflected our presence: before that
        # it does not route messages to this session (RFC 6121 4.2.2).
        echoed = asyncio.get_event_loop().create_future()

        def on_own(pres):
            if pres["from"] == self.boundjid and not echoed.done():
                echoed.set_result(True)
        self.add_event_handler("presence_available", on_own)
        self.send_presence()
        try:
            await asyncio.wait_for(echoed, 10)
        except asyncio.TimeoutError:
            out(event="error", error="the server did not reflect our presence within 10 s")
        self.del_event_handler("presence_available", on_own)
        out(event="online", jid=str(self.boundjid))
        asyncio.get_event_loop().add_reader(sys.stdin.fileno(), self.on_stdin)

    def on_failed_auth(self, _):
        out(event="auth_failed")
        self.disconnect()

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal") and msg["body"]:
            out(event="message", **{"from": msg["from"].bare, "body": msg["body"], "id": msg["id"]})
        elif msg["type"] == "error":
            out(event="message_error", **{"from": str(msg["from"]), "condition": msg["error"]["condition"]})

    def on_groupchat(self, msg):
        if msg["body"]:
            out(event="groupchat", room=msg["from"].bare, nick=msg["mucnick"], body=msg["body"],
                delayed=bool(msg["delay"]["stamp"]))

    def on_muc_presence(self, pres):
        out(event="muc_presence", room=pres["from"].bare, nick=pres["from"].resource, type=pres["type"])

    def on_subject(self, msg):
        out(event="subject", room=msg["from"].bare, subject=msg["subject"])

    def on_invite(self, msg):
        inv = msg["groupchat_invite"]
        out(event="invite", **{"from": msg["from"].bare, "room": str(inv["jid"]), "reason": inv["reason"]})

    def on_subscribe(self, pres):
        out(event="subscribe", **{"from": pres["from"].bare})

    def on_roster(self, iq):
        items = []
        for j, it in iq["roster"]["items"].items():
            items.append({"jid": str(j), "name": it["name"], "subscription": it["subscription"],
                          "ask": it["ask"], "groups": sorted(it["groups"])})
        out(event="roster", items=items)

    def on_presence(self, pres):
        if pres["type"] in ("available", "unavailable", "away", "chat", "dnd", "xa"):
            out(event="presence", **{"from": pres["from"].bare, "resource": pres["from"].resource,
                                     "type": pres["type"], "status": pres["status"]})
        if self.check_caps and pres["type"] != "unavailable" and pres["caps"]["ver"]:
            asyncio.ensure_future(self.verify_caps(pres))

    async def verify_caps(self, pres):
        c = pres["caps"]
        try:
            iq = await self["xep_0030"].get_info(jid=pres["from"], node=c["node"] + "#" + c["ver"], cached=False)
            got = self["xep_0115"].generate_verstring(iq["disco_info"], c["hash"])
        except Exception as e:
            got = "disco#info failed: %s" % e
        out(event="caps", **{"from": str(pres["from"]), "body": c["ver"], "reason": got or ""})

    def on_stdin(self):
        # Read the fd itself: a buffered readline could keep a second
        # command in Python's buffer while the fd no longer looks readable.
        data = os.read(sys.stdin.fileno(), 65536)
        if not data:
            asyncio.get_event_loop().remove_reader(sys.stdin.fileno())
            self.disconnect()
            return
        self.pending += data
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            try:
                self.command(json.loads(line))
            except Exception as e:  # a bad command is the test's bug: say so
                self.fail("command %r: %s" % (line.strip(), e))

    def command(self, c):
        cmd = c["cmd"]
        if cmd == "send":
            self.send_message(mto=c["to"], mbody=c["body"], mtype=c.get("type", "chat"))
        elif cmd == "subscribe":
            self.send_presence(pto=c["to"], ptype="subscribe")
        elif cmd == "authorize":
            self.send_presence(pto=c["to"], ptype="subscribed")
        elif cmd == "deny":
            self.send_presence(pto=c["to"], ptype="unsubscribed")
        elif cmd == "add":
            asyncio.ensure_future(self.add(c))
        elif cmd == "join":
            asyncio.ensure_future(self.join(c))
        elif cmd == "leave":
            self.plugin["xep_0045"].leave_muc(c["room"], c["nick"])
            out(event="done", cmd="leave", room=c["room"])
        elif cmd == "groupchat":
            self.send_message(mto=c["room"], mbody=c["body"], mtype="groupchat")
        elif cmd == "invite":
            self.plugin["xep_0249"].send_invitation(c["to"], c["room"], reason=c.get("reason"))
            out(event="done", cmd="invite", room=c["room"])
        elif cmd == "quit":
            self.disconnect()
        else:
            self.fail("unknown command %r" % cmd)

    async def add(self, c):
        try:
            await self.update_roster(c["jid"], name=c.get("name", ""), groups=c.get("groups", []))
            out(event="done", cmd="add", jid=c["jid"])
        except Exception as e:
            self.fail("add %s: %s" % (c["jid"], e))

    async def join(self, c):
        muc = self.plugin["xep_0045"]
        try:
            await muc.join_muc_wait(c["room"], c["nick"], password=c.get("password") or None,
                                    maxchars=0, timeout=15)
        except Exception as e:
            out(event="join_failed", room=c["room"], error="%s %s" % (type(e).__name__, e))
            return
        if c.get("configure"):
            # A new room stays locked until it is configured (XEP-0045 §10.1.2).
            try:
                form = await muc.get_room_config(c["room"])
                values = {"muc#roomconfig_persistentroom": True}
                if c.get("password"):
                    values["muc#roomconfig_passwordprotectedroom"] = True
                    values["muc#roomconfig_roomsecret"] = c["password"]
                for k, v in values.items():
                    if k in form["fields"]:
                        form["fields"][k]["value"] = v
                form["type"] = "submit"
                await muc.set_room_config(c["room"], form)
            except Exception as e:
                out(event="join_failed", room=c["room"], error="configure: %s" % e)
                return
        out(event="joined", room=c["room"], nick=c["nick"])


def main():
    jid, password, addr, cafile = sys.argv[1:5]
    check = len(sys.argv) > 5 and sys.argv[5] == "check"
    host, port = addr.rsplit(":", 1)
    p = Peer(jid, password, cafile, check)
    p.connect(address=(host, int(port)), force_starttls=True)
    loop = asyncio.get_event_loop()
    p.add_event_handler("disconnected", lambda _: loop.stop())
    loop.run_forever()
    out(event="exit")


if __name__ == "__main__":
    main()
