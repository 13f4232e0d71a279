package imap

import "time"

type dateValue struct {
	year  int
	month int // 1..12
	day   int
}

// parseDateText parses date-day "-" date-month "-" date-year, day 1*2DIGIT.
func parseDateText(b []byte) (dateValue, []byte, bool) {
	var d dateValue
	i := 0
	for i < len(b) && i < 2 && b[i] >= '0' && b[i] <= '9' {
		d.day = d.day*10 + int(b[i]-'0')
		i++
	}
	if i == 0 || i >= len(b) || b[i] != '-' || i+4 > len(b) {
		return d, b, false
	}
	i++
	m := monthIndex(b[i : i+3])
	if m == 0 || i+3 >= len(b) || b[i+3] != '-' {
		return d, b, false
	}
	d.month = m
	i += 4
	if i+4 > len(b) {
		return d, b, false
	}
	for j := 0; j < 4; j++ {
		c := b[i+j]
		if c < '0' || c > '9' {
			return d, b, false
		}
		d.year = d.year*10 + int(c-'0')
	}
	i += 4
	if d.day < 1 || d.day > daysIn(d.month, d.year) {
		return d, b, false
	}
	return d, b[i:], true
}

func monthIndex(b []byte) int {
	if len(b) != 3 {
		return 0
	}
	for i, m := range monthNames {
		if toUpperASCII(b[0]) == m[0] && b[1]|0x20 == m[1] && b[2]|0x20 == m[2] {
			return i + 1
		}
	}
	return 0
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDateTime parses the content of an RFC 3501 date-time.
func parseDateTime(b []byte) (time.Time, bool) {
	if len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	d, rest, ok := parseDateText(b)
	if !ok || len(rest) != 15 || rest[0] != ' ' || rest[3] != ':' || rest[6] != ':' || rest[9] != ' ' {
		return time.Time{}, false
	}
	var v [3]int
	for k, off := range [3]int{1, 4, 7} {
		n, ok := twoDigits(rest[off:])
		if !ok {
			return time.Time{}, false
		}
		v[k] = n
	}
	if v[0] > 23 || v[1] > 59 || v[2] > 60 {
		return time.Time{}, false
	}
	sign := rest[10]
	hh, ok1 := twoDigits(rest[11:])
	mm, ok2 := twoDigits(rest[13:])
	if (sign != '+' && sign != '-') || !ok1 || !ok2 || mm > 59 {
		return time.Time{}, false
	}
	off := (hh*60 + mm) * 60
	if sign == '-' {
		off = -off
	}
	return time.Date(d.year, time.Month(d.month), d.day, v[0], v[1], v[2], 0, time.FixedZone("", off)), true
}

func twoDigits(b []byte) (int, bool) {
	if len(b) < 2 || b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}
