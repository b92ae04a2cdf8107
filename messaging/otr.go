package messaging

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/padlock-phone/padlock/crypto/otr"
	"github.com/padlock-phone/padlock/store"
)

// Store kinds of the OTR secrets: the account's DSA key (with its instance
// tag) and, per contact (Name = bare JID), the fingerprint last seen and
// whether the person verified it.
const (
	KindOTRPrivate     = "otr-private"
	KindOTRFingerprint = "otr-fingerprint"
)

// Lock states of a conversation, as the chat page shows them.
const (
	LockPlaintext  = "plaintext"
	LockUnverified = "private-unverified"
	LockVerified   = "private-verified"
)

// ErrNoOTRKey refuses private messaging on an account without a key.
var ErrNoOTRKey = errors.New("this account has no OTR key yet: generate one on its contacts page")

// OTRState is what the chat page shows of a conversation's privacy.
type OTRState struct {
	Lock string `json:"lock"`
	// Fingerprint is the contact's key (5 groups of 8 hex digits), once
	// seen; Ours is the account's own.
	Fingerprint string `json:"fingerprint"`
	Ours        string `json:"ours"`
	// Changed holds the fingerprint the contact had before, when their key
	// changed: a warning (it may be a new device, or someone in between).
	Changed string `json:"changed"`
	SSID    string `json:"ssid"`
	// Held says why messages typed to the contact are held back, while
	// they are; Notice what last happened that the person should know.
	Held   string `json:"held"`
	Notice string `json:"notice"`
	// SMP is the state of buddy authentication: "", "asked" (the contact
	// asked a question: SMPQuestion), "running", "succeeded", "failed",
	// "aborted".
	SMP         string `json:"smp"`
	SMPQuestion string `json:"smpQuestion"`
}

// trust is the sealed per-contact fingerprint record.
type trust struct {
	Fingerprint string `json:"fingerprint"`
	Verified    bool   `json:"verified"`
}

// otrKey is an account's long-term key and persistent instance tag.
type otrKey struct {
	priv *otr.PrivateKey
	tag  uint32
	fp   string
}

// otrConv is the OTR state with one contact.
type otrConv struct {
	c       *otr.Conversation
	state   OTRState
	pending []Line // typed while not private, sent once it is
}

func marshalKey(k *otrKey) ([]byte, error) {
	b, err := k.priv.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint32(nil, k.tag), b...), nil
}

func unmarshalKey(b []byte) (*otrKey, error) {
	if len(b) < 5 {
		return nil, errors.New("stored OTR key is truncated")
	}
	k := &otrKey{priv: new(otr.PrivateKey), tag: binary.BigEndian.Uint32(b)}
	if err := k.priv.UnmarshalBinary(b[4:]); err != nil {
		return nil, fmt.Errorf("stored OTR key: %w", err)
	}
	k.fp = otr.FormatFingerprint(k.priv.Fingerprint())
	return k, nil
}

// KeyStatus is what the web admin shows of an account's OTR key.
type KeyStatus struct {
	// Fingerprint of the key, "" when there is none (or the vault is locked).
	Fingerprint string `json:"fingerprint"`
	Generating  bool   `json:"generating"`
	Err         string `json:"err"`
}

// OTRKey reports the account's key and whether one is being generated.
func (s *Service) OTRKey(ctx context.Context, id int64) KeyStatus {
	s.mu.Lock()
	st := s.keygen[id]
	s.mu.Unlock()
	if st.Generating {
		return st
	}
	k, err := s.loadKey(ctx, id)
	switch {
	case err == nil:
		st.Fingerprint = k.fp
	case !errors.Is(err, ErrNoOTRKey):
		st.Err = err.Error()
	}
	return st
}

// GenerateOTRKey makes a new DSA key for the account in the background
// (tens of milliseconds here, seconds on a Pi); OTRKey and Watch follow
// it. A new key replaces the old one: contacts will see a changed
// fingerprint, and running private conversations end.
func (s *Service) GenerateOTRKey(id int64) error {
	s.mu.Lock()
	if s.keygen[id].Generating {
		s.mu.Unlock()
		return nil
	}
	s.keygen[id] = KeyStatus{Generating: true}
	s.bg.Add(1)
	s.mu.Unlock()
	s.changed()
	go func() {
		defer s.bg.Done()
		err := s.generateKey(id)
		st := KeyStatus{}
		if err != nil {
			st.Err = "key generation failed: " + err.Error()
			s.cfg.Log.Warn("OTR key generation failed", "account", id, "err", err)
		}
		s.mu.Lock()
		s.keygen[id] = st
		s.mu.Unlock()
		s.changed()
	}()
	return nil
}

