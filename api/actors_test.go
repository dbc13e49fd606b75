package api_test

import (
	"strings"
	"testing"

	"github.com/actord/actord/api/apitest"
)

// shellActor is a create-actor body whose build runs a shell line.
func shellActor(name, script string) []byte {
	return []byte(`{"name":"` + name + `","versions":[{"versionNumber":"0.1","sourceType":"SOURCE_FILES","sourceFiles":[` +
		`{"name":"Dockerfile","format":"TEXT","content":"FROM scratch\nCMD [\"/bin/sh\", \"-c\", \"` + script + `\"]\n"}]}],` +
		`"defaultRunOptions":{"memoryMbytes":128,"timeoutSecs":30}}`)
}

// TestActorIsolation: another user never sees or touches an actor, its
// builds, runs, logs and run storages: every route answers 404.
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
	} {
		var body []byte
		if route.method == "PUT" || route.method == "POST" {
			body = []byte(`{}`)
		}
		r := s.Do(route.method, route.path, bob, body)
		if r.Status != 404 || r.ErrorType() != "record-not-found" {
			t.Errorf("bob %s %s: %d %s, want 404 record-not-found", route.method, route.path, r.Status, r.Body)
		}
		if r := s.Do(route.method, route.path, "", body); r.Status != 401 && r.Status != 404 {
			t.Errorf("anonymous %s %s: %d, want 401 or 404", route.method, route.path, r.Status)
		}
	}
	for _, list := range []string{"/v2/acts", "/v2/actor-builds", "/v2/actor-runs"} {
		if r := s.Do("GET", list, bob, nil); !strings.Contains(string(r.Body), `"total":0`) {
			t.Errorf("bob's %s lists admin's: %s", list, r.Body)
		}
	}
	// Nothing changed for the owner.
	if r := s.Do("GET", "/v2/logs/"+run, admin, nil); !strings.Contains(string(r.Body), "secret-output") {
		t.Fatalf("owner's log: %d %s", r.Status, r.Body)
	}
	if r := s.Do("GET", "/v2/acts/"+act+"/runs", admin, nil); !strings.Contains(string(r.Body), `"total":1`) {
		t.Fatalf("owner's runs: %s", r.Body)
	}
}
