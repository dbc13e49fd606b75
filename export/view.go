package export

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/actord/actord"
)

// datasetSchema is the part of an actor's dataset schema
// (.actor/dataset_schema.json, or actor.json storages.dataset) that exports
// use: its views' transformations.
type datasetSchema struct {
	Views map[string]struct {
		Transformation viewTransformation `json:"transformation"`
	} `json:"views"`
}

type viewTransformation struct {
	Fields  stringList `json:"fields"`
	Unwind  stringList `json:"unwind"`
	Flatten stringList `json:"flatten"`
	Omit    stringList `json:"omit"`
	Limit   *int64     `json:"limit"`
	Desc    *bool      `json:"desc"`
}

// stringList accepts a JSON array of strings or one (comma-separated) string:
// schemas in the wild write `"unwind": "reviews"` as well as `["reviews"]`.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		for _, s := range strings.Split(one, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*l = append(*l, s)
			}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or an array of strings: %w", err)
	}
	*l = many
	return nil
}

// ApplyView resolves o.View against the dataset's schema (its raw JSON, nil
// when the dataset has none). A parameter given explicitly in the request
// wins over the view's value for it; the view fills in the rest.
func (o *Options) ApplyView(schema []byte) error {
	if o.View == "" {
		return nil
	}
	if len(schema) == 0 {
		return actord.Errorf(actord.ErrDatasetHasNoSchema,
			"Parameter \"view\" is %q, but this dataset has no schema and therefore no views.", o.View)
	}
	var s datasetSchema
	if err := json.Unmarshal(schema, &s); err != nil {
		return fmt.Errorf("read dataset schema: %w", err)
	}
	v, ok := s.Views[o.View]
	if !ok {
		names := make([]string, 0, len(s.Views))
		for n := range s.Views {
			names = append(names, n)
		}
		sort.Strings(names)
		return actord.Errorf(actord.ErrDatasetViewNotFound,
			"The dataset has no view %q (its views: %s).", o.View, strings.Join(names, ", "))
	}
	t := v.Transformation
	fill := func(name string, dst *[]string, src stringList) {
		if !o.given[name] && len(src) > 0 {
			*dst = src
		}
	}
	fill("fields", &o.Fields, t.Fields)
	fill("unwind", &o.Unwind, t.Unwind)
	fill("flatten", &o.Flatten, t.Flatten)
	fill("omit", &o.Omit, t.Omit)
	if !o.given["limit"] && t.Limit != nil && *t.Limit > 0 {
		o.Limit = *t.Limit
	}
	if !o.given["desc"] && t.Desc != nil {
		o.Desc = *t.Desc
	}
	return o.checkOutputFields()
}
