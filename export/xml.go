package export

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// XML and RSS output.
//
// The layout copies what the npm package xml2js 0.6 (xmlbuilder 11) prints
// for new Builder({rootName: "items", attrkey: "@", charkey: "#"})
// .buildObject({item: items}), the only known serializer that reproduces
// the XML example of Apify's API reference byte for byte (no real Apify
// XML/RSS output has been seen, so this is unverified; see
// FINDINGS-XML-RSS-HTML.md):
//
//   - the declaration <?xml version="1.0" encoding="UTF-8" standalone="yes"?>,
//     "\n" line ends, two spaces of indentation per level, and no line end
//     after the closing root tag; no items gives <items/>;
//   - every key becomes an element; an object value gives child elements;
//     null, {}, "" (and an object with only attributes) give <key/>;
//     strings, numbers (their JSON text, never reparsed), true and false
//     give <key>text</key> on one line;
//   - an array gives one sibling element per entry, all named after the
//     key, with no wrapper; an empty array gives nothing. Arrays nested in
//     arrays are flattened into the same siblings (xml2js would merge the
//     members of inner objects into one element, write <key/> for an inner
//     [] and throw on inner strings);
//   - a key "@" holding an object gives attributes of the element that holds
//     it, in order: null values are left out, later duplicates replace the
//     value of earlier ones (keeping the first position). A key "@" holding
//     anything else is ignored, as xml2js ignores it;
//   - a key "#" gives a text node of the element that holds it. When it is
//     the element's only node the text is written inline
//     (<address type="office">unknown</address>); when the element also
//     has child elements the text is written on its own indented line at
//     the position of the "#" key among them, as xmlbuilder does. "#": null
//     is ignored (xml2js throws);
//   - an object or array used as an attribute value or as "#" is written as
//     its compact JSON text (xml2js writes JavaScript's String(value), such
//     as "[object Object]");
//   - text escapes & < > and \r (as &#xD;); attribute values are
//     double-quoted and escape & < " \t \n \r. Characters XML 1.0 does not
//     allow (controls other than \t \n \r, U+FFFE, U+FFFF) are dropped and
//     invalid UTF-8 becomes U+FFFD (xml2js throws on those characters);
//   - keys are made into valid names by xmlName. The decorator keys of
//     xmlbuilder ("#text", "#cdata", "#comment", "#raw", "?target") are not
//     interpreted: they are ordinary keys.
//
// Output is streamed: only one item is held in memory at a time.

