package webadmin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentence makes an error shown to a person read as a sentence: a capital
// first letter and a full stop. Errors come up from Go code in its
// lower-case, unpunctuated style ("enter the master password"); the page
// says "Enter the master password.".
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if last, _ := utf8.DecodeLastRuneInString(msg); !strings.ContainsRune(".!?…)", last) {
		msg += "."
	}
	return msg
}
