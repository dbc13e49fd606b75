package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/builder"
	"github.com/actord/actord/events"
	"github.com/actord/actord/runner"
)

// enqueue puts a READY run in its user's queue and starts what fits.
func (s *Runs) enqueue(run *actord.Run) {
	s.logs.Pending(run.ID)
	s.mu.Lock()
	if len(s.queues[run.UserID]) == 0 {
		s.order = append(s.order, run.UserID)
	}
	s.queues[run.UserID] = append(s.queues[run.UserID], run.ID)
	s.mu.Unlock()
	s.schedule()
}

// schedule starts READY runs while they fit in the memory left: users
// take turns, and each user's runs start in the order they were created.
func (s *Runs) schedule() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closing && len(s.order) > 0 {
		started := false
		for i := 0; i < len(s.order); i++ {
			user := s.order[i]
			id := s.queues[user][0]
			run, err := s.store.RunGet(context.Background(), id)
			if err != nil || run.Status != actord.StatusReady {
				s.dequeueLocked(user, id) // aborted or gone meanwhile
				s.logs.Abandon(id)
				started = true
				break
			}
			if s.used+run.Options.MemoryMbytes > s.cfg.MemoryMbytes {
				continue
			}
			s.dequeueLocked(user, id)
			// The user goes to the back of the line.
			if len(s.queues[user]) > 0 {
				s.order = append(slices.DeleteFunc(s.order, func(u string) bool { return u == user }), user)
			}
			ar := &activeRun{memory: run.Options.MemoryMbytes}
			s.used += ar.memory
			s.active[run.ID] = ar
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.execute(run, ar)
			}()
			started = true
			break
		}
		if !started {
			return
		}
	}
}

func (s *Runs) dequeueLocked(user, id string) {
	s.queues[user] = slices.DeleteFunc(s.queues[user], func(x string) bool { return x == id })
	if len(s.queues[user]) == 0 {
		delete(s.queues, user)
		s.order = slices.DeleteFunc(s.order, func(u string) bool { return u == user })
	}
}

// execute runs the run's process until the run ends (restarting it for
// reboots, metamorphs and restartOnError), then records the end.
func (s *Runs) execute(run *actord.Run, ar *activeRun) {
	ctx := context.Background()
	log, err := s.logs.Open(run.ID)
	if err != nil {
		s.logger.Error("open run log", "run_id", run.ID, "err", err)
		s.logs.Abandon(run.ID)
		s.end(ctx, run, ar, nil, runner.Result{ExitCode: -1}, "Could not open the run log.")
		return
	}
	defer log.Close()
	for {
		res, why, err := s.runOnce(ctx, run, ar, log)
		if err != nil {
			log.Printf("ACTOR: The run could not start: %v", err)
			s.logger.Error("start run", "run_id", run.ID, "err", err)
			s.end(ctx, run, ar, log, runner.Result{ExitCode: -1}, "The run could not start: "+err.Error())
			return
		}
		if again := s.again(ctx, run, ar, res, log); again {
			continue
		}
		s.end(ctx, run, ar, log, res, why)
		return
	}
}

// again decides whether the run's process starts again: after a reboot, a
// metamorph, or a failure with restartOnError.
func (s *Runs) again(ctx context.Context, run *actord.Run, ar *activeRun, res runner.Result, log *JobLog) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || ar.aborting || res.TimedOut {
		return false
	}
	cur, err := s.store.RunGet(ctx, run.ID)
	if err == nil {
		*run = *cur
	}
	switch {
	case ar.rebooting:
		ar.rebooting = false
		run.Stats.RebootCount++
		log.Printf("ACTOR: Rebooting the run.")
	case ar.metamorph != nil:
		t := ar.metamorph
		ar.metamorph = nil
		run.Metamorphs = append(run.Metamorphs, actord.Metamorph{CreatedAt: actord.At(s.now()), ActorID: t.actor.ID, BuildID: t.build.ID, InputKey: t.inputKey})
		run.ActID, run.BuildID, run.BuildNumber = t.actor.ID, t.build.ID, t.build.BuildNumber
		run.Private.InputKey, run.Private.ActorFullName = t.inputKey, t.actor.FullName()
		log.Printf("ACTOR: Metamorphing into %s (build %s).", t.actor.FullName(), t.build.BuildNumber)
	case res.ExitCode != 0 && run.Options.RestartOnError:
		now := s.now()
		ar.restarts = slices.DeleteFunc(ar.restarts, func(t time.Time) bool { return now.Sub(t) > time.Minute })
		if len(ar.restarts) >= 3 {
			log.Printf("ACTOR: The run failed again; it was restarted 3 times within a minute, so it is not restarted.")
			return false
		}
		ar.restarts = append(ar.restarts, now)
		run.Stats.RestartCount++
		log.Printf("ACTOR: The run failed with exit code %d and is restarted (restartOnError).", res.ExitCode)
	default:
		return false
	}
	if err := s.store.RunUpdate(ctx, run); err != nil {
		s.logger.Error("store run", "run_id", run.ID, "err", err)
	}
	return true
}