// xmlDeclaration is the declaration xmlbuilder writes for xml2js' defaults.
const xmlDeclaration = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`

// rssChannel holds the channel fields of an RSS export. Link is left out
// of the feed when empty.
type rssChannel struct{ Title, Description, Link string }

// writeXML writes the items as <root><row>…</row>…</root>. root and row
// are element names (already defaulted to "items" and "item" by the caller)
// and go through xmlName like any key.
func writeXML(w io.Writer, next Next, root, row string) error {
	x := newXMLEncoder(w)
	rootName := appendXMLName(nil, []byte(root), false)
	rowName := appendXMLName(nil, []byte(row), false)
	x.bw.WriteString(xmlDeclaration)
	x.bw.WriteByte('\n')
	x.bw.WriteByte('<')
	x.bw.Write(rootName)
	n, err := x.items(next, rowName, 1, func() { x.bw.WriteString(">\n") })
	if err != nil {
		return fmt.Errorf("export xml: %w", err)
	}
	if n == 0 {
		x.bw.WriteString("/>")
	} else {
		x.bw.WriteString("</")
		x.bw.Write(rootName)
		x.bw.WriteByte('>')
	}
	if err := x.bw.Flush(); err != nil {
		return fmt.Errorf("export xml: %w", err)
	}
	return nil
}

// writeRSS writes an RSS 2.0 feed: <rss version="2.0"><channel> with the
// channel's <title>, <link> (only when set) and <description>, then one
// <item> per dataset item whose fields are written by the XML rules.
func writeRSS(w io.Writer, next Next, ch rssChannel) error {
	x := newXMLEncoder(w)
	x.bw.WriteString(xmlDeclaration)
	x.bw.WriteString("\n<rss version=\"2.0\">\n  <channel>\n")
	x.textElement("title", ch.Title, 2)
	if ch.Link != "" {
		x.textElement("link", ch.Link, 2)
	}
	x.textElement("description", ch.Description, 2)
	if _, err := x.items(next, []byte("item"), 2, nil); err != nil {
		return fmt.Errorf("export rss: %w", err)
	}
	x.bw.WriteString("  </channel>\n</rss>")
	if err := x.bw.Flush(); err != nil {
		return fmt.Errorf("export rss: %w", err)
	}
	return nil
}

// Token kinds of a parsed item (xtok.kind).
const (
	xObject = '{'
	xArray  = '['
	xString = '"'
	xNumber = '0'
	xTrue   = 't'
	xFalse  = 'f'
	xNull   = 'n'
	xRaw    = 'r' // compact JSON text of an object or array used as text
	xName   = 'k' // an object member name, already made a valid XML name
	xAttrs  = '@' // the member name "@"
	xText   = '#' // the member name "#"
)

// xtok is one token of a parsed item. Objects are followed by their
// members (a name token then the value's tokens), arrays by their values.
type xtok struct {
	kind byte
	a, b int // arena[a:b]: decoded string, JSON text of a literal, raw JSON or name
	end  int // objects and arrays: index of the first token after them
}

// xattr is one attribute of the element being written.
type xattr struct {
	name []byte
	val  int // token index of the value
}

// xmlEncoder renders items. Its buffers are reused from item to item.
type xmlEncoder struct {
	bw    *bufio.Writer
	in    bytes.Buffer // the item being parsed
	dec   jsontext.Decoder
	toks  []xtok
	arena []byte
	tmp   []byte
	attrs []xattr
	// attrIndex maps attribute names to their index in attrs once an
	// element has many attributes; nil otherwise.
	attrIndex map[string]int
}

func newXMLEncoder(w io.Writer) *xmlEncoder {
	return &xmlEncoder{
		bw: bufio.NewWriterSize(w, 64<<10),
	}
}

// items writes every item as an element named row at the given level and
// returns how many there were. before, if set, is called once before the
// first item is written.
func (x *xmlEncoder) items(next Next, row []byte, level int, before func()) (int, error) {
	for n := 0; ; n++ {
		item, err := next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := x.parse(item); err != nil {
			return n, fmt.Errorf("item %d: %w", n, err)
		}
		if n == 0 && before != nil {
			before()
		}
		x.element(row, 0, level)
	}
}

// parse tokenizes one item, which must be a single JSON object.
func (x *xmlEncoder) parse(item []byte) error {
	x.toks = x.toks[:0]
	x.arena = x.arena[:0]
	// The decoder parses a bytes.Buffer in place; reusing one (rather than
	// wrapping item) makes parsing free of allocations.
	x.in.Reset()
	x.in.Write(item)
	x.dec.Reset(&x.in, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if k := x.dec.PeekKind(); k != '{' {
		if _, err := x.dec.ReadValue(); err != nil && err != io.EOF {
			return err
		}
		return errors.New("not a JSON object")
	}
	if err := x.value(false, false); err != nil {
		return err
	}
	if _, err := x.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the JSON object")
		}
		return err
	}
	return nil
}

// value tokenizes the next JSON value. raw reads an object or array as one
// xRaw token of compact JSON text; attrs marks an object whose members are
// attributes (their names are attribute names, their values raw).
func (x *xmlEncoder) value(raw, attrs bool) error {
	switch k := x.dec.PeekKind(); k {
	case xObject, xArray:
		if raw {
			v, err := x.dec.ReadValue()
			if err != nil {
				return err
			}
			a := len(x.arena)
			x.arena = append(x.arena, v...)
			c := jsontext.Value(x.arena[a:])
			if err := c.Compact(); err != nil {
				return err
			}
			x.arena = append(x.arena[:a], c...)
			x.toks = append(x.toks, xtok{kind: xRaw, a: a, b: len(x.arena)})
			return nil
		}
		if _, err := x.dec.ReadToken(); err != nil {
			return err
		}
		i := len(x.toks)
		x.toks = append(x.toks, xtok{kind: byte(k)})
		for x.dec.PeekKind() != k+2 { // '}' or ']'
			if k == '[' {
				if err := x.value(false, false); err != nil {
					return err
				}
				continue
			}
			name, err := x.dec.ReadValue()
			if err != nil {
				return err
			}
			x.tmp, _ = jsontext.AppendUnquote(x.tmp[:0], name) // invalid UTF-8 is already U+FFFD
			switch {
			case attrs:
				x.name(x.tmp, true)
				err = x.value(true, false)
			case string(x.tmp) == "@":
				x.toks = append(x.toks, xtok{kind: xAttrs})
				if x.dec.PeekKind() == '{' {
					err = x.value(false, true)
				} else {
					err = x.value(true, false)
				}
			case string(x.tmp) == "#":
				x.toks = append(x.toks, xtok{kind: xText})
				err = x.value(true, false)
			default:
				x.name(x.tmp, false)
				err = x.value(false, false)
			}
			if err != nil {
				return err
			}
		}
		if _, err := x.dec.ReadToken(); err != nil {
			return err
		}
		x.toks[i].end = len(x.toks)
	case xString:
		v, err := x.dec.ReadValue()
		if err != nil {
			return err
		}
		a := len(x.arena)
		x.arena, _ = jsontext.AppendUnquote(x.arena, v) // invalid UTF-8 becomes U+FFFD
		x.toks = append(x.toks, xtok{kind: xString, a: a, b: len(x.arena)})
	case xNumber:
		v, err := x.dec.ReadValue()
		if err != nil {
			return err
		}
		a := len(x.arena)
		x.arena = append(x.arena, v...)
		x.toks = append(x.toks, xtok{kind: xNumber, a: a, b: len(x.arena)})
	case xTrue, xFalse, xNull:
		v, err := x.dec.ReadValue()
		if err != nil {
			return err
		}
		a := len(x.arena)
		x.arena = append(x.arena, v...)
		x.toks = append(x.toks, xtok{kind: byte(k), a: a, b: len(x.arena)})
	default:
		_, err := x.dec.ReadValue() // reports the syntax error
		if err == nil {
			err = errors.New("unexpected JSON token")
		}
		return err
	}
	return nil
}

// name appends a name token for key.
func (x *xmlEncoder) name(key []byte, attr bool) {
	a := len(x.arena)
	x.arena = appendXMLName(x.arena, key, attr)
	x.toks = append(x.toks, xtok{kind: xName, a: a, b: len(x.arena)})
}

// skip returns the index of the token after the value at i.
func (x *xmlEncoder) skip(i int) int {
	if k := x.toks[i].kind; k == xObject || k == xArray {
		return x.toks[i].end
	}
	return i + 1
}

// text returns the text of the scalar or xRaw value at token i.
func (x *xmlEncoder) text(i int) []byte {
	return x.arena[x.toks[i].a:x.toks[i].b]
}

// element writes the value at token i as an element named name, followed by
// a line end. Arrays are handled by the caller (see leaves).
func (x *xmlEncoder) element(name []byte, i, level int) {
	x.indent(level)
	x.bw.WriteByte('<')
	x.bw.Write(name)
	switch x.toks[i].kind {
	case xObject:
		x.object(name, i, level)
		return
	case xNull, xArray:
		x.bw.WriteString("/>\n")
		return
	}
	text := x.text(i)
	if x.toks[i].kind == xString && xmlTextEmpty(text) {
		x.bw.WriteString("/>\n")
		return
	}
	x.bw.WriteByte('>')
	xmlEscapeText(x.bw, text)
	x.endTag(name)
}

// object writes the rest of an element (after "<name") whose value is the
// object at token i.
func (x *xmlEncoder) object(name []byte, i, level int) {
	end := x.toks[i].end
	x.attrs, x.attrIndex = x.attrs[:0], nil
	elems, texts, nonEmpty, textAt := false, 0, 0, 0
	for j := i + 1; j < end; j = x.skip(j + 1) {
		v := j + 1
		switch x.toks[j].kind {
		case xAttrs:
			if x.toks[v].kind == xObject {
				x.addAttrs(v)
			}
		case xText:
			if x.toks[v].kind != xNull {
				texts++
				textAt = v
				if x.toks[v].kind != xString || !xmlTextEmpty(x.text(v)) {
					nonEmpty++
				}
			}
		default:
			elems = elems || x.hasLeaf(v)
		}
	}
	for _, a := range x.attrs {
		x.bw.WriteByte(' ')
		x.bw.Write(a.name)
		x.bw.WriteString(`="`)
		xmlEscapeAttr(x.bw, x.text(a.val))
		x.bw.WriteByte('"')
	}
	switch {
	case !elems && nonEmpty == 0:
		x.bw.WriteString("/>\n")
		return
	case !elems && texts == 1:
		x.bw.WriteByte('>')
		xmlEscapeText(x.bw, x.text(textAt))
		x.endTag(name)
		return
	}
	x.bw.WriteString(">\n")
	for j := i + 1; j < end; j = x.skip(j + 1) {
		v := j + 1
		switch x.toks[j].kind {
		case xAttrs:
		case xText:
			if x.toks[v].kind != xNull {
				x.indent(level + 1)
				xmlEscapeText(x.bw, x.text(v))
				x.bw.WriteByte('\n')
			}
		default:
			x.leaves(x.arena[x.toks[j].a:x.toks[j].b], v, level+1)
		}
	}
	x.indent(level)
	x.endTag(name)
}

