// Package sysinfo reports facts about the running process that benchmarks print: peak resident
// memory and CPU time. Imports nothing of this module.
package sysinfo

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
)

// CPUTime returns the process's user plus system CPU time so far (0 when unknown).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PeakRSS returns the process's peak resident set size in bytes (0 when unknown).
func PeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // Linux reports kilobytes
}

// ResetPeakRSS returns freed memory to the system and resets the peak that [StagePeakRSS]
// reports to the current resident size (Linux ≥ 4.0: /proc/self/clear_refs), so that a benchmark
// can measure one stage after another. It reports whether the reset worked.
func ResetPeakRSS() bool {
	runtime.GC()
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// StagePeakRSS returns the peak resident set size in bytes since the last [ResetPeakRSS]
// (VmHWM of /proc/self/status), or [PeakRSS] when that is unreadable.
func StagePeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return PeakRSS()
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := bytes.Fields(v)
			if len(f) >= 1 {
				if kb, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return PeakRSS()
}
