package actord

import (
	"encoding/json"
	"time"
)

// Actor is a program users run. Its JSON form is Apify's Actor object;
// secret environment variables are redacted by the API before it is sent.
type Actor struct {
	ID                string                 `json:"id"`
	UserID            string                 `json:"userId"`
	Name              string                 `json:"name"`
	Username          string                 `json:"username"`
	Title             *string                `json:"title"`
	Description       *string                `json:"description"`
	IsPublic          bool                   `json:"isPublic"`
	CreatedAt         Time                   `json:"createdAt"`
	ModifiedAt        Time                   `json:"modifiedAt"`
	Stats             ActorStats             `json:"stats"`
	Versions          []*Version             `json:"versions"`
	DefaultRunOptions DefaultRunOptions      `json:"defaultRunOptions"`
	TaggedBuilds      map[string]TaggedBuild `json:"taggedBuilds"`
	ExampleRunInput   json.RawMessage        `json:"exampleRunInput,omitempty"`
	ActorStandby      json.RawMessage        `json:"actorStandby,omitempty"`
	IsDeprecated      bool                   `json:"isDeprecated"`
	Categories        []string               `json:"categories,omitempty"`
	PricingInfos      []json.RawMessage      `json:"pricingInfos,omitempty"`
}

// FullName is "username/name", as ACTOR_FULL_NAME spells it.
func (a *Actor) FullName() string { return a.Username + "/" + a.Name }

// Version returns the actor's version with that number, or nil.
func (a *Actor) Version(number string) *Version {
	for _, v := range a.Versions {
		if v.VersionNumber == number {
			return v
		}
	}
	return nil
}

// ActorStats are an actor's counters.
type ActorStats struct {
	TotalBuilds      int64 `json:"totalBuilds"`
	TotalRuns        int64 `json:"totalRuns"`
	TotalUsers       int64 `json:"totalUsers"`
	TotalUsers7Days  int64 `json:"totalUsers7Days"`
	TotalUsers30Days int64 `json:"totalUsers30Days"`
	TotalUsers90Days int64 `json:"totalUsers90Days"`
	TotalMetamorphs  int64 `json:"totalMetamorphs"`
	LastRunStartedAt *Time `json:"lastRunStartedAt,omitempty"`
}

// Version source types.
const (
	SourceFiles   = "SOURCE_FILES"
	SourceGitRepo = "GIT_REPO"
	SourceTarball = "TARBALL"
	SourceGist    = "GITHUB_GIST"
)

// Version is one version of an actor's source ("MAJOR.MINOR").
type Version struct {
	VersionNumber       string       `json:"versionNumber"`
	SourceType          string       `json:"sourceType"`
	EnvVars             []EnvVar     `json:"envVars"`
	ApplyEnvVarsToBuild bool         `json:"applyEnvVarsToBuild"`
	BuildTag            string       `json:"buildTag"`
	SourceFiles         []SourceFile `json:"sourceFiles,omitempty"`
	GitRepoURL          string       `json:"gitRepoUrl,omitempty"`
	TarballURL          string       `json:"tarballUrl,omitempty"`
	GitHubGistURL       string       `json:"gitHubGistUrl,omitempty"`
}

// EnvVar is an environment variable of an actor version.
type EnvVar struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	IsSecret bool   `json:"isSecret"`
}

// SourceFile is one inline source file (Format TEXT or BASE64) or, with
// Folder set, a folder.
type SourceFile struct {
	Name    string `json:"name"`
	Format  string `json:"format,omitempty"`
	Content string `json:"content,omitempty"`
	Folder  bool   `json:"folder,omitempty"`
}

// DefaultRunOptions are an actor's run options unless a start overrides them.
type DefaultRunOptions struct {
	Build          string `json:"build"`
	TimeoutSecs    int64  `json:"timeoutSecs"`
	MemoryMbytes   int    `json:"memoryMbytes"`
	RestartOnError bool   `json:"restartOnError"`
	MaxItems       *int64 `json:"maxItems,omitempty"`
}

// TaggedBuild is where a build tag points.
type TaggedBuild struct {
	BuildID     string `json:"buildId"`
	BuildNumber string `json:"buildNumber"`
	FinishedAt  *Time  `json:"finishedAt"`
}

