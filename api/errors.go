package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/actord/actord"
)

// statusOf maps an Apify error type to its HTTP status. This is the only
// place that decides error statuses.
func statusOf(typ string) int {
	switch typ {
	case actord.ErrTokenNotProvided, actord.ErrInvalidToken:
		return http.StatusUnauthorized
	case actord.ErrInsufficientPermissions:
		return http.StatusForbidden
	case actord.ErrRecordNotFound, actord.ErrRecordOrTokenNotFound, actord.ErrPageNotFound:
		return http.StatusNotFound
	case actord.ErrMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case actord.ErrNameNotUnique:
		return http.StatusConflict
	case actord.ErrRunTimeoutExceeded:
		return http.StatusRequestTimeout
	case actord.ErrRequestTooLarge, actord.ErrRecordTooLarge:
		return http.StatusRequestEntityTooLarge
	case actord.ErrUnsupportedContentEncoding:
		return http.StatusUnsupportedMediaType
	case actord.ErrInternal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// writeError writes err as Apify's error envelope. Errors that are not an
// *actord.Error are logged and reported as a generic 500.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		return // the client is gone (a sync wait it left): nobody reads an answer
	}
	var e *actord.Error
	if !errors.As(err, &e) {
		s.logger.ErrorContext(r.Context(), "request failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("err", err))
		e = &actord.Error{Type: actord.ErrInternal, Message: "Internal server error"}
	}
	status := statusOf(e.Type)
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Type: e.Type, Message: e.Message, Data: e.Data}})
}
