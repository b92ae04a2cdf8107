package callmedia

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/padlock-phone/padlock/crypto/zrtp"
	"github.com/padlock-phone/padlock/store"
)

// Kinds of the device keys this package keeps in the store (account 0).
const (
	zidKind   = "zrtp-zid"
	cacheKind = "zrtp-cache"
)

// ZRTPCache is the device's ZRTP identity and its cache of retained
// secrets per peer, sealed in the store.
type ZRTPCache interface {
	zrtp.Cache
	Store(peerZID [12]byte, s zrtp.CachedSecrets) error
}

// StoreCache keeps the ZRTP cache in the store's device keys.
type StoreCache struct{ St *store.Store }

// Lookup implements zrtp.Cache. A vault that is locked or a damaged entry is
// an error, never "new peer": that would hide a changed key.
func (c StoreCache) Lookup(peer [12]byte) (zrtp.CachedSecrets, bool, error) {
	k, err := c.St.Key(context.Background(), 0, cacheKind, hex.EncodeToString(peer[:]))
	if errors.Is(err, store.ErrNotFound) {
		return zrtp.CachedSecrets{}, false, nil
	}
	if err != nil {
		return zrtp.CachedSecrets{}, false, err
	}
	s, err := decodeSecrets(k.Blob)
	return s, err == nil, err
}

// Store keeps new secrets for a peer.
func (c StoreCache) Store(peer [12]byte, s zrtp.CachedSecrets) error {
	_, err := c.St.PutKey(context.Background(), store.Key{Kind: cacheKind, Name: hex.EncodeToString(peer[:]), Blob: encodeSecrets(s)})
	return err
}

// DeviceZID returns the device's ZID, making and storing a random one the
// first time. It needs the vault unlocked.
func DeviceZID(ctx context.Context, st *store.Store) ([12]byte, error) {
	var zid [12]byte
	k, err := st.Key(ctx, 0, zidKind, "")
	switch {
	case err == nil && len(k.Blob) == len(zid):
		copy(zid[:], k.Blob)
		return zid, nil
	case err == nil:
		return zid, fmt.Errorf("stored ZRTP ZID has %d bytes, want 12", len(k.Blob))
	case !errors.Is(err, store.ErrNotFound):
		return zid, err
	}
	if _, err := rand.Read(zid[:]); err != nil {
		return zid, err
	}
	_, err = st.PutKey(ctx, store.Key{Kind: zidKind, Blob: zid[:]})
	return zid, err
}

// The cache entry format: version 1, flags (bit 0: verified), then rs1 and
// rs2 each as a length byte and its bytes.
func encodeSecrets(s zrtp.CachedSecrets) []byte {
	b := []byte{1, 0}
	if s.Verified {
		b[1] = 1
	}
	for _, rs := range [][]byte{s.RS1, s.RS2} {
		b = append(b, byte(len(rs)))
		b = append(b, rs...)
	}
	return b
}

func decodeSecrets(b []byte) (zrtp.CachedSecrets, error) {
	var s zrtp.CachedSecrets
	if len(b) < 2 || b[0] != 1 || b[1]&^1 != 0 {
		return s, errors.New("zrtp cache entry: unknown format")
	}
	s.Verified = b[1]&1 != 0
	b = b[2:]
	for _, rs := range []*[]byte{&s.RS1, &s.RS2} {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return s, errors.New("zrtp cache entry: truncated")
		}
		if n := int(b[0]); n > 0 {
			*rs = append([]byte(nil), b[1:1+n]...)
		}
		b = b[1+int(b[0]):]
	}
	if len(b) != 0 {
		return s, errors.New("zrtp cache entry: trailing bytes")
	}
	return s, nil
}
