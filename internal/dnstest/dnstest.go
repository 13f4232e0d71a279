// Package dnstest serves a fake DNS zone on a loopback port, over UDP and
// TCP, for the tests of the mail authentication packages (and for their
// examples and interop tests, so that independent implementations ask the
// very same server).
//
// The server is authoritative for every name: a name with no records and
// no records below it is NXDOMAIN; a name with records of other types, or
// with records below it (an empty non-terminal, RFC 8020), answers NOERROR
// with no records (NODATA). CNAMEs inside the zone are followed.
// Failures are injected by name: an RCODE (SERVFAIL, REFUSED) or silence
// (the query is dropped, so the client times out).
//
// The server can also play a DNSSEC-validating resolver, for DANE: the
// answers for names under a zone marked with Secure carry the AD bit
// (RFC 4035 3.2.3) when the query asked with AD or DO (RFC 6840 5.7).
// No signatures are made: the client trusts the resolver.
package dnstest

import (
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// maxCNAMEs bounds CNAME chasing inside the zone (a loop in test data
// must not hang the server).
const maxCNAMEs = 8

// Server is a running fake DNS server.
type Server struct {
	// Addr is the host:port that both the UDP and the TCP listener use.
	Addr string

	udp, tcp *dns.Server

	mu      sync.Mutex
	zone    map[string][]dns.RR // by lower-case owner name with the final dot
	rcodes  map[string]int      // injected answers by name
	drop    map[string]bool     // names whose queries are dropped
	queries map[string]int      // "name TYPE" -> count
	secure  []string            // zones whose answers are authenticated
}

// Start parses records (zone-file lines: "example.org. 300 IN TXT \"v=spf1 -all\"")
// and serves them on 127.0.0.1 on a free port until Close.
func Start(records ...string) (*Server, error) {
	s := &Server{
		zone:    make(map[string][]dns.RR),
		rcodes:  make(map[string]int),
		drop:    make(map[string]bool),
		queries: make(map[string]int),
	}
	if err := s.Add(records...); err != nil {
		return nil, err
	}
	// One port for both transports: take a TCP port, then the same UDP port.
	for range 10 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		pc, err := net.ListenPacket("udp", ln.Addr().String())
		if err != nil {
			ln.Close()
			continue // the UDP port is taken: try another
		}
		s.Addr = ln.Addr().String()
		s.udp = &dns.Server{PacketConn: pc, Handler: s}
		s.tcp = &dns.Server{Listener: ln, Handler: s}
		startedUDP, startedTCP := make(chan struct{}), make(chan struct{})
		s.udp.NotifyStartedFunc = func() { close(startedUDP) }
		s.tcp.NotifyStartedFunc = func() { close(startedTCP) }
		go s.udp.ActivateAndServe()
		go s.tcp.ActivateAndServe()
		<-startedUDP
		<-startedTCP
		return s, nil
	}
	return nil, fmt.Errorf("dnstest: no free port for UDP and TCP")
}

// TB is the part of testing.TB that NewServer uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// NewServer starts a server with records and closes it when the test ends.
func NewServer(t TB, records ...string) *Server {
	t.Helper()
	s, err := Start(records...)
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops both listeners.
func (s *Server) Close() {
	s.udp.Shutdown()
	s.tcp.Shutdown()
}

// Add adds records (zone-file lines) to the zone.
func (s *Server) Add(records ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range records {
		rr, err := dns.NewRR(line)
		if err != nil {
			return fmt.Errorf("dnstest: record %q: %w", line, err)
		}
		if rr == nil {
			continue // a comment or blank line
		}
		name := strings.ToLower(rr.Header().Name)
		s.zone[name] = append(s.zone[name], rr)
	}
	return nil
}

// Fail makes every query for name answer rcode (dns.RcodeServerFailure, …).
func (s *Server) Fail(name string, rcode int) {
	s.mu.Lock()
	s.rcodes[key(name)] = rcode
	s.mu.Unlock()
}

// Secure marks zone (and every name under it) as signed and validated:
// answers about its names, NXDOMAIN and NODATA included, carry the AD
// bit.
func (s *Server) Secure(zone string) {
	s.mu.Lock()
	s.secure = append(s.secure, key(zone))
	s.mu.Unlock()
}

// authenticated reports whether name is under a Secure zone. s.mu is held.
func (s *Server) authenticated(name string) bool {
	for _, z := range s.secure {
		if name == z || strings.HasSuffix(name, "."+z) || z == "." {
			return true
		}
	}
	return false
}

// Drop makes the server ignore queries for name, so that clients time out.
func (s *Server) Drop(name string) {
	s.mu.Lock()
	s.drop[key(name)] = true
	s.mu.Unlock()
}

// Queries returns how many queries for name of type qtype ("TXT", "A", …)
// the server received.
func (s *Server) Queries(name, qtype string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[key(name)+" "+strings.ToUpper(qtype)]
}

// TotalQueries returns how many queries the server received in all.
func (s *Server) TotalQueries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.queries {
		n += c
	}
	return n
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// ServeDNS answers one query from the zone.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := key(q.Name)
	s.mu.Lock()
	s.queries[name+" "+dns.TypeToString[q.Qtype]]++
	drop, rcode, failed := s.drop[name], s.rcodes[name], s.rcodes[name] != 0
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if failed {
		m.Rcode = rcode
	} else {
		m.Answer, m.Rcode = s.answer(name, q.Qtype)
		opt := req.IsEdns0()
		asked := req.AuthenticatedData || (opt != nil && opt.Do())
		m.AuthenticatedData = asked && s.authenticated(name) && m.Rcode != dns.RcodeServerFailure
	}
	s.mu.Unlock()
	if drop {
		return
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := 512
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size) // sets TC, so the client asks again over TCP
	}
	w.WriteMsg(m)
}

// answer looks name up, following CNAMEs inside the zone. s.mu is held.
func (s *Server) answer(name string, qtype uint16) ([]dns.RR, int) {
	var answer []dns.RR
	for range maxCNAMEs {
		rrs, ok := s.zone[name]
		if !ok {
			if s.hasDescendant(name) || len(answer) > 0 {
				return answer, dns.RcodeSuccess
			}
			return nil, dns.RcodeNameError
		}
		var cname *dns.CNAME
		for _, rr := range rrs {
			switch {
			case rr.Header().Rrtype == qtype:
				answer = append(answer, rr)
			case rr.Header().Rrtype == dns.TypeCNAME:
				cname = rr.(*dns.CNAME)
			}
		}
		if cname == nil || qtype == dns.TypeCNAME {
			return answer, dns.RcodeSuccess
		}
		answer = append(answer, cname)
		name = strings.ToLower(cname.Target)
	}
	return answer, dns.RcodeServerFailure
}

// hasDescendant reports whether a record exists below name.
func (s *Server) hasDescendant(name string) bool {
	for owner := range s.zone {
		if strings.HasSuffix(owner, "."+name) {
			return true
		}
	}
	return false
}
