package export

import (
	"archive/zip"
	"fmt"
	"github.com/klauspost/compress/flate"
	"io"
	"strconv"
	"unicode/utf8"
)

// XLSX output reproduces Apify's format=xlsx, which is written by Apify's
// library apify/xlsx-stream (npm xlsx-write-stream); see
// shared/real-exports/FINDINGS.md §5. The five fixed parts and the sheet's
// header, footer, row and cell layout are copied byte for byte from a real
// export, so the unzipped parts equal Apify's. The zip container itself
// cannot be byte-identical (different deflate encoder, timestamps), which no
// consumer of an .xlsx can observe.

// The fixed parts, byte-identical to xlsx-stream's templates (and to every
// real export). Note that xlsxStyles keeps the templates' trailing spaces.
const (
	xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
    <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
    <Default Extension="xml" ContentType="application/xml"/>
    <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
    <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
    <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>`

	xlsxRootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
    <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>`

	xlsxWorkbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook
    xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"
>
    <fileVersion appName="xl" lastEdited="1" lowestEdited="1" rupBuild="9000"/>
    <workbookPr defaultThemeVersion="124226"/>
    <bookViews>
        <workbookView xWindow="480" yWindow="60" windowWidth="18195" windowHeight="8505"/>
    </bookViews>
    <sheets>
        <sheet name="Data" sheetId="1" r:id="rId1"/>
    </sheets>
    <calcPr calcId="145621"/>
</workbook>`

	xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet
    xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
    mc:Ignorable="x14ac"
    xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
>
      <numFmts count="1"> 
        <numFmt numFmtId="170" formatCode="yyyy-mm-dd hh:mm:ss" /> 
    </numFmts> 
    <fonts count="1" x14ac:knownFonts="1">
            <font>
                <sz val="11"/>
                <color theme="1"/>
                <name val="Calibri"/>
                <family val="2"/>
                <scheme val="minor"/>
            </font>
        </fonts>
        <fills count="2">
            <fill>
                <patternFill patternType="none"/>
            </fill>
            <fill>
                <patternFill patternType="gray125"/>
            </fill>
        </fills>
        <borders count="1">
            <border>
                <left/>
                <right/>
                <top/>
                <bottom/>
                <diagonal/>
            </border>
        </borders>
        <cellStyleXfs count="1">
            <xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>
        </cellStyleXfs>
        <cellXfs count="7">
            <xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
            <xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0"/>
            <xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0"/>
            <xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0"/>
            <xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0"/>
            <xf numFmtId="11" fontId="0" fillId="0" borderId="0" xfId="0"/>
            <xf numFmtId="170" fontId="0" fillId="0" borderId="0" xfId="0"/>
        </cellXfs>
        <cellStyles count="1">
            <cellStyle name="Normal" xfId="0" builtinId="0"/>
        </cellStyles>
        <dxfs count="0"/>
        <tableStyles count="0" defaultTableStyle="TableStyleMedium2" defaultPivotStyle="PivotStyleLight16"/>
        <extLst>
            <ext uri="{EB79DEF2-80B8-43e5-95BD-54CBDDF9020C}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">
            <x14:slicerStyles defaultSlicerStyle="SlicerStyleLight1"/>
        </ext>
    </extLst>
</styleSheet>`

	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
    <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
    <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>`

	xlsxSheetHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet
    xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
    mc:Ignorable="x14ac"
    xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
>
    <sheetViews>
        <sheetView workbookViewId="0"/>
    </sheetViews>
    <sheetFormatPr baseColWidth="30" defaultRowHeight="15" x14ac:dyDescent="0.25"/>
    <sheetData>`

	xlsxSheetFooter = "\n    </sheetData>\n    <pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/>\n</worksheet>"
)

