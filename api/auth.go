package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
)

type callerKey struct{}

// authenticate resolves the request's token (Bearer header or ?token=) to
// a user. A supplied token is always checked, even where anonymous access
// is allowed: an invalid one is 401 invalid-token.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, value, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(value) == "" {
				s.writeError(w, r, actord.Errorf(actord.ErrInvalidToken, "Authentication token is not valid."))
				return
			}
			token = strings.TrimSpace(value)
		}
		if token != "" {
			u, err := s.users.Authenticate(r.Context(), token)
			if err != nil {
				if errors.Is(err, platform.ErrBadToken) {
					err = actord.Errorf(actord.ErrInvalidToken, "Authentication token is not valid.")
				}
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), callerKey{}, u))
		}
		next.ServeHTTP(w, r)
	})
}

// caller returns the authenticated user, or nil for anonymous requests.
func caller(r *http.Request) *actord.User {
	u, _ := r.Context().Value(callerKey{}).(*actord.User)
	return u
}

// requireCaller returns the authenticated user or 401 token-not-provided.
func requireCaller(r *http.Request) (*actord.User, error) {
	if u := caller(r); u != nil {
		return u, nil
	}
	return nil, actord.Errorf(actord.ErrTokenNotProvided, "Authentication token was not provided")
}
