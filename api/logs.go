package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
)

// handleLog serves a build's or run's log: GET /v2/logs/{id} and the
// …/log routes. stream=1 keeps the response open and sends lines as the
// job writes them, until it ends.
func (s *Server) handleLog(param string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		id := r.PathValue(param)
		q := newQuery(r)
		stream := q.bool("stream", false)
		download := q.bool("download", false)
		q.bool("raw", false)
		if q.err != nil {
			return q.err
		}
		if _, err := s.runs.Get(r.Context(), u, id); err != nil {
			if _, berr := s.builds.Get(r.Context(), u, id); berr != nil {
				return actord.NotFound("Log")
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if download {
			w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.log"`)
		}
		rc := http.NewResponseController(w)
		flush := func() {
			if stream {
				rc.Flush()
			}
		}
		// A job that has not written yet has an empty log. Once bytes are
		// out an error can no longer be reported; the log just ends.
		if err := s.logs.Copy(r.Context(), id, w, stream, flush); err != nil && !errors.Is(err, platform.ErrNoLog) {
			s.logger.Warn("copy log", "id", id, "err", err)
		}
		return nil
	}
}

func urlPathUnescape(s string) (string, error) { return url.PathUnescape(s) }
