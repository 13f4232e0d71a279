package sieve

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// date and currentdate (RFC 5260 4, 5).

// parseZone parses a :zone value, "+hhmm" or "-hhmm" (RFC 5260 4.1),
// into minutes east of UTC.
func parseZone(z string) (int, bool) {
	if len(z) != 5 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	for i := 1; i < 5; i++ {
		if !isDigit(int(z[i])) {
			return 0, false
		}
	}
	off := (int(z[1]-'0')*10+int(z[2]-'0'))*60 + int(z[3]-'0')*10 + int(z[4]-'0')
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// dateZone is the zone a date test converts to: the local zone, the
// original one, or a fixed offset.
type dateZone struct {
	original bool
	zone     *str // nil: local
}

func (c *compiler) dateZone(b *bound) (dateZone, error) {
	if b.has("originalzone") {
		return dateZone{original: true}, nil
	}
	a, ok := b.tag("zone")
	if !ok {
		return dateZone{}, nil
	}
	z, err := c.str(a)
	if err != nil {
		return dateZone{}, err
	}
	// An invalid zone is taken as the local one, as Pigeonhole does
	// (it warns about a constant one).
	return dateZone{zone: &z}, nil
}

// datePart compiles a date-part argument. An unknown part makes the
// test false (RFC 5260 4.2 lists the parts; Pigeonhole only warns).
func (c *compiler) datePart(a Arg) (str, error) {
	return c.str(a)
}

func init() {
	zoneTags := []tagSpec{
		{name: "zone", group: "zone", param: ArgString},
		{name: "originalzone", group: "zone"},
	}
	testSpecs["date"] = &testSpec{
		ext: "date",
		sig: signature{tags: slices.Concat(zoneTags, matchTags, indexTags), args: []ArgKind{ArgString, ArgString, ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testDate{}
			var err error
			if t.zone, err = c.dateZone(b); err != nil {
				return nil, err
			}
			if t.header, err = c.str(b.args[0]); err != nil {
				return nil, err
			}
			if t.part, err = c.datePart(b.args[1]); err != nil {
				return nil, err
			}
			if t.index, err = c.fieldIndex(b); err != nil {
				return nil, err
			}
			t.m, err = c.compileMatcher(b, b.args[2])
			return t, err
		}}
	testSpecs["currentdate"] = &testSpec{
		ext: "date",
		sig: signature{tags: slices.Concat(zoneTags[:1], matchTags), args: []ArgKind{ArgString, ArgStringList}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testDate{current: true}
			var err error
			if t.zone, err = c.dateZone(b); err != nil {
				return nil, err
			}
			if t.part, err = c.datePart(b.args[0]); err != nil {
				return nil, err
			}
			t.m, err = c.compileMatcher(b, b.args[1])
			return t, err
		}}
}

type testDate struct {
	current bool
	header  str
	part    str
	zone    dateZone
	index   fieldIndex
	m       *matcher
}

func (t *testDate) eval(r *run) (bool, error) {
	var when time.Time
	if t.current {
		when = r.now.In(r.loc)
	} else {
		// As Pigeonhole: the first field (or the one :index picks);
		// in a field like Received, the date after the last ';'.
		values := t.index.pick(r.headerValues(r.expand(t.header)))
		if len(values) == 0 {
			return t.m.match(r, nil)
		}
		v := values[0]
		if i := strings.LastIndexByte(v, ';'); i >= 0 {
			v = v[i+1:]
		}
		d, ok := parseDate(v)
		if !ok {
			return t.m.match(r, nil)
		}
		when = d
	}
	switch {
	case t.zone.original:
	case t.zone.zone != nil:
		if off, ok := parseZone(r.expand(*t.zone.zone)); ok {
			when = when.In(time.FixedZone("", off*60))
		} else {
			when = when.In(r.loc)
		}
	default:
		when = when.In(r.loc)
	}
	part, ok := datePart(when, strings.ToLower(r.expand(t.part)))
	if !ok {
		return t.m.match(r, nil)
	}
	return t.m.match(r, []string{part})
}

var (
	weekdayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	monthNames   = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// datePart formats one date part (RFC 5260 4.2).
func datePart(t time.Time, part string) (string, bool) {
	_, off := t.Zone()
	sign, mins := '+', off/60
	if mins < 0 {
		sign, mins = '-', -mins
	}
	zone := fmt.Sprintf("%c%02d%02d", sign, mins/60, mins%60)
	switch part {
	case "year":
		return fmt.Sprintf("%04d", t.Year()), true
	case "month":
		return fmt.Sprintf("%02d", int(t.Month())), true
	case "day":
		return fmt.Sprintf("%02d", t.Day()), true
	case "date":
		return t.Format("2006-01-02"), true
	case "julian":
		// The Modified Julian Day: days since 1858-11-17.
		days := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
		return strconv.FormatInt(days+40587, 10), true
	case "hour":
		return fmt.Sprintf("%02d", t.Hour()), true
	case "minute":
		return fmt.Sprintf("%02d", t.Minute()), true
	case "second":
		return fmt.Sprintf("%02d", t.Second()), true
	case "time":
		return t.Format("15:04:05"), true
	case "iso8601":
		// RFC 5260 4.2: RFC 3339 with "Z" for a zero offset.
		return t.Format("2006-01-02T15:04:05Z07:00"), true
	case "std11":
		return fmt.Sprintf("%s, %02d %s %04d %02d:%02d:%02d %s", weekdayNames[t.Weekday()], t.Day(),
			monthNames[t.Month()-1], t.Year(), t.Hour(), t.Minute(), t.Second(), zone), true
	case "zone":
		return zone, true
	case "weekday":
		return strconv.Itoa(int(t.Weekday())), true
	}
	return "", false
}

// zoneNames are the zones of RFC 5322 4.3 (obs-zone); military zones
// count as +0000, as RFC 5322 advises.
var zoneNames = map[string]int{
	"UT": 0, "GMT": 0, "EST": -5 * 60, "EDT": -4 * 60, "CST": -6 * 60, "CDT": -5 * 60,
	"MST": -7 * 60, "MDT": -6 * 60, "PST": -8 * 60, "PDT": -7 * 60,
}

// parseDate parses an RFC 5322 date-time leniently:
// [day-of-week ","] day month year hour ":" minute [":" second] zone,
// with comments and obsolete forms (two-digit years, zone names).
func parseDate(s string) (time.Time, bool) {
	s = stripComments(s)
	fields := strings.Fields(strings.ReplaceAll(s, ",", " , "))
	if len(fields) > 0 && len(fields[0]) >= 3 && isAlpha(int(fields[0][0])) {
		fields = fields[1:]
		if len(fields) > 0 && fields[0] == "," {
			fields = fields[1:]
		}
	}
	if len(fields) < 4 {
		return time.Time{}, false
	}
	day, err := strconv.Atoi(fields[0])
	if err != nil || day < 1 || day > 31 {
		return time.Time{}, false
	}
	month := -1
	for i, m := range monthNames {
		if strings.EqualFold(fields[1], m) {
			month = i + 1
		}
	}
	year, err := strconv.Atoi(fields[2])
	if month < 0 || err != nil || year < 0 {
		return time.Time{}, false
	}
	switch {
	case len(fields[2]) <= 2 && year < 50:
		year += 2000
	case len(fields[2]) <= 3:
		year += 1900
	}
	hms := strings.Split(fields[3], ":")
	if len(hms) < 2 || len(hms) > 3 {
		return time.Time{}, false
	}
	var tv [3]int
	for i, p := range hms {
		if len(p) == 0 || len(p) > 2 {
			return time.Time{}, false
		}
		if tv[i], err = strconv.Atoi(p); err != nil {
			return time.Time{}, false
		}
	}
	if tv[0] > 23 || tv[1] > 59 || tv[2] > 60 {
		return time.Time{}, false
	}
	off := 0
	if len(fields) > 4 {
		z := fields[4]
		if o, ok := parseZone(z); ok {
			off = o
		} else if o, ok := zoneNames[strings.ToUpper(z)]; ok {
			off = o
		}
	}
	t := time.Date(year, time.Month(month), day, tv[0], tv[1], tv[2], 0, time.FixedZone("", off*60))
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}
