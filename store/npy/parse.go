package npy

import (
	"fmt"
	"strconv"
	"strings"
)

// parseDict reads the header dict: exactly the keys 'descr' (a string),
// 'fortran_order' (True or False) and 'shape' (a tuple of integers), in
// any order, with Python's literal syntax (either quote, optional
// trailing commas, Python 2's 'L' suffix on integers).
func parseDict(text string) (Header, error) {
	p := &parser{s: strings.TrimRight(text, " \n\x00")}
	var h Header
	seen := map[string]bool{}
	p.expect('{')
	for p.err == nil {
		p.space()
		if p.peek() == '}' {
			p.pos++
			break
		}
		key := p.str()
		p.expect(':')
		switch key {
		case "descr":
			p.space()
			if p.peek() == '[' {
				p.fail("a structured dtype (a list of fields)")
				break
			}
			h.Descr = p.str()
		case "fortran_order":
			h.FortranOrder = p.boolean()
		case "shape":
			h.Shape = p.tuple()
		default:
			if p.err == nil {
				p.fail(fmt.Sprintf("unexpected key %q", clip(key)))
			}
		}
		if p.err == nil && seen[key] {
			p.fail(fmt.Sprintf("key %q appears twice", key))
		}
		seen[key] = true
		p.space()
		if p.peek() == ',' {
			p.pos++
		} else if p.peek() != '}' {
			p.fail("',' or '}'")
		}
	}
	if p.err != nil {
		return Header{}, p.err
	}
	if p.space(); p.pos != len(p.s) {
		return Header{}, fmt.Errorf("%w: header has %q after the dict", ErrFormat, clip(p.s[p.pos:]))
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return Header{}, fmt.Errorf("%w: header %q has no %q key", ErrFormat, clip(text), k)
		}
	}
	if len(h.Shape) > maxDims {
		return Header{}, fmt.Errorf("%w: shape of %d dimensions (numpy allows %d)", ErrFormat, len(h.Shape), maxDims)
	}
	n := int64(1)
	for _, d := range h.Shape {
		if d > 0 && n > maxElems/int64(d) {
			return Header{}, fmt.Errorf("%w: shape %v is too large", ErrFormat, h.Shape)
		}
		n *= int64(d)
	}
	return h, nil
}

// maxDims is numpy's limit on an array's dimensions (NPY_MAXDIMS).
const maxDims = 64

// maxElems bounds the elements of a shape, so that byte counts never
// overflow.
const maxElems = 1 << 56

type parser struct {
	s   string
	pos int
	err error
}

func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *parser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

// fail records the first error: what was wanted at the current position.
func (p *parser) fail(want string) {
	if p.err != nil {
		return
	}
	p.err = fmt.Errorf("%w: header %q: want %s at byte %d (found %q)", ErrFormat, clip(p.s), want, p.pos, clip(p.s[p.pos:]))
}

// clip shortens s for quoting in an error: a header can be a megabyte of
// anything.
func clip(s string) string {
	const n = 48
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (p *parser) expect(c byte) {
	if p.err != nil {
		return
	}
	p.space()
	if p.peek() != c {
		p.fail(fmt.Sprintf("%q", c))
		return
	}
	p.pos++
}

// str reads a quoted string without escapes (numpy's keys and descrs
// have none).
func (p *parser) str() string {
	if p.err != nil {
		return ""
	}
	p.space()
	q := p.peek()
	if q != '\'' && q != '"' {
		p.fail("a quoted string")
		return ""
	}
	end := strings.IndexByte(p.s[p.pos+1:], q)
	if end < 0 {
		p.fail("a closing quote")
		return ""
	}
	v := p.s[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return v
}

func (p *parser) boolean() bool {
	if p.err != nil {
		return false
	}
	p.space()
	for _, w := range []string{"True", "False"} {
		if strings.HasPrefix(p.s[p.pos:], w) {
			p.pos += len(w)
			return w == "True"
		}
	}
	p.fail("True or False")
	return false
}

// tuple reads "(d0, d1, ...)" of non-negative integers.
func (p *parser) tuple() []int {
	p.expect('(')
	dims := []int{}
	for p.err == nil {
		p.space()
		if p.peek() == ')' {
			p.pos++
			return dims
		}
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		d, err := strconv.Atoi(p.s[start:p.pos])
		if err != nil || d < 0 {
			p.pos = start
			p.fail("a non-negative integer dimension")
			return nil
		}
		if p.peek() == 'L' {
			p.pos++
		}
		dims = append(dims, d)
		p.space()
		if p.peek() == ',' {
			p.pos++
		} else if p.peek() != ')' {
			p.fail("',' or ')' in the shape")
		}
	}
	return nil
}