func (s *Service) generateKey(id int64) error {
	priv, err := otrGenerate(s)
	if err != nil {
		return err
	}
	// Keep the instance tag across a new key: it names this device.
	k := &otrKey{priv: priv, fp: otr.FormatFingerprint(priv.Fingerprint())}
	if old, err := s.loadKey(context.Background(), id); err == nil {
		k.tag = old.tag
	}
	for k.tag < 0x100 {
		var b [4]byte
		if _, err := s.rand().Read(b[:]); err != nil {
			return err
		}
		k.tag = binary.BigEndian.Uint32(b[:])
	}
	blob, err := marshalKey(k)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Store.PutKey(context.Background(), store.Key{AccountID: id, Kind: KindOTRPrivate, Blob: blob}); err != nil {
		return err
	}
	s.mu.Lock()
	s.keys[id] = k
	ac := s.accts[id]
	s.mu.Unlock()
	if ac != nil {
		ac.otrMu.Lock()
		clear(ac.convs) // they hold the old key
		ac.otrMu.Unlock()
	}
	return nil
}

// loadKey returns the account's key, from memory or the store.
func (s *Service) loadKey(ctx context.Context, id int64) (*otrKey, error) {
	s.mu.Lock()
	k := s.keys[id]
	s.mu.Unlock()
	if k != nil {
		return k, nil
	}
	sk, err := s.cfg.Store.Key(ctx, id, KindOTRPrivate, "")
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoOTRKey
	}
	if err != nil {
		return nil, fmt.Errorf("reading the OTR key: %w", err)
	}
	if k, err = unmarshalKey(sk.Blob); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.keys[id] = k
	s.mu.Unlock()
	return k, nil
}

// Trust is the stored fingerprint of a contact and whether it is verified.
func (s *Service) Trust(ctx context.Context, id int64, contact string) (fingerprint string, verified bool, err error) {
	t, err := s.trust(ctx, id, contact)
	return t.Fingerprint, t.Verified, err
}

func (s *Service) trust(ctx context.Context, id int64, contact string) (trust, error) {
	k, err := s.cfg.Store.Key(ctx, id, KindOTRFingerprint, contact)
	if errors.Is(err, store.ErrNotFound) {
		return trust{}, nil
	}
	if err != nil {
		return trust{}, err
	}
	var t trust
	if err := json.Unmarshal(k.Blob, &t); err != nil {
		return trust{}, fmt.Errorf("stored fingerprint of %s: %w", contact, err)
	}
	return t, nil
}

func (s *Service) setTrust(ctx context.Context, id int64, contact string, t trust) error {
	b, _ := json.Marshal(t)
	_, err := s.cfg.Store.PutKey(ctx, store.Key{AccountID: id, Kind: KindOTRFingerprint, Name: contact, Blob: b})
	return err
}

// conv returns the OTR conversation with a contact, making it. Call with
// ac.otrMu held.
func (s *Service) conv(ctx context.Context, ac *acct, contact string) (*otrConv, error) {
	if cv := ac.convs[contact]; cv != nil {
		return cv, nil
	}
	k, err := s.loadKey(ctx, ac.a.ID)
	if err != nil {
		return nil, err
	}
	// RequireEncryption is always on in the engine: Padlock itself decides
	// (Send) whether a plain message may go out when not private.
	c, err := otr.NewConversation(otr.Config{PrivateKey: k.priv, InstanceTag: k.tag, Rand: s.cfg.Rand,
		Policy: otr.Policy{AllowV2: true, AllowV3: true, RequireEncryption: true, WhitespaceStartAKE: true, ErrorStartAKE: true}})
	if err != nil {
		return nil, err
	}
	cv := &otrConv{c: c, state: OTRState{Lock: LockPlaintext, Ours: k.fp}}
	ac.convs[contact] = cv
	return cv, nil
}

