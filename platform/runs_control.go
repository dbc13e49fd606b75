package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/actord/actord"
)

// Abort ends a run: a READY run at once; a running one gets the aborting
// event, then SIGTERM, then SIGKILL after a grace period. gracefully gives
// the actor time to exit by itself first.
func (s *Runs) Abort(ctx context.Context, run *actord.Run, gracefully bool) (*actord.Run, error) {
	s.mu.Lock()
	if run.Status == actord.StatusReady {
		if _, queued := s.queues[run.UserID]; queued {
			s.dequeueLocked(run.UserID, run.ID)
		}
		if _, running := s.active[run.ID]; !running {
			s.mu.Unlock()
			now := s.now()
			msg, t := "The Actor run was aborted before it started.", true
			run.Status, run.FinishedAt, run.StatusMessage, run.IsStatusMessageTerminal = actord.StatusAborted, actord.AtPtr(now), &msg, &t
			if err := s.store.RunUpdate(ctx, run); err != nil {
				return nil, fmt.Errorf("abort run: %w", err)
			}
			s.logs.Abandon(run.ID)
			s.ends.fire(run.ID)
			return run, nil
		}
	}
	ar := s.active[run.ID]
	if ar == nil || ar.aborting {
		s.mu.Unlock()
		return s.Wait(ctx, &actord.User{ID: run.UserID}, run.ID, 10*time.Second)
	}
	ar.aborting, ar.graceful = true, gracefully
	proc := ar.proc
	// ABORTING, unless the run has ended meanwhile (its end is written
	// under s.mu too).
	cur, err := s.store.RunGet(ctx, run.ID)
	if err == nil && !actord.IsTerminal(cur.Status) {
		cur.Status = actord.StatusAborting
		err = s.store.RunUpdate(ctx, cur)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("abort run: %w", err)
	}
	if gracefully {
		s.hub.Send(run.ID, "persistState", map[string]any{"isMigrating": false})
	}
	s.hub.Send(run.ID, "aborting", map[string]any{})
	if proc != nil {
		if gracefully {
			go func() {
				select {
				case <-s.ends.channel(run.ID):
				case <-time.After(s.cfg.GracefulAbortWait):
					proc.Abort(s.cfg.AbortGrace)
				}
			}()
		} else {
			proc.Abort(s.cfg.AbortGrace)
		}
	}
	if gracefully {
		return s.Get(ctx, &actord.User{ID: run.UserID}, run.ID)
	}
	return s.Wait(ctx, &actord.User{ID: run.UserID}, run.ID, 10*time.Second)
}

// Reboot restarts a running run's process with the same storages.
func (s *Runs) Reboot(ctx context.Context, run *actord.Run) (*actord.Run, error) {
	s.mu.Lock()
	ar := s.active[run.ID]
	if ar == nil || ar.proc == nil || ar.aborting {
		s.mu.Unlock()
		return nil, actord.Errorf(actord.ErrInvalidRequest, "Only a running Actor run can be rebooted (status %s).", run.Status)
	}
	ar.rebooting = true
	proc := ar.proc
	s.mu.Unlock()
	proc.Abort(s.cfg.AbortGrace)
	return s.Get(ctx, &actord.User{ID: run.UserID}, run.ID)
}

// Metamorph replaces a running run's actor with another one: the same run
// and storages, the new input stored as INPUT-METAMORPH-n.
func (s *Runs) Metamorph(ctx context.Context, run *actord.Run, target *actord.Actor, build string, input []byte, contentType string) (*actord.Run, error) {
	b, err := s.builds.Find(ctx, target, build)
	if err != nil {
		return nil, err
	}
	in, ct, err := prepareInput(b, input, contentType)
	if err != nil {
		return nil, err
	}
	key := "INPUT-METAMORPH-" + strconv.Itoa(len(run.Metamorphs)+1)
	if in != nil {
		kv, err := s.store.StorageGet(ctx, actord.KindKeyValueStore, run.DefaultKeyValueStoreID)
		if err != nil {
			return nil, fmt.Errorf("metamorph: %w", err)
		}
		if err := s.storages.PutRecord(ctx, kv, &actord.Record{Key: key, ContentType: ct, Value: in}); err != nil {
			return nil, fmt.Errorf("metamorph: store input: %w", err)
		}
	}
	s.mu.Lock()
	ar := s.active[run.ID]
	if ar == nil || ar.proc == nil || ar.aborting {
		s.mu.Unlock()
		return nil, actord.Errorf(actord.ErrInvalidRequest, "Only a running Actor run can be metamorphed (status %s).", run.Status)
	}
	ar.metamorph = &metamorphTarget{actor: target, build: b, inputKey: key}
	proc := ar.proc
	s.mu.Unlock()
	proc.Abort(s.cfg.AbortGrace)
	return s.Get(ctx, &actord.User{ID: run.UserID}, run.ID)
}

