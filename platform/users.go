// Package platform holds actord's services: the rules between the HTTP API
// and storage (who may see what, names, validation, defaults).
package platform

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// ErrBadToken is returned by Authenticate for an unknown token.
var ErrBadToken = errors.New("invalid token")

// Users manages accounts and API tokens.
type Users struct {
	store storage.Store
	now   func() time.Time
}

// NewUsers returns the user service.
func NewUsers(store storage.Store, now func() time.Time) *Users {
	return &Users{store: store, now: now}
}

var usernameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,30}$`)

// Create adds a user named username.
func (s *Users) Create(ctx context.Context, username string) (*actord.User, error) {
	if !usernameRE.MatchString(username) || username == "me" {
		return nil, actord.Errorf(actord.ErrInvalidValue, "Username must be 3 to 30 characters of a-z, A-Z, 0-9, '_', '.' and '-' (and not \"me\").")
	}
	u := &actord.User{ID: actord.NewID(), Username: username, CreatedAt: s.now()}
	if err := s.store.UserInsert(ctx, u); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, actord.Errorf(actord.ErrNameNotUnique, "User %q already exists.", username)
		}
		return nil, fmt.Errorf("create user %s: %w", username, err)
	}
	return u, nil
}

// CreateToken issues a new API token for the user. When token is not
// empty it is used as given (e.g. a configured admin token).
func (s *Users) CreateToken(ctx context.Context, userID, token string) (string, error) {
	if token == "" {
		token = "apify_api_" + actord.RandomString(36)
	}
	if len(token) < 16 {
		return "", actord.Errorf(actord.ErrInvalidValue, "A token must be at least 16 characters long.")
	}
	if err := s.store.TokenInsert(ctx, userID, hashToken(token), s.now()); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return token, nil // the same token was issued to this store before
		}
		return "", fmt.Errorf("store token: %w", err)
	}
	return token, nil
}

// newRunToken makes the token of one run and the hash it is stored as: it
// authenticates as the run's owner (the same scope as the owner's own
// tokens) and is deleted when the run ends.
func newRunToken() (token string, hash []byte) {
	token = "apify_run_" + actord.RandomString(36)
	return token, hashToken(token)
}

// Authenticate returns the owner of token, or ErrBadToken.
func (s *Users) Authenticate(ctx context.Context, token string) (*actord.User, error) {
	u, err := s.store.UserGetByTokenHash(ctx, hashToken(token))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	return u, nil
}

// Get returns a user by ID or username.
func (s *Users) Get(ctx context.Context, idOrName string) (*actord.User, error) {
	u, err := s.store.UserGet(ctx, idOrName)
	if errors.Is(err, storage.ErrNotFound) {
		u, err = s.store.UserGetByName(ctx, idOrName)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, actord.Errorf(actord.ErrRecordNotFound, "User was not found")
	}
	return u, err
}

// Bootstrap makes sure the first user exists. On a store with no users it
// creates username with a token (the given one, or a generated one) and
// returns the token; otherwise it returns "". A configured token is
// (re)attached to the existing user of that name so it keeps working.
func (s *Users) Bootstrap(ctx context.Context, username, token string) (string, error) {
	n, err := s.store.UserCount(ctx)
	if err != nil {
		return "", fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		if token == "" {
			return "", nil
		}
		u, err := s.store.UserGetByName(ctx, username)
		if err != nil {
			return "", fmt.Errorf("find admin user %s: %w", username, err)
		}
		_, err = s.CreateToken(ctx, u.ID, token)
		return "", err
	}
	u, err := s.Create(ctx, username)
	if err != nil {
		return "", err
	}
	return s.CreateToken(ctx, u.ID, token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