func (s *Service) rand() io.Reader {
	if s.cfg.Rand != nil {
		return s.cfg.Rand
	}
	return cryptorand.Reader
}

func (s *Service) account(id int64) *acct {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accts[id]
}

// Private returns the privacy state of the conversation with a contact.
func (s *Service) Private(ctx context.Context, id int64, contact string) OTRState {
	ac := s.account(id)
	if ac != nil {
		ac.otrMu.Lock()
		defer ac.otrMu.Unlock()
	}
	if cv := ac.conv0(contact); cv != nil {
		st := cv.state
		if n := len(cv.pending); n > 0 {
			st.Held = fmt.Sprintf("%d message(s) held back: private messaging is required and the conversation is not private yet. Padlock asked %s to start OTR; a client without OTR never answers, and nothing is sent in clear.", n, contact)
		}
		return st
	}
	st := OTRState{Lock: LockPlaintext}
	if k, err := s.loadKey(ctx, id); err == nil {
		st.Ours = k.fp
	} else {
		st.Notice = err.Error()
	}
	return st
}

// wire sends protocol or data messages to the contact, in order.
func (s *Service) wire(ctx context.Context, ac *acct, contact string, msgs []string) error {
	if len(msgs) == 0 {
		return nil
	}
	c := s.client(ac.a.ID)
	if c == nil {
		return ErrNoAccount
	}
	for _, m := range msgs {
		if err := c.SendChat(ctx, contact, m); err != nil {
			return err
		}
	}
	return nil
}

// sendOTR sends a message typed by the person: encrypted when private;
// when not, held and OTR started (require) or sent in clear (not required).
func (s *Service) sendOTR(ctx context.Context, id int64, to, body string, require bool) error {
	ac := s.account(id)
	if ac == nil {
		return ErrNoAccount
	}
	ac.otrMu.Lock()
	defer ac.otrMu.Unlock()
	cv, err := s.conv(ctx, ac, to)
	if err != nil {
		if require {
			return fmt.Errorf("%w: %w", ErrPrivateRequired, err)
		}
		cv = nil
	}
	if cv == nil || (!require && !cv.c.IsEncrypted()) {
		if err := s.wire(ctx, ac, to, []string{body}); err != nil {
			return err
		}
		s.record(id, to, Line{Time: s.cfg.Now(), Body: body})
		return nil
	}
	msgs, err := cv.c.Send(body)
	if errors.Is(err, otr.ErrFinished) {
		// The contact ended the private conversation: start a new one.
		if _, err := cv.c.End(); err != nil {
			return err
		}
		cv.state.Lock = LockPlaintext
		msgs, err = cv.c.Send(body)
	}
	switch {
	case errors.Is(err, otr.ErrHeld):
		cv.pending = append(cv.pending, Line{Time: s.cfg.Now(), Body: body, Pending: true})
	case err != nil:
		return err
	default:
		defer s.record(id, to, Line{Time: s.cfg.Now(), Body: body})
	}
	return s.wire(ctx, ac, to, msgs)
}

// receiveOTR passes an incoming message through the contact's OTR
// conversation and records what is readable.
func (s *Service) receiveOTR(ac *acct, from, body string) {
	ctx := context.Background()
	ac.otrMu.Lock()
	cv, err := s.conv(ctx, ac, from)
	if err != nil {
		ac.otrMu.Unlock()
		if strings.HasPrefix(body, "?OTR") {
			s.cfg.Log.Info("OTR message from a contact, but no key", "account", ac.a.ID, "from", from, "why", err)
			return
		}
		s.incoming(ac, from, body)
		return
	}
	plain, toSend, events, err := cv.c.Receive(body)
	if err != nil {
		s.cfg.Log.Info("OTR message not usable", "account", ac.a.ID, "from", from, "err", err)
	}
	if werr := s.wire(ctx, ac, from, toSend); werr != nil {
		s.cfg.Log.Info("OTR reply not sent", "account", ac.a.ID, "to", from, "err", werr)
	}
	for _, ev := range events {
		s.otrEvent(ctx, ac, from, cv, ev)
	}
	ac.otrMu.Unlock()
	if plain != "" {
		s.incoming(ac, from, plain)
	}
	s.changed()
}

