package imap

// parseFetch reads RFC 9051 9 fetch, with RFC 7162 modifiers:
//
//	fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
//	        fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
func parseFetch(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	set, err := p.seqSet()
	if err != nil {
		return err
	}
	args := &fetchArgs{Set: set}
	if err := p.sp(); err != nil {
		return err
	}
	if p.peek() == '(' {
		if args.Items, err = p.fetchAttList(); err != nil {
			return err
		}
	} else {
		if p.acceptKeyword("ALL") {
			args.Items = []fetchItem{{Kind: fetchFlags}, {Kind: fetchInternalDate}, {Kind: fetchRFC822Size}, {Kind: fetchEnvelope}}
		} else if p.acceptKeyword("FAST") {
			args.Items = []fetchItem{{Kind: fetchFlags}, {Kind: fetchInternalDate}, {Kind: fetchRFC822Size}}
		} else if p.acceptKeyword("FULL") {
			args.Items = []fetchItem{{Kind: fetchFlags}, {Kind: fetchInternalDate}, {Kind: fetchRFC822Size}, {Kind: fetchEnvelope}, {Kind: fetchBody}}
		} else {
			it, err := p.fetchAtt()
			if err != nil {
				return err
			}
			args.Items = []fetchItem{it}
		}
	}
	if p.accept(' ') {
		if err := p.fetchModifiers(cmd, args); err != nil {
			return err
		}
	}
	cmd.Args = args
	return nil
}

// fetchAttList reads "(" fetch-att *(SP fetch-att) ")".
func (p *parser) fetchAttList() ([]fetchItem, error) {
	if err := p.expect('(', "Expected fetch attributes"); err != nil {
		return nil, err
	}
	items := make([]fetchItem, 0, 8)
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return nil, err
			}
		}
		it, err := p.fetchAtt()
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, badf("Empty fetch attribute list")
	}
	return items, nil
}

func (p *parser) fetchModifiers(cmd *command, args *fetchArgs) error {
	if err := p.expect('(', "Expected fetch modifiers"); err != nil {
		return err
	}
	changed := false
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		switch kw := string(p.keyword()); kw {
		case "CHANGEDSINCE":
			if changed {
				return badf("CHANGEDSINCE given twice")
			}
			if err := p.sp(); err != nil {
				return err
			}
			n, err := p.number64()
			if err != nil {
				return err
			}
			if n == 0 {
				return badf("Invalid mod-sequence")
			}
			args.ChangedSince, changed = n, true
		case "VANISHED":
			args.Vanished = true
		case "PARTIAL":
			// RFC 9394 3.3: UID FETCH only.
			if !cmd.UID || args.Partial != nil {
				return badf("PARTIAL needs UID FETCH, once")
			}
			if err := p.sp(); err != nil {
				return err
			}
			r, err := p.partialRange()
			if err != nil {
				return err
			}
			args.Partial = &r
		default:
			return badf("Unknown fetch modifier " + kw)
		}
	}
	if !changed && !args.Vanished && args.Partial == nil {
		return badf("Empty fetch modifiers")
	}
	// RFC 7162 3.2.6: VANISHED only in UID FETCH with CHANGEDSINCE.
	if args.Vanished && (!cmd.UID || !changed) {
		return badf("VANISHED requires UID FETCH and CHANGEDSINCE")
	}
	return nil
}

