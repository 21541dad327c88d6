// Package textsafe escapes the characters that can disguise text on a terminal before raysynth
// prints names it did not choose (object keys, file names, class names and values read from an
// attacker's bundle): control characters (C0 except tab and newline, DEL, C1), Unicode format
// characters (bidirectional overrides and isolates such as U+202E, zero-width characters, the
// byte order mark), line and paragraph separators, and bytes that are not UTF-8.
//
// Each escaped rune becomes \uXXXX (a surrogate pair beyond the Basic Multilingual Plane) and
// each invalid byte \xNN. \uXXXX is also a JSON string escape, so a [Writer] over JSON output
// keeps it valid JSON that decodes to the same strings (encoding/json already escapes C0
// controls and invalid UTF-8; it leaves C1 and bidi characters raw). Backslashes are not
// escaped, for the same reason: the output stays readable and valid, at the cost that a literal
// "\u202e" in a name looks like an escaped one.
//
// # Invariants
//
//   - Text that needs no escaping is returned unchanged, so ordinary output does not move.
//   - Imports only the standard library.
package textsafe
