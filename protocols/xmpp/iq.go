package xmpp

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"sync"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// This file lets other protocols ride on an account's session (Jingle
// calls): handlers for IQs and message payloads by namespace, a presence
// observer, and sending raw payloads. Payloads travel as XML bytes so the
// other protocol keeps its own encoding/xml types.

// IQHandler answers an IQ get or set whose payload it registered for. It
// runs on the session's reading goroutine: it may decode and wait briefly
// for its own loop, but must never send through the Client (the reply
// would wait behind it). It returns the result's payload (nil for an empty
// result) or, if errElem is not nil, the <error/> element to answer with.
type IQHandler = func(from, typ string, payload *xml.Decoder) (result, errElem []byte)

// MessageHandler gets a <message/> child in its namespace; same goroutine
// rules as IQHandler.
type MessageHandler = func(from, typ string, payload *xml.Decoder)

// PresenceObserver sees every presence stanza's sender and type ("" for
// available); it must return at once.
type PresenceObserver = func(from, typ string)

// maxExtensionStanza bounds what is buffered for an extension handler.
const maxExtensionStanza = 256 << 10

type extensions struct {
	mu       sync.Mutex
	iq       map[xml.Name]IQHandler
	msg      map[string]MessageHandler // by namespace
	presence []PresenceObserver
}

var extByClient sync.Map // *Client -> *extensions

func (c *Client) ext() *extensions {
	e, _ := extByClient.LoadOrStore(c, &extensions{iq: map[xml.Name]IQHandler{}, msg: map[string]MessageHandler{}})
	return e.(*extensions)
}

// HandleIQ routes IQ gets and sets whose payload is the element space/local
// to h. Register before the first stanza arrives (right after Dial).
func (c *Client) HandleIQ(space, local string, h IQHandler) {
	e := c.ext()
	e.mu.Lock()
	e.iq[xml.Name{Space: space, Local: local}] = h
	e.mu.Unlock()
}

// HandleMessage routes message children in namespace space to h. The
// message is still seen by the chat code as usual.
func (c *Client) HandleMessage(space string, h MessageHandler) {
	e := c.ext()
	e.mu.Lock()
	e.msg[space] = h
	e.mu.Unlock()
}

// ObservePresence adds a presence observer.
func (c *Client) ObservePresence(o PresenceObserver) {
	e := c.ext()
	e.mu.Lock()
	e.presence = append(e.presence, o)
	e.mu.Unlock()
}

func (e *extensions) empty() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.iq) == 0 && len(e.msg) == 0 && len(e.presence) == 0
}

// tokenReplay is a stanza's tokens read once, replayed to each reader.
type tokenReplay struct {
	toks []xml.Token
	i    int
}

func (r *tokenReplay) Token() (xml.Token, error) {
	if r.i >= len(r.toks) {
		return nil, io.EOF
	}
	t := r.toks[r.i]
	r.i++
	return t, nil
}

// replayEncoder reads a replay and writes to the session.
type replayEncoder struct {
	xmlstream.TokenReadEncoder
	r *tokenReplay
}

func (r replayEncoder) Token() (xml.Token, error) { return r.r.Token() }

// extend runs the registered extensions on a stanza. It returns the
// reader the built-in handler should use (a replay when the stanza was
// buffered) and whether an extension answered the stanza already.
func (c *Client) extend(t xmlstream.TokenReadEncoder, start *xml.StartElement) (xmlstream.TokenReadEncoder, bool, error) {
	v, ok := extByClient.Load(c)
	if !ok {
		return t, false, nil
	}
	e := v.(*extensions)
	if e.empty() {
		return t, false, nil
	}
	toks, err := bufferStanza(t)
	if err != nil {
		return nil, false, err
	}
	from, typ, id := attrOf(start, "from"), attrOf(start, "type"), attrOf(start, "id")
	again := replayEncoder{TokenReadEncoder: t, r: &tokenReplay{toks: toks}}
	switch start.Name.Local {
	case "presence":
		e.mu.Lock()
		obs := append([]PresenceObserver(nil), e.presence...)
		e.mu.Unlock()
		for _, o := range obs {
			o(from, typ)
		}
	case "message":
		for _, ch := range children(toks) {
			e.mu.Lock()
			h := e.msg[ch.Name.Space]
			e.mu.Unlock()
			if h != nil {
				h(from, typ, childDecoder(toks, ch))
			}
		}
	case "iq":
		if typ != "get" && typ != "set" {
			break
		}
		chs := children(toks)
		if len(chs) != 1 {
			break
		}
		e.mu.Lock()
		h := e.iq[chs[0].Name]
		e.mu.Unlock()
		if h == nil {
			break
		}
		result, errElem := h(from, typ, childDecoder(toks, chs[0]))
		var to jid.JID
		if from != "" {
			to, _ = jid.Parse(from)
		}
		reply := stanza.IQ{ID: id, Type: stanza.ResultIQ, To: to}.Wrap(rawTokens(result))
		if errElem != nil {
			reply = stanza.IQ{ID: id, Type: stanza.ErrorIQ, To: to}.Wrap(rawTokens(errElem))
		}
		_, err := xmlstream.Copy(t, reply)
		return nil, true, err
	}
	return again, false, nil
}

