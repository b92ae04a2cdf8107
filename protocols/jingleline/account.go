package jingleline

import (
	"context"
	"encoding/xml"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/protocols/jingle"
	"github.com/padlock-phone/padlock/protocols/xmpp"
)

// account is one XMPP account as the line uses it; owned by the loop,
// except sendq, which its sender goroutine drains in order (so a
// session-accept always leaves before the transport-info after it).
type account struct {
	d         *Driver
	name      string // bare JID
	c         Client
	eng       *jingle.Engine
	resources map[string]map[string]bool // contact bare JID -> online resources
	sendq     chan func(context.Context)
	ctx       context.Context
	cancel    context.CancelFunc
}

// replyWait bounds how long the XMPP reader waits for the loop's answer.
const replyWait = 5 * time.Second

func newAccount(d *Driver, name string, c Client) *account {
	self, _ := c.JID()
	a := &account{d: d, name: name, c: c, eng: jingle.NewEngine(self, nil), resources: map[string]map[string]bool{}, sendq: make(chan func(context.Context), 256)}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	go a.sender()
	c.HandleIQ(jingle.NS, "jingle", a.onJingle)
	c.HandleIQ(jingle.NSDiscoInfo, "query", a.onDisco)
	c.HandleMessage(jingle.NSMessage, a.onJMI)
	c.ObservePresence(a.onPresence)
	return a
}

func (a *account) stop() {
	a.cancel()
	a.c.DropHandlers()
}

func (a *account) sender() {
	for {
		select {
		case <-a.ctx.Done():
			return
		case f := <-a.sendq:
			f(a.ctx)
		}
	}
}

// queue adds a send; a full queue drops it (the peer's IQ timeouts then
// end the call) rather than blocking the loop.
func (a *account) queue(f func(context.Context)) {
	select {
	case a.sendq <- f:
	default:
		a.d.log.Warn("jingle send queue full: stanza dropped", "account", a.name)
	}
}

// send sends a Jingle IQ; a refusal or timeout is reported to the loop
// through failed (may be nil).
func (a *account) send(o jingle.Out, failed func(err error)) {
	b, err := o.Jingle.Marshal()
	if err != nil {
		a.d.log.Error("jingle stanza not written", "err", err)
		return
	}
	a.queue(func(ctx context.Context) {
		_, err := a.c.SendIQPayload(ctx, o.To, "set", b)
		if err != nil && failed != nil {
			a.d.post(func() { failed(err) })
		}
	})
}

// sendJMI sends an XEP-0353 element in a chat message (so servers store
// and carbon-copy it, as the XEP asks).
func (a *account) sendJMI(to string, m jingle.Message) {
	b, err := m.Marshal()
	if err != nil {
		return
	}
	a.queue(func(ctx context.Context) {
		if err := a.c.SendMessagePayload(ctx, to, "chat", b); err != nil {
			a.d.log.Warn("XEP-0353 message not sent", "to", to, "err", err)
		}
	})
}

// onJingle runs on the XMPP reader: parse there, decide on the loop.
func (a *account) onJingle(from, typ string, payload *xml.Decoder) ([]byte, []byte) {
	if typ != "set" {
		return nil, (&jingle.IQError{Type: "cancel", Condition: "bad-request", Text: "Jingle is sent in IQ set"}).Marshal()
	}
	j, err := jingle.Decode(payload)
	if err != nil {
		return nil, (&jingle.IQError{Type: "modify", Condition: "bad-request", Text: err.Error()}).Marshal()
	}
	reply := make(chan *jingle.IQError, 1)
	if !a.d.post(func() { reply <- a.receive(from, j) }) {
		return nil, (&jingle.IQError{Type: "cancel", Condition: "service-unavailable"}).Marshal()
	}
	select {
	case e := <-reply:
		if e != nil {
			return nil, e.Marshal()
		}
		return nil, nil
	case <-time.After(replyWait):
		return nil, (&jingle.IQError{Type: "wait", Condition: "internal-server-error", Text: "busy"}).Marshal()
	}
}

// receive gives the engine a stanza and acts on what comes out; on loop.
// The IQ's answer leaves before any stanza queued here, since the reader
// writes it as soon as this returns.
func (a *account) receive(from string, j *jingle.Jingle) *jingle.IQError {
	evs, outs, iqErr := a.eng.Receive(from, j)
	if iqErr != nil {
		a.d.log.Debug("jingle IQ refused", "from", from, "action", j.Action, "err", iqErr)
		return iqErr
	}
	for _, o := range outs {
		a.send(o, nil)
	}
	for _, ev := range evs {
		a.d.onEngineEvent(a, ev)
	}
	return nil
}

