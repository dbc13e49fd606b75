package api_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actord/actord/api/apitest"
)

// shellActor is a create-actor body whose build runs a shell line.
func shellActor(name, script string) []byte {
	return []byte(`{"name":"` + name + `","versions":[{"versionNumber":"0.1","sourceType":"SOURCE_FILES","sourceFiles":[` +
		`{"name":"Dockerfile","format":"TEXT","content":"FROM scratch\nCMD [\"/bin/sh\", \"-c\", \"` + script + `\"]\n"}]}],` +
		`"defaultRunOptions":{"memoryMbytes":128,"timeoutSecs":30}}`)
}

// TestActorIsolation: another user never sees or touches an actor, its
// tasks, builds, runs, logs and run storages: every route answers 404.
func TestActorIsolation(t *testing.T) {
	s := apitest.New(t)
	admin := s.AdminToken
	bob := s.NewUser("bob")
	id := func(r *apitest.Response) string {
		var v struct {
			Data struct{ ID string } `json:"data"`
		}
		r.JSON(t, &v)
		return v.Data.ID
	}
	created := s.Do("POST", "/v2/acts", admin, shellActor("private", "echo secret-output"))
	if created.Status != 201 {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	act := id(created)
	build := id(s.Do("POST", "/v2/acts/"+act+"/builds?version=0.1&waitForFinish=60", admin, nil))
	runRes := s.Do("POST", "/v2/acts/"+act+"/runs?waitForFinish=60", admin, []byte(`{}`))
	if !strings.Contains(string(runRes.Body), `"SUCCEEDED"`) {
		t.Fatalf("run: %s", runRes.Body)
	}
	run := id(runRes)
	task := id(s.Do("POST", "/v2/actor-tasks", admin, []byte(`{"actId":"`+act+`","name":"private-task"}`)))
	taskRun := id(s.Do("POST", "/v2/actor-tasks/"+task+"/runs?waitForFinish=60", admin, nil))

	for _, route := range []struct{ method, path string }{
		{"GET", "/v2/acts/" + act},
		{"GET", "/v2/actors/admin~private"},
		{"GET", "/v2/acts/admin~private"},
		{"PUT", "/v2/acts/" + act},
		{"DELETE", "/v2/acts/" + act},
		{"GET", "/v2/acts/" + act + "/versions"},
		{"GET", "/v2/acts/" + act + "/versions/0.1/env-vars"},
		{"POST", "/v2/acts/" + act + "/builds?version=0.1"},
		{"GET", "/v2/acts/" + act + "/builds"},
		{"POST", "/v2/acts/" + act + "/runs"},
		{"GET", "/v2/acts/" + act + "/runs"},
		{"GET", "/v2/acts/" + act + "/runs/last"},
		{"GET", "/v2/acts/" + act + "/runs/last/log"},
		{"GET", "/v2/acts/" + act + "/runs/" + run},
		{"GET", "/v2/actor-builds/" + build},
		{"POST", "/v2/actor-builds/" + build + "/abort"},
		{"GET", "/v2/actor-builds/" + build + "/log"},
		{"GET", "/v2/logs/" + build},
		{"GET", "/v2/actor-runs/" + run},
		{"PUT", "/v2/actor-runs/" + run},
		{"POST", "/v2/actor-runs/" + run + "/abort"},
		{"POST", "/v2/actor-runs/" + run + "/resurrect"},
		{"POST", "/v2/actor-runs/" + run + "/reboot"},
		{"POST", "/v2/actor-runs/" + run + "/charge"},
		{"GET", "/v2/actor-runs/" + run + "/log"},
		{"GET", "/v2/logs/" + run},
		{"GET", "/v2/actor-runs/" + run + "/dataset/items"},
		{"GET", "/v2/actor-runs/" + run + "/key-value-store/records/INPUT"},
		{"GET", "/v2/actor-runs/" + run + "/request-queue/head"},
		{"GET", "/v2/actor-runs/" + run + "/events"},
		{"GET", "/v2/actor-tasks/" + task},
		{"GET", "/v2/actor-tasks/admin~private-task"},
		{"PUT", "/v2/actor-tasks/" + task},
		{"DELETE", "/v2/actor-tasks/" + task},
		{"GET", "/v2/actor-tasks/" + task + "/input"},
		{"PUT", "/v2/actor-tasks/" + task + "/input"},
		{"GET", "/v2/actor-tasks/" + task + "/runs"},
		{"POST", "/v2/actor-tasks/" + task + "/runs"},
		{"GET", "/v2/actor-tasks/" + task + "/runs/last"},
		{"GET", "/v2/actor-tasks/" + task + "/runs/last/log"},
		{"GET", "/v2/actor-tasks/" + task + "/runs/last/dataset/items"},
		{"GET", "/v2/actor-tasks/" + task + "/runs/last/key-value-store/records/INPUT"},
		{"GET", "/v2/actor-tasks/" + task + "/runs/" + taskRun},
		{"GET", "/v2/actor-tasks/" + task + "/webhooks"},
		{"GET", "/v2/actors/" + act + "/webhooks"},
		{"POST", "/v2/acts/" + act + "/run-sync"},
		{"GET", "/v2/acts/" + act + "/run-sync-get-dataset-items"},
		{"POST", "/v2/actor-tasks/" + task + "/run-sync"},
		{"GET", "/v2/actor-tasks/" + task + "/run-sync-get-dataset-items"},
		{"POST", "/v2/actor-tasks"}, // a task of admin's actor
	} {
		var body []byte
		if route.method == "PUT" || route.method == "POST" {
			body = []byte(`{"actId":"` + act + `","name":"bobs-task"}`)
		}
		r := s.Do(route.method, route.path, bob, body)
		if r.Status != 404 || r.ErrorType() != "record-not-found" {
			t.Errorf("bob %s %s: %d %s, want 404 record-not-found", route.method, route.path, r.Status, r.Body)
		}
		if r := s.Do(route.method, route.path, "", body); r.Status != 401 && r.Status != 404 {
			t.Errorf("anonymous %s %s: %d, want 401 or 404", route.method, route.path, r.Status)
		}
	}
	for _, list := range []string{"/v2/acts", "/v2/actor-tasks", "/v2/actor-builds", "/v2/actor-runs"} {
		if r := s.Do("GET", list, bob, nil); !strings.Contains(string(r.Body), `"total":0`) {
			t.Errorf("bob's %s lists admin's: %s", list, r.Body)
		}
	}
	// Nothing changed for the owner.
	if r := s.Do("GET", "/v2/logs/"+run, admin, nil); !strings.Contains(string(r.Body), "secret-output") {
		t.Fatalf("owner's log: %d %s", r.Status, r.Body)
	}
	if r := s.Do("GET", "/v2/acts/"+act+"/runs", admin, nil); !strings.Contains(string(r.Body), `"total":2`) { // its own and the task's
		t.Fatalf("owner's runs: %s", r.Body)
	}
	if r := s.Do("GET", "/v2/actor-tasks/"+task+"/input", admin, nil); r.Status != 200 || string(r.Body) != `{}` {
		t.Fatalf("owner's task input: %d %s", r.Status, r.Body)
	}
}

// TestVersionSources builds and runs one actor from each source type: inline
// files, a git repository (branch and subfolder), a tarball served over
// HTTP and a zip uploaded to the server's own key-value store (what `apify
// push` does for large sources).
func TestVersionSources(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	s := apitest.New(t)
	token := s.AdminToken
	dockerfile := func(msg string) string { return "FROM scratch\nCMD [\"/bin/sh\", \"-c\", \"echo " + msg + "\"]\n" }

	// A git repository with the actor in sub/ on branch "release".
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "sub"), 0o755)
	os.WriteFile(filepath.Join(repo, "sub", "Dockerfile"), []byte(dockerfile("from-git")), 0o644)
	for _, args := range [][]string{{"init", "-q", "-b", "release"}, {"add", "."},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "actor"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}

	// A tar.gz served over HTTP, with a top-level folder as GitHub's have.
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	body := dockerfile("from-tarball")
	tw.WriteHeader(&tar.Header{Name: "actor-main/Dockerfile", Mode: 0o644, Size: int64(len(body))})
	tw.Write([]byte(body))
	tw.Close()
	gz.Close()
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(tgz.Bytes()) }))
	defer files.Close()

	// A zip in a key-value store record of the server itself.
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	f, _ := zw.Create("Dockerfile")
	f.Write([]byte(dockerfile("from-kv-zip")))
	zw.Close()
	var kv struct {
		Data struct{ ID string } `json:"data"`
	}
	s.Do("POST", "/v2/key-value-stores?name=actor-source", token, nil).JSON(t, &kv)
	if r := s.Do("PUT", "/v2/key-value-stores/"+kv.Data.ID+"/records/version-0.1.zip", token, zbuf.Bytes(), "Content-Type", "application/zip"); r.Status != 201 {
		t.Fatalf("upload zip: %d %s", r.Status, r.Body)
	}

	tests := []struct{ name, version, want string }{
		{"files", `"sourceType":"SOURCE_FILES","sourceFiles":[{"name":"Dockerfile","format":"BASE64","content":"` +
			base64.StdEncoding.EncodeToString([]byte(dockerfile("from-files"))) + `"}]`, "from-files"},
		{"git", `"sourceType":"GIT_REPO","gitRepoUrl":"` + repo + `#release:sub"`, "from-git"},
		{"python", `"sourceType":"SOURCE_FILES","sourceFiles":[{"name":"src/__init__.py","content":""},` +
			`{"name":"src/__main__.py","content":"import os\nprint('from-python', os.environ['ACTOR_RUN_ID'] != '')\n"}]`, "from-python True"},
		{"tarball", `"sourceType":"TARBALL","tarballUrl":"` + files.URL + `/actor.tar.gz"`, "from-tarball"},
		{"kv-zip", `"sourceType":"TARBALL","tarballUrl":"` + s.URL + `/v2/key-value-stores/` + kv.Data.ID + `/records/version-0.1.zip?disableRedirect=true"`, "from-kv-zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a struct {
				Data struct{ ID string } `json:"data"`
			}
			r := s.Do("POST", "/v2/acts", token, []byte(`{"name":"src-`+tt.name+`","versions":[{"versionNumber":"0.1",`+tt.version+`}]}`))
			if r.Status != 201 {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			r.JSON(t, &a)
			var b struct {
				Data struct{ ID, Status string } `json:"data"`
			}
			s.Do("POST", "/v2/acts/"+a.Data.ID+"/builds?version=0.1&waitForFinish=60", token, nil).JSON(t, &b)
			if b.Data.Status != "SUCCEEDED" {
				log := s.Do("GET", "/v2/logs/"+b.Data.ID, token, nil)
				t.Fatalf("build %s:\n%s", b.Data.Status, log.Body)
			}
			run := s.Do("POST", "/v2/acts/"+a.Data.ID+"/runs?waitForFinish=60&memory=128", token, nil)
			var rv struct {
				Data struct{ ID, Status string } `json:"data"`
			}
			run.JSON(t, &rv)
			log := s.Do("GET", "/v2/logs/"+rv.Data.ID, token, nil)
			if rv.Data.Status != "SUCCEEDED" || !strings.Contains(string(log.Body), " "+tt.want+"\n") {
				t.Fatalf("run %s, log:\n%s", rv.Data.Status, log.Body)
			}
		})
	}
}