// addAttrs adds the members of the attribute object at token i to x.attrs
// (an element may have several "@" members).
func (x *xmlEncoder) addAttrs(i int) {
	// Attribute values are single tokens (see value), so members are pairs.
	for j := i + 1; j < x.toks[i].end; j += 2 {
		if x.toks[j+1].kind == xNull {
			continue
		}
		name := x.arena[x.toks[j].a:x.toks[j].b]
		if x.attrIndex == nil && len(x.attrs) > 16 {
			x.attrIndex = make(map[string]int, 2*len(x.attrs))
			for n, a := range x.attrs {
				x.attrIndex[string(a.name)] = n
			}
		}
		k, found := -1, false
		if x.attrIndex != nil {
			k, found = x.attrIndex[string(name)]
		} else {
			for n := range x.attrs {
				if bytes.Equal(x.attrs[n].name, name) {
					k, found = n, true
					break
				}
			}
		}
		if found {
			x.attrs[k].val = j + 1
			continue
		}
		if x.attrIndex != nil {
			x.attrIndex[string(name)] = len(x.attrs)
		}
		x.attrs = append(x.attrs, xattr{name: name, val: j + 1})
	}
}

// hasLeaf says whether the value at token i produces at least one element.
func (x *xmlEncoder) hasLeaf(i int) bool {
	if x.toks[i].kind != xArray {
		return true
	}
	for j := i + 1; j < x.toks[i].end; j = x.skip(j) {
		if x.hasLeaf(j) {
			return true
		}
	}
	return false
}