const (
	xlsxSheetName = "xl/worksheets/sheet1.xml"

	// xlsxDeflateLevel is the deflate level of every entry, using
	// github.com/klauspost/compress/flate (a drop-in for compress/flate with
	// faster encoders). Measured on 10-column rows: its level 1 writes
	// 520k–630k rows/s at 86 B per row; compress/flate's BestSpeed 300k–390k
	// at 85 B, its default level 105k–200k at 64 B. The export target is
	// 5× exceljs' streaming writer over HTTP, which the stdlib encoder
	// missed; files stay about as large as Apify's own.
	xlsxDeflateLevel = flate.BestSpeed

	// xlsxFlushAt is how much sheet XML is buffered before it is handed to
	// the compressor. The buffer is reused, so memory does not grow with
	// the number of rows; a single huge cell may grow it once.
	xlsxFlushAt = 32 << 10

	// xlsxMaxCellLen is Excel's limit on the length of a cell's text, in
	// UTF-16 code units ("Total number of characters that a cell can
	// contain: 32,767").
	xlsxMaxCellLen = 32767

	// xlsxDOSDate is 1980-01-01 (the MS-DOS epoch) in MS-DOS date format:
	// (year-1980)<<9 | month<<5 | day.
	xlsxDOSDate = 0<<9 | 1<<5 | 1
)

// xlsxWriter streams one workbook with one sheet named "Data". It writes
// inline strings only (no shared-strings table, like Apify), so nothing
// accumulates per row: memory is the row buffer, the column names and one
// flate compressor.
type xlsxWriter struct {
	zw    *zip.Writer
	level int
	fw    *flate.Writer // reused for every entry (see compressor)

	sheet io.Writer // the sheet1.xml entry; nil until started
	buf   []byte    // sheet XML not yet handed to sheet

	cols  [][]byte // column letters: A, B, …, Z, AA, …
	spans []byte   // the tail of every <row> start tag, after r="N"
	rows  int      // rows written so far, header included

	started bool
	closed  bool
	err     error // first error; every later call returns it
}

var _ tableWriter = (*xlsxWriter)(nil)

// newXLSXWriter returns a writer of an .xlsx file to w. Header writes row 1
// (always: XLSX ignores skipHeaderRow, as Apify does), Row one row each,
// Close the end of the zip; w itself is not closed.
func newXLSXWriter(w io.Writer) *xlsxWriter {
	return newXLSXWriterLevel(w, xlsxDeflateLevel)
}

// newXLSXWriterLevel is newXLSXWriter with a chosen deflate level, so that
// tests and benchmarks can compare levels.
func newXLSXWriterLevel(w io.Writer, level int) *xlsxWriter {
	x := &xlsxWriter{
		zw:    zip.NewWriter(w),
		level: level,
		buf:   make([]byte, 0, xlsxFlushAt+4<<10),
	}
	x.zw.RegisterCompressor(zip.Deflate, x.compressor)
	return x
}

// compressor gives archive/zip the deflate writer of the next entry. One
// flate.Writer (about 1 MB of tables) is allocated per workbook and Reset
// for each entry: zip closes an entry's writer before it opens the next.
func (x *xlsxWriter) compressor(out io.Writer) (io.WriteCloser, error) {
	if x.fw == nil {
		fw, err := flate.NewWriter(out, x.level)
		if err != nil {
			return nil, fmt.Errorf("xlsx: deflate level %d: %w", x.level, err)
		}
		x.fw = fw
		return fw, nil
	}
	x.fw.Reset(out)
	return x.fw, nil
}

// create opens the zip entry name. It mirrors the entries of Apify's zips:
// deflated, data descriptor (Go always writes one when streaming), Unix
// mode 0644 plus the MS-DOS archive bit, no extra fields. Two things differ
// and cannot be observed by spreadsheet programs: archive/zip always writes
// "version made by" 2.0 (Apify's archiver writes 4.5), and the entry time
// is fixed at 1980-01-01 00:00:00 instead of the time of the export. The
// fixed time is deliberate: identical data gives identical bytes (useful
// for caching and tests), and no reader of a workbook uses entry times. It
// is set through the MS-DOS fields, not Modified, because Modified makes
// archive/zip add an extended-timestamp extra field that Apify's zips do
// not have.
func (x *xlsxWriter) create(name string) (io.Writer, error) {
	fh := &zip.FileHeader{
		Name:         name,
		Method:       zip.Deflate,
		ModifiedDate: xlsxDOSDate,
	}
	fh.SetMode(0o644)
	fh.ExternalAttrs |= 0x20 // MS-DOS "archive", as in Apify's zips
	w, err := x.zw.CreateHeader(fh)
	if err != nil {
		return nil, fmt.Errorf("xlsx: create %s: %w", name, err)
	}
	return w, nil
}

