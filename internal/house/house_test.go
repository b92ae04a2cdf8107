// Package house holds the test that enforces the house rules: which package
// of Padlock may import which (docs/ARCHITECTURE.md draws the same table).
// It reads every .go file of the module with go/parser, so a violation is
// named by file and import, and a new top-level folder fails until it is
// given a room here and in the document. The pattern is the Go toolchain's
// go/build/deps_test.go: a rule nobody checks is a wish.
package house

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/padlock-phone/padlock"

// A room is a part of the house: a package path or a subtree ("media/...").
// may lists what its non-test files may import of ours; "own" means the
// importer's own subtree at its second level (crypto/zrtp may import
// crypto/zrtp/..., not crypto/otr).
type room struct {
	name string
	may  []string
	why  string
}

// rooms, most specific first. Anything not listed under may is forbidden.
var rooms = []room{
	{"call", nil, "the plain vocabulary drivers use to tell the brain about calls"},
	{"phone", []string{"call", "hw"}, "the brain: state, policy and lamps; its outside world is the interfaces it declares"},
	{"hw/rig", []string{"hw/...", "media/tone"}, "the hardware-in-the-loop scenario: a rig hears a phone's audio with the one tone detector"},
	{"hw/...", []string{"hw/..."}, "buttons and lamps; drivers implement the brain's Board without importing it"},
	{"crypto/...", []string{"own"}, "sans-I/O engines checked with vectors: they import nothing of ours"},
	{"media/...", []string{"media/...", "call", "crypto/...", "store", "internal/fingerprint"}, "the real-time path; store only for the sealed ZRTP cache; never a signalling protocol"},
	{"protocols/...", []string{"protocols/...", "call", "media/...", "crypto/...", "store/...", "internal/fingerprint"}, "signalling drivers; they report call events and never import the brain"},
	{"messaging", []string{"protocols/xmpp", "crypto/...", "store/...", "call", "internal/fingerprint"}, "the XMPP accounts as the web admin sees them"},
	{"keyring", []string{"crypto/...", "store/..."}, "the master password at run time"},
	{"store/...", []string{"store/...", "crypto/..."}, "SQLite and files; never a user interface"},
	{"webadmin", []string{"call", "phone", "hw", "keyring", "messaging", "store/...", "crypto/vault", "internal/fingerprint"}, "talks to the brain by commands and snapshots, to chat only through messaging"},
	{"image/...", []string{"image/..."}, "the image builder"},
	{"cmd/...", []string{"*"}, "wiring: cmd imports everything"},
	{"tests/...", []string{"*"}, "peers, browser and image e2e support; test code only"},
	{"internal/fingerprint", nil, "one way to show and read a certificate's SHA-256 fingerprint, for the web admin, XMPP and DTLS-SRTP"},
	{"internal/...", []string{"*"}, "test support shared by the tests (testkit) and this rule test"},
}

// outside are the modules from outside this repository (beyond Go's
// standard library) a room's non-test files may import; a room not listed
// may import any module go.mod names. The brain and the call vocabulary
// stay plain Go, so they run, and are read, anywhere.
var outside = []struct {
	room string
	may  []string // import path prefixes
	why  string
}{
	{"call", nil, "the call vocabulary is plain Go"},
	{"phone", nil, "the brain is plain Go: its world is the interfaces it declares"},
	{"crypto/...", []string{"golang.org/x/crypto/"}, "crypto builds on the standard library and x/crypto only"},
	{"hw/...", []string{"periph.io/", "github.com/jonboulle/clockwork", "golang.org/x/sys/"}, "buttons and lamps through periph.io (and the GPIO uAPI itself, for the rig)"},
}

// testOnly are subtrees that only tests may import.
var testOnly = []string{"tests/...", "internal/testkit/...", "internal/house"}

// testExtra is what a _test.go file may import beyond its room's rules: test
// support and the pieces that build a real sealed store.
var testExtra = []string{"tests/...", "internal/...", "crypto/vault", "keyring", "store/..."}

// never are the rules that hold for test files too.
var never = []struct{ from, to, why string }{
	{"hw/...", "phone", "drivers never import the brain"},
	{"media/...", "phone", "drivers never import the brain"},
	{"protocols/...", "phone", "drivers never import the brain"},
	{"media/...", "protocols/...", "media never imports a signalling protocol (the SDP words live in media/sdp)"},
	{"webadmin", "protocols/...", "the web admin reaches chat only through messaging"},
	{"store/...", "webadmin", "the store never imports a user interface"},
	{"crypto/...", "!own", "crypto imports nothing of ours"},
}

