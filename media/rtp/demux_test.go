package rtp

import "testing"

func TestClassify(t *testing.T) {
	rtpPkt := []byte{0x80, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xff}
	zrtp := []byte{0x10, 0, 0, 1, 'Z', 'R', 'T', 'P', 1, 2, 3, 4, 0, 0, 0, 0}
	tests := []struct {
		name string
		b    []byte
		want Kind
	}{
		{"empty", nil, KindUnknown},
		{"PCMU", rtpPkt, KindRTP},
		{"marker PT 0", []byte{0x80, 0x80, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4}, KindRTP},
		{"telephone-event 101 with marker", []byte{0x80, 0x80 | 101, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4}, KindRTP},
		{"PT 63 with marker (191)", []byte{0x80, 191, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4}, KindRTP},
		{"PT 96 with marker (224)", []byte{0x80, 224, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4}, KindRTP},
		{"SR (200)", []byte{0x80, 200, 0, 6, 1, 2, 3, 4}, KindRTCP},
		{"RR (201) with one block", []byte{0x81, 201, 0, 7, 1, 2, 3, 4}, KindRTCP},
		{"192 lowest RTCP", []byte{0x80, 192, 0, 1, 1, 2, 3, 4}, KindRTCP},
		{"223 highest RTCP", []byte{0x80, 223, 0, 1, 1, 2, 3, 4}, KindRTCP},
		{"ZRTP Hello", zrtp, KindZRTP},
		{"ZRTP too short", zrtp[:12], KindUnknown},
		{"ZRTP wrong cookie", []byte{0x10, 0, 0, 1, 'Z', 'R', 'T', 'Q', 1, 2, 3, 4, 0, 0, 0, 0}, KindUnknown},
		{"version 1", []byte{0x40, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4}, KindUnknown},
		{"version 0 not ZRTP", []byte{0x00, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4}, KindUnknown},
		{"STUN binding", []byte{0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, KindUnknown},
		{"DTLS", []byte{22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, KindUnknown},
		{"RTP short", rtpPkt[:11], KindUnknown},
		{"RTCP short", []byte{0x80, 200, 0, 1, 1, 2, 3}, KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.b); got != tt.want {
				t.Errorf("Classify(% x) = %v, want %v", tt.b, got, tt.want)
			}
		})
	}
}