// Resurrect starts a finished run again with its storages.
func (s *Runs) Resurrect(ctx context.Context, run *actord.Run, a *actord.Actor, o StartOptions) (*actord.Run, error) {
	if !actord.IsTerminal(run.Status) {
		return nil, actord.Errorf(actord.ErrInvalidRequest, "Only a finished Actor run can be resurrected (status %s).", run.Status)
	}
	if o.Build != "" {
		b, err := s.builds.Find(ctx, a, o.Build)
		if err != nil {
			return nil, err
		}
		run.BuildID, run.BuildNumber = b.ID, b.BuildNumber
	}
	b, err := s.store.BuildGet(ctx, run.BuildID)
	if err != nil {
		return nil, fmt.Errorf("resurrect: %w", err)
	}
	if o.MemoryMbytes != 0 || o.TimeoutSecs != nil || o.MaxItems != nil || o.MaxTotalChargeUsd != nil || o.RestartOnError != nil {
		keep := a.DefaultRunOptions
		a.DefaultRunOptions = actord.DefaultRunOptions{Build: run.Options.Build, TimeoutSecs: run.Options.TimeoutSecs,
			MemoryMbytes: run.Options.MemoryMbytes, RestartOnError: run.Options.RestartOnError, MaxItems: run.Options.MaxItems}
		opts, err := s.runOptions(a, b, o)
		a.DefaultRunOptions = keep
		if err != nil {
			return nil, err
		}
		run.Options = opts
	}
	run.Status, run.FinishedAt, run.ExitCode = actord.StatusReady, nil, nil
	run.StatusMessage, run.IsStatusMessageTerminal = nil, nil
	run.Stats.ResurrectCount++
	if err := s.store.RunUpdate(ctx, run); err != nil {
		return nil, fmt.Errorf("resurrect: %w", err)
	}
	notifyRun(s.jobEvents, ctx, actord.EventRunResurrected, run)
	s.enqueue(run)
	return s.Get(ctx, &actord.User{ID: run.UserID}, run.ID)
}

// RunUpdate is the body of PUT /v2/actor-runs/{id}.
type RunUpdate struct {
	StatusMessage           *string `json:"statusMessage"`
	IsStatusMessageTerminal *bool   `json:"isStatusMessageTerminal"`
	GeneralAccess           *string `json:"generalAccess"`
}

// Update sets a run's status message or general access.
func (s *Runs) Update(ctx context.Context, run *actord.Run, body []byte) (*actord.Run, error) {
	var u RunUpdate
	if err := decodeJSON(body, &u); err != nil {
		return nil, err
	}
	if u.GeneralAccess != nil && !actord.ValidGeneralAccess(*u.GeneralAccess) {
		return nil, actord.Errorf(actord.ErrInvalidValue, "generalAccess %q is not valid.", *u.GeneralAccess)
	}
	s.mu.Lock() // status messages race the run's end otherwise
	defer s.mu.Unlock()
	cur, err := s.store.RunGet(ctx, run.ID)
	if err != nil {
		return nil, fmt.Errorf("update run: %w", err)
	}
	if u.StatusMessage != nil {
		cur.StatusMessage = u.StatusMessage
		cur.IsStatusMessageTerminal = u.IsStatusMessageTerminal
	}
	if u.GeneralAccess != nil {
		cur.GeneralAccess = *u.GeneralAccess
	}
	if err := s.store.RunUpdate(ctx, cur); err != nil {
		return nil, fmt.Errorf("update run: %w", err)
	}
	return cur, nil
}

func (s *Runs) setStatusMessage(ctx context.Context, id, msg string) {
	body, _ := json.Marshal(RunUpdate{StatusMessage: &msg})
	if _, err := s.Update(ctx, &actord.Run{ID: id}, body); err != nil {
		s.logger.Error("set status message", "run_id", id, "err", err)
	}
}