// exempt are files allowed to break a rule, each with its reason. Keep it
// short: every entry is a debt.
var exempt = map[string]string{
	"protocols/sip/phone_test.go":   "integration test of the SIP driver with the real brain loop (to move to an integration room)",
	"protocols/sip/example_test.go": "runnable example of wiring the driver to the brain, shown in the package docs",
}

// within reports whether pkg is pat or, for "x/...", x or below it.
func within(pkg, pat string) bool {
	if pat == "*" {
		return true
	}
	if base, ok := strings.CutSuffix(pat, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pat
}

// own is the importer's subtree for the "own" rule: its first two elements.
func own(pkg string) string {
	parts := strings.SplitN(pkg, "/", 3)
	if len(parts) >= 2 {
		return parts[0] + "/" + parts[1] + "/..."
	}
	return pkg + "/..."
}

func allowed(importer, imp string, pats []string) bool {
	for _, p := range pats {
		if p == "own" {
			p = own(importer)
		}
		if within(imp, p) {
			return true
		}
	}
	return false
}

func roomOf(pkg string) (room, bool) {
	for _, r := range rooms {
		if within(pkg, r.name) {
			return r, true
		}
	}
	return room{}, false
}

type imp struct {
	file    string // relative to the module root
	pkg     string // importing package, relative to the module
	path    string // imported package, relative to the module (outside: its full path)
	isTest  bool
	line    int
	outside bool // a module from outside this repository
}

// scan reads the imports of ours of every .go file under root.
func scan(t *testing.T, root string) []imp {
	t.Helper()
	var out []imp
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules" || name == "vendor" || name == "var" || name == "bin") {
				return filepath.SkipDir
			}
			if p != root {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		for _, s := range f.Imports {
			ip, _ := strconv.Unquote(s.Path.Value)
			if !strings.HasPrefix(ip, module+"/") {
				if first, _, _ := strings.Cut(ip, "/"); strings.Contains(first, ".") {
					out = append(out, imp{file: rel, pkg: path.Dir(rel), path: ip, outside: true,
						isTest: strings.HasSuffix(name, "_test.go"), line: fset.Position(s.Pos()).Line})
				}
				continue
			}
			out = append(out, imp{
				file: rel, pkg: path.Dir(rel), path: strings.TrimPrefix(ip, module+"/"),
				isTest: strings.HasSuffix(name, "_test.go"), line: fset.Position(s.Pos()).Line,
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module "+module+"\n") {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("module root not found above the test's directory")
		}
		dir = up
	}
}

// violations applies the rules to a list of imports.
func violations(imps []imp) []string {
	var bad []string
	for _, i := range imps {
		at := i.file + ":" + strconv.Itoa(i.line)
		if i.outside {
			if why, ok := outsideBanned(i); ok {
				bad = append(bad, at+": "+i.pkg+" may not import "+i.path+" ("+why+")")
			}
			continue
		}
		r, ok := roomOf(i.pkg)
		if !ok {
			bad = append(bad, at+": package "+i.pkg+" belongs to no room: give it one in internal/house and docs/ARCHITECTURE.md")
			continue
		}
		if !i.isTest {
			for _, t := range testOnly {
				if within(i.path, t) && !within(i.pkg, "tests/...") && !within(i.pkg, "internal/...") {
					bad = append(bad, at+": "+i.pkg+" imports "+i.path+", which only tests may import")
				}
			}
		}
		if _, ok := exempt[i.file]; ok {
			continue
		}
		may := r.may
		if i.isTest {
			may = append(append([]string(nil), r.may...), testExtra...)
		}
		if !allowed(i.pkg, i.path, may) {
			bad = append(bad, at+": "+i.pkg+" may not import "+i.path+" ("+r.name+": "+r.why+")")
			continue
		}
		for _, n := range never {
			if !within(i.pkg, n.from) {
				continue
			}
			hit := within(i.path, n.to)
			if n.to == "!own" {
				hit = !within(i.path, own(i.pkg))
			}
			if hit {
				bad = append(bad, at+": "+i.pkg+" imports "+i.path+": "+n.why)
			}
		}
	}
	sort.Strings(bad)
	return bad
}

// outsideBanned reports why a non-test file may not import a module from
// outside, if it may not.
func outsideBanned(i imp) (string, bool) {
	if i.isTest {
		return "", false
	}
	for _, o := range outside {
		if !within(i.pkg, o.room) {
			continue
		}
		for _, p := range o.may {
			if strings.HasPrefix(i.path, p) || i.path == strings.TrimSuffix(p, "/") {
				return "", false
			}
		}
		return o.room + ": " + o.why, true
	}
	return "", false
}

// TestHouseRules fails naming every file and import that breaks a rule.
func TestHouseRules(t *testing.T) {
	imps := scan(t, moduleRoot(t))
	if len(imps) < 50 {
		t.Fatalf("only %d imports of ours found: the scan is broken", len(imps))
	}
	for _, v := range violations(imps) {
		t.Error(v)
	}
}

// TestRulesCatchViolations: each rule, fed a made-up import that breaks it,
// reports it (and a clean import passes), so the rule test cannot rot into
// one that accepts everything.
func TestRulesCatchViolations(t *testing.T) {
	for _, tt := range []struct {
		name string
		imp  imp
		bad  bool
	}{
		{"media imports sip", imp{file: "media/callmedia/x.go", pkg: "media/callmedia", path: "protocols/sip"}, true},
		{"media imports sip in a test", imp{file: "media/callmedia/x_test.go", pkg: "media/callmedia", path: "protocols/sip", isTest: true}, true},
		{"driver imports the brain", imp{file: "protocols/sip/x.go", pkg: "protocols/sip", path: "phone"}, true},
		{"hw imports the brain in a test", imp{file: "hw/gpio/x_test.go", pkg: "hw/gpio", path: "phone", isTest: true}, true},
		{"crypto imports store", imp{file: "crypto/zrtp/x.go", pkg: "crypto/zrtp", path: "store"}, true},
		{"crypto imports a sibling", imp{file: "crypto/zrtp/x.go", pkg: "crypto/zrtp", path: "crypto/otr"}, true},
		{"crypto imports its own internal peer", imp{file: "crypto/zrtp/internal/bzrtppeer/x.go", pkg: "crypto/zrtp/internal/bzrtppeer", path: "crypto/zrtp"}, false},
		{"phone imports store", imp{file: "phone/x.go", pkg: "phone", path: "store"}, true},
		{"phone imports call", imp{file: "phone/x.go", pkg: "phone", path: "call"}, false},
		{"webadmin imports xmpp", imp{file: "webadmin/x.go", pkg: "webadmin", path: "protocols/xmpp"}, true},
		{"webadmin imports messaging", imp{file: "webadmin/x.go", pkg: "webadmin", path: "messaging"}, false},
		{"store imports webadmin", imp{file: "store/x.go", pkg: "store", path: "webadmin"}, true},
		{"call imports anything", imp{file: "call/x.go", pkg: "call", path: "hw"}, true},
		{"product code imports the test kit", imp{file: "media/rtp/x.go", pkg: "media/rtp", path: "internal/testkit"}, true},
		{"a test imports the test kit", imp{file: "media/rtp/x_test.go", pkg: "media/rtp", path: "internal/testkit", isTest: true}, false},
		{"a new top-level folder", imp{file: "gadgets/x.go", pkg: "gadgets", path: "call"}, true},
		{"cmd imports everything", imp{file: "cmd/appliance/x.go", pkg: "cmd/appliance", path: "protocols/sip"}, false},
		{"the brain imports a module", imp{file: "phone/x.go", pkg: "phone", path: "golang.org/x/crypto/argon2", outside: true}, true},
		{"the brain's test imports a module", imp{file: "phone/x_test.go", pkg: "phone", path: "go.uber.org/goleak", outside: true, isTest: true}, false},
		{"crypto imports x/crypto", imp{file: "crypto/vault/x.go", pkg: "crypto/vault", path: "golang.org/x/crypto/argon2", outside: true}, false},
		{"crypto imports sqlite", imp{file: "crypto/vault/x.go", pkg: "crypto/vault", path: "modernc.org/sqlite", outside: true}, true},
		{"hw imports periph", imp{file: "hw/gpio/x.go", pkg: "hw/gpio", path: "periph.io/x/conn/v3/gpio", outside: true}, false},
		{"the rig hears with the tone detector", imp{file: "hw/rig/x.go", pkg: "hw/rig", path: "media/tone"}, false},
		{"media imports pion", imp{file: "media/rtp/x.go", pkg: "media/rtp", path: "github.com/pion/srtp/v3", outside: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := violations([]imp{tt.imp})
			if (len(got) > 0) != tt.bad {
				t.Errorf("violations = %q, want bad=%v", got, tt.bad)
			}
			for _, g := range got {
				if !strings.HasPrefix(g, tt.imp.file+":") {
					t.Errorf("%q does not name the file", g)
				}
			}
		})
	}
}
