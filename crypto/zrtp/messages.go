package zrtp

import (
	"encoding/binary"
	"fmt"
)

// Hello is the discovery message (RFC 6189 §5.2).
type Hello struct {
	Version  [4]byte  // "1.10"
	ClientID [16]byte // free text, space padded
	H3       [32]byte // top of the sender's hash chain
	ZID      [12]byte
	// Flags: S signature capable, M MiTM (PBX), P passive.
	Signature, MiTM, Passive bool
	// Algorithm lists, at most 7 each, in the sender's preference order.
	Hashes, Ciphers, AuthTags, KeyAgreements, SASTypes []Algo
	MAC                                                [8]byte // keyed with H2
}

// Type implements Message.
func (*Hello) Type() MessageType { return MsgHello }

const helloFixedLen = 4 + 16 + 32 + 12 + 4 // before the algorithm lists

func (h *Hello) appendBody(b []byte) []byte {
	b = append(b, h.Version[:]...)
	b = append(b, h.ClientID[:]...)
	b = append(b, h.H3[:]...)
	b = append(b, h.ZID[:]...)
	var f0 byte
	if h.Signature {
		f0 |= 0x40
	}
	if h.MiTM {
		f0 |= 0x20
	}
	if h.Passive {
		f0 |= 0x10
	}
	b = append(b, f0, byte(len(h.Hashes)&0xf),
		byte(len(h.Ciphers)&0xf)<<4|byte(len(h.AuthTags)&0xf),
		byte(len(h.KeyAgreements)&0xf)<<4|byte(len(h.SASTypes)&0xf))
	for _, list := range [][]Algo{h.Hashes, h.Ciphers, h.AuthTags, h.KeyAgreements, h.SASTypes} {
		for _, a := range list {
			b = append(b, a[:]...)
		}
	}
	return append(b, h.MAC[:]...)
}

func parseHello(body []byte) (*Hello, error) {
	if len(body) < helloFixedLen+macLen {
		return nil, wrongLen(MsgHello, len(body), fmt.Sprintf("at least %d", helloFixedLen+macLen))
	}
	h := &Hello{}
	copy(h.Version[:], body[0:4])
	copy(h.ClientID[:], body[4:20])
	copy(h.H3[:], body[20:52])
	copy(h.ZID[:], body[52:64])
	f := body[64:68]
	h.Signature = f[0]&0x40 != 0
	h.MiTM = f[0]&0x20 != 0
	h.Passive = f[0]&0x10 != 0
	counts := []int{int(f[1] & 0xf), int(f[2] >> 4), int(f[2] & 0xf), int(f[3] >> 4), int(f[3] & 0xf)}
	total := 0
	for _, c := range counts {
		if c > 7 {
			return nil, fmt.Errorf("%w: Hello lists %d algorithms of one kind, at most 7 allowed", ErrMalformed, c)
		}
		total += c
	}
	if want := helloFixedLen + 4*total + macLen; len(body) != want {
		return nil, wrongLen(MsgHello, len(body), fmt.Sprint(want))
	}
	p := helloFixedLen
	lists := make([][]Algo, 5)
	for i, c := range counts {
		for range c {
			lists[i] = append(lists[i], Algo(body[p:p+4]))
			p += 4
		}
	}
	h.Hashes, h.Ciphers, h.AuthTags, h.KeyAgreements, h.SASTypes = lists[0], lists[1], lists[2], lists[3], lists[4]
	copy(h.MAC[:], body[p:])
	return h, nil
}

// Ack is a message that is only a header: HelloACK, Conf2ACK, ErrorACK,
// ClearACK.
type Ack struct{ Of MessageType }

// Type implements Message.
func (a Ack) Type() MessageType          { return a.Of }
func (a Ack) appendBody(b []byte) []byte { return b }

// Commit starts key agreement (RFC 6189 §5.4). In DH mode it carries hvi;
// in Multistream mode a nonce; in Preshared mode a nonce and a key ID.
type Commit struct {
	H2                                       [32]byte
	ZID                                      [12]byte
	Hash, Cipher, AuthTag, KeyAgreement, SAS Algo
	HVI                                      [32]byte // DH mode
	Nonce                                    [16]byte // Mult and Prsh
	KeyID                                    [8]byte  // Prsh
	MAC                                      [8]byte  // keyed with H1
}

// Type implements Message.
func (*Commit) Type() MessageType { return MsgCommit }

const commitFixedLen = 32 + 12 + 5*4

