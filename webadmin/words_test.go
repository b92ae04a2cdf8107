package webadmin

import (
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/phone"
)

// TestEverySecurityStateIsExplained: no call's security state is shown as
// a bare word, and an idle phone explains nothing.
func TestEverySecurityStateIsExplained(t *testing.T) {
	for s := phone.Clear; s <= phone.Encrypted; s++ {
		w := securityWords(s, true)
		if w == "" || !strings.HasSuffix(w, ".") && !strings.HasSuffix(w, "…") || strings.ToUpper(w[:1]) != w[:1] {
			t.Errorf("%v is explained as %q: want a capitalized sentence", s, w)
		}
		if securityWords(s, false) != "" {
			t.Errorf("%v explained with no call", s)
		}
	}
	if !strings.Contains(securityWords(phone.Local, true), "never leaves the phone") {
		t.Errorf("local: %q", securityWords(phone.Local, true))
	}
}

// TestLampsHaveWords: every pattern the brain gives a lamp has its words,
// which name the lamp.
func TestLampsHaveWords(t *testing.T) {
	for _, l := range hw.Lamps {
		for p := hw.Off; p <= hw.SlowBlink; p++ {
			w := lampText(l.String(), p.String())
			if !strings.HasPrefix(w, strings.ToUpper(l.String())+" ") {
				t.Errorf("%v %v: %q", l, p, w)
			}
			if _, ok := lampWords[l.String()][p.String()]; !ok && usedPattern(l, p) {
				t.Errorf("%v %v has no words", l, p)
			}
		}
	}
}

// usedPattern: the patterns phone.lamps gives each lamp (phone/lamps.go).
func usedPattern(l hw.Lamp, p hw.Pattern) bool {
	switch l {
	case hw.Lock:
		return p != hw.FastBlink
	case hw.Alert:
		return p == hw.Off || p == hw.On || p == hw.Blink
	}
	return p != hw.Blink
}