// BenchmarkRunStart is one run of a trivial actor through the API,
// start to finish (POST …/runs?waitForFinish=60), for CPU profiles of the
// server's side of a run. bench/run compares it with a direct start.
func BenchmarkRunStart(b *testing.B) {
	s := apitest.New(b)
	var a struct {
		Data struct{ ID string } `json:"data"`
	}
	s.Do("POST", "/v2/acts", s.AdminToken, shellActor("bench", "exit 0")).JSON(b, &a)
	s.Do("POST", "/v2/acts/"+a.Data.ID+"/builds?version=0.1&waitForFinish=60", s.AdminToken, nil)
	b.ResetTimer()
	for range b.N {
		r := s.Do("POST", "/v2/acts/"+a.Data.ID+"/runs?waitForFinish=60", s.AdminToken, nil)
		if !bytes.Contains(r.Body, []byte(`"SUCCEEDED"`)) {
			b.Fatalf("run: %s", r.Body)
		}
	}
}

// TestWaitForFinishIsWokenByTheEnd: waitForFinish answers right when the
// run ends, not at the next poll; a build abort ends a hanging build.
func TestWaitForFinishAndBuildAbort(t *testing.T) {
	s := apitest.New(t)
	token := s.AdminToken
	var a struct {
		Data struct{ ID string } `json:"data"`
	}
	s.Do("POST", "/v2/acts", token, shellActor("napper", "sleep 0.5")).JSON(t, &a)
	s.Do("POST", "/v2/acts/"+a.Data.ID+"/builds?version=0.1&waitForFinish=60", token, nil)
	var run struct {
		Data struct {
			ID, Status string
			FinishedAt time.Time
		} `json:"data"`
	}
	s.Do("POST", "/v2/acts/"+a.Data.ID+"/runs", token, nil).JSON(t, &run)
	r := s.Do("GET", "/v2/actor-runs/"+run.Data.ID+"?waitForFinish=60", token, nil)
	answered := time.Now()
	r.JSON(t, &run)
	if run.Data.Status != "SUCCEEDED" {
		t.Fatalf("run: %s", r.Body)
	}
	if lag := answered.Sub(run.Data.FinishedAt); lag > 200*time.Millisecond {
		t.Fatalf("waitForFinish answered %s after the run ended", lag)
	}

	// A git source whose server never answers hangs the build until abort.
	hang := make(chan struct{})
	git := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer git.Close()
	defer close(hang)
	var b struct {
		Data struct{ ID, Status string } `json:"data"`
	}
	s.Do("POST", "/v2/acts", token, []byte(`{"name":"hanging","versions":[{"versionNumber":"0.1","sourceType":"GIT_REPO","gitRepoUrl":"`+git.URL+`/repo.git"}]}`)).JSON(t, &a)
	s.Do("POST", "/v2/acts/"+a.Data.ID+"/builds?version=0.1&waitForFinish=1", token, nil).JSON(t, &b)
	if b.Data.Status != "RUNNING" {
		t.Fatalf("hanging build: %s", b.Data.Status)
	}
	start := time.Now()
	s.Do("POST", "/v2/actor-builds/"+b.Data.ID+"/abort", token, nil).JSON(t, &b)
	if b.Data.Status != "ABORTED" || time.Since(start) > 5*time.Second {
		t.Fatalf("abort: %s after %s", b.Data.Status, time.Since(start))
	}
	if r := s.Do("POST", "/v2/acts/"+a.Data.ID+"/runs", token, nil); r.Status != 404 {
		t.Fatalf("run without a successful build: %d %s", r.Status, r.Body)
	}
}