// start writes the fixed parts and opens the sheet with its XML header.
func (x *xlsxWriter) start() error {
	x.started = true
	// The order of Apify's zips; the sheet comes last because it is
	// streamed.
	parts := [...]struct{ name, body string }{
		{"[Content_Types].xml", xlsxContentTypes},
		{"_rels/.rels", xlsxRootRels},
		{"xl/workbook.xml", xlsxWorkbook},
		{"xl/styles.xml", xlsxStyles},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels},
	}
	for _, p := range parts {
		w, err := x.create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return fmt.Errorf("xlsx: write %s: %w", p.name, err)
		}
	}
	w, err := x.create(xlsxSheetName)
	if err != nil {
		return err
	}
	x.sheet = w
	x.buf = append(x.buf, xlsxSheetHeader...)
	return nil
}

// Header starts the workbook and writes the column names as row 1.
func (x *xlsxWriter) Header(columns []string) error {
	if x.err != nil {
		return x.err
	}
	if x.started || x.closed {
		return x.fail(fmt.Errorf("xlsx: Header called twice or after Close"))
	}
	if err := x.start(); err != nil {
		return x.fail(err)
	}
	x.cols = make([][]byte, len(columns))
	for i := range columns {
		x.cols[i] = xlsxColumnName(nil, i)
	}
	x.spans = fmt.Appendf(nil, "\" spans=\"1:%d\" x14ac:dyDescent=\"0.2\">\n            ", len(columns))
	cells := make([]Cell, len(columns))
	for i, c := range columns {
		cells[i] = Cell{Kind: CellString, Text: []byte(c)}
	}
	return x.Row(cells)
}

// Row writes one row; cells[i] belongs to column i of the header.
func (x *xlsxWriter) Row(cells []Cell) error {
	if x.err != nil {
		return x.err
	}
	if !x.started || x.closed {
		return x.fail(fmt.Errorf("xlsx: Row called before Header or after Close"))
	}
	if len(cells) != len(x.cols) {
		return x.fail(fmt.Errorf("xlsx: row %d has %d cells, the header %d columns", x.rows+1, len(cells), len(x.cols)))
	}
	x.rows++
	var num [20]byte
	rowNum := strconv.AppendInt(num[:0], int64(x.rows), 10)
	b := append(x.buf, "\n        <row r=\""...)
	b = append(b, rowNum...)
	b = append(b, x.spans...)
	for i, c := range cells {
		if i > 0 {
			// xlsx-stream joins the cells with this separator, also
			// around the "" it renders for a null cell.
			b = append(b, "\n\t\t\t"...)
		}
		b = appendXLSXCell(b, x.cols[i], rowNum, c)
		if len(b) >= xlsxFlushAt {
			x.buf = b
			if err := x.flush(); err != nil {
				return err
			}
			b = x.buf
		}
	}
	x.buf = append(b, "\n        </row>"...)
	if len(x.buf) >= xlsxFlushAt {
		return x.flush()
	}
	return nil
}

// Close writes the end of the sheet and the zip's central directory. A
// writer that never saw Header still produces a valid workbook (with an
// empty sheet).
func (x *xlsxWriter) Close() error {
	if x.err != nil {
		return x.err
	}
	if x.closed {
		return nil
	}
	if !x.started {
		if err := x.start(); err != nil {
			return x.fail(err)
		}
	}
	x.closed = true
	x.buf = append(x.buf, xlsxSheetFooter...)
	if err := x.flush(); err != nil {
		return err
	}
	if err := x.zw.Close(); err != nil {
		return x.fail(fmt.Errorf("xlsx: finish zip: %w", err))
	}
	return nil
}

// flush hands the buffered sheet XML to the compressor.
func (x *xlsxWriter) flush() error {
	if _, err := x.sheet.Write(x.buf); err != nil {
		return x.fail(fmt.Errorf("xlsx: write %s after row %d: %w", xlsxSheetName, x.rows, err))
	}
	x.buf = x.buf[:0]
	return nil
}

