package actord

import "encoding/json"

// Task is an actor task: an actor with saved input and run options, run
// by ID or "username~name". Its JSON form is Apify's Task object.
type Task struct {
	ID          string      `json:"id"`
	UserID      string      `json:"userId"`
	ActID       string      `json:"actId"`
	Name        string      `json:"name"`
	Username    string      `json:"username"`
	Title       *string     `json:"title"`
	Description *string     `json:"description,omitempty"`
	CreatedAt   Time        `json:"createdAt"`
	ModifiedAt  Time        `json:"modifiedAt"`
	Stats       TaskStats   `json:"stats"`
	Options     TaskOptions `json:"options"`
	// Input is the saved input, a JSON object kept exactly as it was
	// sent (member order, number spelling, escapes); runs start with it.
	Input        json.RawMessage `json:"input"`
	ActorStandby json.RawMessage `json:"actorStandby,omitempty"`
}

// TaskStats are a task's counters.
type TaskStats struct {
	TotalRuns int64 `json:"totalRuns"`
}

// TaskOptions are the run options a task's runs start with unless the
// start request sets them; nil means the actor's default run options.
type TaskOptions struct {
	Build             *string  `json:"build,omitempty"`
	TimeoutSecs       *int64   `json:"timeoutSecs,omitempty"`
	MemoryMbytes      *int     `json:"memoryMbytes,omitempty"`
	MaxItems          *int64   `json:"maxItems,omitempty"`
	MaxTotalChargeUsd *float64 `json:"maxTotalChargeUsd,omitempty"`
	RestartOnError    *bool    `json:"restartOnError,omitempty"`
}
