package publish

import (
	"errors"
	"fmt"
	"strings"
)

// Location is a place releases live: an S3 bucket and key prefix, or a local folder.
type Location struct {
	Bucket string // empty for a local folder
	Prefix string // S3 key prefix without leading or trailing slash; may be empty
	Dir    string // local folder when Bucket is empty
}

// IsS3 reports whether l names object storage.
func (l Location) IsS3() bool { return l.Bucket != "" }

// String gives the location as the user would type it.
func (l Location) String() string {
	if !l.IsS3() {
		return l.Dir
	}
	if l.Prefix == "" {
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// ErrBadURL is returned for an s3:// URL that cannot name a bucket and prefix.
var ErrBadURL = errors.New("bad s3 URL")

// IsS3URL reports whether s looks like an s3:// URL (whether or not it is valid).
func IsS3URL(s string) bool { return strings.HasPrefix(strings.ToLower(s), "s3://") }

// ParseLocation parses "s3://BUCKET[/PREFIX]" into a bucket and prefix, or takes anything else
// as a local folder.
func ParseLocation(s string) (Location, error) {
	if !IsS3URL(s) {
		if s == "" {
			return Location{}, errors.New("empty location: give s3://BUCKET/PREFIX or a folder")
		}
		return Location{Dir: s}, nil
	}
	rest := s[len("s3://"):]
	bucket, prefix, _ := strings.Cut(rest, "/")
	if err := checkBucket(bucket); err != nil {
		return Location{}, fmt.Errorf("%w %q: %v", ErrBadURL, s, err)
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		for _, seg := range strings.Split(prefix, "/") {
			switch {
			case seg == "":
				return Location{}, fmt.Errorf("%w %q: empty path segment (//)", ErrBadURL, s)
			case seg == "." || seg == "..":
				return Location{}, fmt.Errorf("%w %q: path segment %q is not allowed", ErrBadURL, s, seg)
			}
		}
		if strings.ContainsAny(prefix, "\\\x00") || strings.ContainsFunc(prefix, isControl) {
			return Location{}, fmt.Errorf("%w %q: prefix has a backslash or a control character", ErrBadURL, s)
		}
		if len(prefix) > 900 {
			return Location{}, fmt.Errorf("%w %q: prefix longer than 900 bytes", ErrBadURL, s)
		}
	}
	return Location{Bucket: bucket, Prefix: prefix}, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// checkBucket applies the S3 bucket naming rules (3-63 characters of a-z, 0-9, '.', '-', starting
// and ending with a letter or digit, no "..", not an IP address).
func checkBucket(b string) error {
	if b == "" {
		return errors.New("no bucket name")
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-'
		if !ok {
			return fmt.Errorf("bucket name %q may hold only lowercase letters, digits, '.' and '-'", b)
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return fmt.Errorf("bucket name %q must start and end with a letter or digit", b)
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("bucket name %q must not contain \"..\"", b)
	}
	dots, digits := 0, true
	for i := 0; i < len(b); i++ {
		if b[i] == '.' {
			dots++
		} else if b[i] < '0' || b[i] > '9' {
			digits = false
		}
	}
	if dots == 3 && digits {
		return fmt.Errorf("bucket name %q looks like an IP address", b)
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// checkSegment validates one path segment used as a release name or version.
func checkSegment(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty %s", what)
	case s == "." || s == ".." || s == LatestName:
		return fmt.Errorf("%s %q is not allowed", what, s)
	case strings.ContainsAny(s, "/\\") || strings.ContainsFunc(s, isControl):
		return fmt.Errorf("%s %q has a slash, backslash or control character", what, s)
	case len(s) > 200:
		return fmt.Errorf("%s longer than 200 bytes", what)
	}
	return nil
}