// leaves writes the value at token i as elements named name: one for a
// non-array value, one per entry of an array, arrays in arrays flattened.
func (x *xmlEncoder) leaves(name []byte, i, level int) {
	if x.toks[i].kind != xArray {
		x.element(name, i, level)
		return
	}
	for j := i + 1; j < x.toks[i].end; j = x.skip(j) {
		x.leaves(name, j, level)
	}
}

// textElement writes <name>text</name> (or <name/>) at the given level.
func (x *xmlEncoder) textElement(name, text string, level int) {
	x.indent(level)
	x.bw.WriteByte('<')
	x.bw.WriteString(name)
	if xmlTextEmpty([]byte(text)) {
		x.bw.WriteString("/>\n")
		return
	}
	x.bw.WriteByte('>')
	xmlEscapeText(x.bw, []byte(text))
	x.endTag([]byte(name))
}

func (x *xmlEncoder) endTag(name []byte) {
	x.bw.WriteString("</")
	x.bw.Write(name)
	x.bw.WriteString(">\n")
}

const xmlSpaces = "                                                                " // 64

func (x *xmlEncoder) indent(level int) {
	for n := 2 * level; n > 0; n -= len(xmlSpaces) {
		x.bw.WriteString(xmlSpaces[:min(n, len(xmlSpaces))])
	}
}

// xmlName returns key as an XML element name; attribute names go through
// the same rules plus one more. This is how keys that are not valid XML
// names are written (xml2js throws on them):
//
//   - an empty key becomes "_";
//   - every character that is not a name character, and every ':' (so
//     that no name has a namespace prefix), becomes '_', one '_' per
//     character; invalid UTF-8 (already U+FFFD after JSON decoding) also
//     becomes '_';
//   - if the first character is a name character that may not start a name
//     (a digit, '-', '.', U+00B7, a combining mark…), '_' is put before it;
//   - an attribute named "xmlns" becomes "_xmlns" (it would declare a
//     namespace).
//
// Name characters are those of XML 1.0 4th edition (Appendix B), which are
// also name characters of the 5th edition: expat (Python, Ruby, PHP…) and
// Go's encoding/xml still reject names that only the 5th edition allows,
// such as emoji, so those characters become '_' too (xml2js would keep
// them).
//
// So "a b" → "a_b", "0" → "_0", "#debug" → "_debug", "ns:x" → "ns_x",
// "" → "_", "-1" → "_-1", "🎉" → "_"; "x.y", "é", "日本" and "xml" are kept.
// Names are not made unique: two keys may give the same element name (for
// attributes, the later value then replaces the earlier one).
func xmlName(key string) string {
	return string(appendXMLName(nil, []byte(key), false))
}

