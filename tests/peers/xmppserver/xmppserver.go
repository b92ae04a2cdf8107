// Package xmppserver holds what the XMPP test servers (prosody, ejabberd)
// have in common, so that tests can run one table over all of them: how to
// reach a server and make accounts on it, and the self-signed certificate
// they present.
package xmppserver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"testing"
	"time"
)

// Info describes one running test server.
type Info struct {
	// Name says which server and setup it is, for test names:
	// "prosody-strict", "prosody-stock", "ejabberd-stock".
	Name string
	// Domain is the virtual host (every test server serves "localhost"),
	// MUC its group chat service ("conference.localhost").
	Domain, MUC string
	// Addr is the client-to-server (STARTTLS) listener, 127.0.0.1:port.
	Addr string
	// Cert is the server's self-signed certificate (also its own CA), and
	// Fingerprint its SHA-256 over the DER bytes.
	Cert        *x509.Certificate
	Fingerprint [32]byte
	// Register makes an account with the server's own admin tool.
	Register func(t testing.TB, user, password string)
	// Restart stops the server and starts it again on the same ports with
	// the same data.
	Restart func(t testing.TB)
}

// CertPool returns a pool holding only the server's certificate.
func (i Info) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(i.Cert)
	return p
}

// JID is user's address on the server.
func (i Info) JID(user string) string { return user + "@" + i.Domain }

// WriteSelfSigned makes an ECDSA P-256 certificate for hosts (DNS names;
// 127.0.0.1 is always included) that is its own CA, and writes it and its
// key as PEM. The first host is the subject's common name.
func WriteSelfSigned(crtPath, keyPath string, hosts ...string) (*x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0]},
		DNSNames:              hosts,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	var crt, k bytes.Buffer
	pem.Encode(&crt, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	pem.Encode(&k, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(crtPath, crt.Bytes(), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, k.Bytes(), 0o600); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
