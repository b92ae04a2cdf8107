package webadmin

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Master password rules: long, and not a well-known one. No composition
// rules: they make passwords harder to remember, not harder to guess.
const (
	minPasswordLen = 12
	maxPasswordLen = 1024
)

//go:embed common-passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonPasswordList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// checkNewPassword says, in words for the person, what is wrong with a new
// master password; nil means it is acceptable.
func checkNewPassword(pw, confirm string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case pw != confirm:
		return fmt.Errorf("the two passwords are not the same")
	case n < minPasswordLen:
		return fmt.Errorf("the master password must be at least %d characters long (yours has %d); a few unrelated words make a good one", minPasswordLen, n)
	case len(pw) > maxPasswordLen:
		return fmt.Errorf("the master password must be at most %d bytes long", maxPasswordLen)
	case !utf8.ValidString(pw):
		return fmt.Errorf("the master password is not valid text")
	case commonPasswords[strings.ToLower(pw)] || repetitive(pw):
		return fmt.Errorf("that password is on the lists attackers try first; choose another")
	}
	return nil
}

// repetitive catches "aaaaaaaaaaaa" and "abcabcabcabc": a short unit repeated.
func repetitive(pw string) bool {
	r := []rune(strings.ToLower(pw))
	for unit := 1; unit <= len(r)/3; unit++ {
		if len(r)%unit != 0 {
			continue
		}
		same := true
		for i := unit; i < len(r) && same; i++ {
			same = r[i] == r[i-unit]
		}
		if same {
			return true
		}
	}
	return false
}