// appendXMLName appends xmlName(key) to dst; attr applies the attribute
// rule.
func appendXMLName(dst, key []byte, attr bool) []byte {
	if len(key) == 0 {
		return append(dst, '_')
	}
	if attr && string(key) == "xmlns" {
		return append(dst, "_xmlns"...)
	}
	for i := 0; i < len(key); {
		r, size := utf8.DecodeRune(key[i:])
		switch {
		case r == utf8.RuneError && size == 1, !xmlNameRune(r):
			dst = append(dst, '_')
		case i == 0 && !xmlNameStartRune(r):
			dst = append(dst, '_')
			dst = append(dst, key[i:i+size]...)
		default:
			dst = append(dst, key[i:i+size]...)
		}
		i += size
	}
	return dst
}

// xmlNameStartRune reports whether r may start a name (see xmlName; ':'
// excluded).
func xmlNameStartRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_'
	}
	return unicode.Is(xmlNameStartTable, r)
}

// xmlNameRune reports whether r may appear in a name (see xmlName; ':'
// excluded).
func xmlNameRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_' ||
			'0' <= r && r <= '9' || r == '-' || r == '.'
	}
	return unicode.Is(xmlNameStartTable, r) || unicode.Is(xmlNameRestTable, r)
}

// The non-ASCII characters of XML 1.0 4th edition's Letter (xmlNameStart-
// Table) and of its other NameChars (xmlNameRestTable: digits, combining
// characters, extenders), generated from encoding/xml's copy of Appendix B.
// TestXMLNameTables checks them against encoding/xml and the 5th edition.

