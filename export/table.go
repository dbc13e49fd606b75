package export

// CellKind says how a table cell's value was typed in JSON.
type CellKind uint8

const (
	// CellEmpty is a null or missing value: CSV writes an empty unquoted
	// field, XLSX writes no <c> element, HTML an empty <td>.
	CellEmpty CellKind = iota
	// CellString holds decoded UTF-8 text.
	CellString
	// CellNumber holds the number exactly as it was pushed (JSON number text).
	CellNumber
	// CellBool holds "true" or "false".
	CellBool
)

// Cell is one value of a table row. Text is only valid until the writer
// returns from the call it was passed to.
type Cell struct {
	Kind CellKind
	Text []byte
}

// tableWriter writes one tabular format (csv, html, xlsx). Header is called
// once before any Row (also when the header row is not to be printed: the
// writer decides), every Row has exactly len(columns) cells, and Close ends
// the document (it does not close the underlying io.Writer).
type tableWriter interface {
	Header(columns []string) error
	Row(cells []Cell) error
	Close() error
}
