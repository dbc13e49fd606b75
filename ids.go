package actord

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// IDLength is the length of every resource ID (users, storages, runs, …).
const IDLength = 17

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns a random 17-character alphanumeric ID, like Apify's
// cryptoRandomObjectId(17).
func NewID() string { return RandomString(IDLength) }

// RandomString returns n characters drawn uniformly from [A-Za-z0-9].
func RandomString(n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2+8)
	for i := 0; i < n; {
		rand.Read(buf) // never returns an error (crypto/rand docs)
		for _, b := range buf {
			// 248 = 4*62: reject the tail to keep the distribution uniform.
			if b >= 248 {
				continue
			}
			out[i] = idAlphabet[int(b)%62]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

// RequestIDFromUniqueKey derives a request queue request ID from its
// uniqueKey exactly as Apify does: base64(sha256(uniqueKey)) with "+", "/"
// and "=" removed, first 15 characters.
func RequestIDFromUniqueKey(uniqueKey string) string {
	sum := sha256.Sum256([]byte(uniqueKey))
	s := base64.StdEncoding.EncodeToString(sum[:])
	s = strings.NewReplacer("+", "", "/", "", "=", "").Replace(s)
	return s[:15]
}

// NameRef is a parsed resource reference from a URL path segment: either a
// plain ID, or a name owned by a user ("username~name", or "~name" for the
// caller's own).
type NameRef struct {
	ID       string // set when the reference is a plain ID
	Username string // "" for "~name" (the caller)
	Name     string // set when the reference is a name
}

// IsName reports whether the reference names a resource rather than giving its ID.
func (r NameRef) IsName() bool { return r.Name != "" }

// ParseRef parses an ID-or-name path segment. The "~" may arrive as "%7E"
// when the router did not decode it; "username/name" (a client that did not
// convert the slash) is accepted too.
func ParseRef(s string) NameRef {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "%7E", "~"), "%7e", "~")
	if i := strings.IndexByte(s, '~'); i >= 0 {
		return NameRef{Username: s[:i], Name: s[i+1:]}
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return NameRef{Username: s[:i], Name: s[i+1:]}
	}
	return NameRef{ID: s}
}

// ParseBool reads a boolean query parameter as Apify's API accepts it: "1"
// or "true", "0" or "false" (any case; the clients send 1/0 or true/false).
// ok is false for anything else, including "".
func ParseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "1", "true":
		return true, true
	case "0", "false":
		return false, true
	}
	return false, false
}