// onDisco answers disco#info (XEP-0030) with the Jingle features, so
// clients show a call button and pick XEP-0353.
// A query for the node#ver of our presence's caps (XEP-0115 §6.2) gets the
// same answer, naming that node.
func (a *account) onDisco(from, typ string, payload *xml.Decoder) ([]byte, []byte) {
	if typ != "get" {
		return nil, (&jingle.IQError{Type: "cancel", Condition: "bad-request"}).Marshal()
	}
	var q struct {
		Node string `xml:"node,attr"`
	}
	if err := payload.Decode(&q); err != nil {
		return nil, (&jingle.IQError{Type: "modify", Condition: "bad-request"}).Marshal()
	}
	return discoAnswer(q.Node)
}

// capsNode names Padlock in its caps (XEP-0115 §4).
const capsNode = "https://github.com/padlock-phone/padlock"

var (
	discoIdentity = xmpp.Identity{Category: "client", Type: "phone", Name: "Padlock"}
	discoFeatures = append([]string{jingle.NSDiscoInfo, xmpp.NSCaps}, jingle.Features...)
)

// Caps is the XEP-0115 element for an account's presence: its ver is the
// hash of exactly what onDisco answers.
func Caps() xmpp.Caps {
	return xmpp.Caps{Node: capsNode, Ver: xmpp.CapsVer([]xmpp.Identity{discoIdentity}, discoFeatures)}
}

// discoAnswer is the disco#info result for node ("" or our caps node#ver).
func discoAnswer(node string) ([]byte, []byte) {
	var b strings.Builder
	b.WriteString(`<query xmlns="` + jingle.NSDiscoInfo + `"`)
	if node != "" {
		if node != capsNode+"#"+Caps().Ver {
			return nil, (&jingle.IQError{Type: "cancel", Condition: "item-not-found"}).Marshal()
		}
		b.WriteString(` node="`)
		xml.EscapeText(&b, []byte(node))
		b.WriteString(`"`)
	}
	b.WriteString(`><identity category="` + discoIdentity.Category + `" type="` + discoIdentity.Type + `" name="` + discoIdentity.Name + `"/>`)
	for _, f := range discoFeatures {
		b.WriteString(`<feature var="` + f + `"/>`)
	}
	b.WriteString(`</query>`)
	return []byte(b.String()), nil
}

// onJMI runs on the XMPP reader for XEP-0353 elements.
func (a *account) onJMI(from, typ string, payload *xml.Decoder) {
	var raw struct {
		XMLName xml.Name
		ID      string `xml:"id,attr"`
		Desc    []struct {
			XMLName xml.Name
			Media   string `xml:"media,attr"`
		} `xml:",any"`
	}
	if err := payload.Decode(&raw); err != nil {
		return
	}
	m := jingle.Message{Kind: jingle.MessageKind(raw.XMLName.Local), ID: raw.ID}
	for _, d := range raw.Desc {
		if d.XMLName.Space == jingle.NSRTP && d.XMLName.Local == "description" && len(m.Media) < 4 {
			m.Media = append(m.Media, d.Media)
		}
	}
	if m.ID == "" || len(m.ID) > 256 {
		return
	}
	a.d.post(func() { a.d.onJMI(a, from, m) })
}

func (a *account) onPresence(from, typ string) {
	bare, res, ok := strings.Cut(from, "/")
	if !ok || res == "" {
		return
	}
	a.d.post(func() {
		switch typ {
		case "":
			if a.resources[bare] == nil {
				if len(a.resources) > 1024 {
					return
				}
				a.resources[bare] = map[string]bool{}
			}
			if len(a.resources[bare]) < 16 {
				a.resources[bare][res] = true
			}
		case "unavailable":
			delete(a.resources[bare], res)
		}
	})
}

// device is one of a contact's resources and what it says it can do.
type device struct {
	jid      string
	audio    bool // Jingle RTP audio over ICE-UDP
	jmi      bool // XEP-0353
	features map[string]bool
}

// discover asks each online resource of bare for its features; off the
// loop (it waits for answers).
func (a *account) discover(ctx context.Context, bare string, resources []string) []device {
	var out []device
	for _, r := range resources {
		full := bare + "/" + r
		d, err := a.c.SendIQPayload(ctx, full, "get", []byte(`<query xmlns="`+jingle.NSDiscoInfo+`"/>`))
		if err != nil {
			a.d.log.Debug("disco#info failed", "jid", full, "err", err)
			continue
		}
		var q struct {
			Features []struct {
				Var string `xml:"var,attr"`
			} `xml:"feature"`
		}
		if err := d.Decode(&q); err != nil {
			continue
		}
		dev := device{jid: full, features: map[string]bool{}}
		for _, f := range q.Features {
			if len(dev.features) < 256 {
				dev.features[f.Var] = true
			}
		}
		dev.audio = dev.features[jingle.NS] && dev.features[jingle.NSRTPAudio] && dev.features[jingle.NSICEUDP]
		dev.jmi = dev.features[jingle.NSMessage]
		out = append(out, dev)
	}
	return out
}