// Job statuses shared by builds and runs (Apify's ACTOR_JOB_STATUSES).
const (
	StatusReady     = "READY"
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimingOut = "TIMING-OUT"
	StatusTimedOut  = "TIMED-OUT"
	StatusAborting  = "ABORTING"
	StatusAborted   = "ABORTED"
)

// IsTerminal reports whether a job in this status has ended.
func IsTerminal(status string) bool {
	switch status {
	case StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted:
		return true
	}
	return false
}

// ValidStatus reports whether s is one of the job statuses.
func ValidStatus(s string) bool {
	switch s {
	case StatusReady, StatusRunning, StatusSucceeded, StatusFailed, StatusTimingOut, StatusTimedOut, StatusAborting, StatusAborted:
		return true
	}
	return false
}

// Build is one build of an actor version. The fields after Meta are
// actord's own: they are persisted but never sent to clients.
type Build struct {
	ID          string       `json:"id"`
	ActID       string       `json:"actId"`
	UserID      string       `json:"userId"`
	StartedAt   Time         `json:"startedAt"`
	FinishedAt  *Time        `json:"finishedAt"`
	Status      string       `json:"status"`
	Meta        JobMeta      `json:"meta"`
	Stats       BuildStats   `json:"stats"`
	Options     BuildOptions `json:"options"`
	BuildNumber string       `json:"buildNumber"`
	Private     BuildPrivate `json:"-"`
}

// BuildPrivate is what actord keeps about a build that clients never see.
type BuildPrivate struct {
	ActVersion    string          `json:"actVersion"`
	Tag           string          `json:"tag"`
	InputSchema   json.RawMessage `json:"inputSchema,omitempty"`
	Readme        string          `json:"readme,omitempty"`
	Definition    json.RawMessage `json:"definition,omitempty"` // the resolved .actor/actor.json, when the source has one
	DatasetSchema json.RawMessage `json:"datasetSchema,omitempty"`
	// Dir is the immutable build directory runs start in; Command is the
	// start command found in it; Runtime is "node", "python" or "exec";
	// EnvVars is the version's variables at build time.
	Dir     string   `json:"dir"`
	Command []string `json:"command"`
	Runtime string   `json:"runtime"`
	EnvVars []EnvVar `json:"envVars,omitempty"`
	// Memory bounds from actor.json (0: none).
	MinMemoryMbytes     int `json:"minMemoryMbytes,omitempty"`
	MaxMemoryMbytes     int `json:"maxMemoryMbytes,omitempty"`
	DefaultMemoryMbytes int `json:"defaultMemoryMbytes,omitempty"`
}

