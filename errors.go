package actord

import (
	"errors"
	"fmt"
)

// Error is an error that Apify's API reports to clients: a kebab-case type
// and a human message, plus optional data. api/errors.go alone maps its type
// to an HTTP status.
type Error struct {
	Type    string
	Message string
	Data    any
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Errorf returns an *Error with the given type and formatted message.
func Errorf(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Error types used by actord (the subset of Apify's catalog it emits).
const (
	ErrInvalidRequest             = "invalid-request"
	ErrInvalidParameter           = "invalid-parameter"
	ErrInvalidValue               = "invalid-value"
	ErrInvalidRecordKey           = "invalid-record-key"
	ErrInvalidClientKey           = "invalid-client-key"
	ErrRequestIDInvalid           = "request-id-invalid"
	ErrTokenNotProvided           = "token-not-provided"
	ErrInvalidToken               = "invalid-token"
	ErrInsufficientPermissions    = "insufficient-permissions"
	ErrRecordNotFound             = "record-not-found"
	ErrRecordOrTokenNotFound      = "record-or-token-not-found"
	ErrPageNotFound               = "page-not-found"
	ErrMethodNotAllowed           = "method-not-allowed"
	ErrNameNotUnique              = "name-not-unique"
	ErrRequestTooLarge            = "request-too-large"
	ErrRecordTooLarge             = "record-too-large"
	ErrUnsupportedContentEncoding = "unsupported-content-encoding"
	ErrInvalidContentTypeHeader   = "invalid-content-type-header"
	ErrRequestHandledOrLocked     = "request-handled-or-locked"
	ErrInternal                   = "internal-server-error"
	ErrParameterRequired          = "parameter-required"
	ErrParametersMismatched       = "parameters-mismatched"
	ErrDatasetHasNoSchema         = "dataset-does-not-have-schema"
	ErrDatasetViewNotFound        = "requested-dataset-view-does-not-exist"
	ErrRunFailed                  = "run-failed"
	ErrRunTimeoutExceeded         = "run-timeout-exceeded"
)

// NotFound returns the 404 error Apify gives for a missing or hidden record,
// e.g. NotFound("Dataset").
func NotFound(what string) *Error {
	return &Error{Type: ErrRecordNotFound, Message: what + " was not found"}
}

// ErrorType returns the Apify type of err, or "" when err is not an *Error.
func ErrorType(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	return ""
}
