package webadmin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// A success banner comes back in the URL of the redirect after a form
// (?ok=…). The URL is the attacker's to write (a link on another site, also
// to /login), so the page never shows text taken from it (issue 12): the
// parameter is a code from the table below, or a message the server wrote
// itself, sealed with a MAC only this process can make.
var notices = map[string]string{
	"vault-created":    "Master password set. The phone's secrets are now protected by it.",
	"logged-out":       "Logged out.",
	"password-changed": "Master password changed. Log in with the new one.",
	"settings-saved":   "Settings saved.",
	"kept-unlocked":    "The vault now stays unlocked across restarts.",
	"locks-at-restart": "The vault will be locked after every restart.",
}

// noticeKey MACs the server-written messages; a new one every start (an
// old link's banner simply does not show).
var noticeKey = func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}()

const (
	noticeMACLen  = 12
	maxNoticeText = 300
)

// noticeParam is the ?ok= value that makes the next page show msg.
func noticeParam(msg string) string {
	for code, text := range notices {
		if text == msg {
			return code
		}
	}
	if len(msg) > maxNoticeText {
		msg = msg[:maxNoticeText]
	}
	b := append(noticeMAC(msg), msg...)
	return "m." + base64.RawURLEncoding.EncodeToString(b)
}

// noticeText is the banner for a ?ok= value: a known code, or a message
// whose MAC is right. Anything else shows nothing.
func noticeText(param string) string {
	if text, ok := notices[param]; ok {
		return text
	}
	rest, ok := strings.CutPrefix(param, "m.")
	if !ok || len(rest) > 2*maxNoticeText {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) < noticeMACLen {
		return ""
	}
	mac, msg := b[:noticeMACLen], string(b[noticeMACLen:])
	if !hmac.Equal(mac, noticeMAC(msg)) || !utf8.ValidString(msg) {
		return ""
	}
	return msg
}

func noticeMAC(msg string) []byte {
	m := hmac.New(sha256.New, noticeKey)
	m.Write([]byte("padlock notice v1\x00"))
	m.Write([]byte(msg))
	return m.Sum(nil)[:noticeMACLen]
}