// incoming records a readable incoming message and counts it unread.
func (s *Service) incoming(ac *acct, from, body string) {
	s.mu.Lock()
	ac.unread[from]++
	s.mu.Unlock()
	s.record(ac.a.ID, from, Line{Time: s.cfg.Now(), In: true, Body: body})
	s.changed()
}

// otrEvent folds one engine event into the conversation state. Call with
// ac.otrMu held.
func (s *Service) otrEvent(ctx context.Context, ac *acct, from string, cv *otrConv, ev otr.Event) {
	id := ac.a.ID
	switch ev.Kind {
	case otr.WentSecure:
		fp := otr.FormatFingerprint(ev.Fingerprint)
		cv.state.Fingerprint, cv.state.SSID, cv.state.Lock = fp, otr.FormatSSID(ev.SSID), LockUnverified
		cv.state.SMP, cv.state.SMPQuestion, cv.state.Notice = "", "", ""
		t, err := s.trust(ctx, id, from)
		if err != nil {
			cv.state.Notice = "cannot read the stored fingerprint: " + err.Error()
			break
		}
		switch {
		case t.Fingerprint == fp && t.Verified:
			cv.state.Lock = LockVerified
		case t.Fingerprint != "" && t.Fingerprint != fp:
			// A changed key: warn and drop to unverified.
			cv.state.Changed = t.Fingerprint
		}
		if t.Fingerprint != fp {
			if err := s.setTrust(ctx, id, from, trust{Fingerprint: fp}); err != nil {
				cv.state.Notice = "cannot store the fingerprint: " + err.Error()
			}
		}
	case otr.HeldMessagesSent:
		for _, l := range cv.pending {
			l.Pending = false
			s.record(id, from, l)
		}
		cv.pending = nil
	case otr.WentInsecure:
		cv.state.Lock, cv.state.SSID = LockPlaintext, ""
		cv.state.Notice = from + " ended the private conversation; your next message starts a new one"
	case otr.SMPSecretNeeded:
		cv.state.SMP, cv.state.SMPQuestion = "asked", ev.Question
	case otr.SMPInProgress:
		if cv.state.SMP != "asked" {
			cv.state.SMP = "running"
		}
	case otr.SMPSucceeded:
		cv.state.SMP, cv.state.SMPQuestion = "succeeded", ""
		s.markVerified(ctx, id, from, cv)
	case otr.SMPFailed:
		cv.state.SMP, cv.state.SMPQuestion = "failed", ""
	case otr.SMPAborted:
		cv.state.SMP, cv.state.SMPQuestion = "aborted", ""
	case otr.UnencryptedReceived:
		if on, err := s.cfg.Store.Bool(ctx, store.RequirePrivateMessaging); err != nil || on {
			cv.state.Notice = from + " sent a message in clear (not private)"
		}
	case otr.ErrorReceived:
		cv.state.Notice = "OTR error from " + from + ": " + ev.Detail
	case otr.UnreadableReceived:
		cv.state.Notice = "a private message from " + from + " could not be read"
	}
}

func (s *Service) markVerified(ctx context.Context, id int64, contact string, cv *otrConv) {
	if cv.state.Fingerprint == "" {
		return
	}
	if err := s.setTrust(ctx, id, contact, trust{Fingerprint: cv.state.Fingerprint, Verified: true}); err != nil {
		cv.state.Notice = "cannot store the verification: " + err.Error()
		return
	}
	cv.state.Changed = ""
	if cv.c.IsEncrypted() {
		cv.state.Lock = LockVerified
	}
}

// StartOTR asks the contact to start a private conversation.
func (s *Service) StartOTR(ctx context.Context, id int64, contact string) error {
	return s.withConv(ctx, id, contact, func(cv *otrConv) ([]string, error) {
		return []string{cv.c.QueryMessage()}, nil
	})
}

// EndOTR ends the private conversation with the contact.
func (s *Service) EndOTR(ctx context.Context, id int64, contact string) error {
	return s.withConv(ctx, id, contact, func(cv *otrConv) ([]string, error) {
		msgs, err := cv.c.End()
		cv.state.Lock, cv.state.SSID, cv.state.SMP = LockPlaintext, "", ""
		return msgs, err
	})
}

