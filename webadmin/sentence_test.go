package webadmin

import "testing"

func TestSentence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"enter the master password", "Enter the master password."},
		{"Enter the master password.", "Enter the master password."},
		{"  wrong password, try again  ", "Wrong password, try again."},
		{"x509: certificate signed by unknown authority", "X509: certificate signed by unknown authority."},
		{"is it on?", "Is it on?"},
		{"écrit (in French)", "Écrit (in French)"},
	} {
		if got := sentence(tc.in); got != tc.want {
			t.Errorf("sentence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
