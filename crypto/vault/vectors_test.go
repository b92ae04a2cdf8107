package vault

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/v1.json from the current code")

// vectorFile pins the stored formats: a vault written by version 1 of this
// code must open with every later version.
type vectorFile struct {
	Comment  string   `json:"comment"`
	Password string   `json:"password"`
	Params   Params   `json:"params"`
	Header   string   `json:"header"`
	KeyFile  string   `json:"key_file"`
	Values   []vector `json:"values"`
}

type vector struct {
	AD        string `json:"ad"`
	Plaintext string `json:"plaintext"`
	Sealed    string `json:"sealed"`
}

const vectorPath = "testdata/v1.json"

func TestVectors(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	raw, err := os.ReadFile(vectorPath)
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatal(err)
	}
	hdr := mustHex(t, vf.Header)
	for _, how := range []string{"password", "key file"} {
		t.Run(how, func(t *testing.T) {
			v, err := Load(hdr)
			if err != nil {
				t.Fatal(err)
			}
			if v.Params() != vf.Params {
				t.Fatalf("params %v, want %v", v.Params(), vf.Params)
			}
			if how == "password" {
				err = v.Unlock([]byte(vf.Password))
			} else {
				err = v.UnlockWithKeyFile(mustHex(t, vf.KeyFile))
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, vec := range vf.Values {
				got, err := v.Open([]byte(vec.AD), mustHex(t, vec.Sealed))
				if err != nil {
					t.Fatalf("%s: %v", vec.AD, err)
				}
				if hex.EncodeToString(got) != vec.Plaintext {
					t.Fatalf("%s: got %x, want %s", vec.AD, got, vec.Plaintext)
				}
			}
		})
	}
}

func writeVectors(t *testing.T) {
	vf := vectorFile{
		Comment:  "vault format v1: header, keep-unlocked key file and sealed values; see header.go, keyfile.go, sealed.go",
		Password: "correct horse battery staple",
		Params:   TestParams,
	}
	v, err := create(testRand(42), []byte(vf.Password), vf.Params)
	if err != nil {
		t.Fatal(err)
	}
	vf.Header = hex.EncodeToString(v.Header())
	kf, _ := v.KeyFile()
	vf.KeyFile = hex.EncodeToString(kf)
	for _, pv := range []struct{ ad, pt string }{
		{"accounts/1/password", "hunter2"},
		{"history/7/body", ""},
		{"keys/3/otr", "\x00\x01\x02 binary"},
	} {
		s, err := v.Seal([]byte(pv.ad), []byte(pv.pt))
		if err != nil {
			t.Fatal(err)
		}
		vf.Values = append(vf.Values, vector{AD: pv.ad, Plaintext: hex.EncodeToString([]byte(pv.pt)), Sealed: hex.EncodeToString(s)})
	}
	out, _ := json.MarshalIndent(vf, "", "  ")
	if err := os.MkdirAll(filepath.Dir(vectorPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorPath, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
