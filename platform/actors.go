package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// Actors manages actors and their versions. Only an actor's owner sees it:
// anyone else gets "not found".
type Actors struct {
	store storage.Store
	now   func() time.Time
}

// NewActors returns the actor service.
func NewActors(store storage.Store, now func() time.Time) *Actors {
	return &Actors{store: store, now: now}
}

// Default run options of a new actor.
const (
	DefaultMemoryMbytes = 1024
	DefaultTimeoutSecs  = 3600
	DefaultBuildTag     = "latest"
)

var (
	actorNameRE     = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
	versionNumberRE = regexp.MustCompile(`^([0-9]|[1-9][0-9])\.([0-9]|[1-9][0-9])$`)
	envVarNameRE    = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Resolve finds the actor a path segment names (ID, "username~name",
// "~name" or the caller's bare name) and checks that the caller owns it.
func (s *Actors) Resolve(ctx context.Context, caller *actord.User, segment string) (*actord.Actor, error) {
	return s.resolve(ctx, caller, segment, true)
}

// ResolveRef is Resolve without the actor's versions: what starting a run
// or listing its builds and runs needs.
func (s *Actors) ResolveRef(ctx context.Context, caller *actord.User, segment string) (*actord.Actor, error) {
	return s.resolve(ctx, caller, segment, false)
}

func (s *Actors) resolve(ctx context.Context, caller *actord.User, segment string, versions bool) (*actord.Actor, error) {
	notFound := actord.NotFound("Actor")
	if caller == nil {
		return nil, actord.Errorf(actord.ErrTokenNotProvided, "Authentication token was not provided")
	}
	ref := actord.ParseRef(segment)
	var a *actord.Actor
	var err error
	switch {
	case ref.IsName():
		ownerID := caller.ID
		if ref.Username != "" && ref.Username != "me" && ref.Username != caller.Username {
			return nil, notFound
		}
		a, err = s.store.ActorGetByName(ctx, ownerID, ref.Name, versions)
	default:
		a, err = s.store.ActorGet(ctx, ref.ID, versions)
		if errors.Is(err, storage.ErrNotFound) {
			a, err = s.store.ActorGetByName(ctx, caller.ID, ref.ID, versions)
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("resolve actor %s: %w", segment, err)
	}
	if a.UserID != caller.ID {
		return nil, notFound
	}
	return a, nil
}

// Create makes an actor from a create request body (Apify's
// CreateActorRequest).
func (s *Actors) Create(ctx context.Context, owner *actord.User, body []byte) (*actord.Actor, error) {
	now := s.now()
	a := &actord.Actor{
		DefaultRunOptions: actord.DefaultRunOptions{Build: DefaultBuildTag, TimeoutSecs: DefaultTimeoutSecs, MemoryMbytes: DefaultMemoryMbytes},
	}
	if err := decodeActor(body, a); err != nil {
		return nil, err
	}
	a.ID, a.UserID, a.Username = actord.NewID(), owner.ID, owner.Username
	a.CreatedAt, a.ModifiedAt = actord.At(now), actord.At(now)
	a.Stats = actord.ActorStats{}
	a.TaggedBuilds = map[string]actord.TaggedBuild{}
	if a.Versions == nil {
		a.Versions = []*actord.Version{}
	}
	if err := validateActor(a); err != nil {
		return nil, err
	}
	if err := s.store.ActorInsert(ctx, a); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, actord.Errorf(actord.ErrNameNotUnique, "Actor with name %q already exists.", a.Name)
		}
		return nil, fmt.Errorf("create actor: %w", err)
	}
	return a, nil
}

// Update applies an update request body (Apify's UpdateActorRequest):
// fields present replace the stored ones; versions, when given, replace
// the list.
func (s *Actors) Update(ctx context.Context, a *actord.Actor, body []byte) (*actord.Actor, error) {
	next := *a
	next.Versions = nil // decoding into the shared version pointers would change a
	if err := decodeActor(body, &next); err != nil {
		return nil, err
	}
	if next.Versions == nil {
		next.Versions = a.Versions
	}
	// What clients may not change.
	next.ID, next.UserID, next.Username, next.CreatedAt = a.ID, a.UserID, a.Username, a.CreatedAt
	next.Stats, next.TaggedBuilds = a.Stats, a.TaggedBuilds
	if next.Versions == nil {
		next.Versions = []*actord.Version{}
	}
	keepSecrets(&next, a)
	if err := validateActor(&next); err != nil {
		return nil, err
	}
	next.ModifiedAt = actord.At(s.now())
	if err := s.save(ctx, &next); err != nil {
		return nil, err
	}
	return &next, nil
}

// Delete removes an actor and its tasks (a task of a deleted actor could
// never run again). Its builds and runs stay listed under their IDs.
func (s *Actors) Delete(ctx context.Context, a *actord.Actor) error {
	if err := s.store.ActorDelete(ctx, a.ID); err != nil {
		return fmt.Errorf("delete actor: %w", err)
	}
	return nil
}

// List returns a page of the owner's actors.
func (s *Actors) List(ctx context.Context, owner *actord.User, offset, limit int64, desc bool) ([]*actord.Actor, int64, error) {
	return s.store.ActorList(ctx, &storage.ListParams{UserID: owner.ID, Offset: offset, Limit: limit, Desc: desc})
}

// PutVersion creates (create true: it must not exist) or updates version
// number of the actor from a request body.
func (s *Actors) PutVersion(ctx context.Context, a *actord.Actor, number string, body []byte, create bool) (*actord.Version, error) {
	var v actord.Version
	old := a.Version(number)
	if old != nil {
		if create {
			return nil, actord.Errorf(actord.ErrInvalidValue, "Version %s already exists.", number)
		}
		v = *old
		v.EnvVars = slices.Clone(old.EnvVars) // decoding must not write into old's arrays
		v.SourceFiles = slices.Clone(old.SourceFiles)
	} else if !create {
		return nil, actord.NotFound("Actor version")
	}
	if err := decodeJSON(body, &v); err != nil {
		return nil, err
	}
	if create {
		number = v.VersionNumber
		if a.Version(number) != nil {
			return nil, actord.Errorf(actord.ErrInvalidValue, "Version %s already exists.", number)
		}
	}
	v.VersionNumber = number
	next := *a
	next.Versions = nil
	for _, x := range a.Versions {
		if x.VersionNumber != number {
			next.Versions = append(next.Versions, x)
		}
	}
	if old != nil {
		keepVersionSecrets(&v, old)
	}
	next.Versions = append(next.Versions, &v)
	slices.SortFunc(next.Versions, func(x, y *actord.Version) int { return compareVersions(x.VersionNumber, y.VersionNumber) })
	if err := validateActor(&next); err != nil {
		return nil, err
	}
	next.ModifiedAt = actord.At(s.now())
	if err := s.save(ctx, &next); err != nil {
		return nil, err
	}
	*a = next
	return &v, nil
}

// DeleteVersion removes a version.
func (s *Actors) DeleteVersion(ctx context.Context, a *actord.Actor, number string) error {
	if a.Version(number) == nil {
		return actord.NotFound("Actor version")
	}
	next := *a
	next.Versions = slices.DeleteFunc(slices.Clone(a.Versions), func(v *actord.Version) bool { return v.VersionNumber == number })
	next.ModifiedAt = actord.At(s.now())
	return s.save(ctx, &next)
}

// PutEnvVar creates or replaces one environment variable of a version.
func (s *Actors) PutEnvVar(ctx context.Context, a *actord.Actor, number, name string, body []byte, create bool) (*actord.EnvVar, error) {
	v := a.Version(number)
	if v == nil {
		return nil, actord.NotFound("Actor version")
	}
	var ev actord.EnvVar
	i := slices.IndexFunc(v.EnvVars, func(e actord.EnvVar) bool { return e.Name == name })
	if !create {
		if i < 0 {
			return nil, actord.NotFound("Environment variable")
		}
		ev = v.EnvVars[i]
	}
	if err := decodeJSON(body, &ev); err != nil {
		return nil, err
	}
	if !create {
		ev.Name = name
	} else if slices.ContainsFunc(v.EnvVars, func(e actord.EnvVar) bool { return e.Name == ev.Name }) {
		return nil, actord.Errorf(actord.ErrInvalidValue, "Environment variable %s already exists.", ev.Name)
	}
	nv := *v
	nv.EnvVars = slices.Clone(v.EnvVars)
	if i >= 0 && !create {
		nv.EnvVars[i] = ev
	} else {
		nv.EnvVars = append(nv.EnvVars, ev)
	}
	body, _ = json.Marshal(&nv)
	if _, err := s.PutVersion(ctx, a, number, body, false); err != nil {
		return nil, err
	}
	return &ev, nil
}

// DeleteEnvVar removes one environment variable of a version.
func (s *Actors) DeleteEnvVar(ctx context.Context, a *actord.Actor, number, name string) error {
	v := a.Version(number)
	if v == nil {
		return actord.NotFound("Actor version")
	}
	if !slices.ContainsFunc(v.EnvVars, func(e actord.EnvVar) bool { return e.Name == name }) {
		return actord.NotFound("Environment variable")
	}
	nv := *v
	nv.EnvVars = slices.DeleteFunc(slices.Clone(v.EnvVars), func(e actord.EnvVar) bool { return e.Name == name })
	body, _ := json.Marshal(&nv)
	_, err := s.PutVersion(ctx, a, number, body, false)
	return err
}

// TagBuild points the actor's tag at a finished build.
func (s *Actors) TagBuild(ctx context.Context, actID, tag string, b *actord.Build) error {
	err := s.store.ActorTagBuild(ctx, actID, tag, actord.TaggedBuild{BuildID: b.ID, BuildNumber: b.BuildNumber, FinishedAt: b.FinishedAt})
	if err != nil {
		return fmt.Errorf("tag build: %w", err)
	}
	return nil
}

// CountJob counts a build, or a run started at at, of the actor.
func (s *Actors) CountJob(ctx context.Context, actID string, run bool, at time.Time) error {
	if err := s.store.ActorCountJob(ctx, actID, run, at); err != nil {
		return fmt.Errorf("count job of actor %s: %w", actID, err)
	}
	return nil
}

func (s *Actors) save(ctx context.Context, a *actord.Actor) error {
	if err := s.store.ActorUpdate(ctx, a); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return actord.Errorf(actord.ErrNameNotUnique, "Actor with name %q already exists.", a.Name)
		}
		if errors.Is(err, storage.ErrNotFound) {
			return actord.NotFound("Actor")
		}
		return fmt.Errorf("save actor: %w", err)
	}
	return nil
}

