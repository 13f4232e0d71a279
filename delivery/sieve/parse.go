package sieve

import (
	"fmt"
	"strconv"
)

// Pos is a position in a script: line and column, both counted from 1;
// the column counts bytes.
type Pos struct {
	Line, Column int
}

// String returns "line:column".
func (p Pos) String() string { return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column) }

// Error is a syntax or validation error in a script, at a position.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns the position and the message.
func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
}

// Structural limits of a script, as Pigeonhole's (sieve-limits.h).
const (
	maxArguments    = 32 // per command or test
	maxBlockNesting = 32
	maxTestNesting  = 32
)

// Node is a command or a test in a parsed script (RFC 5228 2.9, 8.2).
type Node struct {
	Name string
	Pos  Pos
	Args []Arg
	// Tests are the tests of a command or test: one test, or a test list
	// in parentheses (TestList is then true).
	Tests    []*Node
	TestList bool
	// Block is the command block of a command; HasBlock tells an empty
	// block from none.
	Block    []*Node
	HasBlock bool
}

// ArgKind is the kind of an argument.
type ArgKind int

// Argument kinds (RFC 5228 2.6).
const (
	ArgTag ArgKind = iota
	ArgNumber
	ArgString     // a single string
	ArgStringList // a bracketed list of strings
)

// Arg is one argument of a command or test.
type Arg struct {
	Kind ArgKind
	Pos  Pos
	Tag  string   // ArgTag: the name without ':'
	Num  uint64   // ArgNumber
	Strs []string // ArgString (one element) and ArgStringList
	// StrPos are the positions of the strings in Strs.
	StrPos []Pos
}

func (a Arg) describe() string {
	switch a.Kind {
	case ArgTag:
		return "tag :" + a.Tag
	case ArgNumber:
		return "a number"
	case ArgString:
		return "a string"
	}
	return "a string list"
}

// Parse parses a script into its commands without checking what they
// mean (see Compile). Errors are *Error with the position of the
// offending token.
func Parse(src []byte) ([]*Node, error) {
	p := &parser{lex: newLexer(src)}
	if err := p.advance(); err != nil {
		return nil, err
	}
	cmds, err := p.commands(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected("a command")
	}
	return cmds, nil
}

type parser struct {
	lex *lexer
	tok token
}

func (p *parser) advance() (err error) {
	p.tok, err = p.lex.next()
	return err
}

func (p *parser) unexpected(want string) error {
	what := p.tok.kind.String()
	switch p.tok.kind {
	case tokIdentifier:
		what = "identifier " + p.tok.text
	case tokTag:
		what = "tag :" + p.tok.text
	}
	return &Error{Pos: p.tok.pos, Msg: fmt.Sprintf("expected %s, found %s", want, what)}
}

// commands parses commands up to a '}' or the end (RFC 5228 8.2).
func (p *parser) commands(depth int) ([]*Node, error) {
	var cmds []*Node
	for p.tok.kind == tokIdentifier {
		cmd, err := p.command(depth)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

func (p *parser) command(depth int) (*Node, error) {
	n := &Node{Name: p.tok.text, Pos: p.tok.pos}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.arguments(n, 0); err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokSemicolon:
		return n, p.advance()
	case tokLBrace:
		if depth+1 > maxBlockNesting {
			return nil, &Error{Pos: p.tok.pos, Msg: fmt.Sprintf("blocks nested deeper than %d levels", maxBlockNesting)}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		block, err := p.commands(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRBrace {
			return nil, p.unexpected("a command or '}'")
		}
		n.Block, n.HasBlock = block, true
		return n, p.advance()
	}
	return nil, p.unexpected("';' or '{'")
}

// arguments parses the arguments and tests of a command or test.
func (p *parser) arguments(n *Node, depth int) error {
	for {
		a := Arg{Pos: p.tok.pos}
		switch p.tok.kind {
		case tokTag:
			a.Kind, a.Tag = ArgTag, p.tok.text
		case tokNumber:
			a.Kind, a.Num = ArgNumber, p.tok.num
		case tokString:
			a.Kind, a.Strs, a.StrPos = ArgString, []string{p.tok.text}, []Pos{p.tok.pos}
		case tokLBracket:
			if err := p.stringList(&a); err != nil {
				return err
			}
		default:
			return p.tests(n, depth)
		}
		if len(n.Args) == maxArguments {
			return &Error{Pos: a.Pos, Msg: fmt.Sprintf("more than %d arguments for %s", maxArguments, n.Name)}
		}
		n.Args = append(n.Args, a)
		if a.Kind != ArgStringList {
			if err := p.advance(); err != nil {
				return err
			}
		}
	}
}

// stringList parses "[" string *("," string) "]", leaving the token
// after the ']'.
func (p *parser) stringList(a *Arg) error {
	a.Kind = ArgStringList
	for {
		if err := p.advance(); err != nil {
			return err
		}
		if p.tok.kind != tokString {
			return p.unexpected("a string")
		}
		a.Strs = append(a.Strs, p.tok.text)
		a.StrPos = append(a.StrPos, p.tok.pos)
		if err := p.advance(); err != nil {
			return err
		}
		switch p.tok.kind {
		case tokComma:
			continue
		case tokRBracket:
			return p.advance()
		}
		return p.unexpected("',' or ']'")
	}
}

// tests parses the optional test or test list after the arguments.
func (p *parser) tests(n *Node, depth int) error {
	switch p.tok.kind {
	case tokIdentifier:
		t, err := p.test(depth + 1)
		if err != nil {
			return err
		}
		n.Tests = []*Node{t}
	case tokLParen:
		n.TestList = true
		for {
			if err := p.advance(); err != nil {
				return err
			}
			if p.tok.kind != tokIdentifier {
				return p.unexpected("a test")
			}
			t, err := p.test(depth + 1)
			if err != nil {
				return err
			}
			n.Tests = append(n.Tests, t)
			switch p.tok.kind {
			case tokComma:
				continue
			case tokRParen:
				return p.advance()
			}
			return p.unexpected("',' or ')'")
		}
	}
	return nil
}

func (p *parser) test(depth int) (*Node, error) {
	if depth > maxTestNesting {
		return nil, &Error{Pos: p.tok.pos, Msg: fmt.Sprintf("tests nested deeper than %d levels", maxTestNesting)}
	}
	n := &Node{Name: p.tok.text, Pos: p.tok.pos}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return n, p.arguments(n, depth)
}
