package api_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/api/apitest"
)

// pushed creates a dataset holding items and returns its ID.
func pushed(t *testing.T, s *apitest.Server, name, items string) string {
	t.Helper()
	id := s.Create("datasets", name, s.AdminToken)
	if r := s.Do("POST", "/v2/datasets/"+id+"/items", s.AdminToken, []byte(items)); r.Status != http.StatusCreated {
		t.Fatalf("push: %d %s", r.Status, r.Body)
	}
	return id
}

// Pagination vectors of export-semantics.md §7.1: the window is taken on
// raw items, and the headers count raw items, not output records.
func TestItemsPagination(t *testing.T) {
	s := apitest.New(t)
	five := pushed(t, s, "", `[{"n":1},{"n":2},{"n":3},{"n":4},{"n":5}]`)
	p6 := pushed(t, s, "", `[{"a":1},{},{"a":2}]`)
	p7 := pushed(t, s, "", `[{"#x":1},{"#y":2}]`)
	p8 := pushed(t, s, "", `[{"id":1,"v":[{"x":1},{"x":2}]},{"id":2,"v":[{"x":3}]}]`)
	tests := []struct {
		id, ds, query, body               string
		offset, limit, count, total, desc string
	}{
		{"P1", five, "offset=1&limit=2", `{"n":2}` + "\n" + `{"n":3}`, "1", "2", "2", "5", "false"},
		{"P2", five, "desc=1&offset=1&limit=2", `{"n":4}` + "\n" + `{"n":3}`, "1", "2", "2", "5", "true"},
		{"P3", five, "", `{"n":1}` + "\n" + `{"n":2}` + "\n" + `{"n":3}` + "\n" + `{"n":4}` + "\n" + `{"n":5}`, "0", "999999999999", "5", "5", "false"},
		{"P4", five, "limit=0", `{"n":1}` + "\n" + `{"n":2}` + "\n" + `{"n":3}` + "\n" + `{"n":4}` + "\n" + `{"n":5}`, "0", "999999999999", "5", "5", "false"},
		{"P5", five, "offset=10", ``, "10", "999999999999", "0", "5", "false"},
		{"P6", p6, "skipEmpty=1&limit=2", `{"a":1}`, "0", "2", "2", "3", "false"},
		{"P7", p7, "clean=1&limit=2", ``, "0", "2", "2", "2", "false"},
		{"P8", p8, "unwind=v&limit=1", `{"id":1,"x":1}` + "\n" + `{"id":1,"x":2}`, "0", "1", "1", "2", "false"},
		{"T16", p8, "desc=true&unwind=v", `{"id":2,"x":3}` + "\n" + `{"id":1,"x":1}` + "\n" + `{"id":1,"x":2}`, "0", "999999999999", "2", "2", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			q := "format=jsonl"
			if tt.query != "" {
				q += "&" + tt.query
			}
			for _, method := range []string{"GET", "HEAD"} {
				r := s.Do(method, "/v2/datasets/"+tt.ds+"/items?"+q, s.AdminToken, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("%s: %d %s", method, r.Status, r.Body)
				}
				want := tt.body
				if method == "HEAD" {
					want = ""
				}
				if string(r.Body) != want {
					t.Errorf("%s body %q, want %q", method, r.Body, want)
				}
				for h, v := range map[string]string{"Offset": tt.offset, "Limit": tt.limit, "Count": tt.count, "Total": tt.total, "Desc": tt.desc} {
					if got := r.Header.Get("X-Apify-Pagination-" + h); got != v {
						t.Errorf("%s X-Apify-Pagination-%s = %q, want %q", method, h, got, v)
					}
				}
			}
		})
	}
}