func (p *parser) fetchAtt() (fetchItem, error) {
	name := p.word()
	var it fetchItem
	switch {
	case equalFoldASCII(string(name), "ENVELOPE"):
		it.Kind = fetchEnvelope
	case equalFoldASCII(string(name), "FLAGS"):
		it.Kind = fetchFlags
	case equalFoldASCII(string(name), "INTERNALDATE"):
		it.Kind = fetchInternalDate
	case equalFoldASCII(string(name), "RFC822.SIZE"):
		it.Kind = fetchRFC822Size
	case equalFoldASCII(string(name), "RFC822"):
		it.Kind = fetchRFC822
	case equalFoldASCII(string(name), "RFC822.HEADER"):
		it.Kind = fetchRFC822Header
	case equalFoldASCII(string(name), "RFC822.TEXT"):
		it.Kind = fetchRFC822Text
	case equalFoldASCII(string(name), "BODYSTRUCTURE"):
		it.Kind = fetchBodyStructure
	case equalFoldASCII(string(name), "UID"):
		it.Kind = fetchUID
	case equalFoldASCII(string(name), "MODSEQ"):
		it.Kind = fetchModSeq
	case equalFoldASCII(string(name), "BODY"), equalFoldASCII(string(name), "BODY.PEEK"):
		it.Peek = len(name) > 4
		if p.peek() != '[' {
			if it.Peek {
				return it, badf("BODY.PEEK needs a section")
			}
			it.Kind = fetchBody
			return it, nil
		}
		it.Kind = fetchBodySection
		sec, err := p.section(false)
		if err != nil {
			return it, err
		}
		it.Section = sec
		it.Partial, err = p.partial()
		return it, err
	case equalFoldASCII(string(name), "BINARY"), equalFoldASCII(string(name), "BINARY.PEEK"), equalFoldASCII(string(name), "BINARY.SIZE"):
		// RFC 3516 4.
		if len(name) > 6 && toUpperASCII(name[7]) == 'S' {
			it.Kind = fetchBinarySize
		} else {
			it.Kind = fetchBinarySection
			it.Peek = len(name) > 6
		}
		if p.peek() != '[' {
			return it, badf("BINARY needs a section")
		}
		sec, err := p.section(true)
		if err != nil {
			return it, err
		}
		it.Section = sec
		if it.Kind == fetchBinarySection {
			it.Partial, err = p.partial()
		}
		return it, err
	default:
		if len(name) == 0 {
			return it, badf("Expected a fetch attribute")
		}
		return it, badf("Unknown fetch attribute " + string(name))
	}
	return it, nil
}

// maxSectionParts bounds the depth of a section part number: deeper than
// any message the structure parser keeps.
const maxSectionParts = 64

// section reads "[" section-spec "]" (binary: "[" [section-part] "]").
func (p *parser) section(binary bool) (section, error) {
	var s section
	p.pos++ // '['
	if p.accept(']') {
		return s, nil
	}
	if c := p.peek(); c >= '1' && c <= '9' {
		for {
			n, err := p.nzNumber()
			if err != nil {
				return s, err
			}
			if len(s.Part) == maxSectionParts {
				return s, badf("Section part number too deep")
			}
			s.Part = append(s.Part, int(n))
			if !p.accept('.') {
				break
			}
			if c := p.peek(); c < '0' || c > '9' {
				break // section-text follows
			}
		}
		if p.line[p.pos-1] != '.' {
			// No section-text follows the part number.
			return s, p.expect(']', "Invalid section")
		}
	}
	if binary {
		return s, badf("Invalid binary section")
	}
	kw := p.word()
	switch {
	case equalFoldASCII(string(kw), sectionHeader):
		s.Specifier = sectionHeader
	case equalFoldASCII(string(kw), sectionText):
		s.Specifier = sectionText
	case equalFoldASCII(string(kw), sectionMIME) && len(s.Part) > 0:
		s.Specifier = sectionMIME
	case equalFoldASCII(string(kw), sectionHeaderFields), equalFoldASCII(string(kw), sectionHeaderFieldsNot):
		s.Specifier = sectionHeaderFields
		if len(kw) > len(sectionHeaderFields) {
			s.Specifier = sectionHeaderFieldsNot
		}
		if err := p.sp(); err != nil {
			return s, err
		}
		if err := p.expect('(', "Expected header field list"); err != nil {
			return s, err
		}
		for first := true; !p.accept(')'); first = false {
			if !first {
				if err := p.sp(); err != nil {
					return s, err
				}
			}
			f, err := p.astring()
			if err != nil {
				return s, err
			}
			if !validFieldName(f) {
				return s, badf("Invalid header field name")
			}
			s.Fields = append(s.Fields, string(f))
		}
		if len(s.Fields) == 0 {
			return s, badf("Empty header field list")
		}
	default:
		return s, badf("Invalid section")
	}
	return s, p.expect(']', "Expected ]")
}

// validFieldName checks an RFC 5322 field name: printable ASCII but ':'.
func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// partial reads an optional "<" number "." nz-number ">".
func (p *parser) partial() (partial, error) {
	var pt partial
	if !p.accept('<') {
		return pt, nil
	}
	off, err := p.number64()
	if err != nil {
		return pt, err
	}
	if err := p.expect('.', "Expected . in partial"); err != nil {
		return pt, err
	}
	n, err := p.number64()
	if err != nil {
		return pt, err
	}
	if n == 0 {
		return pt, badf("Partial length must not be zero")
	}
	pt.Offset, pt.Count = int64(off), int64(n)
	return pt, p.expect('>', "Expected > after partial")
}
