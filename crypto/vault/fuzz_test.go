package vault

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseHeader feeds arbitrary bytes to the header parser. It must never
// panic, every failure must be ErrBadHeader, and whatever it accepts must
// encode back to the same bytes (no two encodings of one header). It never
// runs the KDF, so a hostile header costs nothing to reject.
func FuzzParseHeader(f *testing.F) {
	v, err := create(testRand(1), []byte("pw"), TestParams)
	if err != nil {
		f.Fatal(err)
	}
	good := v.Header()
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte(headerMagic))
	f.Add(good[:headerPrefix])
	bad := bytes.Clone(good)
	bad[14], bad[15] = 0xff, 0xff // 4 TiB of memory
	f.Add(bad)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("error %v is not ErrBadHeader", err)
			}
			return
		}
		if err := h.params.check(); err != nil {
			t.Fatalf("accepted params %v: %v", h.params, err)
		}
		if got := h.marshal(); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded header differs:\n got %x\nwant %x", got, b)
		}
	})
}

// FuzzOpen feeds arbitrary sealed values and associated data to Open. It must
// never panic and must fail with ErrMalformed or ErrTampered unless the value
// is a genuine one for that associated data.
func FuzzOpen(f *testing.F) {
	v, err := create(testRand(1), []byte("pw"), TestParams)
	if err != nil {
		f.Fatal(err)
	}
	genuine, _ := v.Seal([]byte("accounts/1/password"), []byte("hunter2"))
	f.Add([]byte("accounts/1/password"), genuine)
	f.Add([]byte("accounts/2/password"), genuine)
	f.Add([]byte(""), []byte{})
	f.Add([]byte("x"), []byte{sealedVersion})
	f.Add([]byte("x"), make([]byte, sealedOverhead))
	f.Fuzz(func(t *testing.T, ad, sealed []byte) {
		pt, err := v.Open(ad, sealed)
		if err == nil {
			if !bytes.Equal(sealed, genuine) || string(ad) != "accounts/1/password" || string(pt) != "hunter2" {
				t.Fatalf("forged value opened: ad %q sealed %x -> %q", ad, sealed, pt)
			}
			return
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTampered) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzParseKeyFile feeds arbitrary bytes to the keep-unlocked key file
// parser and to UnlockWithKeyFile.
func FuzzParseKeyFile(f *testing.F) {
	v, err := create(testRand(1), []byte("pw"), TestParams)
	if err != nil {
		f.Fatal(err)
	}
	kf, _ := v.KeyFile()
	f.Add(kf)
	f.Add([]byte(keyFileMagic))
	f.Add([]byte{})
	hdr := v.Header()
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Load(hdr)
		if err != nil {
			t.Fatal(err)
		}
		err = l.UnlockWithKeyFile(b)
		switch {
		case err == nil:
			if !bytes.Equal(b, kf) {
				t.Fatalf("foreign key file %x accepted", b)
			}
		case errors.Is(err, ErrBadKeyFile), errors.Is(err, ErrWrongKeyFile):
			if !l.Locked() {
				t.Fatal("unlocked after an error")
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}