func (c *Commit) appendBody(b []byte) []byte {
	b = append(b, c.H2[:]...)
	b = append(b, c.ZID[:]...)
	for _, a := range []Algo{c.Hash, c.Cipher, c.AuthTag, c.KeyAgreement, c.SAS} {
		b = append(b, a[:]...)
	}
	switch c.KeyAgreement {
	case KeyMult:
		b = append(b, c.Nonce[:]...)
	case KeyPrsh:
		b = append(b, c.Nonce[:]...)
		b = append(b, c.KeyID[:]...)
	default:
		b = append(b, c.HVI[:]...)
	}
	return append(b, c.MAC[:]...)
}

func parseCommit(body []byte) (*Commit, error) {
	if len(body) < commitFixedLen+macLen {
		return nil, wrongLen(MsgCommit, len(body), "at least 72")
	}
	c := &Commit{}
	copy(c.H2[:], body[0:32])
	copy(c.ZID[:], body[32:44])
	c.Hash = Algo(body[44:48])
	c.Cipher = Algo(body[48:52])
	c.AuthTag = Algo(body[52:56])
	c.KeyAgreement = Algo(body[56:60])
	c.SAS = Algo(body[60:64])
	rest := body[commitFixedLen:]
	var variable int
	switch c.KeyAgreement {
	case KeyMult:
		variable = 16
	case KeyPrsh:
		variable = 24
	default:
		variable = 32
	}
	if len(rest) != variable+macLen {
		return nil, wrongLen(MsgCommit, len(body), fmt.Sprintf("%d for key agreement %q", commitFixedLen+variable+macLen, c.KeyAgreement))
	}
	switch c.KeyAgreement {
	case KeyMult:
		copy(c.Nonce[:], rest)
	case KeyPrsh:
		copy(c.Nonce[:], rest)
		copy(c.KeyID[:], rest[16:])
	default:
		copy(c.HVI[:], rest)
	}
	copy(c.MAC[:], rest[variable:])
	return c, nil
}

// DHPart is DHPart1 (from the responder) or DHPart2 (from the initiator),
// RFC 6189 §5.5-§5.6. The secret IDs are those of the sender's role.
type DHPart struct {
	Part                                   int // 1 or 2
	H1                                     [32]byte
	RS1ID, RS2ID, AuxSecretID, PBXSecretID [8]byte
	PV                                     []byte  // public value, length set by the key agreement
	MAC                                    [8]byte // keyed with H0
}

// Type implements Message.
func (d *DHPart) Type() MessageType {
	if d.Part == 1 {
		return MsgDHPart1
	}
	return MsgDHPart2
}

const dhPartFixedLen = 32 + 4*8

func (d *DHPart) appendBody(b []byte) []byte {
	b = append(b, d.H1[:]...)
	for _, id := range [][8]byte{d.RS1ID, d.RS2ID, d.AuxSecretID, d.PBXSecretID} {
		b = append(b, id[:]...)
	}
	b = append(b, d.PV...)
	// keep the message a whole number of words even for an odd PV
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return append(b, d.MAC[:]...)
}

func parseDHPart(t MessageType, body []byte) (*DHPart, error) {
	if len(body) < dhPartFixedLen+4+macLen {
		return nil, wrongLen(t, len(body), "at least 76")
	}
	d := &DHPart{Part: 2}
	if t == MsgDHPart1 {
		d.Part = 1
	}
	copy(d.H1[:], body[0:32])
	copy(d.RS1ID[:], body[32:40])
	copy(d.RS2ID[:], body[40:48])
	copy(d.AuxSecretID[:], body[48:56])
	copy(d.PBXSecretID[:], body[56:64])
	d.PV = append([]byte(nil), body[dhPartFixedLen:len(body)-macLen]...)
	copy(d.MAC[:], body[len(body)-macLen:])
	return d, nil
}

// Confirm is Confirm1 (responder) or Confirm2 (initiator), RFC 6189 §5.7,
// as on the wire: the confirm_mac, the CFB IV and the encrypted part. Use
// SealConfirm and OpenConfirm to go to and from ConfirmPlain.
type Confirm struct {
	Which      int // 1 or 2
	ConfirmMAC [8]byte
	IV         [16]byte
	Encrypted  []byte
}

// Type implements Message.
func (c *Confirm) Type() MessageType {
	if c.Which == 1 {
		return MsgConfirm1
	}
	return MsgConfirm2
}

func (c *Confirm) appendBody(b []byte) []byte {
	b = append(b, c.ConfirmMAC[:]...)
	b = append(b, c.IV[:]...)
	return append(b, c.Encrypted...)
}