// runOnce starts the run's process and waits for it.
func (s *Runs) runOnce(ctx context.Context, run *actord.Run, ar *activeRun, log *JobLog) (runner.Result, string, error) {
	b, err := s.store.BuildGet(ctx, run.BuildID)
	if err != nil {
		return runner.Result{}, "", fmt.Errorf("load build %s: %w", run.BuildID, err)
	}
	if b.Private.Dir == "" {
		return runner.Result{}, "", fmt.Errorf("build %s has no directory (status %s)", b.ID, b.Status)
	}
	dir := filepath.Join(s.cfg.Dir, run.ID)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return runner.Result{}, "", fmt.Errorf("create run directory: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := builder.PrepareRunDir(b.Private.Dir, dir); err != nil {
		return runner.Result{}, "", err
	}
	token, hash := newRunToken()
	port, err := freePort()
	if err != nil {
		return runner.Result{}, "", err
	}
	env := s.environment(run, b, token, port, dir)
	run.Status = actord.StatusRunning
	run.ContainerURL = "http://127.0.0.1:" + strconv.Itoa(port)
	if err := s.store.RunStart(ctx, run, hash, s.now()); err != nil {
		return runner.Result{}, "", fmt.Errorf("store run: %w", err)
	}
	memBytes := int64(run.Options.MemoryMbytes) << 20
	var timeout time.Duration
	if run.Options.TimeoutSecs > 0 {
		timeout = time.Duration(run.Options.TimeoutSecs) * time.Second
	}
	spec := &runner.Spec{RunID: run.ID, Dir: dir, Command: b.Private.Command, Env: env, MemoryMbytes: run.Options.MemoryMbytes,
		Timeout: timeout, Output: log, Hide: s.cfg.Hide, ReadOnly: append([]string{b.Private.Dir}, s.cfg.Visible...)}
	log.Printf("ACTOR: Starting %s, build %s (memory %d MB, timeout %s).", run.Private.ActorFullName, b.BuildNumber, run.Options.MemoryMbytes, describeTimeout(timeout))
	// The events socket is served before the process starts: the SDK
	// connects once, early, and never again.
	s.hub.Register(run.ID, memBytes, func() events.Usage {
		s.mu.Lock()
		p := ar.proc
		s.mu.Unlock()
		if p == nil {
			return events.Usage{}
		}
		return usageOf(p)
	})
	s.mu.Lock()
	if ar.aborting {
		s.mu.Unlock()
		s.hub.Unregister(run.ID)
		return runner.Result{ExitCode: -1, Aborted: true}, "", nil
	}
	proc, err := s.runner.Start(ctx, spec)
	if err != nil {
		s.mu.Unlock()
		s.hub.Unregister(run.ID)
		return runner.Result{}, "", err
	}
	ar.proc = proc
	s.mu.Unlock()
	limits := proc.Limits()
	log.Printf("ACTOR: %s", limits)
	if strings.Contains(limits, "not enforced") {
		s.logger.Warn("run limits not fully enforced", "run_id", run.ID, "limits", limits)
		msg := "Limits: " + limits
		s.setStatusMessage(ctx, run.ID, msg)
	}
	res := proc.Wait()
	s.mu.Lock()
	ar.proc = nil
	s.mu.Unlock()
	if st, ok := s.hub.Stats(run.ID); ok {
		run.Stats.MemAvgBytes, run.Stats.MemMaxBytes = st.MemAvgBytes, st.MemMaxBytes
		run.Stats.CPUAvgUsage, run.Stats.CPUMaxUsage = st.CPUAvgUsage, st.CPUMaxUsage
	}
	s.hub.Unregister(run.ID)
	why := ""
	if res.OutOfMemory {
		why = fmt.Sprintf("The Actor ran out of memory (limit %d MB) and was stopped.", run.Options.MemoryMbytes)
		log.Printf("ACTOR: %s", why)
	}
	return res, why, nil
}

