// Package archtest holds only a test: it keeps the package dependency directions of STYLE.md true,
// so a forbidden import fails go test instead of a code review.
package archtest