// Every format answers with its Content-Type; attachment=1 names the file
// like Apify Console downloads; an empty result is still a valid document.
func TestItemsFormats(t *testing.T) {
	s := apitest.New(t)
	named := pushed(t, s, "my-results", `[{"a":1,"b":{"c":"x"}},{"a":2}]`)
	unnamed := pushed(t, s, "", `[{"a":1}]`)
	empty := s.Create("datasets", "", s.AdminToken)
	types := map[string]string{
		"json":  "application/json; charset=utf-8",
		"jsonl": "application/jsonl; charset=utf-8",
		"csv":   "text/csv; charset=utf-8",
		"html":  "text/html; charset=utf-8",
		"xlsx":  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"xml":   "application/xml; charset=utf-8",
		"rss":   "application/rss+xml; charset=utf-8",
	}
	stamp := `\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-\d{3}`
	for format, ct := range types {
		t.Run(format, func(t *testing.T) {
			r := s.Do("GET", "/v2/datasets/"+named+"/items?format="+format, s.AdminToken, nil)
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != ct || len(r.Body) == 0 {
				t.Fatalf("%d %q %d bytes", r.Status, r.Header.Get("Content-Type"), len(r.Body))
			}
			if cd := r.Header.Get("Content-Disposition"); cd != "" {
				t.Errorf("Content-Disposition without attachment=1: %q", cd)
			}
			r = s.Do("GET", "/v2/datasets/"+named+"/items?attachment=true&format="+format, s.AdminToken, nil)
			want := regexp.MustCompile(`^attachment; filename="dataset_my-results_` + stamp + `\.` + format + `"$`)
			if cd := r.Header.Get("Content-Disposition"); !want.MatchString(cd) {
				t.Errorf("Content-Disposition %q, want %s", cd, want)
			}
			r = s.Do("GET", "/v2/datasets/"+unnamed+"/items?attachment=1&format="+format, s.AdminToken, nil)
			want = regexp.MustCompile(`^attachment; filename="dataset_` + unnamed + `_` + stamp + `\.` + format + `"$`)
			if cd := r.Header.Get("Content-Disposition"); !want.MatchString(cd) {
				t.Errorf("unnamed: Content-Disposition %q, want %s", cd, want)
			}
			r = s.Do("GET", "/v2/datasets/"+empty+"/items?format="+format, s.AdminToken, nil)
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != ct {
				t.Errorf("empty dataset: %d %q", r.Status, r.Header.Get("Content-Type"))
			}
		})
	}
	r := s.Do("GET", "/v2/datasets/"+named+"/items?format=csv", s.AdminToken, nil)
	if want := "\xEF\xBB\xBF\"a\",\"b/c\"\r\n\"1\",\"x\"\r\n\"2\",\r\n"; string(r.Body) != want {
		t.Errorf("csv %q, want %q", r.Body, want)
	}
	r = s.Do("GET", "/v2/datasets/"+named+"/items?format=rss&limit=1", s.AdminToken, nil)
	for _, want := range []string{"<title>Dataset my-results</title>", `<description>Items in dataset with id "` + named + `".</description>`,
		"<link>" + s.URL + "/v2/datasets/" + named + "/items?format=rss</link>", "<a>1</a>"} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("rss lacks %s:\n%s", want, r.Body)
		}
	}
}

// view selects a view of the dataset's schema; explicit parameters win.
func TestItemsView(t *testing.T) {
	s := apitest.New(t)
	var me struct {
		Data struct{ ID string } `json:"data"`
	}
	s.Do("GET", "/v2/users/me", s.AdminToken, nil).JSON(t, &me)
	now := time.Now()
	ds := &actord.Storage{ID: actord.NewID(), Kind: actord.KindDataset, UserID: me.Data.ID, GeneralAccess: actord.AccessRestricted,
		CreatedAt: now, ModifiedAt: now, AccessedAt: now,
		Schema: []byte(`{"actorSpecification":1,"fields":{},"views":{"overview":{"title":"Overview","transformation":{"fields":["title","seller.name","seller.id"],"flatten":["seller"],"desc":true},"display":{}},
			"reviews":{"transformation":{"fields":["title","reviews"],"unwind":"reviews"}}}}`)}
	if err := s.DB.StorageInsert(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	push := `[{"title":"A","price":1,"seller":{"name":"S","id":7},"reviews":[{"r":5},{"r":4}]},{"title":"B","price":2,"reviews":[]}]`
	if r := s.Do("POST", "/v2/datasets/"+ds.ID+"/items", s.AdminToken, []byte(push)); r.Status != http.StatusCreated {
		t.Fatalf("push: %d %s", r.Status, r.Body)
	}
	tests := []struct{ query, want string }{
		{"view=overview", `{"title":"B"}` + "\n" + `{"title":"A","seller.name":"S","seller.id":7}`},
		{"view=overview&desc=0", `{"title":"A","seller.name":"S","seller.id":7}` + "\n" + `{"title":"B"}`},
		{"view=overview&fields=price", `{"price":2}` + "\n" + `{"price":1}`},
		{"view=reviews", `{"title":"A","r":5}` + "\n" + `{"title":"A","r":4}`},
	}
	for _, tt := range tests {
		r := s.Do("GET", "/v2/datasets/"+ds.ID+"/items?format=jsonl&"+tt.query, s.AdminToken, nil)
		if r.Status != http.StatusOK || string(r.Body) != tt.want {
			t.Errorf("%s: %d %s, want %s", tt.query, r.Status, r.Body, tt.want)
		}
	}
	r := s.Do("GET", "/v2/datasets/"+ds.ID+"/items?view=nope", s.AdminToken, nil)
	if r.Status != http.StatusBadRequest || r.ErrorType() != "requested-dataset-view-does-not-exist" {
		t.Errorf("unknown view: %d %s", r.Status, r.Body)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != "" {
		t.Errorf("error response carries Content-Disposition %q", cd)
	}
}
