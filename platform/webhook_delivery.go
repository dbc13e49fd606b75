package platform

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

// maxRetryDelay caps one backoff step (a huge base or retry count must
// not overflow).
const maxRetryDelay = 7 * 24 * time.Hour

// maxResponseBody is how much of a receiver's response a call keeps.
const maxResponseBody = 16 << 10

// retryDelay is the wait after the failures-th failed attempt: base,
// then twice as long each time (Apify: about 1 min, 2, 4, …).
func retryDelay(base time.Duration, failures int) time.Duration {
	d := base
	for i := 1; i < failures && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

// Recover schedules the ACTIVE dispatches a previous process left: due
// ones at once, those waiting for a retry at their time.
func (s *Webhooks) Recover(ctx context.Context) error {
	list, err := s.store.WebhookDispatchesDue(ctx, time.Unix(1<<40, 0))
	if err != nil {
		return fmt.Errorf("recover webhook dispatches: %w", err)
	}
	for _, d := range list {
		at := s.now()
		if d.Private.NextAttemptAt != nil {
			at = *d.Private.NextAttemptAt
		}
		s.schedule(d.ID, at)
	}
	if len(list) > 0 {
		s.logger.Info("webhook dispatches resumed", "count", len(list))
	}
	return nil
}

// Close stops the scheduler and waits for attempts in flight; their
// dispatches stay ACTIVE, to be resumed by the next process.
func (s *Webhooks) Close() {
	s.cancel()
	s.wg.Wait()
}

// schedule sets when a dispatch's next attempt is due and wakes the
// scheduler.
func (s *Webhooks) schedule(id string, at time.Time) {
	s.mu.Lock()
	if !s.inFlight[id] {
		s.due[id] = at
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// scheduler starts the attempts that are due, sleeping on one timer set
// for the earliest next one.
func (s *Webhooks) scheduler() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := s.now()
		var start []string
		next := time.Duration(-1)
		s.mu.Lock()
		for id, at := range s.due {
			if wait := at.Sub(now); wait <= 0 {
				start = append(start, id)
				delete(s.due, id)
				s.inFlight[id] = true
			} else if next < 0 || wait < next {
				next = wait
			}
		}
		s.mu.Unlock()
		for _, id := range start {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.attempt(id)
			}()
		}
		if next < 0 {
			next = time.Hour
		}
		timer.Reset(next)
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// attempt makes one HTTP call of a dispatch and stores its outcome: the
// dispatch SUCCEEDED on a 2xx, FAILED when it may not retry, else ACTIVE
// with its next attempt scheduled.
func (s *Webhooks) attempt(id string) {
	ctx := s.ctx
	var next *time.Time // set when the dispatch goes on
	defer func() { s.release(id, next) }()
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return
	}
	d, err := s.store.WebhookDispatchGet(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return // its webhook was deleted
	}
	if err != nil {
		s.logger.Error("load webhook dispatch", "dispatch_id", id, "err", err)
		return
	}
	if d.Status != actord.DispatchActive {
		return
	}
	call, final := s.send(ctx, d)
	if ctx.Err() != nil {
		return // stopping: the attempt did not count, the next process makes it
	}
	d.Calls = append(d.Calls, call)
	d.Private.Attempts++
	switch {
	case call.ErrorMessage == nil:
		d.Status, d.Private.NextAttemptAt = actord.DispatchSucceeded, nil
	case final || d.Private.DoNotRetry || d.Private.Attempts > s.cfg.MaxRetries:
		d.Status, d.Private.NextAttemptAt = actord.DispatchFailed, nil
	default:
		next := call.FinishedAt.Add(retryDelay(s.cfg.RetryBase, d.Private.Attempts))
		d.Private.NextAttemptAt = &next
	}
	if err := s.store.WebhookDispatchUpdate(context.WithoutCancel(ctx), d); err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			s.logger.Error("store webhook dispatch", "dispatch_id", id, "err", err)
		}
		return
	}
	s.logger.Info("webhook call", "dispatch_id", id, "webhook_id", d.WebhookID, "event", d.EventType,
		"status", d.Status, "response_status", deref(call.ResponseStatus), "error", deref(call.ErrorMessage))
	if d.Status == actord.DispatchActive {
		next = d.Private.NextAttemptAt
	}
}

// release ends an attempt in flight and, with next, schedules the
// dispatch's next one.
func (s *Webhooks) release(id string, next *time.Time) {
	s.mu.Lock()
	delete(s.inFlight, id)
	s.mu.Unlock()
	if next != nil {
		s.schedule(id, *next)
	}
}

// send POSTs the dispatch's request once. final is set when retrying
// cannot help (the target is the server itself).
func (s *Webhooks) send(ctx context.Context, d *actord.WebhookDispatch) (call actord.WebhookCall, final bool) {
	call.StartedAt = actord.At(s.now())
	fail := func(msg string) {
		call.FinishedAt = actord.At(s.now())
		call.ErrorMessage = &msg
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Webhook.RequestURL, bytes.NewReader(d.Private.Body))
	if err != nil {
		fail("Cannot build the request: " + err.Error())
		return call, true
	}
	for _, h := range d.Private.Headers {
		if !forcedHeader(h[0]) {
			req.Header.Set(h[0], h[1])
		}
	}
	// Apify overwrites these whatever the headers template says; no token
	// is ever added.
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Apify-Webhook", d.WebhookID)
	req.Header.Set("X-Apify-Webhook-Dispatch-Id", d.ID)
	req.Header.Set("X-Apify-Request-Origin", "WEBHOOK")
	client := s.client
	if d.Private.IgnoreSslErrors {
		client = s.insecureClient
	}
	res, err := client.Do(req)
	if err != nil {
		if errors.Is(err, errOwnAddress) {
			fail("Delivery refused: " + d.Webhook.RequestURL + " is this server's own address; webhooks may not call it.")
			return call, true
		}
		if ctx.Err() == context.DeadlineExceeded {
			fail(fmt.Sprintf("The request timed out after %s.", s.cfg.Timeout))
			return call, false
		}
		fail("Cannot send the request: " + err.Error())
		return call, false
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxResponseBody))
	call.FinishedAt = actord.At(s.now())
	status := res.StatusCode
	call.ResponseStatus = &status
	text := strings.ToValidUTF8(string(body), string(utf8.RuneError))
	call.ResponseBody = &text
	if status < 200 || status > 299 {
		msg := fmt.Sprintf("The receiver answered with HTTP %d.", status)
		call.ErrorMessage = &msg
	}
	return call, false
}

// forcedHeader tells the headers a template may not set.
func forcedHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Type", "Content-Length", "X-Apify-Webhook", "X-Apify-Webhook-Dispatch-Id", "X-Apify-Request-Origin":
		return true
	}
	return false
}

// newWebhookClient is the HTTP client of webhook requests: no proxy from
// the environment (the guard must see the real target), no redirects
// (a 3xx is the receiver's answer), every connection checked by the guard.
func newWebhookClient(guard *ownAddressGuard, insecure bool) *http.Client {
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           guard.dialer().DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 0, // the per-attempt context bounds the whole call
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