// JobMeta says how a build or run was started.
type JobMeta struct {
	Origin    string `json:"origin"`
	ClientIP  string `json:"clientIp,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// BuildStats are a build's measurements.
type BuildStats struct {
	DurationMillis int64   `json:"durationMillis"`
	RunTimeSecs    float64 `json:"runTimeSecs"`
	ComputeUnits   float64 `json:"computeUnits"`
}

// BuildOptions are a build's options.
type BuildOptions struct {
	UseCache     bool `json:"useCache"`
	BetaPackages bool `json:"betaPackages"`
	MemoryMbytes int  `json:"memoryMbytes"`
	DiskMbytes   int  `json:"diskMbytes"`
}

// Run is one run of an actor. Its JSON form is Apify's Run object.
type Run struct {
	ID                      string             `json:"id"`
	ActID                   string             `json:"actId"`
	UserID                  string             `json:"userId"`
	ActorTaskID             *string            `json:"actorTaskId"`
	StartedAt               Time               `json:"startedAt"`
	FinishedAt              *Time              `json:"finishedAt"`
	Status                  string             `json:"status"`
	StatusMessage           *string            `json:"statusMessage"`
	IsStatusMessageTerminal *bool              `json:"isStatusMessageTerminal"`
	Meta                    JobMeta            `json:"meta"`
	Stats                   RunStats           `json:"stats"`
	Options                 RunOptions         `json:"options"`
	BuildID                 string             `json:"buildId"`
	BuildNumber             string             `json:"buildNumber"`
	ExitCode                *int               `json:"exitCode"`
	GeneralAccess           string             `json:"generalAccess"`
	DefaultKeyValueStoreID  string             `json:"defaultKeyValueStoreId"`
	DefaultDatasetID        string             `json:"defaultDatasetId"`
	DefaultRequestQueueID   string             `json:"defaultRequestQueueId"`
	StorageIDs              RunStorageIDs      `json:"storageIds"`
	ContainerURL            string             `json:"containerUrl"`
	PricingInfo             json.RawMessage    `json:"pricingInfo,omitempty"`
	ChargedEventCounts      map[string]float64 `json:"chargedEventCounts"`
	UsageTotalUsd           float64            `json:"usageTotalUsd"`
	Metamorphs              []Metamorph        `json:"metamorphs,omitempty"`
	Private                 RunPrivate         `json:"-"`
}

// RunPrivate is what actord keeps about a run that clients never see.
type RunPrivate struct {
	// InputKey is the key-value store key of the current input (INPUT, or
	// INPUT-METAMORPH-n after a metamorph).
	InputKey string `json:"inputKey"`
	// Webhooks are the ad-hoc webhooks the run was started with (raw JSON array).
	Webhooks json.RawMessage `json:"webhooks,omitempty"`
	// Username is the owner's username (for ACTOR_FULL_NAME and logs).
	ActorFullName string `json:"actorFullName,omitempty"`
	// IdempotencyKey is the Idempotency-Key the run was started with: for
	// IdempotencyWindow, the same user's start with the same key is this
	// run instead of a new one.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
}

// IdempotencyWindow is how long an Idempotency-Key names the run it
// started.
const IdempotencyWindow = 24 * time.Hour

// Run origins (meta.origin).
const (
	OriginAPI         = "API"
	OriginCLI         = "CLI"
	OriginDevelopment = "DEVELOPMENT"
	OriginActor       = "ACTOR"
)

// RunStats are a run's measurements.
type RunStats struct {
	InputBodyLen    *int64  `json:"inputBodyLen"`
	RestartCount    int64   `json:"restartCount"`
	ResurrectCount  int64   `json:"resurrectCount"`
	RebootCount     int64   `json:"rebootCount"`
	MigrationCount  int64   `json:"migrationCount"`
	MemAvgBytes     float64 `json:"memAvgBytes"`
	MemMaxBytes     int64   `json:"memMaxBytes"`
	MemCurrentBytes int64   `json:"memCurrentBytes"`
	CPUAvgUsage     float64 `json:"cpuAvgUsage"`
	CPUMaxUsage     float64 `json:"cpuMaxUsage"`
	CPUCurrentUsage float64 `json:"cpuCurrentUsage"`
	DurationMillis  int64   `json:"durationMillis"`
	RunTimeSecs     float64 `json:"runTimeSecs"`
	ComputeUnits    float64 `json:"computeUnits"`
}

// RunOptions are the options a run was started with.
type RunOptions struct {
	Build             string   `json:"build"`
	TimeoutSecs       int64    `json:"timeoutSecs"`
	MemoryMbytes      int      `json:"memoryMbytes"`
	DiskMbytes        int      `json:"diskMbytes"`
	MaxItems          *int64   `json:"maxItems,omitempty"`
	MaxTotalChargeUsd *float64 `json:"maxTotalChargeUsd,omitempty"`
	RestartOnError    bool     `json:"restartOnError"`
}

// RunStorageIDs lists a run's storages by alias.
type RunStorageIDs struct {
	Datasets       map[string]string `json:"datasets"`
	KeyValueStores map[string]string `json:"keyValueStores"`
	RequestQueues  map[string]string `json:"requestQueues"`
}

// Metamorph records one metamorph of a run.
type Metamorph struct {
	CreatedAt Time   `json:"createdAt"`
	ActorID   string `json:"actorId"`
	BuildID   string `json:"buildId"`
	InputKey  string `json:"inputKey"`
}

// Time is a moment as Apify's API writes it: ISO-8601 in UTC with exactly
// three decimals ("2026-11-29T13:02:09.795Z").
type Time struct{ time.Time }

// At returns t as a Time.
func At(t time.Time) Time { return Time{t} }

// AtPtr returns a pointer to t as a Time.
func AtPtr(t time.Time) *Time { return &Time{t} }

// MarshalJSON writes the time as Timestamp does.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + Timestamp(t.Time) + `"`), nil
}

// UnmarshalJSON reads an ISO-8601 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v.UTC()
	return nil
}