func parseConfirm(t MessageType, body []byte) (*Confirm, error) {
	if len(body) < 8+16+confirmPlainFixedLen {
		return nil, wrongLen(t, len(body), fmt.Sprintf("at least %d", 8+16+confirmPlainFixedLen))
	}
	c := &Confirm{Which: 2}
	if t == MsgConfirm1 {
		c.Which = 1
	}
	copy(c.ConfirmMAC[:], body[0:8])
	copy(c.IV[:], body[8:24])
	c.Encrypted = append([]byte(nil), body[24:]...)
	return c, nil
}

// ConfirmPlain is the encrypted part of a Confirm message.
type ConfirmPlain struct {
	H0 [32]byte
	// Flags: E PBX enrollment, V SAS verified, A allow clear, D disclosure.
	Enrollment, SASVerified, AllowClear, Disclosure bool
	CacheExpiration                                 uint32 // seconds; 0xffffffff: never
	// Signature is the signature type block and signature, a whole number
	// of words (sig len counts them); empty when unsigned.
	Signature []byte
}

const confirmPlainFixedLen = 32 + 4 + 4

// Marshal encodes the plaintext of a Confirm message.
func (p *ConfirmPlain) Marshal() []byte {
	b := make([]byte, 0, confirmPlainFixedLen+len(p.Signature))
	b = append(b, p.H0[:]...)
	sigWords := len(p.Signature) / 4
	var flags byte
	if p.Enrollment {
		flags |= 0x08
	}
	if p.SASVerified {
		flags |= 0x04
	}
	if p.AllowClear {
		flags |= 0x02
	}
	if p.Disclosure {
		flags |= 0x01
	}
	b = append(b, 0, byte(sigWords>>8)&1, byte(sigWords), flags)
	b = binary.BigEndian.AppendUint32(b, p.CacheExpiration)
	return append(b, p.Signature[:sigWords*4]...)
}

// ParseConfirmPlain decodes the decrypted part of a Confirm message.
func ParseConfirmPlain(b []byte) (*ConfirmPlain, error) {
	if len(b) < confirmPlainFixedLen {
		return nil, fmt.Errorf("%w: Confirm plaintext is %d bytes, want at least %d", ErrMalformed, len(b), confirmPlainFixedLen)
	}
	p := &ConfirmPlain{}
	copy(p.H0[:], b[0:32])
	sigWords := int(b[33]&1)<<8 | int(b[34])
	flags := b[35]
	p.Enrollment = flags&0x08 != 0
	p.SASVerified = flags&0x04 != 0
	p.AllowClear = flags&0x02 != 0
	p.Disclosure = flags&0x01 != 0
	p.CacheExpiration = binary.BigEndian.Uint32(b[36:40])
	if len(b) != confirmPlainFixedLen+4*sigWords {
		return nil, fmt.Errorf("%w: Confirm plaintext is %d bytes, sig len says %d", ErrMalformed, len(b), confirmPlainFixedLen+4*sigWords)
	}
	if sigWords > 0 {
		p.Signature = append([]byte(nil), b[confirmPlainFixedLen:]...)
	}
	return p, nil
}

// ErrorCode is the code carried in an Error message (RFC 6189 §5.9).
type ErrorCode uint32

// Error codes of RFC 6189 §5.9 (as listed by libzrtp and GNU ZRTP).
const (
	ErrCodeMalformed         ErrorCode = 0x10
	ErrCodeSoftware          ErrorCode = 0x20
	ErrCodeVersion           ErrorCode = 0x30
	ErrCodeHelloMismatch     ErrorCode = 0x40
	ErrCodeHashUnsupported   ErrorCode = 0x51
	ErrCodeCipherUnsupported ErrorCode = 0x52
	ErrCodeKeyUnsupported    ErrorCode = 0x53
	ErrCodeAuthUnsupported   ErrorCode = 0x54
	ErrCodeSASUnsupported    ErrorCode = 0x55
	ErrCodeNoSharedSecret    ErrorCode = 0x56
	ErrCodeBadPV             ErrorCode = 0x61
	ErrCodeBadHVI            ErrorCode = 0x62
	ErrCodeUntrustedMiTM     ErrorCode = 0x63
	ErrCodeBadConfirmMAC     ErrorCode = 0x70
	ErrCodeNonceReuse        ErrorCode = 0x80
	ErrCodeEqualZID          ErrorCode = 0x90
	ErrCodeUnavailable       ErrorCode = 0xa0
	ErrCodeGoClearRefused    ErrorCode = 0x100
)