var xmlNameStartTable = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x00C0, 0x00D6, 1}, {0x00D8, 0x00F6, 1}, {0x00F8, 0x0131, 1}, {0x0134, 0x013E, 1},
		{0x0141, 0x0148, 1}, {0x014A, 0x017E, 1}, {0x0180, 0x01C3, 1}, {0x01CD, 0x01F0, 1},
		{0x01F4, 0x01F5, 1}, {0x01FA, 0x0217, 1}, {0x0250, 0x02A8, 1}, {0x02BB, 0x02C1, 1},
		{0x0386, 0x0386, 1}, {0x0388, 0x038A, 1}, {0x038C, 0x038C, 1}, {0x038E, 0x03A1, 1},
		{0x03A3, 0x03CE, 1}, {0x03D0, 0x03D6, 1}, {0x03DA, 0x03DA, 1}, {0x03DC, 0x03DC, 1},
		{0x03DE, 0x03DE, 1}, {0x03E0, 0x03E0, 1}, {0x03E2, 0x03F3, 1}, {0x0401, 0x040C, 1},
		{0x040E, 0x044F, 1}, {0x0451, 0x045C, 1}, {0x045E, 0x0481, 1}, {0x0490, 0x04C4, 1},
		{0x04C7, 0x04C8, 1}, {0x04CB, 0x04CC, 1}, {0x04D0, 0x04EB, 1}, {0x04EE, 0x04F5, 1},
		{0x04F8, 0x04F9, 1}, {0x0531, 0x0556, 1}, {0x0559, 0x0559, 1}, {0x0561, 0x0586, 1},
		{0x05D0, 0x05EA, 1}, {0x05F0, 0x05F2, 1}, {0x0621, 0x063A, 1}, {0x0641, 0x064A, 1},
		{0x0671, 0x06B7, 1}, {0x06BA, 0x06BE, 1}, {0x06C0, 0x06CE, 1}, {0x06D0, 0x06D3, 1},
		{0x06D5, 0x06D5, 1}, {0x06E5, 0x06E6, 1}, {0x0905, 0x0939, 1}, {0x093D, 0x093D, 1},
		{0x0958, 0x0961, 1}, {0x0985, 0x098C, 1}, {0x098F, 0x0990, 1}, {0x0993, 0x09A8, 1},
		{0x09AA, 0x09B0, 1}, {0x09B2, 0x09B2, 1}, {0x09B6, 0x09B9, 1}, {0x09DC, 0x09DD, 1},
		{0x09DF, 0x09E1, 1}, {0x09F0, 0x09F1, 1}, {0x0A05, 0x0A0A, 1}, {0x0A0F, 0x0A10, 1},
		{0x0A13, 0x0A28, 1}, {0x0A2A, 0x0A30, 1}, {0x0A32, 0x0A33, 1}, {0x0A35, 0x0A36, 1},
		{0x0A38, 0x0A39, 1}, {0x0A59, 0x0A5C, 1}, {0x0A5E, 0x0A5E, 1}, {0x0A72, 0x0A74, 1},
		{0x0A85, 0x0A8B, 1}, {0x0A8D, 0x0A8D, 1}, {0x0A8F, 0x0A91, 1}, {0x0A93, 0x0AA8, 1},
		{0x0AAA, 0x0AB0, 1}, {0x0AB2, 0x0AB3, 1}, {0x0AB5, 0x0AB9, 1}, {0x0ABD, 0x0ABD, 1},
		{0x0AE0, 0x0AE0, 1}, {0x0B05, 0x0B0C, 1}, {0x0B0F, 0x0B10, 1}, {0x0B13, 0x0B28, 1},
		{0x0B2A, 0x0B30, 1}, {0x0B32, 0x0B33, 1}, {0x0B36, 0x0B39, 1}, {0x0B3D, 0x0B3D, 1},
		{0x0B5C, 0x0B5D, 1}, {0x0B5F, 0x0B61, 1}, {0x0B85, 0x0B8A, 1}, {0x0B8E, 0x0B90, 1},
		{0x0B92, 0x0B95, 1}, {0x0B99, 0x0B9A, 1}, {0x0B9C, 0x0B9C, 1}, {0x0B9E, 0x0B9F, 1},
		{0x0BA3, 0x0BA4, 1}, {0x0BA8, 0x0BAA, 1}, {0x0BAE, 0x0BB5, 1}, {0x0BB7, 0x0BB9, 1},
		{0x0C05, 0x0C0C, 1}, {0x0C0E, 0x0C10, 1}, {0x0C12, 0x0C28, 1}, {0x0C2A, 0x0C33, 1},
		{0x0C35, 0x0C39, 1}, {0x0C60, 0x0C61, 1}, {0x0C85, 0x0C8C, 1}, {0x0C8E, 0x0C90, 1},
		{0x0C92, 0x0CA8, 1}, {0x0CAA, 0x0CB3, 1}, {0x0CB5, 0x0CB9, 1}, {0x0CDE, 0x0CDE, 1},
		{0x0CE0, 0x0CE1, 1}, {0x0D05, 0x0D0C, 1}, {0x0D0E, 0x0D10, 1}, {0x0D12, 0x0D28, 1},
		{0x0D2A, 0x0D39, 1}, {0x0D60, 0x0D61, 1}, {0x0E01, 0x0E2E, 1}, {0x0E30, 0x0E30, 1},
		{0x0E32, 0x0E33, 1}, {0x0E40, 0x0E45, 1}, {0x0E81, 0x0E82, 1}, {0x0E84, 0x0E84, 1},
		{0x0E87, 0x0E88, 1}, {0x0E8A, 0x0E8A, 1}, {0x0E8D, 0x0E8D, 1}, {0x0E94, 0x0E97, 1},
		{0x0E99, 0x0E9F, 1}, {0x0EA1, 0x0EA3, 1}, {0x0EA5, 0x0EA5, 1}, {0x0EA7, 0x0EA7, 1},
		{0x0EAA, 0x0EAB, 1}, {0x0EAD, 0x0EAE, 1}, {0x0EB0, 0x0EB0, 1}, {0x0EB2, 0x0EB3, 1},
		{0x0EBD, 0x0EBD, 1}, {0x0EC0, 0x0EC4, 1}, {0x0F40, 0x0F47, 1}, {0x0F49, 0x0F69, 1},
		{0x10A0, 0x10C5, 1}, {0x10D0, 0x10F6, 1}, {0x1100, 0x1100, 1}, {0x1102, 0x1103, 1},
		{0x1105, 0x1107, 1}, {0x1109, 0x1109, 1}, {0x110B, 0x110C, 1}, {0x110E, 0x1112, 1},
		{0x113C, 0x113C, 1}, {0x113E, 0x113E, 1}, {0x1140, 0x1140, 1}, {0x114C, 0x114C, 1},
		{0x114E, 0x114E, 1}, {0x1150, 0x1150, 1}, {0x1154, 0x1155, 1}, {0x1159, 0x1159, 1},
		{0x115F, 0x1161, 1}, {0x1163, 0x1163, 1}, {0x1165, 0x1165, 1}, {0x1167, 0x1167, 1},
		{0x1169, 0x1169, 1}, {0x116D, 0x116E, 1}, {0x1172, 0x1173, 1}, {0x1175, 0x1175, 1},
		{0x119E, 0x119E, 1}, {0x11A8, 0x11A8, 1}, {0x11AB, 0x11AB, 1}, {0x11AE, 0x11AF, 1},
		{0x11B7, 0x11B8, 1}, {0x11BA, 0x11BA, 1}, {0x11BC, 0x11C2, 1}, {0x11EB, 0x11EB, 1},
		{0x11F0, 0x11F0, 1}, {0x11F9, 0x11F9, 1}, {0x1E00, 0x1E9B, 1}, {0x1EA0, 0x1EF9, 1},
		{0x1F00, 0x1F15, 1}, {0x1F18, 0x1F1D, 1}, {0x1F20, 0x1F45, 1}, {0x1F48, 0x1F4D, 1},
		{0x1F50, 0x1F57, 1}, {0x1F59, 0x1F59, 1}, {0x1F5B, 0x1F5B, 1}, {0x1F5D, 0x1F5D, 1},
		{0x1F5F, 0x1F7D, 1}, {0x1F80, 0x1FB4, 1}, {0x1FB6, 0x1FBC, 1}, {0x1FBE, 0x1FBE, 1},
		{0x1FC2, 0x1FC4, 1}, {0x1FC6, 0x1FCC, 1}, {0x1FD0, 0x1FD3, 1}, {0x1FD6, 0x1FDB, 1},
		{0x1FE0, 0x1FEC, 1}, {0x1FF2, 0x1FF4, 1}, {0x1FF6, 0x1FFC, 1}, {0x2126, 0x2126, 1},
		{0x212A, 0x212B, 1}, {0x212E, 0x212E, 1}, {0x2180, 0x2182, 1}, {0x3007, 0x3007, 1},
		{0x3021, 0x3029, 1}, {0x3041, 0x3094, 1}, {0x30A1, 0x30FA, 1}, {0x3105, 0x312C, 1},
		{0x4E00, 0x9FA5, 1}, {0xAC00, 0xD7A3, 1},
	},
}
var xmlNameRestTable = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x00B7, 0x00B7, 1}, {0x02D0, 0x02D1, 1}, {0x0300, 0x0345, 1}, {0x0360, 0x0361, 1},
		{0x0387, 0x0387, 1}, {0x0483, 0x0486, 1}, {0x0591, 0x05A1, 1}, {0x05A3, 0x05B9, 1},
		{0x05BB, 0x05BD, 1}, {0x05BF, 0x05BF, 1}, {0x05C1, 0x05C2, 1}, {0x05C4, 0x05C4, 1},
		{0x0640, 0x0640, 1}, {0x064B, 0x0652, 1}, {0x0660, 0x0669, 1}, {0x0670, 0x0670, 1},
		{0x06D6, 0x06E4, 1}, {0x06E7, 0x06E8, 1}, {0x06EA, 0x06ED, 1}, {0x06F0, 0x06F9, 1},
		{0x0901, 0x0903, 1}, {0x093C, 0x093C, 1}, {0x093E, 0x094D, 1}, {0x0951, 0x0954, 1},
		{0x0962, 0x0963, 1}, {0x0966, 0x096F, 1}, {0x0981, 0x0983, 1}, {0x09BC, 0x09BC, 1},
		{0x09BE, 0x09C4, 1}, {0x09C7, 0x09C8, 1}, {0x09CB, 0x09CD, 1}, {0x09D7, 0x09D7, 1},
		{0x09E2, 0x09E3, 1}, {0x09E6, 0x09EF, 1}, {0x0A02, 0x0A02, 1}, {0x0A3C, 0x0A3C, 1},
		{0x0A3E, 0x0A42, 1}, {0x0A47, 0x0A48, 1}, {0x0A4B, 0x0A4D, 1}, {0x0A66, 0x0A71, 1},
		{0x0A81, 0x0A83, 1}, {0x0ABC, 0x0ABC, 1}, {0x0ABE, 0x0AC5, 1}, {0x0AC7, 0x0AC9, 1},
		{0x0ACB, 0x0ACD, 1}, {0x0AE6, 0x0AEF, 1}, {0x0B01, 0x0B03, 1}, {0x0B3C, 0x0B3C, 1},
		{0x0B3E, 0x0B43, 1}, {0x0B47, 0x0B48, 1}, {0x0B4B, 0x0B4D, 1}, {0x0B56, 0x0B57, 1},
		{0x0B66, 0x0B6F, 1}, {0x0B82, 0x0B83, 1}, {0x0BBE, 0x0BC2, 1}, {0x0BC6, 0x0BC8, 1},
		{0x0BCA, 0x0BCD, 1}, {0x0BD7, 0x0BD7, 1}, {0x0BE7, 0x0BEF, 1}, {0x0C01, 0x0C03, 1},
		{0x0C3E, 0x0C44, 1}, {0x0C46, 0x0C48, 1}, {0x0C4A, 0x0C4D, 1}, {0x0C55, 0x0C56, 1},
		{0x0C66, 0x0C6F, 1}, {0x0C82, 0x0C83, 1}, {0x0CBE, 0x0CC4, 1}, {0x0CC6, 0x0CC8, 1},
		{0x0CCA, 0x0CCD, 1}, {0x0CD5, 0x0CD6, 1}, {0x0CE6, 0x0CEF, 1}, {0x0D02, 0x0D03, 1},
		{0x0D3E, 0x0D43, 1}, {0x0D46, 0x0D48, 1}, {0x0D4A, 0x0D4D, 1}, {0x0D57, 0x0D57, 1},
		{0x0D66, 0x0D6F, 1}, {0x0E31, 0x0E31, 1}, {0x0E34, 0x0E3A, 1}, {0x0E46, 0x0E4E, 1},
		{0x0E50, 0x0E59, 1}, {0x0EB1, 0x0EB1, 1}, {0x0EB4, 0x0EB9, 1}, {0x0EBB, 0x0EBC, 1},
		{0x0EC6, 0x0EC6, 1}, {0x0EC8, 0x0ECD, 1}, {0x0ED0, 0x0ED9, 1}, {0x0F18, 0x0F19, 1},
		{0x0F20, 0x0F29, 1}, {0x0F35, 0x0F35, 1}, {0x0F37, 0x0F37, 1}, {0x0F39, 0x0F39, 1},
		{0x0F3E, 0x0F3F, 1}, {0x0F71, 0x0F84, 1}, {0x0F86, 0x0F8B, 1}, {0x0F90, 0x0F95, 1},
		{0x0F97, 0x0F97, 1}, {0x0F99, 0x0FAD, 1}, {0x0FB1, 0x0FB7, 1}, {0x0FB9, 0x0FB9, 1},
		{0x20D0, 0x20DC, 1}, {0x20E1, 0x20E1, 1}, {0x3005, 0x3005, 1}, {0x302A, 0x302F, 1},
		{0x3031, 0x3035, 1}, {0x3099, 0x309A, 1}, {0x309D, 0x309E, 1}, {0x30FC, 0x30FE, 1},
	},
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	switch {
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\r'
	case r < 0xD800:
		return true
	case r < 0xE000:
		return false
	}
	return r != 0xFFFE && r != 0xFFFF && r <= 0x10FFFF
}

