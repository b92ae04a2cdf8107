// Package dtlssrtp keys SRTP from a DTLS handshake (RFC 5763/5764) on a
// call's media path, as WebRTC and today's XMPP clients do: each side has
// a self-signed certificate whose fingerprint travels in signalling
// (XEP-0320), and the handshake is accepted only from the certificate with
// that fingerprint. Such a call is "encrypted, not verifiable": whoever
// can rewrite the signalling (the XMPP server) could swap fingerprints.
package dtlssrtp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/protocol"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/media/rtp"
)

// Identity is this side's DTLS certificate and its fingerprint.
type Identity struct {
	Cert        tls.Certificate
	Fingerprint string // "sha-256" in uppercase hex pairs joined by ':'
}

// HashName is the fingerprint hash Padlock sends and the only one it accepts
// (XEP-0320 / RFC 8122 name).
const HashName = "sha-256"

// NewIdentity makes a fresh ECDSA P-256 self-signed certificate, one per call
// so calls cannot be linked by it.
func NewIdentity() (Identity, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Identity{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return Identity{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "padlock"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(30 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Identity{}, err
	}
	return Identity{
		Cert:        tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		Fingerprint: fingerprint.OfDER(der),
	}, nil
}

// ErrFingerprint is why a call ends when the peer's certificate is not the
// one its signalling announced: someone may be in the middle.
var ErrFingerprint = errors.New("the other side's DTLS certificate does not match the fingerprint in the call's signalling: someone may be in the middle")

// Result is what a finished handshake gives the call.
type Result struct {
	Keys            rtp.Keys
	PeerFingerprint string
}

// Handshake runs DTLS on conn as client or server (the "setup" roles:
// active is the client), checks the peer's certificate against
// peerHash/peerFingerprint, and exports the SRTP keys.
func Handshake(ctx context.Context, conn net.PacketConn, remote net.Addr, id Identity, client bool, peerHash, peerFingerprint string) (Result, error) {
	if !strings.EqualFold(peerHash, HashName) {
		return Result{}, fmt.Errorf("dtls: the peer's fingerprint uses %q; only %s is accepted", peerHash, HashName)
	}
	want := strings.ToUpper(strings.TrimSpace(peerFingerprint))
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return ErrFingerprint
		}
		if subtle.ConstantTimeCompare([]byte(fingerprint.OfDER(raw[0])), []byte(want)) != 1 {
			return ErrFingerprint
		}
		return nil
	}
	opts := []dtls.Option{
		dtls.WithCertificates(id.Cert),
		dtls.WithInsecureSkipVerify(true), // self-signed: the fingerprint is the check
		dtls.WithVerifyPeerCertificate(verify),
		dtls.WithSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80),
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret),
		// DTLS 1.2 (RFC 6347), what RFC 5764's key export is written for
		// and what Chromium 156 falls back to (tested with StanzaJS);
		// pion's DTLS 1.3 is new, so it is not offered yet.
		dtls.WithMaxVersion(protocol.Version1_2),
	}
	var c *dtls.Conn
	var err error
	if client {
		copts := make([]dtls.ClientOption, len(opts))
		for i, o := range opts {
			copts[i] = o
		}
		c, err = dtls.Client(conn, remote, copts...)
	} else {
		sopts := make([]dtls.ServerOption, 0, len(opts)+1)
		for _, o := range opts {
			sopts = append(sopts, o)
		}
		sopts = append(sopts, dtls.WithClientAuth(dtls.RequireAnyClientCert))
		c, err = dtls.Server(conn, remote, sopts...)
	}
	if err != nil {
		return Result{}, fmt.Errorf("dtls: %w", err)
	}
	if err := c.HandshakeContext(ctx); err != nil {
		c.Close()
		if errors.Is(err, ErrFingerprint) || strings.Contains(err.Error(), ErrFingerprint.Error()) {
			return Result{}, ErrFingerprint
		}
		return Result{}, fmt.Errorf("dtls handshake: %w", err)
	}
	res, err := export(c, client)
	if err != nil {
		c.Close()
		return Result{}, err
	}
	// The DTLS conn stays open in spirit (no close_notify): closing it
	// would only close our DTLS half of the demux.
	return res, nil
}

func export(c *dtls.Conn, client bool) (Result, error) {
	prof, ok := c.SelectedSRTPProtectionProfile()
	if !ok {
		return Result{}, errors.New("dtls: the peer agreed no SRTP profile (use_srtp)")
	}
	var p rtp.Profile
	switch prof {
	case dtls.SRTP_AEAD_AES_128_GCM:
		p = rtp.AEADAES128GCM
	case dtls.SRTP_AES128_CM_HMAC_SHA1_80:
		p = rtp.AES128CMHMACSHA180
	default:
		return Result{}, fmt.Errorf("dtls: SRTP profile %#x not supported", uint16(prof))
	}
	st, ok := c.ConnectionState()
	if !ok {
		return Result{}, errors.New("dtls: no connection state after the handshake")
	}
	kl, sl := p.KeyLen(), p.SaltLen()
	m, err := st.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 2*(kl+sl))
	if err != nil {
		return Result{}, fmt.Errorf("dtls: exporting SRTP keys: %w", err)
	}
	// RFC 5764 §4.2: client key, server key, client salt, server salt.
	ck, sk := m[:kl], m[kl:2*kl]
	cs, ss := m[2*kl:2*kl+sl], m[2*kl+sl:]
	k := rtp.Keys{Profile: p}
	if client {
		k.LocalKey, k.RemoteKey, k.LocalSalt, k.RemoteSalt = ck, sk, cs, ss
	} else {
		k.LocalKey, k.RemoteKey, k.LocalSalt, k.RemoteSalt = sk, ck, ss, cs
	}
	res := Result{Keys: k}
	if len(st.PeerCertificates) > 0 {
		res.PeerFingerprint = fingerprint.OfDER(st.PeerCertificates[0])
	}
	return res, nil
}