func describeTimeout(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}

// environment is exactly what the run's process gets: actor-runtime.md §2.
// No variable is ever set to "" (an empty ACTOR_RUN_ID crashes the SDK).
func (s *Runs) environment(run *actord.Run, b *actord.Build, token string, port int, dir string) []string {
	var env []string
	set := func(value string, names ...string) {
		if value == "" {
			return
		}
		for _, n := range names {
			env = append(env, n+"="+value)
		}
	}
	storages, _ := json.Marshal(run.StorageIDs)
	started := actord.Timestamp(run.StartedAt.Time)
	path := filepath.Join(dir, "node_modules", ".bin") + ":" + s.cfg.Path
	set(path, "PATH")
	set(dir, "HOME")
	set("C.UTF-8", "LANG")
	set("1", "APIFY_IS_AT_HOME", "APIFY_HEADLESS")
	set(token, "APIFY_TOKEN")
	set(s.cfg.APIURL, "APIFY_API_BASE_URL", "APIFY_CLIENT_BASE_URL")
	set(s.cfg.PublicURL, "APIFY_API_PUBLIC_BASE_URL")
	set(run.ID, "ACTOR_RUN_ID", "APIFY_ACTOR_RUN_ID")
	set(run.ActID, "ACTOR_ID", "APIFY_ACTOR_ID")
	set(run.Private.ActorFullName, "ACTOR_FULL_NAME")
	if run.ActorTaskID != nil {
		set(*run.ActorTaskID, "ACTOR_TASK_ID", "APIFY_ACTOR_TASK_ID")
	}
	set(b.ID, "ACTOR_BUILD_ID", "APIFY_ACTOR_BUILD_ID")
	set(b.BuildNumber, "ACTOR_BUILD_NUMBER", "APIFY_ACTOR_BUILD_NUMBER")
	set(b.Private.Tag, "ACTOR_BUILD_TAGS")
	set(run.DefaultDatasetID, "ACTOR_DEFAULT_DATASET_ID", "APIFY_DEFAULT_DATASET_ID")
	set(run.DefaultKeyValueStoreID, "ACTOR_DEFAULT_KEY_VALUE_STORE_ID", "APIFY_DEFAULT_KEY_VALUE_STORE_ID")
	set(run.DefaultRequestQueueID, "ACTOR_DEFAULT_REQUEST_QUEUE_ID", "APIFY_DEFAULT_REQUEST_QUEUE_ID")
	set(string(storages), "ACTOR_STORAGES_JSON")
	set(run.Private.InputKey, "ACTOR_INPUT_KEY", "APIFY_INPUT_KEY")
	set(strconv.Itoa(run.Options.MemoryMbytes), "ACTOR_MEMORY_MBYTES", "APIFY_MEMORY_MBYTES")
	set(started, "ACTOR_STARTED_AT", "APIFY_STARTED_AT")
	if run.Options.TimeoutSecs > 0 {
		set(actord.Timestamp(s.now().Add(time.Duration(run.Options.TimeoutSecs)*time.Second)), "ACTOR_TIMEOUT_AT", "APIFY_TIMEOUT_AT")
	}
	wsURL := strings.Replace(s.cfg.APIURL, "http", "ws", 1) + "/v2/actor-runs/" + run.ID + "/events?token=" + url.QueryEscape(token)
	set(wsURL, "ACTOR_EVENTS_WEBSOCKET_URL", "APIFY_ACTOR_EVENTS_WS_URL")
	set(strconv.Itoa(port), "ACTOR_WEB_SERVER_PORT", "APIFY_CONTAINER_PORT")
	set(run.ContainerURL, "ACTOR_WEB_SERVER_URL", "APIFY_CONTAINER_URL")
	if run.Options.MaxTotalChargeUsd != nil {
		set(strconv.FormatFloat(*run.Options.MaxTotalChargeUsd, 'f', -1, 64), "ACTOR_MAX_TOTAL_CHARGE_USD")
	}
	if run.Options.MaxItems != nil {
		set(strconv.FormatInt(*run.Options.MaxItems, 10), "ACTOR_MAX_PAID_DATASET_ITEMS")
	}
	if run.Options.RestartOnError {
		set("1", "ACTOR_RESTART_ON_ERROR")
	}
	set(run.UserID, "APIFY_USER_ID")
	set(run.Meta.Origin, "APIFY_META_ORIGIN")
	set(strconv.FormatFloat(events.CPUShare(int64(run.Options.MemoryMbytes)<<20), 'f', -1, 64), "APIFY_DEDICATED_CPUS")
	if b.Private.Runtime == "node" {
		// Node's heap gets three quarters of the run's memory, so it
		// reports "heap out of memory" before the memory limit kills it.
		set("--max-old-space-size="+strconv.Itoa(run.Options.MemoryMbytes*3/4)+" --max-http-header-size=80000", "NODE_OPTIONS")
	}
	for _, e := range b.Private.EnvVars {
		if isReserved(e.Name) {
			continue
		}
		set(e.Value, e.Name)
	}
	return env
}

