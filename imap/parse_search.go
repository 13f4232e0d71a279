package imap

import (
	"errors"
	"strings"
)

// searchReturnOpts reads "RETURN" SP "(" [opt *(SP opt)] ")" after the
// RETURN keyword (RFC 4731 3, RFC 5182 2, RFC 5267 4 with RFC 5465 7,
// RFC 9394 4):
//
//	search-return-opt =/ "CONTEXT" / modifier-partial / modifier-update
//	modifier-partial  = "PARTIAL" SP partial-range
//	modifier-update   = "UPDATE" [ "(" fetch-att *(SP fetch-att) ")" ]
func (p *parser) searchReturnOpts() (returnOptions, error) {
	var o returnOptions
	if err := p.sp(); err != nil {
		return o, err
	}
	if err := p.expect('(', "Expected return options"); err != nil {
		return o, err
	}
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return o, err
			}
		}
		var bit searchReturn
		switch kw := string(p.keyword()); kw {
		case "MIN":
			bit = searchReturnMin
		case "MAX":
			bit = searchReturnMax
		case "ALL":
			bit = searchReturnAll
		case "COUNT":
			bit = searchReturnCount
		case "SAVE":
			bit = searchReturnSave
		case "CONTEXT":
			bit = searchReturnContext
		case "PARTIAL":
			bit = searchReturnPartial
			if err := p.sp(); err != nil {
				return o, err
			}
			r, err := p.partialRange()
			if err != nil {
				return o, err
			}
			o.Partial = r
		case "UPDATE":
			bit = searchReturnUpdate
			if p.peek() == ' ' && p.pos+1 < len(p.line) && p.line[p.pos+1] == '(' {
				p.pos++
				items, err := p.fetchAttList()
				if err != nil {
					return o, err
				}
				o.UpdateItems = items
			}
		default:
			return o, badf("Unknown search return option " + kw)
		}
		// RFC 9394 3.1: one PARTIAL, one ALL, or neither.
		if bit&(searchReturnAll|searchReturnPartial) != 0 && o.Return&(searchReturnAll|searchReturnPartial) != 0 {
			return o, badf("At most one of ALL and PARTIAL")
		}
		o.Return |= bit
	}
	if o.Return&^searchReturnContext == 0 {
		// RFC 4731 3.1: RETURN () is the same as RETURN (ALL); CONTEXT
		// is only a hint (RFC 5267 4.2).
		o.Return |= searchReturnAll
	}
	return o, nil
}

func parseSearch(p *parser, cmd *command) (rerr error) {
	if err := p.sp(); err != nil {
		return err
	}
	args := &searchArgs{}
	if p.acceptKeyword("RETURN") {
		o, err := p.searchReturnOpts()
		if err != nil {
			return err
		}
		args.ESearch, args.Return, args.Partial, args.UpdateItems = true, o.Return, o.Partial, o.UpdateItems
		if o.Return&searchReturnSave != 0 {
			defer func() {
				var pe *commandError
				if errors.As(rerr, &pe) {
					pe.SearchSave = true
				}
			}()
		}
		if err := p.sp(); err != nil {
			return err
		}
	}
	if p.acceptKeyword("CHARSET") {
		if err := p.sp(); err != nil {
			return err
		}
		cs, err := p.charset()
		if err != nil {
			return err
		}
		args.Charset = cs
		if err := p.sp(); err != nil {
			return err
		}
	}
	key, err := p.searchProgram(args.Charset)
	if err != nil {
		return err
	}
	args.Key = key
	cmd.Args = args
	return nil
}

// charset reads a charset name (astring) and checks that it is known.
func (p *parser) charset() (string, error) {
	b, err := p.astring()
	if err != nil {
		return "", err
	}
	cs := strings.ToUpper(string(b))
	if !knownCharset(cs) {
		return "", &commandError{Status: "NO", Code: "BADCHARSET (US-ASCII UTF-8)", Message: "Unsupported charset"}
	}
	return cs, nil
}

var sortKeys = [...]string{"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"}

// parseSort reads RFC 5256 5 (with RFC 5267 return options):
//
//	sort = ["UID" SP] "SORT" [search-return-opts] SP sort-criteria SP search-criteria
func parseSort(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	args := &sortArgs{}
	if p.acceptKeyword("RETURN") {
		o, err := p.searchReturnOpts()
		if err != nil {
			return err
		}
		args.ESearch, args.Return, args.Partial, args.UpdateItems = true, o.Return, o.Partial, o.UpdateItems
		if err := p.sp(); err != nil {
			return err
		}
	}
	if err := p.expect('(', "Expected sort criteria"); err != nil {
		return err
	}
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		var c sortCriterion
		if p.acceptKeyword("REVERSE") {
			c.Reverse = true
			if err := p.sp(); err != nil {
				return err
			}
		}
		kw := p.keyword()
		for _, k := range sortKeys {
			if string(kw) == k {
				c.Key = k
			}
		}
		if c.Key == "" {
			return badf("Unknown sort criterion " + string(kw))
		}
		args.Criteria = append(args.Criteria, c)
	}
	if len(args.Criteria) == 0 {
		return badf("Empty sort criteria")
	}
	if err := p.sp(); err != nil {
		return err
	}
	cs, err := p.charset()
	if err != nil {
		return err
	}
	args.Charset = cs
	if err := p.sp(); err != nil {
		return err
	}
	if args.Key, err = p.searchProgram(cs); err != nil {
		return err
	}
	cmd.Args = args
	return nil
}

// parseThread reads RFC 5256 5:
//
//	thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria
func parseThread(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	alg := p.keyword()
	if len(alg) == 0 {
		return badf("Expected a threading algorithm")
	}
	args := &threadArgs{Algorithm: string(alg)}
	if err := p.sp(); err != nil {
		return err
	}
	cs, err := p.charset()
	if err != nil {
		return err
	}
	args.Charset = cs
	if err := p.sp(); err != nil {
		return err
	}
	if args.Key, err = p.searchProgram(cs); err != nil {
		return err
	}
	cmd.Args = args
	return nil
}

// parseCancelUpdate reads RFC 5267 5:
//
//	cancelupdate = "CANCELUPDATE" 1*(SP quoted)
func parseCancelUpdate(p *parser, cmd *command) error {
	args := &cancelUpdateArgs{}
	for len(args.Tags) == 0 || p.peek() == ' ' {
		if err := p.sp(); err != nil {
			return err
		}
		if p.peek() != '"' {
			return badf("Expected a quoted tag")
		}
		b, err := p.quoted()
		if err != nil {
			return err
		}
		if len(args.Tags) >= maxSearchContexts {
			return badf("Too many tags")
		}
		args.Tags = append(args.Tags, string(b))
	}
	cmd.Args = args
	return nil
}
