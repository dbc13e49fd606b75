package export

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/actord/actord"
)

// Format is an output format of dataset items.
type Format string

const (
	JSON  Format = "json"
	JSONL Format = "jsonl"
	CSV   Format = "csv"
	HTML  Format = "html"
	XLSX  Format = "xlsx"
	XML   Format = "xml"
	RSS   Format = "rss"
)

// formats maps each format to its Content-Type and file extension.
var formats = map[Format]struct{ contentType, ext string }{
	JSON:  {"application/json; charset=utf-8", "json"},
	JSONL: {"application/jsonl; charset=utf-8", "jsonl"},
	CSV:   {"text/csv; charset=utf-8", "csv"},
	HTML:  {"text/html; charset=utf-8", "html"},
	XLSX:  {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
	XML:   {"application/xml; charset=utf-8", "xml"},
	RSS:   {"application/rss+xml; charset=utf-8", "rss"},
}

// NoLimit is the Limit of a request that gave none.
const NoLimit = -1

// maxIndex bounds offset and limit (JavaScript's safe integers).
const maxIndex = 1<<53 - 1

// Options are the item parameters of Get Dataset Items and
// run-sync-get-dataset-items, parsed and validated.
type Options struct {
	Format Format
	// Window of raw items: Offset items skipped (from the end with Desc),
	// then at most Limit read (NoLimit: all).
	Offset int64
	Limit  int64
	Desc   bool

	Fields       []string
	OutputFields []string
	Omit         []string
	Unwind       []string
	Flatten      []string

	SkipHidden      bool
	SkipEmpty       bool
	SkipFailedPages bool
	// View names a view of the dataset's schema; ApplyView resolves it.
	View string

	Attachment      bool
	BOM             bool // resolved: the format's default unless bom= was given
	Delimiter       string
	SkipHeaderRow   bool
	XMLRoot         string
	XMLRow          string
	FeedTitle       string
	FeedDescription string

	// given records which list/window parameters the request set
	// explicitly, so a view fills in only the others.
	given map[string]bool
}

// ContentType is the response Content-Type of the format.
func (o *Options) ContentType() string { return formats[o.Format].contentType }

// Tabular reports whether the format is a table (csv, html, xlsx), whose
// columns must be known before the first row.
func (o *Options) Tabular() bool { return o.Format == CSV || o.Format == HTML || o.Format == XLSX }

// Filename is the attachment's file name in the style of Apify Console
// downloads: dataset_<label>_<UTC yyyy-MM-dd_HH-mm-ss-SSS>.<ext>, where label
// is the actor's name for a run's dataset, else the dataset's name or ID,
// and t is the dataset's (or run's) creation time.
func (o *Options) Filename(label string, t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("dataset_%s_%s-%03d.%s", sanitizeFilename(label), t.Format("2006-01-02_15-04-05"), t.Nanosecond()/1e6, formats[o.Format].ext)
}

func sanitizeFilename(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '"' || r == '\\' || r == '/' || r < 0x20 || r == 0x7f:
			return '_'
		}
		return r
	}, s)
	return strings.ReplaceAll(s, ".", "-")
}

