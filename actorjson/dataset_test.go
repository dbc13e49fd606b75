package actorjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/actord/actord"
)

func items(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, v := range s {
		out[i] = []byte(v)
	}
	return out
}

func mustCompileDataset(t *testing.T, raw string) *DatasetValidator {
	t.Helper()
	v, err := CompileDatasetSchema([]byte(raw))
	if err != nil {
		t.Fatalf("CompileDatasetSchema: %v", err)
	}
	if v == nil {
		t.Fatal("CompileDatasetSchema = nil")
	}
	return v
}

func TestCompileDatasetSchema(t *testing.T) {
	tests := []struct {
		name, schema string
		wantNil      bool
		wantErr      string
	}{
		{name: "views only", schema: `{"actorSpecification":1,"views":{"overview":{"title":"O","transformation":{"fields":["a"]},"display":{"component":"table"}}}}`, wantNil: true},
		{name: "null fields", schema: `{"actorSpecification":1,"fields":null}`, wantNil: true},
		{name: "fields", schema: `{"actorSpecification":1,"fields":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"name":{"type":"string"}},"required":["name"]},"views":{}}`},
		{name: "fields without $schema", schema: `{"fields":{"type":"object"}}`},
		{name: "fields not an object", schema: `{"fields":[]}`, wantErr: "dataset schema: fields is an array"},
		{name: "invalid fields", schema: `{"fields":{"type":1}}`, wantErr: "dataset schema: fields: "},
		{name: "not an object", schema: `"x"`, wantErr: "dataset schema: value is a string"},
		{name: "invalid JSON", schema: `{"fields":`, wantErr: "dataset schema: invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := CompileDatasetSchema([]byte(tt.schema))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if (v == nil) != tt.wantNil {
				t.Errorf("validator = %v, want nil: %v", v, tt.wantNil)
			}
		})
	}
}

