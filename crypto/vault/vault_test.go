package vault

import (
	"bytes"
	"errors"
	mrand "math/rand/v2"
	"sync"
	"testing"
)

// testRand is a deterministic randomness source for reproducible tests.
func testRand(seed byte) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return mrand.NewChaCha8(s)
}

func newTestVault(t testing.TB, password string) *Vault {
	t.Helper()
	v, err := create(testRand(1), []byte(password), TestParams)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSealOpenRoundTrip(t *testing.T) {
	v := newTestVault(t, "correct horse")
	tests := []struct {
		name      string
		ad        string
		plaintext []byte
	}{
		{"empty", "accounts/1/password", nil},
		{"password", "accounts/42/password", []byte("hunter2")},
		{"64B", "history/7/body", bytes.Repeat([]byte{0xab}, 64)},
		{"4KiB", "keys/3/otr", bytes.Repeat([]byte("x"), 4096)},
		{"empty ad", "", []byte("no row")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := v.Seal([]byte(tc.ad), tc.plaintext)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(tc.plaintext)+sealedOverhead {
				t.Errorf("sealed length %d, want %d", len(sealed), len(tc.plaintext)+sealedOverhead)
			}
			if len(tc.plaintext) > 4 && bytes.Contains(sealed, tc.plaintext) {
				t.Error("plaintext visible in sealed value")
			}
			got, err := v.Open([]byte(tc.ad), sealed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Errorf("opened %q, want %q", got, tc.plaintext)
			}
		})
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	v := newTestVault(t, "pw")
	a, _ := v.Seal([]byte("ad"), []byte("same"))
	b, _ := v.Seal([]byte("ad"), []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are identical")
	}
}

func TestUnlock(t *testing.T) {
	v := newTestVault(t, "correct horse")
	sealed, err := v.Seal([]byte("accounts/1/password"), []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	hdr := v.Header()
	tests := []struct {
		name     string
		password string
		wantErr  error
	}{
		{"right", "correct horse", nil},
		{"wrong", "correct horsf", ErrWrongPassword},
		{"empty", "", ErrWrongPassword},
		{"prefix", "correct", ErrWrongPassword},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Load(hdr)
			if err != nil {
				t.Fatal(err)
			}
			if !l.Locked() {
				t.Fatal("loaded vault is not locked")
			}
			if _, err := l.Open([]byte("accounts/1/password"), sealed); !errors.Is(err, ErrLocked) {
				t.Fatalf("Open while locked: %v, want ErrLocked", err)
			}
			err = l.Unlock([]byte(tc.password))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Unlock: %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if !l.Locked() {
					t.Error("vault unlocked after a failed Unlock")
				}
				return
			}
			got, err := l.Open([]byte("accounts/1/password"), sealed)
			if err != nil || string(got) != "secret" {
				t.Fatalf("Open after Unlock: %q, %v", got, err)
			}
		})
	}
}

func TestTamperedSealedValueFailsClosed(t *testing.T) {
	v := newTestVault(t, "pw")
	ad := []byte("accounts/42/password")
	sealed, err := v.Seal(ad, []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80} {
			b := bytes.Clone(sealed)
			b[i] ^= mask
			if pt, err := v.Open(ad, b); err == nil {
				t.Fatalf("byte %d ^ %#x: opened to %q", i, mask, pt)
			} else if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("byte %d: unexpected error %v", i, err)
			}
		}
	}
	for _, n := range []int{0, 1, sealedOverhead - 1, len(sealed) - 1} {
		if _, err := v.Open(ad, sealed[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: opened", n)
		}
	}
	if _, err := v.Open(ad, append(bytes.Clone(sealed), 0)); !errors.Is(err, ErrTampered) {
		t.Fatalf("extended: %v, want ErrTampered", err)
	}
}