// xmlTextEmpty reports whether text has no character that is written.
func xmlTextEmpty(text []byte) bool {
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if size == 1 && r == utf8.RuneError || xmlChar(r) {
			return false // invalid UTF-8 is written as U+FFFD
		}
		i += size
	}
	return true
}

// xmlEscapeText writes text as element content: & < > and \r escaped like
// xmlbuilder, characters XML does not allow dropped, invalid UTF-8 as
// U+FFFD.
func xmlEscapeText(w *bufio.Writer, text []byte) {
	xmlEscape(w, text, false)
}

// xmlEscapeAttr writes text as a double-quoted attribute value: & < " \t
// \n \r escaped like xmlbuilder, otherwise as xmlEscapeText.
func xmlEscapeAttr(w *bufio.Writer, text []byte) {
	xmlEscape(w, text, true)
}

func xmlEscape(w *bufio.Writer, text []byte, attr bool) {
	last := 0
	for i := 0; i < len(text); {
		c := text[i]
		var esc string
		size := 1
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>' && !attr:
				esc = "&gt;"
			case c == '\r':
				esc = "&#xD;"
			case c == '"' && attr:
				esc = "&quot;"
			case c == '\t' && attr:
				esc = "&#x9;"
			case c == '\n' && attr:
				esc = "&#xA;"
			case c < 0x20 && c != '\t' && c != '\n':
				esc = "" // dropped
			default:
				i++
				continue
			}
		} else {
			var r rune
			r, size = utf8.DecodeRune(text[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				esc = "\uFFFD"
			case !xmlChar(r):
				esc = "" // dropped
			default:
				i += size
				continue
			}
		}
		w.Write(text[last:i])
		w.WriteString(esc)
		i += size
		last = i
	}
	w.Write(text[last:])
}