// Redacted returns the actor as clients see it: secret environment
// variables have no value.
func Redacted(a *actord.Actor) *actord.Actor {
	out := *a
	out.Versions = make([]*actord.Version, len(a.Versions))
	for i, v := range a.Versions {
		out.Versions[i] = RedactedVersion(v)
	}
	return &out
}

// RedactedVersion returns the version without secret values.
func RedactedVersion(v *actord.Version) *actord.Version {
	nv := *v
	nv.EnvVars = RedactedEnvVars(v.EnvVars)
	return &nv
}

// RedactedEnvVars hides the values of secret variables.
func RedactedEnvVars(vars []actord.EnvVar) []actord.EnvVar {
	out := make([]actord.EnvVar, len(vars))
	for i, e := range vars {
		if e.IsSecret {
			e.Value = ""
		}
		out[i] = e
	}
	return out
}

// keepSecrets keeps the stored value of a secret variable that a client
// sent back without its (redacted) value.
func keepSecrets(next, old *actord.Actor) {
	for _, v := range next.Versions {
		if o := old.Version(v.VersionNumber); o != nil {
			keepVersionSecrets(v, o)
		}
	}
}

func keepVersionSecrets(v, old *actord.Version) {
	for i, e := range v.EnvVars {
		if !e.IsSecret || e.Value != "" {
			continue
		}
		for _, o := range old.EnvVars {
			if o.Name == e.Name && o.IsSecret {
				v.EnvVars[i].Value = o.Value
			}
		}
	}
}