func TestValidateInvalidItemsShape(t *testing.T) {
	v := mustCompileDataset(t, `{
		"actorSpecification": 1,
		"fields": {
			"$schema": "http://json-schema.org/draft-07/schema#",
			"type": "object",
			"properties": {
				"name": {"type": "string"},
				"price": {"type": "number"}
			},
			"required": ["name"]
		},
		"views": {}
	}`)
	err := v.Validate(items(`{"name":"a","price":1}`, `{"name":"b","price":"9.99"}`, `{"price":2}`, `{"name":"c"}`, `{"price":"x"}`))
	var ae *actord.Error
	if !errors.As(err, &ae) {
		t.Fatalf("Validate = %v, want an *actord.Error", err)
	}
	if ae.Type != "schema-validation-error" || ae.Message != "Schema validation failed" {
		t.Errorf("error = %q %q", ae.Type, ae.Message)
	}
	got, err := json.Marshal(ae.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"invalidItems":[` +
		`{"itemPosition":1,"validationErrors":[{"instancePath":"/price","schemaPath":"#/properties/price/type","keyword":"type","params":{"type":"number"},"message":"must be number"}]},` +
		`{"itemPosition":2,"validationErrors":[{"instancePath":"","schemaPath":"#/required","keyword":"required","params":{"missingProperty":"name"},"message":"must have required property 'name'"}]},` +
		`{"itemPosition":4,"validationErrors":[` +
		`{"instancePath":"/price","schemaPath":"#/properties/price/type","keyword":"type","params":{"type":"number"},"message":"must be number"},` +
		`{"instancePath":"","schemaPath":"#/required","keyword":"required","params":{"missingProperty":"name"},"message":"must have required property 'name'"}]}]}`
	if string(got) != want {
		t.Errorf("data =\n%s\nwant\n%s", got, want)
	}
}

func TestValidateValid(t *testing.T) {
	v := mustCompileDataset(t, `{"fields":{"type":"object","properties":{"n":{"type":"integer"},"s":{"type":"string","nullable":true}}}}`)
	if err := v.Validate(items(`{"n":1}`, `{"n":12345678901234567890}`, `{"n":1.0,"s":null}`, `{}`)); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if err := v.Validate(nil); err != nil {
		t.Errorf("Validate(nil) = %v", err)
	}
	var none *DatasetValidator
	if err := none.Validate(items(`1`)); err != nil {
		t.Errorf("nil validator: Validate = %v", err)
	}
}

// TestValidateKeywords checks every keyword's AJV error (one failing item,
// one error).
func TestValidateKeywords(t *testing.T) {
	tests := []struct {
		name, fields, item string
		want               string // the single validation error as JSON
	}{
		{"type", `{"type":"object","properties":{"a":{"type":"integer"}}}`, `{"a":1.5}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/type","keyword":"type","params":{"type":"integer"},"message":"must be integer"}`},
		{"type list", `{"type":"object","properties":{"a":{"type":["string","number"]}}}`, `{"a":true}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/type","keyword":"type","params":{"type":["number","string"]},"message":"must be number,string"}`},
		{"root type", `{"type":"object"}`, `[]`,
			`{"instancePath":"","schemaPath":"#/type","keyword":"type","params":{"type":"object"},"message":"must be object"}`},
		{"enum", `{"properties":{"a":{"enum":["x",1]}}}`, `{"a":"y"}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/enum","keyword":"enum","params":{"allowedValues":["x",1]},"message":"must be equal to one of the allowed values"}`},
		{"const", `{"properties":{"a":{"const":"x"}}}`, `{"a":"y"}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/const","keyword":"const","params":{"allowedValue":"x"},"message":"must be equal to constant"}`},
		{"minimum", `{"properties":{"a":{"minimum":1.5}}}`, `{"a":1}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/minimum","keyword":"minimum","params":{"comparison":"\u003e=","limit":1.5},"message":"must be \u003e= 1.5"}`},
		{"maximum", `{"properties":{"a":{"maximum":10}}}`, `{"a":11}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/maximum","keyword":"maximum","params":{"comparison":"\u003c=","limit":10},"message":"must be \u003c= 10"}`},
		{"exclusiveMinimum", `{"properties":{"a":{"exclusiveMinimum":0}}}`, `{"a":0}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/exclusiveMinimum","keyword":"exclusiveMinimum","params":{"comparison":"\u003e","limit":0},"message":"must be \u003e 0"}`},
		{"exclusiveMaximum", `{"properties":{"a":{"exclusiveMaximum":0}}}`, `{"a":0}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/exclusiveMaximum","keyword":"exclusiveMaximum","params":{"comparison":"\u003c","limit":0},"message":"must be \u003c 0"}`},
		{"multipleOf", `{"properties":{"a":{"multipleOf":3}}}`, `{"a":4}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/multipleOf","keyword":"multipleOf","params":{"multipleOf":3},"message":"must be multiple of 3"}`},
		{"minLength", `{"properties":{"a":{"minLength":3}}}`, `{"a":"ab"}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/minLength","keyword":"minLength","params":{"limit":3},"message":"must NOT have fewer than 3 characters"}`},
		{"maxLength", `{"properties":{"a":{"maxLength":1}}}`, `{"a":"ab"}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/maxLength","keyword":"maxLength","params":{"limit":1},"message":"must NOT have more than 1 characters"}`},
		{"pattern", `{"properties":{"a":{"pattern":"^\\d+$"}}}`, `{"a":"x"}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/pattern","keyword":"pattern","params":{"pattern":"^\\d+$"},"message":"must match pattern \"^\\d+$\""}`},
		{"format", `{"properties":{"a":{"format":"email"}}}`, `{"a":"x"}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/format","keyword":"format","params":{"format":"email"},"message":"must match format \"email\""}`},
		{"minItems", `{"properties":{"a":{"minItems":1}}}`, `{"a":[]}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/minItems","keyword":"minItems","params":{"limit":1},"message":"must NOT have fewer than 1 items"}`},
		{"maxItems", `{"properties":{"a":{"maxItems":1}}}`, `{"a":[1,2]}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/maxItems","keyword":"maxItems","params":{"limit":1},"message":"must NOT have more than 1 items"}`},
		{"uniqueItems", `{"properties":{"a":{"uniqueItems":true}}}`, `{"a":[1,2,1]}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/uniqueItems","keyword":"uniqueItems","params":{"i":0,"j":2},"message":"must NOT have duplicate items (items ## 2 and 0 are identical)"}`},
		{"items", `{"properties":{"a":{"items":{"type":"string"}}}}`, `{"a":["x",2]}`,
			`{"instancePath":"/a/1","schemaPath":"#/properties/a/items/type","keyword":"type","params":{"type":"string"},"message":"must be string"}`},
		{"additionalItems", `{"properties":{"a":{"items":[{}],"additionalItems":false}}}`, `{"a":[1,2,3]}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/additionalItems","keyword":"additionalItems","params":{"limit":1},"message":"must NOT have more than 1 items"}`},
		{"contains", `{"properties":{"a":{"contains":{"const":1}}}}`, `{"a":[2]}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/contains","keyword":"contains","params":{"minContains":1},"message":"must contain at least 1 valid item(s)"}`},
		{"required", `{"required":["a"]}`, `{}`,
			`{"instancePath":"","schemaPath":"#/required","keyword":"required","params":{"missingProperty":"a"},"message":"must have required property 'a'"}`},
		{"minProperties", `{"minProperties":1}`, `{}`,
			`{"instancePath":"","schemaPath":"#/minProperties","keyword":"minProperties","params":{"limit":1},"message":"must NOT have fewer than 1 properties"}`},
		{"maxProperties", `{"maxProperties":0}`, `{"a":1}`,
			`{"instancePath":"","schemaPath":"#/maxProperties","keyword":"maxProperties","params":{"limit":0},"message":"must NOT have more than 0 properties"}`},
		{"additionalProperties", `{"properties":{"a":{}},"additionalProperties":false}`, `{"a":1,"b":2}`,
			`{"instancePath":"","schemaPath":"#/additionalProperties","keyword":"additionalProperties","params":{"additionalProperty":"b"},"message":"must NOT have additional properties"}`},
		{"dependencies", `{"dependencies":{"a":["b"]}}`, `{"a":1}`,
			`{"instancePath":"","schemaPath":"#/dependencies","keyword":"dependencies","params":{"deps":"b","depsCount":1,"missingProperty":"b","property":"a"},"message":"must have property b when property a is present"}`},
		{"propertyNames", `{"propertyNames":{"maxLength":1}}`, `{"ab":1}`,
			`{"instancePath":"","schemaPath":"#/propertyNames","keyword":"propertyNames","params":{"propertyName":"ab"},"message":"property name must be valid"}`},
		{"not", `{"properties":{"a":{"not":{"type":"string"}}}}`, `{"a":"x"}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/not","keyword":"not","params":{},"message":"must NOT be valid"}`},
		{"oneOf both", `{"properties":{"a":{"oneOf":[{"type":"integer"},{"minimum":0}]}}}`, `{"a":1}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/oneOf","keyword":"oneOf","params":{"passingSchemas":[0,1]},"message":"must match exactly one schema in oneOf"}`},
		{"false schema", `{"properties":{"a":false}}`, `{"a":1}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a","keyword":"false schema","params":{},"message":"boolean schema is false"}`},
		{"ref", `{"definitions":{"p":{"type":"number"}},"properties":{"a":{"$ref":"#/definitions/p"}}}`, `{"a":"x"}`,
			`{"instancePath":"/a","schemaPath":"#/definitions/p/type","keyword":"type","params":{"type":"number"},"message":"must be number"}`},
		{"escaped names", `{"properties":{"a b/c~":{"type":"string"}}}`, `{"a b/c~":1}`,
			`{"instancePath":"/a b~1c~0","schemaPath":"#/properties/a%20b~1c~0/type","keyword":"type","params":{"type":"string"},"message":"must be string"}`},
		{"nullable", `{"properties":{"a":{"type":"string","nullable":true}}}`, `{"a":1}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/type","keyword":"type","params":{"type":"string"},"message":"must be string"}`},
		{"nullable enum", `{"properties":{"a":{"enum":["x"],"nullable":true}}}`, `{"a":"y"}`,
			`{"instancePath":"/a","schemaPath":"#/properties/a/enum","keyword":"enum","params":{"allowedValues":["x"]},"message":"must be equal to one of the allowed values"}`},
		{"nullable in definitions and items", `{"definitions":{"d":{"type":"array","items":{"type":"integer","nullable":true}}},"properties":{"a b":{"$ref":"#/definitions/d"}}}`, `{"a b":[null,"x"]}`,
			`{"instancePath":"/a b/1","schemaPath":"#/definitions/d/items/type","keyword":"type","params":{"type":"integer"},"message":"must be integer"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustCompileDataset(t, `{"fields":`+tt.fields+`}`)
			valid := `{}` // the item before the failing one
			if tt.name == "required" || tt.name == "minProperties" {
				valid = `{"a":1}`
			}
			err := v.Validate(items(valid, tt.item))
			var ae *actord.Error
			if !errors.As(err, &ae) {
				t.Fatalf("Validate = %v, want an *actord.Error", err)
			}
			data := ae.Data.(SchemaValidationData)
			if len(data.InvalidItems) != 1 || data.InvalidItems[0].ItemPosition != 1 {
				t.Fatalf("invalid items = %+v", data.InvalidItems)
			}
			errs := data.InvalidItems[0].ValidationErrors
			got, _ := json.Marshal(errs)
			if want := "[" + tt.want + "]"; string(got) != want {
				t.Errorf("errors =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestValidateAnyOf(t *testing.T) {
	v := mustCompileDataset(t, `{"fields":{"properties":{"a":{"anyOf":[{"type":"string"},{"type":"integer"}]}}}}`)
	err := v.Validate(items(`{"a":true}`))
	var ae *actord.Error
	if !errors.As(err, &ae) {
		t.Fatalf("Validate = %v", err)
	}
	var kw []string
	for _, e := range ae.Data.(SchemaValidationData).InvalidItems[0].ValidationErrors {
		kw = append(kw, e.Keyword+" "+e.SchemaPath)
	}
	want := "type #/properties/a/anyOf/0/type, type #/properties/a/anyOf/1/type, anyOf #/properties/a/anyOf"
	if got := strings.Join(kw, ", "); got != want {
		t.Errorf("errors = %s, want %s", got, want)
	}
}

// TestValidateOrder checks that errors follow the schema, then the item,
// whatever Go's map order.
func TestValidateOrder(t *testing.T) {
	v := mustCompileDataset(t, `{"fields":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"},"c":{"type":"string"},"d":{"type":"string"}},"additionalProperties":{"type":"string"}}}`)
	var first string
	for range 20 {
		err := v.Validate(items(`{"z":1,"d":1,"c":1,"b":1,"a":1,"y":1}`))
		var paths []string
		for _, e := range err.(*actord.Error).Data.(SchemaValidationData).InvalidItems[0].ValidationErrors {
			paths = append(paths, e.InstancePath)
		}
		got := strings.Join(paths, " ")
		if want := "/a /b /c /d /z /y"; got != want {
			t.Fatalf("order = %s, want %s", got, want)
		}
		if first == "" {
			first = got
		}
	}
}