func (c ErrorCode) String() string {
	s, ok := map[ErrorCode]string{
		ErrCodeMalformed:         "malformed packet",
		ErrCodeSoftware:          "critical software error",
		ErrCodeVersion:           "unsupported ZRTP version",
		ErrCodeHelloMismatch:     "Hello components mismatch",
		ErrCodeHashUnsupported:   "hash type not supported",
		ErrCodeCipherUnsupported: "cipher type not supported",
		ErrCodeKeyUnsupported:    "public key exchange not supported",
		ErrCodeAuthUnsupported:   "SRTP auth tag not supported",
		ErrCodeSASUnsupported:    "SAS scheme not supported",
		ErrCodeNoSharedSecret:    "no shared secret available",
		ErrCodeBadPV:             "DH error: bad public value",
		ErrCodeBadHVI:            "DH error: hvi does not match",
		ErrCodeUntrustedMiTM:     "relayed SAS from untrusted MiTM",
		ErrCodeBadConfirmMAC:     "bad Confirm MAC",
		ErrCodeNonceReuse:        "nonce reuse",
		ErrCodeEqualZID:          "equal ZIDs in Hello",
		ErrCodeUnavailable:       "service unavailable",
		ErrCodeGoClearRefused:    "GoClear not allowed",
	}[c]
	if !ok {
		return fmt.Sprintf("error code %#x", uint32(c))
	}
	return fmt.Sprintf("%s (%#x)", s, uint32(c))
}

// ErrorMsg is the Error message (RFC 6189 §5.9).
type ErrorMsg struct{ Code ErrorCode }

// Type implements Message.
func (*ErrorMsg) Type() MessageType { return MsgError }

func (e *ErrorMsg) appendBody(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(e.Code))
}

func parseError(body []byte) (*ErrorMsg, error) {
	if len(body) != 4 {
		return nil, wrongLen(MsgError, len(body), "4")
	}
	return &ErrorMsg{Code: ErrorCode(binary.BigEndian.Uint32(body))}, nil
}

// GoClear asks to go back to clear media (RFC 6189 §5.11). This package
// parses it but its engine always refuses it.
type GoClear struct{ ClearMAC [8]byte }

// Type implements Message.
func (*GoClear) Type() MessageType            { return MsgGoClear }
func (g *GoClear) appendBody(b []byte) []byte { return append(b, g.ClearMAC[:]...) }

func parseGoClear(body []byte) (*GoClear, error) {
	if len(body) != 8 {
		return nil, wrongLen(MsgGoClear, len(body), "8")
	}
	return &GoClear{ClearMAC: [8]byte(body)}, nil
}

// Ping asks whether the peer speaks ZRTP (RFC 6189 §5.15).
type Ping struct {
	Version      [4]byte
	EndpointHash [8]byte
}

// Type implements Message.
func (*Ping) Type() MessageType { return MsgPing }

func (p *Ping) appendBody(b []byte) []byte {
	b = append(b, p.Version[:]...)
	return append(b, p.EndpointHash[:]...)
}

func parsePing(body []byte) (*Ping, error) {
	if len(body) != 12 {
		return nil, wrongLen(MsgPing, len(body), "12")
	}
	return &Ping{Version: [4]byte(body[0:4]), EndpointHash: [8]byte(body[4:12])}, nil
}

// PingACK answers a Ping (RFC 6189 §5.16).
type PingACK struct {
	Version              [4]byte
	EndpointHash         [8]byte // the responder's own
	ReceivedEndpointHash [8]byte // copied from the Ping
	SSRC                 uint32  // of the Ping
}

// Type implements Message.
func (*PingACK) Type() MessageType { return MsgPingACK }

func (p *PingACK) appendBody(b []byte) []byte {
	b = append(b, p.Version[:]...)
	b = append(b, p.EndpointHash[:]...)
	b = append(b, p.ReceivedEndpointHash[:]...)
	return binary.BigEndian.AppendUint32(b, p.SSRC)
}

func parsePingACK(body []byte) (*PingACK, error) {
	if len(body) != 24 {
		return nil, wrongLen(MsgPingACK, len(body), "24")
	}
	return &PingACK{
		Version:              [4]byte(body[0:4]),
		EndpointHash:         [8]byte(body[4:12]),
		ReceivedEndpointHash: [8]byte(body[12:20]),
		SSRC:                 binary.BigEndian.Uint32(body[20:24]),
	}, nil
}