// ParseOptions reads and validates the item parameters of q. Every error is
// an *actord.Error (400), returned before any output is produced.
func ParseOptions(q url.Values) (*Options, error) {
	p := optionParser{q: q}
	o := &Options{given: map[string]bool{}}
	for name, vals := range q {
		for _, v := range vals {
			if !utf8.ValidString(v) {
				// Every text format is UTF-8: a field name or delimiter
				// that is not would end up in the body as is.
				return nil, actord.Errorf(actord.ErrInvalidParameter, "Parameter %q must be UTF-8 text.", name)
			}
		}
	}
	f := q.Get("format")
	if f == "" {
		f = string(JSON)
	}
	o.Format = Format(strings.ToLower(f))
	if _, ok := formats[o.Format]; !ok {
		return nil, actord.Errorf(actord.ErrInvalidParameter,
			"Parameter \"format\" must be one of json, jsonl, csv, html, xlsx, xml or rss (got %q).", f)
	}
	o.Offset = p.int("offset", 0)
	o.Limit = p.int("limit", NoLimit)
	if o.Limit == 0 { // Apify treats limit=0 as no limit
		o.Limit = NoLimit
	}
	o.Desc = p.bool("desc", false)
	o.Fields = p.list("fields")
	o.OutputFields = p.list("outputFields")
	o.Omit = p.list("omit")
	o.Unwind = p.list("unwind")
	o.Flatten = p.list("flatten")
	clean := p.bool("clean", false)
	o.SkipHidden = p.bool("skipHidden", false) || clean
	o.SkipEmpty = p.bool("skipEmpty", false) || clean
	o.SkipFailedPages = p.bool("skipFailedPages", false)
	if p.bool("simplified", false) {
		applySimplified(o, q)
	}
	o.View = q.Get("view")
	o.Attachment = p.bool("attachment", false)
	o.BOM = p.bool("bom", o.Format == CSV)
	o.SkipHeaderRow = p.bool("skipHeaderRow", false)
	o.Delimiter = ","
	if q.Has("delimiter") {
		o.Delimiter = q.Get("delimiter")
		if utf8.RuneCountInString(o.Delimiter) != 1 || o.Delimiter == `"` || o.Delimiter == "\r" || o.Delimiter == "\n" {
			p.fail(actord.ErrInvalidParameter, "Parameter \"delimiter\" must be a single character other than a double quote or a line break.")
		}
	}
	o.XMLRoot = p.xmlName("xmlRoot", "items")
	o.XMLRow = p.xmlName("xmlRow", "item")
	o.FeedTitle = q.Get("feedTitle")
	o.FeedDescription = q.Get("feedDescription")
	for _, name := range []string{"offset", "limit", "desc", "fields", "omit", "unwind", "flatten"} {
		o.given[name] = q.Has(name)
	}
	if p.err != nil {
		return nil, p.err
	}
	if err := o.checkOutputFields(); err != nil {
		return nil, err
	}
	return o, nil
}

// applySimplified resolves simplified=1, the legacy crawler's shape: it is
// fields=url,pageFunctionResult,errorInfo plus unwind=pageFunctionResult.
// Explicit fields/unwind parameters win.
func applySimplified(o *Options, q url.Values) {
	if !q.Has("fields") {
		o.Fields = []string{"url", "pageFunctionResult", "errorInfo"}
	}
	if !q.Has("unwind") {
		o.Unwind = []string{"pageFunctionResult"}
	}
}

func (o *Options) checkOutputFields() error {
	if len(o.OutputFields) == 0 {
		return nil
	}
	if len(o.Fields) == 0 {
		return actord.Errorf(actord.ErrParameterRequired, "Parameter \"outputFields\" requires \"fields\": it renames the listed fields in order.")
	}
	if len(o.OutputFields) != len(o.Fields) {
		return actord.Errorf(actord.ErrParametersMismatched, "Parameters \"fields\" and \"outputFields\" must list the same number of names (%d and %d).",
			len(o.Fields), len(o.OutputFields))
	}
	return nil
}

// optionParser remembers the first bad parameter.
type optionParser struct {
	q   url.Values
	err error
}

func (p *optionParser) fail(typ, format string, args ...any) {
	if p.err == nil {
		p.err = actord.Errorf(typ, format, args...)
	}
}

func (p *optionParser) bool(name string, def bool) bool {
	s := p.q.Get(name)
	if s == "" {
		return def
	}
	if v, ok := actord.ParseBool(s); ok {
		return v
	}
	p.fail(actord.ErrInvalidParameter, "Parameter %q must be a boolean (1, 0, true or false).", name)
	return def
}

func (p *optionParser) int(name string, def int64) int64 {
	s := p.q.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxIndex {
		p.fail(actord.ErrInvalidParameter, "Parameter %q must be a non-negative integer (got %q).", name, s)
		return def
	}
	return n
}

// list splits a comma-separated list, trimming spaces and dropping empty
// names. Apify clients join arrays with commas; the parameter repeated
// (fields=a&fields=b, the spec's form/explode style) works too.
func (p *optionParser) list(name string) []string {
	var out []string
	for _, s := range p.q[name] {
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

func (p *optionParser) xmlName(name, def string) string {
	s := p.q.Get(name)
	if s == "" {
		return def
	}
	if !validXMLName(s) {
		p.fail(actord.ErrInvalidParameter, "Parameter %q must be a valid XML element name (got %q).", name, s)
		return def
	}
	return s
}

// validXMLName reports whether s is usable as is as an element name: an
// XML Name without a colon, by the rules xmlName applies to keys.
func validXMLName(s string) bool {
	return s != "" && xmlName(s) == s
}
