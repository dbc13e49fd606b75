package runkit

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/actord/actord/bench/internal/benchkit"
)

// Options are the flags bench/run and bench/sync share about their setting.
type Options struct {
	ActorName   string        // the actor's name, and its direct side's storages' prefix
	Pusher      string        // a prebuilt pusher binary; "": build bench/run/pusher
	Source      string        // SourceFiles or SourceTarball
	Memory      int           // MB per run (the actor's defaultRunOptions.memoryMbytes)
	RunMemory   int           // the server's ACTORD_RUN_MEMORY_MBYTES
	Concurrency int           // parallel requests the HTTP client keeps connections for
	ServerArgs  string        // extra arguments of `actord serve`
	SampleEvery time.Duration // server RSS sampling interval
}

// Header is what a report says about its setting, before any number
// (its fields are part of the benchmark's JSON).
type Header struct {
	Date            string  `json:"date"`
	Machine         string  `json:"machine"`
	LoadAvg         string  `json:"loadAvg1m"`
	Isolation       string  `json:"isolation"` // the run log's limits line: cgroup, bubblewrap
	PusherBytes     int64   `json:"pusherBytes"`
	Source          string  `json:"source"` // -source: files or tarball
	MemoryMbytes    int     `json:"runMemoryMbytes"`
	ServerRunMemory int     `json:"serverRunMemoryMbytes"`
	BuildSeconds    float64 `json:"buildSeconds"`
	IdleRSS         int64   `json:"serverIdleRssBytes"` // after the build, before the first run
}

// Setup is the untimed setting both benchmarks measure in: a server on a
// fresh data dir sampled for RSS, the pusher actor created and built, and
// the direct side ready.
type Setup struct {
	Srv     *benchkit.Server
	Sampler *benchkit.Sampler
	Client  *Client
	Direct  *Direct
	ActorID string
	Header  Header
}

// Start builds (or takes) the pusher, starts `actord serve` with
// ACTORD_RUN_MEMORY_MBYTES = o.RunMemory, creates a second API token of
// the admin user, creates and builds the actor, and prepares the direct
// side. Close stops the server; on an error, Start stops what it started.
func Start(env *benchkit.Env, o Options) (_ *Setup, err error) {
	ctx := env.Ctx
	h := Header{Source: o.Source, Date: env.Date, Machine: env.Machine, LoadAvg: env.LoadAvg, MemoryMbytes: o.Memory, ServerRunMemory: o.RunMemory}
	// When the server is root, runs execute as nobody. MkdirTemp made the
	// temp dir 0700, which nobody cannot pass, and the server would then
	// put its work dir (builds, run directories) in the system's temp dir,
	// outside ours; 0711 keeps it in the data dir, removed with the rest.
	if err := os.Chmod(env.Tmp, 0o711); err != nil {
		return nil, err
	}
	pusher, err := BuildPusher(ctx, o.Pusher, env.Tmp)
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(pusher)
	if err != nil {
		return nil, err
	}
	h.PusherBytes = int64(len(bin))

	// The server reads ACTORD_RUN_MEMORY_MBYTES from the environment it
	// inherits.
	os.Setenv("ACTORD_RUN_MEMORY_MBYTES", strconv.Itoa(o.RunMemory))
	srv, err := env.StartActord(o.ServerArgs)
	if err != nil {
		return nil, err
	}
	s := &Setup{Srv: srv, Sampler: benchkit.StartSampler(srv.Pid(), o.SampleEvery)}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	token, err := CreateToken(ctx, env.Bin, srv.DataDir)
	if err != nil {
		return nil, err
	}
	s.Client = &Client{Srv: srv, HC: benchkit.NewClient(o.Concurrency, false), Token: token}

	start := time.Now()
	if s.ActorID, err = s.Client.CreateActor(ctx, o.ActorName, bin, o.Memory, o.Source); err != nil {
		return nil, err
	}
	if err := s.Client.Build(ctx, s.ActorID); err != nil {
		return nil, err
	}
	h.BuildSeconds = time.Since(start).Seconds()
	benchkit.Logf("actor %s built in %.2fs (pusher %.1f MB, -source %s)", s.ActorID, h.BuildSeconds, float64(len(bin))/1e6, o.Source)

	if s.Direct, err = NewDirect(ctx, s.Client, token, pusher, env.Tmp, o.Memory, o.ActorName); err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond)
	h.IdleRSS = s.Sampler.Sample()
	s.Header = h
	return s, nil
}

// Close stops the sampler and the server.
func (s *Setup) Close() {
	s.Sampler.Stop()
	s.Srv.Stop()
}

// Print writes the report's title and the lines that describe the
// setting: the machine, the actor, the run limits and the direct side.
func (h *Header) Print(w io.Writer, name string) {
	fmt.Fprintf(w, "\n== %s  %s\n", name, h.Date)
	fmt.Fprintf(w, "machine: %s; load average at start %s\n", h.Machine, h.LoadAvg)
	how := "a BASE64 source file of the actor"
	if h.Source == SourceTarball {
		how = "a .tar.gz key-value store record (tarballUrl)"
	}
	fmt.Fprintf(w, "actor: a static pusher binary (%.1f MB, CGO_ENABLED=0, uploaded as %s) that POSTs one item {\"hello\":\"world\"}\n", float64(h.PusherBytes)/1e6, how)
	fmt.Fprintf(w, "  to its default dataset; runs of %d MB, the server gives runs %d MB in all (%d at once); run limits: %s\n",
		h.MemoryMbytes, h.ServerRunMemory, h.ServerRunMemory/max(h.MemoryMbytes, 1), h.Isolation)
	fmt.Fprintf(w, "direct: the same binary started by this program (fork+exec+wait) with a run's environment, pushing to a dataset of the same server\n")
}
