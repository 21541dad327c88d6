package sysinfo

import "testing"

func TestPeakRSSGrows(t *testing.T) {
	before := PeakRSS()
	if before <= 0 {
		t.Fatalf("PeakRSS = %d", before)
	}
	// Touch more than the peak so far: the current RSS may be well below the earlier peak.
	b := make([]byte, before+64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	if after := PeakRSS(); after < before+32<<20 {
		t.Fatalf("PeakRSS did not grow after touching 64 MiB: %d → %d", before, after)
	}
	_ = b[len(b)-1]
}

func TestStagePeakRSSResets(t *testing.T) {
	b := make([]byte, 256<<20)
	for i := range b {
		b[i] = byte(i)
	}
	high := StagePeakRSS()
	if high < 256<<20 {
		t.Fatalf("StagePeakRSS = %d after touching 256 MiB", high)
	}
	b = nil
	if !ResetPeakRSS() {
		t.Fatal("ResetPeakRSS failed")
	}
	if low := StagePeakRSS(); low > high-128<<20 {
		t.Fatalf("StagePeakRSS = %d after freeing 256 MiB and a reset, was %d", low, high)
	}
	_ = b
}