// VerifyFingerprint records the person's comparison of the contact's
// fingerprint (read out of band): fingerprint must be the one in use.
func (s *Service) VerifyFingerprint(ctx context.Context, id int64, contact, fingerprint string, verified bool) error {
	return s.withConv(ctx, id, contact, func(cv *otrConv) ([]string, error) {
		if cv.state.Fingerprint == "" || !strings.EqualFold(strings.Join(strings.Fields(fingerprint), ""), strings.ReplaceAll(cv.state.Fingerprint, " ", "")) {
			return nil, errors.New("that is not the fingerprint of the current private conversation")
		}
		if verified {
			s.markVerified(ctx, id, contact, cv)
			return nil, nil
		}
		if cv.c.IsEncrypted() {
			cv.state.Lock = LockUnverified
		}
		return nil, s.setTrust(ctx, id, contact, trust{Fingerprint: cv.state.Fingerprint})
	})
}

// AuthenticateSMP runs the Socialist Millionaire Protocol: it starts it
// (with question, if not empty) or answers the contact's question.
func (s *Service) AuthenticateSMP(ctx context.Context, id int64, contact, question, secret string) error {
	if secret == "" {
		return errors.New("enter the answer or shared secret")
	}
	return s.withConv(ctx, id, contact, func(cv *otrConv) ([]string, error) {
		msgs, err := cv.c.Authenticate(question, []byte(secret))
		if err == nil {
			cv.state.SMP, cv.state.SMPQuestion = "running", ""
		}
		return msgs, err
	})
}

// AbortSMP stops a running authentication.
func (s *Service) AbortSMP(ctx context.Context, id int64, contact string) error {
	return s.withConv(ctx, id, contact, func(cv *otrConv) ([]string, error) {
		msgs, err := cv.c.AbortSMP()
		if err == nil {
			cv.state.SMP = "aborted"
		}
		return msgs, err
	})
}

func (s *Service) withConv(ctx context.Context, id int64, contact string, f func(*otrConv) ([]string, error)) error {
	ac := s.account(id)
	if ac == nil {
		return ErrNoAccount
	}
	ac.otrMu.Lock()
	cv, err := s.conv(ctx, ac, contact)
	if err == nil {
		var msgs []string
		msgs, err = f(cv)
		if err == nil {
			err = s.wire(ctx, ac, contact, msgs)
		}
	}
	ac.otrMu.Unlock()
	s.changed()
	return err
}

// conv0 is the conversation with a contact if there is one; call with
// ac.otrMu held (or ac nil).
func (ac *acct) conv0(contact string) *otrConv {
	if ac == nil {
		return nil
	}
	return ac.convs[contact]
}

// pendingLines are the messages typed to a contact and held back.
func (s *Service) pendingLines(id int64, contact string) []Line {
	ac := s.account(id)
	if ac == nil {
		return nil
	}
	ac.otrMu.Lock()
	defer ac.otrMu.Unlock()
	if cv := ac.convs[contact]; cv != nil {
		return append([]Line(nil), cv.pending...)
	}
	return nil
}

func otrGenerate(s *Service) (*otr.PrivateKey, error) { return otr.GenerateKey(s.cfg.Rand) }

// KnownFingerprint is a contact's OTR key as last seen, and its trust.
type KnownFingerprint struct {
	Contact     string `json:"contact"`
	Fingerprint string `json:"fingerprint"`
	Verified    bool   `json:"verified"`
}

// Fingerprints lists the contacts' fingerprints the account has seen.
func (s *Service) Fingerprints(ctx context.Context, id int64) ([]KnownFingerprint, error) {
	keys, err := s.cfg.Store.Keys(ctx, id, KindOTRFingerprint)
	if err != nil {
		return nil, err
	}
	var out []KnownFingerprint
	for _, k := range keys {
		var t trust
		if json.Unmarshal(k.Blob, &t) == nil {
			out = append(out, KnownFingerprint{Contact: k.Name, Fingerprint: t.Fingerprint, Verified: t.Verified})
		}
	}
	return out, nil
}
