package imap

import (
	"errors"
	"strings"
)

// searchReturnOpts reads "RETURN" SP "(" [opt *(SP opt)] ")" after the
// RETURN keyword (RFC 4731 3, RFC 5182 2).
func (p *parser) searchReturnOpts() (searchReturn, error) {
	if err := p.sp(); err != nil {
		return 0, err
	}
	if err := p.expect('(', "Expected return options"); err != nil {
		return 0, err
	}
	var r searchReturn
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return 0, err
			}
		}
		switch kw := string(p.keyword()); kw {
		case "MIN":
			r |= searchReturnMin
		case "MAX":
			r |= searchReturnMax
		case "ALL":
			r |= searchReturnAll
		case "COUNT":
			r |= searchReturnCount
		case "SAVE":
			r |= searchReturnSave
		default:
			return 0, badf("Unknown search return option " + kw)
		}
	}
	if r == 0 {
		// RFC 4731 3.1: RETURN () is the same as RETURN (ALL).
		r = searchReturnAll
	}
	return r, nil
}

func parseSearch(p *parser, cmd *command) (rerr error) {
	if err := p.sp(); err != nil {
		return err
	}
	args := &searchArgs{}
	if p.acceptKeyword("RETURN") {
		r, err := p.searchReturnOpts()
		if err != nil {
			return err
		}
		args.ESearch, args.Return = true, r
		if r&searchReturnSave != 0 {
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
		r, err := p.searchReturnOpts()
		if err != nil {
			return err
		}
		args.ESearch, args.Return = true, r
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