func attrOf(start *xml.StartElement, local string) string {
	for _, a := range start.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// bufferStanza reads the rest of the stanza (the start element was
// already read): its inner tokens and its end element.
func bufferStanza(t xml.TokenReader) ([]xml.Token, error) {
	var toks []xml.Token
	size := 0
	for {
		tok, err := t.Token()
		if err == io.EOF {
			return toks, nil
		}
		if err != nil {
			return nil, err
		}
		tok = xml.CopyToken(tok)
		switch x := tok.(type) {
		case xml.CharData:
			size += len(x)
		case xml.StartElement:
			size += 32 + len(x.Name.Local)
			for _, a := range x.Attr {
				size += len(a.Value) + len(a.Name.Local)
			}
		}
		if size > maxExtensionStanza {
			return nil, fmt.Errorf("xmpp: stanza larger than %d bytes", maxExtensionStanza)
		}
		toks = append(toks, tok)
	}
}

type childRef struct {
	Name  xml.Name
	index int
}

// children lists the top-level child elements of a stanza's inner tokens.
func children(toks []xml.Token) []childRef {
	var out []childRef
	depth := 0
	for i, tok := range toks {
		switch x := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				out = append(out, childRef{Name: x.Name, index: i})
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return out
}

// childDecoder decodes one child, its start element first.
func childDecoder(toks []xml.Token, ch childRef) *xml.Decoder {
	depth, end := 0, len(toks)
	for i := ch.index; i < len(toks); i++ {
		switch toks[i].(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
		if depth == 0 {
			end = i + 1
			break
		}
	}
	return xml.NewTokenDecoder(&tokenReplay{toks: toks[ch.index:end]})
}

// rawTokens reads XML bytes as tokens without resolving namespaces, so
// the session's encoder writes the xmlns attributes as they are.
func rawTokens(b []byte) xml.TokenReader {
	if len(b) == 0 {
		return nil
	}
	return rawReader{xml.NewDecoder(bytes.NewReader(b))}
}

type rawReader struct{ d *xml.Decoder }

func (r rawReader) Token() (xml.Token, error) { return r.d.RawToken() }

// JID is the account's full JID on the live session.
func (c *Client) JID() (string, error) {
	s, err := c.session()
	if err != nil {
		return "", err
	}
	return s.LocalAddr().String(), nil
}

// SendIQPayload sends an IQ of type typ ("get" or "set") to to with one
// payload and waits for the answer: a decoder over the result's payload
// (empty for an empty result), or a *RefusedError for an error answer. It
// must not be called from a handler.
func (c *Client) SendIQPayload(ctx context.Context, to, typ string, payload []byte) (*xml.Decoder, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	j, err := jid.Parse(to)
	if err != nil {
		return nil, fmt.Errorf("xmpp: address %q: %w", to, err)
	}
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	resp, err := s.SendIQ(ctx, stanza.IQ{To: j, Type: stanza.IQType(typ)}.Wrap(rawTokens(payload)))
	if err != nil {
		return nil, err
	}
	defer resp.Close()
	tok, err := resp.Token()
	if err != nil {
		return nil, err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return nil, fmt.Errorf("unexpected %T in IQ response", tok)
	}
	toks, err := bufferStanza(resp)
	if err != nil {
		return nil, err
	}
	chs := children(toks)
	if attrOf(&start, "type") == "error" {
		e := &RefusedError{Condition: "undefined-condition"}
		for _, ch := range chs {
			if ch.Name.Local != "error" {
				continue
			}
			var se stanzaError
			if err := childDecoder(toks, ch).Decode(&se); err == nil {
				e.Condition, e.Text = se.condition()
			}
		}
		return nil, e
	}
	if len(chs) == 0 {
		return xml.NewTokenDecoder(&tokenReplay{}), nil
	}
	return childDecoder(toks, chs[0]), nil
}

// SendMessagePayload sends a <message/> of type typ (may be empty) to to
// carrying payload.
func (c *Client) SendMessagePayload(ctx context.Context, to, typ string, payload []byte) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	j, err := jid.Parse(to)
	if err != nil {
		return fmt.Errorf("xmpp: address %q: %w", to, err)
	}
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	return s.Send(ctx, stanza.Message{To: j, Type: stanza.MessageType(typ)}.Wrap(rawTokens(payload)))
}

// DropHandlers forgets every handler and observer registered on c (when
// the protocol riding on it stops, or c is closed for good).
func (c *Client) DropHandlers() { extByClient.Delete(c) }