// isReserved tells variables the platform sets, which an actor's own
// variables may not override.
func isReserved(name string) bool {
	return strings.HasPrefix(name, "ACTOR_") || strings.HasPrefix(name, "APIFY_") || name == "PATH" || name == "HOME"
}

// end records how the run ended, frees its capacity and wakes waiters.
func (s *Runs) end(ctx context.Context, run *actord.Run, ar *activeRun, log *JobLog, res runner.Result, why string) {
	// The read and the write of the end are one step under s.mu, as the
	// other writers of a running run (Abort, Update) are: none of them
	// may write over the end, nor the end over them.
	s.mu.Lock()
	cur, err := s.store.RunGet(ctx, run.ID)
	if err == nil {
		// Keep what the actor set meanwhile (status message).
		cur.Stats.MemAvgBytes, cur.Stats.MemMaxBytes = run.Stats.MemAvgBytes, run.Stats.MemMaxBytes
		cur.Stats.CPUAvgUsage, cur.Stats.CPUMaxUsage = run.Stats.CPUAvgUsage, run.Stats.CPUMaxUsage
		run = cur
	}
	aborted, closing := ar.aborting, s.closing
	status := actord.StatusFailed
	switch {
	case aborted || res.Aborted:
		status = actord.StatusAborted
	case res.TimedOut:
		status = actord.StatusTimedOut
	case res.ExitCode == 0 && why == "":
		status = actord.StatusSucceeded
	}
	now := s.now()
	run.Status, run.FinishedAt = status, actord.AtPtr(now)
	code := res.ExitCode
	run.ExitCode = &code
	run.Stats.DurationMillis = now.Sub(run.StartedAt.Time).Milliseconds()
	run.Stats.RunTimeSecs = now.Sub(run.StartedAt.Time).Seconds()
	terminal := run.IsStatusMessageTerminal != nil && *run.IsStatusMessageTerminal
	var msg string
	switch {
	case why != "":
		msg = why
	case status == actord.StatusAborted && closing:
		msg = "The server stopped while the Actor run was running."
	case status == actord.StatusAborted:
		msg = "The Actor run was aborted."
	case status == actord.StatusTimedOut:
		msg = fmt.Sprintf("The Actor run timed out after %d seconds.", run.Options.TimeoutSecs)
	case terminal:
	case status == actord.StatusFailed:
		msg = fmt.Sprintf("The Actor process exited with code %d.", res.ExitCode)
	case run.StatusMessage == nil:
		msg = "Actor finished with exit code 0."
	}
	if msg != "" {
		t := true
		run.StatusMessage, run.IsStatusMessageTerminal = &msg, &t
	}
	if log != nil {
		log.Printf("ACTOR: The run ended: %s (exit code %d).", status, res.ExitCode)
	}
	if err := s.store.RunFinish(context.WithoutCancel(ctx), run); err != nil {
		s.logger.Error("store run end", "run_id", run.ID, "err", err)
	}
	delete(s.active, run.ID)
	s.used -= ar.memory
	s.mu.Unlock()
	s.logger.Info("run ended", "run_id", run.ID, "status", status, "exit_code", res.ExitCode)
	notifyRun(s.jobEvents, ctx, actord.TerminalEvent("RUN", status), run)
	s.ends.fire(run.ID)
	s.schedule()
}