func decodeActor(body []byte, a *actord.Actor) error {
	return decodeJSON(body, a)
}

// decodeJSON decodes a request body onto v (fields present replace v's).
func decodeJSON(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return actord.Errorf(actord.ErrInvalidRequest, "Request body is not valid: %v", err)
	}
	return nil
}

func validateActor(a *actord.Actor) error {
	if !actorNameRE.MatchString(a.Name) {
		return actord.Errorf(actord.ErrInvalidValue, "Actor name %q is not valid: use up to 63 letters, digits and '-' (not at the start or end).", a.Name)
	}
	o := a.DefaultRunOptions
	if o.MemoryMbytes != 0 {
		if err := validMemory(o.MemoryMbytes); err != nil {
			return err
		}
	}
	if o.TimeoutSecs < 0 {
		return actord.Errorf(actord.ErrInvalidValue, "defaultRunOptions.timeoutSecs must not be negative.")
	}
	seen := map[string]bool{}
	for _, v := range a.Versions {
		if v == nil {
			return actord.Errorf(actord.ErrInvalidValue, "A version must be an object.")
		}
		if seen[v.VersionNumber] {
			return actord.Errorf(actord.ErrInvalidValue, "Version %s is given twice.", v.VersionNumber)
		}
		seen[v.VersionNumber] = true
		if err := validateVersion(v); err != nil {
			return err
		}
	}
	return nil
}

