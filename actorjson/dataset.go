package actorjson

import (
	"bytes"
	"fmt"

	"github.com/actord/actord"
	"github.com/actord/actord/jsonitem"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// errSchemaValidation is Apify's error type for a dataset push whose items
// fail the dataset schema.
const errSchemaValidation = "schema-validation-error"

// DatasetValidator validates pushed items against a dataset schema's
// `fields` (a JSON Schema, draft-07 unless it says otherwise, of one item).
type DatasetValidator struct {
	schema *compiledSchema
}

// CompileDatasetSchema compiles the `fields` of a dataset schema
// (storages.dataset of actor.json). It returns nil, nil when the schema has
// no `fields` (or `fields` is null): such a dataset accepts any item.
func CompileDatasetSchema(raw []byte) (*DatasetValidator, error) {
	obj, err := parseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("dataset schema: %w", err)
	}
	fields := obj.get("fields")
	switch fields.Kind() {
	case 0, 'n':
		return nil, nil
	case '{':
	default:
		return nil, fmt.Errorf("dataset schema: fields is %s: %w", jsonitem.KindName(fields.Kind()), errNotObject)
	}
	s, err := compileSchema(fields)
	if err != nil {
		return nil, fmt.Errorf("dataset schema: fields: %w", err)
	}
	return &DatasetValidator{schema: s}, nil
}

// SchemaValidationData is the data of a "schema-validation-error": every
// invalid item of the push with its errors.
type SchemaValidationData struct {
	InvalidItems []InvalidItem `json:"invalidItems"`
}

// InvalidItem is one pushed item that failed the dataset schema.
type InvalidItem struct {
	ItemPosition     int               `json:"itemPosition"` // 0-based index in the push
	ValidationErrors []ValidationError `json:"validationErrors"`
}

// Validate checks each raw item (a JSON object, as split from a push body).
// When any fails it returns an *actord.Error of type
// "schema-validation-error", message "Schema validation failed", and Data
// a SchemaValidationData listing every invalid item, as Apify does; the
// whole push is then to be rejected. It returns nil when all items are
// valid or v is nil.
func (v *DatasetValidator) Validate(items [][]byte) error {
	if v == nil {
		return nil
	}
	var invalid []InvalidItem
	for i, item := range items {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(item))
		if err != nil {
			return fmt.Errorf("item %d: %w", i, syntaxError(err))
		}
		if errs := v.schema.validate(doc, item); len(errs) > 0 {
			invalid = append(invalid, InvalidItem{ItemPosition: i, ValidationErrors: errs})
		}
	}
	if len(invalid) == 0 {
		return nil
	}
	return &actord.Error{
		Type:    errSchemaValidation,
		Message: "Schema validation failed",
		Data:    SchemaValidationData{InvalidItems: invalid},
	}
}
