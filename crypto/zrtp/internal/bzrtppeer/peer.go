package bzrtppeer

/*
#cgo pkg-config: libbzrtp sqlite3
#include <bzrtp/bzrtp.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define PEER_QUEUE 64
#define PEER_MTU 2048

typedef struct {
	int n;
	uint16_t len[PEER_QUEUE];
	uint8_t buf[PEER_QUEUE][PEER_MTU];
	int dropped;
	int secured;
	char sas[64];
	uint8_t selfKey[32], selfSalt[16], peerKey[32], peerSalt[16];
	int keyLen, saltLen;
	int verified, cacheMismatch;
	uint8_t cipher, auth, hash, ka, sasAlgo;
} peer_t;

static int peer_send(void *cd, const uint8_t *p, uint16_t len) {
	peer_t *pe = cd;
	if (pe->n >= PEER_QUEUE || len > PEER_MTU) {
		pe->dropped++;
		return 0;
	}
	memcpy(pe->buf[pe->n], p, len);
	pe->len[pe->n++] = len;
	return 0;
}

static int peer_secrets(void *cd, const bzrtpSrtpSecrets_t *s, uint8_t part) { return 0; }

static int peer_start(void *cd, const bzrtpSrtpSecrets_t *s, int32_t verified) {
	peer_t *pe = cd;
	pe->secured = 1;
	pe->verified = verified;
	if (s->sas != NULL) {
		strncpy(pe->sas, s->sas, sizeof(pe->sas)-1);
	}
	pe->keyLen = s->selfSrtpKeyLength;
	pe->saltLen = s->selfSrtpSaltLength;
	if (pe->keyLen > 32) pe->keyLen = 32;
	if (pe->saltLen > 16) pe->saltLen = 16;
	memcpy(pe->selfKey, s->selfSrtpKey, pe->keyLen);
	memcpy(pe->selfSalt, s->selfSrtpSalt, pe->saltLen);
	memcpy(pe->peerKey, s->peerSrtpKey, pe->keyLen);
	memcpy(pe->peerSalt, s->peerSrtpSalt, pe->saltLen);
	pe->cipher = s->cipherAlgo;
	pe->auth = s->authTagAlgo;
	pe->hash = s->hashAlgo;
	pe->ka = s->keyAgreementAlgo;
	pe->sasAlgo = s->sasAlgo;
	pe->cacheMismatch = s->cacheMismatch;
	return 0;
}

static int peer_status(void *cd, const uint8_t level, const uint8_t id, const char *msg) { return 0; }

static bzrtpContext_t *peer_new(peer_t *pe, uint32_t ssrc, uint8_t types[5][7], uint8_t counts[5], void *db, const char *self, const char *peer) {
	bzrtpCallbacks_t cbs;
	memset(&cbs, 0, sizeof(cbs));
	cbs.bzrtp_statusMessage = peer_status;
	cbs.bzrtp_messageLevel = BZRTP_MESSAGE_ERROR;
	cbs.bzrtp_sendData = peer_send;
	cbs.bzrtp_srtpSecretsAvailable = peer_secrets;
	cbs.bzrtp_startSrtpSession = peer_start;
	bzrtpContext_t *ctx = bzrtp_createBzrtpContext();
	if (ctx == NULL) return NULL;
	bzrtp_setCallbacks(ctx, &cbs);
	if (db != NULL) bzrtp_setZIDCache(ctx, db, self, peer);
	const uint8_t kinds[5] = {ZRTP_HASH_TYPE, ZRTP_CIPHERBLOCK_TYPE, ZRTP_AUTHTAG_TYPE, ZRTP_KEYAGREEMENT_TYPE, ZRTP_SAS_TYPE};
	for (int i = 0; i < 5; i++) {
		if (counts[i] > 0) bzrtp_setSupportedCryptoTypes(ctx, kinds[i], types[i], counts[i]);
	}
	bzrtp_initBzrtpContext(ctx, ssrc);
	bzrtp_setClientData(ctx, ssrc, pe);
	return ctx;
}

static void *cache_open(const char *path) {
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	bzrtp_initCache_lock(db, NULL);
	return db;
}

static void cache_close(void *db) { sqlite3_close((sqlite3 *)db); }

static uint8_t peer_supported(bzrtpContext_t *ctx, int kind, uint8_t out[7]) {
	const uint8_t kinds[5] = {ZRTP_HASH_TYPE, ZRTP_CIPHERBLOCK_TYPE, ZRTP_AUTHTAG_TYPE, ZRTP_KEYAGREEMENT_TYPE, ZRTP_SAS_TYPE};
	return bzrtp_getSupportedCryptoTypes(ctx, kinds[kind], out);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/padlock-phone/padlock/crypto/zrtp"
)

// codes maps ZRTP block types to bzrtp's integer codes (bzrtp.h).
var codes = map[zrtp.Algo]uint8{
	zrtp.HashS256: 0x11, zrtp.HashS384: 0x12,
	zrtp.CipherAES1: 0x21, zrtp.CipherAES2: 0x22, zrtp.CipherAES3: 0x23,
	zrtp.AuthHS32: 0x31, zrtp.AuthHS80: 0x32,
	zrtp.KeyX255: 0x42, zrtp.KeyEC25: 0x43, zrtp.KeyDH3k: 0x45, zrtp.KeyEC38: 0x46,
	zrtp.SASB32: 0x51, zrtp.SASB256: 0x52,
}

func algoOf(code uint8) zrtp.Algo {
	for a, c := range codes {
		if c == code {
			return a
		}
	}
	return zrtp.Algo{}
}

// Algorithms lists what the peer offers, per kind, in preference order; an
// empty list keeps bzrtp's default.
type Algorithms struct {
	Hashes, Ciphers, AuthTags, KeyAgreements, SASTypes []zrtp.Algo
}

// Peer is one bzrtp context with one channel.
type Peer struct {
	c    *C.peer_t
	ctx  *C.bzrtpContext_t
	ssrc C.uint32_t
}

// Cache is a bzrtp ZID cache: an SQLite database bzrtp reads and writes.
type Cache struct{ db unsafe.Pointer }

// OpenCache opens (creating it if needed) a bzrtp cache database file.
func OpenCache(path string) (*Cache, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	db := C.cache_open(cpath)
	if db == nil {
		return nil, fmt.Errorf("bzrtppeer: cannot open cache %s", path)
	}
	return &Cache{db: db}, nil
}

// Close closes the database.
func (c *Cache) Close() { C.cache_close(c.db) }

// New creates a bzrtp context offering algs, without a ZID cache. Close it
// after use.
func New(ssrc uint32, algs Algorithms) (*Peer, error) {
	return NewWithCache(ssrc, algs, nil, "", "")
}

// NewWithCache creates a bzrtp context that keeps retained secrets in
// cache, under the given local and peer URIs.
func NewWithCache(ssrc uint32, algs Algorithms, cache *Cache, selfURI, peerURI string) (*Peer, error) {
	var types [5][7]C.uint8_t
	var counts [5]C.uint8_t
	for i, list := range [][]zrtp.Algo{algs.Hashes, algs.Ciphers, algs.AuthTags, algs.KeyAgreements, algs.SASTypes} {
		if len(list) > 7 {
			return nil, errors.New("bzrtppeer: more than 7 algorithms of one kind")
		}
		for j, a := range list {
			c, ok := codes[a]
			if !ok {
				return nil, fmt.Errorf("bzrtppeer: no bzrtp code for %q", a)
			}
			types[i][j] = C.uint8_t(c)
		}
		counts[i] = C.uint8_t(len(list))
	}
	p := &Peer{c: (*C.peer_t)(C.calloc(1, C.sizeof_peer_t)), ssrc: C.uint32_t(ssrc)}
	var db unsafe.Pointer
	if cache != nil {
		db = cache.db
	}
	cself, cpeer := C.CString(selfURI), C.CString(peerURI)
	defer C.free(unsafe.Pointer(cself))
	defer C.free(unsafe.Pointer(cpeer))
	p.ctx = C.peer_new(p.c, p.ssrc, &types[0], &counts[0], db, cself, cpeer)
	if p.ctx == nil {
		C.free(unsafe.Pointer(p.c))
		return nil, errors.New("bzrtppeer: bzrtp_createBzrtpContext failed")
	}
	return p, nil
}

// Supported returns what bzrtp will really offer of one kind (0 hash, 1
// cipher, 2 auth tag, 3 key agreement, 4 SAS): the library drops what its
// crypto backend lacks.
func (p *Peer) Supported(kind int) []zrtp.Algo {
	var out [7]C.uint8_t
	n := int(C.peer_supported(p.ctx, C.int(kind), &out[0]))
	var list []zrtp.Algo
	for _, c := range out[:n] {
		if a := algoOf(uint8(c)); a != (zrtp.Algo{}) {
			list = append(list, a)
		}
	}
	return list
}

// Start starts the channel (bzrtp sends its first Hello).
func (p *Peer) Start() error {
	if rc := C.bzrtp_startChannelEngine(p.ctx, p.ssrc); rc != 0 {
		return fmt.Errorf("bzrtppeer: bzrtp_startChannelEngine: %#x", int(rc))
	}
	return nil
}

// Receive hands bzrtp one packet; a non-nil error is bzrtp's return code.
func (p *Peer) Receive(pkt []byte) error {
	if len(pkt) == 0 {
		return nil
	}
	buf := C.CBytes(pkt)
	defer C.free(buf)
	if rc := C.bzrtp_processMessage(p.ctx, p.ssrc, (*C.uint8_t)(buf), C.uint16_t(len(pkt))); rc != 0 {
		return fmt.Errorf("bzrtppeer: bzrtp_processMessage: %#x", int(rc))
	}
	return nil
}

// Iterate runs bzrtp's timers at a time in milliseconds.
func (p *Peer) Iterate(ms uint64) {
	C.bzrtp_iterate(p.ctx, p.ssrc, C.uint64_t(ms))
}

// Outgoing returns and forgets the packets bzrtp asked to send.
func (p *Peer) Outgoing() [][]byte {
	var out [][]byte
	for i := 0; i < int(p.c.n); i++ {
		out = append(out, C.GoBytes(unsafe.Pointer(&p.c.buf[i][0]), C.int(p.c.len[i])))
	}
	p.c.n = 0
	return out
}

// Result is what bzrtp reported when the session became secure.
type Result struct {
	SAS                                  string // B256 words separated by a space, as zrtp renders them
	Verified, CacheMismatch              bool
	SelfKey, SelfSalt, PeerKey, PeerSalt []byte
	Hash, Cipher, AuthTag, KeyAgreement  zrtp.Algo
	SASType                              zrtp.Algo
}

// Secured returns the result once bzrtp called startSrtpSession.
func (p *Peer) Secured() (Result, bool) {
	if p.c.secured == 0 {
		return Result{}, false
	}
	kl, sl := C.int(p.c.keyLen), C.int(p.c.saltLen)
	return Result{
		SAS:           strings.ReplaceAll(C.GoString(&p.c.sas[0]), ":", " "),
		Verified:      p.c.verified != 0,
		CacheMismatch: p.c.cacheMismatch != 0,
		SelfKey:       C.GoBytes(unsafe.Pointer(&p.c.selfKey[0]), kl),
		SelfSalt:      C.GoBytes(unsafe.Pointer(&p.c.selfSalt[0]), sl),
		PeerKey:       C.GoBytes(unsafe.Pointer(&p.c.peerKey[0]), kl),
		PeerSalt:      C.GoBytes(unsafe.Pointer(&p.c.peerSalt[0]), sl),
		Hash:          algoOf(uint8(p.c.hash)),
		Cipher:        algoOf(uint8(p.c.cipher)),
		AuthTag:       algoOf(uint8(p.c.auth)),
		KeyAgreement:  algoOf(uint8(p.c.ka)),
		SASType:       algoOf(uint8(p.c.sasAlgo)),
	}, true
}

// HelloHash is bzrtp's own a=zrtp-hash value.
func (p *Peer) HelloHash() (string, error) {
	var buf [80]C.uint8_t
	if rc := C.bzrtp_getSelfHelloHash(p.ctx, p.ssrc, &buf[0], C.size_t(len(buf))); rc != 0 {
		return "", fmt.Errorf("bzrtppeer: bzrtp_getSelfHelloHash: %#x", int(rc))
	}
	return C.GoString((*C.char)(unsafe.Pointer(&buf[0]))), nil
}

// SetPeerHelloHash gives bzrtp our a=zrtp-hash, as SDP would.
func (p *Peer) SetPeerHelloHash(h string) error {
	cs := C.CString(h)
	defer C.free(unsafe.Pointer(cs))
	if rc := C.bzrtp_setPeerHelloHash(p.ctx, p.ssrc, (*C.uint8_t)(unsafe.Pointer(cs)), C.size_t(len(h))); rc != 0 {
		return fmt.Errorf("bzrtppeer: bzrtp_setPeerHelloHash: %#x", int(rc))
	}
	return nil
}

// SASVerified tells bzrtp the user verified the SAS (stored in its cache).
func (p *Peer) SASVerified() { C.bzrtp_SASVerified(p.ctx) }

// Status is bzrtp's channel status (BZRTP_CHANNEL_*).
func (p *Peer) Status() int { return int(C.bzrtp_getChannelStatus(p.ctx, p.ssrc)) }

// Close destroys the context.
func (p *Peer) Close() {
	C.bzrtp_destroyBzrtpContext(p.ctx, p.ssrc)
	C.free(unsafe.Pointer(p.c))
}
