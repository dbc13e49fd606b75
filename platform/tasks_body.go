package platform

import (
	"bytes"
	"encoding/json"

	"github.com/actord/actord"
	"github.com/actord/actord/actorjson"
)

// applyTaskBody sets the members a create or update body has on t and
// checks the result.
func applyTaskBody(t *actord.Task, b *taskBody) error {
	if b.Name != nil {
		t.Name = *b.Name
	}
	if err := nullableString(b.Title, &t.Title, "title"); err != nil {
		return err
	}
	if err := nullableString(b.Description, &t.Description, "description"); err != nil {
		return err
	}
	if b.Options != nil {
		var o actord.TaskOptions
		if !isNull(b.Options) {
			if err := decodeJSON(b.Options, &o); err != nil {
				return err
			}
		}
		t.Options = o
	}
	if b.Input != nil {
		if isNull(b.Input) {
			t.Input = []byte("{}")
		} else if err := actorjson.CheckInput(b.Input); err != nil {
			return err
		} else {
			t.Input = bytes.Clone(b.Input)
		}
	}
	if b.ActorStandby != nil {
		switch {
		case isNull(b.ActorStandby):
			t.ActorStandby = nil
		case b.ActorStandby[0] != '{':
			return actord.Errorf(actord.ErrInvalidValue, "Field actorStandby must be an object.")
		default:
			t.ActorStandby = bytes.Clone(b.ActorStandby)
		}
	}
	return validateTask(t)
}

// nullableString sets *dst from a raw string-or-null member (absent: left
// as it is).
func nullableString(raw json.RawMessage, dst **string, field string) error {
	if raw == nil {
		return nil
	}
	if isNull(raw) {
		*dst = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return actord.Errorf(actord.ErrInvalidValue, "Field %s must be a string or null.", field)
	}
	*dst = &s
	return nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func validateTask(t *actord.Task) error {
	if !actorNameRE.MatchString(t.Name) {
		return actord.Errorf(actord.ErrInvalidValue, "Actor task name %q is not valid: use up to 63 letters, digits and '-' (not at the start or end).", t.Name)
	}
	o := t.Options
	if o.MemoryMbytes != nil {
		if err := validMemory(*o.MemoryMbytes); err != nil {
			return err
		}
	}
	if o.TimeoutSecs != nil && *o.TimeoutSecs < 0 {
		return actord.Errorf(actord.ErrInvalidValue, "options.timeoutSecs must not be negative.")
	}
	if o.MaxItems != nil && *o.MaxItems < 0 {
		return actord.Errorf(actord.ErrInvalidValue, "options.maxItems must not be negative.")
	}
	if o.MaxTotalChargeUsd != nil && *o.MaxTotalChargeUsd < 0 {
		return actord.Errorf(actord.ErrInvalidValue, "options.maxTotalChargeUsd must not be negative.")
	}
	return nil
}