// Charge records a pay-per-event charge. With maxTotalChargeUsd, events
// that would exceed it are not charged: only as many as fit are counted.
func (s *Runs) Charge(ctx context.Context, run *actord.Run, body []byte) error {
	var c struct {
		EventName string `json:"eventName"`
		Count     *int64 `json:"count"`
	}
	if err := decodeJSON(body, &c); err != nil {
		return err
	}
	if c.EventName == "" {
		return actord.Errorf(actord.ErrInvalidValue, "eventName is required.")
	}
	count := int64(1)
	if c.Count != nil {
		count = *c.Count
	}
	if count < 1 {
		return actord.Errorf(actord.ErrInvalidValue, "count must be at least 1.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.store.RunGet(ctx, run.ID)
	if err != nil {
		return fmt.Errorf("charge run: %w", err)
	}
	if actord.IsTerminal(cur.Status) {
		return actord.Errorf(actord.ErrInvalidRequest, "The Actor run has finished; it can no longer be charged.")
	}
	price := eventPrice(cur.PricingInfo, c.EventName)
	if max := cur.Options.MaxTotalChargeUsd; max != nil && price > 0 {
		fit := int64((*max - cur.UsageTotalUsd + 1e-9) / price)
		if fit < count {
			count = fit
		}
		if count <= 0 {
			return actord.Errorf("max-total-charge-exceeded", "Charging %s would exceed the run's maxTotalChargeUsd (%v USD).", c.EventName, *max)
		}
	}
	if cur.ChargedEventCounts == nil {
		cur.ChargedEventCounts = map[string]float64{}
	}
	cur.ChargedEventCounts[c.EventName] += float64(count)
	cur.UsageTotalUsd += price * float64(count)
	if err := s.store.RunUpdate(ctx, cur); err != nil {
		return fmt.Errorf("charge run: %w", err)
	}
	return nil
}

// eventPrice reads pricingPerEvent.actorChargeEvents[name].eventPriceUsd
// of a PAY_PER_EVENT pricing info.
func eventPrice(info json.RawMessage, name string) float64 {
	var p struct {
		PricingPerEvent struct {
			ActorChargeEvents map[string]struct {
				EventPriceUsd float64 `json:"eventPriceUsd"`
			} `json:"actorChargeEvents"`
		} `json:"pricingPerEvent"`
	}
	if json.Unmarshal(info, &p) != nil {
		return 0
	}
	return p.PricingPerEvent.ActorChargeEvents[name].EventPriceUsd
}

// Recover resolves the runs a previous server process left unfinished:
// READY runs queue again; a RUNNING run restarts when it has
// restartOnError and is marked FAILED otherwise; ABORTING and TIMING-OUT
// runs become ABORTED and TIMED-OUT. No run stays RUNNING forever.
func (s *Runs) Recover(ctx context.Context) error {
	runs, err := s.store.RunsWithStatus(ctx, actord.StatusReady, actord.StatusRunning, actord.StatusAborting, actord.StatusTimingOut)
	if err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	for _, run := range runs {
		s.store.RunTokensDelete(ctx, run.ID)
		os.RemoveAll(filepath.Join(s.cfg.Dir, run.ID))
		var msg string
		switch run.Status {
		case actord.StatusReady:
		case actord.StatusRunning:
			if run.Options.RestartOnError {
				run.Status = actord.StatusReady
				run.Stats.RestartCount++
				break
			}
			run.Status, msg = actord.StatusFailed, "The server stopped while the Actor run was running."
		case actord.StatusAborting:
			run.Status, msg = actord.StatusAborted, "The Actor run was aborted."
		case actord.StatusTimingOut:
			run.Status, msg = actord.StatusTimedOut, "The Actor run timed out."
		}
		if msg != "" {
			now := s.now()
			t := true
			run.FinishedAt, run.StatusMessage, run.IsStatusMessageTerminal = actord.AtPtr(now), &msg, &t
		}
		if err := s.store.RunUpdate(ctx, run); err != nil {
			return fmt.Errorf("recover run %s: %w", run.ID, err)
		}
		s.logger.Warn("recovered run left by a previous process", "run_id", run.ID, "status", run.Status)
		if run.Status == actord.StatusReady {
			s.enqueue(run)
		} else {
			notifyRun(s.jobEvents, ctx, actord.TerminalEvent("RUN", run.Status), run)
		}
	}
	return nil
}
