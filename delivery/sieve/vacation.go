package sieve

import (
	"math"
	"time"
)

// vacation (RFC 5230) and vacation-seconds (RFC 6131): the command.
// Whether to reply, and the reply, are Responder's.

func init() {
	commandSpecs["vacation"] = &commandSpec{
		ext: "vacation",
		sig: signature{tags: []tagSpec{
			{name: "days", group: "period", param: ArgNumber},
			{name: "seconds", ext: "vacation-seconds", group: "period", param: ArgNumber},
			{name: "subject", param: ArgString},
			{name: "from", param: ArgString},
			{name: "addresses", param: ArgStringList},
			{name: "mime"},
			{name: "handle", param: ArgString},
		}, args: []ArgKind{ArgString}},
		compile: compileVacation,
	}
}

type cmdVacation struct {
	period    time.Duration
	hasPeriod bool
	subject   *str
	from      *str
	addresses []str
	mime      bool
	handle    str
	reason    str
}

func compileVacation(c *compiler, n *Node, b *bound) (command, error) {
	cmd := &cmdVacation{mime: b.has("mime")}
	var err error
	if cmd.reason, err = c.str(b.args[0]); err != nil {
		return nil, err
	}
	if a, ok := b.tag("days"); ok {
		cmd.period, cmd.hasPeriod = saturatingSeconds(a.Num, 24*60*60), true
	}
	if a, ok := b.tag("seconds"); ok {
		cmd.period, cmd.hasPeriod = saturatingSeconds(a.Num, 1), true
	}
	if s, ok, err := c.optStr(b, "subject"); err != nil {
		return nil, err
	} else if ok {
		cmd.subject = &s
	}
	if s, ok, err := c.optStr(b, "from"); err != nil {
		return nil, err
	} else if ok {
		if s.constant() {
			if _, ok := parseRedirectAddress(s.lit); !ok {
				return nil, errorf(b.tagArg("from").Pos, "invalid :from address %q", s.lit)
			}
		}
		cmd.from = &s
	}
	if a, ok := b.tag("addresses"); ok {
		if cmd.addresses, err = c.strs(a); err != nil {
			return nil, err
		}
	}
	// RFC 5230 4.2: without :handle, the handle comes from the
	// arguments, so that a changed message is sent again. As Pigeonhole,
	// it is made of the source text of reason, subject and from, with
	// their variable references left as written.
	raw := b.args[0].Strs[0]
	if a, ok := b.tag("subject"); ok {
		raw += a.Strs[0]
	} else {
		raw += "<default-subject>"
	}
	if a, ok := b.tag("from"); ok {
		raw += a.Strs[0]
	} else {
		raw += "<default-from>"
	}
	if cmd.mime {
		raw += "<MIME>"
	} else {
		raw += "<NO-MIME>"
	}
	if a, ok := b.tag("handle"); ok {
		cmd.handle, err = c.str(a)
		return cmd, err
	}
	raw, err = c.literal(raw, n.Pos)
	cmd.handle = str{lit: raw}
	return cmd, err
}

func saturatingSeconds(n, unit uint64) time.Duration {
	if n > uint64(math.MaxInt64/int64(time.Second))/unit {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(n*unit) * time.Second
}

func (c *cmdVacation) exec(r *run) error {
	v := &Vacation{
		Reason: r.expand(c.reason),
		Period: r.opts.Vacation.clamp(c.period, c.hasPeriod),
		MIME:   c.mime,
		Handle: r.expand(c.handle),
	}
	if c.subject != nil {
		v.Subject = r.expand(*c.subject)
	}
	if c.from != nil {
		from := r.expand(*c.from)
		if _, ok := parseRedirectAddress(from); !ok {
			return r.errorf("vacation: invalid :from address %q", from)
		}
		v.From = from
	}
	// RFC 5230 4.5: invalid :addresses are ignored (as Pigeonhole).
	for _, a := range r.expandAll(c.addresses) {
		if addr, ok := parseRedirectAddress(a); ok {
			v.Addresses = append(v.Addresses, addr)
		}
	}
	return r.addAction(v)
}
