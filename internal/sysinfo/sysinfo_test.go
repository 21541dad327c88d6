package sysinfo

import "testing"

func TestPeakRSSGrows(t *testing.T) {
	before := PeakRSS()
	if before <= 0 {
		t.Fatalf("PeakRSS = %d", before)
	}
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	if after := PeakRSS(); after < before+32<<20 {
		t.Fatalf("PeakRSS did not grow after touching 64 MiB: %d → %d", before, after)
	}
	_ = b[len(b)-1]
}