func TestMovedValueFailsToOpen(t *testing.T) {
	v := newTestVault(t, "pw")
	sealed, err := v.Seal([]byte("accounts/42/password"), []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ad := range []string{"accounts/43/password", "accounts/4/password", "accounts/42/passwor", "", "history/42/body"} {
		if _, err := v.Open([]byte(ad), sealed); !errors.Is(err, ErrTampered) {
			t.Errorf("ad %q: %v, want ErrTampered", ad, err)
		}
	}
}

func TestOtherVaultCannotOpen(t *testing.T) {
	a := newTestVault(t, "pw")
	b, err := create(testRand(2), []byte("pw"), TestParams)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := a.Seal([]byte("x"), []byte("y"))
	if _, err := b.Open([]byte("x"), sealed); !errors.Is(err, ErrTampered) {
		t.Fatalf("other vault: %v, want ErrTampered", err)
	}
}

func TestTamperedHeaderFailsClosed(t *testing.T) {
	v := newTestVault(t, "pw")
	hdr := v.Header()
	for i := range hdr {
		mask := byte(0x01)
		if i == 15 {
			// 0x01 here would ask for 64 MiB, a legal but slow request;
			// 0x80 asks for 8 GiB, which the parser must refuse.
			mask = 0x80
		}
		b := bytes.Clone(hdr)
		b[i] ^= mask
		l, err := Load(b)
		if err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("byte %d: Load error %v is not ErrBadHeader", i, err)
			}
			continue
		}
		if err := l.Unlock([]byte("pw")); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("byte %d: Unlock of tampered header: %v, want ErrWrongPassword", i, err)
		}
	}
	for _, n := range []int{0, 8, headerSize - 1, headerSize + 1} {
		b := make([]byte, n)
		copy(b, hdr)
		if _, err := Load(b); !errors.Is(err, ErrBadHeader) {
			t.Errorf("length %d: %v, want ErrBadHeader", n, err)
		}
	}
}

func TestChangePassword(t *testing.T) {
	v := newTestVault(t, "old")
	ad := []byte("accounts/1/password")
	sealed, _ := v.Seal(ad, []byte("secret"))
	oldHdr := v.Header()

	if err := v.ChangePassword([]byte("wrong"), []byte("new"), func([]byte) error {
		t.Fatal("commit called after a wrong old password")
		return nil
	}); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong old password: %v", err)
	}

	failing := errors.New("disk full")
	if err := v.ChangePassword([]byte("old"), []byte("new"), func([]byte) error { return failing }); !errors.Is(err, failing) {
		t.Fatalf("failing commit: %v", err)
	}
	if !bytes.Equal(v.Header(), oldHdr) {
		t.Fatal("header changed although commit failed")
	}

	var stored []byte
	if err := v.ChangePassword([]byte("old"), []byte("new"), func(h []byte) error { stored = h; return nil }); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, v.Header()) {
		t.Fatal("committed header differs from Header()")
	}
	if bytes.Equal(stored[19:35], oldHdr[19:35]) {
		t.Error("salt not renewed")
	}
	if v.Params() != TestParams {
		t.Errorf("params changed to %v", v.Params())
	}

	l, err := Load(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock([]byte("old")); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("old password after change: %v", err)
	}
	if err := l.Unlock([]byte("new")); err != nil {
		t.Fatalf("new password: %v", err)
	}
	got, err := l.Open(ad, sealed)
	if err != nil || string(got) != "secret" {
		t.Fatalf("value sealed before the change: %q, %v", got, err)
	}
	if err := v.ChangePassword([]byte("new"), nil, nil); !errors.Is(err, ErrEmptyPassword) {
		t.Fatalf("empty new password: %v", err)
	}
}