func (x *xlsxWriter) fail(err error) error {
	x.err = err
	return err
}

// appendXLSXCell appends one cell the way xlsx-stream's cell template
// renders it (formatting off): strings and booleans as inline strings,
// numbers as t="n" with the number text exactly as pushed, and nothing at
// all for a null or missing value.
func appendXLSXCell(b, col, rowNum []byte, c Cell) []byte {
	switch c.Kind {
	case CellString, CellBool:
		b = append(b, `<c r="`...)
		b = append(b, col...)
		b = append(b, rowNum...)
		b = append(b, `" t="inlineStr"><is><t>`...)
		b = appendXLSXCellText(b, c.Text)
		return append(b, "</t></is></c>"...)
	case CellNumber:
		b = append(b, `<c r="`...)
		b = append(b, col...)
		b = append(b, rowNum...)
		b = append(b, `" t="n"><v>`...)
		// JSON number text passes through unchanged; the filter only
		// keeps the XML well-formed should anything else arrive here.
		b = appendXLSXCellText(b, c.Text)
		return append(b, "</v></c>"...)
	}
	return b
}

// appendXLSXCellText appends text as XML character data. It makes four
// decisions, all here:
//
//   - Only & < > are escaped (&amp; &lt; &gt;), as xlsx-stream's sanitize()
//     does; quotes and apostrophes stay raw, \r stays raw.
//   - Characters not allowed in XML 1.0 are dropped (allowed: \t \n \r,
//     U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF), as sanitize() does.
//     Deliberate divergence: sanitize() walks UTF-16 code units, so it also
//     drops every astral character (emoji, U+10000 and up), because neither
//     surrogate half is in its allowed ranges. We keep them: they are valid
//     XML and Excel displays them. For text without astral characters the
//     bytes are Apify's.
//   - Invalid UTF-8 (which the JSON decoder should never hand us) becomes
//     U+FFFD, one per invalid byte, so the part stays valid UTF-8.
//   - Text longer than 32,767 UTF-16 code units (Excel's cell limit,
//     counted after dropping, before escaping) is cut to that length,
//     without splitting a surrogate pair, because Excel reports a workbook
//     with a longer cell as corrupt. Apify does not cut; such a file would
//     not open in Excel anyway.
func appendXLSXCellText(dst, text []byte) []byte {
	// Only text of more than xlsxMaxCellLen bytes can exceed the limit: a
	// UTF-16 code unit takes at least one UTF-8 byte.
	limited := len(text) > xlsxMaxCellLen
	units := 0
	copied := 0 // text[copied:i] is pending, to be copied verbatim
	i := 0
	for i < len(text) {
		c := text[i]
		size, width := 1, 1
		repl := ""
		drop := false
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				repl = "&amp;"
			case c == '<':
				repl = "&lt;"
			case c == '>':
				repl = "&gt;"
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
				drop = true
			}
		} else {
			var r rune
			r, size = utf8.DecodeRune(text[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				repl = "\uFFFD"
			case r == 0xFFFE || r == 0xFFFF:
				// The only valid-UTF-8 runes outside XML's Char
				// (surrogates do not decode as valid UTF-8).
				drop = true
			case r >= 0x10000:
				width = 2
			}
		}
		if drop {
			dst = append(dst, text[copied:i]...)
			i += size
			copied = i
			continue
		}
		if limited {
			if units+width > xlsxMaxCellLen {
				break
			}
			units += width
		}
		if repl != "" {
			dst = append(dst, text[copied:i]...)
			dst = append(dst, repl...)
			i += size
			copied = i
			continue
		}
		i += size
	}
	return append(dst, text[copied:i]...)
}

// xlsxColumnName appends the letters of the 0-based column i: A … Z, AA …,
// bijective base 26 as in xlsx-stream's getCellId.
func xlsxColumnName(dst []byte, i int) []byte {
	var tmp [16]byte
	n := len(tmp)
	for {
		n--
		tmp[n] = byte('A' + i%26)
		i = i/26 - 1
		if i < 0 {
			break
		}
	}
	return append(dst, tmp[n:]...)
}