func validateVersion(v *actord.Version) error {
	if !versionNumberRE.MatchString(v.VersionNumber) {
		return actord.Errorf(actord.ErrInvalidValue, "Version number %q is not valid: use MAJOR.MINOR, e.g. 0.1.", v.VersionNumber)
	}
	if v.BuildTag == "" {
		v.BuildTag = DefaultBuildTag
	}
	switch v.SourceType {
	case actord.SourceFiles:
		for _, f := range v.SourceFiles {
			if f.Name == "" {
				return actord.Errorf(actord.ErrInvalidValue, "Every source file needs a name.")
			}
			if !f.Folder && f.Format != "" && f.Format != "TEXT" && f.Format != "BASE64" {
				return actord.Errorf(actord.ErrInvalidValue, "Source file %s: format must be TEXT or BASE64.", f.Name)
			}
		}
	case actord.SourceGitRepo:
		if v.GitRepoURL == "" {
			return actord.Errorf(actord.ErrInvalidValue, "Version %s: gitRepoUrl is required for sourceType GIT_REPO.", v.VersionNumber)
		}
	case actord.SourceTarball:
		if v.TarballURL == "" {
			return actord.Errorf(actord.ErrInvalidValue, "Version %s: tarballUrl is required for sourceType TARBALL.", v.VersionNumber)
		}
	case actord.SourceGist:
		if v.GitHubGistURL == "" {
			return actord.Errorf(actord.ErrInvalidValue, "Version %s: gitHubGistUrl is required for sourceType GITHUB_GIST.", v.VersionNumber)
		}
	default:
		return actord.Errorf(actord.ErrInvalidValue, "Version %s: sourceType must be SOURCE_FILES, GIT_REPO, TARBALL or GITHUB_GIST.", v.VersionNumber)
	}
	names := map[string]bool{}
	for _, e := range v.EnvVars {
		if !envVarNameRE.MatchString(e.Name) {
			return actord.Errorf(actord.ErrInvalidValue, "Environment variable name %q is not valid.", e.Name)
		}
		if names[e.Name] {
			return actord.Errorf(actord.ErrInvalidValue, "Environment variable %s is given twice.", e.Name)
		}
		names[e.Name] = true
	}
	return nil
}

// validMemory checks a run's memory: a power of 2 from 128 to 32768 MB.
func validMemory(mb int) error {
	if mb < 128 || mb > 32768 || mb&(mb-1) != 0 {
		return actord.Errorf(actord.ErrInvalidValue, "Memory must be a power of 2 between 128 and 32768 megabytes, got %d.", mb)
	}
	return nil
}

// compareVersions orders "MAJOR.MINOR" numerically.
func compareVersions(a, b string) int {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	if am != bm {
		return am - bm
	}
	return an - bn
}