func TestChangePasswordWhileLocked(t *testing.T) {
	v := newTestVault(t, "old")
	v.Lock()
	if err := v.ChangePassword([]byte("old"), []byte("new"), func([]byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !v.Locked() {
		t.Fatal("ChangePassword unlocked the vault")
	}
	if err := v.Unlock([]byte("new")); err != nil {
		t.Fatal(err)
	}
}

func TestLockWipesKey(t *testing.T) {
	v := newTestVault(t, "pw")
	key := v.dataKey // the slice Lock must zero
	if bytes.Equal(key, make([]byte, keySize)) {
		t.Fatal("data key is all zeros before Lock")
	}
	v.Lock()
	if !bytes.Equal(key, make([]byte, keySize)) {
		t.Fatalf("data key not wiped: %x", key)
	}
	if !v.Locked() || v.dataKey != nil {
		t.Fatal("vault still holds a key")
	}
	if _, err := v.Seal([]byte("a"), []byte("b")); !errors.Is(err, ErrLocked) {
		t.Fatalf("Seal after Lock: %v", err)
	}
	if _, err := v.KeyFile(); !errors.Is(err, ErrLocked) {
		t.Fatalf("KeyFile after Lock: %v", err)
	}
	v.Lock() // idempotent

	// A second Unlock replaces (and wipes) the previous key slice.
	if err := v.Unlock([]byte("pw")); err != nil {
		t.Fatal(err)
	}
	first := v.dataKey
	if err := v.Unlock([]byte("pw")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, make([]byte, keySize)) {
		t.Fatal("replaced key not wiped")
	}
}

func TestKeyFile(t *testing.T) {
	v := newTestVault(t, "pw")
	sealed, _ := v.Seal([]byte("ad"), []byte("kept"))
	kf, err := v.KeyFile()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := create(testRand(9), []byte("pw"), TestParams)
	otherKF, _ := other.KeyFile()
	altered := bytes.Clone(kf)
	altered[len(altered)-1] ^= 1

	tests := []struct {
		name    string
		file    []byte
		wantErr error
	}{
		{"own", kf, nil},
		{"other vault", otherKF, ErrWrongKeyFile},
		{"altered key", altered, ErrWrongKeyFile},
		{"truncated", kf[:keyFileSize-1], ErrBadKeyFile},
		{"header instead", v.Header(), ErrBadKeyFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Load(v.Header())
			if err != nil {
				t.Fatal(err)
			}
			if err := l.UnlockWithKeyFile(tc.file); !errors.Is(err, tc.wantErr) {
				t.Fatalf("UnlockWithKeyFile: %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if !l.Locked() {
					t.Fatal("unlocked by a bad key file")
				}
				return
			}
			if got, err := l.Open([]byte("ad"), sealed); err != nil || string(got) != "kept" {
				t.Fatalf("Open: %q, %v", got, err)
			}
		})
	}
}

func TestCreateRejects(t *testing.T) {
	if _, err := Create(nil, TestParams); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("empty password: %v", err)
	}
	for _, p := range []Params{{}, {Time: 1, MemoryKiB: 4, Threads: 1}, {Time: 1, MemoryKiB: 1 << 30, Threads: 1}, {Time: 1, MemoryKiB: 64, Threads: 0}} {
		if _, err := Create([]byte("pw"), p); err == nil {
			t.Errorf("params %v accepted", p)
		}
	}
}

func TestDefaultParamsAreSane(t *testing.T) {
	if err := DefaultParams.check(); err != nil {
		t.Fatal(err)
	}
	if DefaultParams.MemoryKiB < 32*1024 {
		t.Fatalf("DefaultParams memory %d KiB is below RFC 9106's low-memory option range", DefaultParams.MemoryKiB)
	}
}

func TestConcurrentUse(t *testing.T) {
	// crypto/rand, not testRand: a ChaCha8 is not safe for concurrent use.
	v, err := Create([]byte("pw"), TestParams)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				s, err := v.Seal([]byte("ad"), []byte{byte(i)})
				if errors.Is(err, ErrLocked) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := v.Open([]byte("ad"), s); err != nil && !errors.Is(err, ErrLocked) {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 10 {
		v.Lock()
		if err := v.Unlock([]byte("pw")); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
