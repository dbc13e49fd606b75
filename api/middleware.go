package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/actord/actord"
)

// methodOverride lets GET-only clients call other methods with ?method=X.
func methodOverride(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := r.URL.Query().Get("method"); m != "" && r.Method == http.MethodGet {
			r.Method = strings.ToUpper(m)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

var allMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// notFoundOrNotAllowed answers requests no route matched: 405 with the
// allowed methods when the path exists for other methods, else 404.
func (s *Server) notFoundOrNotAllowed(w http.ResponseWriter, r *http.Request) error {
	var allowed []string
	for _, m := range allMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		allowed = append([]string{http.MethodOptions}, allowed...)
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return actord.Errorf(actord.ErrMethodNotAllowed, "This API endpoint can only be accessed using the following HTTP methods: %s", strings.Join(allowed, ","))
	}
	return actord.Errorf(actord.ErrPageNotFound, "We have bad news: there is no API endpoint at this URL. Did you specify it correctly?")
}
