package webadmin

import (
	"strings"

	"github.com/padlock-phone/padlock/phone"
)

// securityWords says what a call's security state means for the person,
// next to the state's one word (and for a screen reader, which has no
// lamp to look at).
func securityWords(s phone.Security, inCall bool) string {
	if !inCall {
		return ""
	}
	switch s {
	case phone.Clear:
		return "Not encrypted: anyone on the network path can listen."
	case phone.Negotiating:
		return "Agreeing on keys with the other phone (ZRTP)…"
	case phone.Secured:
		return "Encrypted. Compare the SAS with the other person; if it matches, confirm it (long press SAS)."
	case phone.Verified:
		return "Encrypted and verified: you confirmed the SAS with this person."
	case phone.Failed:
		return "Key agreement failed: this call is NOT encrypted."
	case phone.Local:
		return "Local: the call never leaves the phone (a test line), so there is nothing to encrypt."
	case phone.Encrypted:
		return "Encrypted hop by hop with keys the servers carried: not end to end, no SAS to compare."
	}
	return ""
}

// lampWords are the text equivalent of each lamp's pattern: what it means
// now, in the words the README uses.
var lampWords = map[string]map[string]string{
	"lock": {
		"off":   "LOCK off: no encrypted call.",
		"on":    "LOCK on: encrypted, SAS confirmed.",
		"blink": "LOCK blinking: encrypted, compare the SAS.",
		"slow":  "LOCK blinking slowly: encrypted, not verifiable (no SAS).",
	},
	"alert": {
		"off":   "ALERT off: nothing wrong.",
		"on":    "ALERT on: a call is NOT encrypted, or its key changed.",
		"blink": "ALERT blinking: the phone is locked until the master password is entered.",
	},
	"status": {
		"off":  "STATUS off: no account registered.",
		"on":   "STATUS on: an account is registered.",
		"fast": "STATUS blinking fast: a call is ringing; ANSWER picks up.",
		"slow": "STATUS blinking slowly: unread messages or requests.",
	},
}

// lampText is what one lamp shows, in words.
func lampText(lamp, pattern string) string {
	if w := lampWords[lamp][pattern]; w != "" {
		return w
	}
	return strings.ToUpper(lamp) + " " + pattern + "."
}
